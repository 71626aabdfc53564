// Module worker. Import maps do not apply inside workers, so the package is imported by the
// path its import map entry points to (the same file the name resolves to in the page).
import * as crm from '/node_modules/crmwire/gen/crmwire-web.js';
import { smoke } from '/smoke-lib.mjs';

self.onmessage = async (ev) => {
  try {
    self.postMessage(await smoke(crm, { ...ev.data, runtime: 'chromium-worker' }));
  } catch (e) {
    self.postMessage({ error: String((e && e.stack) || e) });
  }
};
