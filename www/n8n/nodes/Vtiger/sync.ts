// Changes of a module since a checkpoint, shared by the Sync operation and the trigger.
import type { IDataObject } from 'n8n-workflow';
import type { VtigerClient } from '../shared/crmwire';

export type Scope = 'user' | 'userandgroup' | 'application';

export interface Changes {
	/** One entry per change, in server order: `{ change, module, id, record? }`. */
	changes: IDataObject[];
	/** Resume point after the last batch read (undefined when no batch came back). */
	checkpoint?: string;
	strategy?: string;
	updated: number;
	deleted: number;
	/** True when the run stopped early at `maxChanges` (more changes wait for the next run). */
	truncated: boolean;
}

/**
 * Reads every change since `since` (a checkpoint string, Unix seconds or a Date) with crmwire's
 * sync, which falls back from the native `sync` (HTTP 500 on stock Vtiger 8) to `wsapp` and to a
 * query. `maxChanges` > 0 stops after the batch that reaches it; leaving the loop early releases
 * the server-side sync registration and the returned checkpoint resumes exactly there.
 */
export async function readChanges(
	crm: VtigerClient,
	module: string,
	since: string | number | Date,
	opts: { scope?: Scope; maxChanges?: number; updated?: boolean; deleted?: boolean } = {},
): Promise<Changes> {
	const out: Changes = { changes: [], updated: 0, deleted: 0, truncated: false };
	const wantUpdated = opts.updated !== false;
	const wantDeleted = opts.deleted !== false;
	const max = opts.maxChanges && opts.maxChanges > 0 ? opts.maxChanges : 0;
	for await (const b of crm.sync(module, { since, scope: opts.scope })) {
		out.checkpoint = b.checkpoint;
		out.strategy = b.strategy;
		if (wantUpdated) {
			for (const r of b.updated) {
				out.changes.push({ change: 'updated', module, id: r.id, record: r as IDataObject });
				out.updated++;
			}
		}
		if (wantDeleted) {
			for (const id of b.deleted) {
				out.changes.push({ change: 'deleted', module, id });
				out.deleted++;
			}
		}
		if (max && out.updated + out.deleted >= max) {
			out.truncated = true;
			break;
		}
	}
	return out;
}

/**
 * Deleted ids already reported at the checkpoint's second. crmwire re-reads the checkpoint's
 * own second on the next run and drops records it already delivered, but a deletion in that
 * second may come again (its README: "deletions are idempotent"). A trigger must not fire
 * twice, so the nodes keep the ids they reported while the checkpoint stays in that second.
 */
export interface ReportedDeletions {
	/** The checkpoint's time (Unix seconds, from `v1:<strategy>:<module>:<time>:…`). */
	time: string;
	ids: string[];
}

const MAX_REMEMBERED = 10000;

function checkpointTime(checkpoint: string | undefined): string | undefined {
	return checkpoint ? /^v1:[^:]*:[^:]*:(\d+):/.exec(checkpoint)?.[1] : undefined;
}

/**
 * Drops deletions reported by an earlier run at the same checkpoint second from `r.changes`
 * and returns what to remember for the next run.
 */
export function dropRepeatedDeletions(r: Changes, prev: ReportedDeletions | undefined): ReportedDeletions | undefined {
	const seen = new Set(prev?.ids ?? []);
	const fresh: string[] = [];
	r.changes = r.changes.filter((c) => {
		if (c.change !== 'deleted') return true;
		const id = String(c.id);
		if (seen.has(id)) {
			r.deleted--;
			return false;
		}
		fresh.push(id);
		return true;
	});
	const time = checkpointTime(r.checkpoint);
	if (time === undefined) return prev;
	const ids = prev && prev.time === time ? [...prev.ids, ...fresh] : fresh;
	return { time, ids: ids.slice(-MAX_REMEMBERED) };
}

/** At most this many ids are tracked for deletions by id diff (static data stays small). */
export const MAX_TRACKED_IDS = 100000;

/**
 * Deletions by id diff, for the `query` strategy (a server where neither `sync` nor `wsapp`
 * works, such as stock Vtiger 8.3.0: both answer HTTP 500), which cannot see deletions. Pages
 * every id of the module (`SELECT id`, keyset by crmwire) and compares with the ids of the
 * previous run. Returns the current ids (undefined past MAX_TRACKED_IDS) and the ids gone since.
 * A record the user can no longer read (re-assigned, permissions) also counts as gone.
 */
export async function deletionsByIdDiff(
	crm: VtigerClient,
	module: string,
	known: string[] | undefined,
): Promise<{ ids?: string[]; deleted: string[]; tooMany: boolean }> {
	const ids: string[] = [];
	for await (const row of crm.queryAll<{ id: string }>({ module, fields: ['id'] })) {
		ids.push(row.id);
		if (ids.length > MAX_TRACKED_IDS) return { deleted: [], tooMany: true };
	}
	if (!known) return { ids, deleted: [], tooMany: false };
	const now = new Set(ids);
	return { ids, deleted: known.filter((id) => !now.has(id)), tooMany: false };
}

/** The options collection shared by the Sync operation and the trigger. */
export const SCOPE_OPTIONS = [
	{ name: 'User', value: 'user', description: 'Records owned by the user' },
	{ name: 'User and Group', value: 'userandgroup', description: "Also records of the user's groups (wsapp and patched sync)" },
	{ name: 'Application', value: 'application', description: 'Every record (wsapp and patched sync)' },
];
