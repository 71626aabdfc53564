// Builds dist/: compiles the TypeScript (tsc from this package's node_modules, or from the
// repository's tests/js/n8n tooling) and copies the SVG icons next to the compiled nodes.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = [path.join(here, 'node_modules/typescript/bin/tsc'), path.join(here, '../../tests/js/n8n/node_modules/typescript/bin/tsc')].find(existsSync);
if (!tsc) {
  console.error('typescript not found: npm install typescript in www/n8n (or make setup-n8n in the repository)');
  process.exit(1);
}
rmSync(path.join(here, 'dist'), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const copy = (dir) => {
  for (const f of readdirSync(path.join(here, dir))) {
    const rel = path.join(dir, f);
    if (statSync(path.join(here, rel)).isDirectory()) copy(rel);
    else if (f.endsWith('.svg')) cpSync(path.join(here, rel), path.join(here, 'dist', rel));
  }
};
copy('nodes');
