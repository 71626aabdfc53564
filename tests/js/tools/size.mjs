// Prints raw and gzip (-9) sizes of the files the npm package ships, and enforces a budget.
// Usage: node tests/js/tools/size.mjs   (env SIZE_BUDGET_GZ: max gzip bytes of each .wasm)
// The per-entry budget of `make test` is tests/bench/budget.json (node tests/bench/run.mjs --quick).
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../pkg');
const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const rows = [];
let rawTotal = 0;
let gzTotal = 0;
for (const f of manifest.files) {
  const p = path.join(pkgDir, f);
  if (!existsSync(p) || /\.(md|d\.ts)$|LICENSE/.test(f)) continue;
  const b = readFileSync(p);
  const gz = gzipSync(b, { level: 9 }).length;
  rows.push([f, b.length, gz]);
  rawTotal += b.length;
  gzTotal += gz;
}
const w = Math.max(...rows.map((r) => r[0].length), 5);
console.log(`${'file'.padEnd(w)}  ${'raw'.padStart(8)}  ${'gzip'.padStart(8)}`);
for (const [f, r, g] of rows) console.log(`${f.padEnd(w)}  ${String(r).padStart(8)}  ${String(g).padStart(8)}`);
console.log(`${'total (code shipped)'.padEnd(w)}  ${String(rawTotal).padStart(8)}  ${String(gzTotal).padStart(8)}`);
const wasms = rows.filter((r) => r[0].endsWith('.wasm'));
const budget = Number(process.env.SIZE_BUDGET_GZ || 200000);
if (wasms.length !== manifest.files.filter((f) => f.endsWith('.wasm')).length) {
  console.error('size: a pkg/gen/*_bg.wasm is missing; run make pkg');
  process.exit(1);
}
for (const wasm of wasms) {
  if (wasm[2] > budget) {
    console.error(`size: ${wasm[0]} is ${wasm[2]} B gzip, over the budget of ${budget} B (SIZE_BUDGET_GZ)`);
    process.exit(1);
  }
}
