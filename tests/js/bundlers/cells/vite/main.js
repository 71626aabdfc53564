// A Vite app using crmwire as its users write it: import by name, no plugin, no config.
import { check } from './check.mjs';

const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
check({ ...cfg, cell: 'vite' }).then((r) => {
  window.__result = r;
  document.getElementById('out').textContent = JSON.stringify(r, null, 2);
});
