// Loads the crmwire package the way a user does (`import ... from 'crmwire'`), through a node_modules symlink to
// pkg/, and adapts to its API as it lands. Every failure becomes a reason string, never a crash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { linkPackage, pkgManifest } from './util.mjs';

let cached = null;

/** Returns { mod, VtigerClient } or { error }. */
export async function loadCrmwire() {
  if (cached) return cached;
  const m = pkgManifest();
  if (m.error) return (cached = { error: m.error });
  try {
    let mod;
    if (process.env.BENCH_CRMWIRE_DIR) {
      // A copy of pkg/ (e.g. with the name-section wasm, for profiling): its `node` export entry.
      const dir = process.env.BENCH_CRMWIRE_DIR;
      const man = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const dot = man.exports?.['.'] ?? man.exports;
      const entry = (dot && typeof dot === 'object' && (dot.node?.import ?? dot.node ?? dot.import ?? dot.default)) || man.main;
      mod = await import(pathToFileURL(join(dir, typeof entry === 'string' ? entry : entry.default)).href);
    } else {
      linkPackage();
      mod = await import('crmwire');
    }
    // The web entry needs an explicit init; the node entries instantiate on import.
    if (typeof mod.default === 'function' && typeof mod.VtigerClient !== 'function') await mod.default();
    const VtigerClient = mod.VtigerClient || (mod.default && mod.default.VtigerClient);
    if (typeof VtigerClient !== 'function') return (cached = { error: `crmwire has no VtigerClient export (exports: ${Object.keys(mod).join(', ')})` });
    cached = { mod, VtigerClient };
  } catch (e) {
    cached = { error: `import crmwire failed: ${e.message}` };
  }
  return cached;
}

/** A small, uniform facade over both clients so the benchmarks call the same things. */
export function crmwireFacade(VtigerClient, opts) {
  const c = new VtigerClient(opts);
  return {
    raw: c,
    login: () => c.login(),
    retrieve: (id) => c.retrieve(id),
    create: (m, f) => c.create(m, f),
    query: (q) => c.query(q),
    /** First batch of a sync from `since`; the iterator is closed afterwards. */
    async syncFirstBatch(module, since) {
      const it = c.sync(module, { since })[Symbol.asyncIterator]();
      const { value } = await it.next();
      if (it.return) await it.return();
      return value;
    },
    queryAll: (q) => c.queryAll(q),
    sync: (module, since) => c.sync(module, { since }),
    free: () => { if (typeof c.free === 'function') c.free(); },
  };
}
