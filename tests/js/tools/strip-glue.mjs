// Drops the comment lines from wasm-bindgen's generated glue (pkg/gen/crmwire.js): the JSDoc
// blocks it copies from the Rust doc comments of internal exports, which no user reads (the
// package's own .d.ts files document the API). About 3.5 KB gzip of what every runtime loads.
// Then the few branches of the glue that pkg/core.js never takes (DEAD below).
// Only whole-line comments go: a line that starts with `/**` up to the line ending in `*/`,
// and lines that start with `//`. The result must still parse (node --check) or the build fails.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const file = process.argv[2];
if (!file) throw new Error('usage: strip-glue.mjs <glue.js>');
const src = readFileSync(file, 'utf8');
let out = src.replace(/^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\n/gm, '').replace(/^[ \t]*\/\/[^\n]*\n/gm, '');

// Code no caller of ours reaches (pkg/core.js always passes `{ module }` / `{ module_or_path }`, and
// every runtime crmwire supports has TextEncoder.encodeInto). Each is cut only where the text is
// exactly as wasm-bindgen writes it; otherwise it stays (the size budget then shows the difference).
const DEAD = [
  ['encodeInto fallback', /\nif \(!\('encodeInto' in cachedTextEncoder\)\) \{\n[\s\S]*?\n\}\n/, '\n'],
  ['initSync positional form', /\n    if \(module !== undefined\) \{\n        if \(Object\.getPrototypeOf\(module\) === Object\.prototype\) \{\n            \(\{module\} = module\)\n        \} else \{\n            console\.warn\([^\n]*\)\n        \}\n    \}\n/, '\n    ({module} = module);\n'],
  ['init positional form', /\n    if \(module_or_path !== undefined\) \{\n        if \(Object\.getPrototypeOf\(module_or_path\) === Object\.prototype\) \{\n            \(\{module_or_path\} = module_or_path\)\n        \} else \{\n            console\.warn\([^\n]*\)\n        \}\n    \}\n/, '\n    ({module_or_path} = module_or_path);\n'],
  ['init default URL', /\n    if \(module_or_path === undefined\) \{\n        module_or_path = new URL\('[a-z]+_bg\.wasm', import\.meta\.url\);\n    \}\n/, '\n'],
];
for (const [what, re, to] of DEAD) {
  if (re.test(out)) out = out.replace(re, to);
  else console.log(`strip-glue: ${what} not found (wasm-bindgen changed its glue?): kept`);
}
writeFileSync(file, out);
const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
if (check.status !== 0) {
  writeFileSync(file, src);
  console.error(`strip-glue: the stripped glue does not parse; kept the original\n${check.stderr}`);
  process.exit(1);
}
console.log(`strip-glue: ${file} ${src.length} -> ${out.length} bytes`);
