// Query literals against the simulator, which reads them as MySQL does (issue 17 items 5 and 7;
// live findings D and E): a LIKE literal is read twice (string, then pattern with `\` as its
// escape), and on utf8mb3 a 4-byte character in a literal matches nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select, toVtql } from 'crmwire';
import { startSim } from './sim.mjs';

const sim = await startSim();
test.after(() => sim.close());
const sent = [];
const mk = (o = {}) => new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, onRequest: (r) => sent.push(r), ...o });
const c = mk();
const me = (await c.login()).userId;
const P = `lit${process.pid}`;
const num = (id) => Number(id.split('x')[1]);
const ids = (rows) => rows.map((r) => r.id).sort((a, b) => num(a) - num(b));
const R = {};
for (const [k, name] of Object.entries({
  back: `${P} Back\\slash L`, // one real backslash
  noback: `${P} Backslash L`,
  two: `${P} Back\\\\slash L`, // two
  pct: `${P} 100% pure`,
  nopct: `${P} 100x pure`,
  zero: `${P} 1000 pure`,
  under: `${P} a_b`,
  nounder: `${P} axb`,
  quote: `${P} it's`,
})) R[k] = await c.create('Contacts', { lastname: name, assigned_user_id: me });
const run = async (q) => ids(await c.query(q));
const mine = () => select('Contacts').fields('id').where('lastname', 'like', `${P} %`);

test('like: a backslash in the value is a backslash; \\% \\_ \\\\ are the escapes', async () => {
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} Back\\slash%`)), [R.back.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} Back\\\\slash%`)), [R.back.id], '\\\\ is one literal backslash');
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} Back\\\\\\\\slash%`)), [R.two.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} Backslash%`)), [R.noback.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} 100\\%%`)), [R.pct.id], '\\% a literal percent');
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} 100%`)), ids([R.pct, R.nopct, R.zero]), '% a wildcard');
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} a\\_b`)), [R.under.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} a_b`)), ids([R.under, R.nounder]));
  // `=` as before: the value is the text.
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', `${P} Back\\slash L`)), [R.back.id]);
  assert.equal(toVtql(select('Contacts').where('lastname', 'like', 'Back\\slash%')), "SELECT * FROM Contacts WHERE lastname LIKE 'Back\\\\\\\\slash%';");
});

test('contains / startsWith / endsWith take plain text: %, _, \\ and quotes match themselves', async () => {
  assert.deepEqual(await run(mine().where('lastname', 'contains', '0% p')), [R.pct.id]);
  assert.deepEqual(await run(mine().where('lastname', 'contains', '_')), [R.under.id]);
  assert.deepEqual(await run(mine().where('lastname', 'contains', "t's")), [R.quote.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'startsWith', `${P} a_`)), [R.under.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'startsWith', `${P} Back\\`)), ids([R.back, R.two]));
  assert.deepEqual(await run(mine().where('lastname', 'endsWith', 'k\\slash L')), [R.back.id]);
  assert.deepEqual(await run(mine().where('lastname', 'endsWith', 'k\\\\slash L')), [R.two.id]);
  assert.deepEqual(await run(mine().orWhere('lastname', 'startsWith', `${P} 100%`)), ids(Object.values(R)), 'in an OR group too');
  assert.deepEqual(await run({ module: 'Contacts', fields: ['id'], where: [[{ field: 'lastname', op: 'contains', value: `${P} 100` }]] }), ids([R.pct, R.nopct, R.zero]), 'object form');
  assert.deepEqual(await run({ module: 'Contacts', fields: ['id'], where: { and: [{ field: 'lastname', op: 'endswith', value: '% pure' }, { field: 'lastname', op: 'startsWith', value: P }] } }), [R.pct.id], 'op names are case-insensitive');
  // queryAll and count take them too.
  assert.equal(await c.count(select('Contacts').where('lastname', 'contains', `${P} 100`)), 3);
  await assert.rejects(c.query(select('Contacts').where('lastname', 'contains', null)), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'lastname');
});

test('raw VTQL keeps its meaning: paged (parsed and re-rendered) or sent as written', async () => {
  const raw = `SELECT id FROM Contacts WHERE lastname LIKE '${P} Back\\\\\\\\slash%';`; // VTQL \\\\ : a literal backslash
  assert.deepEqual(await run(raw), [R.back.id]);
  const rows = [];
  for await (const r of c.queryAll(raw)) rows.push(r);
  assert.deepEqual(ids(rows), [R.back.id], 'queryAll re-renders the raw text');
  const doubled = `SELECT id FROM Contacts WHERE lastname LIKE '${P} Back\\\\slash%';`; // as MySQL reads it: \s, an s
  assert.deepEqual(await run(doubled), [R.noback.id]);
  const again = [];
  for await (const r of c.queryAll(doubled)) again.push(r);
  assert.deepEqual(ids(again), [R.noback.id]);
});

test('4-byte characters in literals: rejected before sending (default), replaced as records are, or sent', async () => {
  const cases = [
    select('Contacts').fields('id').where('lastname', `${P} Smile 😀`),
    select('Contacts').fields('id').where('lastname', 'like', `${P} Smile 😀%`),
    select('Contacts').fields('id').where('lastname', 'in', ['x', `${P} 😀`]),
    select('Contacts').fields('id').where('lastname', 'contains', '😀'),
    `SELECT id FROM Contacts WHERE lastname = '${P} Smile 😀';`,
  ];
  for (const q of cases) {
    for (const call of [(x) => c.query(x), (x) => c.count(x), async (x) => { for await (const _ of c.queryAll(x)); }]) {
      sent.length = 0;
      await assert.rejects(call(q), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && /fourByteChars/.test(e.message), String(q));
      assert.deepEqual(sent, [], `sent: ${String(q)}`);
    }
  }
  // 'replace': the value written under the policy is found under it.
  const r = mk({ fourByteChars: 'replace' });
  const name = `${P} Smile 😀 end`;
  const made = await r.create('Contacts', { lastname: name, assigned_user_id: me });
  assert.equal(made.lastname, `${P} Smile \uFFFD end`);
  assert.deepEqual(ids(await r.query(select('Contacts').fields('id').where('lastname', name))), [made.id], '=');
  assert.deepEqual(ids(await r.query(select('Contacts').fields('id').where('lastname', 'like', `${P} Smile 😀%`))), [made.id], 'LIKE');
  assert.deepEqual(ids(await r.query(`SELECT id FROM Contacts WHERE lastname = '${name}';`)), [made.id], 'raw text');
  // 'send': sent as is; on utf8mb3 it silently matches nothing (what the policy guards against).
  const s = mk({ fourByteChars: 'send' });
  assert.deepEqual(await s.query(select('Contacts').fields('id').where('lastname', name)), []);
});
