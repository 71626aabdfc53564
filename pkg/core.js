// crmwire: runtime-independent JS layer over the wasm exports in ./gen/crmwire.js.
//
// The entries (index.js, node.js, workerd.js) only differ in how they get the wasm bytes;
// each calls `configure(loader)` once at import, with no I/O and no top-level await (MV3
// service workers forbid it). The module is instantiated on first use:
//   - synchronously where the host can read the bytes synchronously (Node, Bun, workerd,
//     Deno with a file: URL), so every API, sync helpers included, just works;
//   - otherwise (browsers, extension workers, remote Deno) asynchronously: every async
//     method awaits it by itself; only the few sync helpers (md5Hex, vtql rendering) need
//     `await ready()` once beforehand and throw a clear NOT_READY error otherwise.
import * as gen from './gen/crmwire.js';
import { CrmError } from './errors.js';

let loader = null;
let instantiated = false;
let pending = null;
let override; // a source given to ready(source), used instead of the entry's async loader

/**
 * @internal Called once by the runtime entry. `loader`: `{ sync(), async(), source, hint }`;
 * `source` names what is loaded (URL or path) and `hint` says what to do when that fails: both
 * go into the WASM_LOAD_FAILED error.
 */
export function configure(l) {
  loader = l;
}

// No entry ran: the package was imported through a path that skips its entry files, or a
// bundler dropped the entry's configure() call as side-effect free.
const NO_ENTRY =
  "crmwire: no WebAssembly loader is configured, so the package's entry (index.js, node.js or workerd.js) did not run. " +
  "Import 'crmwire' by its name (not core.js or api.js) and keep the entry files' side effects (package.json " +
  '"sideEffects" lists them; a bundler option that marks every module side-effect free drops them), ' +
  'or load the module yourself: initSync(bytes or WebAssembly.Module), or ready(url).';

/** A CrmError saying what was tried and what to do; CrmErrors pass through. */
function loadError(e, source) {
  if (e && e.name === 'CrmError') return e;
  const what = source ?? loader?.source;
  const msg =
    `crmwire: could not load its WebAssembly module${what ? ` from ${what}` : ''}: ${e && e.message ? e.message : String(e)}.` +
    ` ${source === undefined ? loader?.hint ?? '' : "Check that it is crmwire's gen/crmwire_bg.wasm (served as application/wasm when it is a URL)."}`;
  return new CrmError('WASM_LOAD_FAILED', msg, { cause: e });
}

/** Instantiates from bytes or a compiled `WebAssembly.Module` the host loaded itself. */
export function initSync(source) {
  if (instantiated) return;
  const module = source && typeof source === 'object' && 'module' in source ? source.module : source;
  try {
    gen.initSync({ module });
  } catch (e) {
    throw loadError(e, module instanceof WebAssembly.Module ? 'the WebAssembly.Module given' : 'the bytes given');
  }
  instantiated = true;
}

/** True once the wasm module is instantiated. */
export function isReady() {
  return instantiated;
}

function trySync() {
  if (instantiated) return true;
  if (!loader) throw new CrmError('WASM_LOAD_FAILED', NO_ENTRY);
  if (override !== undefined || !loader.sync) return false;
  let src;
  try {
    src = loader.sync();
  } catch (e) {
    throw loadError(e);
  }
  if (src == null) return false;
  try {
    gen.initSync({ module: src });
  } catch (e) {
    throw loadError(e);
  }
  instantiated = true;
  return true;
}

/**
 * Resolves when the wasm module is instantiated (starts loading it if needed). Idempotent;
 * after a failure (e.g. offline) the next call tries again. `source` (a URL, a `Response`, bytes
 * or a `WebAssembly.Module`) replaces where the entry would load the module from: for bundlers
 * that do not copy the `.wasm` by themselves (esbuild's file loader gives its URL).
 */
export function ready(source) {
  if (instantiated) return Promise.resolve();
  if (source !== undefined && source !== null) override = source;
  if (!pending) {
    pending = (async () => {
      if (trySync()) return;
      const custom = override !== undefined;
      let src;
      try {
        src = custom ? override : await loader.async();
      } catch (e) {
        throw loadError(e);
      }
      if (instantiated) return;
      try {
        await gen.default({ module_or_path: src });
      } catch (e) {
        throw loadError(e, custom ? describeSource(src) : undefined);
      }
      instantiated = true;
    })();
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}

const describeSource = (s) => (typeof s === 'string' || s instanceof URL ? String(s) : s && typeof s.url === 'string' ? s.url : 'the source given to ready()');

/** @internal The wasm exports, instantiating synchronously when possible. */
export function wasmSync(what) {
  if (!trySync()) {
    throw new CrmError(
      'NOT_READY',
      `crmwire: ${what} needs the WebAssembly module, which is still loading in this runtime; ` +
        '`await ready()` once before calling synchronous helpers (async methods wait by themselves)',
    );
  }
  return gen;
}

/** @internal The wasm exports, after instantiating (asynchronously if needed). */
export async function wasm() {
  if (!instantiated) await ready();
  return gen;
}

