// Node / Bun / Deno driver: `<runtime> run.mjs '<json env>'`.
import * as crm from 'crmwire';
import { smoke } from './smoke-lib.mjs';

const env = JSON.parse(globalThis.process?.argv?.[2] ?? globalThis.Deno?.args?.[0] ?? '{}');
console.log(JSON.stringify(await smoke(crm, env)));
