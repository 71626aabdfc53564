// PerfexClient against crmwire-sim: every resource × operation in both API modules (WON and
// REST), paging, search, a customer's contacts, join by VAT, the REST post-create lookup and
// the normalised view.
import test from 'node:test';
import assert from 'node:assert/strict';
import { PerfexClient, isCrmError } from 'crmwire';
import { startSim } from '../test/sim.mjs';
import { fixtures, tag } from './fixtures.mjs';

const sim = await startSim();
test.after(() => sim.close());

const mk = (api, o = {}) => new PerfexClient({ url: sim.url, token: sim.perfexToken, api, retry: { retries: 1, baseMs: 5 }, ...o });
const all = async (it) => {
  const out = [];
  for await (const x of it) out.push(x);
  return out;
};
const code = (c) => (e) => isCrmError(e) && e.code === c;
const RESOURCES = ['customers', 'contacts', 'leads', 'projects', 'tasks', 'invoices'];
const pk = (r) => (r === 'customers' ? 'userid' : 'id');
/** The search term that finds the created record. */
const termOf = (r, f) => ({ customers: f.company, contacts: f.email, leads: f.name, projects: f.name, tasks: f.name, invoices: f.number })[r];

for (const api of ['won', 'rest']) {
  for (const r of RESOURCES) {
    test(`${api} ${r}: create → get → search → list → update → delete`, async () => {
      const c = mk(api);
      const [fields, change] = fixtures(api)[r];
      const created = await c.create(r, fields);
      assert.equal(typeof created.message, 'string');
      assert.ok(created.message.length > 0);
      // WON answers the row; REST finds it with the post-create lookup.
      const rec = created.record;
      assert.ok(rec, `no record after create: ${JSON.stringify(created)}`);
      assert.equal(created.lookupError, undefined);
      const id = rec[pk(r)];
      assert.match(id, /^\d+$/);
      assert.equal(created.id, id);
      for (const k of ['company', 'name', 'email', 'lastname']) if (k in fields) assert.equal(rec[k], fields[k]);
      if (r === 'customers' && api === 'won') assert.equal(rec.vat, '52998224725', 'CPF sent as digits');
      if (r === 'invoices' && api === 'rest') assert.equal(Number(rec.number), Number(fields.number));

      const getOpts = r === 'contacts' ? { customerId: '1' } : {};
      const got = await c.get(r, id, getOpts);
      assert.equal(got[pk(r)], id);
      if (r === 'invoices' && api === 'rest') {
        assert.ok(Array.isArray(got.items) && got.items.length === 1, 'REST invoice lines');
        assert.equal(got.items[0].description, 'Work');
      }

      const found = await all(c.search(r, termOf(r, fields)));
      assert.ok(found.some((x) => x[pk(r)] === id), `search ${termOf(r, fields)} missed ${id}`);

      const listed = r === 'contacts' && api === 'rest' ? await all(c.customerContacts('1', { pageSize: 1 })) : await all(c.list(r, { pageSize: 7 }));
      const ids = listed.map((x) => x[pk(r)]);
      assert.equal(new Set(ids).size, ids.length, 'no duplicates across pages');
      assert.ok(ids.includes(id), 'the new record is listed');
      assert.ok(listed.length > (r === 'contacts' && api === 'rest' ? 1 : 7), 'more than one page');

      const upd = await c.update(r, id, change);
      assert.equal(typeof upd.message, 'string');
      if (api === 'won') assert.equal(upd.record[pk(r)], id);
      const after = await c.get(r, id, getOpts);
      for (const [k, v] of Object.entries(change)) if (typeof v === 'string') assert.equal(after[k], v, `${k} updated`);

      const del = await c.delete(r, id);
      assert.ok(del.message.length > 0);
      await assert.rejects(c.get(r, id, getOpts), (e) => code('RECORD_NOT_FOUND')(e) && e.operation === `${r}.get` && e.status === 404);
      await assert.rejects(c.delete(r, id), (e) => code('RECORD_NOT_FOUND')(e) && e.operation === `${r}.delete`);
    });
  }
}

test('paging: every record once, page sizes and maxRecords honoured (both APIs agree)', async () => {
  const won = await all(mk('won').list('tasks', { pageSize: 4 }));
  const rest = await all(mk('rest').list('tasks', { pageSize: 4 }));
  const wonBig = await all(mk('won').list('tasks', { pageSize: 100 }));
  assert.deepEqual(won.map((t) => t.id), wonBig.map((t) => t.id));
  assert.deepEqual(new Set(won.map((t) => t.id)), new Set(rest.map((t) => t.id)));
  assert.ok(won.length >= 30);
  for (const api of ['won', 'rest']) {
    const five = await all(mk(api).list('customers', { pageSize: 2, maxRecords: 5 }));
    assert.equal(five.length, 5);
    const second = await all(mk(api).list('customers', { pageSize: 10, startPage: 2, maxRecords: 3 }));
    const first = await all(mk(api).list('customers', { pageSize: 10, maxRecords: 13 }));
    assert.deepEqual(second.map((x) => x.userid), first.slice(10, 13).map((x) => x.userid));
    assert.equal((await all(mk(api).list('leads', { maxRecords: 0 }))).length, 0);
  }
});

test('paging requests: WON page/limit, REST learns v2/v3 from the first answer', async () => {
  for (const api of ['won', 'rest']) {
    const urls = [];
    const c = mk(api, { onRequest: (i) => urls.push(i.url) });
    const rows = await all(c.list('projects', { pageSize: 5 }));
    assert.ok(rows.length >= 12);
    if (api === 'won') {
      assert.ok(urls.every((u) => /\/won_api\/won\/api\/projects\?page=\d+&limit=5$/.test(u)), urls.join('\n'));
      assert.equal(urls.length, Math.ceil(rows.length / 5) + (rows.length % 5 === 0 ? 1 : 0));
    } else {
      assert.match(urls[0], /\/api\/projects\?page=1&per_page=5$/);
    }
  }
});

test('filters: WON sends them to the server, REST applies them client-side', async () => {
  for (const api of ['won', 'rest']) {
    const rows = await all(mk(api).list('invoices', { filters: { clientid: '2' }, pageSize: 3 }));
    assert.ok(rows.length > 0);
    assert.ok(rows.every((x) => x.clientid === '2'), api);
  }
  await assert.rejects(all(mk('won').list('invoices', { filters: ['x'] })), (e) => code('INVALID_INPUT')(e) && e.field === 'filters');
  await assert.rejects(all(mk('won').list('invoices', { filters: { 'a b': '1' } })), code('INVALID_INPUT'));
});

test('customerContacts: WON filters by userid, REST /api/contacts/{customer}; REST plain contact list needs the customer', async () => {
  for (const api of ['won', 'rest']) {
    const rows = await all(mk(api).customerContacts('1'));
    assert.ok(rows.length > 0, api);
    assert.ok(rows.every((x) => x.userid === '1'), api);
  }
  // REST has no plain contact list: the customer is required, before any request
  const noFetch = mk('rest', { fetch: () => assert.fail('no request expected') });
  await assert.rejects(all(noFetch.list('contacts')), (e) => code('INVALID_INPUT')(e) && e.field === 'customer_id');
  await assert.rejects(all(mk('rest').customerContacts('abc')), (e) => code('INVALID_INPUT')(e) && e.field === 'customer_id');
});

test('search: no hit is an empty result in both APIs (REST 404 "No data were found")', async () => {
  for (const api of ['won', 'rest']) {
    assert.deepEqual(await all(mk(api).search('leads', 'zz-no-such-lead-zz')), []);
    assert.deepEqual(await all(mk(api).search('customers', 'zz-nothing')), []);
  }
});

test('joinByVat: WON finds the customer by CPF/CNPJ with or without punctuation; REST is UNSUPPORTED', async () => {
  const c = mk('won');
  const a = await c.joinByVat('123.456.789-01');
  assert.equal(a.userid, '1');
  const b = await c.joinByVat('11.222.333/0001-02');
  assert.equal(b.userid, '2');
  await assert.rejects(c.joinByVat('999.999.999-99'), (e) => code('RECORD_NOT_FOUND')(e) && e.status === 404 && e.operation === 'customers.join');
  await assert.rejects(c.joinByVat('123'), (e) => code('INVALID_INPUT')(e) && e.field === 'vat');
  await assert.rejects(mk('rest').joinByVat('12345678901'), (e) => code('UNSUPPORTED')(e) && e.operation === 'customers.join');
});

test('normalised view: identical shape in both APIs (id first, flags boolean, ISO datetimes)', async () => {
  const views = {};
  for (const api of ['won', 'rest']) {
    const c = mk(api, { normalize: true });
    const cust = await c.get('customers', '1');
    assert.equal(Object.keys(cust)[0], 'id');
    assert.equal(cust.id, '1');
    assert.equal(cust.userid, '1');
    assert.equal(cust.active, true);
    assert.match(cust.datecreated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const inv = await c.get('invoices', '1');
    assert.equal(inv.sent, false);
    assert.equal(inv.total, '200.00');
    assert.equal(inv.date, '2025-04-02');
    assert.equal(inv.datesend, null);
    const [first] = await all(c.list('tasks', { maxRecords: 1 }));
    assert.equal(Object.keys(first)[0], 'id');
    assert.equal(typeof first.billable, 'boolean');
    views[api] = { cust, inv };
    // per-call override back to the raw view
    const raw = await c.get('customers', '1', { normalize: false });
    assert.equal(raw.active, '1');
    assert.equal(Object.keys(raw)[0] === 'id', false);
  }
  for (const k of ['id', 'company', 'active', 'datecreated', 'vat']) assert.deepEqual(views.won.cust[k], views.rest.cust[k], k);
  for (const k of ['id', 'number', 'total', 'subtotal', 'date', 'duedate', 'sent']) assert.deepEqual(views.won.inv[k], views.rest.inv[k], k);
});

test('REST create: lookup picks the newest exact match; normalised record; no key field → no lookup', async () => {
  const c = mk('rest', { normalize: true });
  const u = tag();
  const one = await c.create('projects', { name: `Twin ${u}`, clientid: '1', billing_type: '1', start_date: '2025-06-01', status: '2' });
  const two = await c.create('projects', { name: `Twin ${u}`, clientid: '1', billing_type: '1', start_date: '2025-06-01', status: '2' });
  assert.ok(Number(two.record.id) > Number(one.record.id), 'highest id wins');
  assert.equal(two.id, two.record.id);
  assert.equal(Object.keys(two.record)[0], 'id');
  // a contact: found by email among the customer's contacts
  const ct = await c.create('contacts', { customer_id: '2', firstname: 'Cy', lastname: 'Dee', email: `cy.${u}@example.com`, password: 'pw-123456' });
  assert.equal(ct.record.email, `cy.${u}@example.com`);
  assert.equal(ct.record.userid, '2');
  // requests made by create: the POST and one lookup GET
  const seen = [];
  const c2 = mk('rest', { onRequest: (i) => seen.push(`${i.method} ${i.url.replace(sim.url, '')}`) });
  await c2.create('tasks', { name: `Look ${u}`, startdate: '2025-06-01' });
  assert.deepEqual(seen, ['POST /api/tasks', `GET /api/tasks/search/Look%20${encodeURIComponent(u)}`]);
});

test('REST create: a failed lookup is reported in lookupError, not thrown (the create happened)', async () => {
  let n = 0;
  const f = async (url, init) => {
    n++;
    if (init.method === 'GET') throw new TypeError('socket hang up');
    return fetch(url, init);
  };
  const u = tag();
  const c = mk('rest', { fetch: f, retry: 0 });
  const out = await c.create('leads', { name: `LL ${u}`, source: '1', status: '1', assigned: '1' });
  assert.equal(out.record, undefined);
  assert.ok(isCrmError(out.lookupError) && out.lookupError.code === 'TRANSPORT');
  assert.equal(n, 2);
  const found = await all(mk('rest').search('leads', `LL ${u}`));
  assert.equal(found.length, 1, 'the lead exists');
});

test('ids and resource names are checked before any request', async () => {
  const c = mk('won', { fetch: () => assert.fail('no request expected') });
  await assert.rejects(c.get('customers', '1 OR 1=1'), (e) => code('INVALID_INPUT')(e) && e.field === 'id');
  await assert.rejects(c.delete('tasks', '-3'), (e) => code('INVALID_INPUT')(e) && e.field === 'id');
  await assert.rejects(c.get('accounts', '1'), (e) => code('INVALID_INPUT')(e) && e.field === 'resource');
  await assert.rejects(mk('rest').get('contacts', '1'), (e) => code('INVALID_INPUT')(e) && e.field === 'customer_id');
  // aliases work: clients → customers
  assert.equal((await mk('won').get('clients', '1')).userid, '1');
});
