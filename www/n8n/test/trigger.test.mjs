// The Vtiger Trigger's poll() with a stub context against crmwire-sim: stock 8.4 (native sync
// answers HTTP 500; crmwire falls back to wsapp), stock 8.3 (sync and wsapp_register both HTTP
// 500, vtiger-8.3.0/930: the query strategy, deletions found by comparing id sets) and the
// patched profile (native sync works). The checkpoint lives in the workflow's static data.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Vtiger, VtigerTrigger, NodeApiError, poll, run, startSim, watchFetch, assertNoSecrets } from './harness.mjs';

const uniq = `${process.pid}x${Date.now() % 100000}`;

for (const profile of ['vtiger-8.4', 'vtiger-8.3', 'patched']) {
  test(`${profile}: first poll stores a checkpoint; then a create, then a deletion, each reported once`, async () => {
    const sim = await startSim({ profile, seedRecords: 30 });
    const spy = watchFetch([sim.accessKey]);
    try {
      const credentials = { url: sim.url, username: sim.username, accessKey: sim.accessKey };
      const staticData = {};
      const p = (params = {}) => poll({ credentials, staticData, params: { module: 'Contacts', ...params } });
      const vt = (params) => run(Vtiger, { credentials, params });

      assert.equal(await p(), null, 'first poll (from now on) emits nothing');
      assert.equal(staticData.module, 'Contacts');
      const strategy = { patched: 'sync', 'vtiger-8.3': 'query', 'vtiger-8.4': 'wsapp' }[profile];
      assert.match(staticData.checkpoint, new RegExp(`^v1:${strategy}:Contacts:`));
      assert.equal(await p(), null, 'nothing changed');

      const [c] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Trig ${uniq}`, assigned_user_id: '19x1' } });
      const second = await p();
      assert.equal(second.length, 1);
      assert.deepEqual(second[0].map((x) => [x.json.change, x.json.id, x.json.record?.lastname]), [['updated', c.json.id, `Trig ${uniq}`]]);
      assert.equal(await p(), null, 'not repeated');

      await vt({ operation: 'delete', id: c.json.id });
      const third = await p();
      assert.deepEqual(third[0].map((x) => x.json), [{ change: 'deleted', module: 'Contacts', id: c.json.id }]);
      assert.equal(await p(), null);
      if (profile === 'vtiger-8.3') {
        const stats = await sim.stats();
        assert.ok(stats.requests.sync >= 1, 'native sync was tried');
        assert.ok(stats.requests.wsapp_register >= 1, 'and wsapp_register (HTTP 500 on stock 8.3.0)');
        assert.equal(stats.requests.wsapp_get ?? 0, 0, 'wsapp never worked');
      }
      assertNoSecrets(assert, spy.secrets, [second, third, staticData]);
    } finally {
      spy.restore();
      await sim.close();
    }
  });
}

test('first poll "every existing record", events filter, max changes per poll, module change restarts', async () => {
  const sim = await startSim({ profile: 'vtiger-8.4', seedRecords: 120 });
  try {
    const credentials = { url: sim.url, username: sim.username, accessKey: sim.accessKey };
    const staticData = {};
    const p = (params = {}, mode) => poll({ credentials, staticData, mode, params: { module: 'Contacts', firstPoll: 'all', ...params } });
    const vt = (params) => run(Vtiger, { credentials, params });

    const capped = await p({ options: { maxChanges: 50 } });
    assert.ok(capped[0].length >= 50 && capped[0].length < 120, `stopped at a batch boundary: ${capped[0].length}`);
    const rest = await p();
    const ids = [...capped[0], ...rest[0]].map((x) => x.json.id);
    assert.equal(ids.length, 120, 'the next poll continues exactly there');
    assert.equal(new Set(ids).size, 120);

    const [c] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Ev ${uniq}`, assigned_user_id: '19x1' } });
    assert.equal(await p({ events: 'deleted' }), null, 'a create is not a deletion');
    await vt({ operation: 'delete', id: c.json.id });
    const del = await p({ events: 'deleted' });
    assert.deepEqual(del[0].map((x) => x.json.id), [c.json.id]);

    const accounts = await p({ module: 'Accounts', firstPoll: 'now' });
    assert.equal(accounts, null);
    assert.equal(staticData.module, 'Accounts');
    assert.match(staticData.checkpoint, /^v1:wsapp:Accounts:/);
  } finally {
    await sim.close();
  }
});

test('manual test run: recent changes shown even before any checkpoint', async () => {
  const sim = await startSim({ profile: 'vtiger-8.4', empty: true });
  try {
    const credentials = { url: sim.url, username: sim.username, accessKey: sim.accessKey };
    const [c] = await run(Vtiger, { credentials, params: { operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Man ${uniq}`, assigned_user_id: '19x1' } } });
    const out = await poll({ credentials, staticData: {}, mode: 'manual', params: { module: 'Contacts' } });
    assert.deepEqual(out[0].map((x) => x.json.id), [c.json.id], 'the change of the last hour');
  } finally {
    await sim.close();
  }
});

test('errors: a wrong key or a missing module fail the poll with an n8n error; nothing is stored', async () => {
  const sim = await startSim({ profile: 'vtiger-8.4', seedRecords: 1 });
  try {
    const staticData = {};
    const e = await poll({ credentials: { url: sim.url, username: sim.username, accessKey: 'wrongKeyWrongKey123' }, staticData, params: { module: 'Contacts' } }).catch((x) => x);
    assert.ok(e instanceof NodeApiError, String(e));
    assert.equal(e.context.crmwire.code, 'INVALID_USER_CREDENTIALS');
    assert.deepEqual(staticData, {});
    const e2 = await poll({ credentials: { url: sim.url, username: sim.username, accessKey: sim.accessKey }, staticData, params: { module: '' } }).catch((x) => x);
    assert.match(e2.message, /Module is required/);
    assert.equal(new VtigerTrigger().description.polling, true);
  } finally {
    await sim.close();
  }
});

test('stock 8.3.0 as on a real one (sync AND wsapp_register answer HTTP 500): deletions found by id comparison', async () => {
  const sim = await startSim({ profile: 'vtiger-8.3', seedRecords: 150 });
  try {
    // crmwire-sim's 8.3 profile answers wsapp; the real stock 8.3.0 answers it with HTTP 500
    await sim.fault({ fault: 'empty_500', operation: 'wsapp_register' });
    const credentials = { url: sim.url, username: sim.username, accessKey: sim.accessKey };
    const staticData = {};
    const p = (params = {}) => poll({ credentials, staticData, params: { module: 'Contacts', ...params } });
    const vt = (params) => run(Vtiger, { credentials, params });

    assert.equal(await p(), null);
    assert.match(staticData.checkpoint, /^v1:query:Contacts:/);
    assert.equal(staticData.ids.length, 150, 'every id, past the 100-row page');
    const [c] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Diff ${uniq}`, assigned_user_id: '19x1' } });
    const created = await p();
    assert.deepEqual(created[0].map((x) => [x.json.change, x.json.id]), [['updated', c.json.id]]);
    await vt({ operation: 'delete', id: c.json.id });
    const deleted = await p();
    assert.deepEqual(deleted[0].map((x) => x.json), [{ change: 'deleted', module: 'Contacts', id: c.json.id }]);
    assert.equal(await p(), null, 'reported once');

    // the Sync operation does the same from its stored checkpoint
    const staticSync = {};
    const s = () => run(Vtiger, { credentials, staticData: staticSync, params: { operation: 'sync', module: 'Contacts', startDate: new Date(Date.now() + 3600_000).toISOString(), syncOutput: 'summary' } });
    assert.deepEqual((await s())[0].json.deleted, []);
    const [victim, victim2] = staticData.ids.slice(5, 7);
    await vt({ operation: 'delete', id: victim });
    const [sum] = await s();
    assert.equal(sum.json.strategy, 'query');
    assert.deepEqual(sum.json.deleted, [victim]);

    // turned off: the query strategy reports no deletion
    const off = {};
    const q = (params = {}) => poll({ credentials, staticData: off, params: { module: 'Contacts', options: { idDiff: false }, ...params } });
    assert.equal(await q(), null);
    assert.equal(off.ids, undefined);
    await vt({ operation: 'delete', id: victim2 });
    assert.equal(await q(), null);
  } finally {
    await sim.close();
  }
});
