// A webpack 5 app using crmwire as its users write it: import by name, no wasm rule
// (webpack 5 emits `new URL('./x.wasm', import.meta.url)` as an asset by itself).
import { check } from './check.mjs';

const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
check({ ...cfg, cell: 'webpack' }).then((r) => {
  window.__result = r;
  document.getElementById('out').textContent = JSON.stringify(r, null, 2);
});
