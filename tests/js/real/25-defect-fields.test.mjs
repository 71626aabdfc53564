// Defect 10 of issue 17 (acceptance test, expected to fail before the fix): a field name the
// module does not have is dropped by the server without a word (create of Contacts with `emial`
// succeeds, no email). Element keys are checked against the module's describe before a
// create/update/revise; MANDATORY_FIELDS_MISSING names its field.
// API assumed here: option `checkFields: false` turns the check off; the error is INVALID_INPUT
// with `field` the unknown key and the closest real field named in the message.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mk, tracker, P, rejectsWith } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;

test('defect 10: an unknown field (emial) is INVALID_INPUT naming it and the closest field, before sending', async () => {
  c.ops.length = 0;
  const e = await rejectsWith(assert, tr, c.create('Contacts', { lastname: `${P} Typo`, emial: 'typo@example.com', assigned_user_id: me }), 'INVALID_INPUT');
  assert.equal(e.field, 'emial');
  assert.match(e.message, /\bemail\b/, 'the closest real field is named');
  assert.ok(!c.ops.includes('create'), 'sent anyway');
  const ok = await tr.create(c, 'Contacts', { lastname: `${P} Typo ok`, assigned_user_id: me });
  c.ops.length = 0;
  const e2 = await rejectsWith(assert, null, c.revise({ id: ok.id, emial: 'x@example.com' }), 'INVALID_INPUT');
  assert.equal(e2.field, 'emial');
  const e3 = await rejectsWith(assert, null, c.update({ ...(await c.retrieve(ok.id)), mailingcitty: 'Paris' }), 'INVALID_INPUT');
  assert.equal(e3.field, 'mailingcitty');
  assert.match(e3.message, /\bmailingcity\b/);
  assert.ok(!c.ops.includes('revise') && !c.ops.includes('update'), `sent anyway: ${c.ops}`);
});

test('defect 10: checkFields: false turns the check off (the server then drops the field)', async () => {
  const loose = mk({ checkFields: false });
  const r = await tr.create(loose, 'Contacts', { lastname: `${P} Typo loose`, emial: 'typo@example.com', assigned_user_id: me });
  assert.equal(r.email, '');
  assert.equal('emial' in r, false);
});

test('defect 10: MANDATORY_FIELDS_MISSING carries the field', async () => {
  const e = await rejectsWith(assert, tr, c.create('Contacts', { firstname: `${P} no last`, assigned_user_id: me }), 'MANDATORY_FIELDS_MISSING');
  assert.equal(e.field, 'lastname');
  const ok = await tr.create(c, 'Contacts', { lastname: `${P} Mand`, assigned_user_id: me });
  const e2 = await rejectsWith(assert, null, c.revise({ id: ok.id, lastname: '' }), 'MANDATORY_FIELDS_MISSING');
  assert.equal(e2.field, 'lastname');
});

test('defect 10: a JS Date is written in the field format (or refused), never sent as an ISO timestamp', async () => {
  c.ops.length = 0;
  let r, err;
  try {
    r = await tr.create(c, 'Contacts', { lastname: `${P} Born`, birthday: new Date(Date.UTC(1990, 0, 2)), assigned_user_id: me });
  } catch (e) {
    err = e;
  }
  if (err) {
    assert.equal(err.code, 'INVALID_INPUT', `${err.code}: ${err.message}`);
    assert.equal(err.field, 'birthday');
    assert.ok(!c.ops.includes('create'), 'refused, but only after sending');
  } else {
    assert.equal(r.birthday, '1990-01-02', `birthday stored as '${r.birthday}'`);
  }
});

test('defect 10: update(retrieve()) passes the check; a picklist value outside the list is refused, one describe per module', async () => {
  const ok = await tr.create(c, 'Contacts', { lastname: `${P} Pick`, assigned_user_id: me });
  const back = await c.retrieve(ok.id);
  assert.equal((await c.update({ ...back, mailingcity: 'Paris' })).mailingcity, 'Paris', 'the keys the server returns pass');
  c.ops.length = 0;
  const e = await rejectsWith(assert, null, c.revise({ id: ok.id, leadsource: 'cold call' }), 'INVALID_INPUT');
  assert.equal(e.field, 'leadsource');
  assert.match(e.message, /did you mean 'Cold Call'/);
  assert.equal((await c.revise({ id: ok.id, leadsource: 'Cold Call' })).leadsource, 'Cold Call');
  assert.ok(!c.ops.includes('describe'), `describe sent again: ${c.ops}`);
});
