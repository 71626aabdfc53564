// P5 (issue 12): what the session pool and the bulk writes gain. 400 retrieves and 400 creates
// with `sessions` 1, 2 and 4 (16 callers at once), and createMany of 400 records with
// concurrency 1, 4 and 16 (sessions 4), against crmwire-sim with a 20 ms service time per request
// (a timer inside its per-session lock, like PHP's session file lock: live findings H). Throughput
// ratios against one session, three rounds interleaved (medians: other processes share the machine). With CRMWIRE_REAL_URL (+ _USERNAME, _ACCESS_KEY) the same retrieves
// and creates run against that server (its created records are deleted afterwards), with the
// core count of this machine (the lab runs here).
import { availableParallelism, loadavg } from 'node:os';
import { loadCrmwire } from './crmwire.mjs';
import { SIM_KEY, SIM_USER, findSim, startSim } from './sim.mjs';
import { log, stats, unavailable } from './util.mjs';

const OPS = 400;
const CALLERS = 16;
const SERVICE_MS = 20;

/** Runs `n` calls of `fn(i)` with `callers` in flight at once; resolves to the seconds taken. */
async function timed(n, callers, fn) {
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next < n) await fn(next++);
  }));
  return (performance.now() - t) / 1000;
}

const person = (tag, i) => ({ lastname: `P5 ${tag} ${i}`, email: `p5-${tag}-${i}@example.com`, assigned_user_id: '19x1' });

/**
 * Retrieves and creates with 1, 2, 4 sessions, `rounds` times interleaved (ratios are paired per
 * round; median, min, max); createMany with concurrency 1, 4, 16 (`bulk`, once per round).
 */
async function pass(VtigerClient, target, { bulk, cleanup, rounds }) {
  const made = [];
  const probe = new VtigerClient({ ...target });
  const ids = (await probe.query('SELECT id FROM Contacts LIMIT 20;')).map((r) => r.id);
  if (!ids.length) throw new Error('no Contacts to retrieve');
  const user = (await probe.login()).userId;
  const raw = { sessions: { 1: [], 2: [], 4: [] }, createMany: { 1: [], 4: [], 16: [] } };
  for (let round = 0; round < rounds; round++) {
    for (const sessions of [1, 2, 4]) {
      const c = new VtigerClient({ ...target, sessions });
      // Open every session first (lazily opened, logged in one at a time): not timed.
      await Promise.all(Array.from({ length: sessions * 2 }, (_, i) => c.retrieve(ids[i % ids.length])));
      await c.describe('Contacts');
      const rs = await timed(OPS, CALLERS, (i) => c.retrieve(ids[i % ids.length]));
      const cs = await timed(OPS, CALLERS, (i) => c.create('Contacts', { ...person(`s${sessions}`, i), assigned_user_id: user }).then((r) => made.push(r.id)));
      raw.sessions[sessions].push({ r: OPS / rs, c: OPS / cs });
      log(`  P5 round ${round + 1} sessions ${sessions}: ${(OPS / rs).toFixed(1)} retrieves/s, ${(OPS / cs).toFixed(1)} creates/s`);
      await c.logout();
    }
    if (bulk) {
      const c = new VtigerClient({ ...target, sessions: 4 });
      await Promise.all(Array.from({ length: 8 }, (_, i) => c.retrieve(ids[i % ids.length])));
      await c.describe('Contacts');
      for (const concurrency of [1, 4, 16]) {
        const records = Array.from({ length: OPS }, (_, i) => ({ ...person(`c${concurrency}`, i), assigned_user_id: user }));
        const t = performance.now();
        const r = await c.createMany('Contacts', records, { concurrency });
        const s = (performance.now() - t) / 1000;
        const failed = r.filter((x) => !x.ok).length;
        for (const x of r) if (x.ok) made.push(x.record.id);
        raw.createMany[concurrency].push({ n: OPS / s, failed });
        log(`  P5 round ${round + 1} createMany concurrency ${concurrency}: ${(OPS / s).toFixed(1)} records/s${failed ? `, ${failed} failed` : ''}`);
      }
      await c.logout();
    }
  }
  const out = { rounds, sessions: {}, createMany: {} };
  for (const n of [1, 2, 4]) {
    const xs = raw.sessions[n];
    const base = raw.sessions[1];
    out.sessions[n] = {
      retrievesPerSec: stats(xs.map((x) => x.r)).median,
      createsPerSec: stats(xs.map((x) => x.c)).median,
      retrieveRatios: stats(xs.map((x, i) => x.r / base[i].r)),
      createRatios: stats(xs.map((x, i) => x.c / base[i].c)),
    };
    out.sessions[n].retrieveRatio = out.sessions[n].retrieveRatios.median;
    out.sessions[n].createRatio = out.sessions[n].createRatios.median;
  }
  if (bulk) {
    for (const n of [1, 4, 16]) {
      const xs = raw.createMany[n];
      out.createMany[n] = {
        recordsPerSec: stats(xs.map((x) => x.n)).median,
        ratio: stats(xs.map((x, i) => x.n / raw.createMany[1][i].n)).median,
        failed: xs.reduce((a, x) => a + x.failed, 0),
      };
    }
  }
  if (cleanup) {
    const c = new VtigerClient({ ...target, sessions: 4 });
    const del = await c.deleteMany(made, { concurrency: 4 });
    out.cleanup = { deleted: del.filter((x) => x.ok).length, failed: del.filter((x) => !x.ok).length };
    await c.logout();
  }
  await probe.logout();
  return out;
}

export async function measureP5({ build = true } = {}) {
  const cw = await loadCrmwire();
  if (cw.error) return unavailable(cw.error);
  const res = { available: true, ops: OPS, callers: CALLERS, serviceMs: SERVICE_MS };
  const sim = findSim({ build });
  if (sim.error) return unavailable(sim.error);
  const s = await startSim({ bin: sim.path, seed: 200, profile: 'vtiger-8.4', args: ['--service-ms', String(SERVICE_MS)] });
  if (s.error) return unavailable(s.error);
  try {
    res.sim = await pass(cw.VtigerClient, { url: s.url, username: SIM_USER, accessKey: SIM_KEY }, { bulk: true, cleanup: false, rounds: 3 });
  } catch (e) {
    res.sim = unavailable(`P5 on crmwire-sim failed: ${e.message}`);
  } finally {
    await s.stop();
  }
  const { CRMWIRE_REAL_URL: url, CRMWIRE_REAL_USERNAME: username, CRMWIRE_REAL_ACCESS_KEY: accessKey } = process.env;
  if (url && username && accessKey) {
    try {
      res.live = { url, cores: availableParallelism(), load1m: loadavg()[0], ...(await pass(cw.VtigerClient, { url, username, accessKey }, { bulk: false, cleanup: true, rounds: 1 })) };
    } catch (e) {
      res.live = unavailable(`P5 live failed: ${e.message}`);
    }
  } else res.live = unavailable('CRMWIRE_REAL_URL, CRMWIRE_REAL_USERNAME and CRMWIRE_REAL_ACCESS_KEY not set');
  return res;
}
