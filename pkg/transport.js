// The byte mover shared by VtigerClient and PerfexClient: one `Transport` (the host's fetch,
// a timeout that also covers the body, the caller's abort, a response size cap) and one
// driving loop (`Drive`) that asks the wasm core for the next step of an exchange and does
// exactly that: send a request and hand the answer back, sleep, wait for another exchange's
// login, deliver a value. Every protocol decision (what to send, retries, redirects, login,
// session expiry, paging, merging) is the core's (src/step.rs, src/vtiger/driver.rs,
// src/perfex/driver.rs); nothing here knows an operation, a code or an envelope, except the
// one shortcut the core allows: a clean success body may be parsed here with JSON.parse.
import { wasmSync } from './core.js';
import { CrmError, errorFromJson, isCrmError } from './errors.js';

/** Default `maxResponseBytes`: 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Largest `maxResponseBytes`: a longer answer could not become a JS string (2^29 - 24 characters). */
export const MAX_RESPONSE_BYTES = 512 * 1024 * 1024 - 64;

/** Masks secrets in a text (the core's rule: sessionName=…, "accessKey":"…", encoded forms). */
function redact(s) {
  try {
    return wasmSync('redact').redactText(String(s));
  } catch {
    return String(s);
  }
}

/**
 * `e` with every message and stack in its `cause` chain masked: the same object when nothing
 * needed masking, else a copy of the same class (an URL with a sessionName in a fetch error
 * must not reach the caller).
 */
export function redactError(e, depth = 0) {
  if (e === null || typeof e !== 'object' || depth > 4) return typeof e === 'string' ? redact(e) : e;
  if (!(e instanceof Error) && !(typeof DOMException === 'function' && e instanceof DOMException)) return e;
  const message = redact(e.message);
  const stack = typeof e.stack === 'string' ? redact(e.stack) : e.stack;
  const cause = 'cause' in e ? redactError(e.cause, depth + 1) : undefined;
  if (message === e.message && stack === e.stack && cause === e.cause) return e;
  let copy;
  if (typeof DOMException === 'function' && e instanceof DOMException) copy = new DOMException(message, e.name);
  else {
    const C = [TypeError, RangeError, SyntaxError].find((k) => e instanceof k) ?? Error;
    copy = new C(message, 'cause' in e ? { cause } : undefined);
    if (e.name !== copy.name) copy.name = e.name;
  }
  for (const k of ['code', 'errno', 'syscall']) if (typeof e[k] === 'string' || typeof e[k] === 'number') copy[k] = e[k];
  if (stack !== undefined) {
    try {
      copy.stack = stack;
    } catch {}
  }
  return copy;
}

/** "network error: <reason>" from a fetch failure: the message and the codes and messages of its causes (undici puts the reason in e.cause). */
function networkReason(e) {
  const parts = [];
  for (let c = e, d = 0; c != null && d < 4; c = c.cause, d++) {
    const m = typeof c === 'object' ? c.message : String(c);
    const code = typeof c === 'object' && typeof c.code === 'string' ? c.code : '';
    for (const p of [code, m]) if (p && !parts.some((q) => q.includes(p))) parts.push(String(p));
  }
  return redact(parts.length ? parts.join(': ') : 'fetch failed');
}

const aborted = (operation, signal) => new CrmError('ABORTED', 'the request was aborted', { operation, cause: redactError(signal?.reason) });

/** Sends requests through fetch: timeout, abort and size cap win even when fetch ignores its signal. */
export class Transport {
  #fetch;
  #timeoutMs;
  #maxBytes;
  #onRequest;

  /** `options`: `{ fetch?, timeoutMs?, maxResponseBytes?, onRequest? }`, validated by the client. */
  constructor(options) {
    this.#fetch = options.fetch ?? null;
    this.#timeoutMs = options.timeoutMs;
    this.#maxBytes = options.maxResponseBytes;
    this.#onRequest = options.onRequest;
  }

  /** Sends one request; resolves to `{ status, body: Uint8Array, location, headers }` or rejects with a CrmError. */
  async send(req, signal) {
    const op = req.operation;
    const f = this.#fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new CrmError('TRANSPORT', 'no fetch function in this runtime; pass options.fetch', { operation: op });
    if (signal?.aborted) throw aborted(op, signal);
    if (this.#onRequest) {
      try {
        this.#onRequest({ operation: op, method: req.method, url: req.redactedUrl });
      } catch {}
    }
    // One controller and one timer (AbortSignal.timeout()/any() cost ~40 µs per call on Node
    // 20). The delay is clamped: hosts fire a delay over 2^31-1 ms at once. `stop` settles the
    // race even when an injected fetch ignores its signal.
    const ctl = new AbortController();
    let fail;
    const stop = new Promise((_, reject) => (fail = reject));
    const ms = this.#timeoutMs;
    const timer = setTimeout(() => {
      const reason = typeof DOMException === 'function' ? new DOMException('signal timed out', 'TimeoutError') : new Error('signal timed out');
      ctl.abort(reason);
      fail(new CrmError('TIMEOUT', `no complete answer within ${ms} ms`, { operation: op, cause: reason }));
    }, Math.min(ms, 0x7fffffff));
    const onAbort = () => {
      ctl.abort(signal.reason);
      fail(aborted(op, signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const work = this.#exchange(f, req, ctl.signal);
    try {
      return await Promise.race([work, stop]);
    } catch (e) {
      if (isCrmError(e)) throw e;
      if (signal?.aborted) throw aborted(op, signal);
      throw new CrmError('TRANSPORT', `network error: ${networkReason(e)}`, { operation: op, cause: redactError(e) });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      work.catch(() => {}); // a loser's late rejection is not unhandled
    }
  }

  async #exchange(f, req, signal) {
    const res = await f(req.url, { method: req.method, headers: req.headers, body: req.body, signal, redirect: 'manual' });
    // A browser's `redirect: 'manual'` answer hides its target (status 0, opaqueredirect).
    const status = res.type === 'opaqueredirect' ? 0 : res.status;
    let location;
    if (status >= 300 && status < 400) {
      // The core decides whether to follow it; it gets the absolute URL the header names.
      location = res.headers.get('location') ?? undefined;
      try {
        if (location !== undefined) location = new URL(location, req.url).href;
      } catch {}
    }
    return { status, body: await this.#read(res, req.operation), location, headers: res.headers };
  }

  /** The body as bytes, read as a stream and cut off past `maxResponseBytes`. */
  async #read(res, operation) {
    const max = this.#maxBytes;
    const tooLarge = (n) => new CrmError('RESPONSE_TOO_LARGE', `the answer is larger than maxResponseBytes (${n > max ? `${n} > ` : 'over '}${max} bytes)`, { operation, status: res.status });
    const len = res.headers.get('content-length');
    const declared = len === null ? -1 : Number(len);
    if (declared > max) {
      try {
        await res.body?.cancel();
      } catch {}
      throw tooLarge(declared);
    }
    // A declared length within the cap (fetch refuses a body longer than it declared), or no
    // stream: read at once (cheaper than a reader, notably in workerd); otherwise stream and cut.
    if (declared >= 0 || !res.body || typeof res.body.getReader !== 'function') {
      const b = new Uint8Array(await res.arrayBuffer());
      if (b.length > max) throw tooLarge(b.length);
      return b;
    }
    const reader = res.body.getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        try {
          await reader.cancel();
        } catch {}
        throw tooLarge(total);
      }
      chunks.push(value);
    }
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

// ---- the driving loop ------------------------------------------------------------------

const UNCLEAN = Symbol('unclean');
const NO_BODY = new Uint8Array(0);
const utf8 = new TextDecoder(); // replaces invalid UTF-8 and drops a BOM, like the core

/**
 * The `result` of a clean success body (`{"success":true,...}` parsed by JSON.parse; `null`
 * when absent), else UNCLEAN. The core allows this shortcut for the steps it marks (`F`, `A`)
 * and decodes anything else itself, to the same value.
 */
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

/** A request from a core step (src/wasm/mod.rs `step_text`), starting at offset `i`. */
function unpackRequest(s, i) {
  const line = () => {
    const j = s.indexOf('\n', i);
    const v = s.slice(i, j);
    i = j + 1;
    return v;
  };
  const operation = line();
  const method = line();
  const url = line();
  const redactedUrl = line() || url;
  const headers = {};
  for (let n = +line(); n > 0; n--) {
    const h = line();
    const k = h.indexOf(':');
    headers[h.slice(0, k)] = h.slice(k + 1);
  }
  const body = line() === 'B' ? s.slice(i) : undefined;
  return { operation, method, url, redactedUrl, headers, body };
}

/**
 * The body of a file upload (a `U` step): the core's text with the file's bytes inserted where
 * its first line says (UTF-16 units of the rest). The bytes stay a Blob: fetch streams them.
 */
function withFile(body, file, operation) {
  if (typeof Blob !== 'function' || !(file instanceof Blob)) throw new CrmError('INVALID_INPUT', 'this request needs the file content, and none was given', { field: 'file', operation });
  const nl = body.indexOf('\n');
  const at = +body.slice(0, nl);
  const text = body.slice(nl + 1);
  return new Blob([text.slice(0, at), file, text.slice(at)]);
}

/** A JSON text from the core, parsed; a string too long for the runtime is RESPONSE_TOO_LARGE. */
function parse(text, operation) {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof RangeError) throw new CrmError('RESPONSE_TOO_LARGE', 'the answer is too large for a JS string', { operation, cause: e });
    throw e;
  }
}

function sleep(ms, signal, operation) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(aborted(operation, signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The state of one exchange, every field set at once: one object shape for every kind of
 * exchange keeps the driving loop's property reads monomorphic.
 */
function exchangeState(op, file, raw, prepare) {
  return { id: 0, alive: true, op, clean: undefined, file, body: undefined, raw, res: undefined, prepare };
}

/** Runs a core's exchanges over a transport. */
export class Drive {
  #core;
  #t;
  #wake = null;
  /**
   * The sends and sleeps in flight. An exchange waiting for another one's login waits on
   * these too: in workerd a request that awaits only a promise of its own, resolved from
   * another request, is cancelled as hung; awaiting the other request's I/O is not
   * (crmwire/proxy serves concurrent requests from one session).
   */
  #busy = new Set();

  constructor(core, transport) {
    this.#core = core;
    this.#t = transport;
  }

  /**
   * Runs an exchange (first step `s`) to its end and returns its value. `op`: the caller's
   * operation, for ABORTED; `file`: the Blob a `U` step's body takes (a file upload).
   */
  async result(s, signal, op, file) {
    const x = exchangeState(op, file, false, undefined);
    try {
      const r = await this.#run(s, signal, x);
      if (r.done) return r.value;
      throw new CrmError('INVALID_RESPONSE', 'the exchange yielded a value instead of a result', { operation: x.op });
    } finally {
      if (x.alive) await this.#close(x);
    }
  }

  /**
   * Runs an exchange whose result is a response to pass on (crmwire/proxy): resolves `{ res,
   * body }`, the last response (`{ status, body, headers }`) and the body the core put in its
   * place (a string), or `undefined` to pass the response's own body. `prepare(req)` may
   * return another request object to send instead (the proxy attaches multipart file parts).
   */
  async respond(s, signal, op, prepare) {
    const x = exchangeState(op, undefined, true, prepare);
    try {
      const r = await this.#run(s, signal, x);
      return { res: x.res, body: r.value };
    } finally {
      if (x.alive) await this.#close(x);
    }
  }

  /**
   * The values an exchange yields (pages, batches), in order; its end value is dropped. With
   * `withBody`, each as `{ value, body }`: `body` is the answer it came from (bytes), for
   * values that point into it (filesRetrieve's base64 ranges).
   */
  async *items(s, signal, op, withBody = false) {
    const x = exchangeState(op, undefined, false, undefined);
    try {
      for (;;) {
        const r = await this.#run(s, signal, x);
        if (r.done) return;
        yield withBody ? { value: r.value, body: x.body } : r.value;
        if (signal?.aborted) throw aborted(x.op, signal);
        s = this.#step(x, () => this.#core.resume(x.id));
      }
    } finally {
      if (x.alive) await this.#close(x);
    }
  }

  /** Calls the core; an exception ends the exchange (and wakes waiters: a login may have settled). */
  #step(x, f) {
    try {
      return f();
    } catch (e) {
      x.alive = false;
      this.#wakeAll();
      throw e;
    }
  }

  #wakeAll() {
    const w = this.#wake;
    this.#wake = null;
    w?.resolve();
  }

  #waitLogin(signal, operation) {
    if (!this.#wake) {
      let resolve;
      const p = new Promise((r) => (resolve = r));
      this.#wake = { p, resolve };
    }
    // The login's end, or the end of any send or sleep in flight (then the core is asked
    // again and says whether to wait on).
    const p = this.#busy.size ? Promise.race([this.#wake.p, ...[...this.#busy].map((b) => b.catch(() => {}))]) : this.#wake.p;
    if (!signal) return p;
    if (signal.aborted) return Promise.reject(aborted(operation, signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(aborted(operation, signal));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Steps until the exchange yields or ends: `{ done, value }`. */
  async #run(s, signal, x) {
    const core = this.#core;
    for (;;) {
      if (s.charCodeAt(1) === 49) this.#wakeAll();
      const nl = s.indexOf('\n');
      const kind = s[0];
      if (kind !== 'E') x.id = +s.slice(2, nl);
      if (kind === 'S' || kind === 'F' || kind === 'A' || kind === 'U') {
        const req = unpackRequest(s, nl + 1);
        x.op ??= req.operation;
        if (signal?.aborted) throw aborted(x.op, signal);
        if (kind === 'U') req.body = withFile(req.body, x.file, x.op);
        let res;
        try {
          const p = this.#t.send(x.prepare ? x.prepare(req) : req, signal);
          this.#busy.add(p);
          try {
            res = await p;
          } finally {
            this.#busy.delete(p);
          }
          x.res = res;
        } catch (e) {
          if (e.code === 'ABORTED') {
            e.operation = x.op; // the caller's operation, even during its implicit login
            throw e; // the caller's finally closes the exchange
          }
          s = this.#step(x, () => core.fail(x.id, e.code, e.message));
          if (s[0] === 'X') {
            x.alive = false;
            if (s.charCodeAt(1) === 49) this.#wakeAll();
            throw e;
          }
          continue;
        }
        x.body = res.body;
        if ((kind === 'F' || kind === 'A') && res.status >= 200 && res.status < 300) {
          const v = cleanResult(res.body);
          if (v !== UNCLEAN && (kind === 'F' || Array.isArray(v))) {
            x.clean = v;
            const last = kind === 'A' && v.length ? v[v.length - 1]?.id : undefined;
            s = this.#step(x, () => core.handle(x.id, 0, NO_BODY, undefined, kind === 'A' ? v.length : 0, last == null ? undefined : String(last)));
            continue;
          }
        }
        s = this.#step(x, () => core.handle(x.id, res.status, res.body, res.location));
        continue;
      }
      switch (kind) {
        case 'Z':
          {
            const p = sleep(+s.slice(nl + 1), signal, x.op);
            this.#busy.add(p);
            try {
              await p;
            } finally {
              this.#busy.delete(p);
            }
          }
          s = this.#step(x, () => core.resume(x.id));
          continue;
        case 'W':
          await this.#waitLogin(signal, x.op);
          s = this.#step(x, () => core.resume(x.id));
          continue;
        case 'Y':
          return { done: false, value: parse(s.slice(nl + 1), x.op) };
        case 'y':
          return { done: false, value: x.clean };
        case 'D':
          x.alive = false;
          return { done: true, value: x.raw ? s.slice(nl + 1) : parse(s.slice(nl + 1), x.op) };
        case 'd':
          x.alive = false;
          return { done: true, value: x.clean };
        case 'E':
          x.alive = false;
          throw errorFromJson(JSON.parse(s.slice(nl + 1)));
        default: // 'N'
          x.alive = false;
          return { done: true, value: undefined };
      }
    }
  }

  /** Abandons an exchange; sends what the core asks for on the way out (a sync release), best effort. */
  async #close(x) {
    x.alive = false;
    let s;
    try {
      s = this.#core.close(x.id);
    } catch {
      return;
    }
    if (s.charCodeAt(1) === 49) this.#wakeAll();
    if (s[0] !== 'S') return;
    try {
      const res = await this.#t.send(unpackRequest(s, s.indexOf('\n') + 1));
      this.#core.handle(x.id, res.status, res.body, res.location);
    } catch {
      try {
        this.#core.fail(x.id, 'TRANSPORT', 'release failed');
      } catch {}
    }
  }
}

/**
 * Reads the transport options every client shares; INVALID_INPUT naming the option.
 * `timeoutMs` (default 30000), `maxResponseBytes` (default 64 MiB), `fetch`, `onRequest`.
 */
export function transportOptions(options) {
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new CrmError('INVALID_INPUT', "option 'fetch' must be a function", { field: 'fetch' });
  const t = options.timeoutMs ?? 30000;
  if (!(Number.isFinite(t) && t > 0)) throw new CrmError('INVALID_INPUT', "option 'timeoutMs' must be a positive number", { field: 'timeoutMs' });
  const m = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!(Number.isInteger(m) && m > 0 && m <= MAX_RESPONSE_BYTES)) throw new CrmError('INVALID_INPUT', `option 'maxResponseBytes' must be an integer from 1 to ${MAX_RESPONSE_BYTES}`, { field: 'maxResponseBytes' });
  const r = options.retry ?? {};
  const retry = typeof r === 'number' ? { retries: r } : r;
  return {
    fetch: options.fetch,
    timeoutMs: t,
    maxResponseBytes: m,
    onRequest: typeof options.onRequest === 'function' ? options.onRequest : null,
    retries: retry.retries ?? 2,
    retryBaseMs: retry.baseMs ?? 200,
  };
}

/**
 * A value as a JSON text for the core; INVALID_INPUT (naming `field`) for what JSON cannot
 * hold: a BigInt, a cycle, a throwing `toJSON`.
 */
export function jsonText(v, field, operation) {
  try {
    return JSON.stringify(v);
  } catch (e) {
    throw new CrmError('INVALID_INPUT', `${field} cannot be sent as JSON (${e instanceof Error ? e.message : String(e)})`, { field, operation, cause: e });
  }
}

/** A plain object of parameters as `{name: string}` (numbers, booleans and BigInts as text, objects as JSON; null/undefined left out). */
export function stringParams(o, field, operation) {
  const out = {};
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    if (o === undefined) return out;
    throw new CrmError('INVALID_INPUT', `${field} must be a plain object`, { field, operation });
  }
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'object' ? jsonText(v, k, operation) : String(v);
  }
  return out;
}
