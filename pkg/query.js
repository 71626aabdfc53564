// The fluent VTQL builder (object form rendered by the core).
import { wasmSync } from './core.js';
import { fromCore } from './errors.js';
import { jsonText } from './transport.js';

/**
 * Fluent VTQL builder. Produces the object form that the core renders with its escaping
 * guarantees; `query()` accepts the builder, its object form or raw VTQL text.
 *
 *   select('Contacts').fields('id', 'lastname').where('mailingcity', '=', 'Paris')
 *     .where('leadsource', 'in', ['Web', 'Partner']).orWhere('lastname', 'like', 'A%')
 *     .orderBy('lastname').limit(50)
 *
 * `where()` adds a term to the current AND group; `orWhere()` starts a new group, OR-ed
 * with the previous ones (VTQL has no parentheses: `a AND b OR c` = `(a AND b) OR c`).
 */
export class Query {
  constructor(module) {
    this.spec = { module: String(module) };
  }
  /** The columns to return (default `*`). */
  fields(...names) {
    this.spec.fields = names.flat().map(String);
    return this;
  }
  /** `SELECT count(*)`. */
  count() {
    this.spec.count = true;
    return this;
  }
  /**
   * AND a condition: `where(field, value)` means `=`; ops: = != < > <= >= in like, and
   * contains / startsWith / endsWith (plain text, matched literally). A `like` value is a
   * pattern: `%` and `_` are wildcards, `\%` `\_` `\\` a literal `%` `_` `\`.
   */
  where(field, op, value) {
    const term = termOf(field, op, value, arguments.length);
    const w = (this.spec.where ??= [[]]);
    w[w.length - 1].push(term);
    return this;
  }
  /** Start a new AND group, OR-ed with the previous groups. */
  orWhere(field, op, value) {
    const term = termOf(field, op, value, arguments.length);
    (this.spec.where ??= []).push([term]);
    return this;
  }
  /** ORDER BY (call again for more columns; only the last column may be `desc`). */
  orderBy(field, dir = 'asc') {
    (this.spec.orderBy ??= []).push({ field: String(field), dir });
    return this;
  }
  /** LIMIT (at most 100: the server caps every page at 100 rows; use queryAll for more). */
  limit(n) {
    this.spec.limit = n;
    return this;
  }
  /** LIMIT offset (prefer queryAll, which pages by id and cannot skip or repeat rows). */
  offset(n) {
    this.spec.offset = n;
    return this;
  }
  /** The object form (what `JSON.stringify` and the client use). */
  toJSON() {
    return this.spec;
  }
  /** The VTQL text (needs the wasm module: in browsers `await ready()` first). */
  toVtql() {
    return renderSpec(this.spec, 'Query.toVtql()');
  }
  toString() {
    return this.toVtql();
  }
}

/** @internal The core's rendering of a query's object form (its errors as CrmErrors). */
export function renderSpec(spec, what) {
  const text = jsonText(spec, 'query', 'query');
  const w = wasmSync(what);
  try {
    return w.renderVtql(text);
  } catch (e) {
    throw fromCore(e);
  }
}

export function termOf(field, op, value, argc) {
  return argc === 2 ? { field: String(field), op: '=', value: op } : { field: String(field), op, value };
}

