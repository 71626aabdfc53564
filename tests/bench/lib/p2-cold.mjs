// P2: cold start in Node, each sample in a fresh process (so no V8 code cache, no warm JIT, no instantiated module).
import { join } from 'node:path';
import { PKG_DIR, linkPackage, runNodeChild, stats, unavailable, log } from './util.mjs';

export async function measureP2({ runs = 15, wasmPath, vtigerWasmPath } = {}) {
  const res = { available: true, runs };
  linkPackage();
  // crmwire: import 'crmwire'; vtiger: import 'crmwire/vtiger' (issue 13's figures); ref: the plain-JS client.
  const modes = { crmwire: [], vtiger: [], ref: [] };
  if (wasmPath) modes.instantiate = [];
  if (vtigerWasmPath) modes.instantiateVtiger = [];
  const errors = {};
  for (let i = 0; i < runs; i++) {
    // Interleave the modes so drift (thermal, page cache) hits all of them alike.
    for (const m of Object.keys(modes)) {
      if (errors[m]) continue;
      const args = m === 'instantiate' ? [m, join(PKG_DIR, wasmPath)] : m === 'instantiateVtiger' ? ['instantiate', join(PKG_DIR, vtigerWasmPath)] : [m];
      const r = await runNodeChild('p2-child.mjs', args, { timeoutMs: 30_000 });
      if (r.error) { errors[m] = r.error; log(`  P2 ${m}: ${r.error}`); continue; }
      modes[m].push(r);
    }
  }
  const pick = (arr, k) => stats(arr.map((r) => r[k]));
  for (const [m, arr] of Object.entries(modes)) {
    if (errors[m] && arr.length === 0) { res[m] = unavailable(errors[m]); continue; }
    const keys = Object.keys(arr[0]).filter((k) => typeof arr[0][k] === 'number');
    res[m] = { available: true };
    for (const k of keys) res[m][k] = pick(arr, k);
    if (arr[0].wasmCalls) res[m].wasmCalls = arr[0].wasmCalls;
  }
  return res;
}
