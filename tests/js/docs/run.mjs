// Docs that run (make test-docs): every code block in README.md, pkg/README.md and www/README.md is
// extracted and run, type-checked or explicitly skipped, as the HTML comment right before it says:
//
//   <!-- doc: run -->              a JS module run by Node against crmwire-sim
//   <!-- doc: run; given: token --> the same, with free variables the runner provides (below)
//   <!-- doc: worker -->           a Worker module (export default { fetch }) run in workerd
//                                  (miniflare) in front of the simulator, then called by a
//                                  proxy-mode client (create + query)
//   <!-- doc: ts-check -->         TypeScript, type-checked with tsc --strict against pkg/'s types
//   <!-- doc: sh -->               shell commands run by bash in the repository root
//   <!-- doc: skip: <reason> -->   not run, and the reason says why (a reason is required)
//
// An unmarked block (fenced or indented) fails the run with its file and line: nothing is skipped
// silently. In `run` and `worker` blocks the example hosts point at the simulator:
// https://crm.example.com → crmwire-sim, https://edge.example.com → a crmwire/proxy in front of it;
// environment: KEY / CRMWIRE_ACCESS_KEY / CRM_ACCESS_KEY (access key), WON_TOKEN / PERFEX_JWT
// (Perfex token), PROXY_TOKEN, CRM_USERNAME. `given:` names free variables the block uses:
// token (the proxy token), crm (a VtigerClient for the simulator), env (Worker-style bindings
// with the settings above), or any export of 'crmwire' (imported).
//
//   node tests/js/docs/run.mjs [file.md ...]     Prints `N passed, N failed` last.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, symlinkSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSim } from '../test/sim.mjs';
import { extractBlocks } from './blocks.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS = path.resolve(HERE, '..');
const ROOT = path.resolve(JS, '../..');
const WORK = path.join(JS, '.docs-work'); // inside tests/js, so `crmwire` resolves to the linked pkg/
const FILES = process.argv.slice(2).length ? process.argv.slice(2) : ['README.md', 'pkg/README.md', 'www/README.md'];
const MODES = ['run', 'worker', 'ts-check', 'sh', 'skip'];
const PROXY_TOKEN = 'docs-proxy-token-0123456789';

let passed = 0;
let failed = 0;
function ok(name, cond, info = '') {
  if (cond) passed++;
  else failed++;
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${name}${!cond && info ? '\n' + String(info).slice(0, 4000) : ''}`);
}

/** Parses `run; given: token, crm` → { mode: 'run', given: ['token', 'crm'], reason } */
function parseMarker(m) {
  const skip = /^skip\s*:\s*(.*)$/s.exec(m.trim());
  if (skip) return { mode: 'skip', reason: skip[1].trim() };
  const [head, ...opts] = m.split(';').map((s) => s.trim());
  const o = { mode: head, given: [] };
  for (const opt of opts) {
    const g = /^given\s*:\s*(.*)$/.exec(opt);
    if (g) o.given = g[1].split(',').map((s) => s.trim()).filter(Boolean);
    else o.bad = `unknown option '${opt}'`;
  }
  return o;
}

function runAsync(cmd, args, { cwd = ROOT, env = {}, timeout = 60_000, input } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => { out += `\n(killed after ${timeout} ms)`; try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeout);
    child.on('close', (status) => { clearTimeout(t); resolve({ status, out }); });
    child.stdin.end(input ?? '');
  });
}

// ---------------------------------------------------------------- the services the blocks talk to
let sim;
let proxy;
let env;
async function startServices() {
  crmwireExports = new Set(Object.keys(await import('crmwire')));
  sim = await startSim({});
  const { createVtigerProxy, toNodeListener } = await import('crmwire/proxy');
  const handler = createVtigerProxy({
    target: sim.url, username: sim.username, accessKey: sim.accessKey, tokens: [PROXY_TOKEN],
    allow: { modules: '*', operations: '*' }, log: false,
  });
  const server = createServer(toNodeListener(handler));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy = { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
  env = {
    KEY: sim.accessKey, CRMWIRE_ACCESS_KEY: sim.accessKey, CRM_ACCESS_KEY: sim.accessKey,
    WON_TOKEN: sim.perfexToken, PERFEX_JWT: sim.perfexToken,
    PROXY_TOKEN, CRM_USERNAME: sim.username,
  };
}
const hosts = (code) => code.replaceAll('https://crm.example.com', sim.url).replaceAll('https://edge.example.com', proxy.url);

let crmwireExports = new Set();
const GIVEN = {
  token: () => `const token = ${JSON.stringify(PROXY_TOKEN)};`,
  env: () => `const env = ${JSON.stringify(env)};`,
  crm: () => `const crm = new (await import('crmwire')).VtigerClient({ url: ${JSON.stringify(sim.url)}, username: ${JSON.stringify(sim.username)}, accessKey: ${JSON.stringify(sim.accessKey)} });`,
};

/** A JS block as an ES module: its imports first, then the `given` declarations, then the rest. */
function moduleSource(code, given) {
  const lines = code.split('\n');
  let end = 0; // the leading import statements (possibly multi-line) stay first
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*import\s/.test(lines[i])) {
      while (i < lines.length && !/(from\s*['"][^'"]+['"]|^\s*import\s*['"][^'"]+['"])\s*;?\s*(\/\/.*)?$/.test(lines[i])) i++;
      end = i + 1;
    } else if (lines[i].trim() !== '' && !/^\s*\/\//.test(lines[i])) break;
  }
  const pre = given.map((g) => {
    if (GIVEN[g]) return GIVEN[g]();
    if (crmwireExports.has(g)) return `import { ${g} } from 'crmwire';`;
    throw new Error(`unknown given '${g}' (known: ${Object.keys(GIVEN).join(', ')} and the exports of 'crmwire')`);
  });
  return [...lines.slice(0, end), ...pre, ...lines.slice(end)].join('\n');
}

let n = 0;
const RUNNERS = {
  async run(b, o) {
    const f = path.join(WORK, `block-${++n}.mjs`);
    writeFileSync(f, hosts(moduleSource(b.code, o.given)));
    const r = await runAsync(process.execPath, [f], { env, cwd: WORK });
    return [r.status === 0, r.out];
  },
  async worker(b, o) {
    // The block is the Worker's main module; the package is laid out as wrangler/workerd would see
    // it (the `workerd` entry, the .wasm as a compiled module), under the names its imports use.
    const { Miniflare } = await import(path.join(JS, 'node_modules/miniflare/dist/src/index.js'));
    const root = path.join(WORK, `worker-${++n}`);
    const pkg = path.join(ROOT, 'pkg');
    const modules = [{ type: 'ESModule', path: path.join(root, 'worker.mjs'), contents: hosts(moduleSource(b.code, o.given)) }];
    const seen = new Set();
    const walk = (rel, name) => {
      if (seen.has(name)) return;
      seen.add(name);
      const file = path.join(pkg, rel);
      if (rel.endsWith('.wasm')) return modules.push({ type: 'CompiledWasm', path: path.join(root, name), contents: readFileSync(file) });
      const src = readFileSync(file, 'utf8');
      modules.push({ type: 'ESModule', path: path.join(root, name), contents: src });
      // workerd resolves a specifier relative to the importing module's name.
      for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
        walk(path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1])), path.posix.normalize(path.posix.join(path.posix.dirname(name), m[1])));
      }
    };
    // Each export's `workerd` entry (make pkg's bundles), under the name the block imports.
    for (const flavour of ['proxy', 'vtiger', 'perfex']) walk(`gen/${flavour}-workerd.js`, `crmwire/${flavour}`);
    walk('gen/crmwire-workerd.js', 'crmwire');
    const mf = new Miniflare({ host: '127.0.0.1', port: 0, compatibilityDate: '2026-04-20', cf: false, modulesRoot: root, modules, bindings: env });
    try {
      const url = String(await mf.ready).replace(/\/$/, '');
      const code = `import { VtigerClient, select } from 'crmwire';
        const crm = new VtigerClient({ url: ${JSON.stringify(url)}, auth: 'proxy', token: ${JSON.stringify(PROXY_TOKEN)} });
        const lastname = 'Docs' + Date.now();
        const c = await crm.create('Contacts', { lastname, assigned_user_id: '19x1' });
        const rows = await crm.query(select('Contacts').where('lastname', lastname));
        if (rows.length !== 1 || rows[0].id !== c.id) throw new Error('query did not find the created contact: ' + JSON.stringify(rows));
        console.log('worker: created and found', c.id);`;
      const f = path.join(WORK, `call-${n}.mjs`);
      writeFileSync(f, code);
      const r = await runAsync(process.execPath, [f], { cwd: WORK });
      return [r.status === 0, r.out];
    } finally {
      await mf.dispose();
    }
  },
  async 'ts-check'(b) {
    // TypeScript blocks: tsc --strict. JavaScript blocks: checkJs (calls and option names against
    // the declarations; JS has no strict null checks). `process.env` is declared, nothing else.
    const dir = path.join(WORK, `ts-${++n}`);
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(path.join(ROOT, 'pkg'), path.join(dir, 'node_modules/crmwire'), 'dir');
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module","private":true}');
    const js = /^(js|javascript|mjs)$/.test(b.lang);
    const file = js ? 'block.js' : 'block.ts';
    writeFileSync(path.join(dir, file), b.code);
    writeFileSync(path.join(dir, 'env.d.ts'), 'declare var process: { env: Record<string, string | undefined> };\n');
    const compilerOptions = { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], strict: !js, noEmit: true, types: [], allowJs: js, checkJs: js };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file, 'env.d.ts'] }));
    const r = await runAsync(path.join(JS, 'node_modules/.bin/tsc'), ['-p', dir], { cwd: dir });
    return [r.status === 0, r.out];
  },
  async sh(b) {
    const r = await runAsync('bash', ['-euo', 'pipefail', '-c', b.code], { cwd: ROOT, timeout: 120_000 });
    return [r.status === 0, r.out];
  },
};

// ---------------------------------------------------------------- main
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const all = FILES.flatMap((f) => extractBlocks(f, readFileSync(path.join(ROOT, f), 'utf8')));
const counts = {};
try {
  await startServices();
  for (const b of all) {
    const where = `${b.file}:${b.line} (${b.lang || 'no language'})`;
    if (b.marker == null) {
      ok(`${where}: marked`, false, `unmarked code block: put <!-- doc: ${MODES.join(' | ')}: <reason> --> on the line before it`);
      continue;
    }
    const o = parseMarker(b.marker);
    if (!MODES.includes(o.mode) || o.bad) {
      ok(`${where}: marker`, false, `bad marker '${b.marker}': ${o.bad ?? `mode must be one of ${MODES.join(', ')}`}`);
      continue;
    }
    counts[o.mode] = (counts[o.mode] ?? 0) + 1;
    if (o.mode === 'skip') {
      ok(`${where}: skip (${o.reason})`, o.reason.length >= 10, 'a skipped block needs a reason (at least a few words)');
      continue;
    }
    const s = performance.now();
    let res;
    try {
      res = await RUNNERS[o.mode](b, o);
    } catch (e) {
      res = [false, e.stack || String(e)];
    }
    ok(`${where}: ${o.mode}${o.given.length ? ' given ' + o.given.join(',') : ''} (${((performance.now() - s) / 1000).toFixed(1)}s)`, res[0], `${res[1]}\n--- block:\n${b.code}`);
  }
} finally {
  await proxy?.close();
  await sim?.close();
  if (!process.env.KEEP) rmSync(WORK, { recursive: true, force: true });
}
console.log(`# ${all.length} code blocks: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
