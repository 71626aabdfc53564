// Related records on a real server, where the server's own answers are right: relatedTypes,
// and retrieveRelated / queryRelated on a small relation with a single AND group (the OR, the
// 100-row cap and the rewrite hazards are the defect scenarios in 20-defects-related).
import test from 'node:test';
import assert from 'node:assert/strict';
import { select } from 'crmwire';
import { mk, tracker, P, sortIds } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;

test('relatedTypes(Accounts) lists Contacts and Documents', async () => {
  const rt = await c.relatedTypes('Accounts');
  for (const m of ['Contacts', 'Potentials', 'Documents', 'HelpDesk']) assert.ok(rt.types.includes(m), m);
  assert.equal(rt.information.Contacts.name, 'Contacts');
});

test('retrieveRelated and queryRelated on a small relation (one AND group)', async () => {
  const acc = await tr.create(c, 'Accounts', { accountname: `${P} Small Acc`, assigned_user_id: me });
  const rel = [];
  for (const n of ['Ann', 'Bob', 'Cy']) rel.push(await tr.create(c, 'Contacts', { lastname: `${P} Small ${n}`, account_id: acc.id, assigned_user_id: me }));
  const other = await tr.create(c, 'Contacts', { lastname: `${P} Small Ann`, assigned_user_id: me }); // same name, unrelated
  const got = await c.retrieveRelated(acc.id, 'Contacts', 'Contacts');
  assert.deepEqual(sortIds(got), sortIds(rel));
  assert.equal(got.find((r) => r.id === rel[0].id).lastname, `${P} Small Ann`);
  const q = await c.queryRelated(select('Contacts').fields('id', 'lastname').where('lastname', `${P} Small Ann`), acc.id, 'Contacts');
  assert.deepEqual(q, [{ id: rel[0].id, lastname: `${P} Small Ann` }]);
  assert.ok(!q.some((r) => r.id === other.id));
  const inList = await c.queryRelated(select('Contacts').fields('id').where('lastname', 'in', [`${P} Small Ann`, `${P} Small Cy`]), acc.id, 'Contacts');
  assert.deepEqual(sortIds(inList), sortIds([rel[0], rel[2]]));
});
