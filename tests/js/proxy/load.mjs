// P6, the proxy load figure: crmwire/proxy in workerd against the simulator, with the upstream state
// in memory (www/edge/config.capnp: one worker) and in a Durable Object (www/edge/durable.capnp:
// two edge services bound to one object, the requests spread over both).
//   node tests/js/proxy/load.mjs [N=2000] [C=20] [ROUNDS=3]
// Each round starts each setup afresh and sends N requests at concurrency C (keep-alive, bearer
// token, a 10-row query), memory then Durable Object; the figure is the median over the rounds.
// Asserts 0 errors and exactly one upstream login per setup (GET /__sim/stats). Writes the figure
// to tests/bench/results/proxy-load.json: requests/s, p50/p99 latencies, and the CPU time the
// workerd process spent per request (from /proc, where there is one: far less sensitive to other
// load on the machine than the rate). A measurement, not a timed test: no speed threshold.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Checks, ROOT, startSim, simStats, loginCount, stop } from './harness.mjs';
import { startDurable, startProxy, proxyEnv, TOKEN } from './runtimes.mjs';
import { load } from './loadgen.mjs';

const N = Number(process.argv[2] || 2000);
const C = Number(process.argv[3] || 20);
const ROUNDS = Number(process.argv[4] || 3);
const WARMUP = Number(process.env.WARMUP ?? 400);

/** CPU time (user + system, ms) a process has used so far; null without /proc. */
function cpuMs(pid) {
  const f = `/proc/${pid}/stat`;
  if (!existsSync(f)) return null;
  const fields = readFileSync(f, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

const SETUPS = {
  memory: { what: 'memoryStore: one worker (www/edge/config.capnp)', start: (env) => startProxy('workerd', env).then((p) => ({ urls: [p.url], proc: p.proc })) },
  durable: { what: 'durableObjectStore: two edge services and the Durable Object (www/edge/durable.capnp), requests alternating', start: startDurable },
};

const c = new Checks('[load] ');
let sim, px;
const runs = { memory: [], durable: [] };
try {
  sim = await startSim();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, setup] of Object.entries(SETUPS)) {
      px = await setup.start(proxyEnv(sim, { PROXY_LOG: '0' }));
      const l0 = loginCount(await simStats(sim));
      const warm = await load(px.urls, WARMUP, C, TOKEN); // the login, the JIT of every isolate
      const c0 = cpuMs(px.proc.pid);
      const r = await load(px.urls, N, C, TOKEN);
      const c1 = cpuMs(px.proc.pid);
      const logins = loginCount(await simStats(sim)) - l0;
      await stop(px.proc);
      px = null;
      r.errors.push(...warm.errors);
      runs[name].push({ ...r, logins, cpu_us: c0 === null ? null : Math.round(((c1 - c0) * 1000) / N) });
      console.log(`# round ${round + 1} ${name}: ${r.rps} requests/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, workerd CPU ${runs[name].at(-1).cpu_us} us/request, ${logins} login(s), ${r.errors.length} errors`);
    }
  }
  const fig = (name) => {
    const rs = runs[name];
    return {
      setup: SETUPS[name].what,
      requests_per_second: median(rs.map((r) => r.rps)),
      p50_ms: median(rs.map((r) => r.p50_ms)),
      p99_ms: median(rs.map((r) => r.p99_ms)),
      workerd_cpu_us_per_request: rs[0].cpu_us === null ? null : median(rs.map((r) => r.cpu_us)),
      upstream_logins: rs.map((r) => r.logins),
      errors: rs.reduce((n, r) => n + r.errors.length, 0),
      rounds: rs.map(({ rps, p50_ms, p99_ms, cpu_us }) => ({ rps, p50_ms, p99_ms, cpu_us })),
    };
  };
  const memory = fig('memory');
  const durable = fig('durable');
  for (const [name, f] of [['memory', memory], ['durable', durable]]) {
    c.ok(`${name}: ${ROUNDS} × ${N} requests at concurrency ${C}: 0 errors`, f.errors === 0, `${f.errors} errors, first: ${runs[name].flatMap((r) => r.errors)[0]}`);
    c.ok(`${name}: exactly one upstream login per run`, f.upstream_logins.every((l) => l === 1), String(f.upstream_logins));
  }
  const figure = {
    name: 'proxy-load',
    what: `crmwire/proxy in workerd serve -> crmwire-sim; GET query (10 rows) with a bearer token; keep-alive; N=${N}, concurrency=${C}, median of ${ROUNDS} rounds; proxy request log off`,
    runtime: 'workerd (tests/js/node_modules/.bin/workerd)',
    requests: N,
    concurrency: C,
    // the in-memory figure at the top level, as before P6
    requests_per_second: memory.requests_per_second,
    p50_ms: memory.p50_ms,
    p99_ms: memory.p99_ms,
    memory,
    durable,
    durable_throughput_cost_pct: Math.round((1 - durable.requests_per_second / memory.requests_per_second) * 1000) / 10,
    durable_cpu_cost_pct: memory.workerd_cpu_us_per_request ? Math.round((durable.workerd_cpu_us_per_request / memory.workerd_cpu_us_per_request - 1) * 1000) / 10 : null,
    node: process.version,
    date: new Date().toISOString(),
  };
  console.log(JSON.stringify(figure));
  const out = path.join(ROOT, 'tests/bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'proxy-load.json'), JSON.stringify(figure, null, 2) + '\n');
} catch (e) {
  c.ok('load run completed', false, e.stack || String(e));
} finally {
  await stop(px?.proc);
  await sim?.close();
}
await c.finish();
