// What the simulator cannot produce, against the in-process stand-in (fake-vtiger.mjs):
// gateway statuses (502/503/504) and short pages (rows dropped by record-level permissions
// after the SQL LIMIT). Everything else runs against crmwire-sim (vtiger-*.test.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startFake } from './fake-vtiger.mjs';

const fake = await startFake();
test.after(() => fake.close());
const mk = (o = {}) => new VtigerClient({ url: fake.url, username: 'admin', accessKey: fake.key, retry: { retries: 2, baseMs: 5 }, ...o });

test('queryAll pages past a short page (60 of 100 rows) with no loss or duplicates; count too', async () => {
  const c = mk();
  const ids = [];
  for await (const row of c.queryAll(select('Contacts').fields('lastname'))) ids.push(row.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, fake.records.length);
  assert.equal(await c.count('SELECT * FROM Contacts;'), fake.records.length);
});

test('GET retried on 503 (twice), reported after the retries; POST never retried on 503', async () => {
  const c = mk();
  await c.login();
  fake.st.failNext = { op: 'listtypes', kind: 'status', status: 503, times: 2 };
  assert.ok((await c.listTypes()).types);
  fake.st.failNext = { op: 'listtypes', kind: 'status', status: 502, times: 3 };
  await assert.rejects(c.listTypes(), (e) => isCrmError(e) && e.status === 502 && e.operation === 'listtypes');
  fake.st.failNext = null;
  const creates = fake.st.creates;
  const sent = fake.st.requests.filter((r) => r.op === 'create').length;
  fake.st.failNext = { op: 'create', kind: 'status', status: 503, times: 1 };
  await assert.rejects(c.create('Contacts', { lastname: 'Once' }), (e) => isCrmError(e) && e.status === 503);
  assert.equal(fake.st.creates - creates, 0);
  assert.equal(fake.st.requests.filter((r) => r.op === 'create').length - sent, 1);
  fake.st.failNext = null;
});
