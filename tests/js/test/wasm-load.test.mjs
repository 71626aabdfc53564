// Loading failures of the WebAssembly module are CrmErrors (code WASM_LOAD_FAILED) that name what
// was tried and say what to do; ready(source) loads from elsewhere and retries after a failure.
// Each case imports a fresh copy of pkg/ (module state is per copy), so nothing leaks between them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../pkg');
const WASM = path.join(PKG, 'gen/crmwire_bg.wasm');
const copies = [];
/** A copy of the package without its .wasm (or with it, `keepWasm`). */
function copy({ keepWasm = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'crmwire-load-'));
  copies.push(dir);
  cpSync(PKG, dir, { recursive: true, filter: (f) => keepWasm || !f.endsWith('.wasm') });
  return dir;
}
const load = (dir, entry) => import(pathToFileURL(path.join(dir, entry)).href);
test.after(() => { for (const d of copies) rmSync(d, { recursive: true, force: true }); });

const loadFailed = (re) => (e) => {
  assert.equal(e.name, 'CrmError');
  assert.equal(e.code, 'WASM_LOAD_FAILED');
  assert.match(e.message, re);
  return true;
};

test('node entry, .wasm missing: the first use throws WASM_LOAD_FAILED with the path and what to do', async () => {
  const dir = copy();
  const m = await load(dir, 'node.js');
  const file = path.join(dir, 'gen/crmwire_bg.wasm');
  assert.throws(() => m.md5Hex('abc'), loadFailed(new RegExp(`from ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ENOENT`)));
  assert.throws(() => new m.VtigerClient({ url: 'http://127.0.0.1:9', username: 'u', accessKey: 'k' }), loadFailed(/initSync\(bytes\)/));
  await assert.rejects(m.ready(), loadFailed(/reinstall crmwire/));
  assert.equal(m.isReady(), false);
  // ...and the caller can still hand the bytes over itself.
  m.initSync(readFileSync(WASM));
  assert.equal(m.md5Hex('abc'), '900150983cd24fb0d6963f7d28e17f72');
});

test('no entry ran (e.g. a bundler dropped it as side-effect free): the error says so', async () => {
  const dir = copy({ keepWasm: true });
  const api = await load(dir, 'api.js'); // the exports without an entry's configure()
  assert.throws(() => api.md5Hex('abc'), loadFailed(/no WebAssembly loader is configured.*sideEffects/s));
  await assert.rejects(api.ready(), loadFailed(/entry \(index\.js, node\.js or workerd\.js\) did not run/));
});

test('ready(url): a 404 names the URL; the next ready(source) succeeds', async () => {
  const server = createServer((req, res) => res.writeHead(404).end('not here'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/assets/crmwire_bg.wasm`;
  try {
    const m = await load(copy(), 'index.js'); // the browser entry; its own file: URL is missing too
    await assert.rejects(m.ready(url), loadFailed(new RegExp(`from ${url.replace(/[.?/]/g, '\\$&')}: .*404`)));
    assert.equal(m.isReady(), false);
    await m.ready(readFileSync(WASM));
    assert.equal(m.isReady(), true);
    assert.equal(m.md5Hex('abc'), '900150983cd24fb0d6963f7d28e17f72');
  } finally {
    server.close();
  }
});

test('initSync with bytes that are not a wasm module: WASM_LOAD_FAILED, not a bare CompileError', async () => {
  const m = await load(copy(), 'node.js');
  assert.throws(() => m.initSync(new Uint8Array([1, 2, 3, 4])), loadFailed(/the bytes given/));
});
