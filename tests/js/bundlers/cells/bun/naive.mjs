// The same app without the .wasm import: the bundle has no .wasm next to it, and the first call
// must fail with a CrmError that names the path tried and what to do.
import { check } from './check.mjs';

console.log(JSON.stringify(await check({ ...JSON.parse(process.argv[2]), cell: 'bun' })));
