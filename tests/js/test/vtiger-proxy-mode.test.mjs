// VtigerClient in proxy mode (`auth: 'proxy'`) against crmwire/proxy in front of the
// simulator: no login and no sessionName from the client, `Authorization: Bearer <token>`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { createVtigerProxy, toNodeListener } from 'crmwire/proxy';
import { startSim } from './sim.mjs';

const sim = await startSim({ seedRecords: 150 });
const token = 'proxy-token-0123456789';
const seen = [];
const handler = createVtigerProxy({
  target: sim.url,
  username: sim.username,
  accessKey: sim.accessKey,
  tokens: [token],
  allow: { modules: ['Contacts', 'Accounts'], operations: ['listtypes', 'describe', 'retrieve', 'query', 'create', 'revise', 'delete', 'sync'] },
  log: false,
});
const server = createServer(toNodeListener(async (req) => {
  const u = new URL(req.url);
  const body = req.method === 'POST' ? await req.clone().text() : '';
  seen.push({ method: req.method, auth: req.headers.get('authorization'), params: new URLSearchParams(u.search + (body ? '&' + body : '')) });
  return handler(req);
}));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const proxyUrl = `http://127.0.0.1:${server.address().port}/proxy`;
test.after(async () => {
  await new Promise((r) => server.close(r));
  await sim.close();
});
const mk = (o = {}) => new VtigerClient({ url: proxyUrl, auth: 'proxy', token, retry: { baseMs: 5 }, ...o });

test('proxy mode: operations work; no login, no sessionName, bearer token on every request', async () => {
  const c = mk();
  seen.length = 0;
  const types = await c.listTypes();
  assert.deepEqual(types.types.sort(), ['Accounts', 'Contacts']);
  const made = await c.create('Contacts', { lastname: 'ViaProxy', assigned_user_id: '19x1' });
  assert.equal((await c.retrieve(made.id)).lastname, 'ViaProxy');
  assert.equal((await c.query(select('Contacts').where('lastname', 'ViaProxy'))).length, 1);
  let n = 0;
  for await (const _ of c.queryAll(select('Contacts').fields('id'))) n++;
  assert.equal(n, (await sim.stats()).records.Contacts);
  assert.ok(seen.length >= 5);
  for (const r of seen) {
    assert.equal(r.auth, `Bearer ${token}`);
    assert.equal(r.params.has('sessionName'), false);
    assert.ok(!['getchallenge', 'login'].includes(r.params.get('operation')));
  }
  assert.equal(c.serverInfo().operations.logout, undefined);
});

test('proxy mode: login/extendSession are UNSUPPORTED, logout sends nothing', async () => {
  const c = mk();
  seen.length = 0;
  await assert.rejects(c.login(), (e) => isCrmError(e) && e.code === 'UNSUPPORTED');
  await assert.rejects(c.extendSession(), (e) => isCrmError(e) && e.code === 'UNSUPPORTED');
  assert.deepEqual(await c.logout(), { message: 'no session' });
  assert.equal(seen.length, 0);
});

test('proxy mode: refusals are typed errors with the HTTP status', async () => {
  await assert.rejects(mk({ token: 'wrong-token-0123456789' }).listTypes(), (e) => isCrmError(e) && e.code === 'UNAUTHORIZED' && e.status === 401);
  await assert.rejects(mk({ token: undefined }).listTypes(), (e) => isCrmError(e) && e.code === 'UNAUTHORIZED');
  await assert.rejects(mk().query('SELECT * FROM Leads;'), (e) => isCrmError(e) && e.code === 'ACCESS_DENIED' && e.status === 403);
  await assert.rejects(mk().retrieve('12x999999'), (e) => isCrmError(e) && e.code === 'ACCESS_DENIED');
  assert.throws(() => new VtigerClient({ url: proxyUrl, auth: 'proxy', token: 'has space' }), (e) => e.code === 'INVALID_INPUT' && e.field === 'token');
});

test('proxy mode: an expired upstream session is the proxy\'s business (one transparent re-login there)', async () => {
  const c = mk();
  await c.listTypes();
  const logins = (await sim.stats()).logins;
  await sim.fault({ fault: 'expire_sessions', count: 1, operation: 'query' });
  assert.equal((await c.query(select('Contacts').limit(2))).length, 2);
  assert.equal((await sim.stats()).logins, logins + 1);
});
