// Node / Bun / Deno driver: `<runtime> run.mjs '<json env>' [entry]` (entry: crmwire, crmwire/vtiger, crmwire/perfex).
import { smoke } from './smoke-lib.mjs';

const args = globalThis.process?.argv?.slice(2) ?? globalThis.Deno?.args ?? [];
const env = JSON.parse(args[0] ?? '{}');
const entry = args[1] ?? 'crmwire';
const crm = await import(entry);
console.log(JSON.stringify(await smoke(crm, { ...env, entry })));
