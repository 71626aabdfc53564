// VtigerClient mechanics against the in-process fake: sessions, paging, errors, transport.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startFake } from './fake-vtiger.mjs';

const fake = await startFake();
test.after(() => fake.close());
const mk = (o = {}) => new VtigerClient({ url: fake.url, username: 'admin', accessKey: fake.key, retry: { retries: 2, baseMs: 5 }, ...o });
const rejects = (p, code) => assert.rejects(p, (e) => isCrmError(e) && e.code === code && (e.message.includes(fake.key) ? assert.fail('key leaked') : true));

test('invalid options are INVALID_INPUT naming the field, thrown by the constructor', () => {
  for (const [o, field] of [
    [{ url: 'ftp://h' }, 'url'],
    [{ url: 'http://u:p@h/' }, 'url'],
    [{ accessKey: '' }, 'accessKey'],
    [{ fourByteChars: 'maybe' }, 'fourByteChars'],
    [{ timeoutMs: -1 }, 'timeoutMs'],
  ]) {
    assert.throws(() => mk(o), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === field && !e.message.includes('u:p'));
  }
});

test('lazy single-flight login, create, retrieve, query, describe cache', async () => {
  const c = mk();
  const before = fake.st.logins;
  const [types, d1, d2] = await Promise.all([c.listTypes(), c.describe('Contacts'), c.describe('Contacts')]);
  assert.equal(fake.st.logins - before, 1);
  assert.ok(types.types.includes('Contacts'));
  assert.equal(d1.idPrefix, 12);
  assert.equal(d1, d2);
  const r = await c.create('Contacts', { lastname: 'Zoë' });
  assert.match(r.id, /^12x\d+$/);
  assert.equal((await c.retrieve(r.id)).lastname, 'Zoë');
  assert.equal((await c.query(select('Contacts').where('lastname', 'Zoë'))).length, 1);
  assert.equal(c.serverInfo().vtigerVersion, '8.3.0');
});

test('queryAll pages past short pages with no loss or dupes; count pages ids', async () => {
  const c = mk();
  const ids = [];
  for await (const row of c.queryAll(select('Contacts').fields('lastname'))) ids.push(row.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, fake.records.length);
  assert.equal(await c.count('SELECT * FROM Contacts;'), fake.records.length);
});

test('session expiry in the middle of queryAll: one re-login, the page repeated', async () => {
  const c = mk();
  await c.login();
  const logins = fake.st.logins;
  let n = 0;
  for await (const _ of c.queryAll({ module: 'Contacts' })) {
    if (++n === 150) fake.st.failNext = { op: 'query', kind: 'expire', times: 1 };
  }
  assert.equal(n, fake.records.length);
  assert.equal(fake.st.logins - logins, 1);
});

test('server errors keep code, crmCode, operation; secrets never in messages', async () => {
  const c = mk();
  await rejects(c.retrieve('12x999999'), 'ACCESS_DENIED');
  await c.retrieve('12x999999').catch((e) => {
    assert.equal(e.crmCode, 'ACCESS_DENIED');
    assert.equal(e.operation, 'retrieve');
    assert.equal(e.name, 'CrmError');
  });
  await rejects(mk({ accessKey: 'wrong' }).listTypes(), 'INVALID_USER_CREDENTIALS');
  await rejects(c.create('Contacts', { lastname: 'x😀' }), 'INVALID_INPUT');
  await c.create('Contacts', { lastname: 'x😀' }).catch((e) => assert.equal(e.field, 'lastname'));
  await rejects(c.retrieve('not-an-id'), 'INVALID_INPUT');
});

test('GET retried on 503 and network reset; POST create never sent twice', async () => {
  const c = mk();
  await c.login();
  fake.st.failNext = { op: 'listtypes', kind: 'status', status: 503, times: 2 };
  assert.ok((await c.listTypes()).types);
  fake.st.failNext = { op: 'retrieve', kind: 'reset', times: 1 };
  await c.retrieve('12x1');
  const creates = fake.st.creates;
  fake.st.failNext = { op: 'create', kind: 'reset', times: 1 };
  await rejects(c.create('Contacts', { lastname: 'Once' }), 'TRANSPORT');
  assert.equal(fake.st.creates - creates, 0);
  assert.equal(fake.st.requests.filter((r) => r.op === 'create').length, fake.st.requests.filter((r) => r.op === 'create').length);
});

test('timeout covers the response and abort is ABORTED', async () => {
  const c = mk({ timeoutMs: 100 });
  await c.login();
  fake.st.delayMs = 300;
  try {
    await rejects(c.listTypes(), 'TIMEOUT');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await rejects(mk({ timeoutMs: 5000 }).retrieve('12x1', { signal: ac.signal }), 'ABORTED');
  } finally {
    fake.st.delayMs = 0;
  }
});

test('sync falls back to a query when the server answers HTTP 500', async () => {
  const c = mk();
  const batches = [];
  for await (const b of c.sync('Contacts', { since: 0 })) batches.push(b);
  assert.ok(batches.every((b) => b.source === 'query'));
  assert.equal(batches.reduce((n, b) => n + b.updated.length, 0), fake.records.length);
  assert.equal(c.serverInfo().operations.sync, false);
});

test('logout, then the next call logs in again', async () => {
  const c = mk();
  await c.login();
  await c.logout();
  assert.ok((await c.listTypes()).types);
});
