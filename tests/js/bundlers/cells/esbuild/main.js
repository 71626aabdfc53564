// An esbuild app using crmwire, bundled as pkg/README.md ("Bundlers") documents:
//   esbuild main.js --bundle --format=esm --outdir=dist --loader:.wasm=file
// esbuild does not copy assets referenced by `new URL(..., import.meta.url)`, so the app imports
// the .wasm (the file loader copies it and gives its URL) and hands that URL to ready().
import wasmUrl from 'crmwire/crmwire_bg.wasm';
import { ready } from 'crmwire';
import { check } from './check.mjs';

ready(new URL(wasmUrl, import.meta.url));
const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
check({ ...cfg, cell: 'esbuild' }).then((r) => {
  window.__result = r;
  document.getElementById('out').textContent = JSON.stringify(r, null, 2);
});
