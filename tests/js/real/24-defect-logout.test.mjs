// Defect 9 of issue 17 (acceptance test, expected to fail before the fix on stock 8.3.0):
// logout() must not throw when the server cannot log out (stock 8.3.0 answers HTTP 500 and keeps
// the session), must clear the local session, and must report what happened.
// API assumed here: logout() resolves; on a server failure its result holds `error`, the
// CrmError the server's answer gave (SERVER_ERROR, status 500).
import test from 'node:test';
import assert from 'node:assert/strict';
import { select, isCrmError } from 'crmwire';
import { mk, tracker, stock83 } from './support.mjs';

const tr = tracker(); // drops the session 8.3.0 keeps
test.after(() => tr.cleanup());

test('defect 9: logout() does not throw, clears the local session and reports what happened', async () => {
  const c = mk();
  await c.login();
  let r;
  await assert.doesNotReject(async () => {
    r = await c.logout();
  });
  assert.ok(r && typeof r === 'object', `logout() gave ${r}`);
  if (stock83) {
    assert.ok(isCrmError(r.error), `no error reported: ${JSON.stringify(r)}`);
    assert.equal(r.error.code, 'SERVER_ERROR');
    assert.equal(r.error.status, 500);
    assert.equal(c.serverInfo().operations.logout, false);
  } else {
    assert.equal(r.message, 'successfull');
    assert.equal(r.error, undefined);
  }
  c.ops.length = 0;
  assert.ok((await c.listTypes()).types.length > 0);
  assert.deepEqual(c.ops, ['getchallenge', 'login', 'listtypes'], 'the local session was not cleared');
});

test('defect 9: the `finally { await crm.logout() }` pattern does not throw', async () => {
  const c = mk();
  const rows = await (async () => {
    try {
      return await c.query(select('Contacts').fields('id').limit(1));
    } finally {
      await c.logout();
    }
  })();
  assert.equal(rows.length, 1);
});
