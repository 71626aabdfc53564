// sync(): the core's strategy machine against the simulator. Stock 8.4: `sync` answers HTTP
// 500, so wsapp_register/get/deregister runs (deletions seen); with wsapp broken too, the
// modifiedtime query (no deletions). Patched profile: the native `sync`, paged.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError } from 'crmwire';
import { startSim } from './sim.mjs';

const stock = await startSim({ seedRecords: 250 });
const patched = await startSim({ profile: 'patched', seedRecords: 1200 });
test.after(() => Promise.all([stock.close(), patched.close()]));
const mk = (sim, o = {}) => {
  const ops = [];
  const c = new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, onRequest: (r) => ops.push(r.operation), ...o });
  return Object.assign(c, { ops });
};
async function drain(c, module, opts) {
  const batches = [];
  for await (const b of c.sync(module, opts)) batches.push(b);
  return batches;
}
const allIds = async (c, module) => {
  const ids = [];
  for await (const r of c.queryAll({ module, fields: ['id'] })) ids.push(r.id);
  return ids.sort();
};
const delta = async (sim, before) => {
  const s = (await sim.stats()).requests;
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v));
};

test('stock 8.4: sync → HTTP 500 → wsapp; every record once; key released; references as names', async () => {
  const c = mk(stock);
  const before = (await stock.stats()).requests;
  const progress = [];
  const batches = await drain(c, 'Contacts', { since: 0, onProgress: (b) => progress.push(b) });
  assert.deepEqual(progress, batches);
  assert.ok(batches.length >= 3, `${batches.length} batches`);
  assert.ok(batches.every((b) => b.strategy === 'wsapp'));
  const ids = batches.flatMap((b) => b.updated.map((r) => r.id));
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.deepEqual(ids.sort(), await allIds(c, 'Contacts'));
  // wsapp renders references as display names; the owner stays an id.
  const r = batches[0].updated[0];
  assert.equal(r.modifiedby, 'Admin Administrator');
  assert.equal(r.assigned_user_id, '19x1');
  const d = await delta(stock, before);
  assert.equal(d.sync, 1);
  assert.equal(d.wsapp_register, 1);
  assert.equal(d.wsapp_deregister, 1);
  assert.equal(d.wsapp_get, batches.length);
  assert.match(batches.at(-1).checkpoint, /^v1:wsapp:Contacts:\d+:/);
  assert.equal(c.serverInfo().operations.sync, false);
  assert.equal(c.serverInfo().operations.wsapp_get, true);
});

test('stock 8.4: resuming from a checkpoint reports creates, updates and deletions only', async () => {
  const c = mk(stock);
  const first = await drain(c, 'Contacts', { since: 0 });
  const cp = first.at(-1).checkpoint;
  await stock.advanceClock(5);
  const a = await c.create('Contacts', { lastname: 'SyncNew', assigned_user_id: '19x1' });
  const [victim, changed] = (await c.query({ module: 'Contacts', fields: ['id'], limit: 2 })).map((r) => r.id);
  await c.revise({ id: changed, firstname: 'Changed' });
  await c.delete(victim);
  const again = await drain(c, 'Contacts', { since: cp });
  const updated = again.flatMap((b) => b.updated.map((r) => r.id)).sort();
  assert.deepEqual(updated, [a.id, changed].sort());
  assert.deepEqual(again.flatMap((b) => b.deleted), [victim]);
  // The same checkpoint again gives the same answer (a checkpoint is a pure resume point)...
  const twice = await drain(c, 'Contacts', { since: cp });
  assert.deepEqual(twice.flatMap((b) => b.updated.map((r) => r.id)).sort(), updated);
  // ...and the newest checkpoint gives nothing new.
  const none = await drain(c, 'Contacts', { since: again.at(-1).checkpoint });
  assert.equal(none.flatMap((b) => b.updated).length, 0);
  // (a deletion in the checkpoint's own second may be repeated across runs: documented)
  assert.ok(none.flatMap((b) => b.deleted).every((id) => id === victim));
});

test('stock 8.4: a second sync on the same client skips the known-broken sync call', async () => {
  const c = mk(stock);
  await drain(c, 'Accounts', { since: 0 });
  c.ops.length = 0;
  const b = await drain(c, 'Accounts', { since: 0 });
  assert.equal(b[0].strategy, 'wsapp');
  assert.equal(c.ops.includes('sync'), false);
  assert.equal(c.ops[0], 'wsapp_register');
});

test('break out of the loop and iterator return() release the wsapp key', async () => {
  const c = mk(stock);
  let before = (await stock.stats()).requests;
  for await (const b of c.sync('Contacts', { since: 0 })) {
    assert.equal(b.strategy, 'wsapp');
    break;
  }
  let d = await delta(stock, before);
  assert.equal(d.wsapp_register, 1);
  assert.equal(d.wsapp_deregister, 1);
  assert.equal(d.wsapp_get, 1);
  before = (await stock.stats()).requests;
  const it = c.sync('Contacts', { since: 0 });
  assert.equal((await it.next()).done, false);
  assert.deepEqual(await it.return(), { done: true, value: undefined });
  d = await delta(stock, before);
  assert.equal(d.wsapp_deregister, 1);
  assert.equal(d.wsapp_get, 1);
});

test('abort during wsapp paging: ABORTED, and the key is still released', async () => {
  const c = mk(stock);
  const before = (await stock.stats()).requests;
  const ac = new AbortController();
  let got = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of c.sync('Contacts', { since: 0, signal: ac.signal })) {
        got++;
        ac.abort();
      }
    })(),
    (e) => isCrmError(e) && e.code === 'ABORTED',
  );
  assert.equal(got, 1);
  const d = await delta(stock, before);
  assert.equal(d.wsapp_deregister, 1);
});

test('session expiry in the middle of wsapp paging: one re-login, nothing lost or repeated', async () => {
  const c = mk(stock);
  await c.login();
  const logins = (await stock.stats()).logins;
  const ids = [];
  let n = 0;
  for await (const b of c.sync('Contacts', { since: 0 })) {
    ids.push(...b.updated.map((r) => r.id));
    if (++n === 1) await stock.fault({ fault: 'expire_sessions', count: 1, operation: 'wsapp_get' });
  }
  assert.equal((await stock.stats()).logins, logins + 1);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids.sort(), await allIds(c, 'Contacts'));
});

test('wsapp unavailable too → modifiedtime query: every record, no deletions visible', async () => {
  const c = mk(stock);
  await stock.fault({ fault: 'empty_500', count: 1, operation: 'wsapp_register' });
  const batches = await drain(c, 'Contacts', { since: 0 });
  assert.ok(batches.every((b) => b.strategy === 'query'));
  const ids = batches.flatMap((b) => b.updated.map((r) => r.id));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids.sort(), await allIds(c, 'Contacts'));
  // query renders references as ids (unlike wsapp).
  assert.match(batches.flatMap((b) => b.updated)[0].modifiedby, /^19x\d+$/);
  const cp = batches.at(-1).checkpoint;
  assert.match(cp, /^v1:query:Contacts:/);
  await stock.advanceClock(2);
  const [victim] = (await c.query({ module: 'Contacts', fields: ['id'], limit: 1 })).map((r) => r.id);
  await c.delete(victim);
  const made = await c.create('Contacts', { lastname: 'AfterQuery', assigned_user_id: '19x1' });
  const next = await drain(c, 'Contacts', { since: cp });
  assert.deepEqual(next.flatMap((b) => b.updated.map((r) => r.id)), [made.id]);
  assert.deepEqual(next.flatMap((b) => b.deleted), [], 'the query strategy cannot see deletions');
});

test('since: Unix seconds filter by modifiedtime; Date accepted; bad values are INVALID_INPUT', async () => {
  const c = mk(stock);
  const rows = await c.query({ module: 'Leads', fields: ['id', 'modifiedtime'], orderBy: [{ field: 'modifiedtime', dir: 'desc' }], limit: 30 });
  const t = Date.parse(rows[25].modifiedtime.replace(' ', 'T') + 'Z') / 1000;
  const expect = [];
  for await (const r of c.queryAll({ module: 'Leads', fields: ['id', 'modifiedtime'] })) if (Date.parse(r.modifiedtime.replace(' ', 'T') + 'Z') / 1000 >= t) expect.push(r.id);
  const got = (await drain(c, 'Leads', { since: t })).flatMap((b) => b.updated.map((r) => r.id));
  assert.deepEqual(got.sort(), expect.sort());
  const viaDate = (await drain(c, 'Leads', { since: new Date(t * 1000) })).flatMap((b) => b.updated.map((r) => r.id));
  assert.deepEqual(viaDate.sort(), expect.sort());
  for (const [since, field] of [[-1, 'since'], [NaN, 'since'], ['garbage', 'since'], ['v1:wsapp:Leads:12', 'since'], ['v1:sync:Contacts:5:', 'since'], [{}, 'since']]) {
    await assert.rejects(drain(c, 'Leads', { since }), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === field, String(since));
  }
  await assert.rejects(drain(c, 'Leads; DROP', {}), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'module');
  await assert.rejects(drain(c, 'Leads', { scope: 'everyone' }), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'scope');
});

test('patched: the native sync pages 1,200+ records with no loss and no duplicates', async () => {
  const c = mk(patched);
  const before = (await patched.stats()).requests;
  const batches = await drain(c, 'Contacts', { since: 0 });
  assert.ok(batches.every((b) => b.strategy === 'sync'));
  assert.ok(batches.length >= 12, `${batches.length} batches`);
  const ids = batches.flatMap((b) => b.updated.map((r) => r.id));
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.length >= 1200);
  assert.deepEqual(ids.sort(), await allIds(c, 'Contacts'));
  const d = await delta(patched, before);
  assert.equal(d.wsapp_register, undefined);
  assert.equal(d.sync, batches.length);
  assert.equal(c.serverInfo().operations.sync, true);
  // sync renders references as ids.
  assert.match(batches[0].updated[0].modifiedby, /^19x\d+$/);
  // Deletions through the native sync.
  await patched.advanceClock(3);
  const [victim] = (await c.query({ module: 'Contacts', fields: ['id'], limit: 1 })).map((r) => r.id);
  await c.delete(victim);
  const next = await drain(c, 'Contacts', { since: batches.at(-1).checkpoint });
  assert.deepEqual(next.flatMap((b) => b.deleted), [victim]);
  assert.ok(next.every((b) => b.strategy === 'sync'));
});
