// Entry for Cloudflare Workers (workerd, wrangler, miniflare): the runtime hands us the
// compiled WebAssembly.Module through a module import (wrangler's default rule for *.wasm
// is CompiledWasm); it is instantiated synchronously on first use.
import wasmModule from './gen/crmwire_bg.wasm';
import { configure } from './core.js';

configure({
  sync: () => wasmModule,
  async: async () => wasmModule,
});

export * from './api.js';
