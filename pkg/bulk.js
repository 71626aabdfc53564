// The scheduler of VtigerClient's bulk writes (createMany, updateMany, reviseMany, deleteMany,
// upsert): runs one async job per record with a concurrency bound, stops starting jobs on
// abort, keeps records with the same key one after the other, reports progress, and collects
// per-record results in input order. Which failures leave a write's outcome open, how an upsert
// looks a record up and what its answer decides are the core's (src/vtiger/bulk.rs).
import { CrmError } from './errors.js';

/** Largest `concurrency`. */
export const MAX_CONCURRENCY = 256;

/** Reads `{ concurrency, signal, onProgress }`; INVALID_INPUT naming the option. */
export function bulkOptions(opts, defaultConcurrency, operation) {
  const o = opts ?? {};
  if (typeof o !== 'object') throw new CrmError('INVALID_INPUT', 'options must be an object', { field: 'options', operation });
  const concurrency = o.concurrency ?? defaultConcurrency;
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= MAX_CONCURRENCY)) throw new CrmError('INVALID_INPUT', `option 'concurrency' must be an integer from 1 to ${MAX_CONCURRENCY}`, { field: 'concurrency', operation });
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new CrmError('INVALID_INPUT', "option 'onProgress' must be a function", { field: 'onProgress', operation });
  return { concurrency, signal: o.signal ?? undefined, onProgress: o.onProgress };
}

/**
 * Runs `job(index)` for each of `n` records; `keys[i]` (a string, or undefined for none) puts
 * records with equal keys in one chain, run in input order. `settle(index, error)` turns a
 * job's failure into the record's error. Resolves to the results in input order.
 */
export async function runBulk(n, keys, { concurrency, signal, onProgress }, job, settle, operation) {
  const results = new Array(n);
  const chains = [];
  const byKey = new Map();
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k === undefined) {
      chains.push([i]);
      continue;
    }
    const c = byKey.get(k);
    if (c) c.push(i);
    else {
      const chain = [i];
      byKey.set(k, chain);
      chains.push(chain);
    }
  }
  let next = 0;
  let done = 0;
  let failed = 0;
  const progress = () => {
    if (!onProgress) return;
    try {
      onProgress({ done, total: n, succeeded: done - failed, failed });
    } catch {} // a throwing callback must not stop the writes
  };
  const worker = async () => {
    while (next < chains.length && !signal?.aborted) {
      for (const i of chains[next++]) {
        if (signal?.aborted) break;
        try {
          results[i] = { ok: true, ...(await job(i)) };
        } catch (e) {
          results[i] = { ok: false, error: settle(i, e) };
          failed++;
        }
        done++;
        progress();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chains.length) }, worker));
  for (let i = 0; i < n; i++) {
    if (results[i] === undefined) results[i] = { ok: false, error: new CrmError('ABORTED', 'not sent: the batch was aborted before this record started', { operation, cause: signal?.reason }) };
  }
  return results;
}
