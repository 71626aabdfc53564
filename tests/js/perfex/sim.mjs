// Starts crmwire-sim on a free loopback port for the Perfex suites and stops it by PID.
import { spawn } from 'node:child_process';
import { simCommand } from '../proxy/harness.mjs';

/** Resolves `{ url, token, stop() }`; `extra` are simulator flags (e.g. `--perfex-won-defects`). */
export async function startPerfexSim(extra = []) {
  const [cmd, pre] = simCommand();
  const child = spawn(cmd, [...pre, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('crmwire-sim not ready:\n' + out)), 15_000);
    const onData = (d) => {
      out += d.toString();
      const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
      const token = /^perfex-token (\S+)$/m.exec(out)?.[1];
      if (url && token) {
        clearTimeout(timer);
        resolve({ url, token });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`crmwire-sim exited (${code}):\n${out}`));
    });
  });
  return {
    ...info,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
