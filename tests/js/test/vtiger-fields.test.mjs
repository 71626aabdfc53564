// Issue 17 item 10 against crmwire-sim: the server drops a field name the module does not have
// without a word (and stores an ISO timestamp in a date field as "", any picklist value, …).
// The client checks element keys against the module's describe (fetched once per client)
// before create/update/revise; `checkFields: false` turns it off. A JS Date is written in its
// field's format (UTC); MANDATORY_FIELDS_MISSING names its field.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startSim, spyFetch } from './sim.mjs';

const sim = await startSim({ seedRecords: 20 });
test.after(() => sim.close());
const spy = spyFetch(sim.accessKey);
const mk = (o = {}) => new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, fetch: spy.fetch, ...o });
const ops = () => spy.sent.map((r) => new URLSearchParams(r.body).get('operation') ?? new URL(r.url).searchParams.get('operation'));
const count = async (op) => (await sim.stats()).requests[op] ?? 0;
const refused = (field, re) => (e) => {
  assert.ok(isCrmError(e), String(e?.stack ?? e));
  assert.equal(e.code, 'INVALID_INPUT', e.message);
  assert.equal(e.field, field, e.message);
  if (re) assert.match(e.message, re);
  return true;
};

test('an unknown field is INVALID_INPUT naming it and the closest field; nothing is sent', async () => {
  const c = mk();
  await c.login();
  const creates = await count('create');
  await assert.rejects(c.create('Contacts', { lastname: 'Typo', emial: 'typo@example.com' }), refused('emial', /closest field: 'email'/));
  await assert.rejects(c.create('Contacts', { 'Last Name': 'Label' }), refused('Last Name', /closest field: 'lastname'/));
  assert.equal(await count('create'), creates, 'the create was sent');
  // What the server adds to the records it returns passes: update(await retrieve(id)) works.
  const ok = await c.create('Contacts', { lastname: 'Typo ok', email: 'ok@example.com', assigned_user_id: '19x1' });
  const back = await c.retrieve(ok.id);
  assert.equal((await c.update({ ...back, mailingcity: 'Paris' })).mailingcity, 'Paris');
  await assert.rejects(c.update({ ...back, mailingcitty: 'Paris' }), refused('mailingcitty', /'mailingcity'/));
  await assert.rejects(c.revise({ id: ok.id, emial: 'x@example.com' }), (e) => refused('emial')(e) && e.operation === 'revise');
  await c.delete(ok.id);
});

test('one describe per module per client, shared by writes and describe(); none with checkFields: false', async () => {
  const c = mk();
  await c.login();
  const before = await count('describe');
  const made = await Promise.all([1, 2, 3].map((i) => c.create('Leads', { lastname: `L${i}`, company: 'Co', assigned_user_id: '19x1' })));
  assert.equal(await count('describe'), before + 1, 'concurrent creates share one describe');
  const d = await c.describe('Leads');
  assert.equal(d.idPrefix, 10);
  await c.revise({ id: made[0].id, company: 'Co2' });
  assert.equal(await count('describe'), before + 1, 'describe() and the revise used the cached describe');
  for (const r of made) await c.delete(r.id);
  const loose = mk({ checkFields: false });
  const r = await loose.create('Contacts', { lastname: 'Loose', emial: 'typo@example.com', assigned_user_id: '19x1' });
  assert.equal(await count('describe'), before + 1, 'no describe with checkFields: false');
  assert.equal(r.email, '', 'the server dropped the unknown field');
  assert.equal('emial' in r, false);
  await loose.delete(r.id);
  assert.throws(() => mk({ checkFields: 'no' }), (e) => e.code === 'INVALID_INPUT' && e.field === 'checkFields');
});

test('a JS Date is written in the field format (UTC); an ISO timestamp string in a date field is refused (935)', async () => {
  const c = mk();
  const r = await c.create('Contacts', { lastname: 'Born', birthday: new Date(Date.UTC(1990, 0, 2, 23, 30)), assigned_user_id: '19x1' });
  assert.equal(r.birthday, '1990-01-02');
  const t = await c.create('Calendar', { subject: 'Call', date_start: new Date(Date.UTC(2027, 4, 6)), time_start: new Date(Date.UTC(2027, 4, 6, 13, 14, 15)), due_date: '2027-05-07', taskstatus: 'Not Started', assigned_user_id: '19x1' });
  assert.deepEqual([t.date_start, t.time_start], ['2027-05-06', '13:14:15']);
  // The server would store "" for this (recording 935): refused instead.
  spy.sent.length = 0;
  await assert.rejects(c.revise({ id: r.id, birthday: new Date(Date.UTC(1990, 0, 2)).toISOString() }), refused('birthday', /ISO timestamp/));
  await assert.rejects(c.revise({ id: r.id, lastname: new Date() }), refused('lastname', /string field/));
  await assert.rejects(c.revise({ id: r.id, birthday: new Date(NaN) }), refused('birthday', /invalid Date/));
  assert.ok(!ops().includes('revise'), 'sent anyway');
  assert.equal((await c.retrieve(r.id)).birthday, '1990-01-02');
  await c.delete(r.id);
  await c.delete(t.id);
});

test('picklist values outside the describe list are refused with a suggestion; "" and listed values pass', async () => {
  const c = mk();
  await assert.rejects(c.create('Contacts', { lastname: 'P', leadsource: 'cold call' }), refused('leadsource', /did you mean 'Cold Call'/));
  await assert.rejects(c.create('HelpDesk', { ticket_title: 'T', ticketstatus: 'Opened', ticketpriorities: 'Low' }), refused('ticketstatus', /'Open'/));
  const r = await c.create('Contacts', { lastname: 'P', leadsource: 'Cold Call', assigned_user_id: '19x1' });
  assert.equal((await c.revise({ id: r.id, leadsource: '' })).leadsource, '');
  // Calendar Tasks need activitytype "Task", which the picklist does not list.
  const task = await c.create('Calendar', { subject: 'T', activitytype: 'Task', date_start: '2027-01-01', time_start: '09:00:00', due_date: '2027-01-02', taskstatus: 'Not Started', assigned_user_id: '19x1' });
  assert.equal(task.activitytype, 'Task');
  await c.delete(r.id);
  await c.delete(task.id);
});

test('MANDATORY_FIELDS_MISSING carries the field', async () => {
  const c = mk();
  await assert.rejects(c.create('Contacts', { firstname: 'No last' }), (e) => isCrmError(e) && e.code === 'MANDATORY_FIELDS_MISSING' && e.field === 'lastname' && e.operation === 'create');
  const [row] = await c.query(select('Contacts').fields('id').limit(1));
  await assert.rejects(c.revise({ id: row.id, lastname: '' }), (e) => e.code === 'MANDATORY_FIELDS_MISSING' && e.field === 'lastname');
});
