// Shared test harness: process spawning with captured output, checks, the simulator (started
// through tests/js/test/sim.mjs). Every server binds 127.0.0.1; every process started here is
// stopped by its PID.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { startSim as launchSim } from '../test/sim.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const BIN = path.join(ROOT, 'tests/js/node_modules/.bin');
const started = new Set();

/** Counts and prints results; `finish()` prints `N passed, N failed` and exits non-zero on failure. */
export class Checks {
  constructor(prefix = '') { this.passed = 0; this.failed = 0; this.prefix = prefix; }
  ok(name, cond, info = '') {
    if (cond) this.passed++; else this.failed++;
    console.log(`${cond ? 'ok  ' : 'FAIL'} ${this.prefix}${name}${info && !cond ? '  -- ' + info : ''}`);
    return !!cond;
  }
  add(other) { this.passed += other.passed; this.failed += other.failed; }
  async finish() {
    await stopAll();
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed || !this.passed ? 1 : 0);
  }
}

/** Spawn a process, capture stdout+stderr into `.out`, resolve once `ready` matches. */
export function start(cmd, args, { env = {}, cwd = ROOT, ready = /listening on (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs = 60_000, name = path.basename(cmd) } = {}) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  const proc = { child, out: '', name, pid: child.pid };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${timeoutMs} ms\n${proc.out.slice(-3000)}`)), timeoutMs);
    const onData = (d) => {
      proc.out += d.toString();
      const m = ready && ready.exec(proc.out);
      if (m && !proc.match) { proc.match = m; clearTimeout(timer); resolve(proc); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    if (ready === null) child.once('spawn', () => { proc.match = []; clearTimeout(timer); resolve(proc); });
    child.on('exit', (code) => { started.delete(child); proc.exited = code; if (!proc.match) { clearTimeout(timer); reject(new Error(`${name} exited (${code}) before ready:\n${proc.out.slice(-3000)}`)); } });
  });
}

export async function stop(proc) {
  if (!proc || proc.exited !== undefined) return;
  const c = proc.child;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}
export async function stopAll() { for (const c of [...started]) await stop({ child: c }); }
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, async () => { await stopAll(); process.exit(130); });

/**
 * Starts the simulator the one way JS tests do (tests/js/test/sim.mjs): `options` are sim.mjs's
 * (profile, seedRecords, cors, args…), or an array of extra command-line arguments. Resolves
 * sim.mjs's handle (url, username, accessKey, stats(), fault(), close()…) plus `proc` for stop().
 */
export async function startSim(options = {}) {
  const sim = await launchSim(Array.isArray(options) ? { args: options } : options);
  const proc = { child: sim.child, name: 'crmwire-sim', pid: sim.child.pid };
  if (sim.child.exitCode === null) {
    started.add(sim.child);
    sim.child.once('exit', (code) => { started.delete(sim.child); proc.exited = code; });
  }
  return { ...sim, proc };
}

/** The simulator's counters (`GET /__sim/stats`). */
export function simStats(sim) {
  return sim.stats();
}
/** Login count from /__sim/stats. */
export function loginCount(stats) {
  return stats.logins;
}
/** Queue a simulator fault for the next `count` webservice requests (default 1), of one operation if given. */
export function simFault(sim, fault, count = 1, operation = undefined) {
  return sim.fault({ fault, count, operation });
}

/** One webservice call straight to the simulator (own login, md5 from node:crypto); resolves the JSON envelope. */
export async function simDirect(sim, params) {
  const ws = sim.url + '/webservice.php';
  const ch = await (await fetch(`${ws}?${new URLSearchParams({ operation: 'getchallenge', username: sim.username })}`)).json();
  const accessKey = createHash('md5').update(ch.result.token + sim.accessKey).digest('hex');
  const lg = await (await fetch(ws, { method: 'POST', body: new URLSearchParams({ operation: 'login', username: sim.username, accessKey }) })).json();
  const q = new URLSearchParams({ ...params, sessionName: lg.result.sessionName });
  return (await fetch(`${ws}?${q}`)).json();
}

/**
 * A transparent recording forwarder between the proxy and the simulator: it records every
 * sessionName the proxy sends upstream, so the tests can assert it never leaks.
 */
export async function startTap(upstreamUrl) {
  const seen = new Set();
  const srv = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const u = new URL(req.url, 'http://x');
    const q = u.searchParams.get('sessionName');
    if (q) seen.add(q);
    if ((req.headers['content-type'] || '').includes('urlencoded')) {
      const b = new URLSearchParams(body.toString()).get('sessionName');
      if (b) seen.add(b);
    } else {
      const m = /name="sessionName"\r\n\r\n([^\r]+)/.exec(body.toString('latin1'));
      if (m) seen.add(m[1]);
    }
    const headers = { ...req.headers };
    delete headers.host;
    delete headers['content-length'];
    const r = await fetch(upstreamUrl + req.url, { method: req.method, headers, body: req.method === 'GET' ? undefined : body, redirect: 'manual' });
    const out = Buffer.from(await r.arrayBuffer());
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/octet-stream' });
    res.end(out);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}`, sessions: seen, close: () => new Promise((r) => srv.close(r)) };
}

export function tmp(prefix) { return mkdtempSync(path.join(tmpdir(), prefix)); }
