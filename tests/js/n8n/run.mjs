// make test-n8n: builds www/n8n (n8n-nodes-crmwire) with this folder's TypeScript and
// n8n-workflow, runs its node:test suites against crmwire-sim, then the end-to-end workflows in
// a real n8n (e2e.mjs). www/n8n/node_modules gets two links, as `npm link` would make them:
// crmwire → pkg/ and n8n-workflow → this folder's copy (the one the real n8n uses).
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const www = path.join(root, 'www/n8n');
mkdirSync(path.join(www, 'node_modules'), { recursive: true });
for (const [name, target] of [
  ['crmwire', path.join(root, 'pkg')],
  ['n8n-workflow', path.join(here, 'node_modules/n8n-workflow')],
]) {
  const link = path.join(www, 'node_modules', name);
  try {
    if (!lstatSync(link).isSymbolicLink()) rmSync(link, { recursive: true, force: true });
    else rmSync(link);
  } catch {}
  symlinkSync(target, link, 'dir');
}
const step = (label, args, cwd = root) => {
  const t = Date.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: 'inherit' });
  console.log(`test-n8n: ${label} ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
};
step('build', [path.join(www, 'build.mjs')]);
step('unit', ['--test', '--test-concurrency=1', 'test/'], www);
if (!process.env.ONLY_UNIT) step('e2e', [path.join(here, 'e2e.mjs')]);
