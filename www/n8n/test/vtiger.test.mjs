// The Vtiger node's execute() with a stub n8n context against crmwire-sim (stock 8.4 profile):
// every operation, items in → items out, bounded concurrency, Continue On Fail, error mapping,
// no secret in any output or error.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Vtiger, NodeApiError, NodeOperationError, run, startSim, watchFetch, assertNoSecrets, errorText, resetClients } from './harness.mjs';

const sim = await startSim({ profile: 'vtiger-8.4', seedRecords: 250 });
const spy = watchFetch([sim.accessKey]);
test.after(async () => {
  spy.restore();
  await sim.close();
});
const credentials = { url: sim.url, username: sim.username, accessKey: sim.accessKey };
const vt = (params, o = {}) => run(Vtiger, { credentials, params, ...o });
const outputs = [];
const keep = (items) => (outputs.push(items), items);
const uniq = `${process.pid}x${Date.now() % 100000}`;

test('credential test logs in; a wrong key is an Error result without the key', async () => {
  const n = new Vtiger();
  const ok = await n.methods.credentialTest.crmwireVtigerApiTest.call({}, { data: credentials });
  assert.equal(ok.status, 'OK');
  assert.match(ok.message, /19x1/);
  const bad = await n.methods.credentialTest.crmwireVtigerApiTest.call({}, { data: { ...credentials, accessKey: 'wrongKeyWrongKey123' } });
  assert.equal(bad.status, 'Error');
  assert.match(bad.message, /^INVALID_USER_CREDENTIALS: /);
  assert.ok(!bad.message.includes('wrongKeyWrongKey123'));
});

test('login (compatibility) returns the login info and no session name; there is no session parameter', async () => {
  const [item] = keep(await vt({ operation: 'login' }));
  assert.deepEqual(Object.keys(item.json).sort(), ['userId', 'username', 'version', 'vtigerVersion']);
  assert.equal(item.json.userId, '19x1');
  assert.equal(item.json.vtigerVersion, '8.4.0');
  const params = [];
  const walk = (props) => {
    for (const p of props ?? []) {
      params.push(`${p.name} ${p.displayName}`);
      walk(p.options?.flatMap?.((o) => o.values ?? (o.type ? [o] : [])));
      walk(p.values);
    }
  };
  walk(new Vtiger().description.properties);
  assert.ok(params.length > 20);
  assert.deepEqual(params.filter((s) => /session/i.test(s)), [], 'no Session Name parameter anywhere');
  const ext = keep(await vt({ operation: 'extendSession' }));
  assert.equal(ext.length, 1);
});

test('create → retrieve → revise → update → delete, one call per item, output paired with input', async () => {
  const names = ['Ada', "O'Brien", 'Zoë'].map((n) => `${n} ${uniq}`);
  const created = keep(
    await vt(
      { operation: 'create', module: 'Contacts', fields: (i) => ({ field: [{ name: 'lastname', value: names[i] }, { name: 'assigned_user_id', value: '19x1' }] }) },
      { items: names.map((n) => ({ n })) },
    ),
  );
  assert.deepEqual(created.map((x) => x.json.lastname), names);
  assert.deepEqual(created.map((x) => x.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
  const ids = created.map((x) => x.json.id);
  assert.ok(ids.every((id) => /^12x\d+$/.test(id)));

  const got = keep(await vt({ operation: 'retrieve', id: (i) => ids[i] }, { items: ids.map(() => ({})) }));
  assert.deepEqual(got.map((x) => x.json.id), ids);

  const revised = keep(await vt({ operation: 'revise', id: ids[1], fieldsInput: 'json', fieldsJson: '{"mailingcity":"Cork"}' }));
  assert.equal(revised[0].json.mailingcity, 'Cork');
  assert.equal(revised[0].json.lastname, names[1]);

  const updated = keep(await vt({ operation: 'update', id: ids[0], fieldsInput: 'json', fieldsJson: { lastname: `${names[0]} B`, assigned_user_id: '19x1' } }));
  assert.equal(updated[0].json.lastname, `${names[0]} B`);

  const del = keep(await vt({ operation: 'delete', id: (i) => ids[i] }, { items: ids.map(() => ({})) }));
  assert.deepEqual(del.map((x) => x.json), ids.map((id) => ({ id, deleted: true, status: 'successful' })));
  await assert.rejects(vt({ operation: 'retrieve', id: ids[0] }), (e) => e instanceof NodeApiError && e.context.crmwire.code === 'ACCESS_DENIED');
});

test('query: builder values are quoted by crmwire, Return All pages past 100, limit, raw VTQL, count', async () => {
  const [c] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Q'uote \\ ${uniq}`, mailingcity: 'Lyon', assigned_user_id: '19x1' } });
  const hit = keep(await vt({ operation: 'query', queryModule: 'Contacts', selectFields: 'id, lastname', conditions: { condition: [{ field: 'lastname', op: 'eq', value: `Q'uote \\ ${uniq}` }] } }));
  assert.deepEqual(hit.map((x) => x.json.id), [c.json.id]);
  assert.deepEqual(Object.keys(hit[0].json).sort(), ['id', 'lastname']);

  const all = await vt({ operation: 'query', queryModule: 'Contacts', selectFields: 'id', returnAll: true });
  const stats = await sim.stats();
  assert.equal(all.length, stats.records.Contacts, 'every contact, past the 100-row page');
  assert.ok(all.length > 200);
  assert.equal(new Set(all.map((x) => x.json.id)).size, all.length);

  const five = await vt({ operation: 'query', queryModule: 'Contacts', selectFields: 'id,lastname', limit: 5, orderBy: 'lastname', orderDir: 'desc' });
  assert.equal(five.length, 5);
  const sorted = [...five.map((x) => x.json.lastname)].sort().reverse();
  assert.deepEqual(five.map((x) => x.json.lastname), sorted);

  const or = await vt({ operation: 'query', queryModule: 'Contacts', combine: 'or', conditions: { condition: [{ field: 'id', op: 'eq', value: c.json.id }, { field: 'lastname', op: 'in', value: `nobody-${uniq}, Q'uote \\ ${uniq}` }] } });
  assert.deepEqual(or.map((x) => x.json.id), [c.json.id]);

  const raw = await vt({ operation: 'query', queryMode: 'raw', vtql: `SELECT id FROM Contacts WHERE mailingcity = 'Lyon';`, returnAll: true });
  assert.ok(raw.some((x) => x.json.id === c.json.id));

  const [n] = keep(await vt({ operation: 'count', queryModule: 'Contacts' }));
  assert.deepEqual(n.json, { count: all.length });
  const [n2] = await vt({ operation: 'count', queryMode: 'raw', vtql: `SELECT id FROM Contacts WHERE lastname = 'Q''uote \\\\ ${uniq}';` });
  assert.deepEqual(n2.json, { count: 1 });
  await vt({ operation: 'delete', id: c.json.id });
});

test('listTypes, describe, relatedTypes, related records, add related, convert lead', async () => {
  const types = keep(await vt({ operation: 'listTypes' }));
  const contacts = types.find((x) => x.json.name === 'Contacts');
  assert.ok(contacts && contacts.json.isEntity === true, JSON.stringify(types.slice(0, 2)));
  const [d] = keep(await vt({ operation: 'describe', module: 'Contacts' }));
  assert.equal(d.json.name, 'Contacts');
  assert.ok(d.json.fields.some((f) => f.name === 'lastname' && f.mandatory));

  const rel = keep(await vt({ operation: 'relatedTypes', module: 'Accounts' }));
  assert.ok(rel.some((x) => x.json.name === 'Contacts'), JSON.stringify(rel.map((x) => x.json)));

  const [acc] = await vt({ operation: 'create', module: 'Accounts', fieldsInput: 'json', fieldsJson: { accountname: `Acme ${uniq}`, assigned_user_id: '19x1' } });
  // Accounts → Contacts is held by the Contact's account_id: add_related answers success but links
  // nothing there (recordings 930–932); the field makes the relation.
  const [con] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Rel ${uniq}`, assigned_user_id: '19x1', account_id: acc.json.id } });
  const [loose] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Loose ${uniq}`, assigned_user_id: '19x1' } });
  const [added] = keep(await vt({ operation: 'addRelated', id: acc.json.id, relatedId: loose.json.id, relationLabel: 'Contacts' }));
  assert.equal(added.json.sourceId, acc.json.id);
  assert.equal(added.json.result.message, 'successfull');
  const related = keep(await vt({ operation: 'retrieveRelated', id: acc.json.id, relatedLabel: 'Contacts', relatedType: 'Contacts' }));
  assert.deepEqual(related.map((x) => x.json.id), [con.json.id]);
  const q = keep(await vt({ operation: 'queryRelated', id: acc.json.id, relatedLabel: 'Contacts', relatedQuery: 'SELECT id, lastname FROM Contacts;' }));
  assert.deepEqual(q.map((x) => x.json.id), [con.json.id]);

  const [lead] = await vt({ operation: 'create', module: 'Leads', fieldsInput: 'json', fieldsJson: { lastname: `Lead ${uniq}`, company: `LeadCo ${uniq}`, assigned_user_id: '19x1' } });
  const [conv] = keep(
    await vt({
      operation: 'convertLead',
      leadId: lead.json.id,
      conversion: JSON.stringify({ assignedTo: '19x1', entities: { Accounts: { create: true, name: 'Accounts', accountname: `LeadCo ${uniq}` }, Contacts: { create: true, name: 'Contacts', lastname: `Lead ${uniq}` } } }),
    }),
  );
  assert.match(conv.json.Accounts, /^11x\d+$/);
  assert.match(conv.json.Contacts, /^12x\d+$/);
  await vt({ operation: 'delete', id: (i) => [acc.json.id, con.json.id, loose.json.id, conv.json.Accounts, conv.json.Contacts][i] }, { items: [{}, {}, {}, {}, {}] });
});

test('sync: updated then deleted records, resuming from the checkpoint in static data (stock 8.4: sync → wsapp)', async () => {
  const staticData = {};
  const startDate = new Date(Date.now() - 5000).toISOString();
  const [c] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Sync ${uniq}`, assigned_user_id: '19x1' } });
  const first = keep(await vt({ operation: 'sync', module: 'Contacts', startDate }, { staticData }));
  const mine = first.filter((x) => x.json.id === c.json.id);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].json.change, 'updated');
  assert.equal(mine[0].json.module, 'Contacts');
  assert.equal(mine[0].json.record.lastname, `Sync ${uniq}`);
  const cp = staticData.checkpoints.Contacts;
  assert.match(cp, /^v1:wsapp:Contacts:/);
  assert.equal(mine[0].json.checkpoint, cp);

  await vt({ operation: 'delete', id: c.json.id });
  const second = keep(await vt({ operation: 'sync', module: 'Contacts', startDate }, { staticData }));
  // (other tests' changes of the last seconds show up too: look at this record and at repeats)
  assert.deepEqual(second.filter((x) => x.json.id === c.json.id).map((x) => x.json.change), ['deleted']);
  // no update is repeated (a deletion in the checkpoint's own second may be: crmwire documents it)
  const firstUpdated = new Set(first.filter((x) => x.json.change === 'updated').map((x) => x.json.id));
  assert.deepEqual(second.filter((x) => x.json.change === 'updated' && firstUpdated.has(x.json.id)), [], 'no update repeated');
  const firstDeleted = new Set(first.filter((x) => x.json.change === 'deleted').map((x) => x.json.id));
  assert.deepEqual(second.filter((x) => x.json.change === 'deleted' && firstDeleted.has(x.json.id)), [], 'no deletion repeated');
  assert.deepEqual(staticData.deletions.Contacts.ids.filter((id) => id === c.json.id), [c.json.id], 'remembered for the checkpoint second');

  const third = await vt({ operation: 'sync', module: 'Contacts', syncOutput: 'summary' }, { staticData });
  assert.equal(third.length, 1);
  assert.deepEqual(third[0].json, { module: 'Contacts', updated: [], deleted: [], checkpoint: staticData.checkpoints.Contacts, strategy: third[0].json.strategy });

  // an explicit checkpoint replays from there and leaves the stored one alone
  const stored = staticData.checkpoints.Contacts;
  const again = await vt({ operation: 'sync', module: 'Contacts', resumeFrom: 'checkpoint', checkpoint: cp, syncOutput: 'summary' }, { staticData });
  assert.ok(again[0].json.deleted.includes(c.json.id));
  assert.ok(!again[0].json.updated.some((r) => r.id === c.json.id));
  assert.equal(staticData.checkpoints.Contacts, stored);
});

test('Continue On Fail: one error item per failed item, with crmwire and server codes; the others go on', async () => {
  const [c] = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: `Cof ${uniq}`, assigned_user_id: '19x1' } });
  const ids = [c.json.id, '12x999999', 'not-an-id', c.json.id];
  const out = keep(await vt({ operation: 'retrieve', id: (i) => ids[i] }, { items: ids.map(() => ({})), continueOnFail: true }));
  assert.equal(out.length, 4);
  assert.deepEqual(out.map((x) => x.pairedItem.item), [0, 1, 2, 3]);
  assert.equal(out[0].json.id, c.json.id);
  assert.equal(out[3].json.id, c.json.id);
  assert.equal(out[1].json.code, 'ACCESS_DENIED');
  assert.equal(out[1].json.crmCode, 'ACCESS_DENIED');
  assert.equal(out[1].json.status, 200);
  assert.equal(typeof out[1].json.error, 'string');
  assert.equal(out[2].json.code, 'INVALID_INPUT');
  assert.equal(out[2].json.field, 'id');
  await vt({ operation: 'delete', id: c.json.id });
});

test('errors: server refusals are NodeApiError (codes kept), checks before sending are NodeOperationError naming the field', async () => {
  const e1 = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { firstname: 'NoLastname' } }).catch((e) => e);
  assert.ok(e1 instanceof NodeApiError, String(e1));
  assert.equal(e1.context.crmwire.code, 'MANDATORY_FIELDS_MISSING');
  assert.equal(e1.context.crmwire.crmCode, 'MANDATORY_FIELDS_MISSING');
  assert.equal(e1.context.itemIndex, 0);
  assert.equal(e1.httpCode, '200');
  assert.match(e1.description, /crmwire code MANDATORY_FIELDS_MISSING/);

  const e2 = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: { lastname: 'Emoji 😀', assigned_user_id: '19x1' } }, { items: [{}, {}] }).catch((e) => e);
  assert.ok(e2 instanceof NodeOperationError, String(e2));
  assert.match(e2.message, /lastname/);
  assert.equal(e2.context.crmwire.code, 'INVALID_INPUT');
  assert.equal(e2.context.crmwire.field, 'lastname');

  const e3 = await vt({ operation: 'create', module: 'Contacts', fieldsInput: 'json', fieldsJson: '{"lastname": ' }).catch((e) => e);
  assert.ok(e3 instanceof NodeOperationError);
  assert.match(e3.message, /Fields \(JSON\) is not valid JSON/);

  // a stock 8.4 answers retrieve_inventory… not exposed; a server 500: sync on a module that has none is covered by the sim's profile
  resetClients();
  const bad = await run(Vtiger, { credentials: { ...credentials, accessKey: 'wrongKeyWrongKey123' }, params: { operation: 'listTypes' } }).catch((e) => e);
  assert.ok(bad instanceof NodeApiError);
  assert.equal(bad.context.crmwire.code, 'INVALID_USER_CREDENTIALS');
  assert.ok(!errorText(bad).includes('wrongKeyWrongKey123'));
  outputs.push(e1, e2, e3, bad);
});

test('bounded concurrency: at most N calls in flight, and more than one', async () => {
  const ids = [];
  for (let i = 0; i < 8; i++) ids.push('19x1');
  await vt({ operation: 'login' });
  await sim.fault({ fault: 'delay_headers_ms', ms: 60, operation: 'retrieve' });
  try {
    for (const [concurrency, want] of [[3, 3], [1, 1]]) {
      spy.state.maxInFlight = 0;
      const t0 = Date.now();
      const out = await vt({ operation: 'retrieve', id: (i) => ids[i], options: { concurrency } }, { items: ids.map(() => ({})) });
      assert.equal(out.length, 8);
      assert.equal(spy.state.maxInFlight, want, `concurrency ${concurrency}`);
      if (concurrency === 1) assert.ok(Date.now() - t0 >= 8 * 60);
    }
  } finally {
    await sim.clearFaults();
  }
});

test('a failure without Continue On Fail stops new items and reports the failed item', async () => {
  const ids = ['19x1', 'bogus', '19x1', '19x1', '19x1', '19x1'];
  spy.state.requests.length = 0;
  const e = await vt({ operation: 'retrieve', id: (i) => ids[i], options: { concurrency: 1 } }, { items: ids.map(() => ({})) }).catch((x) => x);
  assert.ok(e instanceof NodeOperationError);
  assert.equal(e.context.itemIndex, 1);
  assert.equal(spy.state.requests.filter((r) => r.operation === 'retrieve').length, 1, 'items after the failure are not sent');
});

test('no secret in any output item or error', () => {
  assert.ok(spy.secrets.size >= 3, 'saw the key, a challenge token and a session name');
  assertNoSecrets(assert, spy.secrets, outputs);
});
