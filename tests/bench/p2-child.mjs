// P2 child: one cold start, in this fresh process. Prints one JSON line.
//   node p2-child.mjs crmwire     import 'crmwire' + first login against an in-memory fetch; the wasm
//                                 compile/instantiate calls made inside are timed by wrapping WebAssembly.*
//   node p2-child.mjs vtiger      the same through import 'crmwire/vtiger' (the Vtiger-only entry)
//   node p2-child.mjs instantiate compile + instantiate the shipped .wasm with stub imports (no glue)
//   node p2-child.mjs ref         import the reference JS client (+ spark-md5) + first login
// Everything the measurement needs that is not part of it (fixtures, the mock) is prepared before t0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const mode = process.argv[2];
const RECORDED = new URL('../fixtures/vtiger/', import.meta.url).pathname;
const fx = (rel) => {
  const f = JSON.parse(readFileSync(join(RECORDED, rel), 'utf8'));
  return { body: f.response.body, status: f.response.status, ct: f.response.content_type };
};
const challenge = fx('vtiger-8.4.0/001-getchallenge.json');
const login = fx('vtiger-8.4.0/002-login.json');
let calls = 0;
const fetch = async (input, init) => {
  calls++;
  const method = (init && init.method) || (input && typeof input === 'object' && input.method) || 'GET';
  const f = method.toUpperCase() === 'POST' ? login : challenge;
  return new Response(f.body, { status: f.status, headers: { 'content-type': f.ct } });
};
const opts = { url: 'http://127.0.0.1:9/', username: 'admin', accessKey: 'ACCESS_KEY', fetch };
// Node loads its fetch/Response implementation (undici) lazily, about 20 ms on first use. That belongs to the
// in-memory fetch, not to either client (a real host has its fetch), so it is paid before the clock starts.
await new Response('{}').text();
await new Response('{}').arrayBuffer();

// Times every wasm compile/instantiate entry point (sync constructors and async functions).
const wasmTimes = [];
function hookWasm() {
  const W = WebAssembly;
  const wrapCtor = (name) => {
    const C = W[name];
    function Wrapped(...a) {
      const t = performance.now();
      const o = new C(...a);
      wasmTimes.push({ what: `new ${name}`, ms: performance.now() - t });
      return o;
    }
    Wrapped.prototype = C.prototype;
    Object.setPrototypeOf(Wrapped, C);
    W[name] = Wrapped;
  };
  const wrapAsync = (name) => {
    const f = W[name];
    W[name] = async function (...a) {
      // Node's own wasm (undici's llhttp, instantiated lazily by the first Response) is not crmwire's.
      const internal = /\(node:internal\//.test(new Error().stack.split('\n').slice(2, 4).join('\n'));
      const t = performance.now();
      const r = await f.apply(this, a);
      if (!internal) wasmTimes.push({ what: name, ms: performance.now() - t });
      return r;
    };
  };
  wrapCtor('Module');
  wrapCtor('Instance');
  for (const n of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) if (W[n]) wrapAsync(n);
}

const out = { mode };
try {
  if (mode === 'crmwire' || mode === 'vtiger') {
    hookWasm();
    const t0 = performance.now();
    const mod = await import(mode === 'vtiger' ? 'crmwire/vtiger' : 'crmwire');
    const t1 = performance.now();
    const c = new mod.VtigerClient(opts);
    const t2 = performance.now();
    await c.login();
    const t3 = performance.now();
    out.importMs = t1 - t0;
    out.constructMs = t2 - t1;
    out.firstLoginMs = t3 - t2;
    out.totalMs = t3 - t0;
    out.instantiateMs = wasmTimes.reduce((a, w) => a + w.ms, 0);
    out.wasmCalls = wasmTimes.map((w) => w.what);
    out.requests = calls;
  } else if (mode === 'instantiate') {
    const bytes = readFileSync(process.argv[3]);
    const t0 = performance.now();
    const m = new WebAssembly.Module(bytes);
    const t1 = performance.now();
    const imports = {};
    for (const imp of WebAssembly.Module.imports(m)) {
      imports[imp.module] ||= {};
      if (imp.kind === 'function') imports[imp.module][imp.name] = () => {};
      else if (imp.kind === 'table') imports[imp.module][imp.name] = new WebAssembly.Table({ initial: 128, element: 'externref' });
      else if (imp.kind === 'memory') imports[imp.module][imp.name] = new WebAssembly.Memory({ initial: 17 });
      else if (imp.kind === 'global') imports[imp.module][imp.name] = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    }
    const t2 = performance.now();
    new WebAssembly.Instance(m, imports);
    const t3 = performance.now();
    out.compileMs = t1 - t0;
    out.instantiateOnlyMs = t3 - t2;
    out.instantiateMs = t1 - t0 + (t3 - t2);
  } else if (mode === 'ref') {
    const t0 = performance.now();
    const { RefVtigerClient } = await import('./lib/ref-client.mjs');
    const t1 = performance.now();
    const c = new RefVtigerClient(opts);
    const t2 = performance.now();
    await c.login();
    const t3 = performance.now();
    out.importMs = t1 - t0;
    out.constructMs = t2 - t1;
    out.firstLoginMs = t3 - t2;
    out.totalMs = t3 - t0;
    out.requests = calls;
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  out.error = `${e.name}: ${e.message}`;
}
process.stdout.write(JSON.stringify(out) + '\n');
