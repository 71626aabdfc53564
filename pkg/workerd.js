// Entry for Cloudflare Workers (workerd, wrangler, miniflare): the runtime hands us the
// compiled WebAssembly.Module through a module import (wrangler's default rule for *.wasm
// is CompiledWasm); it is instantiated synchronously on first use.
import wasmModule from './gen/crmwire_bg.wasm';
import { configure } from './core.js';

const HINT =
  'The import of crmwire/gen/crmwire_bg.wasm must give a compiled WebAssembly.Module: wrangler does that by default ' +
  '(rule type CompiledWasm for **/*.wasm); with plain workerd declare it as a `wasm` module; with other bundlers ' +
  "use the 'browser' condition instead of 'workerd'.";

configure({
  source: 'the module import crmwire/gen/crmwire_bg.wasm',
  hint: HINT,
  sync: () => {
    if (!(wasmModule instanceof WebAssembly.Module)) {
      throw new Error(`the import gave ${wasmModule === null ? 'null' : typeof wasmModule}, not a WebAssembly.Module`);
    }
    return wasmModule;
  },
  async: async () => wasmModule,
});

export * from './api.js';
