// A Cloudflare Workers project's view of the package: lib "webworker", no @types/node, strict.
// tsc must accept it (tools/typecheck.mjs); proxy.d.ts used to need node:http's types.
import { createVtigerProxy, durableObjectStore, toNodeListener, vtigerProxyObject, type DurableObjectNamespaceLike, type ProxyHandler, type VtigerEdgeProxyOptions } from 'crmwire/proxy';
import { VtigerClient, select, isCrmError, ready, type VtigerProxyOptions, type CrmErrorCode } from 'crmwire';
import wasmUrl from 'crmwire/crmwire_bg.wasm';

interface Env {
  CRM_URL: string;
  CRM_USERNAME: string;
  CRM_ACCESS_KEY: string;
  PROXY_TOKEN: string;
  VTIGER_PROXY: DurableObjectNamespaceLike;
}

// The upstream state in a Durable Object (cloudflare:workers' class, declared here: no workers types).
declare class DurableObject { constructor(ctx: unknown, env: unknown); }
export const VtigerProxyObject = vtigerProxyObject(DurableObject, (env: Env) => ({
  target: env.CRM_URL, username: env.CRM_USERNAME, accessKey: env.CRM_ACCESS_KEY,
  allow: { modules: ['Contacts'] }, rateLimit: { requests: 120, windowMs: 60_000 },
}));
export const objectHandler = (env: Env): ProxyHandler => createVtigerProxy({ tokens: [env.PROXY_TOKEN], store: durableObjectStore(env.VTIGER_PROXY, { name: env.CRM_URL }) });

let handler: ProxyHandler | undefined;
const options = (env: Env): VtigerEdgeProxyOptions => ({
  target: env.CRM_URL,
  username: env.CRM_USERNAME,
  accessKey: env.CRM_ACCESS_KEY,
  tokens: [env.PROXY_TOKEN],
  allow: { modules: ['Contacts'], operations: ['query', 'create'] },
  rateLimit: (callerId: string, request: Request) => (callerId && request.method === 'POST' ? 0 : 0),
});

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname === '/client') {
      // The client in proxy mode, from a Worker: the client's options type keeps its own name.
      const opts: VtigerProxyOptions = { url: 'https://edge.example.com', auth: 'proxy', token: env.PROXY_TOKEN };
      const crm = new VtigerClient(opts);
      try {
        const rows = await crm.query(select('Contacts').fields('id').limit(1));
        return Response.json(rows);
      } catch (e) {
        const code: CrmErrorCode | 'OTHER' = isCrmError(e) ? e.code : 'OTHER';
        return new Response(code, { status: 502 });
      }
    }
    handler ??= createVtigerProxy(options(env));
    const stats: number = handler.stats.logins;
    return stats >= 0 ? handler(request) : new Response(null, { status: 500 });
  },
};

// The .wasm export (for bundlers that need it as a file) is a URL string; ready() takes it.
export const loadFrom = (base: string): Promise<void> => ready(new URL(wasmUrl satisfies string, base));

// toNodeListener is typed without node:http, so it can be named here without @types/node.
export const listenerType: typeof toNodeListener = toNodeListener;
