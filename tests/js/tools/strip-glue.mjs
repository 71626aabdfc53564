// Drops the comment lines from wasm-bindgen's generated glue (pkg/gen/crmwire.js): the JSDoc
// blocks it copies from the Rust doc comments of internal exports, which no user reads (the
// package's own .d.ts files document the API). About 3.5 KB gzip of what every runtime loads.
// Only whole-line comments go: a line that starts with `/**` up to the line ending in `*/`,
// and lines that start with `//`. The result must still parse (node --check) or the build fails.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const file = process.argv[2];
if (!file) throw new Error('usage: strip-glue.mjs <glue.js>');
const src = readFileSync(file, 'utf8');
const out = src.replace(/^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\n/gm, '').replace(/^[ \t]*\/\/[^\n]*\n/gm, '');
writeFileSync(file, out);
const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
if (check.status !== 0) {
  writeFileSync(file, src);
  console.error(`strip-glue: the stripped glue does not parse; kept the original\n${check.stderr}`);
  process.exit(1);
}
console.log(`strip-glue: ${file} ${src.length} -> ${out.length} bytes`);
