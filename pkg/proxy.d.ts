// Type declarations for `crmwire/proxy`: an edge proxy for the Vtiger webservice. They use only
// web-standard types (Request, Response), so a Workers or Deno project needs no @types/node.

/**
 * A request handler: the shape of a Worker's fetch, Deno.serve's and Bun.serve's handler. The
 * optional second argument is what those runtimes pass along (Deno's `info`, Bun's `server`;
 * toNodeListener passes `{ remoteAddress }`): the proxy reads the client address from it.
 */
export type ProxyHandler = ((request: Request, info?: unknown) => Promise<Response>) & {
  /** Upstream logins so far and the number of learned id prefixes (for monitoring). */
  readonly stats: { logins: number; knownPrefixes: number };
};

/**
 * What the default store ({@link memoryStore}) needs to reach the CRM: the proxy's upstream.
 */
export interface VtigerUpstreamOptions {
  /** The CRM base URL or its `webservice.php` URL (http or https, no query string, no credentials). */
  target: string;
  /** The Vtiger user the proxy logs in as. */
  username: string;
  /** That user's access key. Never sent to, nor seen by, the callers. */
  accessKey: string;
  allow: {
    /**
     * Operations callers may use (case-insensitive). Default: listtypes, describe, retrieve, query,
     * create, update, revise. getchallenge, login, logout, extendsession, changePassword and
     * deleteUser are never forwarded, even with '*'.
     */
    operations?: readonly string[] | '*';
    /**
     * Modules callers may touch (exact names, e.g. 'Contacts'). Required. With a list, operations the
     * proxy cannot attribute to a module (wsapp_put, wsapp_map, mobile.*, custom ones) are refused;
     * `wsapp_register` must name the module it syncs (`elementType`; a client in proxy mode does),
     * and the key it returns is sealed to the caller and that module.
     */
    modules: readonly string[] | '*';
  };
  /** Filter listtypes results to the allowed modules (default true). */
  filterListtypes?: boolean;
  /**
   * Upstream timeout in ms for each request (default 30000); it wins even over a `fetch` that
   * ignores its signal. Over it: 504 `UPSTREAM_TIMEOUT`.
   */
  timeoutMs?: number;
  /** Largest upstream answer in bytes (default 64 MiB). Over it: 502 `RESPONSE_TOO_LARGE`. */
  maxResponseBytes?: number;
  /** The fetch used for upstream calls (default: the global fetch). */
  fetch?: typeof fetch;
}

/**
 * Limits whose counters the store keeps (in memory by default: per isolate on Workers, per process
 * elsewhere; in one Durable Object for every isolate with {@link durableObjectStore}).
 */
export interface ProxyLimitOptions {
  /**
   * Per-caller limit: a token bucket of `requests` per `windowMs` (kept by the store), or a
   * function returning 0 to accept or the seconds to wait.
   */
  rateLimit?: { requests: number; windowMs: number; maxKeys?: number } | ((callerId: string, request: Request) => number | Promise<number>);
  /**
   * Failed authentications (no or wrong token, `authorize` refusing) allowed per client address:
   * a token bucket of `failures` per `windowMs` (default 10 per 60000 ms, at most `maxKeys`
   * addresses kept). Over it, that address gets 429 `RATE_LIMITED` before any credential is
   * looked at. `false` turns it off.
   */
  authFailureLimit?: { failures?: number; windowMs?: number; maxKeys?: number } | false;
}

/** The HTTP edge of {@link createVtigerProxy}: callers, CORS, request limits, the log. */
export interface ProxyEdgeOptions extends ProxyLimitOptions {
  /** Browser origins that get CORS headers, e.g. 'https://app.example', 'chrome-extension://<id>'. Others get 403. */
  cors?: { origins?: readonly string[] };
  /** Caller bearer tokens (Authorization: Bearer <token>), at least 16 characters, compared in constant time. */
  tokens?: readonly string[];
  /**
   * Caller check. Return a truthy value to accept (a string or `{ id }` names the caller for the rate
   * limit and for wsapp keys), falsy or throw to refuse. With `tokens` too, both must pass. At least
   * one of the two is required.
   */
  authorize?: (request: Request) => unknown | Promise<unknown>;
  /** Request body limit in bytes (default 1 MiB). Over it: 413. */
  maxBodyBytes?: number;
  /** Time allowed for the whole request body to arrive, in ms (default 20000). Over it: 408 `TIMEOUT`. */
  bodyTimeoutMs?: number;
  /**
   * The client address for `authFailureLimit` (default: what the runtime passes as the handler's
   * second argument; one shared bucket when it passes nothing, e.g. a Worker: there use
   * `(request) => request.headers.get('cf-connecting-ip')`).
   */
  clientAddress?: (request: Request, info: unknown) => string | undefined;
  /** URL length limit (default 16384). Over it: 414. */
  maxUrlBytes?: number;
  /** One line per request (op, module, caller, status, ms; never parameters or secrets). false: off. Default console.log. */
  log?: false | ((line: string) => void);
}

/**
 * Options of {@link createVtigerProxy}. (The client's proxy-mode options are `VtigerProxyOptions`
 * in `crmwire`.)
 */
export interface VtigerEdgeProxyOptions extends ProxyEdgeOptions, VtigerUpstreamOptions {
  /** Where the upstream state lives (default: `memoryStore(options)`). */
  store?: ProxyStore;
}

/** A caller's request as the edge hands it to the store. */
export interface ProxyRequest {
  /** Every parameter, query string then body, in order. */
  params: ReadonlyArray<readonly [string, string]>;
  /** Multipart file parts, by name. */
  files?: ReadonlyArray<readonly [string, Blob]>;
  /** The caller's id (`token#<index>`, or what `authorize` named): rate limits and wsapp keys are per caller. */
  caller: string;
  /**
   * Only to a store with `limitsInExchange`: the client address, to refuse (429) before the call
   * when it is over `authFailureLimit` (absent when that limit is off).
   */
  address?: string;
  /** Only to a store with `limitsInExchange`: take a token of the caller's `rateLimit` first (429 when none is left). */
  limit?: boolean;
}

/** What the proxy answers a caller, as the store decided it (already free of secrets). */
export interface ProxyAnswer {
  status: number;
  body: string | Uint8Array | null;
  /** Its Content-Type. */
  type: string;
  /** For the log: the operation and the module the request touched (`-` when none). */
  op: string;
  module: string;
  /** With a 429: the seconds to wait (the edge sends it as Retry-After). */
  retryAfter?: number;
}

/**
 * The proxy's shared state behind its HTTP edge: the upstream session (lazy single-flight login,
 * the login race, re-login), the gate's learned modules, and the counters of `rateLimit` and
 * `authFailureLimit`. {@link memoryStore} keeps it in this isolate or process;
 * {@link durableObjectStore} in one Durable Object per CRM shared by every isolate; another
 * implementation may keep it elsewhere, answering like them.
 */
export interface ProxyStore {
  /** Takes a token of a bucket for `key`: 0, or the seconds to wait (0 when that limit is off). */
  take(bucket: 'requests' | 'authFailures', key: string): number | Promise<number>;
  /** The seconds until `key` has a token (0: it has one), without taking it. */
  peek(bucket: 'requests' | 'authFailures', key: string): number | Promise<number>;
  /**
   * Takes a token even when none is left (a failed authentication). A store that counts elsewhere
   * may resolve the seconds the key was already blocked for: the edge then answers 429, not 401.
   */
  spend(bucket: 'requests' | 'authFailures', key: string): void | number | Promise<void | number>;
  /**
   * True for a store whose counters are a round trip away ({@link durableObjectStore}): the edge then
   * does not call `peek` and `take` itself but passes `address` and `limit` with the exchange, which
   * applies both limits before the call (after the request body is read, within `maxBodyBytes`).
   */
  readonly limitsInExchange?: boolean;
  /**
   * Checks a caller's parameters against the allowlists and, when they pass, runs the call the
   * core rebuilt upstream with the shared session. Resolves the answer, refusals (400, 403) and
   * upstream failures (502, 504) included.
   */
  exchange(request: ProxyRequest): Promise<ProxyAnswer>;
  /** The text with the access key and every session name masked (for the log). */
  scrub?(text: string): string;
  /** Upstream logins so far and the number of learned id prefixes. */
  readonly stats: { logins: number; knownPrefixes: number };
}

/** Create the proxy handler. Throws a TypeError on an unusable configuration. */
export declare function createVtigerProxy(options: VtigerEdgeProxyOptions): ProxyHandler;
/** A proxy whose upstream state lives in `store` (the upstream options are the store's). */
export declare function createVtigerProxy(options: ProxyEdgeOptions & { store: ProxyStore }): ProxyHandler;
export default createVtigerProxy;

/** The default {@link ProxyStore}: everything in this isolate or process. Throws a TypeError on an unusable configuration. */
export declare function memoryStore(options: VtigerUpstreamOptions & ProxyLimitOptions): ProxyStore;

/** What {@link durableObjectStore} uses of a Durable Object namespace binding (structural: no workers types needed). */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: any): any;
}

/**
 * A {@link ProxyStore} kept in a Durable Object of a {@link vtigerProxyObject} class: every isolate
 * whose store names the same object shares one upstream session (one login for all) and one set of
 * rate-limit counters. `name` picks the object: one per CRM target (default 'crm'). The limits are
 * the object's (`configure`'s `rateLimit`, `authFailureLimit`); a `rateLimit` function given to
 * createVtigerProxy still runs in the isolate. Throws a TypeError when `namespace` is not a binding.
 */
export declare function durableObjectStore(namespace: DurableObjectNamespaceLike, options?: { name?: string }): ProxyStore;

/**
 * The Durable Object class holding a proxy's upstream state (a memoryStore made on its first call
 * from `configure(env)`): export it from the Worker under the wrangler config's `class_name`.
 * `Base`: `DurableObject` from `cloudflare:workers` (the isolates call it through Workers RPC).
 * The access key and the session name stay in the object; what it returns is already masked.
 *
 *     export const VtigerProxyObject = vtigerProxyObject(DurableObject, (env) => ({ target: env.CRM_URL, ... }));
 */
export declare function vtigerProxyObject<B extends abstract new (ctx: any, env: any) => object>(
  Base: B,
  configure: (env: any) => VtigerUpstreamOptions & ProxyLimitOptions,
): new (ctx: any, env: any) => InstanceType<B>;

/**
 * What {@link toNodeListener} reads of a `node:http` `IncomingMessage`. Declared structurally, so
 * these types need no @types/node; Node's `IncomingMessage` satisfies it.
 */
export interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly complete: boolean;
  readonly headers: { readonly [name: string]: string | readonly string[] | undefined };
  readonly socket?: { readonly remoteAddress?: string | undefined } | null | undefined;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event: 'data'): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
}
/** What {@link toNodeListener} uses of a `node:http` `ServerResponse` (structural, like {@link NodeRequestLike}). */
export interface NodeResponseLike {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(chunk?: string): unknown;
}

/**
 * Adapt a handler to a `node:http` request listener: `http.createServer(toNodeListener(handler))`.
 * The body is streamed with backpressure, a body the handler does not read is not buffered, and the
 * handler gets `{ remoteAddress }` as its second argument.
 */
export declare function toNodeListener(
  handler: (request: Request, info?: unknown) => Promise<Response>,
  options?: { trustProxy?: boolean },
): (req: NodeRequestLike, res: NodeResponseLike) => Promise<void>;

/** The default operation allowlist. */
export declare const DEFAULT_OPERATIONS: readonly string[];
