// Error paths a caller meets on a real server: a wrong access key, an unknown module, a deleted
// record, bad ids; and no error carries the access key, a session name or a challenge token.
import test from 'node:test';
import assert from 'node:assert/strict';
import { isCrmError, CrmError, select } from 'crmwire';
import { mk, tracker, P, accessKey, secretsSeen } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;
const seen = [];

async function rejects(p, code, extra = {}) {
  let err;
  await assert.rejects(p, (e) => {
    err = e;
    seen.push(e);
    assert.ok(isCrmError(e) && e instanceof CrmError && e instanceof Error, `not a CrmError: ${e}`);
    assert.equal(e.code, code, e.message);
    for (const [k, v] of Object.entries(extra)) assert.deepEqual(e[k], v, k);
    return true;
  });
  return err;
}

test('a wrong access key is INVALID_USER_CREDENTIALS (login), reported within 3 s', async () => {
  const t = Date.now();
  await rejects(mk({ accessKey: 'wrongKey12345678' }).listTypes(), 'INVALID_USER_CREDENTIALS', { operation: 'login' });
  assert.ok(Date.now() - t < 3000, `${Date.now() - t} ms`);
  await rejects(mk({ username: `nobody${P}` }).login(), 'ACCESS_DENIED', { operation: 'getchallenge' });
});

test('an unknown module: describe, query and create refused by the server', async () => {
  await rejects(c.describe('NoSuchModule'), 'ACCESS_DENIED', { operation: 'describe' });
  await rejects(c.query('SELECT * FROM NoSuchModule;'), 'ACCESS_DENIED', { operation: 'query' });
  await rejects(c.create('NoSuchModule', { name: 'x' }), 'ACCESS_DENIED', { operation: 'create' });
});

test('a deleted record: retrieve, revise and delete are ACCESS_DENIED', async () => {
  const r = await tr.create(c, 'Contacts', { lastname: `${P} Gone`, assigned_user_id: me });
  await c.delete(r.id);
  tr.forget(r.id);
  await rejects(c.retrieve(r.id), 'ACCESS_DENIED', { operation: 'retrieve', status: 200 });
  await rejects(c.revise({ id: r.id, firstname: 'x' }), 'ACCESS_DENIED', { operation: 'revise' });
  await rejects(c.delete(r.id), 'ACCESS_DENIED', { operation: 'delete' });
  assert.deepEqual(await c.query(select('Contacts').fields('id').where('id', r.id)), []);
});

test('ids and queries the server refuses: INVALID_ID_ATTRIBUTE, QUERY_SYNTAX_ERROR, MANDATORY_FIELDS_MISSING', async () => {
  const [acc] = await c.query(select('Accounts').fields('id').limit(1));
  await rejects(c.retrieve(acc.id.replace(/^\d+x/, '12x')), 'INVALID_ID_ATTRIBUTE');
  await rejects(c.query('SELECT * FROM Contacts WHERE lastname = ;'), 'QUERY_SYNTAX_ERROR');
  await rejects(c.create('Contacts', { firstname: `${P} no lastname`, assigned_user_id: me }), 'MANDATORY_FIELDS_MISSING', { operation: 'create' });
  // Refused before sending: nothing goes out.
  c.ops.length = 0;
  await rejects(c.retrieve('12x1 OR 1=1'), 'INVALID_INPUT', { field: 'id' });
  await rejects(c.create('Contacts', { lastname: 'x😀' }), 'INVALID_INPUT', { field: 'lastname' });
  assert.deepEqual(c.ops, []);
});

test('no error carries the access key, a session name or a challenge token', () => {
  const secrets = [accessKey, ...secretsSeen()];
  assert.ok(secrets.length >= 4, `${secrets.length} secrets`);
  assert.ok(seen.length >= 10, `${seen.length} errors`);
  for (const e of seen) {
    const strs = [e.message, e.stack, e.snippet, JSON.stringify(e.fieldErrors ?? null), String(e.cause ?? '')];
    for (const s of strs) for (const x of secrets) assert.ok(!String(s).includes(x), `secret ${x.slice(0, 3)}… in ${String(s).slice(0, 120)}`);
  }
});
