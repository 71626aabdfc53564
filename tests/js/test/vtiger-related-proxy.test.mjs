// Related records in proxy mode: the client's planned query_related texts (one per OR group,
// keyset terms, WH\ERE in literals) pass crmwire/proxy's gate, which parses and re-renders them,
// and come back as the related records only.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { createVtigerProxy, toNodeListener } from 'crmwire/proxy';
import { startSim } from './sim.mjs';

const sim = await startSim();
const token = 'proxy-token-related-0123456789';
const handler = createVtigerProxy({
  target: sim.url,
  username: sim.username,
  accessKey: sim.accessKey,
  tokens: [token],
  allow: { modules: ['Contacts', 'Accounts'], operations: ['describe', 'create', 'query', 'query_related', 'retrieve_related'] },
  log: false,
});
const server = createServer(toNodeListener(handler));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
test.after(async () => {
  await new Promise((r) => server.close(r));
  await sim.close();
});
const forwarded = [];
const c = new VtigerClient({ url: `http://127.0.0.1:${server.address().port}/proxy`, auth: 'proxy', token, onRequest: (r) => forwarded.push(r) });
const num = (id) => Number(id.split('x')[1]);
const ids = (rows) => rows.map((r) => r.id).sort((a, b) => num(a) - num(b));

test('proxy mode: OR groups, past 100, a literal holding WHERE, ORDER BY: the related records only', async () => {
  const acc = await c.create('Accounts', { accountname: 'Proxy Rel Inc', assigned_user_id: '19x1' });
  const related = [];
  const unrelated = [];
  for (let i = 0; i < 106; i++) {
    const lastname = i === 0 ? 'PxR Up WHERE Down' : `PxR ${i % 2 ? 'Odd' : 'Even'} ${String(i).padStart(3, '0')}`;
    related.push(await c.create('Contacts', { lastname, account_id: acc.id, assigned_user_id: '19x1' }));
    if (i % 20 === 0) unrelated.push(await c.create('Contacts', { lastname, assigned_user_id: '19x1' }));
  }
  forwarded.length = 0;
  const all = await c.retrieveRelated(acc.id, 'Contacts', 'Contacts');
  assert.deepEqual(ids(all), ids(related));
  assert.ok(forwarded.every((r) => r.operation === 'query_related'), 'retrieveRelated pages through query_related');
  const or = await c.queryRelated(select('Contacts').fields('id').where('lastname', 'like', 'PxR Odd%').orWhere('lastname', 'startsWith', 'PxR Up'), acc.id, 'Contacts');
  assert.deepEqual(ids(or), ids(related.filter((r) => /Odd|Up/.test(r.lastname))));
  const where = await c.queryRelated(select('Contacts').fields('id', 'lastname').where('lastname', 'PxR Up WHERE Down'), acc.id, 'Contacts');
  assert.deepEqual(where, [{ id: related[0].id, lastname: 'PxR Up WHERE Down' }]);
  const top = await c.queryRelated(select('Contacts').fields('lastname').orderBy('lastname', 'desc').limit(2), acc.id, 'Contacts');
  assert.deepEqual(top.map((r) => r.lastname), ['PxR Up WHERE Down', 'PxR Odd 105']);
  await assert.rejects(c.queryRelated(select('Contacts').fields('id').where('lastname', '😀'), acc.id, 'Contacts'), (e) => isCrmError(e) && e.code === 'INVALID_INPUT');
});
