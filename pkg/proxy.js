// crmwire/proxy: an edge proxy that speaks the Vtiger webservice protocol to browsers and
// extensions without ever giving them a credential.
//
// Plain ESM on web-standard APIs only (Request, Response, fetch, URL, URLSearchParams,
// FormData, crypto.subtle, TextEncoder, ReadableStream). The same handler runs as a
// Cloudflare Worker's fetch, under Deno.serve and Bun.serve, and behind node:http through
// toNodeListener(). The login digest comes from crmwire's wasm core (md5Hex), never from a
// second md5 implementation.
//
//   browser ──(operation + params, Authorization: Bearer <caller token>)──▶ proxy
//   proxy   ──(same params + sessionName, after getchallenge/login)──────▶ Vtiger webservice.php
//
// The browser never sends nor sees the access key or the session name.

import * as core from 'crmwire';

/** Operations whose parameters Vtiger reads only from the query string (type GET). */
const GET_OPS = new Set([
  'listtypes', 'describe', 'retrieve', 'query', 'sync', 'relatedtypes', 'retrieve_related',
  'query_related', 'files_retrieve', 'retrieve_inventory', 'getchallenge',
]);
/** Never forwarded, whatever the allowlist says: the proxy owns the session and the credentials. */
const NEVER = new Set(['getchallenge', 'login', 'logout', 'extendsession', 'changepassword', 'deleteuser']);
/** Codes that mean "the session was not accepted; the handler did not run". */
const SESSION_CODES = new Set(['INVALID_SESSIONID', 'AUTHENTICATION_REQUIRED', 'SESSION_EXPIRED', 'SESSION_LEFT_IDLE']);
/** Default operation allowlist: read plus create/update, no delete. */
export const DEFAULT_OPERATIONS = Object.freeze(['listtypes', 'describe', 'retrieve', 'query', 'create', 'update', 'revise']);

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PARAM_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const ID_RE = /^(\d+)x(\d+)$/;
const te = new TextEncoder();

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

function lowerList(v, what) {
  if (v === '*') return '*';
  if (!Array.isArray(v)) throw new TypeError(`createVtigerProxy: ${what} must be an array or '*'`);
  return v;
}

function normaliseTarget(target) {
  if (typeof target !== 'string' || !target) throw new TypeError('createVtigerProxy: target (the CRM URL) is required');
  const u = new URL(target);
  if (!/\/webservice\.php$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/+$/, '') + '/webservice.php';
  u.search = '';
  u.hash = '';
  return u.toString();
}

let md5Ready = null;
/** md5 hex from the crmwire wasm core (initialised once, whatever the entry point needs). */
async function md5Hex(s) {
  if (!md5Ready) {
    md5Ready = (async () => {
      const fn = core.md5Hex ?? core.md5;
      if (typeof fn !== 'function') throw new Error('crmwire: md5Hex export missing');
      if (typeof core.ready === 'function') await core.ready();
      else if (typeof core.init === 'function' && !core.__initialised) await core.init();
      return fn;
    })();
    md5Ready.catch(() => { md5Ready = null; });
  }
  return (await md5Ready)(s);
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

/** Token bucket per caller: `requests` per `windowMs`, bursts up to `requests`. */
function makeLimiter(opt) {
  if (typeof opt === 'function') return opt;
  const requests = Math.max(1, Number(opt.requests ?? 60));
  const windowMs = Math.max(1, Number(opt.windowMs ?? 60_000));
  const maxKeys = Number(opt.maxKeys ?? 10_000);
  const buckets = new Map();
  return (key) => {
    const now = Date.now();
    let b = buckets.get(key);
    if (!b) {
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value);
      b = { tokens: requests, t: now };
      buckets.set(key, b);
    }
    b.tokens = Math.min(requests, b.tokens + ((now - b.t) * requests) / windowMs);
    b.t = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * windowMs) / requests / 1000));
  };
}

/** Read a body stream, failing with 413 as soon as it passes `limit` bytes. */
async function readBody(request, limit) {
  const len = request.headers.get('content-length');
  if (len !== null && Number(len) > limit) throw new Reject(413, 'PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new Reject(413, 'PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.byteLength; }
  return out;
}

/**
 * Scan VTQL the way Vtiger's lexer does (single-quoted literals, '' doubles a quote, a backslash is an
 * ordinary character to the lexer) and return the module after the first bare FROM. Rejects the
 * backslash/quote desync that MySQL would read differently (protocol spec §8.6).
 */
export function vtqlModule(q) {
  if (typeof q !== 'string' || !/^\s*select\s/i.test(q)) throw new Reject(400, 'INVALID_INPUT', 'query must be a VTQL SELECT');
  const words = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (c === "'") {
      let j = i + 1;
      let bs = 0;
      for (;;) {
        if (j >= q.length) throw new Reject(400, 'INVALID_INPUT', 'unterminated literal in query');
        const d = q[j];
        if (d === "'") {
          if (bs % 2 === 1) throw new Reject(400, 'INVALID_INPUT', 'a backslash before a quote is not allowed in a query literal (double it)');
          if (q[j + 1] === "'") { j += 2; bs = 0; continue; }
          break;
        }
        bs = d === '\\' ? bs + 1 : 0;
        j++;
      }
      words.push("'");
      i = j + 1;
    } else if (/[A-Za-z0-9_]/.test(c)) {
      let j = i;
      while (j < q.length && /[A-Za-z0-9_]/.test(q[j])) j++;
      words.push(q.slice(i, j));
      i = j;
    } else {
      if (!/\s/.test(c)) words.push(c);
      i++;
    }
  }
  const f = words.findIndex((w) => w.toLowerCase() === 'from');
  const mod = f >= 0 ? words[f + 1] : undefined;
  if (!mod || !NAME_RE.test(mod)) throw new Reject(400, 'INVALID_INPUT', 'query has no FROM <Module>');
  return mod;
}

function parseElement(params) {
  const raw = params.get('element');
  if (raw == null) throw new Reject(400, 'INVALID_INPUT', 'element is required');
  try {
    const el = JSON.parse(raw);
    if (el && typeof el === 'object' && !Array.isArray(el)) return el;
  } catch { /* fall through */ }
  throw new Reject(400, 'INVALID_INPUT', 'element must be a JSON object');
}

/** What an operation touches: module names and record ids (resolved to modules by id prefix). */
export function touches(op, params) {
  const p = (n) => params.get(n) ?? '';
  switch (op) {
    case 'listtypes': return { modules: [], ids: [] };
    case 'describe': case 'create': case 'relatedtypes': case 'sync':
      return { modules: [p('elementType')], ids: [] };
    case 'retrieve': case 'delete': case 'files_retrieve': case 'retrieve_inventory':
      return { modules: [], ids: [p('id')] };
    case 'update': case 'revise': {
      const el = parseElement(params);
      return { modules: [], ids: [String(el.id ?? '')] };
    }
    case 'query': return { modules: [vtqlModule(p('query'))], ids: [] };
    case 'query_related': return { modules: [vtqlModule(p('query'))], ids: [p('id')] };
    case 'retrieve_related': return { modules: [p('relatedType')], ids: [p('id')] };
    case 'add_related': return { modules: [], ids: [p('sourceRecordId'), p('relatedRecordId')] };
    case 'convertlead': {
      const el = parseElement(params);
      const ents = el.entities && typeof el.entities === 'object' ? Object.keys(el.entities) : [];
      return { modules: ents, ids: [String(el.leadId ?? '')] };
    }
    default: return null; // not checkable against a module list
  }
}

/**
 * Create the proxy handler: `(Request) => Promise<Response>`.
 * See proxy.d.ts and README for every option.
 */
export function createVtigerProxy(options) {
  const o = options ?? {};
  const target = normaliseTarget(o.target);
  const username = o.username;
  const accessKey = o.accessKey;
  if (typeof username !== 'string' || !username) throw new TypeError('createVtigerProxy: username is required');
  if (typeof accessKey !== 'string' || !accessKey) throw new TypeError('createVtigerProxy: accessKey is required');
  const allow = o.allow ?? {};
  const ops = lowerList(allow.operations ?? DEFAULT_OPERATIONS, 'allow.operations');
  const opSet = ops === '*' ? '*' : new Set(ops.map((s) => String(s).toLowerCase()));
  if (allow.modules === undefined) throw new TypeError("createVtigerProxy: allow.modules is required (a list of module names, or '*')");
  const mods = lowerList(allow.modules, 'allow.modules');
  const modSet = mods === '*' ? '*' : new Set(mods.map(String));
  const origins = new Set((o.cors?.origins ?? []).map(String));
  const maxBodyBytes = Number(o.maxBodyBytes ?? 1 << 20);
  const maxUrlBytes = Number(o.maxUrlBytes ?? 16_384);
  const timeoutMs = Number(o.timeoutMs ?? 30_000);
  const tokens = o.tokens == null ? null : [...o.tokens].map(String);
  if (tokens && tokens.some((t) => t.length < 16)) throw new TypeError('createVtigerProxy: every token must be at least 16 characters');
  const authorize = typeof o.authorize === 'function' ? o.authorize : null;
  if ((!tokens || tokens.length === 0) && !authorize) {
    throw new TypeError('createVtigerProxy: a caller credential is required: give tokens and/or authorize (an origin list is not access control)');
  }
  const limiter = o.rateLimit ? makeLimiter(o.rateLimit) : null;
  const doFetch = o.fetch ?? ((...a) => fetch(...a));
  const log = o.log === false ? null : typeof o.log === 'function' ? o.log : (line) => console.log(line);
  const filterListtypes = o.filterListtypes !== false;

  let tokenDigests = null;
  let sessionP = null; // Promise<string> of the current session name; single-flight
  let logins = 0;
  const prefixes = new Map(); // id prefix -> module
  let learnP = null;
  let learnedAt = 0;

  /** Remove every trace of the secrets from text that leaves the proxy. */
  let currentSession = '';
  const scrub = (s) => {
    let out = s;
    if (out.includes(accessKey)) out = out.split(accessKey).join('[redacted]');
    if (currentSession && out.includes(currentSession)) out = out.split(currentSession).join('[redacted]');
    return out;
  };
  const emit = (line) => { if (log) { try { log(scrub(line)); } catch { /* a broken logger must not break the proxy */ } } };

  async function upstream(method, params, { form = null, session = null } = {}) {
    const ps = new URLSearchParams();
    for (const [k, v] of params) ps.append(k, v);
    let url = target;
    const init = { method, headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) };
    if (method === 'GET') {
      if (session) ps.set('sessionName', session);
      url += '?' + ps.toString();
    } else if (form) {
      for (const [k, v] of ps) form.append(k, v);
      if (session) form.append('sessionName', session);
      init.body = form;
    } else {
      if (session) ps.set('sessionName', session);
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = ps.toString();
    }
    let res;
    try {
      res = await doFetch(url, init);
    } catch (e) {
      const timeout = e && (e.name === 'TimeoutError' || e.name === 'AbortError');
      throw new Reject(timeout ? 504 : 502, timeout ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE', timeout ? 'the CRM did not answer in time' : 'the CRM could not be reached');
    }
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') || 'application/json', text };
  }

  /** The envelope's error code, without trusting the body to be valid JSON (raw control chars). */
  function errorCode(text) {
    if (!/^\s*\{\s*"success"\s*:\s*false/.test(text)) return null;
    const m = /"code"\s*:\s*"([A-Z_0-9]+)"/.exec(text);
    return m ? m[1] : null;
  }

  async function login() {
    for (let attempt = 0; attempt < 2; attempt++) {
      const ch = await upstream('GET', [['operation', 'getchallenge'], ['username', username]]);
      let token;
      try { token = JSON.parse(ch.text)?.result?.token; } catch { /* below */ }
      if (typeof token !== 'string') {
        throw new Reject(502, 'UPSTREAM_LOGIN_FAILED', `getchallenge failed (${errorCode(ch.text) ?? 'HTTP ' + ch.status})`);
      }
      const digest = await md5Hex(token + accessKey);
      const lr = await upstream('POST', [['operation', 'login'], ['username', username], ['accessKey', digest]]);
      let sess;
      try { sess = JSON.parse(lr.text)?.result?.sessionName; } catch { /* below */ }
      if (typeof sess === 'string' && sess) {
        logins++;
        currentSession = sess;
        return sess;
      }
      const code = errorCode(lr.text);
      // Two parallel challenge+login pairs of one user race; the loser gets INVALID_USER_CREDENTIALS. Retry once.
      if (code === 'INVALID_USER_CREDENTIALS' && attempt === 0) continue;
      throw new Reject(502, 'UPSTREAM_LOGIN_FAILED', `login failed (${code ?? 'HTTP ' + lr.status})`);
    }
    throw new Reject(502, 'UPSTREAM_LOGIN_FAILED', 'login failed');
  }

  function session() {
    if (!sessionP) {
      const p = login();
      sessionP = p;
      p.catch(() => { if (sessionP === p) sessionP = null; });
    }
    return sessionP;
  }

  /** Send one webservice call with the shared session; re-login and repeat once if the session was refused. */
  async function call(method, params, formFactory) {
    for (let attempt = 0; ; attempt++) {
      const sp = session();
      const s = await sp;
      const r = await upstream(method, params, { form: formFactory ? formFactory() : null, session: s });
      const code = errorCode(r.text);
      if (code && SESSION_CODES.has(code) && attempt === 0) {
        if (sessionP === sp) sessionP = null; // only the first caller to see the refusal resets it
        emit(`crmwire-proxy session refused (${code}); logging in again`);
        continue;
      }
      return r;
    }
  }

  /** Learn id prefix -> module for every allowed module (describe, cached, single-flight). */
  function learnPrefixes(force) {
    if (learnP && !(force && Date.now() - learnedAt > 30_000)) return learnP;
    const p = (async () => {
      for (const m of modSet) {
        if ([...prefixes.values()].includes(m)) continue;
        const r = await call('GET', [['operation', 'describe'], ['elementType', m]]);
        try {
          const pre = JSON.parse(r.text)?.result?.idPrefix;
          if (pre != null && pre !== '') prefixes.set(String(pre), m);
        } catch { /* a module the user cannot describe: its ids stay unknown */ }
      }
      learnedAt = Date.now();
    })();
    learnP = p;
    p.catch(() => { if (learnP === p) learnP = null; });
    return p;
  }

  async function moduleOfId(id) {
    const m = ID_RE.exec(id);
    if (!m) throw new Reject(400, 'INVALID_INPUT', 'malformed record id (expected <prefix>x<number>)');
    if (!prefixes.has(m[1])) await learnPrefixes(false);
    if (!prefixes.has(m[1])) await learnPrefixes(true);
    const mod = prefixes.get(m[1]);
    if (!mod) throw new Reject(403, 'ACCESS_DENIED', `record id ${m[1]}x… is not in an allowed module`);
    return mod;
  }

  async function checkModules(op, params) {
    const t = touches(op, params);
    if (modSet === '*') {
      for (const id of t?.ids ?? []) if (!ID_RE.test(id)) throw new Reject(400, 'INVALID_INPUT', 'malformed record id (expected <prefix>x<number>)');
      return t?.modules?.[0] ?? '*';
    }
    if (!t) throw new Reject(403, 'ACCESS_DENIED', `operation ${op} cannot be checked against the module allowlist`);
    const seen = [];
    for (const m of t.modules) {
      if (!m || !modSet.has(m)) throw new Reject(403, 'ACCESS_DENIED', `module ${m && NAME_RE.test(m) ? m : '(none)'} is not allowed`);
      seen.push(m);
    }
    for (const id of t.ids) seen.push(await moduleOfId(id));
    return seen[0] ?? '-';
  }

  /** Parameters of the browser's request: query string + form/multipart body; secrets dropped. */
  async function readParams(request, url) {
    const params = new Map();
    let files = null; // multipart entries that are File/Blob
    const add = (k, v, where) => {
      const lk = k.toLowerCase();
      if (lk === 'sessionname' || lk === 'phpsessid' || lk === 'format') return; // never from the browser
      if (!PARAM_RE.test(k)) throw new Reject(400, 'INVALID_INPUT', 'parameter names must be plain identifiers');
      if (params.has(k)) throw new Reject(400, 'INVALID_INPUT', `parameter ${k} given twice${where ? '' : ''}`);
      params.set(k, v);
    };
    for (const [k, v] of url.searchParams) add(k, v, 'query');
    if (request.method === 'POST') {
      const body = await readBody(request, maxBodyBytes);
      const ct = (request.headers.get('content-type') || '').toLowerCase();
      if (body.byteLength === 0) { /* nothing */ } else if (ct.startsWith('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(new TextDecoder().decode(body))) add(k, v, 'body');
      } else if (ct.startsWith('multipart/form-data')) {
        const fd = await new Response(body, { headers: { 'content-type': request.headers.get('content-type') } }).formData();
        for (const [k, v] of fd) {
          if (typeof v === 'string') add(k, v, 'body');
          else {
            const lk = k.toLowerCase();
            if (lk === 'sessionname' || lk === 'phpsessid') continue;
            if (!PARAM_RE.test(k)) throw new Reject(400, 'INVALID_INPUT', 'parameter names must be plain identifiers');
            (files ??= []).push([k, v]);
          }
        }
      } else {
        throw new Reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/x-www-form-urlencoded or multipart/form-data (the webservice reads no JSON bodies)');
      }
    }
    return { params, files };
  }

  async function authenticate(request) {
    let callerId = null;
    if (tokens && tokens.length) {
      tokenDigests ??= Promise.all(tokens.map(sha256));
      const digests = await tokenDigests;
      const h = request.headers.get('authorization') || '';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
      const given = await sha256(m ? m[1] : '');
      let hit = -1;
      for (let i = 0; i < digests.length; i++) if (digestEqual(digests[i], given) && hit < 0) hit = i;
      if (!m || hit < 0) throw new Reject(401, 'UNAUTHORIZED', 'a valid caller token is required (Authorization: Bearer <token>)', { 'www-authenticate': 'Bearer' });
      callerId = `token#${hit}`;
    }
    if (authorize) {
      let r;
      try { r = await authorize(request); } catch { r = false; }
      if (!r) throw new Reject(callerId ? 403 : 401, callerId ? 'ACCESS_DENIED' : 'UNAUTHORIZED', 'caller not authorized', callerId ? undefined : { 'www-authenticate': 'Bearer' });
      if (typeof r === 'string') callerId = r;
      else if (typeof r === 'object' && r.id != null) callerId = String(r.id);
      else callerId ??= 'authorized';
    }
    return callerId;
  }

  function filterTypes(text) {
    try {
      const env = JSON.parse(text);
      const res = env?.result;
      if (!env.success || !res || !Array.isArray(res.types)) return text;
      res.types = res.types.filter((t) => modSet.has(t));
      if (res.information && typeof res.information === 'object' && !Array.isArray(res.information)) {
        for (const k of Object.keys(res.information)) if (!modSet.has(k)) delete res.information[k];
      }
      return JSON.stringify(env);
    } catch {
      return text;
    }
  }

  async function handle(request) {
    const t0 = Date.now();
    const origin = request.headers.get('origin');
    const cors = {};
    let op = '-';
    let mod = '-';
    let caller = '-';
    const done = (res) => {
      emit(`crmwire-proxy ${request.method} op=${op} module=${mod} caller=${caller} -> ${res.status} ${Date.now() - t0}ms`);
      return res;
    };
    const reply = (status, body, extra, contentType = 'application/json') => done(new Response(body, {
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
      caller = (await authenticate(request)) ?? '-';
      if (limiter) {
        const wait = await limiter(caller, request);
        if (wait) throw new Reject(429, 'RATE_LIMITED', `too many requests; retry in ${wait} s`, { 'retry-after': String(wait) });
      }
      const url = new URL(request.url);
      const { params, files } = await readParams(request, url);
      op = String(params.get('operation') ?? '').toLowerCase();
      if (!op) throw new Reject(400, 'INVALID_INPUT', 'operation is required');
      if (!/^[a-z_.]+$/.test(op)) { op = '?'; throw new Reject(400, 'INVALID_INPUT', 'malformed operation'); }
      if (NEVER.has(op)) throw new Reject(403, 'ACCESS_DENIED', `operation ${op} is handled by the proxy and never forwarded`);
      if (opSet !== '*' && !opSet.has(op)) throw new Reject(403, 'ACCESS_DENIED', `operation ${op} is not allowed`);
      params.set('operation', op);
      mod = await checkModules(op, params);

      const method = GET_OPS.has(op) ? 'GET' : 'POST';
      if (method === 'GET' && files) throw new Reject(400, 'INVALID_INPUT', `operation ${op} takes no files`);
      const formFactory = files ? () => { const fd = new FormData(); for (const [k, v] of files) fd.append(k, v, v.name); return fd; } : null;
      const r = await call(method, params, formFactory);
      let text = r.text;
      if (op === 'listtypes' && filterListtypes && modSet !== '*') text = filterTypes(text);
      if (op === 'describe' && modSet !== '*') {
        const m = /"idPrefix"\s*:\s*"?(\d+)"?/.exec(text);
        if (m && !prefixes.has(m[1]) && modSet.has(mod)) prefixes.set(m[1], mod);
      }
      return reply(r.status, scrub(text), {}, r.contentType);
    } catch (e) {
      if (e instanceof Reject) return reply(e.status, envelope(e.code, scrub(e.message)), e.headers ?? {});
      emit(`crmwire-proxy internal error: ${e && e.name}`);
      return reply(500, envelope('PROXY_ERROR', 'internal proxy error'));
    }
  }

  Object.defineProperty(handle, 'stats', { get: () => ({ logins, knownPrefixes: prefixes.size }) });
  return handle;
}

/**
 * Adapt a `(Request) => Promise<Response>` handler to `node:http`'s `(req, res)` listener.
 * Uses no node: imports; the body is streamed, so the proxy's size limit applies before buffering.
 */
export function toNodeListener(handler, { trustProxy = false } = {}) {
  return async (req, res) => {
    try {
      const proto = trustProxy && req.headers['x-forwarded-proto'] ? String(req.headers['x-forwarded-proto']).split(',')[0] : 'http';
      const host = req.headers.host || '127.0.0.1';
      const url = `${proto}://${host}${req.url}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (Array.isArray(v)) for (const x of v) headers.append(k, x);
        else if (v != null) headers.set(k, String(v));
      }
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const body = hasBody
        ? new ReadableStream({
          start(c) {
            req.on('data', (d) => c.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
            req.on('end', () => c.close());
            req.on('error', (e) => c.error(e));
          },
          cancel() { req.destroy(); },
        })
        : undefined;
      const response = await handler(new Request(url, { method: req.method, headers, body, duplex: 'half' }));
      const out = {};
      response.headers.forEach((v, k) => { out[k] = v; });
      res.writeHead(response.status, out);
      if (response.body) {
        for await (const chunk of response.body) res.write(chunk);
      }
      res.end();
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(envelope('PROXY_ERROR', 'internal proxy error'));
    }
  };
}

export default createVtigerProxy;
