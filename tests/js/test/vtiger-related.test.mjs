// Related records against the simulator, which rewrites query_related text as Vtiger does
// (issue 17 items 2, 3, 6, 8; live findings A-C): only the first OR group scoped, 100 rows at
// most per call, the text split on the word WHERE, its WHERE appended after ORDER BY / LIMIT.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startSim } from './sim.mjs';

const sim = await startSim();
test.after(() => sim.close());
const sent = [];
const mk = (o = {}) => new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, onRequest: (r) => sent.push(r), ...o });
const c = mk();
const me = (await c.login()).userId;
const P = `rel${process.pid}`;
const num = (id) => Number(id.split('x')[1]);
const ids = (rows) => rows.map((r) => r.id).sort((a, b) => num(a) - num(b));
const texts = () => sent.filter((r) => r.operation === 'query_related').map((r) => new URL(r.url).searchParams.get('query'));
async function all(it) {
  const out = [];
  for await (const r of it) out.push(r);
  return out;
}
const contact = (lastname, account) => c.create('Contacts', { lastname, assigned_user_id: me, ...(account ? { account_id: account.id } : {}) });

// Account A: one related and one unrelated Contact per OR group, a related one named with WHERE.
// Account B: 130 related Contacts with 10 unrelated ones between them (ids interleaved).
const A = {};
const B = { related: [], unrelated: [] };
A.acc = await c.create('Accounts', { accountname: `${P} A`, assigned_user_id: me });
A.relA = await contact(`${P} OrA`, A.acc);
A.unrelA = await contact(`${P} OrA`);
A.relB = await contact(`${P} OrB`, A.acc);
A.unrelB = await contact(`${P} OrB`);
A.where = await contact(`${P} Up WHERE Down`, A.acc);
B.acc = await c.create('Accounts', { accountname: `${P} B`, assigned_user_id: me });
for (let i = 0; i < 140; i++) {
  const unrelated = i % 14 === 13;
  const r = await contact(`${P} Big ${String(i).padStart(3, '0')}`, unrelated ? null : B.acc);
  (unrelated ? B.unrelated : B.related).push(r);
}
const A_OR = ids([A.relA, A.relB]);

test('OR: only related records, whatever the order of the groups and the form of the query', async () => {
  sent.length = 0;
  const q = select('Contacts').fields('id', 'lastname').where('lastname', `${P} OrA`).orWhere('lastname', `${P} OrB`);
  assert.deepEqual(ids(await c.queryRelated(q, A.acc.id, 'Contacts')), A_OR);
  assert.ok(texts().every((t) => !/ OR /.test(t)), texts().join('\n'));
  const raw = `SELECT id, lastname FROM Contacts WHERE lastname = '${P} OrB' OR lastname = '${P} OrA';`;
  assert.deepEqual(ids(await c.queryRelated(raw, A.acc.id, 'Contacts')), A_OR);
  const obj = { module: 'Contacts', fields: ['id'], where: { or: [{ field: 'lastname', value: `${P} OrA` }, { field: 'lastname', op: 'like', value: `${P} OrB%` }] } };
  assert.deepEqual(ids(await c.queryRelated(obj, A.acc.id, 'Contacts')), A_OR);
  // A record matching two groups comes once.
  const both = select('Contacts').fields('id').where('lastname', 'like', `${P} Or%`).orWhere('lastname', `${P} OrA`);
  assert.deepEqual(ids(await c.queryRelated(both, A.acc.id, 'Contacts')), A_OR);
});

test('past 100: retrieveRelated and queryRelated return all 130, none of the 10 unrelated in between', async () => {
  sent.length = 0;
  const got = await c.retrieveRelated(B.acc.id, 'Contacts', 'Contacts');
  assert.equal(got.length, 130);
  assert.deepEqual(ids(got), ids(B.related));
  assert.deepEqual(got.map((r) => r.id), ids(got), 'ascending id order');
  assert.ok(got.every((r) => r.lastname && r.account_id === B.acc.id), 'SELECT * rows');
  // 100, 30, then the empty page that ends paging.
  assert.equal(texts().length, 3, texts().join('\n'));
  const plain = await c.queryRelated(select('Contacts').fields('lastname'), B.acc.id, 'Contacts');
  assert.deepEqual(ids(plain), ids(B.related), 'id is added to the fields (the key)');
  const where = await c.queryRelated(select('Contacts').fields('id').where('lastname', 'like', `${P} Big %`), B.acc.id, 'Contacts');
  assert.deepEqual(ids(where), ids(B.related));
});

test('queryRelatedAll / retrieveRelatedAll iterate every related record; LIMIT is a total cap; leaving early stops', async () => {
  assert.deepEqual(ids(await all(c.queryRelatedAll(select('Contacts').fields('id'), B.acc.id, 'Contacts'))), ids(B.related));
  assert.deepEqual(ids(await all(c.retrieveRelatedAll(B.acc.id, 'Contacts', 'Contacts'))), ids(B.related));
  const or = await all(c.queryRelatedAll(select('Contacts').fields('id').where('lastname', 'like', `${P} Big 0%`).orWhere('lastname', 'like', `${P} Big 1%`), B.acc.id, 'Contacts'));
  assert.deepEqual(or.map((r) => r.id), ids(B.related), 'OR groups merged in id order');
  const capped = await all(c.queryRelatedAll({ module: 'Contacts', fields: ['id'], limit: 120, offset: 5 }, B.acc.id, 'Contacts'));
  assert.deepEqual(capped.map((r) => r.id), ids(B.related).slice(5, 125));
  const down = await all(c.queryRelatedAll(select('Contacts').fields('id').orderBy('id', 'desc').limit(101), B.acc.id, 'Contacts'));
  assert.deepEqual(down.map((r) => r.id), ids(B.related).reverse().slice(0, 101));
  sent.length = 0;
  let n = 0;
  for await (const r of c.queryRelatedAll(select('Contacts').fields('id'), B.acc.id, 'Contacts')) {
    assert.ok(r.id);
    if (++n === 3) break;
  }
  assert.equal(texts().length, 1, 'one page fetched, nothing after the break');
});

test('a literal holding WHERE: the intended row (written WH\\ERE); a name holding WHERE is refused', async () => {
  const name = `${P} Up WHERE Down`;
  sent.length = 0;
  const rows = await c.queryRelated(select('Contacts').fields('id', 'lastname').where('lastname', name), A.acc.id, 'Contacts');
  assert.deepEqual(rows, [{ id: A.where.id, lastname: name }]);
  assert.ok(texts()[0].includes("'rel") && texts()[0].includes('Up WH\\ERE Down'), texts()[0]);
  const raw = await c.queryRelated(`SELECT id FROM Contacts WHERE lastname LIKE '%WHERE%' OR lastname = '${name}';`, A.acc.id, 'Contacts');
  assert.deepEqual(ids(raw), [A.where.id]);
  await assert.rejects(c.queryRelated(select('Contacts').fields('cf_WHERE'), A.acc.id, 'Contacts'), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'query');
});

test('ORDER BY / LIMIT without WHERE: text the server accepts, sorted by the server', async () => {
  const want = [A.where, A.relB, A.relA].map((r) => ({ id: r.id, lastname: r.lastname }));
  assert.deepEqual(await c.queryRelated(select('Contacts').fields('id', 'lastname').orderBy('lastname', 'desc'), A.acc.id, 'Contacts'), want);
  assert.deepEqual(await c.queryRelated(select('Contacts').fields('id', 'lastname').orderBy('lastname').limit(2), A.acc.id, 'Contacts'), [...want].reverse().slice(0, 2));
  assert.deepEqual(await c.queryRelated(`SELECT id, lastname FROM Contacts ORDER BY lastname LIMIT 1, 1;`, A.acc.id, 'Contacts'), [want[1]]);
  // OR groups and ORDER BY: merged, then sorted by the server.
  const or = select('Contacts').fields('id', 'lastname').where('lastname', `${P} OrB`).orWhere('lastname', 'like', `${P} Up%`).orderBy('lastname');
  assert.deepEqual(await c.queryRelated(or, A.acc.id, 'Contacts'), [want[1], want[0]]);
  // Over 100 records an ORDER BY on another column cannot be answered exactly in one query.
  await assert.rejects(c.queryRelated(select('Contacts').fields('id').orderBy('lastname'), B.acc.id, 'Contacts'), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'orderBy');
  // …with one AND group and a LIMIT it can.
  const top = await c.queryRelated(select('Contacts').fields('lastname').orderBy('lastname', 'desc').limit(3), B.acc.id, 'Contacts');
  assert.deepEqual(top.map((r) => r.lastname), B.related.slice(-3).reverse().map((r) => r.lastname));
});

test('refused before sending: count(*), 4-byte characters (default policy), unparsable raw text', async () => {
  for (const [q, field] of [
    [select('Contacts').count(), 'fields'],
    [select('Contacts').where('lastname', `${P} 😀`), 'lastname'],
    [`SELECT id FROM Contacts WHERE lastname = '😀';`, 'lastname'],
    [`SELECT id FROM Contacts WHERE lastname = Fixture;`, 'query'],
  ]) {
    sent.length = 0;
    await assert.rejects(c.queryRelated(q, A.acc.id, 'Contacts'), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === field && e.operation === 'query_related', String(q));
    assert.deepEqual(texts(), []);
  }
});
