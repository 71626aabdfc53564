// Type declarations of the Perfex CRM client (pkg/perfex.js), re-exported by index.d.ts; with the
// shared names below, also the types of crmwire/perfex.
import type { CrmError } from './index.js';
export { CrmError, isCrmError, ready, isReady, initSync, version } from './index.js';
export type { CrmErrorCode } from './index.js';

/** Which Perfex API module the server runs: WON API (`won_api`) or the Themesic REST API (`api`). */
export type PerfexApi = 'won' | 'rest';
/** The resources both modules serve. */
export type PerfexResource = 'customers' | 'contacts' | 'leads' | 'projects' | 'tasks' | 'invoices';
/** Language of client-side (INVALID_INPUT) messages: English, or the seed n8n node's Portuguese. */
export type PerfexLocale = 'en' | 'pt-BR';

/** A column as the server sends it: every scalar is a string (ids, money, flags `'0'`/`'1'`, dates), or null. */
export type PerfexColumn = string | null;
/**
 * A record as the server sent it. Columns are strings or null; the REST module adds nested
 * lists (`customfields`, invoice `items`), which are records too.
 */
export interface PerfexRecord {
  [column: string]: PerfexColumn | PerfexRecord[];
}
export interface PerfexCustomer extends PerfexRecord {
  /** Primary key. */
  userid: string;
  company: PerfexColumn;
}
export interface PerfexContact extends PerfexRecord {
  id: string;
  /** The contact's customer. */
  userid: PerfexColumn;
  firstname: PerfexColumn;
  lastname: PerfexColumn;
  email: PerfexColumn;
}
export interface PerfexLead extends PerfexRecord {
  id: string;
  name: PerfexColumn;
}
export interface PerfexProject extends PerfexRecord {
  id: string;
  name: PerfexColumn;
  clientid: PerfexColumn;
}
export interface PerfexTask extends PerfexRecord {
  id: string;
  name: PerfexColumn;
}
export interface PerfexInvoice extends PerfexRecord {
  id: string;
  clientid: PerfexColumn;
  /** The number as stored (`'000001'`, without the prefix). REST adds the lines as `items` (a `PerfexRecord[]`). */
  number: PerfexColumn;
}
/** The record type of each resource as sent. */
export interface PerfexRecordOf {
  customers: PerfexCustomer;
  contacts: PerfexContact;
  leads: PerfexLead;
  projects: PerfexProject;
  tasks: PerfexTask;
  invoices: PerfexInvoice;
}

/**
 * A value of the normalised view: ids, enumerations, money (`'150.00'`) and other scalars are
 * strings; flags (`active`, `is_primary`, `billable`, …) are booleans; dates are `YYYY-MM-DD`,
 * datetimes ISO `YYYY-MM-DDTHH:MM:SS` (server local time, no zone); empty or zero dates and empty
 * typed columns are null.
 */
export type PerfexNormalizedValue = string | boolean | null | PerfexNormalizedValue[] | { [key: string]: PerfexNormalizedValue };
/** A record in the normalised view (identical for WON and REST): `id` first (for customers, `userid` is kept too). */
export interface PerfexNormalizedRecord {
  id: string;
  [column: string]: PerfexNormalizedValue;
}

/** A field value of a create or update. Invoice `items` is an array of line objects. */
export type PerfexFieldValue = string | number | boolean | null | PerfexFieldValue[] | { [key: string]: PerfexFieldValue };
export interface PerfexFields {
  [column: string]: PerfexFieldValue;
}

export interface PerfexClientOptions {
  /** Perfex base URL (`https://crm.example`, or with `/index.php` when the host has no URL rewriting). */
  url: string;
  /** WON: the global `won_api_token`; REST: the JWT from Setup → API. Sent as a header only; never in an error. */
  token: string;
  api: PerfexApi;
  /** fetch to use (default: the global fetch; never `window`). Called with `redirect: 'manual'`: the client decides about redirects. */
  fetch?: (input: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal; redirect: 'manual' }) => Promise<Response>;
  /** Per HTTP exchange, covering the body read; it wins even over a fetch that ignores its signal. Default 30000. */
  timeoutMs?: number;
  /** Largest answer read, in bytes (cut off with RESPONSE_TOO_LARGE). Default 64 MiB; at most 512 MiB - 64. */
  maxResponseBytes?: number;
  /** Retries of GET requests on network errors and 502/503/504 (POST, PUT, DELETE never). Default 2. */
  retry?: number | { retries?: number; baseMs?: number };
  /** Language of client-side validation messages. Default 'en'. */
  locale?: PerfexLocale;
  /** Return records in the normalised view (per call: `opts.normalize`). Default false. */
  normalize?: boolean;
  /** Check customer `vat` as a Brazilian CPF/CNPJ (11 or 14 digits; the digits are sent). Default: true for WON, false for REST. */
  vatCpfCnpj?: boolean;
  /** Called before each HTTP request. */
  onRequest?: (info: { operation: string; method: string; url: string }) => void;
}

export interface PerfexCallOptions {
  signal?: AbortSignal;
}
export interface PerfexReadOptions extends PerfexCallOptions {
  /** Override the client's `normalize` option for this call. */
  normalize?: boolean;
}
export interface PerfexGetOptions extends PerfexReadOptions {
  /** REST contacts: the contact's customer (`/api/contacts/{customerId}/{id}`); ignored by WON. */
  customerId?: string | number;
}
export interface PerfexListOptions extends PerfexReadOptions {
  /** Records per request: default 20, clamped to 1..100. */
  pageSize?: number;
  /** First page (1-based). */
  startPage?: number;
  /** Stop after this many records. */
  maxRecords?: number;
  /** Equality filters column → value (WON: sent to the server's per-table whitelist; REST: applied client-side). */
  filters?: Record<string, string | number | boolean>;
}

/** Outcome of a create, update or delete. */
export interface PerfexWriteResult<R> {
  /** The server's message (`Registro criado`, `Client add successful.`, …). */
  message: string;
  /** The record's id when known (the returned row's primary key, or REST's `record_id`). */
  id?: string;
  /** WON create/update: the row the server returned. REST create: the row found by the post-create lookup. */
  record?: R;
  /** REST create only: why the post-create lookup failed (the create itself succeeded). */
  lookupError?: CrmError;
}

type Rec<K extends PerfexResource, N> = N extends true ? PerfexNormalizedRecord : PerfexRecordOf[K];
/** The view a call returns: its own `normalize` option, else the client's. */
type View<N, O> = O extends { normalize: infer M extends boolean } ? M : N;

/**
 * Perfex CRM client for both API modules. Every method validates its input before any request
 * (INVALID_INPUT with `field`), and rejects with a {@link CrmError} (see the Perfex section of README.md for
 * the code table). `N` is the client's `normalize` option.
 */
export declare class PerfexClient<N extends boolean = false> {
  constructor(options: PerfexClientOptions & { normalize?: N });
  readonly api: PerfexApi;
  /** Every record of a resource (paged requests; validation errors reject the first `next()`). */
  list<K extends PerfexResource, const O extends PerfexListOptions = {}>(resource: K, opts?: O): AsyncGenerator<Rec<K, View<N, O>>, void, undefined>;
  /** Records matching `term` (at least 2 characters). */
  search<K extends PerfexResource, const O extends PerfexListOptions = {}>(resource: K, term: string, opts?: O): AsyncGenerator<Rec<K, View<N, O>>, void, undefined>;
  /** A customer's contacts (REST: active contacts only). */
  customerContacts<const O extends PerfexListOptions = {}>(customerId: string | number, opts?: O): AsyncGenerator<Rec<'contacts', View<N, O>>, void, undefined>;
  /** One record; RECORD_NOT_FOUND when absent. */
  get<K extends PerfexResource, const O extends PerfexGetOptions = {}>(resource: K, id: string | number, opts?: O): Promise<Rec<K, View<N, O>>>;
  /** WON only (REST: UNSUPPORTED): the customer with this CPF/CNPJ. */
  joinByVat<const O extends PerfexReadOptions = {}>(vat: string, opts?: O): Promise<Rec<'customers', View<N, O>>>;
  /** Creates a record; REST looks the created record up afterwards (see {@link PerfexWriteResult}). */
  create<K extends PerfexResource, const O extends PerfexReadOptions = {}>(resource: K, fields: PerfexFields, opts?: O): Promise<PerfexWriteResult<Rec<K, View<N, O>>>>;
  /** Updates the given fields; WON answers the updated row as `record`, REST only a message. */
  update<K extends PerfexResource, const O extends PerfexReadOptions = {}>(resource: K, id: string | number, fields: PerfexFields, opts?: O): Promise<PerfexWriteResult<Rec<K, View<N, O>>>>;
  delete(resource: PerfexResource, id: string | number, opts?: PerfexCallOptions): Promise<PerfexWriteResult<never>>;
}
