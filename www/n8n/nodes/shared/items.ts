// Items in, items out: one crmwire call per input item, at most `concurrency` at a time,
// results in input order. This is the one place that decides how items are sent; when
// crmwire gains a bulk API it can switch here without touching the nodes.
import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { errorItemJson, toNodeError } from './errors';

export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 16;

/** An output item that carries binary data (a downloaded file) besides its JSON. */
export class BinaryItem {
	constructor(
		public json: IDataObject,
		public binary: IBinaryKeyData,
	) {}
}

/** What one item produced: a record, several records (some with binary data), or nothing. */
export type ItemResult = IDataObject | Array<IDataObject | BinaryItem> | undefined;

/**
 * Runs `fn` for every input item with at most `concurrency` calls in flight.
 *
 * Continue On Fail: a failed item gives exactly one error item (`{ error, code, crmCode, … }`),
 * paired with its input item, and the others go on. Otherwise the first failure (in item
 * order) is thrown once the calls already in flight have settled, and no further item is
 * started: a write that was sent is never left unreported.
 */
export async function mapItems(
	ctx: IExecuteFunctions,
	fn: (itemIndex: number) => Promise<ItemResult>,
	concurrency = DEFAULT_CONCURRENCY,
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const n = items.length;
	const limit = Math.max(1, Math.min(MAX_CONCURRENCY, Math.floor(concurrency) || 1));
	const results: Array<{ ok: true; value: ItemResult } | { ok: false; error: unknown } | undefined> = new Array(n);
	const continueOnFail = ctx.continueOnFail();
	let next = 0;
	let failed = false;
	const worker = async () => {
		while (next < n && !failed) {
			const i = next++;
			try {
				results[i] = { ok: true, value: await fn(i) };
			} catch (error) {
				results[i] = { ok: false, error };
				if (!continueOnFail) failed = true;
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));

	const out: INodeExecutionData[] = [];
	for (let i = 0; i < n; i++) {
		const r = results[i];
		if (r === undefined) continue; // not started after a failure
		if (!r.ok) {
			if (continueOnFail) {
				out.push({ json: errorItemJson(ctx.getNode(), r.error), pairedItem: { item: i } });
				continue;
			}
			throw toNodeError(ctx.getNode(), r.error, i);
		}
		const v = r.value;
		if (v === undefined) continue;
		for (const x of Array.isArray(v) ? v : [v]) {
			if (x instanceof BinaryItem) out.push({ json: x.json, binary: x.binary, pairedItem: { item: i } });
			else out.push({ json: x, pairedItem: { item: i } });
		}
	}
	return [out];
}
