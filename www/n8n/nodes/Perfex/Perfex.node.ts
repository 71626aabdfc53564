import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	IExecuteFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { crmwire, perfexClient, perfexCredentials } from '../shared/crmwire';
import { crmErrorInfo, isCrmError } from '../shared/errors';
import { fieldsProperties, readFields, requiredString } from '../shared/fields';
import { DEFAULT_CONCURRENCY, mapItems, MAX_CONCURRENCY } from '../shared/items';

type Resource = 'customers' | 'contacts' | 'leads' | 'projects' | 'tasks' | 'invoices';
const RESOURCES: Record<string, Resource> = {
	customer: 'customers',
	contact: 'contacts',
	lead: 'leads',
	project: 'projects',
	task: 'tasks',
	invoice: 'invoices',
};

const show = (operation: string[], resource?: string[]) => ({ show: resource ? { resource, operation } : { operation } });

export class Perfex implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Perfex',
		name: 'perfex',
		icon: 'file:perfex.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Perfex CRM over the WON API or the REST API module, on crmwire',
		defaults: { name: 'Perfex' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'crmwirePerfexApi', required: true, testedBy: 'crmwirePerfexApiTest' }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Contact', value: 'contact' },
					{ name: 'Customer', value: 'customer' },
					{ name: 'Invoice', value: 'invoice' },
					{ name: 'Lead', value: 'lead' },
					{ name: 'Project', value: 'project' },
					{ name: 'Task', value: 'task' },
				],
				default: 'customer',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Create', value: 'create', action: 'Create a record' },
					{ name: 'Delete', value: 'delete', action: 'Delete a record' },
					{ name: 'Get', value: 'get', action: 'Get a record' },
					{ name: 'Get Many', value: 'getAll', action: 'Get many records', description: 'List or search, paged' },
					{ name: 'Join by VAT', value: 'join', action: 'Find a customer by VAT', description: 'WON API only: the customer with this CPF/CNPJ' },
					{ name: 'Update', value: 'update', action: 'Update a record' },
				],
				default: 'getAll',
			},
			{
				displayName: 'ID',
				name: 'id',
				type: 'string',
				default: '',
				required: true,
				description: 'Record ID (customers: userid)',
				displayOptions: show(['get', 'update', 'delete']),
			},
			{
				displayName: 'VAT (CPF/CNPJ)',
				name: 'vat',
				type: 'string',
				default: '',
				required: true,
				placeholder: '11.222.333/0001-02',
				description: 'Punctuation is stripped; 11 (CPF) or 14 (CNPJ) digits',
				displayOptions: show(['join']),
			},
			{
				displayName: 'Customer ID',
				name: 'customerId',
				type: 'string',
				default: '',
				description: "The contact's customer: required by the REST API to get or list contacts; on WON it filters the list",
				displayOptions: show(['get', 'getAll'], ['contact']),
			},
			...fieldsProperties({ operation: ['create', 'update'] }),
			{
				displayName: 'Return All',
				name: 'returnAll',
				type: 'boolean',
				default: false,
				description: 'Whether to return all results or only up to a given limit',
				displayOptions: show(['getAll']),
			},
			{
				displayName: 'Limit',
				name: 'limit',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Max number of results to return',
				displayOptions: { show: { operation: ['getAll'], returnAll: [false] } },
			},
			{
				displayName: 'Search',
				name: 'search',
				type: 'string',
				default: '',
				description: 'Only records matching this term (at least 2 characters)',
				displayOptions: show(['getAll']),
			},
			{
				displayName: 'Filters',
				name: 'filters',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				placeholder: 'Add Filter',
				default: {},
				description: 'Column = value filters (WON: on the server for its filter columns; REST: applied to the list)',
				displayOptions: show(['getAll']),
				options: [
					{
						name: 'filter',
						displayName: 'Filter',
						values: [
							{ displayName: 'Column', name: 'name', type: 'string', default: '' },
							{ displayName: 'Value', name: 'value', type: 'string', default: '' },
						],
					},
				],
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Concurrency',
						name: 'concurrency',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
						default: DEFAULT_CONCURRENCY,
						description: 'Input items processed at the same time (one CRM call per item)',
					},
					{
						displayName: 'Normalised View',
						name: 'normalize',
						type: 'boolean',
						default: false,
						description: 'Whether to return records in the same shape for both APIs: ID first, flags true/false, ISO dates, empty dates null',
					},
					{
						displayName: 'Message Language',
						name: 'locale',
						type: 'options',
						options: [
							{ name: 'English', value: 'en' },
							{ name: 'Português (Brasil)', value: 'pt-BR' },
						],
						default: 'en',
						description: 'Language of the validation messages checked before sending',
					},
					{
						displayName: 'Page Size',
						name: 'pageSize',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 100 },
						default: 20,
						description: 'Records per request when listing',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			async crmwirePerfexApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				try {
					const m = await crmwire();
					const c = perfexCredentials(credential.data ?? {});
					const client = new m.PerfexClient({ url: c.url, token: c.token, api: c.api });
					for await (const _ of client.list('customers', { pageSize: 1, maxRecords: 1 })) void _;
					return { status: 'OK', message: `Connected (${c.api === 'won' ? 'WON API' : 'REST API'})` };
				} catch (e) {
					const code = isCrmError(e) ? `${e.code}: ` : '';
					return { status: 'Error', message: code + (e instanceof Error ? e.message : String(e)) };
				}
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const ctx = this;
		const resourceParam = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		const resource = RESOURCES[resourceParam];
		if (!resource) throw new NodeOperationError(this.getNode(), `Unknown resource "${resourceParam}"`);
		const options = this.getNodeParameter('options', 0, {}) as IDataObject;
		const locale = options.locale === 'pt-BR' ? 'pt-BR' : 'en';
		const normalize = options.normalize === true;
		const client = await perfexClient(await this.getCredentials('crmwirePerfexApi'), { locale, normalize });
		if (operation === 'join' && resource !== 'customers') {
			throw new NodeOperationError(this.getNode(), 'Join by VAT finds customers only');
		}

		return mapItems(
			this,
			async (i) => {
				switch (operation) {
					case 'create':
					case 'update': {
						const fields = readFields(ctx, i);
						const r =
							operation === 'create'
								? await client.create(resource, fields as never)
								: await client.update(resource, requiredString(ctx, 'id', 'ID', i), fields as never);
						if (r.record) return r.record as IDataObject;
						const out: IDataObject = { id: r.id ?? (operation === 'update' ? requiredString(ctx, 'id', 'ID', i) : null), message: r.message };
						// REST create: the record was created but not found afterwards (never retried).
						if (r.lookupError) out.lookupError = crmErrorInfo(r.lookupError as Error & { code: string }) as unknown as IDataObject;
						return out;
					}
					case 'get': {
						const customerId = resource === 'contacts' ? String(ctx.getNodeParameter('customerId', i, '') ?? '').trim() : '';
						return (await client.get(resource, requiredString(ctx, 'id', 'ID', i), customerId ? { customerId } : {})) as IDataObject;
					}
					case 'delete': {
						const id = requiredString(ctx, 'id', 'ID', i);
						const r = await client.delete(resource, id);
						return { id, deleted: true, message: r.message };
					}
					case 'join':
						return (await client.joinByVat(requiredString(ctx, 'vat', 'VAT (CPF/CNPJ)', i))) as IDataObject;
					case 'getAll': {
						const returnAll = ctx.getNodeParameter('returnAll', i, false) as boolean;
						const limit = returnAll ? undefined : (ctx.getNodeParameter('limit', i, 50) as number);
						const filterColl = ctx.getNodeParameter('filters', i, {}) as { filter?: Array<{ name?: string; value?: string }> };
						const filters: Record<string, string> = {};
						for (const f of filterColl.filter ?? []) {
							const name = String(f.name ?? '').trim();
							if (!name) throw new NodeOperationError(ctx.getNode(), 'A filter has no column', { itemIndex: i });
							filters[name] = String(f.value ?? '');
						}
						const listOpts = {
							pageSize: Number(options.pageSize ?? 20),
							...(limit !== undefined ? { maxRecords: limit } : {}),
							...(Object.keys(filters).length ? { filters } : {}),
						};
						const term = String(ctx.getNodeParameter('search', i, '') ?? '').trim();
						const customerId = resource === 'contacts' ? String(ctx.getNodeParameter('customerId', i, '') ?? '').trim() : '';
						const it = term
							? client.search(resource, term, listOpts)
							: customerId
								? client.customerContacts(customerId, listOpts)
								: client.list(resource, listOpts);
						const rows: IDataObject[] = [];
						for await (const r of it) rows.push(r as IDataObject);
						return rows;
					}
					default:
						throw new NodeOperationError(ctx.getNode(), `Unknown operation "${operation}"`, { itemIndex: i });
				}
			},
			Number(options.concurrency ?? DEFAULT_CONCURRENCY),
		);
	}
}
