import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/** Perfex CRM API credentials: the WON API module or the REST API module. */
export class CrmwirePerfexApi implements ICredentialType {
	name = 'crmwirePerfexApi';

	displayName = 'Perfex API';

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-crmwire';

	icon = 'file:../nodes/Perfex/perfex.svg' as const;

	properties: INodeProperties[] = [
		{
			displayName: 'URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://crm.example.com',
			description: 'Perfex base URL (add /index.php when the host has no URL rewriting)',
			required: true,
		},
		{
			displayName: 'API',
			name: 'api',
			type: 'options',
			options: [
				{ name: 'WON API (won_api Module, X-API-TOKEN)', value: 'won' },
				{ name: 'REST API (api Module, authtoken JWT)', value: 'rest' },
			],
			default: 'won',
			description: 'Which API module the Perfex install runs',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: "WON: the module's global token (won_api_token). REST: the JWT from Setup → API.",
			required: true,
		},
	];
}
