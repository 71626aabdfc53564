// P1: package size. Raw and gzip -9 bytes of every published file, grouped (wasm, entry JS, glue JS, types,
// manifest, other), the npm tarball, and "what one runtime loads": the export-map entry a runtime resolves,
// the JS it imports transitively, and the .wasm it reads.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { PKG_DIR, gzipSize, pkgManifest, unavailable } from './util.mjs';

/** Condition sets in each runtime's priority order (what its resolver matches). */
export const RUNTIMES = {
  'node (import)': ['node', 'import', 'module-sync', 'default'],
  'node (require)': ['node', 'require', 'default'],
  browser: ['browser', 'import', 'default'],
  workerd: ['workerd', 'worker', 'browser', 'import', 'default'],
  deno: ['deno', 'node', 'import', 'default'],
  bun: ['bun', 'node', 'import', 'default'],
};

function publishedFiles() {
  // npm's own view of what `npm publish` would ship (respects "files", .npmignore, always-included files).
  try {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: PKG_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000,
    });
    const j = JSON.parse(out)[0];
    return { files: j.files.map((f) => f.path), tarball: { size: j.size, unpackedSize: j.unpackedSize, entryCount: j.entryCount } };
  } catch {
    const files = [];
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.name === 'node_modules' || e.name.endsWith('.tgz')) continue;
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p); else files.push(relative(PKG_DIR, p));
      }
    };
    walk(PKG_DIR);
    return { files, tarball: null };
  }
}

/** The package's entry points (export-map subpaths with a runtime entry), by the name users import. */
export const ENTRIES = { '.': 'crmwire', './vtiger': 'crmwire/vtiger', './perfex': 'crmwire/perfex', './proxy': 'crmwire/proxy' };

function resolveExports(exp, conds, subpath = '.') {
  if (exp == null) return null;
  if (typeof exp === 'string') return subpath === '.' ? exp : null;
  if (Array.isArray(exp)) { for (const e of exp) { const r = resolveExports(e, conds, subpath); if (r) return r; } return null; }
  const keys = Object.keys(exp);
  if (keys.length && keys[0].startsWith('.')) return resolveExports(exp[subpath], conds);
  for (const k of keys) {
    if (conds.includes(k)) { const r = resolveExports(exp[k], conds); if (r) return r; }
  }
  return null;
}

function entryFor(manifest, conds, subpath = '.') {
  if (manifest.exports) return resolveExports(manifest.exports, conds, subpath);
  if (subpath !== '.') return null;
  if (conds.includes('browser') && typeof manifest.browser === 'string') return manifest.browser;
  if (conds.includes('import') && manifest.module) return manifest.module;
  return manifest.main || 'index.js';
}

const JS_DEP_RES = [
  /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[\s;}])import\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The JS files and the wasm a runtime loads from `entry`, following relative imports. */
export function loadedSet(entry) {
  const seen = new Set();
  const wasm = new Set();
  const stack = [resolve(PKG_DIR, entry)];
  while (stack.length) {
    const f = stack.pop();
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    const src = readFileSync(f, 'utf8');
    for (const re of JS_DEP_RES) {
      for (const m of src.matchAll(re)) {
        const spec = m[1];
        if (!spec.startsWith('.')) continue;
        const p = resolve(dirname(f), spec);
        if (p.endsWith('.wasm')) wasm.add(p); else stack.push(p);
      }
    }
    // wasm referenced as a path literal: new URL('x.wasm', import.meta.url), join(__dirname, 'x.wasm'), ...
    for (const m of src.matchAll(/['"`]([^'"`\s]*\.wasm)['"`]/g)) {
      const p = resolve(dirname(f), m[1]);
      if (existsSync(p) && statSync(p).isFile()) wasm.add(p);
    }
  }
  return { js: [...seen], wasm: [...wasm] };
}

function classify(path, entries) {
  const base = path.split('/').pop();
  if (path.endsWith('.wasm')) return 'wasm';
  if (/\.d\.[cm]?ts$/.test(path)) return 'types';
  if (base === 'package.json') return 'manifest';
  if (/\.(m|c)?js$/.test(path)) return entries.has(path) ? 'entry' : 'glue';
  return 'other';
}

export function measureP1() {
  const m = pkgManifest();
  if (m.error) return unavailable(m.error);
  const manifest = m.manifest;
  const { files, tarball } = publishedFiles();
  const runtimes = {};
  const entries = new Set();
  for (const [rt, conds] of Object.entries(RUNTIMES)) {
    const e = entryFor(manifest, conds);
    if (!e) { runtimes[rt] = unavailable('no export for these conditions'); continue; }
    entries.add(relative(PKG_DIR, resolve(PKG_DIR, e)));
    runtimes[rt] = { entry: e };
  }
  const sizes = new Map();
  const sizeOf = (abs) => {
    if (!sizes.has(abs)) { const b = readFileSync(abs); sizes.set(abs, { raw: b.length, gzip: gzipSize(b) }); }
    return sizes.get(abs);
  };
  const groups = {};
  const fileRows = [];
  for (const rel of files) {
    const abs = join(PKG_DIR, rel);
    if (!existsSync(abs)) continue;
    const s = sizeOf(abs);
    const g = classify(rel, entries);
    groups[g] ||= { files: 0, raw: 0, gzip: 0 };
    groups[g].files++; groups[g].raw += s.raw; groups[g].gzip += s.gzip;
    fileRows.push({ path: rel, group: g, ...s });
  }
  const total = fileRows.reduce((a, f) => ({ raw: a.raw + f.raw, gzip: a.gzip + f.gzip }), { raw: 0, gzip: 0 });
  for (const [rt, r] of Object.entries(runtimes)) {
    if (r.available === false) continue;
    const set = loadedSet(r.entry);
    const parts = [...set.js, ...set.wasm].map((abs) => ({ path: relative(PKG_DIR, abs), ...sizeOf(abs) }));
    r.files = parts;
    r.raw = parts.reduce((a, p) => a + p.raw, 0);
    r.gzip = parts.reduce((a, p) => a + p.gzip, 0);
    r.wasm = set.wasm.map((abs) => relative(PKG_DIR, abs));
    if (set.wasm.length === 0) r.note = 'no .wasm reference found from this entry';
  }
  const rtVals = Object.values(runtimes).filter((r) => r.available !== false && r.gzip != null && r.wasm.length);
  const worst = rtVals.reduce((a, r) => (a == null || r.gzip > a.gzip ? r : a), null);
  // The same for every entry point: what each runtime loads for `import 'crmwire/vtiger'` etc., and the worst.
  const entryLoads = {};
  for (const [sub, name] of Object.entries(ENTRIES)) {
    const rts = {};
    for (const [rt, conds] of Object.entries(RUNTIMES)) {
      const e = entryFor(manifest, conds, sub);
      if (!e) continue;
      const set = loadedSet(e);
      const parts = [...set.js, ...set.wasm].map((abs) => ({ path: relative(PKG_DIR, abs), ...sizeOf(abs) }));
      rts[rt] = { entry: e, files: parts.map((f) => f.path), raw: parts.reduce((a, p) => a + p.raw, 0), gzip: parts.reduce((a, p) => a + p.gzip, 0), wasm: set.wasm.map((abs) => relative(PKG_DIR, abs)) };
    }
    const vals = Object.entries(rts).filter(([, r]) => r.wasm.length);
    if (!vals.length) { entryLoads[name] = unavailable(`no runtime entry with a .wasm for ${sub}`); continue; }
    const [wrt, w] = vals.reduce((a, b) => (b[1].gzip > a[1].gzip ? b : a));
    const wasmGzip = w.wasm.reduce((a, f) => a + sizeOf(join(PKG_DIR, f)).gzip, 0);
    entryLoads[name] = { available: true, subpath: sub, runtimes: rts, maxGzip: w.gzip, maxRaw: w.raw, worst: wrt, wasmGzip, jsGzip: w.gzip - wasmGzip };
  }
  const wasmFiles = fileRows.filter((f) => f.group === 'wasm');
  return {
    available: true,
    files: fileRows.sort((a, b) => b.raw - a.raw),
    groups,
    total,
    tarball,
    runtimes,
    oneRuntimeMaxGzip: worst ? worst.gzip : null,
    oneRuntimeMaxRaw: worst ? worst.raw : null,
    oneRuntimeWorst: worst ? Object.keys(runtimes).find((k) => runtimes[k] === worst) : null,
    entries: entryLoads,
    wasmSections: Object.fromEntries(wasmFiles.map((f) => [f.path, wasmSections(join(PKG_DIR, f.path))])),
    note: 'sizes are deterministic for a given build; gzip is zlib level 9 per file, summed',
  };
}

/** Byte size of each section of a wasm module (custom sections by name). */
export function wasmSections(path) {
  const b = readFileSync(path);
  const names = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];
  let i = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = b[i++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const out = {};
  while (i < b.length) {
    const id = b[i++];
    const len = leb();
    const start = i;
    let name = names[id] || `id${id}`;
    if (id === 0) { const n = leb(); name = `custom:${b.subarray(i, i + n).toString('utf8')}`; }
    out[name] = (out[name] || 0) + len;
    i = start + len;
  }
  return out;
}
