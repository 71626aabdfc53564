// Runs the node:test suites in tests/js/test/ against the built package, imported BY NAME:
// tests/js/node_modules/crmwire is a link to pkg/ (as `npm link` would make it).
// The suites start the simulator themselves (tests/js/test/sim.mjs).
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const jsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const link = path.join(jsDir, 'node_modules/crmwire');
try {
  if (!lstatSync(link).isSymbolicLink()) rmSync(link, { recursive: true, force: true });
  else rmSync(link);
} catch {}
symlinkSync(path.resolve(jsDir, '../../pkg'), link, 'dir');
const files = ['test', 'perfex'].flatMap((dir) =>
  readdirSync(path.join(jsDir, dir))
    .filter((f) => f.endsWith('.test.mjs'))
    .filter((f) => !process.env.ONLY || f.includes(process.env.ONLY))
    .map((f) => path.join(dir, f)),
);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { cwd: jsDir, stdio: 'inherit' });
process.exit(r.status ?? 1);
