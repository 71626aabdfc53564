// Type declarations for `crmwire/proxy`: an edge proxy for the Vtiger webservice. They use only
// web-standard types (Request, Response), so a Workers or Deno project needs no @types/node.

/** A request handler: the shape of a Worker's fetch, Deno.serve's and Bun.serve's handler. */
export type ProxyHandler = ((request: Request) => Promise<Response>) & {
  /** Upstream logins so far and the number of learned id prefixes (for monitoring). */
  readonly stats: { logins: number; knownPrefixes: number };
};

/**
 * Options of {@link createVtigerProxy}. (The client's proxy-mode options are `VtigerProxyOptions`
 * in `crmwire`.)
 */
export interface VtigerEdgeProxyOptions {
  /** The CRM base URL or its `webservice.php` URL. */
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
     * proxy cannot attribute to a module (wsapp_*, mobile.*, custom ones) are refused.
     */
    modules: readonly string[] | '*';
  };
  /** Browser origins that get CORS headers, e.g. 'https://app.example', 'chrome-extension://<id>'. Others get 403. */
  cors?: { origins?: readonly string[] };
  /** Caller bearer tokens (Authorization: Bearer <token>), at least 16 characters, compared in constant time. */
  tokens?: readonly string[];
  /**
   * Caller check. Return a truthy value to accept (a string or `{ id }` names the caller for the rate
   * limit), falsy or throw to refuse. With `tokens` too, both must pass. At least one of the two is required.
   */
  authorize?: (request: Request) => unknown | Promise<unknown>;
  /**
   * Per-caller limit: a token bucket of `requests` per `windowMs` (in memory, per isolate/process),
   * or a function returning 0 to accept or the seconds to wait.
   */
  rateLimit?: { requests: number; windowMs: number; maxKeys?: number } | ((callerId: string, request: Request) => number | Promise<number>);
  /** Request body limit in bytes (default 1 MiB). Over it: 413. */
  maxBodyBytes?: number;
  /** URL length limit (default 16384). Over it: 414. */
  maxUrlBytes?: number;
  /** Upstream timeout in ms (default 30000). Over it: 504. */
  timeoutMs?: number;
  /** The fetch used for upstream calls (default: the global fetch). */
  fetch?: typeof fetch;
  /** One line per request (op, module, caller, status, ms; never parameters or secrets). false: off. Default console.log. */
  log?: false | ((line: string) => void);
  /** Filter listtypes results to the allowed modules (default true). */
  filterListtypes?: boolean;
}

/** Create the proxy handler. Throws a TypeError on an unusable configuration. */
export declare function createVtigerProxy(options: VtigerEdgeProxyOptions): ProxyHandler;
export default createVtigerProxy;

/**
 * What {@link toNodeListener} reads of a `node:http` `IncomingMessage`. Declared structurally, so
 * these types need no @types/node; Node's `IncomingMessage` satisfies it.
 */
export interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: { readonly [name: string]: string | readonly string[] | undefined };
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  destroy(): unknown;
}
/** What {@link toNodeListener} uses of a `node:http` `ServerResponse` (structural, like {@link NodeRequestLike}). */
export interface NodeResponseLike {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): unknown;
  end(chunk?: string): unknown;
}

/** Adapt a handler to a `node:http` request listener: `http.createServer(toNodeListener(handler))`. */
export declare function toNodeListener(
  handler: (request: Request) => Promise<Response>,
  options?: { trustProxy?: boolean },
): (req: NodeRequestLike, res: NodeResponseLike) => Promise<void>;

/** The module a VTQL SELECT reads (the first bare FROM); throws on a malformed or desync-prone query. */
export declare function vtqlModule(query: string): string;
/** The modules and record ids an operation touches, or null when it cannot be attributed. */
export declare function touches(op: string, params: Map<string, string>): { modules: string[]; ids: string[] } | null;
/** The default operation allowlist. */
export declare const DEFAULT_OPERATIONS: readonly string[];
