// A Bun app bundled with `bun build --target=bun` and run by bun (pkg/README.md, "Bundlers").
// bun build does not copy assets referenced by `new URL(..., import.meta.url)`; readme.mjs is the
// README's bun block itself (written by run.mjs): it imports the .wasm as a file (bun copies it next
// to the bundle) and instantiates it before the first call.
import './readme.mjs';
import { check } from './check.mjs';

console.log(JSON.stringify(await check({ ...JSON.parse(process.argv[2]), cell: 'bun' })));
