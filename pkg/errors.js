// CrmError and its guard (no wasm needed).

/**
 * Error thrown by crmwire. Errors are plain JS `Error`s with `name === 'CrmError'` (the wasm
 * core hands its errors over as JSON and they are made here), and `instanceof CrmError` is
 * implemented by the same structural check as {@link isCrmError}, so it works across copies
 * of the package.
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


/** @internal A CrmError from the core's JSON form (`{code, message, crmCode?, status?, operation?, field?, snippet?, fieldErrors?}`). */
export function errorFromJson(o) {
  const e = new CrmError(o.code, o.message, o);
  if (o.fieldErrors !== undefined) e.fieldErrors = o.fieldErrors;
  if (o.snippet !== undefined) e.snippet = o.snippet;
  return e;
}

/** @internal What a wasm export threw: the core throws its errors as their JSON text. */
export function fromCore(e) {
  if (typeof e === 'string' && e.charCodeAt(0) === 0x7b) {
    try {
      return errorFromJson(JSON.parse(e));
    } catch {}
  }
  return e;
}
