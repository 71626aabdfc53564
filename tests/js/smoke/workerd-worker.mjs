// Cloudflare Worker (module syntax). pack-smoke.mjs rewrites CRMWIRE_ENTRY and CRMWIRE_VTIGER_ENTRY to
// the files that `crmwire` and `crmwire/vtiger` resolve to under the `workerd` condition (what
// wrangler's bundler does).
import * as crm from 'CRMWIRE_ENTRY';
import * as vtiger from 'CRMWIRE_VTIGER_ENTRY';
import { smoke } from './smoke-lib.mjs';

export default {
  async fetch(req) {
    const env = JSON.parse(decodeURIComponent(new URL(req.url).hash.slice(1) || new URL(req.url).searchParams.get('env') || '{}'));
    try {
      return Response.json({ ...(await smoke(crm, { ...env, runtime: 'workerd' })), vtiger: await smoke(vtiger, { ...env, runtime: 'workerd-vtiger' }) });
    } catch (e) {
      return Response.json({ error: String((e && e.stack) || e) });
    }
  },
};
