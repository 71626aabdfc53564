// CrmErrorCode (pkg/index.d.ts) lists exactly the codes the package produces: collected from
// the producers themselves (the core's code table and its pass-through codes in src/, every
// `new CrmError('…')` in pkg/*.js, the proxy's refusals and envelopes), so a new code that
// is not declared, or a declared code nothing produces, fails here.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (p) => readFileSync(path.join(root, p), 'utf8');
const walk = (dir) => readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
const all = (re, text) => [...text.matchAll(re)].map((m) => m[1]);

function produced() {
  const codes = new Map(); // code -> where
  const add = (c, where) => codes.has(c) || codes.set(c, where);
  // The core: its table of stable codes, and codes it passes through by name (non-test code).
  for (const c of all(/\(\s*"([A-Z][A-Z0-9_]+)",\s*ErrorCode::/g, read('src/error.rs'))) add(c, 'src/error.rs');
  for (const f of walk('src').filter((f) => f.endsWith('.rs'))) {
    const text = read(f).split('#[cfg(test)]')[0];
    for (const c of all(/ErrorCode::Other\("([A-Z][A-Z0-9_]+)"/g, text)) add(c, f);
  }
  // The JS layer: CrmErrors it makes, and the proxy's refusals and envelopes.
  for (const f of readdirSync(path.join(root, 'pkg')).filter((f) => f.endsWith('.js')).map((f) => `pkg/${f}`)) {
    const text = read(f);
    for (const c of all(/new CrmError\(\s*'([A-Z][A-Z0-9_]+)'/g, text)) add(c, f);
    for (const c of all(/\benvelope\(\s*'([A-Z][A-Z0-9_]+)'/g, text)) add(c, f);
    // new Reject(status, code, message): the code argument may be a conditional of two literals.
    for (const arg of all(/\bReject\([^,]+,\s*([^,]+),/g, text)) for (const c of all(/'([A-Z][A-Z0-9_]+)'/g, arg)) add(c, f);
  }
  return codes;
}

function declared() {
  const d = read('pkg/index.d.ts').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const start = d.indexOf('export type CrmErrorCode =');
  const end = d.indexOf(';', start);
  assert.ok(start >= 0 && end > start, 'CrmErrorCode not found');
  const body = d.slice(start, end);
  return { codes: new Set(all(/'([A-Z][A-Z0-9_]+)'/g, body)), body };
}

test('every code the package produces is declared in CrmErrorCode, and every declared code is produced', () => {
  const prod = produced();
  const { codes: decl, body } = declared();
  assert.ok(prod.size >= 40, `${prod.size} codes collected`);
  const missing = [...prod].filter(([c]) => !decl.has(c)).map(([c, f]) => `${c} (${f})`);
  assert.deepEqual(missing, [], 'produced but not declared');
  const stale = [...decl].filter((c) => !prod.has(c));
  assert.deepEqual(stale, [], 'declared but produced nowhere');
  // Closed: no catch-all member (a misspelt code must be a type error; see tests/js/consumer).
  assert.doesNotMatch(body, /string\s*&|\|\s*string\b/);
  // The ones this issue added.
  for (const c of ['REDIRECT', 'RESPONSE_TOO_LARGE', 'PROXY_ERROR', 'UNSUPPORTED_MEDIA_TYPE', 'METHOD_NOT_ALLOWED', 'URI_TOO_LONG']) assert.ok(decl.has(c), c);
  // Issue 12: the bulk writes' codes (src/vtiger/bulk.rs).
  for (const c of ['OUTCOME_UNKNOWN', 'MULTIPLE_MATCHES']) assert.ok(decl.has(c) && prod.has(c), c);
});
