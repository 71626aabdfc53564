// The caller: a Node script with crmwire in proxy mode (token only) against the Worker.
import { check } from './check.mjs';

console.log(JSON.stringify(await check(JSON.parse(process.argv[2]))));
