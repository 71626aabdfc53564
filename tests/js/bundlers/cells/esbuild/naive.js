// The same app without the .wasm import and ready(url): esbuild leaves the browser entry's
// `new URL('./crmwire_bg.wasm', import.meta.url)` pointing next to the bundle, where nothing
// was copied. The first call must fail with a CrmError naming that URL and what to do.
import { check } from './check.mjs';

const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
check({ ...cfg, cell: 'esbuild-naive' }).then((r) => {
  window.__result = r;
});
