// Transport shared by VtigerClient and PerfexClient: the host's fetch (or an injected one), a
// per-call AbortSignal, a timeout that also covers reading the body, and retries with backoff
// for GET-type requests only (network errors and 502/503/504). POST, PUT and DELETE are never
// retried here. Requests come from the wasm core as {operation, method, url, headers, body, get},
// with `redactedUrl` where the URL carries a session name.
import { CrmError } from './errors.js';

const RETRY_STATUS = new Set([502, 503, 504]);

/** Sends one request; resolves to {status, body: Uint8Array} or rejects with a CrmError. */
export async function send(fetchFn, opts, req, signal) {
  const f = fetchFn ?? globalThis.fetch;
  if (typeof f !== 'function') throw new CrmError('TRANSPORT', 'no fetch function in this runtime; pass options.fetch', { operation: req.operation });
  if (signal?.aborted) throw new CrmError('ABORTED', 'the request was aborted', { operation: req.operation, cause: signal.reason });
  if (opts.onRequest) {
    try {
      opts.onRequest({ operation: req.operation, method: req.method, url: req.redactedUrl ?? req.url });
    } catch {}
  }
  // One controller + one timer: AbortSignal.timeout()/any() cost ~40 µs per call on Node 20.
  // The delay is clamped: hosts fire a delay over 2^31-1 ms at once.
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(new CrmError('TIMEOUT', `no complete answer within ${opts.timeoutMs} ms`, { operation: req.operation }));
  }, Math.min(opts.timeoutMs, 0x7fffffff));
  const onAbort = () => ctl.abort(signal.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await f(req.url, { method: req.method, headers: req.headers, body: req.body, signal: ctl.signal });
    // The timeout stays armed while the body is read.
    const body = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, body };
  } catch (e) {
    if (signal?.aborted) throw new CrmError('ABORTED', 'the request was aborted', { operation: req.operation, cause: signal.reason });
    if (timedOut) throw new CrmError('TIMEOUT', `no complete answer within ${opts.timeoutMs} ms`, { operation: req.operation, cause: e });
    const msg = e && e.message ? String(e.message).replace(/sessionName=[^&\s]*/gi, 'sessionName=[redacted]') : 'fetch failed';
    throw new CrmError('TRANSPORT', `network error: ${msg}`, { operation: req.operation, cause: e });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** `send` with retries and exponential backoff for GET-type requests only. */
export async function sendRetry(fetchFn, opts, req, signal) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await send(fetchFn, opts, req, signal);
      if (req.get && RETRY_STATUS.has(res.status) && attempt < opts.retries) {
        await sleep(opts.retryBaseMs * 2 ** attempt, signal);
        continue;
      }
      return res;
    } catch (e) {
      if (req.get && e.code === 'TRANSPORT' && attempt < opts.retries) {
        await sleep(opts.retryBaseMs * 2 ** attempt, signal);
        continue;
      }
      throw e;
    }
  }
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

/**
 * A request from the wasm core as the transport's object. The core packs it into one string
 * (src/wasm/mod.rs `request_to_js`: one boundary crossing instead of one per field); an object
 * (the core's fallback form) is returned as it is.
 */
export function unpackRequest(s) {
  if (typeof s !== 'string') return s;
  let i = 0;
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
  return { operation, method, url, redactedUrl, get: method === 'GET', headers, body };
}
