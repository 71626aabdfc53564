// An esbuild app using crmwire, bundled as pkg/README.md ("Bundlers") documents:
//   esbuild main.js --bundle --format=esm --outdir=dist --loader:.wasm=file
// esbuild does not copy assets referenced by `new URL(..., import.meta.url)`; readme.js is the
// README's esbuild block itself (written by run.mjs): it imports the .wasm with the file loader and
// hands its URL to ready().
import './readme.js';
import { check } from './check.mjs';

const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
check({ ...cfg, cell: 'esbuild' }).then((r) => {
  window.__result = r;
  document.getElementById('out').textContent = JSON.stringify(r, null, 2);
});
