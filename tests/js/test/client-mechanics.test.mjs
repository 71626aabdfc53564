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

// The client parses a clean success envelope with one JSON.parse and hands everything else to
// the tolerant wasm decoder: both paths must give the same value, and failures typed errors.
test('clean and noisy envelopes decode to the same value; non-envelopes are typed errors', async () => {
  const result = { id: '12x7', lastname: 'Ünïcødé "q" \\ ☃', tags: [], nested: { a: [1, 2.5, -3e2, null, true] }, empty: {} };
  const clean = JSON.stringify({ success: true, result });
  let body = clean;
  let status = 200;
  const fetch = async (url, init) => {
    const op = init.method === 'GET' ? new URL(url).searchParams.get('operation') : new URLSearchParams(init.body).get('operation');
    if (op === 'getchallenge') return new Response('{"success":true,"result":{"token":"t0k","serverTime":1,"expireTime":2}}');
    if (op === 'login') return new Response('{"success":true,"result":{"sessionName":"s3ss","userId":"19x1","version":"0.22","vtigerVersion":"8.4.0"}}');
    return new Response(body, { status });
  };
  const c = new VtigerClient({ url: 'http://127.0.0.1:9', username: 'admin', accessKey: 'k', fetch, retry: 0 });
  const variants = {
    clean,
    bom: '\uFEFF' + clean,
    whitespace: '\n  ' + clean,
    notice: '<br />\n<b>Notice</b>: Undefined index: x in <b>/var/www/include/Webservices/Utils.php</b> on line 9<br />\n' + clean,
    rawControl: clean.replace('Ünïcødé', 'Ünïcødé\u000b').replace('"q"', '"q"'),
  };
  for (const [name, b] of Object.entries(variants)) {
    body = b;
    const got = await c.retrieve('12x7');
    const want = name === 'rawControl' ? { ...result, lastname: result.lastname.replace('Ünïcødé', 'Ünïcødé\u000b') } : result;
    assert.deepEqual(got, want, name);
  }
  body = '{"success":true}';
  assert.equal(await c.retrieve('12x7'), null);
  const bad = [
    ['{"success":false,"error":{"code":"ACCESS_DENIED","message":"Permission to perform the operation is denied"}}', 'ACCESS_DENIED'],
    ['{"success":"true","result":{}}', 'INVALID_RESPONSE'],
    ['{"result":{"id":"12x7"}}', 'INVALID_RESPONSE'],
    ['<html><body>Service unavailable</body></html>', 'INVALID_RESPONSE'],
    ['{"success":true,"result":{"id":"12x7"', 'INVALID_RESPONSE'],
  ];
  for (const [b, code] of bad) {
    body = b;
    await assert.rejects(c.retrieve('12x7'), (e) => isCrmError(e) && e.code === code && e.operation === 'retrieve', b);
  }
});

test('a timeout over 2^31-1 ms does not fire at once (hosts clamp such delays to 1 ms)', async () => {
  const fetch = async () => {
    await new Promise((r) => setTimeout(r, 20));
    return new Response('{"success":true,"result":{"id":"12x7"}}');
  };
  const c = new VtigerClient({ url: 'http://127.0.0.1:9', auth: 'proxy', fetch, timeoutMs: 1e12, retry: 0 });
  assert.deepEqual(await c.retrieve('12x7'), { id: '12x7' });
});
