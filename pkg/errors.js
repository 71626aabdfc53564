// CrmError and its guard (no wasm needed).

/**
 * Error thrown by crmwire. Errors are plain JS `Error`s with `name === 'CrmError'` (they are
 * created inside the wasm module too), so `instanceof CrmError` is implemented by the same
 * structural check as {@link isCrmError} and works across copies of the package.
 */
export class CrmError extends Error {
  constructor(code, message, extra) {
    super(message, extra && 'cause' in extra ? { cause: extra.cause } : undefined);
    this.name = 'CrmError';
    this.code = code;
    this.crmCode = undefined;
    this.status = undefined;
    this.operation = undefined;
    this.field = undefined;
    if (extra) {
      for (const k of ['crmCode', 'status', 'operation', 'field']) if (extra[k] !== undefined) this[k] = extra[k];
    }
  }
  static [Symbol.hasInstance](v) {
    return isCrmError(v);
  }
}

/** True when `e` is an error thrown by crmwire. */
export function isCrmError(e) {
  return e instanceof Error && e.name === 'CrmError' && typeof e.code === 'string';
}

