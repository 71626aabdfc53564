// PerfexClient: the JS half of the Perfex client. The wasm `PerfexCore` owns the protocol
// (validation before any request, paths, headers, body encodings, response interpretation,
// error mapping, the normalised view, the REST post-create lookup); this file moves bytes
// through fetch and handles timeouts covering the body, aborts, GET retries and async
// iterators. One call shape for both Perfex API modules: WON (`won_api`) and REST (`api`).
import { wasm, wasmSync } from './core.js';
import { CrmError, isCrmError } from './errors.js';
import { send, sendRetry, unpackRequest as toRequest } from './transport.js';

const APIS = new Set(['won', 'rest']);

export class PerfexClient {
  #opts;
  #core = null;
  #fetch;

  constructor(options) {
    if (!options || typeof options !== 'object') throw new CrmError('INVALID_INPUT', 'PerfexClient needs an options object', { field: 'options' });
    const { url, token, api } = options;
    for (const [k, v] of Object.entries({ url, token })) {
      if (typeof v !== 'string' || v.trim() === '') throw new CrmError('INVALID_INPUT', `option '${k}' must be a non-empty string`, { field: k });
    }
    if (!APIS.has(api)) throw new CrmError('INVALID_INPUT', "option 'api' must be 'won' or 'rest'", { field: 'api' });
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new CrmError('INVALID_INPUT', "option 'fetch' must be a function", { field: 'fetch' });
    const t = options.timeoutMs ?? 30000;
    if (!(Number.isFinite(t) && t > 0)) throw new CrmError('INVALID_INPUT', "option 'timeoutMs' must be a positive number", { field: 'timeoutMs' });
    const locale = options.locale ?? 'en';
    if (locale !== 'en' && locale !== 'pt-BR') throw new CrmError('INVALID_INPUT', "option 'locale' must be 'en' or 'pt-BR'", { field: 'locale' });
    if (options.vatCpfCnpj !== undefined && typeof options.vatCpfCnpj !== 'boolean') throw new CrmError('INVALID_INPUT', "option 'vatCpfCnpj' must be a boolean", { field: 'vatCpfCnpj' });
    const r = options.retry ?? {};
    const retry = typeof r === 'number' ? { retries: r } : r;
    this.#opts = {
      url, token, api, locale,
      vatCpfCnpj: options.vatCpfCnpj,
      normalize: options.normalize === true,
      timeoutMs: t,
      retries: retry.retries ?? 2,
      retryBaseMs: retry.baseMs ?? 200,
      onRequest: typeof options.onRequest === 'function' ? options.onRequest : null,
    };
    this.#fetch = options.fetch ?? null;
    // Validate the URL and token now when the module is already instantiated (Node, Bun,
    // Deno, workerd); in browsers the first call reports it.
    try {
      this.#coreSync();
    } catch (e) {
      if (!(isCrmError(e) && e.code === 'NOT_READY')) throw e;
    }
  }

  /** `'won'` or `'rest'`. */
  get api() {
    return this.#opts.api;
  }

  #make(w) {
    const o = this.#opts;
    return new w.PerfexCore(o.url, o.token, o.api, o.locale, o.vatCpfCnpj);
  }

  #coreSync() {
    if (!this.#core) this.#core = this.#make(wasmSync('new PerfexClient()'));
    return this.#core;
  }

  async #getCore() {
    if (this.#core) return this.#core;
    const w = await wasm();
    if (!this.#core) this.#core = this.#make(w);
    return this.#core;
  }

  #norm(opts) {
    return opts?.normalize ?? this.#opts.normalize;
  }

  // ---- transport (pkg/transport.js) ---------------------------------------------------
  #send(req, signal) {
    return send(this.#fetch, this.#opts, req, signal);
  }

  #sendRetry(req, signal) {
    return sendRetry(this.#fetch, this.#opts, req, signal);
  }

  async *#pages(build, opts = {}) {
    const core = await this.#getCore();
    const f = opts.filters;
    if (f !== undefined && (f === null || typeof f !== 'object' || Array.isArray(f))) throw new CrmError('INVALID_INPUT', 'filters must be a plain object of column → value', { field: 'filters' });
    const pager = build(core, [num(opts.pageSize, 'pageSize'), num(opts.startPage, 'startPage'), num(opts.maxRecords, 'maxRecords', true), f ?? {}, this.#norm(opts)]);
    try {
      for (;;) {
        if (opts.signal?.aborted) throw new CrmError('ABORTED', 'the request was aborted', { operation: pager.operation, cause: opts.signal.reason });
        const step = pager.step();
        if (step === undefined) return;
        if (typeof step === 'string') {
          yield* JSON.parse(step);
          continue;
        }
        const res = await this.#sendRetry(step, opts.signal);
        yield* JSON.parse(pager.feed(res.status, res.body));
      }
    } finally {
      pager.free();
    }
  }

  // ---- public API -----------------------------------------------------------------
  /** Every record of a resource, page after page (WON/REST v3 server paging, REST v2 sliced). */
  list(resource, opts = {}) {
    return this.#pages((c, a) => c.pager(String(resource), undefined, undefined, ...a), opts);
  }

  /** Records matching a term (WON: `search=` over the table's search columns; REST: `/search/{term}`). */
  search(resource, term, opts = {}) {
    return this.#pages((c, a) => c.pager(String(resource), String(term ?? ''), undefined, ...a), opts);
  }

  /** A customer's contacts (REST: active contacts only). */
  customerContacts(customerId, opts = {}) {
    return this.#pages((c, a) => c.pager('contacts', undefined, String(customerId ?? ''), ...a), opts);
  }

  /** One record. REST contacts need `customerId`. RECORD_NOT_FOUND when absent. */
  async get(resource, id, opts = {}) {
    const core = await this.#getCore();
    const req = toRequest(core.getRequest(String(resource), String(id ?? ''), opts.customerId == null ? undefined : String(opts.customerId)));
    const res = await this.#sendRetry(req, opts.signal);
    return JSON.parse(core.parseRecord(String(resource), 'get', res.status, res.body, this.#norm(opts)));
  }

  /** WON only: the customer whose VAT (CPF/CNPJ, punctuation ignored) matches. */
  async joinByVat(vat, opts = {}) {
    const core = await this.#getCore();
    const req = toRequest(core.joinRequest(String(vat ?? '')));
    const res = await this.#sendRetry(req, opts.signal);
    return JSON.parse(core.parseRecord('customers', 'join', res.status, res.body, this.#norm(opts)));
  }

  /**
   * Creates a record. WON answers the created row. REST answers no id: the record is then
   * looked up by a unique-ish field (email for contacts and leads, number for invoices,
   * company for customers, name for projects and tasks; highest id wins) and returned as
   * `record` when found. The lookup never turns a successful create into a failure: when it
   * fails, `record` is absent and `lookupError` holds the reason.
   */
  async create(resource, fields, opts = {}) {
    const core = await this.#getCore();
    const text = fieldsJson(fields);
    const req = toRequest(core.createRequest(String(resource), text));
    const res = await this.#send(req, opts.signal);
    const out = JSON.parse(core.parseWrite(String(resource), 'create', res.status, res.body, this.#norm(opts)));
    if (out.record === undefined) {
      const lookup = toRequest(core.lookupRequest(String(resource), text));
      if (lookup !== undefined) {
        try {
          const lr = await this.#sendRetry(lookup, opts.signal);
          const rec = core.pickCreated(String(resource), text, lr.status, lr.body, this.#norm(opts));
          if (rec !== undefined) {
            out.record = JSON.parse(rec);
            out.id ??= out.record.id ?? out.record.userid;
          }
        } catch (e) {
          out.lookupError = e;
        }
      }
    }
    return out;
  }

  /** Updates the given fields. WON answers the updated row as `record`; REST only a message. */
  async update(resource, id, fields, opts = {}) {
    const core = await this.#getCore();
    const req = toRequest(core.updateRequest(String(resource), String(id ?? ''), fieldsJson(fields)));
    const res = await this.#send(req, opts.signal);
    return JSON.parse(core.parseWrite(String(resource), 'update', res.status, res.body, this.#norm(opts)));
  }

  /** Deletes a record. */
  async delete(resource, id, opts = {}) {
    const core = await this.#getCore();
    const req = toRequest(core.deleteRequest(String(resource), String(id ?? '')));
    const res = await this.#send(req, opts.signal);
    return JSON.parse(core.parseWrite(String(resource), 'delete', res.status, res.body, false));
  }
}

function fieldsJson(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CrmError('INVALID_INPUT', 'fields must be a plain object', { field: 'fields' });
  return JSON.stringify(v);
}

function num(v, field, zeroOk = false) {
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || v < (zeroOk ? 0 : 1) || v > 0xffffffff) throw new CrmError('INVALID_INPUT', `${field} must be a ${zeroOk ? 'non-negative' : 'positive'} integer`, { field });
  return v;
}
