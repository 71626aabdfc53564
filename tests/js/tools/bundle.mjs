// Bundles the package (make pkg): one ES module per entry point and runtime, pkg/gen/<flavour>-<runtime>.js,
// each with its own copy of the JS layer and of the wasm-bindgen glue of its own wasm module:
//
//   flavour   export       API (pkg/)        wasm (cargo features)
//   crmwire   crmwire         api.js         gen/crmwire_bg.wasm  (vtiger, perfex)
//   vtiger    crmwire/vtiger  api-vtiger.js  gen/vtiger_bg.wasm   (vtiger)
//   perfex    crmwire/perfex  api-perfex.js  gen/perfex_bg.wasm   (perfex)
//   proxy     crmwire/proxy   proxy.js       gen/proxy_bg.wasm    (proxy: vtiger + the request gate)
//
//   runtime   loader (pkg/)   conditions in package.json
//   web       index.js        browser, worker, deno, default
//   node      node.js         node (and bun)
//   workerd   workerd.js      workerd
//
// The sources stay the hand-written modules of pkg/; this script only rewires them per flavour:
// in the runtime entry, `./api.js` becomes the flavour's API and `./gen/crmwire_bg.wasm` its wasm
// (the bundle sits next to it in gen/, so the reference is `./<flavour>_bg.wasm`: the `new URL(...,
// import.meta.url)` form Vite and webpack pick up); core.js's `./gen/crmwire.js` becomes the
// flavour's glue; proxy.js's bare `crmwire` becomes the runtime entry. One file per entry means one
// module for the ESM loader to fetch and link instead of ten (Node cold start), and the Vtiger-only
// and Perfex-only entries carry no code of the other protocol: the build fails if they do.
//
//   node tests/js/tools/bundle.mjs     (after the four gen/<flavour>_bg.wasm and gen/<flavour>.js exist)
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../pkg');
const GEN = path.join(PKG, 'gen');

// absent: strings the bundle must not contain; wasmDeny: export names the flavour's .wasm must not have
// (an export added to src/wasm/ outside its protocol's feature-gated module lands in every flavour).
export const FLAVOURS = {
  crmwire: { api: './api.js', wasmDeny: /proxy/i },
  vtiger: { api: './api-vtiger.js', absent: ['PerfexClient', 'PerfexCore', 'ProxyCore', 'ProxyGate'], wasmDeny: /perfex|proxy/i },
  perfex: { api: './api-perfex.js', absent: ['VtigerClient', 'VtigerCore', 'class Query', 'renderVtql', 'md5Hex', 'ProxyCore', 'ProxyGate'], wasmDeny: /vtiger|vtql|md5|proxy/i },
  proxy: { api: './api-vtiger.js', main: './proxy.js', absent: ['PerfexClient', 'PerfexCore'], wasmDeny: /perfex/i },
};
export const RUNTIMES = { web: 'index.js', node: 'node.js', workerd: 'workerd.js' };
/** Classes users see by name (console.log, util.inspect, `.name`): the only names kept by the minifier. */
export const PUBLIC_CLASSES = ['CrmError', 'VtigerClient', 'PerfexClient', 'Query'];
/** The runtime entries: they configure the loader when imported (side effects). */
const ENTRIES = new Set(Object.values(RUNTIMES).map((f) => path.join(PKG, f)));

function plugin(flavour, runtime) {
  const { api } = FLAVOURS[flavour];
  const entry = path.join(PKG, RUNTIMES[runtime]);
  return {
    name: 'crmwire-flavour',
    setup(b) {
      // proxy.js imports the package by name: the runtime entry of this same bundle.
      b.onResolve({ filter: /^crmwire$/ }, () => ({ path: entry, sideEffects: true }));
      // The wasm stays a file next to the bundle (workerd: a module import of the compiled module).
      b.onResolve({ filter: /_bg\.wasm$/ }, (a) => ({ path: a.path, external: true }));
      // core.js's glue: this flavour's.
      b.onResolve({ filter: /^\.\/gen\/crmwire\.js$/ }, () => ({ path: path.join(GEN, `${flavour}.js`), sideEffects: false }));
      // Every other module of the package is side-effect free (unused ones are dropped), except the entries.
      b.onResolve({ filter: /^\./ }, (a) => {
        const p = path.resolve(a.resolveDir, a.path);
        return { path: p, sideEffects: ENTRIES.has(p) };
      });
      b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, external: true }));
      b.onLoad({ filter: /\.js$/ }, (a) => {
        let text = readFileSync(a.path, 'utf8');
        if (ENTRIES.has(a.path)) {
          const swap = (from, to) => {
            if (!text.includes(from)) throw new Error(`${path.basename(a.path)} no longer contains ${from}: update tests/js/tools/bundle.mjs`);
            text = text.split(from).join(to);
          };
          swap("'./gen/crmwire_bg.wasm'", `'./${flavour}_bg.wasm'`);
          swap("from './api.js'", `from '${api}'`);
        }
        if (a.path.startsWith(PKG + path.sep) && !a.path.startsWith(GEN)) {
          text = text.split('gen/crmwire_bg.wasm').join(`gen/${flavour}_bg.wasm`); // messages
          // The public classes keep their names under minification (console.log, util.inspect, `.name`).
          for (const name of PUBLIC_CLASSES) {
            if (new RegExp(`^export class ${name}\\b`, 'm').test(text)) text += `\nObject.defineProperty(${name}, 'name', { value: '${name}' });\n`;
          }
        }
        return { contents: text, loader: 'js' };
      });
    },
  };
}

export async function bundle(flavour, runtime) {
  const f = FLAVOURS[flavour];
  const glue = path.join(GEN, `${flavour}.js`);
  if (!existsSync(glue)) throw new Error(`${path.relative(process.cwd(), glue)} missing: make pkg builds it`);
  const outfile = path.join(GEN, `${flavour}-${runtime}.js`);
  const options = (minifyIdentifiers) => ({
    entryPoints: [path.join(PKG, f.main ?? RUNTIMES[runtime])],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    outfile,
    write: minifyIdentifiers,
    logLevel: 'error',
    legalComments: 'none',
    // Fully minified: crmwire/vtiger's JS is 11.5 KB gzip instead of 13.1 KB (whitespace and syntax
    // only). Nothing reads our function names (stack frames name minified functions; no source maps
    // are shipped or promised), except the public classes' names, kept above (PUBLIC_CLASSES);
    // esbuild's keepNames for every function would cost 0.7 KB gzip. Error messages, codes and
    // the `name` of CrmError are strings and stay as they are.
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers,
    plugins: [plugin(flavour, runtime)],
    banner: { js: `// crmwire ${flavour === 'crmwire' ? '' : `(crmwire/${flavour}) `}for ${runtime === 'web' ? 'browsers, workers and Deno' : runtime === 'node' ? 'Node and Bun' : 'workerd'}: generated by make pkg from the modules of the crmwire repository (pkg/*.js); do not edit.` },
  });
  // The checks read a build with the source's names (the shipped one renames VtigerCore, `class Query`, ...).
  const named = await build(options(false));
  if (named.errors.length) throw new Error(named.errors.map((e) => e.text).join('\n'));
  const text = named.outputFiles[0].text;
  for (const s of f.absent ?? []) {
    if (text.includes(s)) throw new Error(`${path.relative(PKG, outfile)} contains ${s}: the ${flavour} entry must not carry it`);
  }
  const r = await build(options(true));
  if (r.errors.length) throw new Error(r.errors.map((e) => e.text).join('\n'));
  const out = readFileSync(outfile, 'utf8');
  if (!out.includes(`${flavour}_bg.wasm`)) throw new Error(`${path.relative(PKG, outfile)} does not reference ${flavour}_bg.wasm`);
  if (f.wasmDeny) {
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(path.join(GEN, `${flavour}_bg.wasm`)))).map((e) => e.name);
    const bad = exports.filter((n) => f.wasmDeny.test(n) && !/^__wb/.test(n));
    if (bad.length) throw new Error(`gen/${flavour}_bg.wasm exports ${bad.join(', ')}: another protocol's code. Put the export in its protocol's module of src/wasm/ (each is behind its cargo feature: src/wasm/mod.rs), or gate it with #[cfg(feature = "...")]`);
  }
  return { outfile, bytes: out.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv.slice(2);
  const done = [];
  for (const flavour of Object.keys(FLAVOURS)) {
    if (only.length && !only.includes(flavour)) continue;
    for (const runtime of Object.keys(RUNTIMES)) done.push(await bundle(flavour, runtime));
  }
  console.log(`bundle: ${done.map((d) => `${path.relative(PKG, d.outfile)} ${d.bytes}`).join(', ')}`);
}
