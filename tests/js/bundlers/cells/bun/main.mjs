// A Bun app bundled with `bun build --target=bun` and run by bun (pkg/README.md, "Bundlers").
// bun build does not copy assets referenced by `new URL(..., import.meta.url)`: the app imports the
// .wasm as a file (bun copies it next to the bundle and gives its relative path) and instantiates
// it before the first call.
import wasm from 'crmwire/crmwire_bg.wasm' with { type: 'file' };
import { readFileSync } from 'node:fs';
import { initSync } from 'crmwire';
import { check } from './check.mjs';

initSync(readFileSync(new URL(wasm, import.meta.url)));
console.log(JSON.stringify(await check({ ...JSON.parse(process.argv[2]), cell: 'bun' })));
