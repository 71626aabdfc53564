// Cold start in Node: what the shipped bundles cost a fresh process before the first call.
//  - Every export of each shipped .wasm returns at most one value (tests/js/tools/single-value.mjs):
//    Node 20's V8 compiles a TurboFan wrapper per multi-value export signature when the module
//    compiles, about 4 ms of a 6 ms compile.
//  - The module is compiled and instantiated once per process and entry, however many clients,
//    helpers and ready() calls use it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WasmCursor } from '../tools/wasm-cursor.mjs';

const GEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../pkg/gen');

/** The result count of each exported function of a wasm binary: { name: results }. */
function exportResults(b) {
  const c = new WasmCursor(b);
  const types = [];
  const funcs = []; // type index of each function, imports first
  const limits = () => (c.u8() & 1 ? (c.leb(), c.leb()) : c.leb());
  const out = {};
  for (const { id } of c.sections()) {
    if (id === 1) {
      for (let n = c.leb(); n > 0; n--) {
        assert.equal(c.u8(), 0x60, 'a func type');
        c.skip(c.leb()); // params: one byte each (numeric and reference types)
        const results = c.leb();
        c.skip(results);
        types.push(results);
      }
    } else if (id === 2) {
      for (let n = c.leb(); n > 0; n--) {
        c.name(); // module
        c.name(); // field
        const kind = c.u8();
        if (kind === 0) funcs.push(c.leb());
        else if (kind === 1) {
          c.skip(1); // table: reftype, limits
          limits();
        } else if (kind === 2) limits(); // memory
        else c.skip(2); // global (valtype, mutability), tag
      }
    } else if (id === 3) {
      for (let n = c.leb(); n > 0; n--) funcs.push(c.leb());
    } else if (id === 7) {
      for (let n = c.leb(); n > 0; n--) {
        const name = c.name();
        const kind = c.u8();
        const index = c.leb();
        if (kind === 0) out[name] = types[funcs[index]];
      }
    }
  }
  return out;
}

test('every shipped .wasm: no export returns more than one value (Node 20 compiles such modules ~4 ms slower)', () => {
  const files = readdirSync(GEN).filter((f) => f.endsWith('_bg.wasm'));
  assert.ok(files.length >= 4, `the four modules are built (found ${files.join(', ')})`);
  for (const f of files) {
    const bytes = readFileSync(path.join(GEN, f));
    const r = exportResults(bytes);
    // The parse agrees with the engine about which functions are exported.
    const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).filter((e) => e.kind === 'function').map((e) => e.name);
    assert.deepEqual(Object.keys(r).sort(), names.sort(), f);
    const multi = Object.entries(r).filter(([, n]) => n > 1).map(([k, n]) => `${k} (${n})`);
    assert.deepEqual(multi, [], `${f}: exports with several results`);
  }
});

test('crmwire/vtiger in Node: the module is compiled and instantiated once, whatever uses it', async () => {
  const calls = [];
  const W = WebAssembly;
  const wrap = (name) => {
    const C = W[name];
    const Wrapped = function (...a) {
      calls.push(name);
      return new C(...a);
    };
    Wrapped.prototype = C.prototype;
    Object.setPrototypeOf(Wrapped, C);
    W[name] = Wrapped;
  };
  wrap('Module');
  wrap('Instance');
  for (const n of ['compile', 'instantiate']) {
    const f = W[n];
    W[n] = function (...a) {
      calls.push(n);
      return f.apply(this, a);
    };
  }
  const m = await import(pathToFileURL(path.join(GEN, 'vtiger-node.js')).href);
  assert.deepEqual(calls, [], 'importing does not compile');
  const opts = { url: 'http://127.0.0.1:9/', username: 'u', accessKey: 'k', fetch: async () => { throw new Error('not used'); } };
  const a = new m.VtigerClient(opts);
  const b = new m.VtigerClient(opts);
  assert.equal(m.md5Hex('abc'), '900150983cd24fb0d6963f7d28e17f72');
  assert.match(m.version(), /^\d+\.\d+\.\d+/);
  await m.ready();
  await m.ready(readFileSync(path.join(GEN, 'vtiger_bg.wasm')));
  m.initSync(readFileSync(path.join(GEN, 'vtiger_bg.wasm')));
  assert.ok(a !== b && m.isReady());
  assert.deepEqual(calls, ['Module', 'Instance']);
});
