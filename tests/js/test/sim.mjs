// Starts the real simulator (tests/sim, binary `crmwire-sim`) for a test file: port 0, the
// address and credentials parsed from its stdout, killed when the file's tests end (and on
// process exit). Control routes: faults, stats, clock (tests/sim/README.md).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Path of the release binary (CRMWIRE_SIM overrides; same CARGO_TARGET_DIR as the Makefile). */
export function simBinary() {
  if (process.env.CRMWIRE_SIM) return process.env.CRMWIRE_SIM;
  const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/crmwire-target');
  return path.resolve(root, target, 'release/crmwire-sim');
}

const live = new Set();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Starts a simulator. Options: profile ('vtiger-8.4' | 'vtiger-8.3' | 'patched'), seedRecords,
 * cors, sessionIdleSecs, empty, seed, args (extra CLI arguments).
 */
export async function startSim(o = {}) {
  const bin = simBinary();
  if (!existsSync(bin)) throw new Error(`crmwire-sim not built at ${bin}: run cargo build --release -p crmwire-sim`);
  const args = ['--port', '0', '--profile', o.profile ?? 'vtiger-8.4'];
  if (o.seedRecords !== undefined) args.push('--seed-records', String(o.seedRecords));
  if (o.sessionIdleSecs !== undefined) args.push('--session-idle-secs', String(o.sessionIdleSecs));
  if (o.seed !== undefined) args.push('--seed', String(o.seed));
  if (o.cors) args.push('--cors');
  if (o.empty) args.push('--empty');
  args.push(...(o.args ?? []));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const info = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('crmwire-sim did not start within 15 s')), 15000);
    const fail = (e) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${e.message}\nstdout: ${out}\nstderr: ${stderr}`));
    };
    child.once('exit', (code) => fail(new Error(`crmwire-sim exited with ${code}`)));
    child.once('error', fail);
    child.stdout.on('data', (d) => {
      out += d;
      const lines = out.split('\n');
      if (lines.length < 6) return; // the five lines, then a newline
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0]);
      if (!m) return fail(new Error(`unexpected first line: ${lines[0]}`));
      const kv = Object.fromEntries(lines.slice(1, 5).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ url: m[1], username: kv.username, accessKey: kv['access-key'], perfexToken: kv['perfex-token'], profile: kv.profile });
    });
  });
  const control = async (method, route, body) => {
    const r = await fetch(info.url + route, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${route}: HTTP ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    ...info,
    child,
    /** `{ logins, requests: {op: n}, records: {Module: n}, sessions, now }` */
    stats: () => control('GET', '/__sim/stats'),
    /** Queue fault rule(s): `{ fault, count?, operation?, ms? }`. */
    fault: (rule) => control('POST', '/__sim/faults', rule),
    clearFaults: () => control('DELETE', '/__sim/faults'),
    faults: () => control('GET', '/__sim/faults'),
    advanceClock: (secs) => control('POST', '/__sim/clock', { advance_secs: secs }),
    async close() {
      live.delete(child);
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * A fetch wrapper that records the secrets actually exchanged (session names from login and
 * extendsession answers, challenge tokens, the login digest) so that tests can assert none
 * of them ever shows up in an error or a returned value.
 */
export function spyFetch(accessKey) {
  const secrets = new Set([accessKey]);
  const sent = [];
  const f = async (url, init = {}) => {
    const body = typeof init.body === 'string' ? init.body : '';
    sent.push({ url, method: init.method, body, headers: { ...(init.headers ?? {}) } });
    for (const src of [new URL(url).searchParams, new URLSearchParams(body)]) {
      for (const k of ['sessionName', 'accessKey']) if (src.get(k)) secrets.add(src.get(k));
    }
    const res = await fetch(url, init);
    const text = await res.clone().text();
    for (const m of text.matchAll(/"(sessionName|token)"\s*:\s*"([^"]+)"/g)) secrets.add(m[2]);
    return res;
  };
  return { fetch: f, secrets, sent };
}

/** Every string reachable from an error (message, fields, snippet, cause chain, stack). */
export function errorStrings(e, depth = 0) {
  if (e == null || depth > 4) return [];
  if (typeof e !== 'object') return [String(e)];
  const out = [];
  for (const k of ['message', 'stack', 'code', 'crmCode', 'operation', 'field', 'snippet']) if (e[k] != null) out.push(String(e[k]));
  if (e.fieldErrors) out.push(JSON.stringify(e.fieldErrors));
  if (e.cause) out.push(...errorStrings(e.cause, depth + 1));
  return out;
}

/** Asserts no secret occurs in any string of `values` (errors, results, log lines). */
export function assertNoSecrets(secrets, values, assert) {
  for (const v of values) {
    const strs = v instanceof Error ? errorStrings(v) : [typeof v === 'string' ? v : JSON.stringify(v)];
    for (const s of strs) {
      for (const secret of secrets) {
        if (secret && secret.length >= 6 && s.includes(secret)) assert.fail(`secret ${secret.slice(0, 3)}… leaked in: ${s.slice(0, 200)}`);
      }
    }
  }
}
