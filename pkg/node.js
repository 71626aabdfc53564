// Entry for Node (and Bun, which resolves the `node` condition): synchronous init from disk
// on first use, so every export works immediately after import.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configure } from './core.js';

const WASM_URL = new URL('./gen/crmwire_bg.wasm', import.meta.url);
const source = WASM_URL.protocol === 'file:' ? fileURLToPath(WASM_URL) : WASM_URL.href;

configure({
  source,
  hint:
    'The file ships in the package (node_modules/crmwire/gen/crmwire_bg.wasm): reinstall crmwire if it is missing. ' +
    'When you bundle for Node or Bun, keep crmwire external (not bundled), copy that file to this path, ' +
    'or pass its bytes to initSync(bytes) before the first call.',
  sync: () => readFileSync(WASM_URL),
  async: async () => readFileSync(WASM_URL),
});

export * from './api.js';
