// The core::fmt check of `make test` (issue 13): no shipped wasm module may contain core::fmt.
//
//   node tests/js/tools/fmt-check.mjs <stage dir>            check (make test-bench-quick)
//   node tests/js/tools/fmt-check.mjs <stage dir> --update   write the measured panic figures as the new pin
//   node tests/js/tools/fmt-check.mjs <stage dir> --list     print every fmt/panic function of each module
//
// <stage dir> holds the cargo output of each flavour (<flavour>.wasm: `make pkg` copies them to
// $(CARGO_TARGET_DIR)/pkg-wasm). Each is run through wasm-bindgen with `make pkg`'s flags minus
// --remove-name-section (a names build: wasm-bindgen demangles the names, about 1 s), then its name
// and code sections are read here: every function whose name is in core/alloc/std's `fmt` module,
// or a `fmt` method of a `core::fmt` trait, counts as fmt; `panicking` functions count as panic.
// The scan is of the module before wasm-opt (which drops a little and inlines, but keeps the set).
//
// The library formats nothing (src/text.rs builds its text; format!/to_string do not compile
// there), and the shipped modules' panic handler only traps (feature `slim`). A module FAILS when
// it has any core::fmt function except PANIC_FMT below, and the message names each function and
// the module. PANIC_FMT is what core's own panic functions reference, never call: a bounds check
// (`panic_bounds_check`: the index and length as usize) or a failed slice/str index builds
// fmt::Arguments pointing at these before calling the handler, which ignores them; LLVM keeps
// the references because the handler is an exported symbol. <u32 as Display> (usize) and
// pad_integral stay in any case: alloc's default allocation-error handler, reachable from every
// allocation, formats "memory allocation of {} bytes failed" the same way, and stable Rust cannot
// replace it (#[alloc_error_handler] is unstable). The others would go with the last panicking
// index (str/slice indexing in the scanners, and in core's own CharSearcher, join, …). So they
// are pinned instead, together with the panicking code (tests/bench/fmt-budget.json): a module
// fails when those bytes grow.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PIN = path.join(ROOT, 'tests/bench/fmt-budget.json');
const FLAVOURS = ['crmwire', 'vtiger', 'perfex', 'proxy'];

/** Functions of a wasm module with their names (name section) and body sizes (code section). */
export function functions(bytes) {
  const b = bytes;
  let p = 8;
  const leb = () => {
    let r = 0;
    let s = 0;
    let x;
    do { x = b[p++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
    return r;
  };
  const skipLimits = () => { const f = leb(); leb(); if (f & 1) leb(); };
  let imported = 0;
  const names = new Map();
  const bodies = [];
  while (p < b.length) {
    const id = b[p++];
    const size = leb();
    const end = p + size;
    if (id === 2) { // imports: functions take the first indices
      const n = leb();
      for (let i = 0; i < n; i++) {
        const ml = leb();
        p += ml;
        const fl = leb();
        p += fl;
        const kind = b[p++];
        if (kind === 0) { imported++; leb(); } else if (kind === 1) { p++; skipLimits(); } else if (kind === 2) skipLimits();
        else if (kind === 3) p += 2; else if (kind === 4) { p++; leb(); }
      }
    } else if (id === 10) { // code
      const n = leb();
      for (let i = 0; i < n; i++) { const s = leb(); bodies.push(s); p += s; }
    } else if (id === 0) { // custom: the "name" section, subsection 1 (function names)
      const nl = leb();
      const custom = b.toString('utf8', p, p + nl);
      p += nl;
      if (custom === 'name') {
        while (p < end) {
          const sid = b[p++];
          const ss = leb();
          const se = p + ss;
          if (sid === 1) {
            const n = leb();
            for (let i = 0; i < n; i++) { const idx = leb(); const l = leb(); names.set(idx, b.toString('utf8', p, p + l)); p += l; }
          }
          p = se;
        }
      }
    }
    p = end;
  }
  return bodies.map((size, i) => ({ name: names.get(i + imported) ?? `code[${i}]`, size }));
}

// Names as wasm-bindgen demangles them: legacy (`core::fmt::write::h0123…`) and v0 (`core[0123…]::fmt::write`).
const FMT = /(?:^|[^A-Za-z0-9_])(?:core|alloc|std)(?:\[[0-9a-f]+\])?::fmt::/;
const PANIC = /(?:^|[^A-Za-z0-9_])(?:core|std)(?:\[[0-9a-f]+\])?::panicking::/;
/** A function's name without the hashes (stable across builds). */
const stable = (n) => n.replace(/\[[0-9a-f]{8,}\]/g, '').replace(/::h[0-9a-f]{16}$/, '').replace(/\[\d+\]$/, '');

export function scan(wasmFile) {
  const dir = mkdtempSync(path.join(tmpdir(), 'crmwire-fmt-'));
  try {
    execFileSync('wasm-bindgen', ['--target', 'web', '--weak-refs', '--remove-producers-section', '--out-dir', dir, '--out-name', 'm', wasmFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    const fns = functions(readFileSync(path.join(dir, 'm_bg.wasm')));
    if (!fns.some((f) => !f.name.startsWith('code['))) throw new Error(`${wasmFile}: no name section (a build with strip = true?)`);
    const fmt = fns.filter((f) => FMT.test(f.name));
    const panic = fns.filter((f) => PANIC.test(f.name) && !FMT.test(f.name));
    const sum = (a) => a.reduce((s, f) => s + f.size, 0);
    return {
      functions: fns.length, codeBytes: sum(fns),
      fmtBytes: sum(fmt), fmtFunctions: [...new Set(fmt.map((f) => stable(f.name)))].sort(),
      panicBytes: sum(panic), panicFunctions: [...new Set(panic.map((f) => stable(f.name)))].sort(),
      list: [...fmt, ...panic].sort((a, b) => b.size - a.size),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** core::fmt functions that core's panic paths reference (see the top of this file), without hashes. */
export const PANIC_FMT = new Set([
  '<core::fmt::Formatter>::pad',
  '<core::fmt::Formatter>::pad_integral',
  '<core::fmt::Formatter>::pad_integral::write_prefix',
  '<u32 as core::fmt::Display>::fmt', // usize on wasm32: an index and length, an allocation's size
  '<core::ops::range::Range<usize> as core::fmt::Debug>::fmt', // slice index out of range
  '<char as core::fmt::Debug>::fmt', // str index not on a char boundary
  '<&str as core::fmt::Display>::fmt',
]);

/** The check of one module against its pin: a list of problems (empty = ok). */
export function check(r, p) {
  const problems = [];
  const fmt = r.list.filter((f) => FMT.test(f.name));
  const banned = fmt.filter((f) => !PANIC_FMT.has(stable(f.name)));
  if (banned.length) {
    problems.push(`core::fmt in the shipped module: ${banned.map((f) => `${stable(f.name)} (${f.size} B)`).join(', ')}`);
  }
  if (!p) problems.push('no pin in tests/bench/fmt-budget.json (--update writes it)');
  else {
    const panicFmt = r.fmtBytes - banned.reduce((s, f) => s + f.size, 0);
    if (panicFmt > p.panicFmtBytes) problems.push(`core::fmt referenced by core's panic paths grew from ${p.panicFmtBytes} B to ${panicFmt} B`);
    if (r.panicBytes > p.panicBytes) problems.push(`panicking code grew from ${p.panicBytes} B to ${r.panicBytes} B`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stage = process.argv[2];
  const update = process.argv.includes('--update');
  if (!stage || !existsSync(stage)) { console.error('usage: node tests/js/tools/fmt-check.mjs <stage dir: $(CARGO_TARGET_DIR)/pkg-wasm> [--update|--list]'); process.exit(2); }
  const pin = existsSync(PIN) ? JSON.parse(readFileSync(PIN, 'utf8')) : { modules: {} };
  const measured = {};
  let failed = 0;
  for (const flavour of FLAVOURS) {
    const file = path.join(stage, `${flavour}.wasm`);
    if (!existsSync(file)) { console.error(`fmt-check: ${file} missing (make pkg)`); failed++; continue; }
    const r = scan(file);
    const panicFmt = r.list.filter((f) => FMT.test(f.name) && PANIC_FMT.has(stable(f.name)));
    measured[flavour] = {
      panicFmtBytes: panicFmt.reduce((s, f) => s + f.size, 0), panicBytes: r.panicBytes, codeBytes: r.codeBytes,
      panicFmtFunctions: [...new Set(panicFmt.map((f) => stable(f.name)))].sort(), panicFunctions: r.panicFunctions,
    };
    if (process.argv.includes('--list')) for (const f of r.list) console.log(`  ${flavour} ${String(f.size).padStart(6)} ${f.name}`);
    const line = `fmt-check ${flavour}: core::fmt ${r.fmtBytes} B in ${r.fmtFunctions.length} functions (all referenced by core's panic paths: ${measured[flavour].panicFmtBytes} B), panicking ${r.panicBytes} B (of ${r.codeBytes} B of code)`;
    const problems = check(r, update ? measured[flavour] : pin.modules?.[flavour]);
    if (problems.length) {
      failed++;
      console.error(`fmt-check ${flavour}: FAILED: ${problems.join('; ')}.\n  The shipped ${flavour} module (${file}) must not contain core::fmt (issue 13): ` +
        'build text with cat!/cat_to! (src/text.rs), not format!, write!, to_string or a Display/Debug impl; `--list` names every fmt/panic function. ' +
        'Only if a change removes panic code: node tests/js/tools/fmt-check.mjs $CARGO_TARGET_DIR/pkg-wasm --update.');
    } else console.log(`${line}: ok${update ? '' : ` (pin ${pin.modules[flavour].panicFmtBytes} B / ${pin.modules[flavour].panicBytes} B)`}`);
  }
  if (update && !failed) {
    writeFileSync(PIN, JSON.stringify({
      note: 'What each wasm module keeps of core::fmt (only what core\'s panic paths reference: tests/js/tools/fmt-check.mjs PANIC_FMT) and of panicking code, before wasm-opt (node tests/js/tools/fmt-check.mjs <stage> --update). make test fails on any other core::fmt function, and when these bytes grow.',
      measuredAt: new Date().toISOString(),
      commit: (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; } })(),
      modules: measured,
    }, null, 2) + '\n');
    console.log(`fmt-check: ${path.relative(ROOT, PIN)} written`);
  }
  if (failed) process.exit(1);
}
