// Entry for Node (and Bun, which resolves the `node` condition): synchronous init from disk
// on first use, so every export works immediately after import.
import { readFileSync } from 'node:fs';
import { configure } from './core.js';

const WASM_URL = new URL('./gen/crmwire_bg.wasm', import.meta.url);

configure({
  sync: () => readFileSync(WASM_URL),
  async: async () => readFileSync(WASM_URL),
});

export * from './api.js';
