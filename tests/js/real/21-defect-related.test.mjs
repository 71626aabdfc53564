// Defects 2, 3, 6 and 8 of issue 17 (acceptance tests, expected to fail before the fix): related
// lists through query_related / retrieve_related. The server rewrites the query text: it scopes
// only the first OR group to the relation (2), runs it with its 100-row cap (3), splits the text
// on the word WHERE even inside a literal (6), and appends its WHERE after ORDER BY / LIMIT (8).
// The iterators for related records are queryRelatedAll(q, id, relatedLabel), like queryAll,
// and retrieveRelatedAll(id, relatedLabel, relatedType).
import test from 'node:test';
import assert from 'node:assert/strict';
import { select, isCrmError } from 'crmwire';
import { mk, tracker, P, sortIds, all } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;

// Account A: two related Contacts, one per OR group, and two unrelated ones matching the same
// groups; plus a related one whose name holds WHERE. Account B: 130 related Contacts and 10
// unrelated ones between them (same name pattern, ids in between).
const A = {};
const B = { related: [], unrelated: [] };
test.before(async () => {
  A.acc = await tr.create(c, 'Accounts', { accountname: `${P} Acc A`, assigned_user_id: me });
  A.relA = await tr.create(c, 'Contacts', { lastname: `${P} OrA`, account_id: A.acc.id, assigned_user_id: me });
  A.relB = await tr.create(c, 'Contacts', { lastname: `${P} OrB`, account_id: A.acc.id, assigned_user_id: me });
  A.unrelA = await tr.create(c, 'Contacts', { lastname: `${P} OrA`, assigned_user_id: me });
  A.unrelB = await tr.create(c, 'Contacts', { lastname: `${P} OrB`, assigned_user_id: me });
  A.where = await tr.create(c, 'Contacts', { lastname: `${P} Up WHERE Down`, account_id: A.acc.id, assigned_user_id: me });
  B.acc = await tr.create(c, 'Accounts', { accountname: `${P} Acc B`, assigned_user_id: me });
  for (let i = 0; i < 140; i++) {
    const unrelated = i % 14 === 13;
    const r = await tr.create(c, 'Contacts', { lastname: `${P} Big ${String(i).padStart(3, '0')}`, ...(unrelated ? {} : { account_id: B.acc.id }), assigned_user_id: me });
    (unrelated ? B.unrelated : B.related).push(r);
  }
});
const ids = (rows) => sortIds(rows);
const A_REL = () => ids([A.relA, A.relB]);
const num = (id) => Number(id.split('x')[1]);
const byId = (rows) => rows.map((r) => r.id).sort((a, b) => num(a) - num(b));

test('defect 2: queryRelated with OR returns only related records (builder, raw text swapped, object form)', async () => {
  const q1 = select('Contacts').fields('id', 'lastname').where('lastname', `${P} OrA`).orWhere('lastname', `${P} OrB`);
  assert.deepEqual(ids(await c.queryRelated(q1, A.acc.id, 'Contacts')), A_REL(), 'builder, OrA OR OrB');
  const raw = `SELECT id, lastname FROM Contacts WHERE lastname = '${P} OrB' OR lastname = '${P} OrA';`;
  assert.deepEqual(ids(await c.queryRelated(raw, A.acc.id, 'Contacts')), A_REL(), 'raw text, OrB OR OrA');
  const obj = { module: 'Contacts', fields: ['id'], where: [[{ field: 'lastname', value: `${P} OrA` }], [{ field: 'lastname', op: 'like', value: `${P} OrB%` }]] };
  assert.deepEqual(ids(await c.queryRelated(obj, A.acc.id, 'Contacts')), A_REL(), 'object form');
  // OR groups and an ORDER BY on another column: merged, then sorted by the server.
  const sorted = await c.queryRelated(select('Contacts').fields('id', 'lastname').where('lastname', `${P} OrA`).orWhere('lastname', 'startsWith', `${P} OrB`).orderBy('lastname', 'desc'), A.acc.id, 'Contacts');
  assert.deepEqual(sorted, [A.relB, A.relA].map((r) => ({ id: r.id, lastname: r.lastname })), 'OR + ORDER BY lastname DESC');
});

test('defect 3: retrieveRelated returns all 130 of 130 related records', { timeout: 60_000 }, async () => {
  const got = await c.retrieveRelated(B.acc.id, 'Contacts', 'Contacts');
  assert.equal(got.length, 130, `${got.length} of 130`);
  assert.deepEqual(ids(got), ids(B.related));
  const it = await all(c.retrieveRelatedAll(B.acc.id, 'Contacts', 'Contacts'));
  assert.deepEqual(it.map((r) => r.id), byId(B.related), 'retrieveRelatedAll: every one, in id order');
});

test('defect 3: queryRelated returns all 130 of 130 (no WHERE, and a WHERE matching them all), none unrelated', { timeout: 60_000 }, async () => {
  const plain = await c.queryRelated(select('Contacts').fields('id', 'lastname'), B.acc.id, 'Contacts');
  assert.equal(plain.length, 130, `no WHERE: ${plain.length} of 130`);
  assert.deepEqual(ids(plain), ids(B.related));
  const where = await c.queryRelated(select('Contacts').fields('id').where('lastname', 'like', `${P} Big %`), B.acc.id, 'Contacts');
  assert.equal(where.length, 130, `with WHERE: ${where.length} of 130`);
  assert.deepEqual(ids(where), ids(B.related));
});

test('defect 3: queryRelatedAll(q, id, label) iterates every related record, scoped, OR included', { timeout: 60_000 }, async () => {
  assert.equal(typeof c.queryRelatedAll, 'function', 'VtigerClient#queryRelatedAll is missing');
  const rows = await all(c.queryRelatedAll(select('Contacts').fields('id', 'lastname'), B.acc.id, 'Contacts'));
  assert.equal(rows.length, 130);
  assert.equal(new Set(rows.map((r) => r.id)).size, 130, 'no duplicates');
  assert.deepEqual(ids(rows), ids(B.related));
  const or = await all(c.queryRelatedAll(select('Contacts').fields('id').where('lastname', 'like', `${P} Big 0%`).orWhere('lastname', 'like', `${P} Big 1%`), B.acc.id, 'Contacts'));
  assert.deepEqual(ids(or), ids(B.related), 'OR groups, each scoped and paged');
  // LIMIT is a total cap, as in queryAll; an offset skips rows of the (id) order.
  assert.equal((await all(c.queryRelatedAll({ module: 'Contacts', fields: ['id'], limit: 120 }, B.acc.id, 'Contacts'))).length, 120);
  const window = await c.queryRelated({ module: 'Contacts', fields: ['id'], limit: 110, offset: 7 }, B.acc.id, 'Contacts');
  assert.deepEqual(window.map((r) => r.id), byId(B.related).slice(7, 117), 'LIMIT 7, 110');
});

test('defect 6: a literal holding WHERE through queryRelated: the intended row (sent as WH\\ERE)', async () => {
  const name = `${P} Up WHERE Down`;
  // Plain query handles it (the server only splits query_related text).
  assert.deepEqual(ids(await c.query(select('Contacts').fields('id').where('lastname', name))), [A.where.id]);
  // The client writes WH\ERE (MySQL reads WHERE); INVALID_INPUT before sending would also be
  // acceptable, a server error or another row never.
  const rows = await c.queryRelated(select('Contacts').fields('id', 'lastname').where('lastname', name), A.acc.id, 'Contacts');
  assert.deepEqual(rows, [{ id: A.where.id, lastname: name }]);
  const raw = await c.queryRelated(`SELECT id, lastname FROM Contacts WHERE lastname LIKE '%WHERE Down' OR lastname = '${name}';`, A.acc.id, 'Contacts');
  assert.deepEqual(raw, [{ id: A.where.id, lastname: name }], 'raw text, LIKE and OR');
  await assert.rejects(c.queryRelated(select('Contacts').fields('cf_WHERE'), A.acc.id, 'Contacts'), (e) => isCrmError(e) && e.code === 'INVALID_INPUT', 'a name holding WHERE: refused');
});

test('defect 8: builder ORDER BY / LIMIT without WHERE through queryRelated is accepted', async () => {
  const rows = await c.queryRelated(select('Contacts').fields('id', 'lastname').orderBy('lastname', 'desc'), A.acc.id, 'Contacts');
  const want = [A.where, A.relB, A.relA].map((r) => ({ id: r.id, lastname: r.lastname }));
  assert.deepEqual(rows, want);
  const lim = await c.queryRelated(select('Contacts').fields('id', 'lastname').orderBy('lastname').limit(2), A.acc.id, 'Contacts');
  assert.deepEqual(lim, [...want].reverse().slice(0, 2));
  const raw = await c.queryRelated('SELECT id, lastname FROM Contacts ORDER BY lastname LIMIT 1, 1;', A.acc.id, 'Contacts');
  assert.deepEqual(raw, [want[1]], 'raw text without WHERE (715, 911)');
  // Over 100 related records an ORDER BY on another column needs a LIMIT (one query); without
  // one it is refused rather than answered in part.
  const top = await c.queryRelated(select('Contacts').fields('lastname').orderBy('lastname', 'desc').limit(3), B.acc.id, 'Contacts');
  assert.deepEqual(top.map((r) => r.lastname), B.related.slice(-3).reverse().map((r) => r.lastname));
  await assert.rejects(c.queryRelated(select('Contacts').fields('id').orderBy('lastname'), B.acc.id, 'Contacts'), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'orderBy');
});
