// PerfexClient: the JS face of the Perfex driver. The wasm `PerfexCore`
// (src/perfex/driver.rs) owns the protocol (validation before any request, paths, headers,
// body encodings, response interpretation, error mapping, the normalised view, GET retries,
// redirects, paging, the REST post-create lookup); this file checks arguments, runs each
// exchange with the shared loop (pkg/transport.js) and exposes promises and async iterators.
// One call shape for both Perfex API modules: WON (`won_api`) and REST (`api`).
import { wasm, wasmSync } from './core.js';
import { CrmError, errorFromJson, fromCore, isCrmError } from './errors.js';
import { Drive, Transport, jsonText, stringParams, transportOptions } from './transport.js';

const APIS = new Set(['won', 'rest']);

export class PerfexClient {
  #opts;
  #core = null;
  #drive = null;
  #transport;
  #normalize;

  constructor(options) {
    if (!options || typeof options !== 'object') throw new CrmError('INVALID_INPUT', 'PerfexClient needs an options object', { field: 'options' });
    const { url, token, api } = options;
    for (const [k, v] of Object.entries({ url, token })) {
      if (typeof v !== 'string' || v.trim() === '') throw new CrmError('INVALID_INPUT', `option '${k}' must be a non-empty string`, { field: k });
    }
    if (!APIS.has(api)) throw new CrmError('INVALID_INPUT', "option 'api' must be 'won' or 'rest'", { field: 'api' });
    const t = transportOptions(options);
    const locale = options.locale ?? 'en';
    if (locale !== 'en' && locale !== 'pt-BR') throw new CrmError('INVALID_INPUT', "option 'locale' must be 'en' or 'pt-BR'", { field: 'locale' });
    if (options.vatCpfCnpj !== undefined && typeof options.vatCpfCnpj !== 'boolean') throw new CrmError('INVALID_INPUT', "option 'vatCpfCnpj' must be a boolean", { field: 'vatCpfCnpj' });
    this.#api = api;
    this.#normalize = options.normalize === true;
    this.#transport = new Transport(t);
    this.#opts = JSON.stringify({ url, token, api, locale, vatCpfCnpj: options.vatCpfCnpj, retries: t.retries, retryBaseMs: t.retryBaseMs });
    // Validate the URL and token now when the module is already instantiated (Node, Bun,
    // Deno, workerd); in browsers the first call reports it.
    try {
      this.#make(wasmSync('new PerfexClient()'));
    } catch (e) {
      if (!(isCrmError(e) && e.code === 'NOT_READY')) throw e;
    }
  }

  #api;

  /** `'won'` or `'rest'`. */
  get api() {
    return this.#api;
  }

  #make(w) {
    if (!this.#core) {
      try {
        this.#core = new w.PerfexCore(this.#opts);
      } catch (e) {
        throw fromCore(e);
      }
      this.#drive = new Drive(this.#core, this.#transport);
    }
    return this.#core;
  }

  async #ready() {
    if (!this.#core) this.#make(await wasm());
    return this.#drive;
  }

  #norm(opts) {
    return opts?.normalize ?? this.#normalize;
  }

  async #do(start, signal) {
    const d = this.#drive ?? (await this.#ready());
    return d.result(start(this.#core), signal);
  }

  async *#pages(resource, list, opts = {}) {
    const f = opts.filters;
    if (f !== undefined && (f === null || typeof f !== 'object' || Array.isArray(f))) throw new CrmError('INVALID_INPUT', 'filters must be a plain object of column → value', { field: 'filters' });
    const options = jsonText(
      { ...list, pageSize: num(opts.pageSize, 'pageSize'), startPage: num(opts.startPage, 'startPage'), maxRecords: num(opts.maxRecords, 'maxRecords', true), filters: stringParams(f, 'filters'), normalize: this.#norm(opts) },
      'options',
    );
    const d = this.#drive ?? (await this.#ready());
    for await (const page of d.items(this.#core.list(String(resource), options), opts.signal)) yield* page;
  }

  // ---- public API -----------------------------------------------------------------
  /** Every record of a resource, page after page (WON/REST v3 server paging, REST v2 sliced). */
  list(resource, opts = {}) {
    return this.#pages(resource, {}, opts);
  }

  /** Records matching a term (WON: `search=` over the table's search columns; REST: `/search/{term}`). */
  search(resource, term, opts = {}) {
    return this.#pages(resource, { term: String(term ?? '') }, opts);
  }

  /** A customer's contacts (REST: active contacts only). */
  customerContacts(customerId, opts = {}) {
    return this.#pages('contacts', { customerId: String(customerId ?? '') }, opts);
  }

  /** One record. REST contacts need `customerId`. RECORD_NOT_FOUND when absent. */
  async get(resource, id, opts = {}) {
    const customer = opts.customerId == null ? undefined : String(opts.customerId);
    return this.#do((c) => c.get(String(resource), String(id ?? ''), customer, this.#norm(opts)), opts.signal);
  }

  /** WON only: the customer whose VAT (CPF/CNPJ, punctuation ignored) matches. */
  async joinByVat(vat, opts = {}) {
    return this.#do((c) => c.join(String(vat ?? ''), this.#norm(opts)), opts.signal);
  }

  /**
   * Creates a record. WON answers the created row. REST answers no id: the record is then
   * looked up by a unique-ish field (email for contacts and leads, number for invoices,
   * company for customers, name for projects and tasks; highest id wins) and returned as
   * `record` when found. The lookup never turns a successful create into a failure: when it
   * fails, `record` is absent and `lookupError` holds the reason.
   */
  async create(resource, fields, opts = {}) {
    const text = fieldsJson(fields);
    const out = await this.#do((c) => c.create(String(resource), text, this.#norm(opts)), opts.signal);
    if (out.lookupError) out.lookupError = errorFromJson(out.lookupError);
    return out;
  }

  /** Updates the given fields. WON answers the updated row as `record`; REST only a message. */
  async update(resource, id, fields, opts = {}) {
    const text = fieldsJson(fields);
    return this.#do((c) => c.update(String(resource), String(id ?? ''), text, this.#norm(opts)), opts.signal);
  }

  /** Deletes a record. */
  async delete(resource, id, opts = {}) {
    return this.#do((c) => c.delete(String(resource), String(id ?? '')), opts.signal);
  }
}

function fieldsJson(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CrmError('INVALID_INPUT', 'fields must be a plain object', { field: 'fields' });
  return jsonText(v, 'fields');
}

function num(v, field, zeroOk = false) {
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || v < (zeroOk ? 0 : 1) || v > 0xffffffff) throw new CrmError('INVALID_INPUT', `${field} must be a ${zeroOk ? 'non-negative' : 'positive'} integer`, { field });
  return v;
}
