// Issue 17 item 9 against crmwire-sim: stock 8.3.0 answers logout with HTTP 500 and keeps the
// session (recordings 803, 804). logout() clears the local session, never throws for a server
// or transport failure (`finally { await crm.logout() }` is safe) and reports what happened.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startSim } from './sim.mjs';

const v83 = await startSim({ seedRecords: 5, profile: 'vtiger-8.3' });
const v84 = await startSim({ seedRecords: 5 });
test.after(() => Promise.all([v83.close(), v84.close()]));
const mk = (s, o = {}) => new VtigerClient({ url: s.url, username: s.username, accessKey: s.accessKey, ...o });

test('stock 8.3: logout() resolves with the error, clears the local session, the next call logs in again', async () => {
  const c = mk(v83);
  await c.login();
  const logins = (await v83.stats()).logins;
  const r = await c.logout();
  assert.ok(isCrmError(r.error), JSON.stringify(r));
  assert.deepEqual([r.error.code, r.error.status, r.error.operation], ['SERVER_ERROR', 500, 'logout']);
  assert.match(r.message, /may stay valid/);
  assert.equal(c.serverInfo().operations.logout, false);
  assert.ok((await c.listTypes()).types.length);
  assert.equal((await v83.stats()).logins, logins + 1, 'the local session was cleared');
});

test('the `finally { await crm.logout() }` pattern does not throw, on 8.3 and 8.4', async () => {
  for (const s of [v83, v84]) {
    const c = mk(s);
    const rows = await (async () => {
      try {
        return await c.query(select('Contacts').fields('id').limit(1));
      } finally {
        await c.logout();
      }
    })();
    assert.equal(rows.length, 1);
  }
  // 8.4: the server's answer, no error.
  const c = mk(v84);
  await c.login();
  assert.deepEqual(await c.logout(), { message: 'successfull' });
  assert.deepEqual(await c.logout(), { message: 'no session' });
});

test('an unreachable server: logout() resolves with the TRANSPORT error; an abort still rejects', async () => {
  let down = false;
  const fetch = (url, init) => (down ? Promise.reject(new TypeError('fetch failed')) : globalThis.fetch(url, init));
  const c = mk(v84, { fetch });
  await c.login();
  down = true;
  const r = await c.logout();
  assert.equal(r.error?.code, 'TRANSPORT', JSON.stringify(r));
  down = false;
  await c.login();
  await assert.rejects(c.logout({ signal: AbortSignal.abort() }), (e) => e.code === 'ABORTED');
});
