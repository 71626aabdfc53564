// VtigerClient: the JS face of the Vtiger session driver. The wasm `VtigerCore`
// (src/vtiger/driver.rs) makes every protocol decision and holds the secrets: lazy login and
// the login race, single-flight login, the re-login and repeat on session expiry, retries,
// redirects, query splitting and merging, keyset paging, the sync strategies and their
// checkpoints, what the server supports. This file checks the caller's arguments, runs each
// exchange with the shared loop (pkg/transport.js) and exposes promises and async iterators.
import { wasm, wasmSync } from './core.js';
import { CrmError, errorFromJson, fromCore, isCrmError } from './errors.js';
import { Drive, Transport, jsonText, stringParams, transportOptions } from './transport.js';
import { Query } from './query.js';

/** Largest `sessions` (src/vtiger/pool.rs MAX_SESSIONS). */
const MAX_SESSIONS = 64;

export class VtigerClient {
  #opts;
  #core = null;
  #drive = null;
  #transport;
  #describe = new Map();
  #sessions;

  constructor(options) {
    if (!options || typeof options !== 'object') throw new CrmError('INVALID_INPUT', 'VtigerClient needs an options object', { field: 'options' });
    const proxy = options.auth === 'proxy';
    if (options.auth !== undefined && !proxy) throw new CrmError('INVALID_INPUT', "option 'auth' must be 'proxy' or absent", { field: 'auth' });
    const { url, username, accessKey, token } = options;
    for (const [k, v] of Object.entries(proxy ? { url } : { url, username, accessKey })) {
      if (typeof v !== 'string' || v === '') throw new CrmError('INVALID_INPUT', `option '${k}' must be a non-empty string`, { field: k });
    }
    if (proxy && token !== undefined && (typeof token !== 'string' || /\s/.test(token))) throw new CrmError('INVALID_INPUT', "option 'token' must be a string without spaces", { field: 'token' });
    if (options.checkFields !== undefined && typeof options.checkFields !== 'boolean') throw new CrmError('INVALID_INPUT', "option 'checkFields' must be a boolean", { field: 'checkFields' });
    const sessions = options.sessions ?? 1;
    if (!(Number.isInteger(sessions) && sessions >= 1 && sessions <= MAX_SESSIONS)) throw new CrmError('INVALID_INPUT', `option 'sessions' must be an integer from 1 to ${MAX_SESSIONS}`, { field: 'sessions' });
    if (proxy && sessions > 1) throw new CrmError('INVALID_INPUT', "option 'sessions' must be 1 in proxy mode: the proxy owns the session", { field: 'sessions' });
    this.#sessions = sessions;
    const t = transportOptions(options);
    this.#transport = new Transport(t);
    this.#opts = JSON.stringify({
      url, auth: proxy ? 'proxy' : 'login', username, accessKey, token: token || undefined,
      fourByteChars: options.fourByteChars == null ? undefined : String(options.fourByteChars),
      retries: t.retries, retryBaseMs: t.retryBaseMs, checkFields: options.checkFields,
      sessions: sessions === 1 ? undefined : sessions,
      seed: Math.floor(Math.random() * 2 ** 52) + 1,
    });
    // Validate the URL and options now when the module is already instantiated (Node, Bun,
    // Deno, workerd); in browsers the first call reports it.
    try {
      this.#make(wasmSync('new VtigerClient()'));
    } catch (e) {
      if (!(isCrmError(e) && e.code === 'NOT_READY')) throw e;
    }
  }

  #make(w) {
    if (!this.#core) {
      try {
        this.#core = new w.VtigerCore(this.#opts);
      } catch (e) {
        throw fromCore(e);
      }
      this.#drive = new Drive(this.#core, this.#transport);
    }
    return this.#core;
  }

  /** The driver (instantiating the wasm module first where it loads asynchronously). */
  async #ready() {
    if (!this.#core) this.#make(await wasm());
    return this.#drive;
  }

  /** Runs one operation to its result (`file`: the Blob an upload sends). */
  async #do(op, start, signal, file) {
    const d = this.#drive ?? (await this.#ready());
    return d.result(start(this.#core), signal, op, file);
  }

  // ---- public API -----------------------------------------------------------------
  /** Logs in now (otherwise the first call does), covered by `signal`. Returns the login information. */
  async login(opts = {}) {
    return this.#do('login', (c) => c.login(), opts?.signal);
  }

  /**
   * Ends the session: cleared locally at once, then the server is told. Resolves in every case
   * but an abort: `{ message }`, plus `error` (the CrmError) when the server could not log out
   * (HTTP 500 on stock 8.3.0, whose session then stays valid until it expires) or could not be
   * reached, so that `finally { await crm.logout() }` never throws.
   */
  async logout(opts = {}) {
    const d = this.#drive ?? (await this.#ready());
    const n = this.#core.openSessions();
    // Every session of the pool (one by default), at once; the first session's answer, with
    // the first failure as `error`.
    const all = await Promise.all(Array.from({ length: n }, (_, slot) => d.result(this.#core.logout(slot), opts?.signal, 'logout')));
    for (const r of all) if (r && r.error) r.error = errorFromJson(r.error);
    const r = all[0];
    const failed = all.find((x) => x && x.error);
    if (r && failed && !r.error) r.error = failed.error;
    return r;
  }

  async extendSession(opts = {}) {
    return this.#do('extendsession', (c) => c.extendSession(), opts?.signal);
  }

  async listTypes(opts = {}) {
    return this.#do('listtypes', (c) => c.listTypes(), opts.signal);
  }

  /** Module metadata (cached per client); `idPrefix` is a number. */
  async describe(module, opts = {}) {
    const key = arg(module, 'elementType', 'describe');
    if (!this.#describe.has(key)) {
      const p = this.#do('describe', (c) => c.describe(key), opts.signal).then((d) => ({ ...d, idPrefix: Number(d.idPrefix) }));
      this.#describe.set(key, p);
      p.catch(() => this.#describe.delete(key));
    }
    return this.#describe.get(key);
  }

  /**
   * Creates a record. Its keys are checked against the module's describe (fetched once per
   * client; `checkFields: false` turns the check off), a `Date` is written in its field's
   * format (UTC), and `opts.file` (bytes, a Blob or a File; `{ data, name, type? }`) is sent
   * with a Documents record as multipart.
   */
  async create(module, fields, opts = {}) {
    const m = arg(module, 'elementType', 'create');
    const [el, extra, file] = writeArgs(fields, opts, 'create');
    return this.#do('create', (c) => c.create(m, el, extra), opts?.signal, file);
  }
  async retrieve(id, opts = {}) {
    const i = arg(id, 'id', 'retrieve');
    return this.#do('retrieve', (c) => c.retrieve(i), opts.signal);
  }
  /** Full update: every mandatory field must be present (use revise for partial updates). Checks and `opts.file` as for create. */
  async update(record, opts = {}) {
    const [el, extra, file] = writeArgs(record, opts, 'update');
    return this.#do('update', (c) => c.update(el, extra), opts?.signal, file);
  }
  /** Partial update: only the fields given change (`id` required). Checks and `opts.file` as for create. */
  async revise(partial, opts = {}) {
    const [el, extra, file] = writeArgs(partial, opts, 'revise');
    return this.#do('revise', (c) => c.revise(el, extra), opts?.signal, file);
  }
  async delete(id, opts = {}) {
    const i = arg(id, 'id', 'delete');
    return this.#do('delete', (c) => c.delete(i), opts.signal);
  }

  /**
   * One page, as the server answers it (at most 100 rows). A query too long for a GET
   * (8 KB) because of a long `IN (…)` list is split into several queries on that list and
   * the answers are merged by id; see the README.
   */
  async query(q, opts = {}) {
    const [text, raw] = queryText(q, 'query');
    return this.#do('query', (c) => c.query(text, raw), opts.signal);
  }

  /** Every row, paged by keyset on id (never stops on a short page; no skip or repeat). */
  async *queryAll(q, opts = {}) {
    const [text, raw] = queryText(q, 'query');
    const d = this.#drive ?? (await this.#ready());
    for await (const rows of d.items(this.#core.queryAll(text, raw), opts.signal, 'query')) {
      // A plain loop: `yield*` over an array costs about 1.5× more per row in an async generator.
      for (const row of rows) yield row;
    }
  }

  iterate(q, opts) {
    return this.queryAll(q, opts);
  }

  /** Row count; pages `SELECT id` where `count(*)` answers `[]` (Vtiger 8.3+). */
  async count(q, opts = {}) {
    const [text, raw] = queryText(q, 'query');
    return this.#do('query', (c) => c.count(text, raw), opts.signal);
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
    const mod = arg(module, 'module', 'sync');
    const start = sinceText(since);
    const d = this.#drive ?? (await this.#ready());
    for await (const b of d.items(this.#core.sync(mod, start, scope), signal, 'sync')) {
      if (onProgress) onProgress(b);
      yield b;
    }
  }

  async relatedTypes(module, opts = {}) {
    const m = arg(module, 'elementType', 'relatedtypes');
    return this.#do('relatedtypes', (c) => c.relatedTypes(m), opts.signal);
  }
  /**
   * Every record related to `id` by `relatedLabel`, of module `relatedType`. Sent as
   * `SELECT * FROM <relatedType>` through query_related, paged by keyset on id (the server's
   * retrieve_related stops at 100 rows without a word).
   */
  async retrieveRelated(id, relatedLabel, relatedType, opts = {}) {
    const a = [arg(id, 'id', 'retrieve_related'), arg(relatedLabel, 'relatedLabel', 'retrieve_related'), arg(relatedType, 'relatedType', 'retrieve_related')];
    return this.#do('query_related', (c) => c.retrieveRelated(...a, false), opts.signal);
  }
  /** retrieveRelated as an async iterator: memory bounded by one page (100 rows). */
  async *retrieveRelatedAll(id, relatedLabel, relatedType, opts = {}) {
    const a = [arg(id, 'id', 'retrieve_related'), arg(relatedLabel, 'relatedLabel', 'retrieve_related'), arg(relatedType, 'relatedType', 'retrieve_related')];
    yield* this.#relatedRows((c) => c.retrieveRelated(...a, true), opts?.signal);
  }
  /**
   * The related records matching `q` (every one: no 100-row cap). The core sends one
   * query_related per AND group of the condition (the server scopes only the first OR group),
   * pages each by keyset on id and merges them by id; see the README for ORDER BY and LIMIT.
   */
  async queryRelated(q, id, relatedLabel, opts = {}) {
    const [text, raw] = queryText(q, 'query_related');
    const a = [arg(id, 'id', 'query_related'), arg(relatedLabel, 'relatedLabel', 'query_related')];
    return this.#do('query_related', (c) => c.queryRelated(text, raw, ...a, false), opts.signal);
  }
  /** queryRelated as an async iterator (LIMIT a total cap, as in queryAll); memory bounded by one page per OR group. */
  async *queryRelatedAll(q, id, relatedLabel, opts = {}) {
    const [text, raw] = queryText(q, 'query_related');
    const a = [arg(id, 'id', 'query_related'), arg(relatedLabel, 'relatedLabel', 'query_related')];
    yield* this.#relatedRows((c) => c.queryRelated(text, raw, ...a, true), opts?.signal);
  }
  async *#relatedRows(start, signal) {
    const d = this.#drive ?? (await this.#ready());
    for await (const rows of d.items(start(this.#core), signal, 'query_related')) {
      for (const row of rows) yield row;
    }
  }
  async addRelated(sourceId, relatedId, relationLabel, opts = {}) {
    const a = [arg(sourceId, 'sourceRecordId', 'add_related'), arg(relatedId, 'relatedRecordId', 'add_related'), relationLabel == null ? undefined : String(relationLabel)];
    return this.#do('add_related', (c) => c.addRelated(...a), opts.signal);
  }
  async convertLead(element, opts = {}) {
    const el = elementJson(element, 'convertlead');
    return this.#do('convertlead', (c) => c.convertLead(el), opts.signal);
  }
  /**
   * The files of a record (a Document's file, a record's images) or of an attachment id
   * (`imageattachmentids`): `[{ id, name, type, size, data: Uint8Array }]` (`[]`: no file).
   * The record is retrieved first to find its attachment ids. The answer carries the file as
   * base64 (4/3 of its size): `maxResponseBytes` caps it.
   */
  async filesRetrieve(id, opts = {}) {
    const i = arg(id, 'id', 'files_retrieve');
    const d = this.#drive ?? (await this.#ready());
    const out = [];
    for await (const { value, body } of d.items(this.#core.filesRetrieve(i), opts?.signal, 'files_retrieve', true)) {
      for (const f of value) out.push({ id: f.id, name: f.name, type: f.type, size: f.size, data: base64Bytes(f.data, body) });
    }
    return out;
  }
  async retrieveInventory(id, opts = {}) {
    const i = arg(id, 'id', 'retrieve_inventory');
    return this.#do('retrieve_inventory', (c) => c.retrieveInventory(i), opts.signal);
  }

  /** Any operation (extensions included). `params` values are sent as strings. */
  async call(operation, params = {}, opts = {}) {
    const op = String(operation);
    const p = jsonText(stringParams(params, 'params', op), 'params', op);
    return this.#do(op, (c) => c.callOperation(op, p, opts.method), opts.signal);
  }

  // ---- bulk writes (the scheduler at the end of this file, src/vtiger/bulk.rs) --------------------------------

  /**
   * Creates every record of `records` (one `create` each, `concurrency` at a time over the
   * session pool; default: the `sessions` option). Resolves to one result per record, in input
   * order: `{ ok: true, record }` or `{ ok: false, error }`. A write is never sent twice; a
   * create whose request broke off is OUTCOME_UNKNOWN (the record may exist). `signal` stops
   * starting records (those get ABORTED); started ones finish and report their outcome.
   */
  async createMany(module, records, opts = {}) {
    const m = arg(module, 'elementType', 'create');
    return this.#bulk('create', records, opts, () => undefined, (r) => this.create(m, r).then((record) => ({ record })));
  }
  /** Full updates (`update`), as createMany; records with the same `id` run in input order. */
  async updateMany(records, opts = {}) {
    return this.#bulk('update', records, opts, idKey, (r) => this.update(r).then((record) => ({ record })));
  }
  /** Partial updates (`revise`), as createMany; records with the same `id` run in input order. */
  async reviseMany(partials, opts = {}) {
    return this.#bulk('revise', partials, opts, idKey, (r) => this.revise(r).then((record) => ({ record })));
  }
  /** Deletes every id, as createMany; a result's `record` is `{ id }`. */
  async deleteMany(ids, opts = {}) {
    return this.#bulk('delete', ids, opts, (id) => (typeof id === 'string' || typeof id === 'number' ? String(id) : undefined), (id) => this.delete(id).then(() => ({ record: { id: String(id) } })));
  }

  /**
   * Creates or revises each record, looked up by `opts.match` (field names): no match →
   * `create`, one → `revise` of it, several → MULTIPLE_MATCHES (nothing written). Results as
   * createMany, with `action: 'created' | 'revised'`. Records of the batch with the same match
   * values run one after the other; see the README for the race between separate batches.
   */
  async upsert(module, records, opts = {}) {
    const m = arg(module, 'elementType', 'upsert');
    const match = opts?.match;
    if (!Array.isArray(match) || match.length === 0 || !match.every((f) => typeof f === 'string' && f !== '')) throw new CrmError('INVALID_INPUT', "option 'match' must be a non-empty array of field names", { field: 'match', operation: 'upsert' });
    await this.#ready();
    const core = this.#core;
    const matchJson = JSON.stringify(match);
    const plans = [];
    const plan = (r, i) => {
      try {
        if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new CrmError('INVALID_INPUT', 'the record must be a plain object', { field: 'element', operation: 'upsert' });
        plans[i] = JSON.parse(core.upsertPlan(m, jsonText(r, 'element', 'upsert'), matchJson));
      } catch (e) {
        plans[i] = { error: fromCore(e) };
      }
      return plans[i].key;
    };
    return this.#bulk('upsert', records, opts, plan, async (r, i, at) => {
      const p = plans[i];
      if (p.error) throw p.error;
      const rows = await this.query(p.query);
      let id;
      try {
        id = core.upsertDecide(JSON.stringify(rows), m);
      } catch (e) {
        throw fromCore(e);
      }
      at.op = id ? 'revise' : 'create';
      const record = id ? await this.revise({ ...r, id }) : await this.create(m, r);
      return { record, action: id ? 'revised' : 'created' };
    });
  }

  /**
   * Runs a bulk write: `keyOf(item, i)` chains items with the same key; `job(item, i, at)` does
   * one (setting `at.op` to the write it sends when that is not `op`).
   */
  async #bulk(op, items, opts, keyOf, job) {
    const operation = op === 'upsert' ? 'upsert' : op;
    if (!Array.isArray(items)) throw new CrmError('INVALID_INPUT', 'records must be an array', { field: 'records', operation });
    const o = bulkOptions(opts, this.#sessions, operation);
    await this.#ready();
    const keys = items.map((it, i) => keyOf(it, i));
    const ops = new Array(items.length).fill(op);
    return runBulk(items.length, keys, o, (i) => {
      const at = { op };
      ops[i] = at;
      return job(items[i], i, at);
    }, (i, e) => this.#settle(typeof ops[i] === 'object' ? ops[i].op : op, e), operation);
  }

  /** A record's error: OUTCOME_UNKNOWN (its cause the failure) when the core says the write may have run. */
  #settle(op, e) {
    if (!isCrmError(e)) return e;
    const j = this.#core.writeOutcome(op, e.code, e.message, e.status, e.operation, e.crmCode !== undefined);
    if (j === undefined) return e;
    const o = JSON.parse(j);
    return new CrmError(o.code, o.message, { operation: o.operation, status: o.status, cause: e });
  }

  /** What this client learned about the server: version from login, which optional ops answered. */
  serverInfo() {
    const info = this.#core ? JSON.parse(this.#core.serverInfo()) : { operations: {} };
    return { vtigerVersion: info.vtigerVersion, apiVersion: info.apiVersion, userId: info.userId, endpoint: info.endpoint, operations: info.operations };
  }
}

/** The chain key of an update/revise: its id. */
const idKey = (r) => (r && typeof r === 'object' && (typeof r.id === 'string' || typeof r.id === 'number') ? String(r.id) : undefined);

/** A required string argument (numbers are accepted and converted). */
function arg(v, field, operation) {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  throw new CrmError('INVALID_INPUT', `'${field}' is required (a string)`, { field, operation });
}

/** `[text, raw]` for the core: raw VTQL text, or the builder's object form as JSON. */
function queryText(q, operation) {
  if (typeof q === 'string') return [q, true];
  if (q instanceof Query) return [jsonText(q.spec, 'query', operation), false];
  if (q && typeof q === 'object' && !Array.isArray(q)) return [jsonText(q, 'query', operation), false];
  throw new CrmError('INVALID_INPUT', 'the query must be VTQL text, a Query or its object form', { field: 'query', operation });
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

function elementJson(v, operation) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CrmError('INVALID_INPUT', 'the record must be a plain object', { field: 'element', operation });
  return jsonText(v, 'element', operation);
}

const isBlob = (v) => typeof Blob === 'function' && v instanceof Blob;

/**
 * `[elementJson, extraJson | undefined, fileBlob | undefined]` of a write: the record's JSON
 * text, its `Date`s (`[key, ms | null, nested]`: the core writes them in their field's format)
 * and the file (its name, type and size for the core; the Blob for the request body).
 */
function writeArgs(v, opts, operation) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CrmError('INVALID_INPUT', 'the record must be a plain object', { field: 'element', operation });
  const dates = [];
  let text;
  try {
    text = JSON.stringify(v, function (k, val) {
      const o = this[k];
      if (o instanceof Date) {
        const ms = o.getTime();
        dates.push([k, Number.isNaN(ms) ? null : ms, this !== v]);
      }
      return val;
    });
  } catch (e) {
    throw new CrmError('INVALID_INPUT', `element cannot be sent as JSON (${e instanceof Error ? e.message : String(e)})`, { field: 'element', operation, cause: e });
  }
  const f = opts?.file;
  let file;
  let meta;
  if (f !== undefined && f !== null) {
    const whole = isBlob(f);
    const data = whole ? f : f.data;
    if (isBlob(data)) file = data;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data) || typeof data === 'string') file = new Blob([data]);
    else throw new CrmError('INVALID_INPUT', 'file must be a Blob or File, or { data: Uint8Array | ArrayBuffer | Blob | string, name, type? }', { field: 'file', operation });
    const name = f.name;
    const type = (!whole && f.type) || file.type || undefined;
    meta = { name: typeof name === 'string' ? name : '', type: typeof type === 'string' ? type : undefined, size: file.size };
  }
  const extra = dates.length || meta ? JSON.stringify({ dates, file: meta }) : undefined;
  return [text, extra, file];
}

const utf8 = new TextDecoder();

/** The bytes of a file from filesRetrieve: `data` is a `[start, end)` range of base64 in `body`, or the base64 text. */
function base64Bytes(data, body) {
  let b64 = typeof data === 'string' ? data : utf8.decode(body.subarray(data[0], data[1]));
  if (b64.includes('\\')) b64 = b64.replaceAll('\\', '');
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---- the scheduler of the bulk writes ----------------------------------------------------
// Runs one async job per record with a concurrency bound, stops starting jobs on abort, keeps
// records with the same key one after the other, reports progress, and collects per-record
// results in input order. Which failures leave a write's outcome open, how an upsert looks a
// record up and what its answer decides are the core's (src/vtiger/bulk.rs).

/** Largest `concurrency`. */
const MAX_CONCURRENCY = 256;

/** Reads `{ concurrency, signal, onProgress }`; INVALID_INPUT naming the option. */
function bulkOptions(opts, defaultConcurrency, operation) {
  const o = opts ?? {};
  if (typeof o !== 'object') throw new CrmError('INVALID_INPUT', 'options must be an object', { field: 'options', operation });
  const concurrency = o.concurrency ?? defaultConcurrency;
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= MAX_CONCURRENCY)) throw new CrmError('INVALID_INPUT', `option 'concurrency' must be an integer from 1 to ${MAX_CONCURRENCY}`, { field: 'concurrency', operation });
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new CrmError('INVALID_INPUT', "option 'onProgress' must be a function", { field: 'onProgress', operation });
  return { concurrency, signal: o.signal ?? undefined, onProgress: o.onProgress };
}

/**
 * Runs `job(index)` for each of `n` records; `keys[i]` (a string, or undefined for none) puts
 * records with equal keys in one chain, run in input order. `settle(index, error)` turns a
 * job's failure into the record's error. Resolves to the results in input order.
 */
async function runBulk(n, keys, { concurrency, signal, onProgress }, job, settle, operation) {
  const results = new Array(n);
  const chains = [];
  const byKey = new Map();
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k === undefined) {
      chains.push([i]);
      continue;
    }
    const c = byKey.get(k);
    if (c) c.push(i);
    else {
      const chain = [i];
      byKey.set(k, chain);
      chains.push(chain);
    }
  }
  let next = 0;
  let done = 0;
  let failed = 0;
  const progress = () => {
    if (!onProgress) return;
    try {
      onProgress({ done, total: n, succeeded: done - failed, failed });
    } catch {} // a throwing callback must not stop the writes
  };
  const worker = async () => {
    while (next < chains.length && !signal?.aborted) {
      for (const i of chains[next++]) {
        if (signal?.aborted) break;
        try {
          results[i] = { ok: true, ...(await job(i)) };
        } catch (e) {
          results[i] = { ok: false, error: settle(i, e) };
          failed++;
        }
        done++;
        progress();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chains.length) }, worker));
  for (let i = 0; i < n; i++) {
    if (results[i] === undefined) results[i] = { ok: false, error: new CrmError('ABORTED', 'not sent: the batch was aborted before this record started', { operation, cause: signal?.reason }) };
  }
  return results;
}
