// The core::fmt check of `make test` (issue 13): how much formatting and panic machinery each shipped
// wasm module still carries, pinned in tests/bench/fmt-budget.json so that it can only shrink.
//
//   node tests/js/tools/fmt-check.mjs <stage dir>            check (make test-bench-quick)
//   node tests/js/tools/fmt-check.mjs <stage dir> --update   write the measured figures as the new pin
//   node tests/js/tools/fmt-check.mjs <stage dir> --list     print every fmt/panic function of each module
//
// <stage dir> holds the cargo output of each flavour (<flavour>.wasm: `make pkg` copies them to
// $(CARGO_TARGET_DIR)/pkg-wasm). Each is run through wasm-bindgen with `make pkg`'s flags minus
// --remove-name-section (a names build: wasm-bindgen demangles the names, about 1 s), then its name
// and code sections are read here: every function whose name is in core/alloc/std's `fmt` module,
// or a `fmt` method of a `core::fmt` trait, counts as fmt; `panicking` functions count as panic.
// The scan is of the module before wasm-opt, which changes the figures but not the set: it drops a
// little and inlines into what stays (for vtiger at this writing: 7,127 B here, 8,159 B in a
// wasm-opt -Oz -g build of the shipped module; <char as Debug>::fmt takes in the Unicode tables).
//
// Goal (issue 13): no core::fmt at all. Until then, a module fails the check when its fmt or panic
// bytes grow past the pin, or when it gains a fmt function the pin does not list; the message names
// the new functions. A change that removes some writes the smaller figures with --update.
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
    measured[flavour] = { fmtBytes: r.fmtBytes, panicBytes: r.panicBytes, codeBytes: r.codeBytes, fmtFunctions: r.fmtFunctions, panicFunctions: r.panicFunctions };
    if (process.argv.includes('--list')) for (const f of r.list) console.log(`  ${flavour} ${String(f.size).padStart(6)} ${f.name}`);
    const p = pin.modules?.[flavour];
    const line = `fmt-check ${flavour}: core::fmt ${r.fmtBytes} B in ${r.fmtFunctions.length} functions, panicking ${r.panicBytes} B (of ${r.codeBytes} B of code)`;
    if (update) { console.log(line); continue; }
    if (!p) { console.error(`${line}: FAILED, no pin in tests/bench/fmt-budget.json (--update writes it)`); failed++; continue; }
    const known = new Set(p.fmtFunctions);
    const added = r.fmtFunctions.filter((n) => !known.has(n));
    const problems = [];
    if (r.fmtBytes > p.fmtBytes) problems.push(`core::fmt grew from ${p.fmtBytes} B to ${r.fmtBytes} B`);
    if (r.panicBytes > p.panicBytes) problems.push(`panicking grew from ${p.panicBytes} B to ${r.panicBytes} B`);
    if (added.length) problems.push(`new core::fmt functions: ${added.join(', ')}`);
    if (problems.length) {
      failed++;
      console.error(`${line}: FAILED: ${problems.join('; ')}.\n  Formatting (format!, to_string, Display/Debug, panicking slices and unwraps) pulls core::fmt into the shipped wasm (issue 13). ` +
        'Remove it; `--list` names every such function. Only if a change removes some: node tests/js/tools/fmt-check.mjs $CARGO_TARGET_DIR/pkg-wasm --update.');
    } else console.log(`${line}: ok (pin ${p.fmtBytes} B / ${p.panicBytes} B)`);
  }
  if (update) {
    writeFileSync(PIN, JSON.stringify({
      note: 'core::fmt and panicking code of each wasm module, before wasm-opt (node tests/js/tools/fmt-check.mjs <stage> --update). make test fails when a module exceeds these or gains a fmt function. Issue 13\'s goal is zero.',
      measuredAt: new Date().toISOString(),
      commit: (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; } })(),
      modules: measured,
    }, null, 2) + '\n');
    console.log(`fmt-check: ${path.relative(ROOT, PIN)} written`);
  }
  if (failed) process.exit(1);
}
