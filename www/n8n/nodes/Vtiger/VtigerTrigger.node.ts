import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { vtigerClient } from '../shared/crmwire';
import { toNodeError } from '../shared/errors';
import { deletionsByIdDiff, dropRepeatedDeletions, MAX_TRACKED_IDS, readChanges, SCOPE_OPTIONS, type ReportedDeletions, type Scope } from './sync';
import { testVtigerCredentials } from './Vtiger.node';

/** How far back the first poll of "from now on" looks, to absorb clock skew with the server. */
export const FIRST_POLL_LOOKBACK_SECS = 3600;

/** What the trigger keeps in the workflow's static data (node scope). */
interface TriggerState {
	module?: string;
	checkpoint?: string;
	/** Deleted ids reported at the checkpoint's second (so that none is reported twice). */
	deletions?: ReportedDeletions;
	/** Ids of the module at the last poll, kept only where deletions need an id diff (strategy query). */
	ids?: string[];
}

export class VtigerTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Vtiger Trigger',
		name: 'vtigerTrigger',
		icon: 'file:vtiger.svg',
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["module"]}}',
		description: 'Starts the workflow when records of a Vtiger module are created, updated or deleted (polling; works on stock Vtiger 8)',
		defaults: { name: 'Vtiger Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'crmwireVtigerApi', required: true, testedBy: 'crmwireVtigerApiTest' }],
		properties: [
			{
				displayName: 'Module',
				name: 'module',
				type: 'string',
				default: '',
				placeholder: 'Contacts',
				required: true,
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'options',
				options: [
					{ name: 'Created, Updated or Deleted', value: 'all' },
					{ name: 'Created or Updated', value: 'updated' },
					{ name: 'Deleted', value: 'deleted' },
				],
				default: 'all',
			},
			{
				displayName: 'First Poll',
				name: 'firstPoll',
				type: 'options',
				options: [
					{ name: 'Only Changes From Now On', value: 'now', description: 'The first poll emits nothing and stores a checkpoint' },
					{ name: 'Every Existing Record', value: 'all', description: 'The first poll emits every record of the module' },
				],
				default: 'now',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Scope',
						name: 'scope',
						type: 'options',
						options: SCOPE_OPTIONS,
						default: 'user',
					},
					{
						displayName: 'Detect Deletions by ID Comparison',
						name: 'idDiff',
						type: 'boolean',
						default: true,
						description:
							"Whether to find deletions by comparing the module's IDs with the previous poll's, on servers where neither sync nor wsapp works (stock Vtiger 8.3.0): every poll then reads every ID of the module (100 per request); a record the user can no longer see counts as deleted",
					},
					{
						displayName: 'Max Changes per Poll',
						name: 'maxChanges',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description: 'Stop a poll after the batch that reaches this many changes (0 = no limit); the next poll continues exactly there',
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

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const module = String(this.getNodeParameter('module', '') ?? '').trim();
		if (!module) throw new NodeOperationError(this.getNode(), 'Module is required');
		const events = this.getNodeParameter('events', 'all') as string;
		const firstPoll = this.getNodeParameter('firstPoll', 'now') as string;
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const state = this.getWorkflowStaticData('node') as TriggerState;
		const manual = this.getMode() === 'manual';
		const crm = await vtigerClient(await this.getCredentials('crmwireVtigerApi'));

		// A checkpoint names its module: a changed module starts over.
		const checkpoint = state.module === module ? state.checkpoint : undefined;
		const first = checkpoint === undefined;
		let since: string | number = checkpoint ?? 0;
		if (first && (firstPoll === 'now' || manual)) since = Math.max(0, Math.floor(Date.now() / 1000) - FIRST_POLL_LOOKBACK_SECS);

		let r;
		try {
			r = await readChanges(crm, module, since, {
				scope: (options.scope as Scope | undefined) ?? 'user',
				maxChanges: Number(options.maxChanges ?? 0),
				updated: events !== 'deleted',
				deleted: events !== 'updated',
			});
		} catch (e) {
			throw toNodeError(this.getNode(), e);
		}
		const deletions = dropRepeatedDeletions(r, checkpoint === undefined ? undefined : state.deletions);
		// The query strategy sees no deletions: compare the module's ids with the last poll's.
		let ids: string[] | undefined;
		if (r.strategy === 'query' && events !== 'updated' && options.idDiff !== false) {
			let d;
			try {
				d = await deletionsByIdDiff(crm, module, first ? undefined : state.ids);
			} catch (e) {
				throw toNodeError(this.getNode(), e);
			}
			if (d.tooMany) this.logger.warn(`Vtiger Trigger: ${module} has more than ${MAX_TRACKED_IDS} records; deletions are not detected`);
			for (const id of d.deleted) r.changes.push({ change: 'deleted', module, id });
			ids = d.ids;
		}
		// n8n keeps static data of activated workflows only; a manual test run moves nothing.
		if (r.checkpoint) {
			state.module = module;
			state.checkpoint = r.checkpoint;
			state.deletions = deletions;
			state.ids = ids;
		} else if (first && !manual) {
			// Nothing came back at all: resume from the start time next time.
			state.module = module;
			state.checkpoint = String(since);
		}
		// "From now on": the first poll only finds the starting point (manual test runs show
		// the recent changes so that the node can be tried out).
		if (first && firstPoll === 'now' && !manual) return null;
		if (!r.changes.length) return null;
		return [this.helpers.returnJsonArray(r.changes)];
	}
}
