// Node, ESM: import by name (the `node` condition: node.js, sync init from disk).
import { check } from './check.mjs';

const cfg = JSON.parse(process.argv[2]);
console.log(JSON.stringify(await check(cfg)));
