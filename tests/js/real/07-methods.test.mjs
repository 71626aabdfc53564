// The remaining methods of the simulator suites, as the real servers answer them: call(), one
// login for many concurrent first calls, addRelated, convertLead, retrieveInventory. Stock 8.3.0
// answers convertlead and retrieve_inventory with HTTP 500 (PHP 8 named parameters); 8.4.0 still
// does for retrieve_inventory; the patched 8.3.0 runs both.
import test from 'node:test';
import assert from 'node:assert/strict';
import { select, isCrmError } from 'crmwire';
import { mk, tracker, P, tag, profile, stock83, sortIds } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;

test('call() runs any operation', async () => {
  const t = await c.call('listtypes');
  assert.ok(t.types.includes('Contacts'));
  const d = await c.call('describe', { elementType: 'Leads' });
  assert.equal(d.name, 'Leads');
  await assert.rejects(c.call('no_such_op'), (e) => isCrmError(e) && e.code === 'SERVER_ERROR' && e.status === 500);
});

test('concurrent first calls of one client share one login (single flight)', async () => {
  const c2 = mk();
  await Promise.all([c2.listTypes(), c2.describe('Leads'), c2.query(select('Leads').fields('id').limit(1)), c2.count(select('Accounts'))]);
  assert.equal(c2.ops.filter((o) => o === 'login').length, 1, c2.ops.join(','));
  assert.equal(c2.ops.filter((o) => o === 'getchallenge').length, 1);
});

test('addRelated links a Contact to a Potential (M:N); on Accounts → Contacts it is a silent no-op', async () => {
  const pot = await tr.create(c, 'Potentials', { potentialname: `${P} Pot`, closingdate: '2030-01-31', sales_stage: 'Prospecting', assigned_user_id: me });
  const ct = await tr.create(c, 'Contacts', { lastname: `${P} Relatee`, assigned_user_id: me });
  assert.deepEqual(await c.addRelated(pot.id, ct.id, 'Contacts'), { message: 'successfull' });
  assert.deepEqual(sortIds(await c.retrieveRelated(pot.id, 'Contacts', 'Contacts')), [ct.id]);
  // Real servers answer success here too, but Accounts–Contacts is the account_id field: nothing
  // is linked. (The simulator links it.)
  const acc = await tr.create(c, 'Accounts', { accountname: `${P} NoLink`, assigned_user_id: me });
  assert.deepEqual(await c.addRelated(acc.id, ct.id, 'Contacts'), { message: 'successfull' });
  assert.deepEqual(await c.retrieveRelated(acc.id, 'Contacts', 'Contacts'), []);
  assert.equal((await c.retrieve(ct.id)).account_id, null);
});

test('convertLead: Account and Contact created, a second conversion refused (stock 8.3: HTTP 500)', async () => {
  const lead = await tr.create(c, 'Leads', { lastname: `${P} Lead`, company: `${P} Lead Co`, assigned_user_id: me });
  const element = {
    leadId: lead.id,
    assignedTo: me,
    entities: {
      Accounts: { create: true, name: 'Accounts', accountname: `${P} Lead Co`, description: tag },
      Contacts: { create: true, name: 'Contacts', lastname: `${P} Lead`, description: tag },
    },
  };
  if (stock83) {
    await assert.rejects(c.convertLead(element), (e) => isCrmError(e) && e.code === 'SERVER_ERROR' && e.status === 500);
    assert.equal(c.serverInfo().operations.convertlead, false);
    return;
  }
  const conv = await c.convertLead(element);
  for (const id of Object.values(conv ?? {})) tr.track(id);
  assert.match(conv.Accounts, /^11x\d+$/);
  assert.match(conv.Contacts, /^12x\d+$/);
  assert.equal((await c.retrieve(conv.Contacts)).account_id, conv.Accounts);
  await assert.rejects(c.convertLead(element), (e) => isCrmError(e) && e.code === 'LEAD_ALREADY_CONVERTED');
});

test('retrieveInventory: HTTP 500 (SERVER_ERROR) on stock 8.x; the record on the patched server', async () => {
  const acc = await tr.create(c, 'Accounts', { accountname: `${P} Inv`, assigned_user_id: me });
  if (profile !== 'patched') {
    await assert.rejects(c.retrieveInventory(acc.id), (e) => isCrmError(e) && e.code === 'SERVER_ERROR' && e.status === 500 && e.operation === 'retrieve_inventory');
    assert.equal(c.serverInfo().operations.retrieve_inventory, false);
    return;
  }
  const inv = await c.retrieveInventory(acc.id);
  assert.equal(inv.accountname, `${P} Inv`);
  assert.equal(inv.id, acc.id);
});
