// Profiles one P3 operation of crmwire with `node --cpu-prof` and summarises where the time goes: self time by
// function and by layer (wasm, wasm-bindgen glue, crmwire JS, host APIs like Response/URLSearchParams, GC).
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PKG_DIR, RESULTS_DIR, runNodeChild, unavailable } from './util.mjs';
import { namedBindgen } from './twiggy.mjs';

/**
 * A temporary copy of pkg/ whose wasm keeps its name section (wasm-bindgen output before wasm-opt), so the
 * profile names Rust functions, and whose `node` entry is the unbundled node.js, so it names the JS ones. The code is not wasm-opt'd, so absolute timings differ slightly from the shipped
 * build; the split between layers is what this is for. Returns { dir, cleanup } or { error }.
 */
export function namedPkgCopy() {
  const nb = namedBindgen();
  if (nb.error) return nb;
  const dir = mkdtempSync(join(tmpdir(), 'crmwire-pkg-named-'));
  cpSync(PKG_DIR, dir, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.endsWith('.tgz') });
  copyFileSync(nb.wasm, join(dir, 'gen', 'crmwire_bg.wasm'));
  copyFileSync(nb.glue, join(dir, 'gen', 'crmwire.js'));
  rmSync(nb.dir, { recursive: true, force: true });
  // Node loads the source modules (node.js → core.js → gen/crmwire.js, the named glue), not the minified bundle:
  // the same code, with its own function names in the profile.
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  manifest.exports['.'].node = './node.js';
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function layer(url, fn) {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)' || fn === '(idle)' || fn === '(root)') return fn.slice(1, -1);
  if (url.startsWith('wasm://')) return 'wasm';
  if (/\/gen\/crmwire\.js$/.test(url)) return 'wasm-bindgen glue (gen/crmwire.js)';
  if (/\/gen\/[a-z]+-(?:node|web|workerd)\.js$/.test(url)) return 'crmwire JS layer'; // make pkg's bundles: the JS layer and the glue in one file
  if (/\/pkg\/[^/]+\.js$/.test(url) || /crmwire-pkg-named-[^/]+\/[^/]+\.js$/.test(url) || /node_modules\/crmwire\//.test(url)) return 'crmwire JS layer';
  if (/tests\/bench\//.test(url)) return 'bench harness (mock fetch, loop)';
  if (url.startsWith('node:') || url === '') return 'node/V8 built-ins (Response, URLSearchParams, JSON, TextDecoder, ...)';
  return 'other';
}

const short = (url) => url.replace(/^.*\/(pkg|tests\/bench|node_modules)\//, '$1/').replace(/^file:\/\/\/tmp\/crmwire-pkg-named-[^/]+\//, 'pkg/');
const ownLayer = (l) => !/built-ins|^gc$|^program$|^other$/.test(l);

export function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  // The nearest frame that is our code (crmwire JS, glue, wasm, harness): host built-ins are charged to their caller.
  const owner = (id) => {
    for (let cur = id; cur != null; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      if (ownLayer(layer(cf.url, cf.functionName))) return `${cf.functionName || '(anonymous)'}  ${short(cf.url)}:${cf.lineNumber + 1}`;
    }
    return null;
  };
  const owners = new Map();
  const pairs = new Map();
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) || 0) + (profile.timeDeltas[i] || 0));
  }
  const fns = new Map();
  const layers = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || '(anonymous)';
    const l = layer(url, fn);
    if (l === 'idle' || l === 'root') continue;
    total += us;
    const key = `${fn}  ${short(url)}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) || 0) + us);
    layers.set(l, (layers.get(l) || 0) + us);
    if (l === 'gc' || l === 'program') continue;
    const o = ownLayer(l) ? key : owner(id) || `(host, no JS caller)`;
    owners.set(o, (owners.get(o) || 0) + us);
    if (!ownLayer(l)) { const pk = `${o.split('  ')[0]} → ${fn}`; pairs.set(pk, (pairs.get(pk) || 0) + us); }
  }
  const pct = (x) => +(100 * x / total).toFixed(1);
  return {
    totalMs: total / 1000,
    layers: [...layers].sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ layer: k, pct: pct(v) })),
    top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => ({ fn: k, pct: pct(v) })),
    hostCalls: [...pairs].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => ({ fn: k, pct: pct(v) })),
    byCaller: [...owners].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => ({ fn: k, pct: pct(v) })),
  };
}

/**
 * Runs `node --cpu-prof <script> <args>` (crmwire from a name-section copy of pkg/) and writes the summary to
 * results/<name>.txt. Returns the summary, or a reason.
 */
export async function profileChild(script, args, { name, title, timeoutMs = 300_000, named = true }) {
  const dir = mkdtempSync(join(tmpdir(), 'crmwire-prof-'));
  const copy = named ? namedPkgCopy() : null;
  const env = copy && !copy.error ? { BENCH_CRMWIRE_DIR: copy.dir } : {};
  try {
    const r = await runNodeChild(script, args, {
      nodeArgs: ['--expose-gc', '--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100'], timeoutMs, env,
    });
    if (r.error) return unavailable(r.error);
    const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
    if (!f) return unavailable('no .cpuprofile written');
    const s = summarize(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    const lines = [`node --cpu-prof: ${title} (self time, 100 µs sampling; ${fmt(s.totalMs)} ms sampled)`,
      env.BENCH_CRMWIRE_DIR ? 'wasm: wasm-bindgen output with its name section (not wasm-opt\'d), so Rust functions are named' : `wasm: shipped (unnamed)${copy?.error ? `; named copy failed: ${copy.error}` : ''}`, '', 'by layer:'];
    for (const l of s.layers) lines.push(`  ${String(l.pct).padStart(5)} %  ${l.layer}`);
    lines.push('', 'top functions (self time):');
    for (const t of s.top) lines.push(`  ${String(t.pct).padStart(5)} %  ${t.fn}`);
    lines.push('', 'by calling frame (self time of host built-ins such as Response, AbortSignal, TextEncoder charged to the nearest crmwire/harness frame that called them; GC and (program) left out):');
    for (const t of s.byCaller) lines.push(`  ${String(t.pct).padStart(5)} %  ${t.fn}`);
    lines.push('', 'hottest host built-ins, by the frame that called them (caller → built-in, self time):');
    for (const t of s.hostCalls) lines.push(`  ${String(t.pct).padStart(5)} %  ${t.fn}`);
    writeFileSync(join(RESULTS_DIR, `${name}.txt`), lines.join('\n') + '\n');
    return { available: true, file: `tests/bench/results/${name}.txt`, ...s };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (copy && copy.cleanup) copy.cleanup();
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

/** Profiles the crmwire side of one P3 op. */
export function profileOp(op, { ms = 1500 } = {}) {
  return profileChild('p3-child.mjs', ['--only', op, '--clients', 'crmwire', '--rounds', '1', '--ms', String(ms), '--warm', '300'], {
    name: `p3-profile-${op}`, title: `crmwire ${op} in the P3 loop (in-memory fetch, ${ms} ms after a 300 ms warm-up)`, timeoutMs: 120_000,
  });
}
