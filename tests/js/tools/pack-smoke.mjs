// npm pack → install the tarball into a temp consumer dir the way a user would → import the
// package BY NAME in Node, Bun, Deno, headless Chromium (page + module worker) and workerd
// (miniflare). Also checks that the tarball holds exactly the files a user needs.
//
// Env: SIM_URL/SIM_USER/SIM_KEY (optional): also run the client checks against a simulator
// that sends CORS headers. KEEP=1 keeps the temp dir.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, cpSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
const jsDir = path.resolve(here, '..');
const root = path.resolve(jsDir, '../..');
const pkgDir = path.join(root, 'pkg');
const bin = (n) => path.join(jsDir, 'node_modules/.bin', n);
const t0 = performance.now();
const log = (...a) => console.log(`[pack-smoke ${((performance.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const failures = [];
const check = (name, fn) => {
  try {
    fn();
    log('ok  ', name);
  } catch (e) {
    failures.push(name);
    log('FAIL', name, '\n', e.message);
  }
};

const work = mkdtempSync(path.join(tmpdir(), 'crmwire-smoke-'));
const env = {};
if (process.env.SIM_URL) Object.assign(env, { simUrl: process.env.SIM_URL, username: process.env.SIM_USER, accessKey: process.env.SIM_KEY });
const envJson = JSON.stringify(env);

// ---- 1. npm pack: exactly the files a user needs
const expected = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).files.concat('package.json').sort();
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], { cwd: pkgDir, encoding: 'utf8' }),
)[0];
const packedFiles = packed.files.map((f) => f.path).sort();
log(`npm pack: ${packed.filename} ${packed.size} B packed, ${packed.unpackedSize} B unpacked, ${packedFiles.length} files`);
check('npm pack lists exactly the package files', () => assert.deepEqual(packedFiles, expected));
const dry = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: pkgDir, encoding: 'utf8' }))[0];
check('npm pack --dry-run agrees', () => assert.deepEqual(dry.files.map((f) => f.path).sort(), expected));

// ---- 2. consumer dir: install the tarball by name
const consumer = path.join(work, 'consumer');
cpSync(path.join(jsDir, 'smoke'), consumer, { recursive: true });
writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, packed.filename)], { cwd: consumer, stdio: 'inherit' });
log('installed into', consumer);

const run = (cmd, args, extraEnv = {}) => {
  const r = spawnSync(cmd, args, { cwd: consumer, encoding: 'utf8', env: { ...process.env, ...extraEnv }, timeout: 60000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};

const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';
const MD5_UNI = execFileSync('node', ['-e', "process.stdout.write(require('crypto').createHash('md5').update('zoë 😀').digest('hex'))"], { encoding: 'utf8' });
function expectResult(r, { syncFirst }) {
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.md5, MD5_ABC);
  assert.equal(r.md5Unicode, MD5_UNI);
  assert.match(r.version, /^\d+\.\d+\.\d+/);
  assert.equal(r.guard, true);
  assert.equal(r.syncBeforeReady, syncFirst ? MD5_ABC : 'NOT_READY');
  if (env.simUrl && r.client) assert.deepEqual(r.client, { types: true, created: true, rows: 1, missing: r.client.missing, file: true });
}

// The per-CRM entries: crmwire's API without the other CRM (and the same Vtiger checks for crmwire/vtiger).
const ALL = ['CrmError', 'PerfexClient', 'Query', 'VtigerClient', 'initSync', 'isCrmError', 'isReady', 'md5Hex', 'ready', 'select', 'toVtql', 'version', 'vtqlLiteral'];
const VTIGER = ALL.filter((n) => n !== 'PerfexClient');
const PERFEX = ['CrmError', 'PerfexClient', 'initSync', 'isCrmError', 'isReady', 'ready', 'version'];
function expectVtiger(r, opts) {
  expectResult(r, opts);
  assert.deepEqual(r.exports, VTIGER);
}
function expectPerfex(r, { syncFirst }) {
  assert.equal(r.error, undefined, r.error);
  assert.deepEqual(r.exports, PERFEX);
  assert.match(r.version, /^\d+\.\d+\.\d+/);
  assert.equal(r.syncBeforeReady, syncFirst ? r.version : 'NOT_READY');
  assert.equal(r.guard, true);
  assert.equal(r.perfexCheck, 'INVALID_INPUT url');
}

// ---- 3. Node (node condition → gen/*-node.js), plus condition resolution
check('node: import by name', () => {
  const r = run('node', ['run.mjs', envJson]);
  expectResult(r, { syncFirst: true });
  assert.deepEqual(r.exports, ALL);
  assert.equal(r.perfexCheck, 'INVALID_INPUT url');
});
check('node: import crmwire/vtiger', () => expectVtiger(run('node', ['run.mjs', envJson, 'crmwire/vtiger']), { syncFirst: true }));
check('node: import crmwire/perfex', () => expectPerfex(run('node', ['run.mjs', envJson, 'crmwire/perfex']), { syncFirst: true }));
const resolveWith = (cond, spec = 'crmwire') =>
  path.relative(path.join(consumer, 'node_modules/crmwire'), fileURLToPath(
    execFileSync('node', [...(cond ? ['--conditions=' + cond] : []), '--input-type=module', '-e', `process.stdout.write(import.meta.resolve('${spec}'))`], { cwd: consumer, encoding: 'utf8' }),
  ));
check('exports map: node/workerd/worker/deno/browser resolve to their entries, for each entry point', () => {
  for (const [spec, flavour] of [['crmwire', 'crmwire'], ['crmwire/vtiger', 'vtiger'], ['crmwire/perfex', 'perfex'], ['crmwire/proxy', 'proxy']]) {
    assert.equal(resolveWith('', spec), `gen/${flavour}-node.js`);
    assert.equal(resolveWith('workerd', spec), `gen/${flavour}-workerd.js`);
    assert.equal(resolveWith('worker', spec), `gen/${flavour}-web.js`);
    assert.equal(resolveWith('deno', spec), `gen/${flavour}-web.js`);
    assert.equal(resolveWith('browser', spec), `gen/${flavour}-web.js`);
    assert.equal(resolveWith('', `crmwire/${flavour}_bg.wasm`), `gen/${flavour}_bg.wasm`);
  }
});
// Each entry's types: crmwire/vtiger lists every name index.d.ts declares (crmwire/perfex's are perfex.d.ts).
check('types: vtiger.d.ts re-exports every declaration of index.d.ts', () => {
  const dts = (f) => readFileSync(path.join(consumer, 'node_modules/crmwire', f), 'utf8');
  const declared = [...dts('index.d.ts').matchAll(/^export (?:declare )?(?:class|function|type|interface|const|enum) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
  const listed = new Set(dts('vtiger.d.ts').match(/[A-Za-z_$][\w$]*/g));
  assert.deepEqual(declared.filter((n) => !listed.has(n)), []);
});

// ---- 4. Bun
check('bun: import by name', () => expectResult(run(bin('bun'), ['run.mjs', envJson]), { syncFirst: true }));

// ---- 5. Deno (deno condition → gen/*-web.js, sync read of the local file with --allow-read)
const deno = (entry) =>
  run(bin('deno'), ['run', '--quiet', '--no-prompt', `--allow-read=${consumer}`, '--allow-net=127.0.0.1', '--allow-env', 'run.mjs', envJson, entry], {
    DENO_DIR: path.join(work, 'deno-dir'),
    DENO_NO_UPDATE_CHECK: '1',
  });
check('deno: import by name', () => expectResult(deno('crmwire'), { syncFirst: true }));
check('deno: import crmwire/perfex', () => expectPerfex(deno('crmwire/perfex'), { syncFirst: true }));

// ---- 6. workerd via miniflare (workerd condition → gen/*-workerd.js, CompiledWasm module import)
{
  const { Miniflare } = await import(path.join(jsDir, 'node_modules/miniflare/dist/src/index.js'));
  const src = readFileSync(path.join(consumer, 'workerd-worker.mjs'), 'utf8')
    .replace("'CRMWIRE_ENTRY'", `'./node_modules/crmwire/${resolveWith('workerd')}'`)
    .replace("'CRMWIRE_VTIGER_ENTRY'", `'./node_modules/crmwire/${resolveWith('workerd', 'crmwire/vtiger')}'`);
  writeFileSync(path.join(consumer, 'workerd-worker.mjs'), src);
  const pkgFiles = readdirSync(path.join(consumer, 'node_modules/crmwire'), { recursive: true }).filter((f) => /\.(js|wasm)$/.test(f));
  const mf = new Miniflare({
    compatibilityDate: '2026-04-20',
    modulesRoot: consumer,
    modules: [
      { type: 'ESModule', path: path.join(consumer, 'workerd-worker.mjs') },
      { type: 'ESModule', path: path.join(consumer, 'smoke-lib.mjs') },
      ...pkgFiles.map((f) => ({
        type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule',
        path: path.join(consumer, 'node_modules/crmwire', f),
      })),
    ],
  });
  try {
    const res = await mf.dispatchFetch('http://localhost/?env=' + encodeURIComponent(envJson));
    const r = await res.json();
    check('workerd (miniflare): import of the workerd entry', () => expectResult(r, { syncFirst: true }));
    check('workerd (miniflare): crmwire/vtiger', () => expectVtiger(r.vtiger, { syncFirst: true }));
  } catch (e) {
    check('workerd (miniflare): import of the workerd entry', () => {
      throw e;
    });
  } finally {
    await mf.dispose();
  }
}

// ---- 7. headless Chromium: page (import map by name) + module worker
{
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const p = path.join(consumer, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!p.startsWith(consumer)) return res.writeHead(403).end();
    try {
      const body = readFileSync(p);
      res.writeHead(200, { 'content-type': types[path.extname(p)] || 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(mkdtempSync(path.join(work, 'profile-')), {
    executablePath: process.env.CHROME || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await ctx.newPage();
    const errs = [];
    page.on('pageerror', (e) => errs.push(e.message));
    await page.goto(`${base}/page.html#${encodeURIComponent(envJson)}`);
    await page.waitForFunction(() => window.__result, null, { timeout: 20000 });
    const r = await page.evaluate(() => window.__result);
    check('chromium page: import map by name', () => expectResult(r, { syncFirst: false }));
    check('chromium page: crmwire/vtiger', () => expectVtiger(r.vtiger, { syncFirst: false }));
    const w = await page.evaluate(
      (e) =>
        new Promise((resolve) => {
          const wk = new Worker('/worker.mjs', { type: 'module' });
          wk.onmessage = (m) => resolve(m.data);
          wk.onerror = (ev) => resolve({ error: 'worker error: ' + (ev.message || 'load failed') });
          wk.postMessage(e);
        }),
      env,
    );
    check('chromium module worker', () => expectResult(w, { syncFirst: false }));
    if (errs.length) check('chromium: no page errors', () => assert.deepEqual(errs, []));
  } finally {
    await ctx.close();
    server.close();
  }
}

if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
else log('kept', work);
if (failures.length) {
  console.error(`pack-smoke: ${failures.length} failed: ${failures.join('; ')}`);
  process.exit(1);
}
log('all runtimes ok');
