// Copies the built crmwire package (pkg/, after `make pkg`) into the extension: www/extension/crmwire/.
// node www/extension/build.mjs      (then load www/extension/ unpacked in chrome://extensions)
// The extension only talks to Vtiger: it takes crmwire/vtiger's browser entry (one module, as
// crmwire/index.js) and the wasm module it references (no Perfex code, no node/workerd entries).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const pkg = path.resolve(here, '../../pkg');
const out = path.join(here, 'crmwire');
const entry = 'gen/vtiger-web.js';
if (!existsSync(path.join(pkg, entry))) {
  console.error(`pkg/${entry} missing: run \`make pkg\` first`);
  process.exit(1);
}
// The entry and the files it references next to it (its .wasm), under the names the entry uses.
const files = new Map([['index.js', entry]]);
for (const m of readFileSync(path.join(pkg, entry), 'utf8').matchAll(/['"]\.\/([\w.-]+\.wasm)['"]/g)) files.set(m[1], path.posix.join('gen', m[1]));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [to, from] of files) cpSync(path.join(pkg, from), path.join(out, to));
console.log(`copied ${files.size} files into ${path.relative(process.cwd(), out) || out}: ${[...files.values()].join(', ')}`);
