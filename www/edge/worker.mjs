// Cloudflare Worker (workerd, wrangler, miniflare): the proxy is the Worker's fetch handler.
// Settings come from bindings (wrangler: [vars] + `wrangler secret put CRM_ACCESS_KEY`;
// workerd: config.capnp in this folder). The handler, and with it the shared CRM session,
// lives as long as the isolate.
import { createVtigerProxy } from 'crmwire/proxy';
import { optionsFromEnv } from './options.mjs';

let handler = null;

export default {
  fetch(request, env) {
    handler ??= createVtigerProxy(optionsFromEnv(env));
    return handler(request);
  },
};
