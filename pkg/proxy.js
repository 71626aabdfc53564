// crmwire/proxy: an edge proxy that speaks the Vtiger webservice protocol to browsers and
// extensions without ever giving them a credential.
//
// Plain ESM on web-standard APIs only (Request, Response, fetch, URL, URLSearchParams,
// FormData, crypto.subtle, TextEncoder, ReadableStream). The same handler runs as a
// Cloudflare Worker's fetch, under Deno.serve and Bun.serve, and behind node:http through
// toNodeListener().
//
//   browser ──(operation + params, Authorization: Bearer <caller token>)──▶ proxy
//   proxy   ──(the request rebuilt by the core + sessionName)───────────▶ Vtiger webservice.php
//
// The browser never sends nor sees the access key or the session name. Every protocol decision
// is the wasm core's (src/vtiger/proxy.rs through ProxyCore): which operations and parameters
// exist and how each is sent, the element re-encoded and the VTQL re-rendered the way the server
// will read them, ids attributed to modules, wsapp keys sealed to their caller and module, the
// upstream session (the client's session driver: lazy single-flight login, the login race,
// one re-login and repeat), upstream answers read with the tolerant envelope decoder and masked.
// The requests go out through the client's own transport loop (pkg/transport.js: timeouts that
// win over a fetch ignoring its signal, no redirect followed, a size cap). This file keeps the
// HTTP edge: caller authentication, CORS, rate limits, body and URL limits and the log.
//
// The upstream state (the session, the gate's learned modules, the rate-limit counters) sits
// behind a small store interface (`store` option, ProxyStore in proxy.d.ts), in memory by
// default (memoryStore), so that it can live elsewhere (a Durable Object) without another proxy.

// `crmwire` (the runtime's entry) configures how the wasm module loads; ./core.js is the same
// module instance the entry configured.
import * as crmwire from 'crmwire';
import { wasm, wasmSync } from './core.js';
import { fromCore, isCrmError } from './errors.js';
import { DEFAULT_MAX_RESPONSE_BYTES, Drive, MAX_RESPONSE_BYTES, Transport } from './transport.js';

/** Default operation allowlist: read plus create/update, no delete. */
export const DEFAULT_OPERATIONS = Object.freeze(['listtypes', 'describe', 'retrieve', 'query', 'create', 'update', 'revise']);

const te = new TextEncoder();
/** Statuses whose Response must have a null body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** An error the proxy answers itself, shaped like a webservice error envelope. */
class Reject extends Error {
  constructor(status, code, message, headers) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

function envelope(code, message) {
  return JSON.stringify({ success: false, error: { code, message } });
}

function listOption(v, what) {
  if (v === '*') return '*';
  if (!Array.isArray(v)) throw new TypeError(`createVtigerProxy: ${what} must be an array or '*'`);
  return v.map(String);
}

async function sha256(s) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', te.encode(s)));
}

/** Compare two equal-length digests without an early exit. */
function digestEqual(a, b) {
  let d = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** A line of the log never holds a control character (no forged lines) nor a long value. */
function logField(v) {
  return String(v).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?').slice(0, 80);
}

/** Token bucket per key: `requests` per `windowMs`, bursts up to `requests`, at most `maxKeys` keys. */
function tokenBuckets(requests, windowMs, maxKeys) {
  const buckets = new Map();
  const get = (key, now) => {
    let b = buckets.get(key);
    if (!b) {
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value);
      b = { tokens: requests, t: now };
      buckets.set(key, b);
    }
    b.tokens = Math.min(requests, b.tokens + ((now - b.t) * requests) / windowMs);
    b.t = now;
    return b;
  };
  const wait = (b) => Math.max(1, Math.ceil(((1 - b.tokens) * windowMs) / requests / 1000));
  return {
    /** Takes a token: 0, or the seconds to wait. */
    take(key) {
      const b = get(key, Date.now());
      if (b.tokens >= 1) { b.tokens -= 1; return 0; }
      return wait(b);
    },
    /** Seconds to wait before a token is there (0: one is), without taking it. */
    peek(key) {
      if (!buckets.has(key)) return 0;
      const b = get(key, Date.now());
      if (b.tokens >= requests) { buckets.delete(key); return 0; }
      return b.tokens >= 1 ? 0 : wait(b);
    },
    spend(key) { get(key, Date.now()).tokens -= 1; },
  };
}

/** The client address the runtime gives: Deno's `info.remoteAddr`, Bun's `server.requestIP`, toNodeListener's `remoteAddress`. */
function runtimeAddress(request, info) {
  if (!info || typeof info !== 'object') return undefined;
  if (info.remoteAddr && typeof info.remoteAddr.hostname === 'string') return info.remoteAddr.hostname;
  if (typeof info.requestIP === 'function') {
    try { return info.requestIP(request)?.address; } catch { return undefined; }
  }
  return typeof info.remoteAddress === 'string' ? info.remoteAddress : undefined;
}

/**
 * The request body, read at most once and bounded: `limit` bytes (413) and `timeoutMs` from the
 * start of the request (408). `hookRequest()` gives the authorize hook a Request whose body reads
 * through the same limits and is kept for the proxy; `cancel()` stops reading (every answer
 * calls it, so an early 401/403/413/429 never buffers an upload).
 */
function requestBody(request, limit, timeoutMs) {
  const stream = request.body;
  const deadline = Date.now() + timeoutMs;
  const chunks = [];
  let reader = null;
  let size = 0;
  let ended = !stream;
  let failure = null;
  let cancelled = false;
  const checkDeclared = () => {
    const len = request.headers.get('content-length');
    if (len !== null && Number(len) > limit) throw new Reject(413, 'PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
  };
  async function next() {
    if (failure) throw failure;
    if (ended) return null;
    try {
      checkDeclared();
      reader ??= stream.getReader();
      const left = deadline - Date.now();
      let timer;
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Reject(408, 'TIMEOUT', `the request body did not arrive within ${timeoutMs} ms`)), Math.max(0, left));
      });
      let r;
      try { r = await Promise.race([reader.read(), late]); } finally { clearTimeout(timer); }
      if (r.done) { ended = true; return null; }
      size += r.value.byteLength;
      if (size > limit) throw new Reject(413, 'PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
      chunks.push(r.value);
      return r.value;
    } catch (e) {
      failure = e instanceof Reject ? e : new Reject(400, 'INVALID_INPUT', 'the request body could not be read');
      cancel();
      throw failure;
    }
  }
  function cancel() {
    if (cancelled || ended || !stream) return;
    cancelled = true;
    (reader ? reader.cancel() : stream.cancel()).catch(() => {});
  }
  return {
    async bytes() {
      while (await next());
      if (chunks.length === 1) return chunks[0];
      const out = new Uint8Array(size);
      let o = 0;
      for (const c of chunks) { out.set(c, o); o += c.byteLength; }
      return out;
    },
    hookRequest() {
      if (!stream) return request;
      let i = 0;
      const body = new ReadableStream({
        async pull(c) {
          try {
            if (i < chunks.length) { c.enqueue(chunks[i++]); return; }
            const v = await next();
            if (v) { i++; c.enqueue(v); } else c.close();
          } catch (e) { c.error(e); }
        },
      }, { highWaterMark: 0 }); // read only when the hook reads
      // From the request itself, so the hook still sees its signal and runtime extras (a Worker's `cf`).
      return new Request(request, { body, duplex: 'half' });
    },
    rethrow() { if (failure) throw failure; },
    cancel,
  };
}

/** `body` as a multipart form (the url-encoded fields, then the caller's file parts). */
function multipart(req, files) {
  const fd = new FormData();
  for (const [k, v] of new URLSearchParams(req.body)) fd.append(k, v);
  for (const [k, f] of files) fd.append(k, f, f.name);
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() !== 'content-type') headers[k] = v;
  return { ...req, headers, body: fd };
}

/**
 * The default store: the upstream of one proxy instance in this isolate or process (the wasm
 * ProxyCore: gate, session driver, learned modules; the token buckets of `rateLimit` and
 * `authFailureLimit`). Options: those of createVtigerProxy (target, username, accessKey, allow,
 * filterListtypes, fetch, timeoutMs, maxResponseBytes, rateLimit, authFailureLimit). Throws a
 * TypeError on an unusable configuration.
 */
export function memoryStore(options) {
  const o = options ?? {};
  if (typeof o.target !== 'string' || !o.target) throw new TypeError('createVtigerProxy: target (the CRM URL) is required');
  const username = o.username;
  const accessKey = o.accessKey;
  if (typeof username !== 'string' || !username) throw new TypeError('createVtigerProxy: username is required');
  if (typeof accessKey !== 'string' || !accessKey) throw new TypeError('createVtigerProxy: accessKey is required');
  const allow = o.allow ?? {};
  const operations = listOption(allow.operations ?? DEFAULT_OPERATIONS, 'allow.operations');
  if (allow.modules === undefined) throw new TypeError("createVtigerProxy: allow.modules is required (a list of module names, or '*')");
  const modules = listOption(allow.modules, 'allow.modules');
  const timeoutMs = Number(o.timeoutMs ?? 30_000);
  if (!(timeoutMs > 0)) throw new TypeError('createVtigerProxy: timeoutMs must be a positive number');
  const maxResponseBytes = o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!(Number.isInteger(maxResponseBytes) && maxResponseBytes > 0 && maxResponseBytes <= MAX_RESPONSE_BYTES)) {
    throw new TypeError(`createVtigerProxy: maxResponseBytes must be an integer from 1 to ${MAX_RESPONSE_BYTES}`);
  }
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw new TypeError('createVtigerProxy: fetch must be a function');
  const transport = new Transport({ fetch: o.fetch ?? null, timeoutMs, maxResponseBytes, onRequest: null });
  const coreOptions = JSON.stringify({
    url: o.target, username, accessKey, operations, modules,
    filterListtypes: o.filterListtypes !== false,
    seed: Math.floor(Math.random() * 2 ** 52) + 1,
  });
  const buckets = {
    requests: o.rateLimit && typeof o.rateLimit === 'object'
      ? tokenBuckets(Math.max(1, Number(o.rateLimit.requests ?? 60)), Math.max(1, Number(o.rateLimit.windowMs ?? 60_000)), Number(o.rateLimit.maxKeys ?? 10_000))
      : null,
    authFailures: o.authFailureLimit === false ? null : tokenBuckets(
      Math.max(1, Number(o.authFailureLimit?.failures ?? 10)),
      Math.max(1, Number(o.authFailureLimit?.windowMs ?? 60_000)),
      Number(o.authFailureLimit?.maxKeys ?? 10_000),
    ),
  };

  // The core: made now where the wasm loads synchronously (every server runtime), so a bad
  // configuration throws here; otherwise on the first request.
  let core = null;
  let drive = null;
  const make = (w) => {
    try {
      core = new w.ProxyCore(coreOptions);
    } catch (e) {
      const err = fromCore(e);
      throw new TypeError(`createVtigerProxy: ${err?.message ?? err}`);
    }
    drive = new Drive(core, transport);
  };
  try { make(wasmSync('createVtigerProxy')); } catch (e) { if (e instanceof TypeError) throw e; }
  let readyP = null;
  const ready = () => (readyP ??= crmwire.ready().then(() => wasm()).then((w) => { if (!core) make(w); }));

  const scrub = (text) => (core ? core.scrub(text) : text.split(accessKey).join('[redacted]'));
  const answer = (status, code, message, op = '-', module = '-') => ({
    status, body: scrub(envelope(code, message)), type: 'application/json', op, module,
  });

  /** Describes a module the gate needs to know (single-flight per module). */
  const learning = new Map();
  const learn = (module) => {
    let p = learning.get(module);
    if (!p) {
      p = drive.respond(core.learn(module, Date.now())).finally(() => learning.delete(module));
      learning.set(module, p);
    }
    return p;
  };

  return {
    take: (bucket, key) => buckets[bucket]?.take(key) ?? 0,
    peek: (bucket, key) => buckets[bucket]?.peek(key) ?? 0,
    spend: (bucket, key) => { buckets[bucket]?.spend(key); },
    scrub,
    get stats() {
      return { logins: core ? core.logins : 0, knownPrefixes: core ? core.knownPrefixes : 0 };
    },
    async exchange({ params, files = [], caller }) {
      if (!core) await ready();
      const p = JSON.stringify(params);
      const f = files.length ? JSON.stringify(files.map(([k]) => k)) : '[]';
      let meta = null;
      try {
        for (let round = 0; round < 3; round++) {
          const out = core.check(p, f, caller, Date.now());
          const nl = out.indexOf('\n');
          meta = JSON.parse(nl < 0 ? out : out.slice(0, nl));
          if (meta.error) return answer(meta.error.status, meta.error.code, meta.error.message, meta.error.operation ?? '?');
          if (meta.learn) {
            await Promise.all(meta.learn.map(learn));
            continue;
          }
          const keep = files.filter(([k]) => meta.files.includes(k));
          const prepare = keep.length ? (req) => (req.operation === meta.op && req.body !== undefined ? multipart(req, keep) : req) : undefined;
          const { res, body } = await drive.respond(out.slice(nl + 1), undefined, meta.op, prepare);
          return body === undefined
            ? { status: res.status, body: res.body, type: res.headers?.get('content-type') || 'application/json', op: meta.op, module: meta.module }
            : { status: res.status, body, type: 'application/json', op: meta.op, module: meta.module };
        }
      } catch (e) {
        // The core's answer for an upstream failure: its status (502, 504, 400), code and message.
        if (isCrmError(e) && e.status) return answer(e.status, e.code, e.message, meta?.op, meta?.module);
        throw e;
      }
      return answer(502, 'UPSTREAM_UNAVAILABLE', 'the CRM did not describe the modules this request needs');
    },
  };
}

// ---- the upstream state in a Durable Object ---------------------------------------------
//
//   isolate A ─┐  createVtigerProxy({ store: durableObjectStore(env.VTIGER_PROXY) })
//   isolate B ─┼─(params, files, caller, address)──▶ one VtigerProxyObject per CRM target
//   isolate C ─┘                                     (memoryStore: the session, the gate, the counters)
//
// The edge stays in each isolate (callers, CORS, body and URL limits, the log); the object owns
// everything the store holds: one upstream session logged in once for every isolate, and every
// rate-limit counter. The access key and the session name live only in the object; what crosses
// back to an isolate is the answer the core already masked.

/** The internal URL an isolate calls its object on (a Durable Object stub needs an absolute URL). */
const OBJECT_URL = 'https://crmwire-proxy.internal';

/** The 429 answer of a store's rate limit (the edge adds its Retry-After header). */
function limited(wait, what) {
  return { status: 429, body: envelope('RATE_LIMITED', `${what}; retry in ${wait} s`), type: 'application/json', op: '-', module: '-', retryAfter: wait };
}

/**
 * The Durable Object class that holds a proxy's upstream state. `Base`: the runtime's
 * `DurableObject` class (`import { DurableObject } from 'cloudflare:workers'`: the isolates call
 * the object through Workers RPC); `configure(env)` returns the memoryStore options (target,
 * username, accessKey, allow, rateLimit, authFailureLimit, …) from the Worker's bindings. Export
 * the class from the Worker under the name the wrangler config gives (`class_name`), and give
 * createVtigerProxy `store: durableObjectStore(env.<binding>)`.
 */
export function vtigerProxyObject(Base, configure) {
  if (typeof Base !== 'function') throw new TypeError("vtigerProxyObject: Base must be the DurableObject class (import { DurableObject } from 'cloudflare:workers')");
  if (typeof configure !== 'function') throw new TypeError('vtigerProxyObject: configure(env) must be a function returning the store options');
  return class VtigerProxyObject extends Base {
    #env;
    #store = null;
    constructor(ctx, env) {
      super(ctx, env);
      this.#env = env;
    }

    #get() {
      try {
        return (this.#store ??= memoryStore(configure(this.#env)));
      } catch (e) {
        // The options' own message names the option, never a value.
        console.error(`crmwire-proxy object: ${logField(e?.message ?? e)}`);
        throw new Reject(500, 'PROXY_ERROR', 'the proxy object is not configured');
      }
    }

    /** RPC: a rate-limit counter (`take`, `peek`, or `spend`, which resolves the wait before spending). */
    async count(what, bucket, key) {
      const store = this.#get();
      if (what === 'spend') {
        const wait = await store.peek(bucket, key);
        await store.spend(bucket, key);
        return wait;
      }
      return what === 'take' ? store.take(bucket, key) : store.peek(bucket, key);
    }

    /** RPC: a caller's request (`{ params, caller, address?, limit? }`), answered with the store's stats. */
    async exchange(m, files = []) {
      try {
        const store = this.#get();
        let a = null;
        if (m.address != null) {
          const w = await store.peek('authFailures', String(m.address));
          if (w) a = limited(w, 'too many failed authentications');
        }
        if (!a && m.limit) {
          const w = await store.take('requests', String(m.caller));
          if (w) a = limited(w, 'too many requests');
        }
        a ??= await store.exchange({ params: m.params, files, caller: String(m.caller) });
        return { ...a, stats: store.stats };
      } catch (e) {
        if (!(e instanceof Reject)) console.error(`crmwire-proxy object: internal error: ${logField(e?.name)}`);
        return { status: 500, body: envelope('PROXY_ERROR', 'internal proxy error'), type: 'application/json', op: '-', module: '-' };
      }
    }

    /** A request with file parts (multipart: `request`, the JSON of exchange's first argument, and `f0`, `f1`, …). */
    async fetch(request) {
      let m;
      const files = [];
      try {
        const fd = await request.formData();
        m = JSON.parse(fd.get('request'));
        m.files.forEach((name, i) => files.push([name, fd.get(`f${i}`)]));
      } catch {
        return new Response(envelope('INVALID_INPUT', 'not a proxy request'), { status: 400 });
      }
      const a = await this.exchange(m, files);
      const headers = { 'content-type': a.type, 'x-crmwire-op': String(a.op ?? '-'), 'x-crmwire-module': String(a.module ?? '-') };
      if (a.stats) headers['x-crmwire-stats'] = `${a.stats.logins} ${a.stats.knownPrefixes}`;
      if (a.retryAfter) headers['retry-after'] = String(a.retryAfter);
      return new Response(NULL_BODY.has(a.status) ? null : a.body, { status: a.status, headers });
    }
  };
}

/**
 * A {@link ProxyStore} kept in a Durable Object (a {@link vtigerProxyObject} class): every isolate
 * that makes its store from the same namespace and `name` shares one upstream session and one set
 * of rate-limit counters. `name` picks the object: one per CRM target (default 'crm').
 */
export function durableObjectStore(namespace, { name = 'crm' } = {}) {
  if (!namespace || typeof namespace.idFromName !== 'function' || typeof namespace.get !== 'function') {
    throw new TypeError('durableObjectStore: namespace must be a Durable Object namespace binding (env.<binding>)');
  }
  const id = namespace.idFromName(String(name));
  const stats = { logins: 0, knownPrefixes: 0 };
  // A stub per call: a stub belongs to the request that made it.
  const call = async (f) => {
    try {
      return await f(namespace.get(id));
    } catch {
      throw new Reject(503, 'UPSTREAM_UNAVAILABLE', 'the proxy state object did not answer');
    }
  };
  const counter = (what) => async (bucket, key) => Number(await call((o) => o.count(what, bucket, String(key)))) || 0;
  return {
    limitsInExchange: true,
    take: counter('take'),
    peek: counter('peek'),
    /** Resolves the seconds the key was already blocked for (0: it was not). */
    spend: counter('spend'),
    get stats() {
      return { ...stats };
    },
    async exchange({ params, files = [], caller, address, limit = false }) {
      const m = { params, caller, address, limit };
      let a;
      if (files.length) {
        // Blobs cross as a multipart request to the object's fetch.
        const fd = new FormData();
        fd.append('request', JSON.stringify({ ...m, files: files.map(([k]) => k) }));
        files.forEach(([, f], i) => fd.append(`f${i}`, f, f.name));
        const res = await call((o) => o.fetch(OBJECT_URL, { method: 'POST', body: fd }));
        const st = (res.headers.get('x-crmwire-stats') || '').split(' ');
        a = {
          status: res.status,
          body: NULL_BODY.has(res.status) ? null : new Uint8Array(await res.arrayBuffer()),
          type: res.headers.get('content-type') || 'application/json',
          op: res.headers.get('x-crmwire-op') || '-',
          module: res.headers.get('x-crmwire-module') || '-',
          retryAfter: Number(res.headers.get('retry-after')) || undefined,
          stats: st.length === 2 ? { logins: Number(st[0]), knownPrefixes: Number(st[1]) } : undefined,
        };
      } else {
        a = await call((o) => o.exchange(m));
      }
      if (a.stats) Object.assign(stats, a.stats);
      return { status: a.status, body: a.body, type: a.type, op: a.op, module: a.module, retryAfter: a.retryAfter };
    },
  };
}

/**
 * Create the proxy handler: `(Request, info?) => Promise<Response>` (`info`: what Deno.serve,
 * Bun.serve or toNodeListener pass; it names the client address). See proxy.d.ts and README.
 */
export function createVtigerProxy(options) {
  const o = options ?? {};
  const store = o.store ?? memoryStore(o);
  const origins = new Set((o.cors?.origins ?? []).map(String));
  const maxBodyBytes = Number(o.maxBodyBytes ?? 1 << 20);
  const maxUrlBytes = Number(o.maxUrlBytes ?? 16_384);
  const bodyTimeoutMs = Number(o.bodyTimeoutMs ?? 20_000);
  const tokens = o.tokens == null ? null : [...o.tokens].map(String);
  if (tokens && tokens.some((t) => t.length < 16)) throw new TypeError('createVtigerProxy: every token must be at least 16 characters');
  const authorize = typeof o.authorize === 'function' ? o.authorize : null;
  if ((!tokens || tokens.length === 0) && !authorize) {
    throw new TypeError('createVtigerProxy: a caller credential is required: give tokens and/or authorize (an origin list is not access control)');
  }
  // A store that counts elsewhere (durableObjectStore) checks the address's failures and takes
  // the caller's token itself, with the exchange: one round trip per request instead of three.
  const inExchange = store.limitsInExchange === true;
  const limiter = typeof o.rateLimit === 'function' ? o.rateLimit : o.rateLimit && !inExchange ? (caller) => store.take('requests', caller) : null;
  const failuresLimited = o.authFailureLimit !== false;
  const addressOf = typeof o.clientAddress === 'function' ? o.clientAddress : runtimeAddress;
  const log = o.log === false ? null : typeof o.log === 'function' ? o.log : (line) => console.log(line);
  const scrub = (s) => (store.scrub ? store.scrub(s) : s);
  const emit = (line) => { if (log) { try { log(scrub(line)); } catch { /* a broken logger must not break the proxy */ } } };

  let tokenDigests = null;

  /** Parameters of the caller's request: query string, then the form or multipart body. */
  async function readParams(request, url, body) {
    const pairs = [...url.searchParams];
    const files = [];
    if (request.method === 'POST') {
      const bytes = await body.bytes();
      const ct = (request.headers.get('content-type') || '').toLowerCase();
      if (bytes.byteLength === 0) { /* nothing */ } else if (ct.startsWith('application/x-www-form-urlencoded')) {
        pairs.push(...new URLSearchParams(new TextDecoder().decode(bytes)));
      } else if (ct.startsWith('multipart/form-data')) {
        let fd;
        try {
          fd = await new Response(bytes, { headers: { 'content-type': request.headers.get('content-type') } }).formData();
        } catch {
          throw new Reject(400, 'INVALID_INPUT', 'malformed multipart body');
        }
        for (const [k, v] of fd) {
          if (typeof v === 'string') pairs.push([k, v]);
          else files.push([k, v]);
        }
      } else {
        throw new Reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/x-www-form-urlencoded or multipart/form-data (the webservice reads no JSON bodies)');
      }
    }
    return { pairs, files };
  }

  async function authenticate(request, body) {
    let callerId = null;
    if (tokens && tokens.length) {
      tokenDigests ??= Promise.all(tokens.map(sha256));
      const digests = await tokenDigests;
      const h = request.headers.get('authorization') || '';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
      const given = await sha256(m ? m[1] : '');
      let hit = -1;
      for (let i = 0; i < digests.length; i++) if (digestEqual(digests[i], given) && hit < 0) hit = i;
      if (!m || hit < 0) return null;
      callerId = `token#${hit}`;
    }
    if (authorize) {
      let r;
      try { r = await authorize(body.hookRequest()); } catch { r = false; }
      body.rethrow(); // the hook read past the body limit or timeout: that answer wins
      if (!r) {
        if (callerId) throw new Reject(403, 'ACCESS_DENIED', 'caller not authorized');
        return null;
      }
      if (typeof r === 'string') callerId = r;
      else if (typeof r === 'object' && r.id != null) callerId = String(r.id);
      else callerId ??= 'authorized';
    }
    return callerId;
  }

  async function handle(request, info) {
    const t0 = Date.now();
    const origin = request.headers.get('origin');
    const cors = {};
    let op = '-';
    let mod = '-';
    let caller = '-';
    let body = null;
    const done = (res) => {
      if (body) body.cancel();
      else if (request.body && !request.bodyUsed) request.body.cancel().catch(() => {});
      emit(`crmwire-proxy ${logField(request.method)} op=${logField(op)} module=${logField(mod)} caller=${logField(caller)} -> ${res.status} ${Date.now() - t0}ms`);
      return res;
    };
    const reply = (status, text, extra, contentType = 'application/json') => done(new Response(NULL_BODY.has(status) ? null : text, {
      status,
      headers: { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...cors, ...extra },
    }));
    try {
      if (origin !== null) {
        if (!origins.has(origin)) {
          return reply(403, envelope('ACCESS_DENIED', 'origin not allowed'), { vary: 'Origin' });
        }
        Object.assign(cors, {
          'access-control-allow-origin': origin,
          'access-control-expose-headers': 'Retry-After',
          vary: 'Origin',
        });
      }
      if (request.method === 'OPTIONS') {
        if (origin === null) return reply(400, envelope('INVALID_INPUT', 'preflight without Origin'));
        return reply(204, null, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'Authorization, Content-Type',
          'access-control-max-age': '600',
        });
      }
      if (request.method !== 'GET' && request.method !== 'POST') {
        return reply(405, envelope('METHOD_NOT_ALLOWED', 'use GET or POST'), { allow: 'GET, POST, OPTIONS' });
      }
      if (request.url.length > maxUrlBytes) throw new Reject(414, 'URI_TOO_LONG', `request URL over ${maxUrlBytes} bytes`);
      // Wrong-credential guesses are limited per client address, before the credential is looked at.
      const address = String(addressOf(request, info) ?? 'unknown');
      const wait = failuresLimited && !inExchange ? await store.peek('authFailures', address) : 0;
      if (wait) throw new Reject(429, 'RATE_LIMITED', `too many failed authentications; retry in ${wait} s`, { 'retry-after': String(wait) });
      body = requestBody(request, maxBodyBytes, bodyTimeoutMs);
      const id = await authenticate(request, body);
      if (id === null) {
        // A store that counts elsewhere says here whether the address was already over its limit.
        const blocked = failuresLimited ? await store.spend('authFailures', address) : 0;
        if (blocked > 0) throw new Reject(429, 'RATE_LIMITED', `too many failed authentications; retry in ${blocked} s`, { 'retry-after': String(blocked) });
        throw new Reject(401, 'UNAUTHORIZED', 'a valid caller token is required (Authorization: Bearer <token>)', { 'www-authenticate': 'Bearer' });
      }
      caller = id;
      if (limiter) {
        const w = await limiter(caller, request);
        if (w) throw new Reject(429, 'RATE_LIMITED', `too many requests; retry in ${w} s`, { 'retry-after': String(w) });
      }
      const { pairs, files } = await readParams(request, new URL(request.url), body);
      const a = await store.exchange(inExchange
        ? { params: pairs, files, caller, address: failuresLimited ? address : undefined, limit: !limiter }
        : { params: pairs, files, caller });
      op = a.op ?? '-';
      mod = a.module ?? '-';
      return reply(a.status, a.body, a.retryAfter ? { 'retry-after': String(a.retryAfter) } : {}, a.type);
    } catch (e) {
      if (e instanceof Reject) return reply(e.status, envelope(e.code, scrub(e.message)), e.headers ?? {});
      emit(`crmwire-proxy internal error: ${logField(e && e.name)}`);
      return reply(500, envelope('PROXY_ERROR', 'internal proxy error'));
    }
  }

  Object.defineProperty(handle, 'stats', { get: () => store.stats });
  return handle;
}

/** `host[:port]` or `[v6][:port]`: what a Host header may hold (no credentials, no path). */
const HOST_RE = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Bytes of an unread request body discarded after an early answer before the connection is closed. */
const DRAIN_BYTES = 1 << 20;

function plainAnswer(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(envelope(code, message));
}

/**
 * Adapt a `(Request, info) => Promise<Response>` handler to `node:http`'s `(req, res)` listener.
 * Uses no node: imports. The body is streamed with backpressure (the socket is paused while the
 * handler does not read), so the proxy's limits apply before anything is buffered; a body the
 * handler did not read (an early 401/413/…) is not read either: the answer is sent with
 * `Connection: close`, at most 1 MiB more is discarded, and the connection is closed.
 */
export function toNodeListener(handler, { trustProxy = false } = {}) {
  return async (req, res) => {
    let cancelled = false;
    const closeAfter = () => {
      let drained = 0;
      const stop = () => { clearTimeout(t); req.destroy(); };
      const t = setTimeout(stop, 2000);
      req.removeAllListeners('data');
      req.on('data', (d) => { drained += d.length; if (drained > DRAIN_BYTES) stop(); });
      req.on('end', () => clearTimeout(t));
      req.on('error', () => {});
      req.resume();
    };
    try {
      // origin-form (/path?query), or absolute-form (http://host/path?query, RFC 9112 §3.2.2): only
      // its path and query are used.
      let target = req.url || '/';
      if (!target.startsWith('/')) {
        let u = null;
        try { u = new URL(target); } catch { /* below */ }
        if (!u || !/^https?:$/.test(u.protocol)) return plainAnswer(res, 400, 'INVALID_INPUT', 'malformed request target');
        target = u.pathname + u.search;
      }
      const hostHeader = req.headers.host;
      if (hostHeader !== undefined && !HOST_RE.test(hostHeader)) return plainAnswer(res, 400, 'INVALID_INPUT', 'malformed Host header');
      const fwd = trustProxy && req.headers['x-forwarded-proto'] ? String(req.headers['x-forwarded-proto']).split(',')[0].trim() : 'http';
      const proto = fwd === 'https' ? 'https' : 'http';
      const url = `${proto}://${hostHeader || '127.0.0.1'}${target}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (Array.isArray(v)) for (const x of v) headers.append(k, x);
        else if (v != null) headers.set(k, String(v));
      }
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const body = hasBody
        ? new ReadableStream({
          start(c) {
            req.on('data', (d) => {
              if (cancelled) return;
              c.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
              if (c.desiredSize <= 0) req.pause();
            });
            req.on('end', () => { if (!cancelled) try { c.close(); } catch { /* closed */ } });
            req.on('error', (e) => { try { c.error(e); } catch { /* closed */ } });
            req.pause();
          },
          pull() { if (!cancelled) req.resume(); },
          cancel() { cancelled = true; req.pause(); },
        }, { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength })
        : undefined;
      const response = await handler(
        new Request(url, { method: req.method, headers, body, duplex: 'half' }),
        { remoteAddress: req.socket?.remoteAddress },
      );
      const out = {};
      response.headers.forEach((v, k) => { out[k] = v; });
      const unread = !req.complete;
      if (unread) { cancelled = true; out.connection = 'close'; }
      res.writeHead(response.status, out);
      if (response.body) {
        for await (const chunk of response.body) {
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        }
      }
      res.end();
      if (unread) closeAfter();
    } catch {
      cancelled = true;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
      res.end(envelope('PROXY_ERROR', 'internal proxy error'));
      if (!req.complete) closeAfter();
    }
  };
}

export default createVtigerProxy;
