// (Re)writes config.capnp and durable.capnp: the worker plus every package module that pkg/proxy.js reaches, itself or
// through `crmwire` (pkg/workerd.js), found by following the static imports. Run after the package changes:
//   node www/edge/workerd-config.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const pkg = path.resolve(here, '../../pkg');
const files = new Set();
const walk = (rel) => {
  if (files.has(rel)) return;
  files.add(rel);
  if (rel.endsWith('.wasm')) return;
  const src = readFileSync(path.join(pkg, rel), 'utf8');
  for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*['"](\.[^'"]+)['"]/g)) {
    walk(path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1] ?? m[2])));
  }
};
walk('workerd.js');
walk('proxy.js'); // its own relative imports too (transport.js, errors.js…)
files.delete('workerd.js');
files.delete('proxy.js');
const mods = [
  '    (name = "crmwire/proxy", esModule = embed "../../pkg/proxy.js"),',
  '    (name = "crmwire/crmwire", esModule = embed "../../pkg/workerd.js"),',
  ...[...files].sort().map((f) => `    (name = "crmwire/${f}", ${f.endsWith('.wasm') ? 'wasm' : 'esModule'} = embed "../../pkg/${f}"),`),
];
// config.capnp (one worker) and durable.capnp (two edges and a Durable Object) embed the same list.
for (const name of ['config.capnp', 'durable.capnp']) {
  const cfg = path.join(here, name);
  const text = readFileSync(cfg, 'utf8');
  const start = text.indexOf('    (name = "crmwire/proxy"');
  // the list runs on while its lines embed package files
  let end = start;
  while (text.startsWith('    (name = "crmwire/', end)) end = text.indexOf('\n', end) + 1;
  writeFileSync(cfg, text.slice(0, start) + mods.join('\n') + '\n' + text.slice(end));
}
console.log(`config.capnp, durable.capnp: ${mods.length} package modules`);
