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

/** @internal Called once by the runtime entry. */
export function configure(l) {
  loader = l;
}

/** Instantiates from bytes or a compiled `WebAssembly.Module` the host loaded itself. */
export function initSync(source) {
  if (instantiated) return;
  const module = source && typeof source === 'object' && 'module' in source ? source.module : source;
  gen.initSync({ module });
  instantiated = true;
}

/** True once the wasm module is instantiated. */
export function isReady() {
  return instantiated;
}

function trySync() {
  if (instantiated) return true;
  const src = loader && loader.sync ? loader.sync() : null;
  if (src == null) return false;
  initSync(src);
  return true;
}

/**
 * Resolves when the wasm module is instantiated (starts loading it if needed). Idempotent;
 * after a failure (e.g. offline) the next call tries again.
 */
export function ready() {
  if (instantiated) return Promise.resolve();
  if (!pending) {
    pending = (async () => {
      if (trySync()) return;
      const src = await loader.async();
      if (!instantiated) {
        await gen.default({ module_or_path: src });
        instantiated = true;
      }
    })();
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}

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

