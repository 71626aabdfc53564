// Cloudflare Worker whose upstream state lives in a Durable Object: every isolate, on every
// machine, shares one CRM session (one login) and one set of rate-limit counters (a caller's
// RATE_LIMIT holds globally, not per isolate). wrangler.jsonc in this folder binds the class.
// Settings: the same bindings as worker.mjs (options.mjs); the object reads the upstream ones
// (CRM_URL, CRM_USERNAME, CRM_ACCESS_KEY, ALLOWED_*, RATE_LIMIT), each isolate the edge ones.
import { DurableObject } from 'cloudflare:workers';
import { createVtigerProxy, durableObjectStore, vtigerProxyObject } from 'crmwire/proxy';
import { edgeOptionsFromEnv, optionsFromEnv } from './options.mjs';

// The class wrangler.jsonc names: one object per CRM target holds the session and the counters.
export const VtigerProxyObject = vtigerProxyObject(DurableObject, (env) => optionsFromEnv(env));

let handler = null;

export default {
  fetch(request, env) {
    if (!handler) {
      // The edge: caller tokens, CORS, body limits, the log. The access key stays in the object.
      handler = createVtigerProxy({
        ...edgeOptionsFromEnv(env),
        store: durableObjectStore(env.VTIGER_PROXY, { name: env.CRM_URL || 'crm' }),
        clientAddress: (req) => req.headers.get('cf-connecting-ip') ?? undefined,
      });
    }
    return handler(request);
  },
};
