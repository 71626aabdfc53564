// PerfexClient error paths: auth, permissions, server validation, not found, the WON defects
// (500 double prefix, 403 CSRF), unusable bodies, transport errors, retries, timeouts, aborts.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { PerfexClient, isCrmError } from 'crmwire';
import { startSim } from '../test/sim.mjs';
import { fixtures, tag } from './fixtures.mjs';

const sim = await startSim();
const defects = await startSim({ args: ['--perfex-won-defects'] });
// A loopback server that answers headers at once and then stalls the body (or everything).
const sockets = new Set();
const stall = http.createServer((req, res) => {
  if (req.url.includes('stall-headers')) return;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"success":true,"data":');
});
stall.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
await new Promise((r) => stall.listen(0, '127.0.0.1', r));
const stallUrl = `http://127.0.0.1:${stall.address().port}`;
test.after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => stall.close(r));
  await sim.close();
  await defects.close();
});

const mk = (api, o = {}) => new PerfexClient({ url: sim.url, token: sim.perfexToken, api, retry: { retries: 2, baseMs: 1 }, ...o });
const all = async (it) => {
  const out = [];
  for await (const x of it) out.push(x);
  return out;
};
/** Checks a CrmError's code/status/operation and that no token leaks into it. */
const crm = (code, more = {}) => (e) => {
  assert.ok(isCrmError(e), String(e && e.stack));
  assert.equal(e.code, code, `${e.code}: ${e.message}`);
  for (const [k, v] of Object.entries(more)) assert.deepEqual(e[k], v, k);
  const text = JSON.stringify({ ...e, message: e.message, snippet: e.snippet });
  assert.ok(!text.includes(sim.perfexToken), 'token leaked into the error');
  return true;
};
/** A fetch answering every request with this status/body, counting calls. */
const fixed = (status, body, headers = { 'content-type': 'text/html' }) => {
  const f = async () => (f.calls++, new Response(body, { status, headers }));
  f.calls = 0;
  return f;
};

test('bad token: INVALID_AUTH_TOKEN in both modules (WON 401, REST 404 JWT message), never retried', async () => {
  for (const api of ['won', 'rest']) {
    const c = mk(api, { token: 'wrong-token' });
    await assert.rejects(c.get('customers', '1'), crm('INVALID_AUTH_TOKEN', { operation: 'customers.get', status: api === 'won' ? 401 : 404 }));
    await assert.rejects(all(c.list('leads')), crm('INVALID_AUTH_TOKEN', { operation: 'leads.list' }));
    await assert.rejects(c.create('leads', fixtures(api).leads[0]), crm('INVALID_AUTH_TOKEN', { operation: 'leads.create' }));
  }
});

test('REST read-only token: reads work, writes are ACCESS_DENIED 403', async () => {
  const ro = mk('rest', { token: `${sim.perfexToken}-ro` });
  assert.equal((await ro.get('customers', '1')).userid, '1');
  await assert.rejects(ro.create('customers', { company: 'RO Co' }), crm('ACCESS_DENIED', { status: 403, operation: 'customers.create' }));
  await assert.rejects(ro.update('customers', '1', { city: 'X' }), crm('ACCESS_DENIED', { status: 403, operation: 'customers.update' }));
  await assert.rejects(ro.delete('customers', '1'), crm('ACCESS_DENIED', { status: 403, operation: 'customers.delete' }));
  assert.equal((await mk('rest').get('customers', '1')).userid, '1', 'nothing was deleted');
});

test('server validation: VALIDATION_FAILED with the field errors kept (REST 409/404 error objects)', async () => {
  const c = mk('rest');
  const f = fixtures('rest').contacts[0];
  await c.create('contacts', f);
  await assert.rejects(c.create('contacts', { ...f, lastname: 'Again' }), (e) => crm('VALIDATION_FAILED', { status: 409, operation: 'contacts.create' })(e) && e.fieldErrors.email === 'This Email is already exists');
  const inv = fixtures('rest').invoices[0];
  await c.create('invoices', inv);
  await assert.rejects(c.create('invoices', inv), (e) => crm('VALIDATION_FAILED', { operation: 'invoices.create' })(e) && e.fieldErrors.number === 'Invoice number is already exists');
  // a contact whose customer does not exist
  await assert.rejects(c.create('contacts', { ...fixtures('rest').contacts[0], customer_id: '99999' }), (e) => crm('VALIDATION_FAILED')(e) && typeof e.fieldErrors.customer_id === 'string');
});

test('not found: RECORD_NOT_FOUND for get/update/delete in both modules', async () => {
  for (const api of ['won', 'rest']) {
    const c = mk(api);
    await assert.rejects(c.get('projects', '987654'), crm('RECORD_NOT_FOUND', { operation: 'projects.get', status: 404 }));
    await assert.rejects(c.update('tasks', '987654', { name: 'x', startdate: '2025-01-01' }), crm('RECORD_NOT_FOUND', { operation: 'tasks.update' }));
    await assert.rejects(c.delete('leads', '987654'), crm('RECORD_NOT_FOUND', { operation: 'leads.delete' }));
  }
  await assert.rejects(mk('rest').get('contacts', '987654', { customerId: '1' }), crm('RECORD_NOT_FOUND'));
});

test('WON server 500 (unknown column): SERVER_ERROR, POST not retried', async () => {
  let posts = 0;
  const c = mk('won', { fetch: (u, i) => (i.method === 'POST' && posts++, fetch(u, i)) });
  await assert.rejects(c.create('customers', { company: `X ${tag()}`, no_such_column: 'x' }), crm('SERVER_ERROR', { status: 500, operation: 'customers.create' }));
  assert.equal(posts, 1);
});

test('--perfex-won-defects: API calls 500 (PHP fatal page), POSTs 403 CSRF page; join still works', async () => {
  const c = new PerfexClient({ url: defects.url, token: defects.perfexToken, api: 'won', retry: 0 });
  await assert.rejects(c.get('customers', '1'), (e) => crm('SERVER_ERROR', { status: 500, operation: 'customers.get' })(e) && typeof e.snippet === 'string' && e.snippet.length > 0);
  await assert.rejects(all(c.list('invoices')), crm('SERVER_ERROR', { status: 500, operation: 'invoices.list' }));
  await assert.rejects(c.create('leads', { name: 'CSRF' }), (e) => crm('ACCESS_DENIED', { status: 403, operation: 'leads.create' })(e) && /CSRF/.test(e.message) && /csrf_exclude_uris/.test(e.message));
  await assert.rejects(c.update('leads', '1', { name: 'x' }), crm('SERVER_ERROR', { status: 500, operation: 'leads.update' }));
  assert.equal((await c.joinByVat('12345678901')).userid, '1');
  // the REST module of the same server is unaffected
  const r = new PerfexClient({ url: defects.url, token: defects.perfexToken, api: 'rest' });
  assert.equal((await r.get('customers', '1')).userid, '1');
});

test('non-JSON and wrong-shape bodies: INVALID_RESPONSE with a snippet', async () => {
  for (const api of ['won', 'rest']) {
    const html = fixed(200, '<html><body>Maintenance</body></html>');
    await assert.rejects(mk(api, { fetch: html }).get('customers', '1'), (e) => crm('INVALID_RESPONSE', { status: 200, operation: 'customers.get' })(e) && e.snippet.includes('Maintenance'));
    await assert.rejects(all(mk(api, { fetch: fixed(200, 'not json') }).list('tasks')), crm('INVALID_RESPONSE', { operation: 'tasks.list' }));
    await assert.rejects(mk(api, { fetch: fixed(201, '') }).create('leads', fixtures(api).leads[0]), crm('INVALID_RESPONSE', { operation: 'leads.create' }));
  }
  await assert.rejects(mk('won', { fetch: fixed(200, '{"success":true,"data":"x"}', { 'content-type': 'application/json' }) }).get('customers', '1'), crm('INVALID_RESPONSE'));
  await assert.rejects(mk('rest', { fetch: fixed(200, '{"status":false}', { 'content-type': 'application/json' }) }).delete('tasks', '1'), crm('INVALID_RESPONSE'));
});

test('transport errors: TRANSPORT with cause; GETs retried, writes never', async () => {
  for (const api of ['won', 'rest']) {
    let calls = 0;
    const boom = async () => {
      calls++;
      throw new TypeError('fetch failed: ECONNREFUSED');
    };
    const c = mk(api, { fetch: boom });
    await assert.rejects(c.get('customers', '1'), (e) => crm('TRANSPORT', { operation: 'customers.get' })(e) && e.cause instanceof TypeError && /ECONNREFUSED/.test(e.message));
    assert.equal(calls, 3, 'one try + 2 retries');
    calls = 0;
    await assert.rejects(c.create('leads', fixtures(api).leads[0]), crm('TRANSPORT', { operation: 'leads.create' }));
    await assert.rejects(c.update('leads', '1', { name: 'x' }), crm('TRANSPORT'));
    await assert.rejects(c.delete('leads', '1'), crm('TRANSPORT'));
    assert.equal(calls, 3, 'POST, PUT, DELETE: one try each');
  }
  // the real network: nothing listens on port 9
  await assert.rejects(new PerfexClient({ url: 'http://127.0.0.1:9', token: 't', api: 'won', retry: 0 }).get('tasks', '1'), crm('TRANSPORT'));
});

test('502/503/504: GETs retried then succeed; POST answered once', async () => {
  for (const api of ['won', 'rest']) {
    let n = 0;
    const flaky = async (u, i) => (++n <= 2 ? new Response('bad gateway', { status: [502, 503][n - 1] }) : fetch(u, i));
    assert.equal((await mk(api, { fetch: flaky }).get('customers', '2')).userid, '2');
    assert.equal(n, 3);
    const always = fixed(504, 'gateway timeout');
    await assert.rejects(mk(api, { fetch: always }).get('customers', '2'), crm('SERVER_ERROR', { status: 504 }));
    assert.equal(always.calls, 3);
    const post = fixed(503, 'unavailable');
    await assert.rejects(mk(api, { fetch: post }).create('leads', fixtures(api).leads[0]), crm('SERVER_ERROR', { status: 503 }));
    assert.equal(post.calls, 1);
  }
});

test('timeout covers the body read, and a missing answer', async () => {
  for (const api of ['won', 'rest']) {
    const t0 = Date.now();
    const c = new PerfexClient({ url: stallUrl, token: 't', api, timeoutMs: 150, retry: 0 });
    await assert.rejects(c.get('customers', '1'), (e) => crm('TIMEOUT', { operation: 'customers.get' })(e) && e.cause !== undefined);
    assert.ok(Date.now() - t0 < 3000);
    const h = new PerfexClient({ url: `${stallUrl}/stall-headers`, token: 't', api, timeoutMs: 100, retry: 0 });
    await assert.rejects(h.create('customers', { company: 'T' }), crm('TIMEOUT', { operation: 'customers.create' }));
  }
});

test('abort: per-call signal, before and during the request, and between pages', async () => {
  for (const api of ['won', 'rest']) {
    const pre = new AbortController();
    pre.abort(new Error('user cancelled'));
    const never = fixed(200, '{}');
    await assert.rejects(mk(api, { fetch: never }).get('customers', '1', { signal: pre.signal }), (e) => crm('ABORTED', { operation: 'customers.get' })(e) && e.cause.message === 'user cancelled');
    assert.equal(never.calls, 0);

    const ac = new AbortController();
    const c = new PerfexClient({ url: stallUrl, token: 't', api, timeoutMs: 10_000, retry: 0 });
    const p = c.create('customers', { company: 'A' }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, crm('ABORTED', { operation: 'customers.create' }));

    const ac2 = new AbortController();
    let n = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of mk(api).list('tasks', { pageSize: 5, signal: ac2.signal })) if (++n === 5) ac2.abort();
      })(),
      crm('ABORTED', { operation: 'tasks.list' }),
    );
    assert.equal(n, 5, 'stops at the page boundary');
  }
});

test('REST v2 (unpaged whole-list answers): one request, sliced into pages, abort honoured between slices', async () => {
  const urls = [];
  // a v2 server ignores page/per_page and answers the bare array
  const v2 = async (u, i) => (urls.push(u), fetch(u.replace(/\?.*$/, ''), i));
  const direct = await all(mk('rest').list('tasks', { pageSize: 100 }));
  const sliced = await all(mk('rest', { fetch: v2 }).list('tasks', { pageSize: 4 }));
  assert.deepEqual(sliced.map((t) => t.id), direct.map((t) => t.id));
  assert.equal(urls.length, 1);
  const ac = new AbortController();
  let n = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of mk('rest', { fetch: v2 }).list('tasks', { pageSize: 4, signal: ac.signal })) if (++n === 6) ac.abort();
    })(),
    crm('ABORTED', { operation: 'tasks.list' }),
  );
  assert.equal(n, 8, 'the current slice is finished, the next one is not started');
});
