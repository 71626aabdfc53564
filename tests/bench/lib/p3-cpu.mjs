// P3: per-call client CPU, crmwire vs the reference JS client (see p3-child.mjs), in a fresh process.
import { runNodeChild, stats, unavailable } from './util.mjs';

export async function measureP3({ rounds = 7, ms = 400, warm = 300, only, timeoutMs = 600_000 } = {}) {
  const args = ['--rounds', String(rounds), '--ms', String(ms), '--warm', String(warm)];
  if (only) args.push('--only', only);
  const r = await runNodeChild('p3-child.mjs', args, { nodeArgs: ['--expose-gc'], timeoutMs });
  if (r.error) return unavailable(r.error);
  const res = { available: true, rounds, msPerRound: ms, clients: r.clients, ops: {} };
  for (const [name, o] of Object.entries(r.ops)) {
    const e = { fixtures: o.fixtures };
    if (o.error) { res.ops[name] = { ...e, ...unavailable(o.error) }; continue; }
    for (const k of ['floor', 'ref', 'crmwire']) {
      const s = o.samples[k];
      if (o[`${k}Error`] && !(s && s.length)) { e[k] = unavailable(o[`${k}Error`]); continue; }
      if (!s) { e[k] = unavailable(r.clients[k]?.why || 'not run'); continue; }
      e[k] = {
        available: true,
        opsPerSec: stats(s.map((x) => x.opsPerSec)),
        cpuUsPerOp: stats(s.map((x) => x.cpuUsPerOp)),
        requestsPerCall: o[`${k}RequestsPerCall`],
      };
    }
    const a = o.samples.ref;
    const b = o.samples.crmwire;
    const f = o.samples.floor;
    if (a && b && a.length && b.length) {
      const n = Math.min(a.length, b.length, f ? f.length : Infinity);
      const pairs = [...Array(n).keys()];
      // Paired per round (same round, adjacent in time). speedRatio > 1: crmwire does more calls/s.
      // cpuRatio > 1: crmwire spends more CPU per call. "net": after subtracting the in-memory fetch's own cost.
      e.speedRatio = stats(pairs.map((i) => b[i].opsPerSec / a[i].opsPerSec));
      e.cpuRatio = stats(pairs.map((i) => b[i].cpuUsPerOp / a[i].cpuUsPerOp));
      if (f) {
        const wall = (x) => 1e6 / x.opsPerSec; // µs of wall time per call
        e.netUsPerCall = {
          ref: stats(pairs.map((i) => wall(a[i]) - wall(f[i]))),
          crmwire: stats(pairs.map((i) => wall(b[i]) - wall(f[i]))),
        };
        e.netRatio = stats(pairs.map((i) => (wall(b[i]) - wall(f[i])) / (wall(a[i]) - wall(f[i]))));
      }
    }
    res.ops[name] = e;
  }
  return res;
}
