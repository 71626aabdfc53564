// Every fault switch of the simulator → transparent recovery or the right typed error;
// timeouts (covering the body) and aborts; a POST is never sent twice.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startSim, spyFetch, assertNoSecrets } from './sim.mjs';

const sim = await startSim({ seedRecords: 120 });
test.after(() => sim.close());
const spy = spyFetch(sim.accessKey);
const errors = [];
const ops = [];
const mk = (o = {}) => new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, fetch: spy.fetch, retry: { retries: 2, baseMs: 5 }, onRequest: (r) => ops.push(r.operation), ...o });
const c = mk();
await c.login();
test.afterEach(() => sim.clearFaults());
const count = (op) => ops.filter((o) => o === op).length;
async function rejects(p, code, extra = {}) {
  let err;
  await assert.rejects(p, (e) => {
    err = e;
    errors.push(e);
    assert.ok(isCrmError(e), String(e));
    assert.equal(e.code, code, e.message);
    for (const [k, v] of Object.entries(extra)) assert.deepEqual(e[k], v, k);
    return true;
  });
  return err;
}

test('php_notice and bom before the JSON: decoded transparently', async () => {
  for (const fault of ['php_notice', 'bom']) {
    await sim.fault({ fault, count: 1, operation: 'retrieve' });
    const [row] = await c.query(select('Contacts').limit(1));
    const r = await c.retrieve(row.id);
    assert.equal(r.id, row.id, fault);
    assert.equal((await sim.faults()).length, 0, `${fault} consumed`);
  }
  await sim.fault({ fault: 'php_notice', count: 1, operation: 'create' });
  const made = await c.create('Contacts', { lastname: 'Noticed', assigned_user_id: '19x1' });
  assert.match(made.id, /^12x\d+$/);
});

test('control_char (raw U+000B in a string): decoded transparently', async () => {
  await sim.fault({ fault: 'control_char', count: 1, operation: 'query' });
  const rows = await c.query(select('Contacts').fields('lastname').limit(3));
  assert.equal(rows.length, 3);
  assert.equal((await sim.faults()).length, 0);
});

test('html_fatal and truncated: INVALID_RESPONSE with a short secret-free snippet', async () => {
  const e1 = await rejects((async () => { await sim.fault({ fault: 'html_fatal', count: 1, operation: 'listtypes' }); return c.listTypes(); })(), 'INVALID_RESPONSE', { operation: 'listtypes', status: 200 });
  assert.ok(e1.snippet === undefined || e1.snippet.length <= 200);
  await sim.fault({ fault: 'truncated', count: 1, operation: 'query' });
  await rejects(c.query(select('Contacts').limit(5)), 'INVALID_RESPONSE', { operation: 'query' });
  // The next call is fine (nothing cached from the broken answer).
  assert.equal((await c.query(select('Contacts').limit(5))).length, 5);
});

test('empty_500: SERVER_ERROR with status 500 (not retried: it is not a gateway error)', async () => {
  ops.length = 0;
  await sim.fault({ fault: 'empty_500', count: 1, operation: 'describe' });
  await rejects(c.describe('Potentials'), 'SERVER_ERROR', { status: 500, operation: 'describe' });
  assert.equal(count('describe'), 1);
  assert.equal((await c.describe('Potentials')).name, 'Potentials', 'a failed describe is not cached');
});

test('reset on a GET: retried transparently', async () => {
  ops.length = 0;
  await sim.fault({ fault: 'reset', count: 2, operation: 'query' });
  const rows = await c.query(select('Contacts').limit(2));
  assert.equal(rows.length, 2);
  assert.equal(count('query'), 3);
  await sim.fault({ fault: 'reset', count: 3, operation: 'listtypes' });
  await rejects(c.listTypes(), 'TRANSPORT', { operation: 'listtypes' });
});

test('reset on create: TRANSPORT, and the create is NOT sent again', async () => {
  const before = await sim.stats();
  ops.length = 0;
  await sim.fault({ fault: 'reset', count: 1, operation: 'create' });
  await rejects(c.create('Contacts', { lastname: 'OnceOnly', assigned_user_id: '19x1' }), 'TRANSPORT', { operation: 'create' });
  assert.equal(count('create'), 1, 'one create request on the wire');
  const after = await sim.stats();
  assert.equal(after.records.Contacts, before.records.Contacts, 'no record created by a second attempt');
  assert.equal(await c.count(select('Contacts').where('lastname', 'OnceOnly')), 0);
  // Same for revise and delete (POST operations).
  const [row] = await c.query(select('Contacts').limit(1));
  ops.length = 0;
  await sim.fault({ fault: 'reset', count: 1, operation: 'delete' });
  await rejects(c.delete(row.id), 'TRANSPORT');
  assert.equal(count('delete'), 1);
  assert.equal((await c.retrieve(row.id)).id, row.id);
});

test('expire_sessions: one re-login, call repeated transparently (GET and POST)', async () => {
  const logins = (await sim.stats()).logins;
  await sim.fault({ fault: 'expire_sessions', count: 1, operation: 'create' });
  const made = await c.create('Contacts', { lastname: 'AfterExpiry', assigned_user_id: '19x1' });
  assert.equal(await c.count(select('Contacts').where('lastname', 'AfterExpiry')), 1, 'created exactly once');
  await sim.fault({ fault: 'expire_sessions', count: 1, operation: 'retrieve' });
  assert.equal((await c.retrieve(made.id)).id, made.id);
  assert.equal((await sim.stats()).logins, logins + 2);
});

test('delay_headers_ms over timeoutMs: TIMEOUT; under it: success', async () => {
  const slow = mk({ timeoutMs: 150, retry: 0 });
  await slow.login();
  await sim.fault({ fault: 'delay_headers_ms', ms: 400, count: 1, operation: 'listtypes' });
  const t0 = Date.now();
  await rejects(slow.listTypes(), 'TIMEOUT', { operation: 'listtypes' });
  assert.ok(Date.now() - t0 < 380, 'gave up at the timeout, not at the answer');
  await sim.fault({ fault: 'delay_headers_ms', ms: 50, count: 1, operation: 'listtypes' });
  assert.ok((await slow.listTypes()).types.length);
});

test('delay_body_ms: the timeout covers the body read', async () => {
  const slow = mk({ timeoutMs: 200, retry: 0 });
  await slow.login();
  await sim.fault({ fault: 'delay_body_ms', ms: 500, count: 1, operation: 'query' });
  await rejects(slow.query(select('Contacts').limit(50)), 'TIMEOUT', { operation: 'query' });
  await sim.fault({ fault: 'delay_body_ms', ms: 30, count: 1, operation: 'query' });
  assert.equal((await slow.query(select('Contacts').limit(50))).length, 50);
});

test('abort: ABORTED for a pending request, an aborted signal and a running queryAll', async () => {
  await sim.fault({ fault: 'delay_headers_ms', ms: 500, count: 1, operation: 'retrieve' });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const [row] = await c.query(select('Contacts').limit(1));
  await rejects(c.retrieve(row.id, { signal: ac.signal }), 'ABORTED', { operation: 'retrieve' });
  ops.length = 0;
  await rejects(c.listTypes({ signal: AbortSignal.abort() }), 'ABORTED');
  assert.equal(count('listtypes'), 0, 'nothing sent with an aborted signal');
  const ac2 = new AbortController();
  let n = 0;
  await rejects(
    (async () => {
      for await (const _ of c.queryAll(select('Contacts'), { signal: ac2.signal })) if (++n === 100) ac2.abort();
    })(),
    'ABORTED',
  );
  assert.equal(n, 100);
  // Abort during the retry back-off of a reset GET.
  await sim.fault({ fault: 'reset', count: 5, operation: 'query' });
  const slowRetry = mk({ retry: { retries: 3, baseMs: 300 } });
  const ac3 = new AbortController();
  setTimeout(() => ac3.abort(), 100);
  await rejects(slowRetry.query(select('Contacts').limit(1), { signal: ac3.signal }), 'ABORTED');
});

test('X-Sim-Fault per request through a custom fetch (header wins over rules)', async () => {
  const viaHeader = mk({ fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, 'X-Sim-Fault': 'bom' } }) });
  assert.ok((await viaHeader.listTypes()).types.length);
});

test('no error carries the access key, a session name or a challenge token', () => {
  assert.ok(errors.length >= 12, `${errors.length}`);
  assertNoSecrets(spy.secrets, errors, assert);
});
