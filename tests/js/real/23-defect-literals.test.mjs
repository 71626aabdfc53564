// Defects 5 and 7 of issue 17 (acceptance tests, expected to fail before the fix): query literals.
// 5: MySQL reads `\` as LIKE's escape, so a LIKE value needs `\\\\` for a literal backslash (and
//    `\\%`, `\\_` for literal wildcards); helpers contains / startsWith / endsWith take plain text.
// 7: on utf8mb3 a 4-byte character in a literal silently matches nothing: the fourByteChars
//    policy applies to query literals (default reject before sending; `replace` finds what a
//    create under `replace` wrote).
// API assumed here: the operators 'contains', 'startsWith', 'endsWith' in where()/orWhere() and
// in the object form ({ field, op: 'contains', value }).
import test from 'node:test';
import assert from 'node:assert/strict';
import { select } from 'crmwire';
import { mk, tracker, P, sortIds, rejectsWith, all } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;
const R = {};
test.before(async () => {
  for (const [k, name] of Object.entries({
    back: `${P} Back\\slash L`, // one real backslash
    noback: `${P} Backslash L`,
    pct: `${P} 100% pure`,
    nopct: `${P} 100x pure`,
    zero: `${P} 1000 pure`,
    under: `${P} a_b`,
    nounder: `${P} axb`,
  })) R[k] = await tr.create(c, 'Contacts', { lastname: name, assigned_user_id: me });
});
const run = async (q) => sortIds(await c.query(q));
const mine = () => select('Contacts').fields('id').where('lastname', 'like', `${P} %`);

test('defect 5: LIKE with a backslash matches the record with the backslash only', async () => {
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} Back\\slash%`)), [R.back.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} Backslash%`)), [R.noback.id]);
  // `=` with the same value was always right (doubled backslash).
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', `${P} Back\\slash L`)), [R.back.id]);
  // \\ in a pattern is one literal backslash too, \% a literal percent.
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} Back\\\\slash%`)), [R.back.id]);
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'like', `${P} 100\\%%`)), [R.pct.id]);
  // Raw VTQL means what MySQL reads: four backslashes in the text for one literal backslash,
  // also when the core parses and re-renders it (queryAll pages raw text).
  const raw = `SELECT id FROM Contacts WHERE lastname LIKE '${P} Back\\\\\\\\slash%';`;
  assert.deepEqual(await run(raw), [R.back.id], 'raw, sent as written');
  assert.deepEqual(sortIds(await all(c.queryAll(raw))), [R.back.id], 'raw, re-rendered');
  const two = `SELECT id FROM Contacts WHERE lastname LIKE '${P} Back\\\\slash%';`;
  assert.deepEqual(sortIds(await all(c.queryAll(two))), [R.noback.id], 'raw \\\\s is an s for MySQL, kept when re-rendered');
});

test('defect 5: contains / startsWith / endsWith take plain text (%, _ and \\ escaped)', async () => {
  assert.deepEqual(await run(mine().where('lastname', 'contains', '0% p')), [R.pct.id], "contains '0% p'");
  assert.deepEqual(await run(select('Contacts').fields('id').where('lastname', 'startsWith', `${P} a_`)), [R.under.id], 'startsWith a_');
  assert.deepEqual(await run(mine().where('lastname', 'endsWith', 'k\\slash L')), [R.back.id], 'endsWith k\\slash L');
  assert.deepEqual(await run({ module: 'Contacts', fields: ['id'], where: [[{ field: 'lastname', op: 'contains', value: `${P} 100` }]] }), sortIds([R.pct, R.nopct, R.zero]), 'object form');
  assert.deepEqual(await run(mine().where('lastname', 'contains', '_')), [R.under.id], "contains '_'");
});

test('defect 7: a 4-byte character in a query literal is INVALID_INPUT before sending (default)', async () => {
  const cases = [
    select('Contacts').fields('id').where('lastname', `${P} Smile 😀`),
    select('Contacts').fields('id').where('lastname', 'like', `${P} Smile 😀%`),
    select('Contacts').fields('id').where('lastname', 'in', ['x', `${P} 😀`]),
    `SELECT id FROM Contacts WHERE lastname = '${P} Smile 😀';`,
  ];
  for (const q of cases) {
    c.ops.length = 0;
    await rejectsWith(assert, null, c.query(q), 'INVALID_INPUT');
    assert.deepEqual(c.ops, [], `sent: ${String(q)}`);
  }
});

test("defect 7: under fourByteChars 'replace' a value written under the policy is found under it", async () => {
  const r = mk({ fourByteChars: 'replace' });
  const name = `${P} Smile 😀 end`;
  const made = await tr.create(r, 'Contacts', { lastname: name, assigned_user_id: me });
  assert.notEqual(made.lastname, name, 'stored as written: the policy did not apply');
  assert.deepEqual(sortIds(await r.query(select('Contacts').fields('id').where('lastname', name))), [made.id], '=');
  assert.deepEqual(sortIds(await r.query(select('Contacts').fields('id').where('lastname', 'like', `${P} Smile 😀%`))), [made.id], 'LIKE');
});
