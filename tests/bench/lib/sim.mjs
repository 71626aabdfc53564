// Starts crmwire-sim on loopback for P4 and the fixture capture; stops it by its pid.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO, log } from './util.mjs';

export const SIM_USER = 'admin';
export const SIM_KEY = 'benchAccessKey0123';

function candidates() {
  const dirs = [process.env.CARGO_TARGET_DIR, join(homedir(), '.cache', 'crmwire-target'), join(REPO, 'target'), '/work/tgt-sim'];
  return [process.env.CRMWIRE_SIM, ...dirs.filter(Boolean).map((d) => join(d, 'release', 'crmwire-sim'))].filter(Boolean);
}

/** Path of the newest crmwire-sim binary; with build=true, runs `cargo build --release -p crmwire-sim` first. */
export function findSim({ build = false } = {}) {
  let buildError = null;
  if (build && !process.env.CRMWIRE_SIM) {
    try {
      log('  building crmwire-sim (cargo build --release --locked -p crmwire-sim) ...');
      execFileSync('cargo', ['build', '--release', '--locked', '-p', 'crmwire-sim'], {
        cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000,
        env: { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'crmwire-target') },
      });
    } catch (e) {
      buildError = String(e.stderr || e.message).trim().split('\n').filter((l) => /error/.test(l)).slice(0, 2).join(' | ') || e.message;
      log(`  crmwire-sim build failed: ${buildError}`);
    }
  }
  const found = candidates().filter((p) => existsSync(p)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found.length) return { error: `crmwire-sim binary not found${buildError ? ` (build failed: ${buildError})` : ''}` };
  return { path: found[0], buildError };
}

/** Spawns the simulator and resolves with { url, pid, stop() } once it prints its address. */
export function startSim({ profile = 'patched', seed = 100000, bin, timeoutMs = 300_000, args: extra = [] } = {}) {
  return new Promise((resolveP) => {
    const args = ['--port', '0', '--profile', profile, '--seed-records', String(seed), '--access-key', SIM_KEY, '--username', SIM_USER, ...extra];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const stop = () => new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
      setTimeout(() => { if (child.exitCode === null) child.kill('SIGKILL'); }, 3000).unref();
    });
    const finish = (v) => { if (!done) { done = true; clearTimeout(timer); resolveP(v); } };
    const timer = setTimeout(() => { stop(); finish({ error: `crmwire-sim did not report its address within ${timeoutMs} ms: ${out.slice(-300)}` }); }, timeoutMs);
    const onData = (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) finish({ url: m[1], pid: child.pid, stop, args: `${bin} ${args.join(' ')}` });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => finish({ error: `crmwire-sim: ${e.message}` }));
    child.on('exit', (code) => finish({ error: `crmwire-sim exited ${code}: ${out.slice(-300)}` }));
    process.once('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  });
}
