// The Perfex node's execute() with a stub context against crmwire-sim's WON API and REST API:
// six resources × create/get/list/update/delete on both, join by VAT, validation errors naming
// the field, the normalised view, error mapping and Continue On Fail, no token anywhere.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Perfex, NodeApiError, NodeOperationError, run, startSim, watchFetch, assertNoSecrets } from './harness.mjs';
import { fixtures } from '../../../tests/js/perfex/fixtures.mjs';

const sim = await startSim({ profile: 'vtiger-8.4', seedRecords: 1 });
const spy = watchFetch([sim.perfexToken]);
test.after(async () => {
  spy.restore();
  await sim.close();
});
const creds = (api) => ({ url: sim.url, token: sim.perfexToken, api });
const px = (api, params, o = {}) => run(Perfex, { credentials: creds(api), params, ...o });
const outputs = [];
const keep = (x) => (outputs.push(x), x);
const RES = { customers: 'customer', contacts: 'contact', leads: 'lead', projects: 'project', tasks: 'task', invoices: 'invoice' };
const pk = (r) => (r === 'customers' ? 'userid' : 'id');

for (const api of ['won', 'rest']) {
  for (const [r, resource] of Object.entries(RES)) {
    test(`${api} ${resource}: create → get → get many → update → delete`, async () => {
      const [fields, change] = fixtures(api)[r];
      const [created] = keep(await px(api, { resource, operation: 'create', fieldsInput: 'json', fieldsJson: JSON.stringify(fields) }));
      const id = created.json[pk(r)];
      assert.match(String(id), /^\d+$/, JSON.stringify(created.json));
      const contactOpts = r === 'contacts' ? { customerId: '1' } : {};
      const [got] = keep(await px(api, { resource, operation: 'get', id, ...contactOpts }));
      assert.equal(got.json[pk(r)], id);
      const many = keep(await px(api, { resource, operation: 'getAll', returnAll: true, ...contactOpts, options: { pageSize: 7 } }));
      assert.ok(many.some((x) => x.json[pk(r)] === id));
      assert.equal(new Set(many.map((x) => x.json[pk(r)])).size, many.length);
      const limited = await px(api, { resource, operation: 'getAll', limit: 2, ...contactOpts });
      assert.equal(limited.length, 2);
      const [upd] = keep(await px(api, { resource, operation: 'update', id, ...(r === 'invoices' ? { fieldsInput: 'json', fieldsJson: change } : { fieldsInput: 'pairs', fields: { field: Object.entries(change).map(([name, value]) => ({ name, value })) } }) }));
      if (api === 'won') assert.equal(upd.json[pk(r)], id);
      else assert.deepEqual(Object.keys(upd.json).sort(), ['id', 'message']);
      const [after] = await px(api, { resource, operation: 'get', id, ...contactOpts });
      for (const [k, v] of Object.entries(change)) if (typeof v === 'string') assert.equal(after.json[k], v);
      const [del] = keep(await px(api, { resource, operation: 'delete', id }));
      assert.equal(del.json.id, id);
      assert.equal(del.json.deleted, true);
      const gone = await px(api, { resource, operation: 'get', id, ...contactOpts }).catch((e) => e);
      assert.ok(gone instanceof NodeApiError);
      assert.equal(gone.httpCode, '404');
      assert.equal(gone.context.crmwire.code, 'RECORD_NOT_FOUND');
    });
  }
}

test('search and filters on both APIs', async () => {
  for (const api of ['won', 'rest']) {
    const [c] = await px(api, { resource: 'customer', operation: 'create', fieldsInput: 'json', fieldsJson: { company: `Findme ${api} ${process.pid}` } });
    const hits = await px(api, { resource: 'customer', operation: 'getAll', returnAll: true, search: `Findme ${api} ${process.pid}` });
    assert.deepEqual(hits.map((x) => x.json.userid), [c.json.userid]);
    const inv = await px(api, { resource: 'invoice', operation: 'getAll', returnAll: true, filters: { filter: [{ name: 'clientid', value: '2' }] } });
    assert.ok(inv.length > 0 && inv.every((x) => x.json.clientid === '2'));
    await px(api, { resource: 'customer', operation: 'delete', id: c.json.userid });
  }
});

test('join by VAT on WON; on REST it is a NodeOperationError (UNSUPPORTED)', async () => {
  const [hit] = keep(await px('won', { resource: 'customer', operation: 'join', vat: '11.222.333/0001-02' }));
  assert.equal(hit.json.userid, '2');
  const e = await px('rest', { resource: 'customer', operation: 'join', vat: '11222333000102' }).catch((x) => x);
  assert.ok(e instanceof NodeOperationError);
  assert.equal(e.context.crmwire.code, 'UNSUPPORTED');
  const miss = await px('won', { resource: 'customer', operation: 'join', vat: '999.999.999-99' }).catch((x) => x);
  assert.ok(miss instanceof NodeApiError);
  assert.equal(miss.context.crmwire.code, 'RECORD_NOT_FOUND');
});

test("crmwire's validation as n8n errors naming the field (English and the seed node's Portuguese)", async () => {
  const email = await px('won', { resource: 'contact', operation: 'create', fieldsInput: 'json', fieldsJson: { customer_id: '1', firstname: 'A', lastname: 'B', email: 'not-an-email' } }).catch((e) => e);
  assert.ok(email instanceof NodeOperationError, String(email));
  assert.match(email.message, /email/);
  assert.equal(email.context.crmwire.field, 'email');
  const pt = await px('won', { resource: 'contact', operation: 'create', fieldsInput: 'json', fieldsJson: { customer_id: '1', firstname: 'A', lastname: 'B', email: 'x' }, options: { locale: 'pt-BR' } }).catch((e) => e);
  assert.match(pt.message, /Email inválido/);
  const vat = await px('won', { resource: 'customer', operation: 'create', fieldsInput: 'json', fieldsJson: { company: 'X', vat: '123' } }).catch((e) => e);
  assert.equal(vat.context.crmwire.field, 'vat');
  assert.match(vat.message, /vat/);
  const date = await px('rest', { resource: 'task', operation: 'create', fieldsInput: 'json', fieldsJson: { name: 'T', startdate: '01/06/2025' } }).catch((e) => e);
  assert.ok(date instanceof NodeOperationError);
  assert.equal(date.context.crmwire.field, 'startdate');
  const required = await px('won', { resource: 'project', operation: 'create', fieldsInput: 'json', fieldsJson: { name: 'P' } }).catch((e) => e);
  assert.equal(required.context.crmwire.field, 'clientid');
  outputs.push(email, pt, vat, date, required);
});

test('normalised view: the same shape from both APIs', async () => {
  const views = {};
  for (const api of ['won', 'rest']) {
    const [c] = await px(api, { resource: 'customer', operation: 'get', id: '1', options: { normalize: true } });
    views[api] = c.json;
    assert.equal(Object.keys(c.json)[0], 'id');
    assert.equal(c.json.id, '1');
    assert.equal(typeof c.json.active, 'boolean');
    const [raw] = await px(api, { resource: 'customer', operation: 'get', id: '1' });
    assert.equal(typeof raw.json.active, 'string');
  }
  for (const k of ['id', 'userid', 'company', 'active', 'datecreated']) assert.deepEqual(views.won[k], views.rest[k], k);
});

test('a bad token is a NodeApiError (401, INVALID_AUTH_TOKEN) without the token; Continue On Fail gives one error item per item', async () => {
  const badToken = 'definitely-not-the-token-123';
  const e = await run(Perfex, { credentials: { url: sim.url, token: badToken, api: 'won' }, params: { resource: 'lead', operation: 'get', id: '1' } }).catch((x) => x);
  assert.ok(e instanceof NodeApiError);
  assert.equal(e.httpCode, '401');
  assert.equal(e.context.crmwire.code, 'INVALID_AUTH_TOKEN');
  assertNoSecrets(assert, new Set([badToken]), [e]);

  const ids = ['1', '999999', 'abc', '2'];
  const out = keep(await px('won', { resource: 'lead', operation: 'get', id: (i) => ids[i] }, { items: ids.map(() => ({})), continueOnFail: true }));
  assert.deepEqual(out.map((x) => x.pairedItem.item), [0, 1, 2, 3]);
  assert.equal(out[0].json.id, '1');
  assert.equal(out[1].json.code, 'RECORD_NOT_FOUND');
  assert.equal(out[1].json.status, 404);
  assert.equal(out[1].json.crmCode, '404');
  assert.equal(out[2].json.code, 'INVALID_INPUT');
  assert.equal(out[2].json.field, 'id');
  assert.equal(out[3].json.id, '2');
});

test('credential test: OK for the right token on both APIs, Error naming the code otherwise', async () => {
  const t = new Perfex().methods.credentialTest.crmwirePerfexApiTest;
  for (const api of ['won', 'rest']) {
    assert.equal((await t.call({}, { data: creds(api) })).status, 'OK');
    const bad = await t.call({}, { data: { ...creds(api), token: 'nope-nope-nope' } });
    assert.equal(bad.status, 'Error');
    assert.match(bad.message, /^INVALID_AUTH_TOKEN: /);
  }
});

test('REST create whose look-up fails: reported as created with lookupError, never as a failure (a create is not retried)', async () => {
  const before = globalThis.fetch;
  let posts = 0;
  globalThis.fetch = async (url, init = {}) => {
    if ((init.method ?? 'GET') === 'POST') posts++;
    if ((init.method ?? 'GET') === 'GET' && String(url).includes('/search/')) throw new TypeError('fetch failed');
    return before(url, init);
  };
  try {
    const out = keep(await px('rest', { resource: 'lead', operation: 'create', fieldsInput: 'json', fieldsJson: { name: `Lookup ${process.pid}`, source: '1', status: '1', assigned: '1', email: `lookup.${process.pid}@example.com` } }));
    assert.equal(out.length, 1);
    assert.equal(posts, 1);
    assert.equal(out[0].json.id, null);
    assert.match(out[0].json.message, /add successful/i);
    assert.equal(out[0].json.lookupError.code, 'TRANSPORT');
  } finally {
    globalThis.fetch = before;
  }
});

test('no token in any output item or error', () => {
  assertNoSecrets(assert, spy.secrets, outputs);
});
