// Copies a cargo-built .wasm with `multivalue` marked absent in its target_features section, so that
// wasm-bindgen returns strings through a return slot on the stack, not as (ptr, len) multi-value
// results (it uses them exactly when that section lists +multivalue, which Rust's precompiled std
// does since Rust 1.82; a -C target-feature=-multivalue flag cannot remove it).
//
// Why: V8 11 (Node 20) compiles one TurboFan JS-to-wasm wrapper per export signature with several
// results, eagerly, when the module compiles: about 4 ms of crmwire/vtiger's 6 ms compile and
// instantiate in a fresh Node 20 process (BENCHMARKS.md, P2). With single results every export goes
// through V8's generic wrapper. Newer V8 (Node 22, Chromium) is as fast either way. The code itself
// is unchanged: only wasm-bindgen's choice of calling convention for the exports.
//
//   node tests/js/tools/single-value.mjs <in.wasm> <out.wasm>
import { readFileSync, writeFileSync } from 'node:fs';
import { WasmCursor } from './wasm-cursor.mjs';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) throw new Error('usage: single-value.mjs <in.wasm> <out.wasm>');
const b = Buffer.from(readFileSync(src));

// In the custom section "target_features" (a vector of (prefix, name)), turn `+multivalue` into
// `-multivalue` in place (same length).
const c = new WasmCursor(b);
let patched = false;
for (const { id } of c.sections()) {
  if (id !== 0 || c.name() !== 'target_features') continue;
  for (let n = c.leb(); n > 0; n--) {
    const prefix = c.at;
    c.skip(1);
    if (c.name() === 'multivalue' && b[prefix] === 0x2b) {
      b[prefix] = 0x2d;
      patched = true;
    }
  }
}
writeFileSync(dst, b);
console.log(`single-value: ${dst}${patched ? '' : ' (no +multivalue feature: copied as is)'}`);
