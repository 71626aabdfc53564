#!/usr/bin/env node
// crmwire benchmark suite (issue 6). Usage:
//   node tests/bench/run.mjs              full run: P1 size, twiggy, P2 cold start, P3 per-call CPU, P4 bulk, P5 pool;
//                                         writes tests/bench/results/latest.json and the table in BENCHMARKS.md
//   node tests/bench/run.mjs --quick      CI: P1 + a short P3 sanity run; exit 1 if a size exceeds budget.json
//                                         or a P3 sanity check fails. Writes nothing.
// Options: --only P1,P2,P3,P4,P5,twiggy   --runs N (P2 processes; P3 rounds; P4 runs)   --p4-runs N   --update-budget
//          --no-build-sim (use an existing crmwire-sim binary)   --no-profile (skip node --cpu-prof on missed goals)
// Every figure that cannot be measured yet is reported as "not available: <why>"; the run itself does not crash.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, REPO, RESULTS_DIR, log, machine, unavailable } from './lib/util.mjs';
import { measureP1 } from './lib/p1-size.mjs';
import { evaluateGoals, renderMarkdown, updateBenchmarksMd } from './lib/report.mjs';

const argv = process.argv.slice(2);
const has = (f) => argv.includes(f);
const val = (f) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1] : null; };
const QUICK = has('--quick');
const ONLY = val('--only')?.split(',').map((s) => s.trim().toLowerCase());
const want = (k) => (ONLY ? ONLY.includes(k.toLowerCase()) : QUICK ? ['p1', 'p3'].includes(k.toLowerCase()) : true);
const RUNS = val('--runs') ? +val('--runs') : null;
const BUDGET_FILE = join(BENCH_DIR, 'budget.json');

const safe = async (name, fn) => {
  const t = Date.now();
  log(`${name} ...`);
  try {
    const r = await fn();
    log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s${r && r.available === false ? ` (not available: ${r.why})` : ''}`);
    return r;
  } catch (e) {
    log(`${name} failed: ${e.stack || e.message}`);
    return unavailable(`${name} crashed: ${e.message}`);
  }
};

/** The gated sizes: what each entry point loads in its largest runtime (entry + JS + wasm, gzip), and the whole package. */
function sizeFigures(p1) {
  const out = {};
  for (const [name, e] of Object.entries(p1.entries ?? {})) out[name] = e.available ? e.maxGzip : null;
  out.packageGzip = p1.total.gzip;
  return out;
}
/** Budget = measured + this margin (small: a change that adds bytes updates budget.json in the same commit). */
const BUDGET_MARGIN = 0.03;

function checkBudget(p1) {
  if (!p1 || p1.available === false) return { ok: false, lines: [`size: not measurable: ${p1 ? p1.why : 'P1 not run'}`] };
  if (!existsSync(BUDGET_FILE)) return { ok: false, lines: ['size: tests/bench/budget.json missing (node tests/bench/run.mjs --only P1 --update-budget)'] };
  const budget = JSON.parse(readFileSync(BUDGET_FILE, 'utf8'));
  const now = sizeFigures(p1);
  let ok = true;
  const lines = [];
  for (const [k, lim] of Object.entries(budget.maxBytes)) {
    const v = now[k];
    const bad = v == null || v > lim;
    if (bad) ok = false;
    lines.push(`size ${k}: ${v ?? 'n/a'} B gzip, budget ${lim} B: ${bad ? 'OVER BUDGET' : 'ok'}`);
  }
  return { ok, lines };
}

const results = { machine: machine(), mode: QUICK ? 'quick' : 'full' };
if (want('P1')) results.p1 = await safe('P1 package size', () => measureP1());

if (has('--update-budget')) {
  if (!results.p1 || results.p1.available === false) { log('cannot update the budget: P1 not available'); process.exit(1); }
  const now = sizeFigures(results.p1);
  const maxBytes = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, Math.ceil(v * (1 + BUDGET_MARGIN))]));
  writeFileSync(BUDGET_FILE, JSON.stringify({
    note: `gzip -9 bytes: for each entry point, what its largest runtime loads (entry + JS + wasm); and the whole package. The measured size + ${BUDGET_MARGIN * 100} % (node tests/bench/run.mjs --only P1 --update-budget). CI: run.mjs --quick fails above these.`,
    measured: now, measuredAt: results.machine.date, commit: results.machine.commit, maxBytes,
  }, null, 2) + '\n');
  log(`budget.json written: ${JSON.stringify(maxBytes)}`);
}

if (want('twiggy')) {
  const { measureTwiggy } = await import('./lib/twiggy.mjs');
  results.twiggy = await safe('twiggy size breakdown', () => measureTwiggy());
}
if (want('P2')) {
  const { measureP2 } = await import('./lib/p2-cold.mjs');
  const wasmOf = (name) => (results.p1?.groups?.wasm ? results.p1.files.find((f) => f.group === 'wasm' && f.path.endsWith(`/${name}_bg.wasm`))?.path ?? null : null);
  results.p2 = await safe('P2 cold start', () => measureP2({ runs: RUNS || 15, wasmPath: wasmOf('crmwire'), vtigerWasmPath: wasmOf('vtiger') }));
}
if (want('P3')) {
  const { measureP3 } = await import('./lib/p3-cpu.mjs');
  results.p3 = await safe('P3 per-call CPU', () => (QUICK
    ? measureP3({ rounds: RUNS || 1, ms: 100, warm: 50, timeoutMs: 120_000 })
    : measureP3({ rounds: RUNS || 9, ms: 400, warm: 300 })));
}
if (want('P4')) {
  const { measureP4 } = await import('./lib/p4-bulk.mjs');
  results.p4 = await safe('P4 bulk paging', () => measureP4({ runs: val('--p4-runs') ? +val('--p4-runs') : RUNS || 3, build: !has('--no-build-sim'), profile: !has('--no-profile') }));
}
if (want('P5')) {
  const { measureP5 } = await import('./lib/p5-pool.mjs');
  results.p5 = await safe('P5 session pool and bulk writes', () => measureP5({ build: !has('--no-build-sim') }));
}
const proxyFile = join(RESULTS_DIR, 'proxy-load.json');
const viteFile = join(RESULTS_DIR, 'vite-vtiger.json');
if (!QUICK) {
  try { results.proxyLoad = existsSync(proxyFile) ? JSON.parse(readFileSync(proxyFile, 'utf8')) : unavailable('tests/bench/results/proxy-load.json not present'); } catch (e) { results.proxyLoad = unavailable(e.message); }
  try { results.viteVtiger = existsSync(viteFile) ? JSON.parse(readFileSync(viteFile, 'utf8')) : unavailable('tests/bench/results/vite-vtiger.json not present (CRMWIRE_RECORD_SIZES=1 make test-bundlers ONLY=vite-vtiger)'); } catch (e) { results.viteVtiger = unavailable(e.message); }
}
results.goals = evaluateGoals(results);

// Where a goal is missed, profile the crmwire side of P3 (node --cpu-prof) to say what dominates.
if (!QUICK && results.p3?.available && !has('--no-profile')) {
  const { profileOp } = await import('./lib/cpuprof.mjs');
  results.p3Profiles = {};
  for (const [op, e] of Object.entries(results.p3.ops)) {
    if (e.cpuRatio && e.cpuRatio.median > 1.0) results.p3Profiles[op] = await safe(`cpu profile ${op}`, () => profileOp(op));
  }
}

if (QUICK) {
  const b = checkBudget(results.p1);
  for (const l of b.lines) log(l);
  let sane = true;
  if (results.p3?.available === false) { sane = false; log(`P3 sanity: not available: ${results.p3.why}`); }
  for (const [op, e] of Object.entries(results.p3?.ops || {})) {
    for (const k of ['ref', 'crmwire']) {
      const r = e[k];
      if (!r) continue;
      if (r.available === false) { sane = false; log(`P3 sanity ${op} ${k}: FAILED: ${r.why}`); }
      else if (r.available) log(`P3 sanity ${op} ${k}: ok (${Math.round(r.opsPerSec.median)} calls/s)`);
      else log(`P3 sanity ${op} ${k}: skipped: ${r.why}`);
    }
  }
  process.stdout.write(JSON.stringify({ budget: b, goals: results.goals }, null, 2) + '\n');
  process.exit(b.ok && sane ? 0 : 1);
}

// A partial run (--only) replaces only the sections it measured in latest.json; the rest keep their earlier values.
const latestFile = join(RESULTS_DIR, 'latest.json');
results.measuredAt = Object.fromEntries(['p1', 'twiggy', 'p2', 'p3', 'p3Profiles', 'p4', 'p5', 'proxyLoad'].filter((k) => results[k]).map((k) => [k, results.machine.date]));
if (ONLY && existsSync(latestFile)) {
  try {
    const prev = JSON.parse(readFileSync(latestFile, 'utf8'));
    for (const k of ['p1', 'twiggy', 'p2', 'p3', 'p3Profiles', 'p4', 'p5', 'proxyLoad']) {
      if (results[k] === undefined && prev[k] !== undefined) { results[k] = prev[k]; results.measuredAt[k] = prev.measuredAt?.[k] ?? prev.machine?.date; }
    }
    results.goals = evaluateGoals(results);
  } catch { /* unreadable: write the partial results alone */ }
}
writeFileSync(latestFile, JSON.stringify(results, null, 2) + '\n');
updateBenchmarksMd(join(REPO, 'BENCHMARKS.md'), renderMarkdown(results));
log('wrote tests/bench/results/latest.json and BENCHMARKS.md');
for (const g of results.goals) log(`goal ${g.id}: ${g.status} (${g.measured})`);
