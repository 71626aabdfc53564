// VtigerClient: the JS half of the client. The wasm `VtigerCore` owns the protocol and the
// secrets (builds requests, decodes envelopes, computes the login digest, plans split
// queries, runs the sync state machine); this file moves bytes through fetch and handles what
// is easier in JS: timeouts covering the body, aborts, retries, single-flight login, the
// session-expiry repeat and async iterators.
import { wasm, wasmSync } from './core.js';
import { CrmError, isCrmError } from './errors.js';
import { send, sendRetry, unpackRequest as toRequest } from './transport.js';
import { Query } from './query.js';

const SESSION_CODES = new Set(['INVALID_SESSIONID', 'AUTHENTICATION_REQUIRED', 'SESSION_EXPIRED', 'SESSION_LEFT_IDLE']);
const OPTIONAL_OPS = ['sync', 'wsapp_register', 'wsapp_get', 'convertlead', 'retrieve_inventory', 'files_retrieve', 'relatedtypes', 'retrieve_related', 'query_related', 'add_related', 'logout', 'extendsession'];

// The body of a clean success envelope is parsed once, here, with JSON.parse; anything else
// (PHP notices or HTML before the JSON, raw control characters in strings, failures) goes to the
// tolerant wasm decoder, which gives the same value for a clean body and a typed error otherwise.
const UNCLEAN = Symbol('unclean');
const utf8 = new TextDecoder(); // replaces invalid UTF-8 and drops a BOM, like the core

/** The envelope's `result` (null when absent) if `body` is a clean success envelope, else UNCLEAN. */
function cleanResult(body) {
  // '{' first (after an optional BOM): anything else needs the tolerant decoder anyway.
  const at = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  if (body[at] !== 0x7b) return UNCLEAN;
  let env;
  try {
    env = JSON.parse(utf8.decode(body));
  } catch {
    return UNCLEAN;
  }
  if (env === null || env.success !== true) return UNCLEAN;
  return env.result === undefined ? null : env.result;
}

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
    const proxy = options.auth === 'proxy';
    if (options.auth !== undefined && !proxy) throw new CrmError('INVALID_INPUT', "option 'auth' must be 'proxy' or absent", { field: 'auth' });
    const { url, username, accessKey, token } = options;
    for (const [k, v] of Object.entries(proxy ? { url } : { url, username, accessKey })) {
      if (typeof v !== 'string' || v === '') throw new CrmError('INVALID_INPUT', `option '${k}' must be a non-empty string`, { field: k });
    }
    if (proxy && token !== undefined && (typeof token !== 'string' || /\s/.test(token))) throw new CrmError('INVALID_INPUT', "option 'token' must be a string without spaces", { field: 'token' });
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new CrmError('INVALID_INPUT', "option 'fetch' must be a function", { field: 'fetch' });
    const t = options.timeoutMs ?? 30000;
    if (!(Number.isFinite(t) && t > 0)) throw new CrmError('INVALID_INPUT', "option 'timeoutMs' must be a positive number", { field: 'timeoutMs' });
    const r = options.retry ?? {};
    const retry = typeof r === 'number' ? { retries: r } : r;
    this.#opts = {
      url, username, accessKey, proxy, token: token || undefined,
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

  #newCore(w) {
    const o = this.#opts;
    return o.proxy ? w.VtigerCore.proxy(o.url, o.token, o.fourByteChars) : new w.VtigerCore(o.url, o.username, o.accessKey, o.fourByteChars);
  }

  #coreSync() {
    if (this.#core) return this.#core;
    const w = wasmSync('new VtigerClient()'); // NOT_READY in hosts that load the module asynchronously
    this.#core = this.#newCore(w);
    return this.#core;
  }

  async #getCore() {
    if (this.#core) return this.#core;
    const w = await wasm();
    if (!this.#core) this.#core = this.#newCore(w);
    return this.#core;
  }

  // ---- transport (pkg/transport.js) ---------------------------------------------------
  #send(req, signal) {
    return send(this.#fetch, this.#opts, req, signal);
  }

  #sendRetry(req, signal) {
    return sendRetry(this.#fetch, this.#opts, req, signal);
  }

  // ---- session ------------------------------------------------------------------------
  async #doLogin() {
    const core = await this.#getCore();
    for (let attempt = 0; ; attempt++) {
      const ch = await this.#sendRetry(toRequest(core.challengeRequest()));
      const loginReq = toRequest(core.loginRequest(ch.status, ch.body));
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

  /** Logs in when needed (never in proxy mode: the proxy owns the session). */
  #session(core) {
    // Not async: with a session there is nothing to await (no promise per call on the hot path).
    return !core.isProxy && !core.hasSession() ? this.#ensureLogin() : undefined;
  }

  /** True when `e` means "log in again and repeat" (never in proxy mode). */
  #expired(core, e) {
    return !core.isProxy && isCrmError(e) && SESSION_CODES.has(e.code);
  }

  /** Runs one operation: lazy login, one re-login + repeat on session expiry. Returns the result value. */
  async #exec(op, build, signal) {
    const core = this.#core ?? (await this.#getCore());
    for (let attempt = 0; ; attempt++) {
      const login = this.#session(core);
      if (login) await login;
      const req = toRequest(build(core));
      const res = await this.#sendRetry(req, signal);
      const clean = cleanResult(res.body);
      if (clean !== UNCLEAN) {
        this.#answered[req.operation] = true;
        return clean;
      }
      try {
        const text = core.decode(req.operation, res.status, res.body);
        this.#answered[req.operation] = true;
        return JSON.parse(text);
      } catch (e) {
        if (attempt === 0 && this.#expired(core, e)) {
          core.clearSession();
          continue;
        }
        if (isCrmError(e) && (e.code === 'UNKNOWN_OPERATION' || (e.status >= 500 && e.code !== 'TIMEOUT'))) this.#answered[req.operation] = false;
        throw e;
      }
    }
  }

  #op(op, args = [], signal) {
    const [a, b, c] = args;
    return this.#exec(op, (core) => core.build(op, a, b, c), signal);
  }

  // ---- public API -----------------------------------------------------------------
  /** Logs in now (otherwise the first call does). Returns the login information. */
  async login() {
    const core = await this.#getCore();
    if (core.isProxy) throw new CrmError('UNSUPPORTED', 'in proxy mode the proxy logs in; the client never does', { operation: 'login' });
    core.clearSession();
    return this.#ensureLogin();
  }

  /** Ends the session. A server failure (HTTP 500 on stock 8.3) is reported, not hidden. */
  async logout(opts = {}) {
    const core = await this.#getCore();
    if (core.isProxy || !core.hasSession()) return { message: 'no session' };
    const req = toRequest(core.build('logout'));
    core.clearSession();
    const res = await this.#send(req, opts.signal);
    let out;
    try {
      out = JSON.parse(core.decode('logout', res.status, res.body));
    } catch (e) {
      if (isCrmError(e) && e.status >= 500) this.#answered.logout = false;
      throw e;
    }
    this.#answered.logout = true;
    return out ?? {};
  }

  async extendSession(opts = {}) {
    const core = await this.#getCore();
    if (core.isProxy) throw new CrmError('UNSUPPORTED', 'in proxy mode the proxy owns the session', { operation: 'extendsession' });
    await this.#session(core);
    const req = toRequest(core.build('extendsession'));
    const res = await this.#send(req, opts.signal);
    // The core keeps the (possibly new) session name; the caller gets the rest.
    const info = JSON.parse(core.acceptLogin('extendsession', res.status, res.body));
    this.#answered.extendsession = true;
    return info;
  }

  async listTypes(opts = {}) {
    return this.#op('listtypes', [], opts.signal);
  }

  /** Module metadata (cached per client); `idPrefix` is a number. */
  async describe(module, opts = {}) {
    const key = arg(module, 'elementType', 'describe');
    if (!this.#describe.has(key)) {
      const p = this.#op('describe', [key], opts.signal).then((d) => ({ ...d, idPrefix: Number(d.idPrefix) }));
      this.#describe.set(key, p);
      p.catch(() => this.#describe.delete(key));
    }
    return this.#describe.get(key);
  }

  async create(module, fields, opts = {}) {
    return this.#op('create', [arg(module, 'elementType', 'create'), elementJson(fields)], opts.signal);
  }
  async retrieve(id, opts = {}) {
    return this.#op('retrieve', [arg(id, 'id', 'retrieve')], opts.signal);
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
    return this.#op('delete', [arg(id, 'id', 'delete')], opts.signal);
  }

  /**
   * One page, as the server answers it (at most 100 rows). A query too long for a GET
   * (8 KB) because of a long `IN (…)` list is split into several queries on that list and
   * the answers are concatenated (de-duplicated by id); see the README.
   */
  async query(q, opts = {}) {
    const core = await this.#getCore();
    const [text, raw] = queryText(q);
    const plan = core.planQuery(text, raw);
    if (plan.length === 1) return this.#op('query', [plan[0]], opts.signal);
    const seen = new Set();
    const out = [];
    for (const vtql of plan) {
      for (const row of await this.#op('query', [vtql], opts.signal)) {
        if (row && row.id != null) {
          if (seen.has(row.id)) continue;
          seen.add(row.id);
        }
        out.push(row);
      }
    }
    return out;
  }

  /** Every row, paged by keyset on id (never stops on a short page; no skip or repeat). */
  async *queryAll(q, opts = {}) {
    const core = await this.#getCore();
    const [text, raw] = queryText(q);
    const pager = core.pager(text, raw, false);
    const seen = pager.split ? new Set() : null;
    try {
      for (;;) {
        const vtql = pager.nextQuery();
        if (vtql === undefined) return;
        const rows = await this.#page(pager, vtql, opts.signal);
        if (!seen) {
          // A plain loop: `yield*` over an array costs about 1.5× more per row in an async generator.
          for (const row of rows) yield row;
          continue;
        }
        for (const row of rows) {
          if (seen.has(row.id)) continue;
          seen.add(row.id);
          yield row;
        }
      }
    } finally {
      pager.free();
    }
  }

  /** One keyset page: runs `vtql` and moves the pager by the parsed rows (count + last id). */
  async #page(pager, vtql, signal) {
    const rows = await this.#exec('query', (c) => c.build('query', vtql), signal);
    if (!Array.isArray(rows)) {
      // PHP's `{}` for an empty list is accepted; anything else gets the core's INVALID_RESPONSE.
      pager.advancePage(JSON.stringify(rows));
      return [];
    }
    const last = rows.length ? rows[rows.length - 1]?.id : undefined;
    pager.advanceRows(rows.length, last == null ? undefined : String(last));
    return rows;
  }

  iterate(q, opts) {
    return this.queryAll(q, opts);
  }

  /** Row count; pages `SELECT id` where `count(*)` answers `[]` (Vtiger 8.3+). */
  async count(q, opts = {}) {
    const core = await this.#getCore();
    const [text, raw] = queryText(q);
    const pager = core.pager(text, raw, true);
    const seen = pager.split ? new Set() : null;
    try {
      for (;;) {
        const vtql = pager.nextQuery();
        if (vtql === undefined) return seen ? seen.size : pager.total;
        const rows = await this.#page(pager, vtql, opts.signal);
        if (seen) for (const row of rows) seen.add(row.id);
      }
    } finally {
      pager.free();
    }
  }

  /**
   * Changes of `module` since `since` (Unix seconds, a Date, or a checkpoint string from an
   * earlier batch), as batches `{ updated, deleted, checkpoint, strategy }`. The core's sync
   * machine picks the strategy: the native `sync` operation, else (HTTP 500 on stock 8.x)
   * `wsapp_register`/`wsapp_get`/`wsapp_deregister`, else a `modifiedtime` keyset query
   * (which cannot see deletions). A wsapp registration is released when the run ends, when
   * the loop is left early (`break`, `return`, an exception) and on abort.
   */
  async *sync(module, opts = {}) {
    const { since = 0, onProgress, signal, scope } = opts ?? {};
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new CrmError('INVALID_INPUT', "option 'onProgress' must be a function", { field: 'onProgress', operation: 'sync' });
    const core = await this.#getCore();
    const w = await wasm();
    let start = sinceText(since);
    const mod = arg(module, 'module', 'sync');
    // Skip strategies this client already saw fail on this server (a fresh run from a time
    // may start at any strategy: the checkpoint form names it).
    if (/^\d+$/.test(start) && this.#answered.sync === false) {
      const wsappFailed = this.#answered.wsapp_register === false || this.#answered.wsapp_get === false;
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(mod)) start = `v1:${wsappFailed ? 'query' : 'wsapp'}:${mod}:${start}:`;
    }
    const state = new w.SyncState(mod, start, scope);
    try {
      for (;;) {
        let batch;
        for (let attempt = 0; ; attempt++) {
          await this.#session(core);
          const req = toRequest(core.syncRequest(state));
          if (req === undefined) return;
          const res = await this.#sendRetry(req, signal);
          const before = state.strategy;
          try {
            batch = state.handle(res.status, res.body);
          } catch (e) {
            if (attempt === 0 && this.#expired(core, e)) {
              core.clearSession();
              continue;
            }
            throw e;
          }
          this.#noteSync(req.operation, before, state.strategy, batch !== undefined);
          break;
        }
        if (batch !== undefined) {
          const b = { updated: JSON.parse(batch.updatedJson), deleted: batch.deleted, checkpoint: batch.checkpoint, strategy: batch.strategy };
          if (onProgress) onProgress(b);
          yield b;
        }
      }
    } finally {
      if (!state.done) await this.#syncRelease(core, state);
      state.free();
    }
  }

  /** Records which sync strategies this server answers (serverInfo, later runs). */
  #noteSync(op, before, after, gotBatch) {
    if (before === 'sync') this.#answered.sync = after === 'sync' ? gotBatch || this.#answered.sync === true : false;
    else if (before === 'wsapp' && (op === 'wsapp_register' || op === 'wsapp_get')) this.#answered[op] = after !== 'query';
  }

  /** Releases a wsapp registration of an abandoned run (best effort; never the caller's signal). */
  async #syncRelease(core, state) {
    let req;
    try {
      req = toRequest(core.syncClose(state));
    } catch {
      return; // no session to release it with
    }
    if (req === undefined) return;
    try {
      const res = await this.#send(req);
      core.decode(req.operation, res.status, res.body);
    } catch {
      // Best effort: a failed release only leaves a row in vtiger_wsapp.
    }
  }

  async relatedTypes(module, opts = {}) {
    return this.#op('relatedtypes', [arg(module, 'elementType', 'relatedtypes')], opts.signal);
  }
  async retrieveRelated(id, relatedLabel, relatedType, opts = {}) {
    return this.#op('retrieve_related', [arg(id, 'id', 'retrieve_related'), arg(relatedLabel, 'relatedLabel', 'retrieve_related'), arg(relatedType, 'relatedType', 'retrieve_related')], opts.signal);
  }
  async queryRelated(q, id, relatedLabel, opts = {}) {
    const w = await wasm();
    const text = typeof q === 'string' ? q : w.renderVtql(JSON.stringify(q instanceof Query ? q.spec : q));
    return this.#op('query_related', [text, arg(id, 'id', 'query_related'), arg(relatedLabel, 'relatedLabel', 'query_related')], opts.signal);
  }
  async addRelated(sourceId, relatedId, relationLabel, opts = {}) {
    return this.#op('add_related', [arg(sourceId, 'sourceRecordId', 'add_related'), arg(relatedId, 'relatedRecordId', 'add_related'), relationLabel == null ? undefined : String(relationLabel)], opts.signal);
  }
  async convertLead(element, opts = {}) {
    return this.#op('convertlead', [elementJson(element)], opts.signal);
  }
  async filesRetrieve(id, opts = {}) {
    return this.#op('files_retrieve', [arg(id, 'id', 'files_retrieve')], opts.signal);
  }
  async retrieveInventory(id, opts = {}) {
    return this.#op('retrieve_inventory', [arg(id, 'id', 'retrieve_inventory')], opts.signal);
  }

  /** Any operation (extensions included). `params` values are sent as strings. */
  async call(operation, params = {}, opts = {}) {
    return this.#exec(String(operation), (core) => core.buildCall(String(operation), params, opts.method), opts.signal);
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

/** A required string argument (numbers are accepted and converted). */
function arg(v, field, operation) {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  throw new CrmError('INVALID_INPUT', `'${field}' is required (a string)`, { field, operation });
}

/** `[text, raw]` for the core: raw VTQL text, or the builder's object form as JSON. */
function queryText(q) {
  if (typeof q === 'string') return [q, true];
  if (q instanceof Query) return [JSON.stringify(q.spec), false];
  if (q && typeof q === 'object' && !Array.isArray(q)) return [JSON.stringify(q), false];
  throw new CrmError('INVALID_INPUT', 'the query must be VTQL text, a Query or its object form', { field: 'query', operation: 'query' });
}

/** `since` as the core reads it: decimal Unix seconds, or a checkpoint string. */
function sinceText(since) {
  if (since instanceof Date) since = since.getTime() / 1000;
  if (typeof since === 'number') {
    if (!Number.isFinite(since) || since < 0) throw new CrmError('INVALID_INPUT', 'since must be Unix seconds (>= 0), a Date or a checkpoint string', { field: 'since', operation: 'sync' });
    return String(Math.floor(since));
  }
  if (typeof since === 'string' && since !== '') return since;
  throw new CrmError('INVALID_INPUT', 'since must be Unix seconds (>= 0), a Date or a checkpoint string', { field: 'since', operation: 'sync' });
}

function elementJson(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CrmError('INVALID_INPUT', 'the record must be a plain object', { field: 'element' });
  return JSON.stringify(v);
}
