// Builds createVtigerProxy() options from string settings (environment variables, Worker bindings).
// Shared by every example in this folder so they all behave the same:
//   CRM_URL            the CRM base URL or its webservice.php URL            (required)
//   CRM_USERNAME       the Vtiger user name                                   (required)
//   CRM_ACCESS_KEY     that user's access key (a secret: env var / Worker secret) (required)
//   PROXY_TOKENS       comma-separated caller tokens (>= 16 chars each)       (required)
//   ALLOWED_ORIGINS    comma-separated exact origins, e.g. https://app.example,chrome-extension://<id>
//   ALLOWED_MODULES    comma-separated module names, or *                     (required)
//   ALLOWED_OPERATIONS comma-separated operations, or * (default: read + create/update/revise)
//   MAX_BODY_BYTES     request body limit (default 1048576)
//   RATE_LIMIT         "<requests>/<seconds>" per caller, e.g. 120/60 (default: none)
//   PROXY_LOG          "0" to turn the one-line-per-request log off
const list = (s) => (s == null || s === '' ? undefined : s.trim() === '*' ? '*' : s.split(',').map((x) => x.trim()).filter(Boolean));

export function optionsFromEnv(env) {
  const get = (k) => (typeof env?.[k] === 'string' ? env[k] : undefined);
  const need = (k) => {
    const v = get(k);
    // A Worker binding from an unset variable is silently absent: fail loudly instead.
    if (!v) throw new Error(`${k} is not set`);
    return v;
  };
  const rate = get('RATE_LIMIT');
  const m = rate ? /^(\d+)\/(\d+)$/.exec(rate) : null;
  return {
    target: need('CRM_URL'),
    username: need('CRM_USERNAME'),
    accessKey: need('CRM_ACCESS_KEY'),
    tokens: list(need('PROXY_TOKENS')),
    allow: { modules: list(need('ALLOWED_MODULES')), operations: list(get('ALLOWED_OPERATIONS')) },
    cors: { origins: list(get('ALLOWED_ORIGINS')) ?? [] },
    maxBodyBytes: get('MAX_BODY_BYTES') ? Number(get('MAX_BODY_BYTES')) : undefined,
    rateLimit: m ? { requests: Number(m[1]), windowMs: Number(m[2]) * 1000 } : undefined,
    log: get('PROXY_LOG') === '0' ? false : undefined,
  };
}

/**
 * The edge's part of optionsFromEnv (callers, CORS, body limit, log) for a Worker whose upstream
 * state is a Durable Object (durable.mjs): it needs no CRM credential.
 */
export function edgeOptionsFromEnv(env) {
  const get = (k) => (typeof env?.[k] === 'string' ? env[k] : undefined);
  const tokens = list(get('PROXY_TOKENS'));
  if (!tokens) throw new Error('PROXY_TOKENS is not set');
  return {
    tokens,
    cors: { origins: list(get('ALLOWED_ORIGINS')) ?? [] },
    maxBodyBytes: get('MAX_BODY_BYTES') ? Number(get('MAX_BODY_BYTES')) : undefined,
    log: get('PROXY_LOG') === '0' ? false : undefined,
  };
}
