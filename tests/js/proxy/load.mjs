// Load figure: the proxy in workerd (www/edge/config.capnp) against the simulator.
//   node tests/js/proxy/load.mjs [N=2000] [C=20]
// Sends N requests at concurrency C (keep-alive, bearer token, a 10-row query), then asserts
// 0 errors and exactly one upstream login (GET /__sim/stats). Writes the figure as JSON to
// tests/bench/results/proxy-load.json: requests/s and latencies, and the CPU time the proxy
// process spent per request (from /proc, where there is one: far less sensitive to other load on
// the machine than the rate). A measurement, not a timed test: no speed threshold.
import http from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Checks, ROOT, startSim, simStats, loginCount, stop } from './harness.mjs';
import { startProxy, proxyEnv, TOKEN } from './runtimes.mjs';

const N = Number(process.argv[2] || 2000);
/** CPU time (user + system, ms) a process has used so far; null without /proc. */
function cpuMs(pid) {
  const f = `/proc/${pid}/stat`;
  if (!existsSync(f)) return null;
  const fields = readFileSync(f, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
}
const C = Number(process.argv[3] || 20);
const c = new Checks('[load] ');
let sim, px;
try {
  sim = await startSim();
  px = await startProxy('workerd', proxyEnv(sim, { PROXY_LOG: '0' }));
  const u = new URL(px.url);
  const query = 'SELECT id, lastname FROM Contacts ORDER BY id LIMIT 10;';
  const reqPath = `${u.pathname}?${new URLSearchParams({ operation: 'query', query })}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: C });
  const one = () => new Promise((resolve) => {
    const t = performance.now();
    const req = http.request({ host: u.hostname, port: u.port, path: reqPath, agent, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ok: res.statusCode === 200 && body.startsWith('{"success":true'), ms: performance.now() - t, status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ ok: false, ms: performance.now() - t, status: 0, body: String(e) }));
    req.end();
  });
  const run = async (n) => {
    let next = 0;
    const lat = [];
    const errors = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: C }, async () => {
      while (next < n) {
        next++;
        const r = await one();
        lat.push(r.ms);
        if (!r.ok) errors.push(`${r.status} ${r.body.slice(0, 160)}`);
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    const q = (x) => +lat[Math.min(lat.length - 1, Math.floor(x * lat.length))].toFixed(2);
    return { n, secs: +secs.toFixed(3), rps: Math.round(n / secs), p50_ms: q(0.5), p99_ms: q(0.99), errors };
  };
  const l0 = loginCount(await simStats(sim));
  const c0 = cpuMs(px.proc.pid);
  const r = await run(N);
  const c1 = cpuMs(px.proc.pid);
  agent.destroy();
  const logins = loginCount(await simStats(sim)) - l0;
  c.ok(`${N} requests at concurrency ${C}: 0 errors`, r.errors.length === 0, `${r.errors.length} errors, first: ${r.errors[0]}`);
  c.ok('exactly one upstream login', logins === 1, String(logins));
  const figure = {
    name: 'proxy-load',
    what: `crmwire/proxy in workerd serve (www/edge/config.capnp) -> crmwire-sim; GET query (10 rows) with a bearer token; keep-alive; N=${N}, concurrency=${C}; proxy request log off`,
    runtime: 'workerd (tests/js/node_modules/.bin/workerd)',
    requests: N,
    concurrency: C,
    seconds: r.secs,
    requests_per_second: r.rps,
    p50_ms: r.p50_ms,
    p99_ms: r.p99_ms,
    proxy_cpu_us_per_request: c0 === null ? null : Math.round(((c1 - c0) * 1000) / N),
    errors: r.errors.length,
    upstream_logins: logins,
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
