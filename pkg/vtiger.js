// VtigerClient: the JS half of the client. The wasm `VtigerCore` owns the protocol and the
// secrets (builds requests, decodes envelopes, computes the login digest); this file moves
// bytes through fetch and handles what is easier in JS: timeouts covering the body, aborts,
// retries, single-flight login, the session-expiry repeat and async iterators.
import { wasm, wasmSync } from './core.js';
import { CrmError, isCrmError } from './errors.js';
import { Query } from './query.js';

const SESSION_CODES = new Set(['INVALID_SESSIONID', 'AUTHENTICATION_REQUIRED', 'SESSION_EXPIRED', 'SESSION_LEFT_IDLE']);
const OPTIONAL_OPS = ['sync', 'wsapp_register', 'wsapp_get', 'convertlead', 'retrieve_inventory', 'files_retrieve', 'relatedtypes', 'retrieve_related', 'query_related', 'add_related', 'logout', 'extendsession'];
const RETRY_STATUS = new Set([502, 503, 504]);

export class VtigerClient {
  #opts;
  #core = null;
  #fetch;
  #login = null;
  #loginInfo = null;
  #describe = new Map();
  #answered = {};

  constructor(options) {
    if (!options || typeof options !== 'object') throw new CrmError('INVALID_INPUT', 'VtigerClient needs an options object', { field: 'options' });
    const { url, username, accessKey } = options;
    for (const [k, v] of Object.entries({ url, username, accessKey })) {
      if (typeof v !== 'string' || v === '') throw new CrmError('INVALID_INPUT', `option '${k}' must be a non-empty string`, { field: k });
    }
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new CrmError('INVALID_INPUT', "option 'fetch' must be a function", { field: 'fetch' });
    const t = options.timeoutMs ?? 30000;
    if (!(Number.isFinite(t) && t > 0)) throw new CrmError('INVALID_INPUT', "option 'timeoutMs' must be a positive number", { field: 'timeoutMs' });
    const r = options.retry ?? {};
    const retry = typeof r === 'number' ? { retries: r } : r;
    this.#opts = {
      url, username, accessKey,
      timeoutMs: t,
      retries: retry.retries ?? 2,
      retryBaseMs: retry.baseMs ?? 200,
      onRequest: typeof options.onRequest === 'function' ? options.onRequest : null,
      fourByteChars: options.fourByteChars ?? 'reject',
    };
    this.#fetch = options.fetch ?? null;
    // Validate the URL and options now when the module is already instantiated (Node, Bun,
    // Deno, workerd); in browsers the first call reports it.
    try {
      this.#coreSync();
    } catch (e) {
      if (!(isCrmError(e) && e.code === 'NOT_READY')) throw e;
    }
  }

  #coreSync() {
    if (this.#core) return this.#core;
    const w = wasmSync('new VtigerClient()'); // NOT_READY in hosts that load the module asynchronously
    const o = this.#opts;
    this.#core = new w.VtigerCore(o.url, o.username, o.accessKey, o.fourByteChars);
    return this.#core;
  }

  async #getCore() {
    if (this.#core) return this.#core;
    const w = await wasm();
    if (!this.#core) {
      const o = this.#opts;
      this.#core = new w.VtigerCore(o.url, o.username, o.accessKey, o.fourByteChars);
    }
    return this.#core;
  }

  // ---- transport -------------------------------------------------------------------
  async #send(req, signal) {
    const f = this.#fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new CrmError('TRANSPORT', 'no fetch function in this runtime; pass options.fetch', { operation: req.operation });
    if (signal?.aborted) throw new CrmError('ABORTED', 'the request was aborted', { operation: req.operation, cause: signal.reason });
    const timeout = AbortSignal.timeout(this.#opts.timeoutMs);
    const s = signal ? AbortSignal.any([signal, timeout]) : timeout;
    if (this.#opts.onRequest) {
      try {
        this.#opts.onRequest({ operation: req.operation, method: req.method, url: req.redactedUrl });
      } catch {}
    }
    try {
      const res = await f(req.url, { method: req.method, headers: req.headers, body: req.body, signal: s });
      // The timeout stays armed while the body is read.
      const body = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, body };
    } catch (e) {
      if (signal?.aborted) throw new CrmError('ABORTED', 'the request was aborted', { operation: req.operation, cause: signal.reason });
      if (timeout.aborted) throw new CrmError('TIMEOUT', `no complete answer within ${this.#opts.timeoutMs} ms`, { operation: req.operation, cause: e });
      throw new CrmError('TRANSPORT', `network error: ${e && e.message ? String(e.message).replace(/sessionName=[^&\s]*/gi, 'sessionName=[redacted]') : 'fetch failed'}`, { operation: req.operation, cause: e });
    }
  }

  /** GET-type operations are retried on network errors and 502/503/504; POST never. */
  async #sendRetry(req, signal) {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.#send(req, signal);
        if (req.get && RETRY_STATUS.has(res.status) && attempt < this.#opts.retries) {
          await sleep(this.#opts.retryBaseMs * 2 ** attempt, signal);
          continue;
        }
        return res;
      } catch (e) {
        if (req.get && e.code === 'TRANSPORT' && attempt < this.#opts.retries) {
          await sleep(this.#opts.retryBaseMs * 2 ** attempt, signal);
          continue;
        }
        throw e;
      }
    }
  }

  // ---- session ------------------------------------------------------------------------
  async #doLogin() {
    const core = await this.#getCore();
    for (let attempt = 0; ; attempt++) {
      const ch = await this.#sendRetry(core.challengeRequest());
      const loginReq = core.loginRequest(ch.status, ch.body);
      const r = await this.#send(loginReq);
      try {
        this.#loginInfo = JSON.parse(core.acceptLogin('login', r.status, r.body));
        return this.#loginInfo;
      } catch (e) {
        // Challenge/login race: another login consumed our fresh token. Retry once.
        if (attempt === 0 && isCrmError(e) && (e.code === 'INVALID_USER_CREDENTIALS' || e.code === 'INVALID_AUTH_TOKEN')) continue;
        throw e;
      }
    }
  }

  #ensureLogin() {
    if (!this.#login) {
      this.#login = this.#doLogin().finally(() => {
        this.#login = null;
      });
    }
    return this.#login;
  }

  /** Runs one operation: lazy login, one re-login + repeat on session expiry. Returns JSON text. */
  async #exec(op, build, signal) {
    const core = await this.#getCore();
    for (let attempt = 0; ; attempt++) {
      if (!core.hasSession()) await this.#ensureLogin();
      const req = build(core);
      const res = await this.#sendRetry(req, signal);
      try {
        const text = core.decode(req.operation, res.status, res.body);
        this.#answered[req.operation] = true;
        return text;
      } catch (e) {
        if (attempt === 0 && isCrmError(e) && SESSION_CODES.has(e.code)) {
          core.clearSession();
          continue;
        }
        if (isCrmError(e) && (e.code === 'UNKNOWN_OPERATION' || (e.status >= 500 && e.code !== 'TIMEOUT'))) this.#answered[req.operation] = false;
        throw e;
      }
    }
  }

  async #op(op, args = [], signal) {
    const [a, b, c] = args;
    return JSON.parse(await this.#exec(op, (core) => core.build(op, a, b, c), signal));
  }

  // ---- public API -----------------------------------------------------------------
  /** Logs in now (otherwise the first call does). Returns the login information. */
  async login() {
    const core = await this.#getCore();
    core.clearSession();
    return this.#ensureLogin();
  }

  /** Ends the session. A server failure (HTTP 500 on stock 8.3) is reported, not hidden. */
  async logout(opts = {}) {
    const core = await this.#getCore();
    if (!core.hasSession()) return { message: 'no session' };
    const req = core.build('logout');
    core.clearSession();
    const res = await this.#send(req, opts.signal);
    const out = JSON.parse(core.decode('logout', res.status, res.body));
    this.#answered.logout = true;
    return out ?? {};
  }

  async extendSession(opts = {}) {
    return this.#op('extendsession', [], opts.signal);
  }

  async listTypes(opts = {}) {
    return this.#op('listtypes', [], opts.signal);
  }

  /** Module metadata (cached per client); `idPrefix` is a number. */
  async describe(module, opts = {}) {
    const key = String(module);
    if (!this.#describe.has(key)) {
      const p = this.#op('describe', [key], opts.signal).then((d) => ({ ...d, idPrefix: Number(d.idPrefix) }));
      this.#describe.set(key, p);
      p.catch(() => this.#describe.delete(key));
    }
    return this.#describe.get(key);
  }

  async create(module, fields, opts = {}) {
    return this.#op('create', [String(module), elementJson(fields)], opts.signal);
  }
  async retrieve(id, opts = {}) {
    return this.#op('retrieve', [String(id)], opts.signal);
  }
  /** Full update: every mandatory field must be present (use revise for partial updates). */
  async update(record, opts = {}) {
    return this.#op('update', [elementJson(record)], opts.signal);
  }
  /** Partial update: only the fields given change (`id` required). */
  async revise(partial, opts = {}) {
    return this.#op('revise', [elementJson(partial)], opts.signal);
  }
  async delete(id, opts = {}) {
    return this.#op('delete', [String(id)], opts.signal);
  }

  /** One page, as the server answers it (at most 100 rows). */
  async query(q, opts = {}) {
    const w = await wasm();
    const vtql = typeof q === 'string' ? q : w.renderVtql(JSON.stringify(q instanceof Query ? q.spec : q));
    return this.#op('query', [vtql], opts.signal);
  }

  /** Every row, paged by keyset on id (never stops on a short page; no skip or repeat). */
  async *queryAll(q, opts = {}) {
    const w = await wasm();
    const pager = typeof q === 'string' ? new w.Pager(q, true, false) : new w.Pager(JSON.stringify(q instanceof Query ? q.spec : q), false, false);
    try {
      for (;;) {
        const vtql = pager.nextQuery();
        if (vtql === undefined) return;
        const text = await this.#exec('query', (core) => core.build('query', vtql), opts.signal);
        pager.advancePage(text);
        yield* JSON.parse(text);
      }
    } finally {
      pager.free();
    }
  }

  iterate(q, opts) {
    return this.queryAll(q, opts);
  }

  /** Row count; pages `SELECT id` where `count(*)` answers `[]` (Vtiger 8.3+). */
  async count(q, opts = {}) {
    const w = await wasm();
    const pager = typeof q === 'string' ? new w.Pager(q, true, true) : new w.Pager(JSON.stringify(q instanceof Query ? q.spec : q), false, true);
    try {
      for (;;) {
        const vtql = pager.nextQuery();
        if (vtql === undefined) return pager.total;
        const text = await this.#exec('query', (core) => core.build('query', vtql), opts.signal);
        pager.advancePage(text);
      }
    } finally {
      pager.free();
    }
  }

  /**
   * Changes since `since` (Unix seconds) as batches `{ updated, deleted, checkpoint, source }`.
   * Uses `sync` when the server answers it; otherwise (HTTP 500 on stock 8.3/8.4, unknown
   * operation) falls back to a `modifiedtime` query, which cannot see deletions.
   */
  async *sync(module, opts = {}) {
    const { since = 0, onProgress, signal } = opts;
    let t = Math.max(0, Math.floor(Number(since) || 0));
    let useSync = this.#answered.sync !== false;
    while (useSync) {
      let r;
      try {
        r = await this.#op('sync', [String(t), String(module)], signal);
      } catch (e) {
        if (isCrmError(e) && (e.code === 'UNKNOWN_OPERATION' || e.code === 'SERVER_ERROR' || e.code === 'INVALID_RESPONSE' || (e.status ?? 0) >= 500)) {
          this.#answered.sync = false;
          useSync = false;
          break;
        }
        throw e;
      }
      const updated = Array.isArray(r?.updated) ? r.updated : [];
      const deleted = Array.isArray(r?.deleted) ? r.deleted : [];
      const next = Number(r?.lastModifiedTime ?? t);
      const batch = { updated, deleted, checkpoint: next, source: 'sync', more: Boolean(r?.more) };
      onProgress?.(batch);
      yield batch;
      if (!r?.more || next <= t) return;
      t = next;
    }
    // Fallback: modifiedtime keyset over query (deletions are invisible).
    const ts = new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const q = { module: String(module), where: t > 0 ? [[{ field: 'modifiedtime', op: '>=', value: ts }]] : undefined };
    let updated = [];
    let checkpoint = t;
    for await (const row of this.queryAll(q, { signal })) {
      updated.push(row);
      const mt = Date.parse(String(row.modifiedtime ?? '').replace(' ', 'T') + 'Z');
      if (Number.isFinite(mt)) checkpoint = Math.max(checkpoint, Math.floor(mt / 1000));
      if (updated.length === 100) {
        const b = { updated, deleted: [], checkpoint, source: 'query', more: true };
        onProgress?.(b);
        yield b;
        updated = [];
      }
    }
    const b = { updated, deleted: [], checkpoint, source: 'query', more: false };
    onProgress?.(b);
    yield b;
  }

  async relatedTypes(module, opts = {}) {
    return this.#op('relatedtypes', [String(module)], opts.signal);
  }
  async retrieveRelated(id, relatedLabel, relatedType, opts = {}) {
    return this.#op('retrieve_related', [String(id), String(relatedLabel), String(relatedType)], opts.signal);
  }
  async queryRelated(q, id, relatedLabel, opts = {}) {
    const w = await wasm();
    const text = typeof q === 'string' ? q : w.renderVtql(JSON.stringify(q instanceof Query ? q.spec : q));
    return this.#op('query_related', [text, String(id), String(relatedLabel)], opts.signal);
  }
  async addRelated(sourceId, relatedId, relationLabel, opts = {}) {
    return this.#op('add_related', [String(sourceId), String(relatedId), relationLabel == null ? undefined : String(relationLabel)], opts.signal);
  }
  async convertLead(element, opts = {}) {
    return this.#op('convertlead', [elementJson(element)], opts.signal);
  }
  async filesRetrieve(id, opts = {}) {
    return this.#op('files_retrieve', [String(id)], opts.signal);
  }
  async retrieveInventory(id, opts = {}) {
    return this.#op('retrieve_inventory', [String(id)], opts.signal);
  }

  /** Any operation (extensions included). `params` values are sent as strings. */
  async call(operation, params = {}, opts = {}) {
    return JSON.parse(await this.#exec(String(operation), (core) => core.buildCall(String(operation), params, opts.method), opts.signal));
  }

  /** What this client learned about the server: version from login, which optional ops answered. */
  serverInfo() {
    const ops = {};
    for (const op of OPTIONAL_OPS) if (op in this.#answered) ops[op] = this.#answered[op];
    return {
      vtigerVersion: this.#loginInfo?.vtigerVersion,
      apiVersion: this.#loginInfo?.version,
      userId: this.#loginInfo?.userId,
      endpoint: this.#core?.endpoint,
      operations: ops,
    };
  }
}

function elementJson(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CrmError('INVALID_INPUT', 'the record must be a plain object', { field: 'element' });
  return JSON.stringify(v);
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new CrmError('ABORTED', 'the request was aborted', { cause: signal.reason }));
    }, { once: true });
  });
}
