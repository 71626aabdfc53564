// Cloudflare Worker (module syntax). pack-smoke.mjs rewrites CRMWIRE_ENTRY to the file that
// the name `crmwire` resolves to under the `workerd` condition (what wrangler's bundler does).
import * as crm from 'CRMWIRE_ENTRY';
import { smoke } from './smoke-lib.mjs';

export default {
  async fetch(req) {
    const env = JSON.parse(decodeURIComponent(new URL(req.url).hash.slice(1) || new URL(req.url).searchParams.get('env') || '{}'));
    try {
      return Response.json(await smoke(crm, { ...env, runtime: 'workerd' }));
    } catch (e) {
      return Response.json({ error: String((e && e.stack) || e) });
    }
  },
};
