import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/** Vtiger CRM webservice credentials. The Vtiger nodes test them by logging in. */
export class CrmwireVtigerApi implements ICredentialType {
	name = 'crmwireVtigerApi';

	displayName = 'Vtiger API';

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-crmwire';

	icon = 'file:../nodes/Vtiger/vtiger.svg' as const;

	properties: INodeProperties[] = [
		{
			displayName: 'URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://crm.example.com',
			description: 'Base URL of the Vtiger CRM, or its full …/webservice.php URL',
			required: true,
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Access Key',
			name: 'accessKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: "The user's webservice access key (My Preferences → Webservice access key); not the password",
			required: true,
		},
	];
}
