// queryAll/count over 1,200+ rows, session expiry between pages, and queries too long for a
// GET split on their IN list.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startSim } from './sim.mjs';

const sim = await startSim({ seedRecords: 1234 });
test.after(() => sim.close());
const ops = [];
const c = new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, onRequest: (r) => ops.push(r) });

test('1,234 rows paged by keyset: no loss, no duplicates, ascending ids', async () => {
  ops.length = 0;
  const rows = [];
  for await (const r of c.queryAll(select('Contacts').fields('lastname', 'email'))) rows.push(r);
  const ids = rows.map((r) => r.id);
  assert.equal(ids.length, 1234);
  assert.equal(new Set(ids).size, 1234);
  const nums = ids.map((id) => Number(id.split('x')[1]));
  assert.deepEqual(nums, [...nums].sort((a, b) => a - b));
  assert.equal((await sim.stats()).records.Contacts, 1234);
  // 13 full/partial pages + the empty page that ends paging.
  assert.equal(ops.filter((o) => o.operation === 'query').length, 14);
  assert.equal(await c.count(select('Contacts')), 1234);
  assert.equal(await c.count({ module: 'Contacts', where: [[{ field: 'lastname', op: 'like', value: 'M%' }]] }), rows.filter((r) => r.lastname.startsWith('M')).length);
});

test('descending keyset and a condition with OR groups', async () => {
  const down = [];
  for await (const r of c.queryAll({ module: 'Contacts', fields: ['id'], orderBy: [{ field: 'id', dir: 'desc' }], limit: 250 })) down.push(Number(r.id.split('x')[1]));
  assert.equal(down.length, 250);
  assert.deepEqual(down, [...down].sort((a, b) => b - a));
  const q = select('Contacts').fields('lastname').where('lastname', 'like', 'M%').orWhere('lastname', 'like', 'L%');
  const got = [];
  for await (const r of c.queryAll(q)) got.push(r);
  assert.ok(got.length > 100, `${got.length}`);
  assert.ok(got.every((r) => /^[ML]/i.test(r.lastname)));
  assert.equal(new Set(got.map((r) => r.id)).size, got.length);
});

test('sessions expired between pages: exactly one re-login, the page repeated, nothing lost', async () => {
  await c.login();
  const logins = (await sim.stats()).logins;
  const ids = [];
  let n = 0;
  for await (const r of c.queryAll(select('Contacts').fields('id'))) {
    ids.push(r.id);
    if (++n === 450) await sim.fault({ fault: 'expire_sessions', count: 1, operation: 'query' });
  }
  assert.equal((await sim.stats()).logins, logins + 1);
  assert.equal(ids.length, 1234);
  assert.equal(new Set(ids).size, 1234);
});

test('idle expiry (clock moved past --session-idle-secs) is one transparent re-login', async () => {
  await c.listTypes();
  const logins = (await sim.stats()).logins;
  await sim.advanceClock(1441);
  assert.equal((await c.query(select('Contacts').limit(3))).length, 3);
  assert.equal((await sim.stats()).logins, logins + 1);
});

test('queryAll rejects what keyset paging cannot do (INVALID_INPUT naming the field)', async () => {
  const bad = [
    [select('Contacts').orderBy('lastname'), 'orderBy'],
    [select('Contacts').count(), 'fields'],
    ['SELECT * FROM Contacts ORDER BY lastname;', 'orderBy'],
    ['SELECT * FROM Contacts WHERE lastname = bare;', 'query'],
  ];
  for (const [q, field] of bad) {
    await assert.rejects(
      (async () => {
        for await (const _ of c.queryAll(q));
      })(),
      (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === field,
      String(q),
    );
  }
});

test('a GET over 8 KB with a long IN list is split; results concatenated without duplicates', async () => {
  const all = [];
  for await (const r of c.queryAll(select('Contacts').fields('lastname'))) all.push(r);
  const wanted = all.slice(0, 700);
  const names = wanted.map((r) => r.lastname);
  // Pad with names that match nothing, to make the list long.
  const list = [...names, ...Array.from({ length: 600 }, (_, i) => `Nobody${i}`), names[0].toUpperCase()];
  const q = select('Contacts').fields('lastname').where('lastname', 'in', list).where('lastname', '!=', 'x');
  ops.length = 0;
  const got = [];
  for await (const r of c.queryAll(q)) got.push(r);
  const queries = ops.filter((o) => o.operation === 'query');
  assert.ok(queries.length >= 3, `${queries.length} queries`);
  assert.ok(queries.every((o) => o.url.length <= 8192));
  const expect = new Set(wanted.map((r) => r.id));
  for (const r of all) if (names.includes(r.lastname)) expect.add(r.id); // same name, other record
  assert.equal(new Set(got.map((r) => r.id)).size, got.length, 'no duplicates (the upper-cased name matches again)');
  assert.deepEqual(got.map((r) => r.id).sort(), [...expect].sort());
  assert.equal(await c.count(q), expect.size);
  // query(): the parts' pages, concatenated.
  const small = select('Contacts').fields('lastname').where('lastname', 'in', [...names.slice(0, 40), ...Array.from({ length: 900 }, (_, i) => `Nobody${i}`)]);
  ops.length = 0;
  const page = await c.query(small);
  assert.ok(ops.filter((o) => o.operation === 'query').length >= 2);
  assert.deepEqual(page.map((r) => r.id).sort(), all.filter((r) => names.slice(0, 40).includes(r.lastname)).map((r) => r.id).sort());
});

test('a GET over 8 KB that cannot be split is refused before sending, with a clear error', async () => {
  const long = Array.from({ length: 1200 }, (_, i) => `Nobody${i}`);
  const cases = [
    select('Contacts').where('lastname', 'in', long).orWhere('firstname', 'x'),
    select('Contacts').where('lastname', 'in', long).orderBy('lastname'),
    select('Contacts').where('lastname', 'in', long).limit(10),
    select('Contacts').where('lastname', 'like', 'x'.repeat(9000)),
    `SELECT * FROM Contacts WHERE lastname IN (${long.map((n) => `'${n}'`).join(',')}) OR firstname = 'x';`,
  ];
  for (const q of cases) {
    ops.length = 0;
    await assert.rejects(c.query(q), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'query' && /8192 bytes/.test(e.message) && /cannot be split/.test(e.message));
    assert.equal(ops.filter((o) => o.operation === 'query').length, 0);
  }
});
