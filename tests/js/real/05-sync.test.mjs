// sync() on a real server: the strategy each profile ends up with, creates and updates seen from
// a time, and deletions seen through a checkpoint. Stock 8.4.0: `sync` answers HTTP 500, the
// client falls back to wsapp_register/get/deregister. Stock 8.3.0: `sync` AND `wsapp_register`
// answer HTTP 500 (PHP 8 named parameters: $modifiedTime, $synctype), so the client ends at the
// modifiedtime query, which cannot see deletions. Patched 8.3.0: the native sync.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mk, tracker, P, profile, all, sleep } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;
const want = { 'vtiger-8.4': 'wsapp', 'vtiger-8.3': 'query', patched: 'sync' }[profile];
let cp = null;
let made = [];

test('sync from a time: the strategy of the profile (8.4 wsapp, 8.3 query, patched sync); creates seen once', async () => {
  const t0 = Math.floor(Date.now() / 1000) - 1;
  made = [];
  for (const n of ['One', 'Two', 'Three']) made.push(await tr.create(c, 'Contacts', { lastname: `${P} Sync ${n}`, assigned_user_id: me }));
  c.ops.length = 0;
  const batches = await all(c.sync('Contacts', { since: t0 }));
  assert.ok(batches.length >= 1);
  for (const b of batches) {
    assert.deepEqual(Object.keys(b).sort(), ['checkpoint', 'deleted', 'strategy', 'updated']);
    assert.equal(b.strategy, want);
  }
  const ids = batches.flatMap((b) => b.updated.map((r) => r.id));
  assert.equal(new Set(ids).size, ids.length, 'no record twice');
  for (const m of made) assert.ok(ids.includes(m.id), `${m.id} missing`);
  const row = batches.flatMap((b) => b.updated).find((r) => r.id === made[0].id);
  assert.equal(row.lastname, `${P} Sync One`);
  if (want === 'wsapp') {
    // wsapp renders references as display names; the owner stays an id.
    assert.equal(c.ops[0], 'sync');
    assert.ok(c.ops.includes('wsapp_register') && c.ops.at(-1) === 'wsapp_deregister', c.ops.join(','));
    assert.equal(c.serverInfo().operations.sync, false);
    assert.equal(row.assigned_user_id, me);
    assert.doesNotMatch(row.modifiedby, /^19x/);
  } else if (want === 'query') {
    assert.deepEqual(c.ops.slice(0, 2), ['sync', 'wsapp_register'], c.ops.join(','));
    assert.ok(c.ops.slice(2).every((o) => o === 'query'), c.ops.join(','));
    assert.equal(c.serverInfo().operations.sync, false);
    assert.equal(c.serverInfo().operations.wsapp_register, false);
    assert.match(row.modifiedby, /^19x\d+$/);
  } else {
    assert.ok(c.ops.every((o) => o === 'sync'), c.ops.join(','));
    assert.equal(c.serverInfo().operations.sync, true);
    assert.match(row.modifiedby, /^19x\d+$/);
  }
  cp = batches.at(-1).checkpoint;
  assert.match(cp, new RegExp(`^v1:${want}:Contacts:\\d+:`));
});

test('sync through a checkpoint: updates seen; deletions too (not with the query strategy of stock 8.3)', async () => {
  assert.ok(cp, 'needs the checkpoint of the previous scenario');
  await sleep(1100); // a later second than the checkpoint's
  const [victim, changed] = made;
  await c.delete(victim.id);
  await c.revise({ id: changed.id, firstname: 'Changed' });
  const fresh = await tr.create(c, 'Contacts', { lastname: `${P} Sync Four`, assigned_user_id: me });
  const again = await all(c.sync('Contacts', { since: cp }));
  assert.ok(again.every((b) => b.strategy === want));
  const updated = again.flatMap((b) => b.updated.map((r) => r.id));
  const deleted = again.flatMap((b) => b.deleted);
  if (want === 'query') assert.deepEqual(deleted, [], 'the query strategy cannot see deletions');
  else assert.ok(deleted.includes(victim.id), `deleted: ${JSON.stringify(deleted)}`);
  assert.ok(updated.includes(changed.id) && updated.includes(fresh.id), `updated: ${JSON.stringify(updated)}`);
  assert.ok(!updated.includes(made[2].id), 'an unchanged record is not reported again');
  assert.equal(again.flatMap((b) => b.updated).find((r) => r.id === changed.id).firstname, 'Changed');
  // The newest checkpoint gives nothing new (a deletion in its own second may repeat: documented).
  const none = await all(c.sync('Contacts', { since: again.at(-1).checkpoint }));
  assert.deepEqual(none.flatMap((b) => b.updated.map((r) => r.id)).filter((id) => made.some((m) => m.id === id) || id === fresh.id), []);
});
