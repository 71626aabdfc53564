// (Re)writes config.capnp and durable.capnp: the worker plus crmwire/proxy's workerd bundle
// (pkg/gen/proxy-workerd.js, built by `make pkg`) and every package module it imports (its wasm), found by
// following the static imports. Run after the package changes:
//   node www/edge/workerd-config.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const gen = path.resolve(here, '../../pkg/gen');
const files = new Set();
const walk = (rel) => {
  if (files.has(rel)) return;
  files.add(rel);
  if (rel.endsWith('.wasm')) return;
  const src = readFileSync(path.join(gen, rel), 'utf8');
  for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*['"](\.[^'"]+)['"]/g)) {
    walk(path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1] ?? m[2])));
  }
};
walk('proxy-workerd.js');
files.delete('proxy-workerd.js');
// workerd resolves a specifier relative to the importing module's name: the bundle is "crmwire/proxy",
// so its `./proxy_bg.wasm` is "crmwire/proxy_bg.wasm".
const mods = [
  '    (name = "crmwire/proxy", esModule = embed "../../pkg/gen/proxy-workerd.js"),',
  ...[...files].sort().map((f) => `    (name = "crmwire/${f}", ${f.endsWith('.wasm') ? 'wasm' : 'esModule'} = embed "../../pkg/gen/${f}"),`),
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
