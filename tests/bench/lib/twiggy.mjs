// Size breakdown by function and by crate with twiggy, on the wasm-bindgen output WITH its name section (the
// shipped file has it stripped, so twiggy could not name anything there). Outputs go to results/twiggy-*.txt.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO, RESULTS_DIR, gzipSize, unavailable } from './util.mjs';

const REL = join('wasm32-unknown-unknown', 'release', 'crmwire.wasm');

/** The cargo output that `make pkg` feeds to wasm-bindgen (newest of the usual target dirs). */
export function findCargoWasm() {
  if (process.env.BENCH_CARGO_WASM) return process.env.BENCH_CARGO_WASM;
  const dirs = [process.env.CARGO_TARGET_DIR, join(homedir(), '.cache', 'crmwire-target'), join(REPO, 'target')];
  for (const base of [REPO, dirname(REPO)]) {
    try { for (const d of readdirSync(base)) if (d.startsWith('tgt-')) dirs.push(join(base, d)); } catch { /* none */ }
  }
  // `make pkg` copies each flavour's cargo output to <target>/pkg-wasm/<flavour>.wasm; the cargo output path
  // itself holds whichever flavour was built last. crmwire (both protocols) is the one measured here.
  const found = dirs.filter(Boolean).flatMap((d) => [join(d, 'pkg-wasm', 'crmwire.wasm'), join(d, REL)]).filter((p) => existsSync(p));
  const staged = found.filter((p) => p.includes(`${join('pkg-wasm', 'crmwire.wasm')}`));
  if (staged.length) found.splice(0, found.length, ...staged);
  found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0] || null;
}

function twiggy(args) {
  return execFileSync('twiggy', args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Crate of a demangled (v0/legacy) Rust symbol as twiggy prints it; null for non-code items. */
export function crateOf(name) {
  const n = name.replace(/\[[0-9a-f]{8,}\]/g, '');
  if (/^(data segment|"[a-z ]+" subsection|custom section|type\[|table\[|elem\[|import |export |global\[|memory\[|code\[|start|wasm magic|[a-z]+ section headers)/.test(n)) return null;
  if (/(multivalue|externref) shim$|^__wbindgen|^__wbg|^__externref|^wasm_bindgen|^__wasm_bindgen/.test(n)) return 'wasm-bindgen';
  if (/^__rdl_|^__rust_|^__rustc::|^__rg_/.test(n)) return 'alloc (rust runtime)';
  if (/^(memcpy|memset|memmove|memcmp|bcmp|__multi3|__[a-z]+[0-9]+)$/.test(n)) return 'compiler_builtins';
  // <T as trait::Path>: a generic or primitive self type belongs to the trait's crate (or core).
  const prim = '(?:[A-Z]|char|bool|str|[ui](?:8|16|32|64|128|size)|f32|f64|\\(\\)|\\[u8\\])';
  const p = n.match(new RegExp(`^<\\s*[&*]*(?:mut |const |dyn )*${prim}\\s*(?:as ([a-z_][a-z0-9_]*)::[^]*)?>`));
  if (p) return p[1] === 'wasm_bindgen' ? 'wasm-bindgen' : p[1] || 'core';
  const m = n.match(/^[<&*\s(]*(?:mut |const |dyn )*([a-z_][a-z0-9_]*)::/);
  if (m) return m[1] === 'wasm_bindgen' ? 'wasm-bindgen' : m[1];
  // Exported functions (wasm-bindgen names them after the JS export) wrap crmwire's own code.
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n)) return 'crmwire (exports)';
  return '(unnamed)';
}

/**
 * Runs wasm-bindgen on the cargo output with the flags `make pkg` uses, minus --remove-name-section and
 * --remove-producers-section: the result keeps function names. Returns { dir, wasm, glue, source } or { error }.
 */
export function namedBindgen() {
  const source = findCargoWasm();
  if (!source) return { error: 'cargo output crmwire.wasm not found (run make pkg, or set BENCH_CARGO_WASM)' };
  const dir = mkdtempSync(join(tmpdir(), 'crmwire-named-'));
  try {
    // The shipped build's calling convention (Makefile: single-value.mjs before wasm-bindgen), so the glue is the same.
    const sv = join(dir, 'single-value.wasm');
    execFileSync(process.execPath, [join(REPO, 'tests/js/tools/single-value.mjs'), source, sv], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('wasm-bindgen', ['--target', 'web', '--weak-refs', '--out-dir', dir, '--out-name', 'crmwire', sv], { stdio: ['ignore', 'ignore', 'pipe'] });
    rmSync(sv);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { error: `wasm-bindgen failed: ${String(e.stderr || e.message).trim().split('\n')[0]}` };
  }
  return { dir, source, wasm: join(dir, 'crmwire_bg.wasm'), glue: join(dir, 'crmwire.js') };
}

export function measureTwiggy() {
  try { twiggy(['--version']); } catch { return unavailable('twiggy not installed (cargo install twiggy)'); }
  const nb = namedBindgen();
  if (nb.error) return unavailable(nb.error);
  const { source: wasm, dir: tmp, wasm: named } = nb;
  try {
    const files = {
      'twiggy-top.txt': twiggy(['top', '-n', '30', named]),
      'twiggy-garbage.txt': twiggy(['garbage', '-n', '30', named]),
      'twiggy-dominators.txt': twiggy(['dominators', '-d', '4', '-r', '60', named]),
      'twiggy-monos.txt': twiggy(['monos', '-m', '15', '-n', '3', named]),
    };
    const items = JSON.parse(twiggy(['top', '-f', 'json', named]));
    const total = items.reduce((a, i) => a + i.shallow_size, 0);
    const nameSection = items.filter((i) => /^"function names"|^custom section/.test(i.name)).reduce((a, i) => a + i.shallow_size, 0);
    const crates = {};
    for (const i of items) {
      const c = crateOf(i.name) || (i.name.startsWith('data segment') ? '(data segments)' : /^"function names"|^custom section/.test(i.name) ? null : '(wasm structure: types, tables, imports, exports)');
      if (!c) continue;
      crates[c] ||= { bytes: 0, items: 0 };
      crates[c].bytes += i.shallow_size;
      crates[c].items++;
    }
    // By area of crmwire: which protocol the bytes serve (a name-based split of the same items).
    const areas = { vtiger: 0, perfex: 0, 'shared core (json, http, errors, encode)': 0, 'runtime (core, alloc, std, wasm-bindgen, allocator, md5) and data': 0 };
    for (const i of items) {
      if (/^"function names"|^custom section/.test(i.name)) continue;
      const n = i.name.replace(/\[[0-9a-f]{8,}\]/g, '');
      if (/perfex/i.test(n)) areas.perfex += i.shallow_size;
      else if (/crmwire::(vtiger|wasm::(vtiger|sync|paging|split))|^(vtigercore|syncstate|pager)_/.test(n)) areas.vtiger += i.shallow_size;
      else if (/crmwire::/.test(n)) areas['shared core (json, http, errors, encode)'] += i.shallow_size;
      else areas['runtime (core, alloc, std, wasm-bindgen, allocator, md5) and data'] += i.shallow_size;
    }
    const code = total - nameSection;
    const byCrate = Object.entries(crates).map(([crate, v]) => ({ crate, ...v, pct: +(100 * v.bytes / code).toFixed(1) })).sort((a, b) => b.bytes - a.bytes);
    const lines = [`crate breakdown of ${wasm} after wasm-bindgen (names kept; before wasm-opt)`,
      `total ${total} B, of which name/custom sections ${nameSection} B; the ${code} B remaining are split below (shallow sizes, twiggy top)`, '',
      `${'bytes'.padStart(7)}  ${'%'.padStart(5)}  ${'items'.padStart(5)}  crate`];
    for (const r of byCrate) lines.push(`${String(r.bytes).padStart(7)}  ${r.pct.toFixed(1).padStart(5)}  ${String(r.items).padStart(5)}  ${r.crate}`);
    files['twiggy-crates.txt'] = lines.join('\n') + '\n';
    for (const [f, text] of Object.entries(files)) writeFileSync(join(RESULTS_DIR, f), text);
    return {
      available: true,
      source: wasm,
      namedBytes: total,
      nameSectionBytes: nameSection,
      codeAndDataBytes: code,
      byCrate,
      byArea: Object.entries(areas).map(([area, bytes]) => ({ area, bytes, pct: +(100 * bytes / code).toFixed(1) })),
      floor: measureFloor(),
      topFunctions: items.filter((i) => crateOf(i.name) !== null || i.name.startsWith('data segment')).slice(0, 15).map((i) => ({ name: i.name.replace(/\[[0-9a-f]{8,}\]/g, '').replace(/::h[0-9a-f]{16}$/, ''), bytes: i.shallow_size })),
      garbageBytes: (() => { const m = files['twiggy-garbage.txt'].match(/(\d+)\s*┊[^┊]*┊\s*Σ/); return m ? +m[1] : null; })(),
      files: Object.keys(files).map((f) => `tests/bench/results/${f}`),
    };
  } catch (e) {
    return unavailable(`twiggy step failed: ${String(e.stderr || e.message).trim().split('\n')[0]}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The flags `make pkg` uses (a `NAME := …` line of the Makefile), so the floor is built the same way. */
function makeFlags(name) {
  const m = readFileSync(join(REPO, 'Makefile'), 'utf8').match(new RegExp(`^${name} := (.+)$`, 'm'));
  if (!m) throw new Error(`Makefile has no ${name} line`);
  return m[1].trim().split(/\s+/);
}

/**
 * The size floor (tests/bench/floor): a module with crmwire's dependencies and boundary shape but no protocol code,
 * built with the same profile and post-processed like `make pkg` (wasm-bindgen, wasm-opt, strip-glue).
 */
export function measureFloor() {
  const dir = join(REPO, 'tests', 'bench', 'floor');
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'crmwire-target');
  const out = mkdtempSync(join(tmpdir(), 'crmwire-floor-'));
  try {
    execFileSync('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--manifest-path', join(dir, 'Cargo.toml')],
      { env: { ...process.env, CARGO_TARGET_DIR: target }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
    const built = join(target, 'wasm32-unknown-unknown', 'release', 'crmwire_bench_floor.wasm');
    execFileSync('wasm-bindgen', [...makeFlags('WASM_BINDGEN_FLAGS'), '--out-dir', out, '--out-name', 'floor', built], { stdio: ['ignore', 'ignore', 'pipe'] });
    const wasm = join(out, 'floor_bg.wasm');
    execFileSync(join(REPO, 'tests', 'js', 'node_modules', '.bin', 'wasm-opt'), [...makeFlags('WASM_OPT_FLAGS'), wasm, '-o', wasm], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync(process.execPath, [join(REPO, 'tests', 'js', 'tools', 'strip-glue.mjs'), join(out, 'floor.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const size = (f) => { const b = readFileSync(f); return { raw: b.length, gzip: gzipSize(b) }; };
    return { available: true, wasm: size(wasm), glue: size(join(out, 'floor.js')) };
  } catch (e) {
    return unavailable(`floor build failed: ${String(e.stderr || e.message).trim().split('\n')[0]}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
