// Public API of crmwire (identical in every runtime entry).
import { wasmSync } from './core.js';
import { fromCore } from './errors.js';

export { initSync, isReady, ready } from './core.js';
export { CrmError, isCrmError } from './errors.js';
export { Query } from './query.js';
export { VtigerClient } from './vtiger.js';
export { PerfexClient } from './perfex.js';
import { Query, renderSpec } from './query.js';

/** The crate version of the wasm module. */
export function version() {
  return wasmSync('version()').version();
}

/** Lower-case hex MD5 of a string's UTF-8 bytes (Vtiger's login digest). */
export function md5Hex(s) {
  return wasmSync('md5Hex()').md5Hex(String(s));
}

/** A string as a VTQL literal: single-quoted with `'` and `\` doubled (INVALID_INPUT for '' and NUL). */
export function vtqlLiteral(s) {
  const w = wasmSync('vtqlLiteral()');
  try {
    return w.vtqlLiteral(String(s));
  } catch (e) {
    throw fromCore(e);
  }
}

/** Starts a {@link Query} on a module. */
export function select(module) {
  return new Query(module);
}

/** Renders raw text, a {@link Query} or its object form to VTQL text. */
export function toVtql(q) {
  if (typeof q === 'string') return q;
  return renderSpec(q instanceof Query ? q.spec : q, 'toVtql()');
}
