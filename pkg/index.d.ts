// Type declarations for crmwire (hand-written: the public JS face is pkg/*.js over the wasm).

/**
 * Every error code crmwire produces (closed: a misspelt code is a type error). A server code
 * this version does not know (e.g. a `WSAPP…` code) is passed through unchanged in `code`
 * and `crmCode`; match such codes on `crmCode`, which is typed as the server's own string.
 */
export type CrmErrorCode =
  // Vtiger server codes
  | 'INVALID_SESSIONID'
  | 'AUTHENTICATION_REQUIRED'
  | 'AUTHENTICATION_FAILURE'
  | 'INVALID_AUTH_TOKEN'
  | 'INVALID_USER_CREDENTIALS'
  | 'ACCESSKEY_UNDEFINED'
  | 'ACCESS_DENIED'
  | 'INVALID_ID_ATTRIBUTE'
  | 'RECORD_NOT_FOUND'
  | 'REFERENCE_INVALID'
  | 'MANDATORY_FIELDS_MISSING'
  | 'DATABASE_QUERY_ERROR'
  | 'QUERY_SYNTAX_ERROR'
  | 'UNKNOWN_OPERATION'
  | 'INTERNAL_SERVER_ERROR'
  | 'OPERATION_NOT_SUPPORTED'
  | 'UNKOWN_ENTITY'
  | 'LEAD_ALREADY_CONVERTED'
  | 'SESSION_EXPIRED'
  | 'SESSION_LEFT_IDLE'
  /** Vtiger duplicate detection (the server sends the integer code 0). */
  | 'DUPLICATE'
  // shared with Perfex
  | 'VALIDATION_FAILED'
  | 'SERVER_ERROR'
  // client codes
  | 'TRANSPORT'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'INVALID_RESPONSE'
  | 'UNSUPPORTED'
  | 'INVALID_INPUT'
  /** The server answered with a redirect the client does not follow (another origin, https → http, a write, a hidden target, more than 3 hops); the message names the target. */
  | 'REDIRECT'
  /** The answer is larger than `maxResponseBytes`. */
  | 'RESPONSE_TOO_LARGE'
  /** A bulk write's request broke off (network error, timeout, an answer that is not an envelope): the server may have run it; after a create, the record may exist. `cause` is the failure. */
  | 'OUTCOME_UNKNOWN'
  /** An upsert's match fields found several records: nothing was written (the message names two of them). */
  | 'MULTIPLE_MATCHES'
  /** A synchronous helper was called before the wasm module finished loading: `await ready()`. */
  | 'NOT_READY'
  /** The wasm module could not be loaded; the message names the URL or path tried and what to do. */
  | 'WASM_LOAD_FAILED'
  // crmwire/proxy refusals (proxy mode)
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'URI_TOO_LONG'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_LOGIN_FAILED'
  | 'PROXY_ERROR';

/** Every error crmwire throws or rejects with. */
export declare class CrmError extends Error {
  readonly name: 'CrmError';
  /** Stable code; match on this, never on `message`. */
  readonly code: CrmErrorCode;
  /** The server's own code as sent: a string, or the integer 0 (Vtiger duplicates). */
  readonly crmCode: string | number | undefined;
  /** HTTP status when a response was received. */
  readonly status: number | undefined;
  /** The operation that failed, e.g. `query`, `create`. */
  readonly operation: string | undefined;
  /** The input field at fault (INVALID_INPUT, validation errors). */
  readonly field: string | undefined;
  /** Per-field server messages (validation errors). */
  readonly fieldErrors?: Readonly<Record<string, string>>;
  /** A short, secret-free excerpt of an unusable response body. */
  readonly snippet?: string;
  /** The underlying exception (network error, AbortError, ...). */
  readonly cause?: unknown;
  constructor(
    code: CrmErrorCode,
    message: string,
    extra?: { crmCode?: string | number; status?: number; operation?: string; field?: string; cause?: unknown },
  );
  static [Symbol.hasInstance](v: unknown): boolean;
}

/** True when `e` is an error thrown by crmwire (works across package copies and realms of the same Error). */
export declare function isCrmError(e: unknown): e is CrmError;

/**
 * Resolves once the WebAssembly module is instantiated. Never required before async methods;
 * needed once before synchronous helpers only in hosts that must fetch the module
 * (browsers, extension service workers). In Node, Bun, Deno (local files) and Workers the
 * module is instantiated synchronously on first use. `source` loads the module from there instead
 * of the package's own file (a URL, a `Response`, bytes or a compiled module): for bundlers that do
 * not copy the `.wasm` by themselves (esbuild: `ready(new URL(wasmUrl, import.meta.url))` with
 * `import wasmUrl from 'crmwire/crmwire_bg.wasm'` and `--loader:.wasm=file`). A load failure
 * rejects with a `WASM_LOAD_FAILED` CrmError naming what was tried; the next call tries again.
 */
export declare function ready(source?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;
/** True once the WebAssembly module is instantiated. */
export declare function isReady(): boolean;
/** Instantiates from bytes or a compiled module loaded by the host itself. */
export declare function initSync(source: BufferSource | WebAssembly.Module | { module: BufferSource | WebAssembly.Module }): void;

/** The crate version of the WebAssembly module. */
export declare function version(): string;
/** Lower-case hex MD5 of a string's UTF-8 bytes (Vtiger's login digest is `md5Hex(token + accessKey)`). */
export declare function md5Hex(s: string): string;

/** A string as a VTQL literal (quoted, `'` and `\` doubled); INVALID_INPUT for '' and NUL. */
export declare function vtqlLiteral(s: string): string;

/**
 * `like` takes a pattern: `%` any run, `_` any one character; `\%`, `\_`, `\\` a literal `%`,
 * `_`, `\` (in JS source `'100\\%%'`); any other backslash is literal. `contains`, `startsWith`,
 * `endsWith` take plain text, matched literally (`%`, `_`, `\` escaped for you); case-insensitive names.
 */
export type VtqlOp = '=' | '!=' | '<' | '>' | '<=' | '>=' | 'in' | 'like' | 'IN' | 'LIKE' | 'contains' | 'startsWith' | 'endsWith';
export type VtqlValue = string | number | boolean;
export interface VtqlTerm { field: string; op?: VtqlOp; value: VtqlValue | VtqlValue[] }
export type VtqlWhere = VtqlTerm[][] | VtqlTerm | { and: VtqlWhere[] } | { or: VtqlWhere[] };
/** The object form of a query (what {@link Query} builds). */
export interface QuerySpec {
  module: string;
  fields?: string[];
  count?: boolean;
  where?: VtqlWhere;
  orderBy?: string | Array<string | { field: string; dir?: 'asc' | 'desc' }>;
  limit?: number;
  offset?: number;
}
/** Raw VTQL text, a builder, or its object form. */
export type QueryInput = string | Query | QuerySpec;

/** Fluent VTQL builder; rendered by the core with its escaping guarantees. */
export declare class Query {
  constructor(module: string);
  readonly spec: QuerySpec;
  fields(...names: Array<string | string[]>): this;
  count(): this;
  where(field: string, value: VtqlValue): this;
  where(field: string, op: VtqlOp, value: VtqlValue | VtqlValue[]): this;
  orWhere(field: string, value: VtqlValue): this;
  orWhere(field: string, op: VtqlOp, value: VtqlValue | VtqlValue[]): this;
  orderBy(field: string, dir?: 'asc' | 'desc'): this;
  limit(n: number): this;
  offset(n: number): this;
  toJSON(): QuerySpec;
  /** VTQL text (browsers: `await ready()` first). */
  toVtql(): string;
  toString(): string;
}
export declare function select(module: string): Query;
export declare function toVtql(q: QueryInput): string;

/** A Vtiger record: webservice values are strings (numbers, booleans '0'/'1', dates). */
export interface VtigerRecord { id: string; [field: string]: unknown }
export type FieldValue = string | number | boolean | null | FieldValue[] | { [k: string]: FieldValue };
/**
 * A record to write. A `Date` (top-level fields only) is written in its field's format, in UTC:
 * `YYYY-MM-DD` (date), `YYYY-MM-DD HH:MM:SS` (datetime), `HH:MM:SS` (time); elsewhere it is INVALID_INPUT.
 */
export interface RecordFields { [field: string]: FieldValue | Date }

interface VtigerClientCommonOptions {
  /** fetch to use (default: the global fetch; never `window`). Called with `redirect: 'manual'`: the client decides about redirects. */
  fetch?: (input: string, init: { method: string; headers: Record<string, string>; body?: string | Blob; signal: AbortSignal; redirect: 'manual' }) => Promise<Response>;
  /** Per HTTP exchange, covering the body read; it wins even over a fetch that ignores its signal. Default 30000. */
  timeoutMs?: number;
  /** Largest answer read, in bytes (read as a stream, cut off with RESPONSE_TOO_LARGE). Default 64 MiB; at most 512 MiB - 64. */
  maxResponseBytes?: number;
  /** Retries of GET-type operations on network errors and 502/503/504 (POST never). Default 2. */
  retry?: number | { retries?: number; baseMs?: number };
  /** Called before each HTTP request; the URL has secrets redacted. */
  onRequest?: (info: { operation: string; method: string; url: string }) => void;
  /** Characters outside the BMP (emoji) in records and query literals: stock Vtiger stores them as '????' and never matches them in a query. 'reject' (default): INVALID_INPUT before sending; 'replace': U+FFFD (a query finds what a create wrote); 'send': as is. */
  fourByteChars?: 'reject' | 'replace' | 'send';
  /**
   * Check records against the module's describe (fetched once per client) before create, update
   * and revise: an unknown field, a picklist value outside the list or an ISO timestamp in a date
   * field is INVALID_INPUT naming the field (the server would drop or blank it silently). Default true.
   */
  checkFields?: boolean;
}
/** Direct mode: the client logs in with the user's access key. */
export interface VtigerDirectOptions extends VtigerClientCommonOptions {
  /**
   * Sessions the client may open (1 to 64; default 1). More than one pays off when calls run in
   * parallel: Vtiger serves one request per session at a time (PHP's session lock), so N
   * sessions serve up to N calls at once, as far as the server's PHP workers and CPU cores go.
   * Sessions are opened lazily (when every open one is busy), logged in one at a time; each call
   * goes to the least busy session; `sync` and `login()` use the first one. See the README.
   */
  sessions?: number;
  /** CRM base URL or the full `webservice.php` URL (http/https, no embedded credentials). */
  url: string;
  username: string;
  /** The user's access key (My Preferences → Webservice access key). Never logged or echoed. */
  accessKey: string;
  auth?: undefined;
}
/**
 * Proxy mode (`crmwire/proxy`): the proxy holds the credentials and the session. The client
 * never logs in and sends no `sessionName`; `token` goes out as `Authorization: Bearer <token>`.
 */
export interface VtigerProxyOptions extends VtigerClientCommonOptions {
  /** The proxy's URL (e.g. `https://edge.example.com` or `https://app.example.com/proxy`). */
  url: string;
  auth: 'proxy';
  /** The caller token the proxy expects. */
  token?: string;
}
export type VtigerClientOptions = VtigerDirectOptions | VtigerProxyOptions;
export interface CallOptions { signal?: AbortSignal }
/**
 * File content for a Documents record: a `Blob`/`File` (its `name` and `type` are used), or the
 * bytes (or text, sent as UTF-8) with a name and an optional media type (default
 * `application/octet-stream`). The server renames it (spaces, `#%&?` → `_`; a bad extension gets
 * `file` + `.txt`): the record it returns holds the stored name.
 */
export type FileInput = Blob | { data: Uint8Array | ArrayBuffer | ArrayBufferView | Blob | string; name: string; type?: string };
export interface WriteOptions extends CallOptions {
  /** The file to store with a Documents record, sent as multipart (its part named `filename`); it makes the Document internal (`filelocationtype` 'I'). */
  file?: FileInput;
}
/** A file from {@link VtigerClient.filesRetrieve}. */
export interface VtigerFile {
  /** The attachment id (`imageattachmentids`). */
  id: string;
  /** The stored file name. */
  name: string;
  /** Its media type. */
  type: string;
  /** Its size in bytes. */
  size: number;
  data: Uint8Array;
}
/** What logout did: `error` is set when the server could not log out (its session may stay valid) or could not be reached. */
export interface LogoutResult { message: string; error?: CrmError }
export interface LoginInfo { userId: string; version: string; vtigerVersion: string; username?: string; profile: Record<string, unknown> }
export interface TypeList { types: string[]; information: Record<string, { isEntity: boolean; label: string; singular?: string; name?: string }> | [] }
export interface FieldDescription { name: string; label: string; mandatory: boolean; editable: boolean; nullable: boolean; type: { name: string; refersTo?: string[]; picklistValues?: Array<{ label: string; value: string }> }; default?: string }
export interface ModuleDescription { name: string; label: string; idPrefix: number; createable: boolean; updateable: boolean; deleteable: boolean; retrieveable: boolean; isEntity: boolean; labelFields: string; fields: FieldDescription[]; [k: string]: unknown }
/** How a sync batch was obtained (see the README for what each can and cannot see). */
export type SyncStrategy = 'sync' | 'wsapp' | 'query';
export interface SyncBatch<R = VtigerRecord> {
  /** Records created or changed, in server order (wsapp renders reference fields as display names). */
  updated: R[];
  /** Webservice ids of soft-deleted records (always empty with strategy 'query'). */
  deleted: string[];
  /** Resume point after this batch: pass it as `since` to continue from here. */
  checkpoint: string;
  strategy: SyncStrategy;
}
export interface SyncOptions<R = VtigerRecord> {
  /** Unix seconds (records modified at or after it), a Date, or a checkpoint. Default 0 (everything). */
  since?: number | Date | string;
  /** Called with every batch before it is yielded. */
  onProgress?: (b: SyncBatch<R>) => void;
  signal?: AbortSignal;
  /** Ownership scope for sync/wsapp: 'user' (default), 'userandgroup', 'application'. */
  scope?: 'user' | 'userandgroup' | 'application';
}
/** Options of the bulk writes. */
export interface BulkOptions {
  /** Records in progress at once (1 to 256; default: the `sessions` option). */
  concurrency?: number;
  /** Stops starting records (they get ABORTED, "not sent"); records already started finish and report their outcome. */
  signal?: AbortSignal;
  /** Called after each record settled (a throwing callback is ignored). */
  onProgress?: (p: BulkProgress) => void;
}
export interface BulkProgress { done: number; total: number; succeeded: number; failed: number }
/**
 * One record's outcome, at its input index. `error.code` OUTCOME_UNKNOWN: the write's request
 * broke off and the server may have run it (never retried by the client); ABORTED: not sent.
 */
export type BulkResult<R> = { ok: true; record: R } | { ok: false; error: CrmError };
export type UpsertResult<R> = { ok: true; record: R; action: 'created' | 'revised' } | { ok: false; error: CrmError };
export interface UpsertOptions extends BulkOptions {
  /** The fields that identify a record (e.g. `['email']`): every record needs a non-empty value for each. */
  match: string[];
}
export interface ServerInfo { vtigerVersion?: string; apiVersion?: string; userId?: string; endpoint?: string; operations: Record<string, boolean> }

export declare class VtigerClient {
  constructor(options: VtigerClientOptions);
  /** Logs in now (otherwise the first call does); `signal` covers it. */
  login(opts?: CallOptions): Promise<LoginInfo>;
  /** Clears the local session, then tells the server. Never rejects but for an abort: a failure is `error` in the result. */
  logout(opts?: CallOptions): Promise<LogoutResult>;
  extendSession(opts?: CallOptions): Promise<Record<string, unknown>>;
  listTypes(opts?: CallOptions): Promise<TypeList>;
  describe(module: string, opts?: CallOptions): Promise<ModuleDescription>;
  create<R extends VtigerRecord = VtigerRecord>(module: string, fields: RecordFields, opts?: WriteOptions): Promise<R>;
  retrieve<R extends VtigerRecord = VtigerRecord>(id: string, opts?: CallOptions): Promise<R>;
  update<R extends VtigerRecord = VtigerRecord>(record: RecordFields & { id: string }, opts?: WriteOptions): Promise<R>;
  revise<R extends VtigerRecord = VtigerRecord>(partial: RecordFields & { id: string }, opts?: WriteOptions): Promise<R>;
  delete(id: string, opts?: CallOptions): Promise<{ status: string }>;
  query<R = VtigerRecord>(q: QueryInput, opts?: CallOptions): Promise<R[]>;
  queryAll<R = VtigerRecord>(q: QueryInput, opts?: CallOptions): AsyncGenerator<R, void, undefined>;
  iterate<R = VtigerRecord>(q: QueryInput, opts?: CallOptions): AsyncGenerator<R, void, undefined>;
  count(q: QueryInput, opts?: CallOptions): Promise<number>;
  /** Changes since `since` as batches; leaving the loop early releases a wsapp registration. */
  sync<R = VtigerRecord>(module: string, opts?: SyncOptions<R>): AsyncGenerator<SyncBatch<R>, void, undefined>;
  relatedTypes(module: string, opts?: CallOptions): Promise<TypeList>;
  /** Every related record of `relatedType` (query_related paged by keyset; retrieve_related stops at 100). */
  retrieveRelated<R = VtigerRecord>(id: string, relatedLabel: string, relatedType: string, opts?: CallOptions): Promise<R[]>;
  /** retrieveRelated as an async iterator (memory bounded by one page). */
  retrieveRelatedAll<R = VtigerRecord>(id: string, relatedLabel: string, relatedType: string, opts?: CallOptions): AsyncGenerator<R, void, undefined>;
  /**
   * Every related record matching `q`: one query_related per OR group, each paged by keyset,
   * merged by id (never an unrelated record). Id order unless ORDER BY; LIMIT a total cap. An
   * ORDER BY on another column over more than 100 matches (several OR groups, or no LIMIT) is INVALID_INPUT.
   */
  queryRelated<R = VtigerRecord>(q: QueryInput, id: string, relatedLabel: string, opts?: CallOptions): Promise<R[]>;
  /** queryRelated as an async iterator (memory bounded by one page per OR group). */
  queryRelatedAll<R = VtigerRecord>(q: QueryInput, id: string, relatedLabel: string, opts?: CallOptions): AsyncGenerator<R, void, undefined>;
  addRelated(sourceId: string, relatedId: string, relationLabel?: string, opts?: CallOptions): Promise<unknown>;
  convertLead(element: RecordFields & { leadId: string }, opts?: CallOptions): Promise<Record<string, string>>;
  /**
   * The files of a record (a Document id: resolved to its attachment) or of an attachment id
   * (`imageattachmentids`); `[]` when it has none. The answer carries the file base64-encoded:
   * `maxResponseBytes` must exceed about 4/3 of the file.
   */
  filesRetrieve(id: string, opts?: CallOptions): Promise<VtigerFile[]>;
  retrieveInventory(id: string, opts?: CallOptions): Promise<unknown>;
  call<T = unknown>(operation: string, params?: Record<string, string | number | boolean>, opts?: CallOptions & { method?: 'GET' | 'POST' }): Promise<T>;
  serverInfo(): ServerInfo;
  /** Creates every record, `concurrency` at a time; one result per record, in input order. A write is never sent twice. */
  createMany<R extends VtigerRecord = VtigerRecord>(module: string, records: RecordFields[], opts?: BulkOptions): Promise<BulkResult<R>[]>;
  /** Full updates; records with the same id run in input order. */
  updateMany<R extends VtigerRecord = VtigerRecord>(records: Array<RecordFields & { id: string }>, opts?: BulkOptions): Promise<BulkResult<R>[]>;
  /** Partial updates; records with the same id run in input order. */
  reviseMany<R extends VtigerRecord = VtigerRecord>(partials: Array<RecordFields & { id: string }>, opts?: BulkOptions): Promise<BulkResult<R>[]>;
  /** Deletes; a result's `record` is `{ id }`. */
  deleteMany(ids: string[], opts?: BulkOptions): Promise<BulkResult<{ id: string }>[]>;
  /**
   * Looks each record up by `opts.match`: none → create, one → revise it, several →
   * MULTIPLE_MATCHES. Records of the batch with the same match values run one after the other.
   */
  upsert<R extends VtigerRecord = VtigerRecord>(module: string, records: RecordFields[], opts: UpsertOptions): Promise<UpsertResult<R>[]>;
}
export * from './perfex.js';
