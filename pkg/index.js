// Entry for browsers, web/extension workers, Deno and any other ESM host with fetch.
// The wasm file sits next to the glue; `new URL(..., import.meta.url)` is the asset reference
// Vite and webpack 5 recognise and copy into the build (tests/js/bundlers builds with both).
// esbuild and bun build do not: import 'crmwire/crmwire_bg.wasm' as a file and pass its URL to
// ready(url) or its bytes to initSync() (pkg/README.md, "Bundlers").
import { configure } from './core.js';

const WASM_URL = new URL('./gen/crmwire_bg.wasm', import.meta.url);

configure({
  source: WASM_URL.href,
  hint: WASM_URL.protocol === 'file:'
    ? 'Deno needs read access to that file (--allow-read=<that path>, or --allow-read=node_modules with a node_modules folder); ' +
      'other hosts: check that the file exists (it ships in the package), or pass the bytes to initSync(bytes).'
    : 'Serve the file node_modules/crmwire/gen/crmwire_bg.wasm at that URL (Content-Type application/wasm), ' +
    'or pass its URL to ready(url) before the first call. Bundlers: see "Bundlers" in the crmwire README ' +
    '(Vite and webpack 5 copy it by themselves; esbuild needs --loader:.wasm=file and ready(url)).',
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
