// Queries on a real server: raw text, builder and object form give the same rows and escape
// their literals; queryAll and count page past the server's 100-row cap by keyset on id.
import test from 'node:test';
import assert from 'node:assert/strict';
import { select, isCrmError } from 'crmwire';
import { mk, tracker, P, all } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;

test('query: raw text, builder and object form agree; literals escaped', async () => {
  const name = `${P} Q'uote\\d`;
  const made = await tr.create(c, 'Contacts', { lastname: name, assigned_user_id: me });
  await tr.create(c, 'Contacts', { lastname: `${P} Q'uote`, assigned_user_id: me }); // a near miss
  const rawLit = `'${name.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  const a = await c.query(`SELECT id, lastname FROM Contacts WHERE lastname = ${rawLit};`);
  const b = await c.query(select('Contacts').fields('id', 'lastname').where('lastname', name));
  const o = await c.query({ module: 'Contacts', fields: ['id', 'lastname'], where: { field: 'lastname', op: '=', value: name } });
  assert.deepEqual(a, [{ id: made.id, lastname: name }]);
  assert.deepEqual(b, a);
  assert.deepEqual(o, a);
  // The classic injection payloads are just values.
  assert.deepEqual(await c.query(select('Contacts').where('lastname', "x' OR 1=1) -- ")), []);
  assert.deepEqual(await c.query(select('Contacts').where('lastname', "x\\' AND lastname = ' OR 1=1) -- ")), []);
  // IN lists and OR groups (AND binds tighter).
  const both = await c.query(select('Contacts').fields('id').where('lastname', 'in', [name, `${P} Q'uote`]));
  assert.equal(both.length, 2);
  const or = await c.query(select('Contacts').fields('id').where('lastname', name).orWhere('lastname', `${P} Q'uote`));
  assert.deepEqual(or.map((r) => r.id).sort(), both.map((r) => r.id).sort());
  // One page is at most 100 rows, whatever LIMIT says; the builder refuses more.
  assert.equal((await c.query(select('Contacts').fields('id').limit(100))).length, 100);
  await assert.rejects(c.query(select('Contacts').limit(500)), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'limit');
});

test('queryAll and count past 100 rows (keyset on id; count(*) is [] on 8.3+)', async () => {
  const q = select('Contacts').fields('id', 'lastname').where('lastname', 'like', 'Fixture%');
  const rows = await all(c.queryAll(q));
  const ids = rows.map((r) => r.id);
  assert.ok(ids.length > 100, `${ids.length} rows`);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  const nums = ids.map((id) => Number(id.split('x')[1]));
  assert.deepEqual(nums, [...nums].sort((x, y) => x - y), 'ascending ids');
  assert.ok(rows.every((r) => r.lastname.startsWith('Fixture')));
  // An independent count: offset pages of raw text (LIMIT 100 is the server's cap).
  const offs = [];
  for (let off = 0; ; off += 100) {
    const page = await c.query(`SELECT id FROM Contacts WHERE lastname LIKE 'Fixture%' ORDER BY id LIMIT ${off},100;`);
    offs.push(...page.map((r) => r.id));
    if (page.length < 100) break;
  }
  assert.deepEqual(offs, ids);
  assert.equal(await c.count(q), ids.length);
  assert.equal(await c.count(`SELECT count(*) FROM Contacts WHERE lastname LIKE 'Fixture%';`), ids.length);
  assert.deepEqual(await c.query(`SELECT count(*) FROM Contacts WHERE lastname LIKE 'Fixture%';`), [], "the server's own count(*) answers []");
  // LIMIT in queryAll is a total cap; ORDER BY id desc pages downwards.
  assert.equal((await all(c.queryAll({ module: 'Contacts', fields: ['id'], limit: 130 }))).length, 130);
  const down = (await all(c.queryAll({ module: 'Contacts', fields: ['id'], where: { field: 'lastname', op: 'like', value: 'Fixture%' }, orderBy: [{ field: 'id', dir: 'desc' }] }))).map((r) => r.id);
  assert.deepEqual(down, [...ids].reverse());
});
