// PerfexClient client-side validation: every check runs before any request (the injected
// fetch fails the test if called), in English and in the seed n8n node's Portuguese.
import test from 'node:test';
import assert from 'node:assert/strict';
import { PerfexClient, isCrmError } from 'crmwire';
import { fixtures } from './fixtures.mjs';

const noFetch = () => assert.fail('no request may be sent for invalid input');
/** A fake REST server: records the POST, answers the post-create lookup GET with "No data". */
function restRecorder(message) {
  const seen = {};
  const fetch = async (url, init) => {
    seen[init.method] = init;
    if (init.method === 'GET') return new Response('{"status":false,"message":"No data were found"}', { status: 404 });
    return new Response(JSON.stringify({ status: true, message }));
  };
  return { seen, fetch };
}
const mk = (api, o = {}) => new PerfexClient({ url: 'http://127.0.0.1:9', token: 'tok', api, fetch: noFetch, ...o });
/** Rejects with INVALID_INPUT on `field` (and `message` when given), operation set. */
const invalid = (field, message, op) => (e) => {
  assert.ok(isCrmError(e), String(e));
  assert.equal(e.code, 'INVALID_INPUT');
  assert.equal(e.field, field);
  if (message !== undefined) assert.equal(e.message, message);
  if (op !== undefined) assert.equal(e.operation, op);
  return true;
};
const RESOURCES = ['customers', 'contacts', 'leads', 'projects', 'tasks', 'invoices'];

test('constructor options are checked: INVALID_INPUT naming the option', () => {
  const base = { url: 'http://127.0.0.1:9', token: 't', api: 'won' };
  for (const [o, field] of [
    [{ url: '' }, 'url'],
    [{ url: 'ftp://crm.example' }, 'baseUrl'],
    [{ token: '' }, 'token'],
    [{ token: '   ' }, 'token'],
    [{ api: 'soap' }, 'api'],
    [{ api: undefined }, 'api'],
    [{ locale: 'fr' }, 'locale'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ fetch: 'nope' }, 'fetch'],
    [{ vatCpfCnpj: 'yes' }, 'vatCpfCnpj'],
  ]) {
    assert.throws(() => new PerfexClient({ ...base, ...o }), invalid(field), JSON.stringify(o));
  }
  assert.throws(() => new PerfexClient(), invalid('options'));
  assert.throws(() => new PerfexClient({ ...base, url: 'ftp://x', locale: 'pt-BR' }), invalid('baseUrl', 'A URL base deve começar com http:// ou https://'));
  assert.equal(new PerfexClient({ ...base, api: 'rest' }).api, 'rest');
});

// The required fields of each create, per module (after the renames: a contact's customer is
// `userid` in WON and `customer_id` in REST; REST invoice lines are sent as `newitems`).
const REQUIRED = {
  won: { customers: ['company'], contacts: ['userid', 'firstname', 'lastname'], leads: ['name'], projects: ['name', 'clientid'], tasks: ['name'], invoices: ['clientid'] },
  rest: {
    customers: ['company'],
    contacts: ['customer_id', 'firstname', 'lastname', 'email', 'password'],
    leads: ['name', 'source', 'status', 'assigned'],
    projects: ['name', 'clientid', 'billing_type', 'start_date', 'status'],
    tasks: ['name', 'startdate'],
    invoices: ['clientid', 'number', 'date', 'currency', 'newitems', 'allowed_payment_modes', 'billing_street', 'subtotal', 'total'],
  },
};
const inputName = (api, r, f) => (f === 'userid' && api === 'won' && r === 'contacts' ? 'customer_id' : f === 'newitems' ? 'items' : f);

for (const api of ['won', 'rest']) {
  test(`${api}: every required field of every create, missing or empty, in both locales`, async () => {
    for (const r of RESOURCES) {
      for (const f of REQUIRED[api][r]) {
        const fields = { ...fixtures(api)[r][0] };
        delete fields[inputName(api, r, f)];
        await assert.rejects(mk(api).create(r, fields), invalid(f, `${f} is required`, `${r}.create`), `${api} ${r} without ${f}`);
        await assert.rejects(mk(api, { locale: 'pt-BR' }).create(r, { ...fields, [inputName(api, r, f)]: '' }), invalid(f, `Campo obrigatório: ${f}`), `${api} ${r} empty ${f}`);
      }
    }
  });
}

test('REST contact: password not required when a set-password email is requested', async () => {
  const fields = { ...fixtures('rest').contacts[0], send_set_password_email: 'on' };
  delete fields.password;
  const rec = restRecorder('Contact Added Successfully');
  const out = await mk('rest', { fetch: rec.fetch }).create('contacts', fields);
  assert.equal(out.message, 'Contact Added Successfully');
  assert.equal(out.record, undefined, 'lookup found nothing: no record, no error');
  assert.equal(out.lookupError, undefined);
  const sent = rec.seen.POST;
  assert.equal(sent.method, 'POST');
  assert.match(sent.body, /send_set_password_email=on/);
  assert.equal(sent.headers['Content-Type'], 'application/x-www-form-urlencoded');
});

test('email addresses (create and update), both modules, both locales', async () => {
  for (const api of ['won', 'rest']) {
    for (const bad of ['nope', 'a@b', 'a b@c.de', '@x.com']) {
      await assert.rejects(mk(api).create('contacts', { ...fixtures(api).contacts[0], email: bad }), invalid('email', 'invalid email address', 'contacts.create'), bad);
      await assert.rejects(mk(api, { locale: 'pt-BR' }).create('leads', { ...fixtures(api).leads[0], email: bad }), invalid('email', 'Email inválido'));
      await assert.rejects(mk(api).update('contacts', '3', { email: bad }), invalid('email', undefined, 'contacts.update'));
    }
  }
});

test('CPF/CNPJ: checked by default in WON, opt-in in REST; joinByVat always', async () => {
  const msgEn = 'invalid CPF/CNPJ: must have 11 digits (CPF) or 14 digits (CNPJ)';
  const msgPt = 'CPF/CNPJ inválido. Deve ter 11 dígitos (CPF) ou 14 dígitos (CNPJ)';
  for (const vat of ['123', '123.456.789-0', '11.222.333/0001-0', '123456789012']) {
    await assert.rejects(mk('won').create('customers', { company: 'X', vat }), invalid('vat', msgEn, 'customers.create'), vat);
    await assert.rejects(mk('won', { locale: 'pt-BR' }).update('customers', '1', { vat }), invalid('vat', msgPt));
    await assert.rejects(mk('rest', { vatCpfCnpj: true }).create('customers', { company: 'X', vat }), invalid('vat', msgEn));
    await assert.rejects(mk('won').joinByVat(vat), invalid('vat', msgEn, 'customers.join'));
  }
  // REST default: any country's VAT number passes
  const rec = restRecorder('Client add successful.');
  await mk('rest', { fetch: rec.fetch }).create('customers', { company: 'Y', vat: 'DE123456789' });
  assert.match(rec.seen.POST.body, /vat=DE123456789/);
  // WON sends the cleaned digits
  let won = null;
  const w = mk('won', { fetch: async (u, init) => ((won = JSON.parse(init.body)), new Response('{"success":true,"data":{"userid":"9","company":"Z"},"message":"Registro criado"}', { status: 201 })) });
  const out = await w.create('customers', { company: 'Z', vat: '11.222.333/0001-02' });
  assert.equal(won.vat, '11222333000102');
  assert.equal(out.id, '9');
});

test('dates and datetimes', async () => {
  for (const api of ['won', 'rest']) {
    for (const bad of ['2025-13-01', '2025-02-30', '01/06/2025', '2025-6-1', 'tomorrow']) {
      await assert.rejects(mk(api).create('tasks', { ...fixtures(api).tasks[0], startdate: bad }), invalid('startdate', 'startdate must be a date in the format YYYY-MM-DD', 'tasks.create'), bad);
      await assert.rejects(mk(api, { locale: 'pt-BR' }).update('tasks', '1', { duedate: bad }), invalid('duedate', 'Data de vencimento deve estar no formato YYYY-MM-DD'));
      await assert.rejects(mk(api, { locale: 'pt-BR' }).update('projects', '1', { deadline: bad }), invalid('deadline', 'Data deve estar no formato YYYY-MM-DD'));
      await assert.rejects(mk(api).update('invoices', '1', { ...(api === 'rest' ? fixtures(api).invoices[1] : {}), date: bad }), invalid('date'));
    }
    await assert.rejects(mk(api).update('leads', '1', { lastcontact: '2025-06-01 25:00' }), invalid('lastcontact', 'lastcontact must be YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]'));
    await assert.rejects(mk(api, { locale: 'pt-BR' }).update('leads', '1', { lastcontact: 'ontem' }), invalid('lastcontact', 'lastcontact deve estar no formato YYYY-MM-DD ou YYYY-MM-DD HH:MM[:SS]'));
  }
});

test('REST invoice lines and amounts', async () => {
  const base = fixtures('rest').invoices[0];
  const cases = [
    [{ items: 'not json' }, 'items', 'items must be a JSON array of item objects (description, qty, rate)', 'Items deve ser um JSON válido'],
    [{ items: { description: 'x' } }, 'items', 'items must be a JSON array of item objects (description, qty, rate)', 'Items deve ser um JSON válido'],
    [{ items: ['x'] }, 'items', 'items must be a JSON array of item objects (description, qty, rate)', 'Items deve ser um JSON válido'],
    [{ items: [{ qty: '1', rate: '2' }] }, 'items', 'items[0].description is missing or invalid', 'Item 0: campo description ausente ou inválido'],
    [{ items: [{ description: 'a', qty: '1', rate: '2' }, { description: 'b', qty: 'two', rate: '2' }] }, 'items', 'items[1].qty is missing or invalid', 'Item 1: campo qty ausente ou inválido'],
    [{ items: [{ description: 'a', qty: '1' }] }, 'items', 'items[0].rate is missing or invalid', 'Item 0: campo rate ausente ou inválido'],
    [{ subtotal: '0' }, 'subtotal', 'subtotal must be a decimal number greater than 0', 'subtotal deve ser um número decimal maior que 0'],
    [{ total: '1e3' }, 'total', 'total must be a decimal number greater than 0', 'total deve ser um número decimal maior que 0'],
    [{ clientid: 'abc' }, 'clientid', 'clientid must be a positive integer id', 'clientid deve ser um ID numérico positivo'],
  ];
  for (const [patch, field, en, pt] of cases) {
    await assert.rejects(mk('rest').create('invoices', { ...base, ...patch }), invalid(field, en, 'invoices.create'), JSON.stringify(patch));
    await assert.rejects(mk('rest', { locale: 'pt-BR' }).create('invoices', { ...base, ...patch }), invalid(field, pt), JSON.stringify(patch));
  }
  // update needs the full invoice (the module's rules)
  await assert.rejects(mk('rest').update('invoices', '1', { clientnote: 'x' }), invalid('number', 'number is required', 'invoices.update'));
  // a JSON string of lines is accepted and sent as bracket pairs
  const rec = restRecorder('Invoice Added Successfully');
  await mk('rest', { fetch: rec.fetch }).create('invoices', { ...base, items: JSON.stringify([{ description: 'W', qty: '1', rate: '5.50' }]) });
  const body = rec.seen.POST.body;
  assert.match(decodeURIComponent(body), /newitems\[0\]\[description\]=W&newitems\[0\]\[qty\]=1&newitems\[0\]\[rate\]=5\.50/);
  assert.match(decodeURIComponent(body), /allowed_payment_modes\[\]=1/);
});

test('other input checks: fields object, empty update, ids, search term, REST contact update email, WON scalar columns', async () => {
  for (const api of ['won', 'rest']) {
    await assert.rejects(mk(api).create('leads', null), invalid('fields'));
    await assert.rejects(mk(api).create('leads', ['name']), invalid('fields'));
    await assert.rejects(mk(api).update('leads', '1', {}), invalid('fields', 'nothing to update: no fields given', 'leads.update'));
    await assert.rejects(mk(api, { locale: 'pt-BR' }).update('leads', '1', {}), invalid('fields', 'Nenhum campo para atualizar'));
    await assert.rejects(mk(api).update('leads', 'x1', { name: 'a' }), invalid('id', 'id must be a positive integer id'));
    await assert.rejects(mk(api, { locale: 'pt-BR' }).get('leads', '0'), invalid('id', 'id deve ser um ID numérico positivo'));
    await assert.rejects(mk(api).get('leads', ''), invalid('id'));
    const it = mk(api).search('customers', 'a');
    await assert.rejects(it.next(), invalid('search', 'the search term must have at least 2 characters', 'customers.search'));
    await assert.rejects(mk(api, { locale: 'pt-BR' }).search('customers', ' ').next(), invalid('search', 'O termo de busca deve ter pelo menos 2 caracteres'));
    await assert.rejects(mk(api).list('leads', { pageSize: 0 }).next(), invalid('pageSize'));
    await assert.rejects(mk(api).list('leads', { maxRecords: -1 }).next(), invalid('maxRecords'));
    await assert.rejects(mk(api).update('tasks', '1', { rel_id: 'abc' }), invalid('rel_id'));
  }
  await assert.rejects(mk('rest').update('contacts', '3', { title: 'x' }), invalid('email', 'email is required', 'contacts.update'));
  await assert.rejects(mk('rest', { locale: 'pt-BR' }).get('contacts', '3'), invalid('customer_id', 'customer_id é obrigatório: a REST API acessa contatos pelo cliente'));
  await assert.rejects(mk('won').update('customers', '1', { city: ['a'] }), invalid('city', 'city must be a string, number or boolean'));
  await assert.rejects(mk('won', { locale: 'pt-BR' }).update('customers', '1', { city: { a: 1 } }), invalid('city', 'city deve ser texto, número ou booleano'));
});
