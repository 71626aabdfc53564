// Package basics without a server: init, md5, VTQL builder and literals, error shape.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as crm from 'crmwire';

test('node entry instantiates synchronously on first use', () => {
  assert.equal(crm.md5Hex('abc'), '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(crm.isReady(), true);
  const s = 'tokenÄ😀' + 'key';
  assert.equal(crm.md5Hex(s), createHash('md5').update(s).digest('hex'));
});

test('ready() resolves and is idempotent', async () => {
  await crm.ready();
  await crm.ready();
  assert.match(crm.version(), /^\d+\.\d+\.\d+$/);
});

test('vtqlLiteral doubles quotes and backslashes; rejects empty', () => {
  assert.equal(crm.vtqlLiteral("O'Brien\\"), "'O''Brien\\\\'");
  assert.throws(() => crm.vtqlLiteral(''), (e) => crm.isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'value');
});

test('builder renders with the core escaping and DNF rules', () => {
  const q = crm.select('Contacts').fields('id', 'lastname').where('lastname', "a'b").orWhere('mailingcity', 'in', ['Paris', 'Berlin']).orderBy('lastname').limit(10);
  assert.equal(q.toVtql(), "SELECT id, lastname FROM Contacts WHERE lastname = 'a''b' OR mailingcity IN ('Paris', 'Berlin') ORDER BY lastname LIMIT 10;");
  assert.equal(String(q), q.toVtql());
  assert.deepEqual(JSON.parse(JSON.stringify(q)).module, 'Contacts');
  assert.equal(crm.toVtql({ module: 'Leads', count: true }), 'SELECT count(*) FROM Leads;');
  assert.equal(crm.toVtql('SELECT * FROM Leads;'), 'SELECT * FROM Leads;');
});

test('builder rejects injection through id fields and bad identifiers', () => {
  const bad = [
    () => crm.select('Contacts').where('id', '12x1 OR 1=1').toVtql(),
    () => crm.select('Contacts; DROP').toVtql(),
    () => crm.select('Contacts').fields('where').toVtql(),
    () => crm.select('Contacts').limit(500).toVtql(),
  ];
  for (const f of bad) assert.throws(f, (e) => e instanceof crm.CrmError && e.code === 'INVALID_INPUT' && typeof e.field === 'string');
});

test('CrmError shape and guard', () => {
  const e = new crm.CrmError('TIMEOUT', 'slow', { operation: 'query', status: 504, cause: new Error('x') });
  assert.equal(e.name, 'CrmError');
  assert.ok(e instanceof Error && e instanceof crm.CrmError && crm.isCrmError(e));
  assert.equal(e.operation, 'query');
  assert.equal(e.status, 504);
  assert.equal(e.crmCode, undefined);
  assert.ok(e.cause instanceof Error);
  assert.equal(crm.isCrmError(new Error('x')), false);
  assert.equal(crm.isCrmError({ name: 'CrmError', code: 'X' }), false);
});
