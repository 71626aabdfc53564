// Shared helpers for the crmwire benchmark harness: statistics, paths, machine facts, gzip, child processes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import { cpus, totalmem, release, platform, arch, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants as zc } from 'node:zlib';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(BENCH_DIR, '..', '..');
export const PKG_DIR = join(REPO, 'pkg');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const FIXTURES_DIR = join(BENCH_DIR, 'fixtures');
/** The one copy of the real Vtiger recordings, shared with the core tests and the simulator's replay. */
export const RECORDED_DIR = join(REPO, 'tests', 'fixtures', 'vtiger');

/** Summary of repeated samples: median, min, max and the count. */
export function stats(samples) {
  const xs = samples.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { median, min: xs[0], max: xs[xs.length - 1], n: xs.length };
}

/** A figure that could not be measured, with the reason. Never throws upward. */
export function unavailable(why) {
  return { available: false, why: String(why && why.message ? why.message : why).split('\n')[0].slice(0, 300) };
}

export function gzipSize(buf) {
  return gzipSync(buf, { level: zc.Z_BEST_COMPRESSION }).length;
}

export function machine() {
  const c = cpus();
  let commit = null;
  let dirty = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'pkg', 'Cargo.toml', 'Cargo.lock'], { cwd: REPO, encoding: 'utf8' }).trim() !== '';
  } catch { /* not a git checkout */ }
  return {
    date: new Date().toISOString(),
    cores: c.length,
    cpu: c[0] ? c[0].model.trim() : 'unknown',
    memGiB: +(totalmem() / 2 ** 30).toFixed(1),
    os: `${platform()} ${release()} ${arch()}`,
    loadavg1m: +loadavg()[0].toFixed(2),
    node: process.version,
    v8: process.versions.v8,
    commit,
    dirty,
  };
}

/** Makes `import 'crmwire'` from tests/bench resolve to the repo's pkg/ through its real export map. */
export function linkPackage() {
  const nm = join(BENCH_DIR, 'node_modules');
  const link = join(nm, 'crmwire');
  mkdirSync(nm, { recursive: true });
  const target = relative(nm, PKG_DIR);
  try {
    const st = lstatSync(link);
    if (st.isSymbolicLink() && readlinkSync(link) === target) return link;
    unlinkSync(link);
  } catch { /* absent */ }
  symlinkSync(target, link, 'dir');
  return link;
}

/** The package's manifest, or a reason it is not there yet. */
export function pkgManifest() {
  const p = join(PKG_DIR, 'package.json');
  if (!existsSync(p)) return { error: 'pkg/package.json not found (run `make pkg`)' };
  try { return { manifest: JSON.parse(readFileSync(p, 'utf8')) }; } catch (e) { return { error: `pkg/package.json: ${e.message}` }; }
}

/**
 * Runs `node <script> <args>` in a fresh process (cwd tests/bench) and parses the last stdout line that is JSON.
 * Bounded by a timeout; the child is killed by its pid only.
 */
export function runNodeChild(script, args = [], { timeoutMs = 120_000, nodeArgs = [], env = {} } = {}) {
  return new Promise((resolveP) => {
    const child = spawn(process.execPath, [...nodeArgs, join(BENCH_DIR, script), ...args], {
      cwd: BENCH_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; if (err.length > 20000) err = err.slice(-20000); });
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n').reverse();
      for (const l of lines) {
        if (l.startsWith('{')) {
          try { resolveP({ code, ...JSON.parse(l) }); return; } catch { /* keep looking */ }
        }
      }
      resolveP({ code, error: `child ${script} exited ${code ?? signal}: ${(err || out).trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` });
    });
  });
}

export function fmtBytes(n) {
  if (n == null) return 'n/a';
  return n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function fmtNum(x, digits = 0) {
  if (x == null || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function log(...a) {
  process.stderr.write(a.join(' ') + '\n');
}
