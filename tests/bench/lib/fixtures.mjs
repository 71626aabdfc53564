// Canned responses for the in-memory fetch (P2, P3). Recorded exchanges are read from the repository's one copy
// of the real Vtiger recordings, tests/fixtures/vtiger/<server>/ (`recorded/<server>/<file>` below); 100-row pages
// live in fixtures/sim/ (captured once from crmwire-sim by capture-fixtures.mjs, in the recorded shape).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, RECORDED_DIR } from './util.mjs';

/** The canned responses each P3 operation needs, by fixture file. */
export const FIXTURE_FILES = {
  challenge: 'recorded/vtiger-8.4.0/001-getchallenge.json',
  login: 'recorded/vtiger-8.4.0/002-login.json',
  create: 'recorded/vtiger-8.4.0/202-contact-create.json',
  // crmwire checks a record against its module's describe, fetched once per client (P3 fetches it before timing).
  describeContacts: 'recorded/vtiger-8.4.0/111-describe-Contacts.json',
  retrieve: 'recorded/vtiger-8.4.0/203-contact-retrieve.json',
  query100: 'sim/query-contacts-100.json',
  sync100: 'sim/sync-contacts-100.json',
};

/** The file of a fixture name: `recorded/<server>/<file>` (real recordings) or a path under fixtures/. */
export function fixturePath(rel) {
  return rel.startsWith('recorded/') ? join(RECORDED_DIR, rel.slice('recorded/'.length)) : join(FIXTURES_DIR, rel);
}

export function loadFixture(rel) {
  const p = fixturePath(rel);
  if (!existsSync(p)) throw new Error(`fixture ${rel} missing (run: node tests/bench/capture-fixtures.mjs)`);
  const f = JSON.parse(readFileSync(p, 'utf8'));
  const r = f.response;
  const body = r.body_base64 != null ? Buffer.from(r.body_base64, 'base64') : r.body;
  return { name: rel, request: f.request, status: r.status, contentType: r.content_type, body };
}

/** Loads the named canned responses; missing ones are reported, not thrown. */
export function loadCanned(keys = Object.keys(FIXTURE_FILES)) {
  const out = {};
  const missing = {};
  for (const k of keys) {
    try { out[k] = loadFixture(FIXTURE_FILES[k]); } catch (e) { missing[k] = e.message; }
  }
  return { canned: out, missing };
}

/**
 * An in-memory fetch with one canned response per HTTP method. It does no routing work beyond reading the method,
 * so the mock's own cost is the same small constant for both clients: building one `Response`.
 * Set `mock.get` / `mock.post` to a loaded fixture; `mock.calls` counts requests.
 */
export function makeMockFetch() {
  const mock = {
    get: null,
    post: null,
    calls: 0,
    fetch: async (input, init) => {
      mock.calls++;
      const method = (init && init.method) || (input && typeof input === 'object' && input.method) || 'GET';
      const f = method.toUpperCase() === 'POST' ? mock.post : mock.get;
      if (!f) return new Response('', { status: 500, headers: { 'content-type': 'text/html; charset=UTF-8' } });
      return new Response(f.body, { status: f.status, headers: { 'content-type': f.contentType } });
    },
  };
  return mock;
}
