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
import { vtigerClient } from '../shared/crmwire';
import { isCrmError } from '../shared/errors';
import { fieldsProperties, jsonObject, readFields, requiredString } from '../shared/fields';
import { DEFAULT_CONCURRENCY, mapItems, MAX_CONCURRENCY } from '../shared/items';
import { documentProperties, downloadFile, uploadFile } from './documents';
import { queryProperties, readQuery } from './query';
import { deletionsByIdDiff, dropRepeatedDeletions, readChanges, SCOPE_OPTIONS, type ReportedDeletions, type Scope } from './sync';

const op = (...operations: string[]) => ({ show: { operation: operations } });

/** Logs in with the credentials (a fresh client, so a cached session proves nothing). */
export async function testVtigerCredentials(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	try {
		const crm = await vtigerClient(credential.data ?? {}, true);
		const info = await crm.login();
		crm.logout().catch(() => undefined); // stock 8.3 answers logout with HTTP 500
		return { status: 'OK', message: `Logged in as user ${info.userId} (Vtiger ${info.vtigerVersion})` };
	} catch (e) {
		const code = isCrmError(e) ? `${e.code}: ` : '';
		return { status: 'Error', message: code + (e instanceof Error ? e.message : String(e)) };
	}
}

export class Vtiger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Vtiger',
		name: 'vtiger',
		icon: 'file:vtiger.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Vtiger CRM webservice on crmwire: records, VTQL queries past 100 rows, related records, lead conversion, sync with deletions',
		defaults: { name: 'Vtiger' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'crmwireVtigerApi', required: true, testedBy: 'crmwireVtigerApiTest' }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Add Related', value: 'addRelated', action: 'Link two records', description: 'Link a record to another (add_related)' },
					{ name: 'Convert Lead', value: 'convertLead', action: 'Convert a lead', description: 'Convert a lead into an account, contact and/or potential' },
					{ name: 'Count', value: 'count', action: 'Count records', description: 'Count the records a query matches (every page)' },
					{ name: 'Create', value: 'create', action: 'Create a record' },
					{ name: 'Delete', value: 'delete', action: 'Delete a record' },
					{ name: 'Describe', value: 'describe', action: 'Describe a module', description: 'Fields, types and picklists of a module' },
					{ name: 'Download File', value: 'downloadFile', action: 'Download a document file', description: "A Document's file (or an attachment's) as binary data" },
					{ name: 'Extend Session', value: 'extendSession', action: 'Extend the session', description: 'Kept for compatibility: crmwire keeps the session alive by itself' },
					{ name: 'List Types', value: 'listTypes', action: 'List the modules', description: 'The modules the user may access' },
					{ name: 'Login', value: 'login', action: 'Log in', description: 'Kept for compatibility: returns the login information (no session name is ever needed)' },
					{ name: 'Query', value: 'query', action: 'Query records', description: 'VTQL from builder fields or text; Return All pages past 100 rows' },
					{ name: 'Query Related', value: 'queryRelated', action: 'Query related records', description: 'A VTQL query over the records related to one record' },
					{ name: 'Related Types', value: 'relatedTypes', action: 'List relation types', description: 'The relations of a module (labels for the related operations)' },
					{ name: 'Retrieve', value: 'retrieve', action: 'Retrieve a record' },
					{ name: 'Retrieve Related', value: 'retrieveRelated', action: 'Retrieve related records' },
					{ name: 'Revise', value: 'revise', action: 'Revise a record', description: 'Change only the given fields' },
					{ name: 'Sync', value: 'sync', action: 'Read changes', description: 'Created, updated and deleted records since the last run (checkpoint in the workflow)' },
					{ name: 'Update', value: 'update', action: 'Update a record', description: 'Full update: mandatory fields required, omitted fields kept' },
					{ name: 'Upload File', value: 'uploadFile', action: 'Upload a document file', description: "Create a Document from binary data, or replace a Document's file" },
				],
				default: 'retrieve',
			},
			{
				displayName: 'Module',
				name: 'module',
				type: 'string',
				default: '',
				placeholder: 'Contacts',
				required: true,
				description: 'Module name as in List Types (e.g. Contacts, Accounts, Leads)',
				displayOptions: op('create', 'describe', 'relatedTypes', 'sync'),
			},
			{
				displayName: 'Record ID',
				name: 'id',
				type: 'string',
				default: '',
				placeholder: '12x34',
				required: true,
				description: 'Webservice ID (module prefix x record number)',
				displayOptions: op('retrieve', 'update', 'revise', 'delete', 'retrieveRelated', 'queryRelated', 'addRelated'),
			},
			...documentProperties(),
			...fieldsProperties({ operation: ['create', 'update', 'revise', 'uploadFile'] }),
			...queryProperties(['query', 'count']),
			{
				displayName: 'Return All',
				name: 'returnAll',
				type: 'boolean',
				default: false,
				description: 'Whether to return every matching row (paged by id, past 100) or only the first page',
				displayOptions: op('query'),
			},
			{
				displayName: 'Limit',
				name: 'limit',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 50,
				description: 'Max number of results to return',
				displayOptions: { show: { operation: ['query'], returnAll: [false], queryMode: ['builder'] } },
			},
			{
				displayName: 'Related Label',
				name: 'relatedLabel',
				type: 'string',
				default: '',
				placeholder: 'Contacts',
				required: true,
				description: 'The relation label (see Related Types)',
				displayOptions: op('retrieveRelated', 'queryRelated'),
			},
			{
				displayName: 'Related Module',
				name: 'relatedType',
				type: 'string',
				default: '',
				placeholder: 'Contacts',
				required: true,
				displayOptions: op('retrieveRelated'),
			},
			{
				displayName: 'Related VTQL',
				name: 'relatedQuery',
				type: 'string',
				typeOptions: { rows: 2 },
				default: '',
				placeholder: 'SELECT id, lastname FROM Contacts;',
				required: true,
				displayOptions: op('queryRelated'),
			},
			{
				displayName: 'Related Record ID',
				name: 'relatedId',
				type: 'string',
				default: '',
				placeholder: '12x35',
				required: true,
				displayOptions: op('addRelated'),
			},
			{
				displayName: 'Relation Label',
				name: 'relationLabel',
				type: 'string',
				default: '',
				description: 'Optional relation label when two modules have several relations',
				displayOptions: op('addRelated'),
			},
			{
				displayName: 'Lead ID',
				name: 'leadId',
				type: 'string',
				default: '',
				placeholder: '10x12',
				required: true,
				displayOptions: op('convertLead'),
			},
			{
				displayName: 'Conversion (JSON)',
				name: 'conversion',
				type: 'json',
				default: '{\n  "entities": {\n    "Accounts": { "create": true, "name": "Accounts" },\n    "Contacts": { "create": true, "name": "Contacts" }\n  }\n}',
				description: 'The convertlead element without leadId: entities, assignedTo, …. The conversion is not atomic on the server.',
				displayOptions: op('convertLead'),
			},
			{
				displayName: 'Resume From',
				name: 'resumeFrom',
				type: 'options',
				options: [
					{ name: 'Last Checkpoint', value: 'lastCheckpoint', description: "The checkpoint this node saved in the workflow's static data (first run: Start Date)" },
					{ name: 'Checkpoint', value: 'checkpoint', description: 'A checkpoint from an earlier output' },
					{ name: 'Date', value: 'date', description: 'Every change at or after a date' },
				],
				default: 'lastCheckpoint',
				displayOptions: op('sync'),
			},
			{
				displayName: 'Checkpoint',
				name: 'checkpoint',
				type: 'string',
				default: '',
				required: true,
				displayOptions: { show: { operation: ['sync'], resumeFrom: ['checkpoint'] } },
			},
			{
				displayName: 'Start Date',
				name: 'startDate',
				type: 'dateTime',
				default: '',
				description: 'Changes at or after this time; empty = from the beginning',
				displayOptions: { show: { operation: ['sync'], resumeFrom: ['date', 'lastCheckpoint'] } },
			},
			{
				displayName: 'Output',
				name: 'syncOutput',
				type: 'options',
				options: [
					{ name: 'One Item per Change', value: 'changes', description: '{ change: "updated" | "deleted", module, id, record?, checkpoint }' },
					{ name: 'One Summary Item', value: 'summary', description: '{ module, updated: [records], deleted: [ids], checkpoint, strategy }' },
				],
				default: 'changes',
				displayOptions: op('sync'),
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
						displayName: 'Detect Deletions by ID Comparison',
						name: 'idDiff',
						type: 'boolean',
						default: true,
						description:
							"Sync from the last checkpoint only: whether to find deletions by comparing the module's IDs with the previous run's where neither sync nor wsapp works (stock Vtiger 8.3.0); reads every ID of the module (100 per request)",
					},
					{
						displayName: 'Sync Scope',
						name: 'scope',
						type: 'options',
						options: SCOPE_OPTIONS,
						default: 'user',
						description: 'Sync only: whose records to report',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			async crmwireVtigerApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				return testVtigerCredentials(credential);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		const options = this.getNodeParameter('options', 0, {}) as IDataObject;
		const crm = await vtigerClient(await this.getCredentials('crmwireVtigerApi'));
		const ctx = this;

		// Sync shares one checkpoint per module across the items of a run: run the items in order.
		const concurrency = operation === 'sync' ? 1 : Number(options.concurrency ?? DEFAULT_CONCURRENCY);
		return mapItems(
			this,
			async (i) => {
				switch (operation) {
					case 'login': {
						const info = await crm.login();
						return { userId: info.userId, username: info.username ?? null, version: info.version, vtigerVersion: info.vtigerVersion };
					}
					case 'extendSession':
						return (await crm.extendSession()) as IDataObject;
					case 'listTypes': {
						const t = await crm.listTypes();
						const info = (Array.isArray(t.information) ? {} : t.information) as Record<string, IDataObject>;
						return t.types.map((name) => ({ name, ...(info[name] ?? {}) }));
					}
					case 'describe':
						return (await crm.describe(requiredString(ctx, 'module', 'Module', i))) as IDataObject;
					case 'create':
						return (await crm.create(requiredString(ctx, 'module', 'Module', i), readFields(ctx, i) as never)) as IDataObject;
					case 'retrieve':
						return (await crm.retrieve(requiredString(ctx, 'id', 'Record ID', i))) as IDataObject;
					case 'update':
						return (await crm.update({ ...readFields(ctx, i), id: requiredString(ctx, 'id', 'Record ID', i) } as never)) as IDataObject;
					case 'revise':
						return (await crm.revise({ ...readFields(ctx, i), id: requiredString(ctx, 'id', 'Record ID', i) } as never)) as IDataObject;
					case 'delete': {
						const id = requiredString(ctx, 'id', 'Record ID', i);
						const r = await crm.delete(id);
						return { id, deleted: true, status: r.status };
					}
					case 'query': {
						const returnAll = ctx.getNodeParameter('returnAll', i, false) as boolean;
						if (returnAll) {
							const rows: IDataObject[] = [];
							for await (const row of crm.queryAll(readQuery(ctx, i, { paged: true }))) rows.push(row as IDataObject);
							return rows;
						}
						const limit = ctx.getNodeParameter('limit', i, 50) as number;
						return (await crm.query(readQuery(ctx, i, { limit }))) as IDataObject[];
					}
					case 'count':
						return { count: await crm.count(readQuery(ctx, i, { count: true })) };
					case 'relatedTypes': {
						const t = await crm.relatedTypes(requiredString(ctx, 'module', 'Module', i));
						const info = (Array.isArray(t.information) ? {} : t.information) as Record<string, IDataObject>;
						return t.types.map((name) => ({ name, ...(info[name] ?? {}) }));
					}
					case 'retrieveRelated':
						return (await crm.retrieveRelated(
							requiredString(ctx, 'id', 'Record ID', i),
							requiredString(ctx, 'relatedLabel', 'Related Label', i),
							requiredString(ctx, 'relatedType', 'Related Module', i),
						)) as IDataObject[];
					case 'queryRelated':
						return (await crm.queryRelated(
							requiredString(ctx, 'relatedQuery', 'Related VTQL', i),
							requiredString(ctx, 'id', 'Record ID', i),
							requiredString(ctx, 'relatedLabel', 'Related Label', i),
						)) as IDataObject[];
					case 'addRelated': {
						const sourceId = requiredString(ctx, 'id', 'Record ID', i);
						const relatedId = requiredString(ctx, 'relatedId', 'Related Record ID', i);
						const label = String(ctx.getNodeParameter('relationLabel', i, '') ?? '').trim() || undefined;
						const result = await crm.addRelated(sourceId, relatedId, label);
						return { sourceId, relatedId, result: result as IDataObject };
					}
					case 'convertLead': {
						const element = jsonObject(ctx, ctx.getNodeParameter('conversion', i, '{}'), 'Conversion (JSON)', i);
						const leadId = requiredString(ctx, 'leadId', 'Lead ID', i);
						return (await crm.convertLead({ ...element, leadId } as never)) as IDataObject;
					}
					case 'sync':
						return syncItem(ctx, crm, i, options);
					case 'uploadFile':
						return uploadFile(ctx, crm, i, readFields(ctx, i));
					case 'downloadFile':
						return downloadFile(ctx, crm, i);
					default:
						throw new NodeOperationError(ctx.getNode(), `Unknown operation "${operation}"`, { itemIndex: i });
				}
			},
			concurrency,
		);
	}
}

async function syncItem(ctx: IExecuteFunctions, crm: Awaited<ReturnType<typeof vtigerClient>>, i: number, options: IDataObject) {
	const module = requiredString(ctx, 'module', 'Module', i);
	const resumeFrom = ctx.getNodeParameter('resumeFrom', i, 'lastCheckpoint') as string;
	const staticData = ctx.getWorkflowStaticData('node');
	const saved = (staticData.checkpoints ?? {}) as Record<string, string>;
	let since: string | number | Date = 0;
	if (resumeFrom === 'checkpoint') {
		since = requiredString(ctx, 'checkpoint', 'Checkpoint', i);
	} else if (resumeFrom === 'lastCheckpoint' && saved[module]) {
		since = saved[module];
	} else {
		const start = String(ctx.getNodeParameter('startDate', i, '') ?? '').trim();
		if (start) {
			const d = new Date(start);
			if (Number.isNaN(d.getTime())) throw new NodeOperationError(ctx.getNode(), `Start Date "${start}" is not a date`, { itemIndex: i });
			since = d;
		}
	}
	const r = await readChanges(crm, module, since, { scope: (options.scope as Scope | undefined) ?? 'user' });
	const checkpoint = r.checkpoint ?? (typeof since === 'string' ? since : undefined);
	if (resumeFrom === 'lastCheckpoint') {
		// Resuming from the stored checkpoint: no deletion is reported twice (see sync.ts).
		const reported = (staticData.deletions ?? {}) as Record<string, ReportedDeletions>;
		const next = dropRepeatedDeletions(r, saved[module] ? reported[module] : undefined);
		// The query strategy sees no deletions: compare the module's ids with the last run's.
		const known = (staticData.ids ?? {}) as Record<string, string[] | undefined>;
		let ids: string[] | undefined;
		if (r.strategy === 'query' && options.idDiff !== false) {
			const d = await deletionsByIdDiff(crm, module, saved[module] ? known[module] : undefined);
			for (const id of d.deleted) r.changes.push({ change: 'deleted', module, id });
			ids = d.ids;
		}
		if (r.checkpoint) {
			staticData.checkpoints = { ...saved, [module]: r.checkpoint };
			staticData.deletions = { ...reported, [module]: next } as unknown as IDataObject;
			staticData.ids = { ...known, [module]: ids } as unknown as IDataObject;
		}
	}
	if ((ctx.getNodeParameter('syncOutput', i, 'changes') as string) === 'summary') {
		return {
			module,
			updated: r.changes.filter((c) => c.change === 'updated').map((c) => c.record as IDataObject),
			deleted: r.changes.filter((c) => c.change === 'deleted').map((c) => c.id as string),
			checkpoint: checkpoint ?? null,
			strategy: r.strategy ?? null,
		};
	}
	return r.changes.map((c) => ({ ...c, checkpoint: checkpoint ?? null }));
}
