// Shared test harness: simulator start/stop, process spawning with captured output, checks.
// Every server binds 127.0.0.1; every process started here is stopped by its PID.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { createHash } from 'node:crypto';

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

/** The simulator binary (SIM_BIN overrides; SIM_CMD="node /path/fake.mjs" for development only). */
export function simCommand() {
  if (process.env.SIM_CMD) { const [c, ...a] = process.env.SIM_CMD.split(' '); return [c, a]; }
  const candidates = [
    process.env.SIM_BIN,
    path.join(process.env.CARGO_TARGET_DIR || path.join(process.env.HOME, '.cache/crmwire-target'), 'release/crmwire-sim'),
    '/work/tgt-sim/release/crmwire-sim',
    path.join(ROOT, 'target/release/crmwire-sim'),
  ].filter(Boolean);
  const bin = candidates.find((p) => existsSync(p));
  if (!bin) throw new Error(`crmwire-sim binary not found (tried ${candidates.join(', ')}); build it: cargo build --release -p crmwire-sim, or set SIM_BIN`);
  return [bin, []];
}

/** Start the simulator on a free port; resolves { url, username, accessKey, proc }. */
export async function startSim(extra = []) {
  const [cmd, pre] = simCommand();
  const proc = await start(cmd, [...pre, '--port', '0', ...extra], { name: 'crmwire-sim' });
  // credential lines follow the listening line
  const deadline = Date.now() + 5000;
  let username, accessKey;
  while (Date.now() < deadline) {
    username = /^\s*user(?:name)?(?:\s*[:=]\s*|\s+)(\S+)/im.exec(proc.out)?.[1];
    accessKey = /^\s*access[ _-]?key(?:\s*[:=]\s*|\s+)(\S+)/im.exec(proc.out)?.[1];
    if (username && accessKey) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!username || !accessKey) throw new Error('simulator printed no credentials:\n' + proc.out);
  return { url: proc.match[1], username, accessKey, proc };
}

export async function simStats(sim) {
  const r = await fetch(sim.url + '/__sim/stats');
  return r.json();
}
/** Login count from /__sim/stats, whatever the exact field name is. */
export function loginCount(stats) {
  const find = (o) => {
    if (!o || typeof o !== 'object') return undefined;
    for (const [k, v] of Object.entries(o)) {
      if (/^logins?$|^login_count$|^loginCount$/i.test(k) && typeof v === 'number') return v;
    }
    for (const v of Object.values(o)) { const x = find(v); if (x !== undefined) return x; }
    return undefined;
  };
  return find(stats);
}
/** Queue a simulator fault for the next `count` webservice requests (default 1), of one operation if given. */
export async function simFault(sim, fault, count = 1, operation = undefined) {
  const r = await fetch(sim.url + '/__sim/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault, count, operation }) });
  if (!r.ok) throw new Error(`fault ${fault}: HTTP ${r.status} ${await r.text()}`);
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
