// P4 child: one bulk pass over the simulator's Contacts, in a fresh process. Prints one JSON line.
//   node --expose-gc p4-child.mjs <variant> <simUrl> [--record file] [--replay file] [--expect N] [--checkpoints]
// variants:
//   crmwire-queryAll  for await (row of client.queryAll('SELECT * FROM Contacts;'))
//   crmwire-sync      for await (batch of client.sync('Contacts', {since: 0}))
//   raw-query         the practical limit: fetch the same pages + JSON.parse, nothing else. With --replay it
//   raw-sync          re-issues exactly the requests crmwire made (recorded with --record); without, it pages itself
//                     (keyset on id / lastModifiedTime).
// Memory: process.memoryUsage.rss() after every page (and every 100 rows), peak vs the baseline after login.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RefVtigerClient } from './lib/ref-client.mjs';
import { crmwireFacade, loadCrmwire } from './lib/crmwire.mjs';
import { SIM_KEY, SIM_USER } from './lib/sim.mjs';

const [variant, url] = process.argv.slice(2);
const arg = (n) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : null; };
const EXPECT = +(arg('expect') || 100000);
const MAX_PAGES = Math.ceil(EXPECT / 100) * 2 + 20; // bound every loop
const recordPath = arg('record');
const replayPath = arg('replay');
const gc = globalThis.gc || (() => {});
const out = { variant };

let rssPeak = 0;
let rssAt10 = null;
let records = 0;
// Live memory: at every 10 % of the records, a full GC, then heapUsed + external (JS objects and buffers still
// reachable) and RSS. A bounded iterator keeps these flat from the first checkpoint on.
// Only with --checkpoints: the full GCs would otherwise add the same fixed time to both variants' throughput.
const checkpoints = [];
let nextCheckpoint = process.argv.includes('--checkpoints') ? EXPECT / 10 : Infinity;
const MiB = 2 ** 20;
const sample = () => {
  const r = process.memoryUsage.rss();
  if (r > rssPeak) rssPeak = r;
  if (rssAt10 === null && records >= EXPECT / 10) rssAt10 = r;
  if (records >= nextCheckpoint) {
    nextCheckpoint += EXPECT / 10;
    gc();
    const m = process.memoryUsage();
    checkpoints.push({ records, liveMiB: (m.heapUsed + m.external) / MiB, rssMiB: m.rss / MiB, wasmMiB: wasmMemory ? wasmMemory.buffer.byteLength / MiB : null });
  }
};
// The wasm linear memory (it never shrinks): captured from the instance the package creates.
let wasmMemory = null;
{
  const I = WebAssembly.Instance;
  function Instance(...a) { const i = new I(...a); if (i.exports.memory) wasmMemory = i.exports.memory; return i; }
  Instance.prototype = I.prototype;
  Object.setPrototypeOf(Instance, I);
  WebAssembly.Instance = Instance;
  const inst = WebAssembly.instantiate;
  WebAssembly.instantiate = async function (...a) {
    const r = await inst.apply(this, a);
    const i = r.instance || r;
    if (i.exports && i.exports.memory) wasmMemory = i.exports.memory;
    return r;
  };
}

const recorded = [];
const recFetch = async (input, init = {}) => {
  const isReq = typeof input === 'object' && input instanceof Request;
  const method = (init.method || (isReq ? input.method : 'GET')).toUpperCase();
  let body = init.body ?? null;
  if (isReq && body == null && method !== 'GET') body = await input.clone().text();
  if (body != null && typeof body !== 'string') body = String(body);
  recorded.push({ method, url: isReq ? input.url : String(input), body });
  return fetch(input, init);
};

try {
  let run;
  if (variant.startsWith('crmwire-')) {
    const l = await loadCrmwire();
    if (l.error) throw new Error(l.error);
    const c = crmwireFacade(l.VtigerClient, { url, username: SIM_USER, accessKey: SIM_KEY, fetch: recordPath ? recFetch : fetch });
    await c.login();
    if (variant === 'crmwire-queryAll') {
      run = async () => {
        for await (const row of c.queryAll('SELECT * FROM Contacts;')) {
          if (row.id) records++;
          if (records % 100 === 0) sample();
        }
      };
    } else {
      run = async () => {
        let pages = 0;
        for await (const b of c.sync('Contacts', 0)) {
          records += b.updated.length + b.deleted.length;
          sample();
          if (++pages > MAX_PAGES) throw new Error('too many sync pages');
        }
      };
    }
  } else {
    const ref = new RefVtigerClient({ url, username: SIM_USER, accessKey: SIM_KEY });
    await ref.login();
    const session = ref.sessionName;
    const page = async (u, method = 'GET', body = null) => {
      const res = await fetch(u, body == null ? { method } : { method, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const env = JSON.parse(await res.text());
      if (!env.success) throw new Error(`${env.error.code}: ${env.error.message}`);
      return env.result;
    };
    const count = (r) => (Array.isArray(r) ? r.length : r.updated.length + r.deleted.length);
    if (replayPath) {
      const rep = JSON.parse(readFileSync(replayPath, 'utf8'));
      const sub = (s) => (s == null ? s : s.split(rep.session).join(session));
      out.mode = `replay of ${rep.requests.length} requests crmwire made`;
      run = async () => {
        for (const q of rep.requests) {
          records += count(await page(sub(q.url), q.method, sub(q.body)));
          sample();
        }
      };
    } else if (variant === 'raw-query') {
      out.mode = 'self-paged: keyset id > last ORDER BY id LIMIT 100 until an empty page';
      run = async () => {
        let last = '12x0';
        for (let p = 0; p < MAX_PAGES; p++) {
          const q = `SELECT * FROM Contacts WHERE id > '${last}' ORDER BY id LIMIT 100;`;
          const rows = await page(`${ref.endpoint}?${new URLSearchParams({ operation: 'query', sessionName: session, query: q })}`);
          if (rows.length === 0) return;
          records += rows.length;
          last = rows[rows.length - 1].id;
          sample();
        }
        throw new Error('too many pages');
      };
    } else {
      out.mode = 'self-paged: modifiedTime = lastModifiedTime while more';
      run = async () => {
        let since = 0;
        for (let p = 0; p < MAX_PAGES; p++) {
          const r = await page(`${ref.endpoint}?${new URLSearchParams({ operation: 'sync', sessionName: session, modifiedTime: String(since), elementType: 'Contacts', syncType: 'application' })}`);
          records += r.updated.length + r.deleted.length;
          sample();
          if (!r.more) return;
          since = r.lastModifiedTime;
        }
        throw new Error('too many pages');
      };
    }
  }
  gc();
  const rssBase = process.memoryUsage.rss();
  rssPeak = rssBase;
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  sample();
  const first = checkpoints[0];
  const last = checkpoints.at(-1);
  Object.assign(out, {
    records, ms, recordsPerSec: (records * 1000) / ms,
    rssBaseMiB: rssBase / MiB, rssPeakMiB: rssPeak / MiB, rssGrowthMiB: (rssPeak - rssBase) / MiB,
    rssGrowthAfter10pctMiB: rssAt10 == null ? null : (rssPeak - rssAt10) / MiB,
    // Growth = the lowest live heap of the last three checkpoints minus the lowest of the first three: single
    // checkpoints swing by several MiB either way (V8 code space, promotions); the minima rise with a real leak.
    liveGrowthMiB: checkpoints.length >= 6 ? minLive(checkpoints.slice(-3)) - minLive(checkpoints.slice(0, 3)) : first && last ? last.liveMiB - first.liveMiB : null,
    liveMaxMiB: checkpoints.length ? Math.max(...checkpoints.map((c) => c.liveMiB)) : null,
    wasmMemoryMiB: wasmMemory ? wasmMemory.buffer.byteLength / MiB : null,
    checkpoints,
  });
  if (recordPath) {
    const first = recorded.find((r) => /sessionName=([0-9a-z]+)/.test(r.url + (r.body || '')));
    const session = first ? (first.url + (first.body || '')).match(/sessionName=([0-9a-z]+)/)[1] : '';
    const reqs = recorded.filter((r) => !/operation=(getchallenge|login)\b/.test(r.url + '&' + (r.body || '')));
    writeFileSync(recordPath, JSON.stringify({ session, requests: reqs }));
    out.requests = reqs.length;
  }
  // A replayed sync re-reads each page's boundary second (the records crmwire de-duplicates), so its row count
  // is higher than the number of records by design.
  if (replayPath && variant === 'raw-sync') out.note = `${records} rows in the pages for ${EXPECT} records (the boundary second is re-read; crmwire delivers each record once)`;
  else if (records !== EXPECT) out.warning = `saw ${records} records, expected ${EXPECT}`;
} catch (e) {
  out.error = `${e.name}: ${e.message}`.slice(0, 400);
}
process.stdout.write(JSON.stringify(out) + '\n');

function minLive(cs) {
  return Math.min(...cs.map((c) => c.liveMiB));
}
