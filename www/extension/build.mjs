// Copies the built crmwire package (pkg/, after `make pkg`) into the extension: www/extension/crmwire/.
// node www/extension/build.mjs      (then load www/extension/ unpacked in chrome://extensions)
// Only the browser entry and what it imports are copied (no node.js / workerd.js / proxy.js).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const pkg = path.resolve(here, '../../pkg');
const out = path.join(here, 'crmwire');
if (!existsSync(path.join(pkg, 'gen/crmwire_bg.wasm'))) {
  console.error('pkg/gen/crmwire_bg.wasm missing: run `make pkg` first');
  process.exit(1);
}
// Follow the static imports from index.js so new package modules are picked up automatically.
const files = new Set();
const walk = (rel) => {
  if (files.has(rel)) return;
  files.add(rel);
  const src = readFileSync(path.join(pkg, rel), 'utf8');
  for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
    walk(path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1])));
  }
};
walk('index.js');
files.add('gen/crmwire_bg.wasm');
rmSync(out, { recursive: true, force: true });
for (const f of files) {
  mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
  cpSync(path.join(pkg, f), path.join(out, f));
}
console.log(`copied ${files.size} files into ${path.relative(process.cwd(), out) || out}: ${[...files].join(', ')}`);
