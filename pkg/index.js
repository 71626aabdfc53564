// Entry for browsers, web/extension workers, Deno and any other ESM host with fetch.
// The wasm file sits next to the glue; `new URL(..., import.meta.url)` is also what bundlers
// (Vite, webpack 5, esbuild with a file loader) recognise as an asset reference.
import { configure } from './core.js';

const WASM_URL = new URL('./gen/crmwire_bg.wasm', import.meta.url);

configure({
  // Synchronous path: a local file in a host that can read it synchronously (Deno with
  // --allow-read, Bun). Anything else loads asynchronously.
  sync() {
    if (WASM_URL.protocol !== 'file:') return null;
    try {
      const D = globalThis.Deno;
      if (D && typeof D.readFileSync === 'function') return D.readFileSync(WASM_URL);
      const p = globalThis.process;
      const fs = p && typeof p.getBuiltinModule === 'function' ? p.getBuiltinModule('node:fs') : null;
      return fs ? fs.readFileSync(WASM_URL) : null;
    } catch {
      return null; // e.g. no read permission: the async path reports the real error
    }
  },
  async async() {
    return WASM_URL;
  },
});

export * from './api.js';
