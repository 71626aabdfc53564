// P4: bulk paging over 100,000 Contacts on crmwire-sim (loopback): crmwire queryAll / sync vs a raw loop that
// fetches the same pages and JSON.parses them. Each run is a fresh process; runs alternate crmwire and raw.
import { join } from 'node:path';
import { RESULTS_DIR, log, runNodeChild, stats, unavailable } from './util.mjs';
import { findSim, startSim } from './sim.mjs';

export async function measureP4({ runs = 5, seed = 100000, build = true, timeoutMs = 600_000, profile = true } = {}) {
  const sim = findSim({ build });
  if (sim.error) return unavailable(sim.error);
  const t0 = Date.now();
  const s = await startSim({ bin: sim.path, seed, profile: 'patched' });
  if (s.error) return unavailable(s.error);
  const res = { available: true, runs, records: seed, sim: s.args, simStartMs: Date.now() - t0, kinds: {} };
  log(`  crmwire-sim up at ${s.url} (seeded ${seed} in ${res.simStartMs} ms)`);
  try {
    for (const kind of ['queryAll', 'sync']) {
      const crm = `crmwire-${kind}`;
      const raw = kind === 'queryAll' ? 'raw-query' : 'raw-sync';
      const child = (variant, extra = []) => runNodeChild('p4-child.mjs', [variant, s.url, '--expect', String(seed), ...extra], { nodeArgs: ['--expose-gc'], timeoutMs });
      const k = { crmwire: [], raw: [] };
      // Untimed pass: records the exact requests crmwire makes, so the raw loop can fetch the same pages. Also warms the sim.
      const replay = join(RESULTS_DIR, `p4-${kind}-requests.tmp`);
      const rec = await child(crm, ['--record', replay]);
      let crmError = rec.error || null;
      const rawArgs = crmError ? [] : ['--replay', replay];
      if (crmError) log(`  P4 ${crm}: ${crmError} (raw loop pages by itself)`);
      else if (rec.warning) log(`  P4 ${crm}: ${rec.warning}`);
      const errs = {};
      for (let i = 0; i < runs; i++) {
        const order = i % 2 ? [raw, crm] : [crm, raw];
        for (const v of order) {
          if (v === crm && crmError) continue;
          if (errs[v]) continue;
          const r = await child(v, v === raw ? rawArgs : []);
          if (r.error) { errs[v] = r.error; log(`  P4 ${v}: ${r.error}`); continue; }
          (v === crm ? k.crmwire : k.raw).push(r);
        }
      }
      // Memory pass: one more run per variant with a full GC + live-heap reading at every 10 % (not timed).
      const mem = {};
      for (const v of [crm, raw]) {
        if ((v === crm && crmError) || errs[v]) continue;
        const r = await child(v, [...(v === raw ? rawArgs : []), '--checkpoints']);
        if (r.error) log(`  P4 ${v} memory pass: ${r.error}`); else mem[v] = r;
      }
      const summarize = (arr, err, m) => {
        if (!arr.length) return unavailable(err || 'no runs');
        return {
          available: true,
          mode: arr[0].mode,
          recordsSeen: arr[0].records,
          warning: arr.find((r) => r.warning)?.warning,
          note: arr.find((r) => r.note)?.note,
          recordsPerSec: stats(arr.map((r) => r.recordsPerSec)),
          ms: stats(arr.map((r) => r.ms)),
          rssBaseMiB: stats(arr.map((r) => r.rssBaseMiB)),
          rssPeakMiB: stats(arr.map((r) => r.rssPeakMiB)),
          rssGrowthMiB: stats(arr.map((r) => r.rssGrowthMiB)),
          rssGrowthAfter10pctMiB: stats(arr.map((r) => r.rssGrowthAfter10pctMiB)),
          liveGrowthMiB: m ? stats([m.liveGrowthMiB]) : null,
          liveMaxMiB: m ? stats([m.liveMaxMiB]) : null,
          wasmMemoryMiB: stats(arr.map((r) => r.wasmMemoryMiB)),
          checkpoints: m ? m.checkpoints : null,
        };
      };
      const e = {
        requests: rec.requests ?? null,
        crmwire: summarize(k.crmwire, crmError || errs[crm], mem[crm]),
        raw: summarize(k.raw, errs[raw], mem[raw]),
      };
      const n = Math.min(k.crmwire.length, k.raw.length);
      // Both variants make the same requests (the raw loop replays crmwire's), so the ratio is of wall times: for sync
      // the raw loop counts the re-read boundary rows that crmwire de-duplicates, and records/s would favour it.
      if (n) e.ratio = stats([...Array(n).keys()].map((i) => k.raw[i].ms / k.crmwire[i].ms));
      // Under the goal: one more crmwire pass under node --cpu-prof, to say what dominates.
      if (profile && e.ratio && e.ratio.median < 0.9) {
        const { profileChild } = await import('./cpuprof.mjs');
        log(`  P4 ${crm}: ${e.ratio.median.toFixed(2)}× the raw loop; profiling one pass`);
        e.profile = await profileChild('p4-child.mjs', [crm, s.url, '--expect', String(seed)], {
          name: `p4-profile-${kind}`, title: `crmwire ${kind} over ${seed} Contacts from crmwire-sim (one pass, includes waiting on the server)`, timeoutMs,
        });
      }
      res.kinds[kind] = e;
    }
  } finally {
    await s.stop();
  }
  return res;
}
