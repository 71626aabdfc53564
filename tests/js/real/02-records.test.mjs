// Record round trip on a real server with hostile literals: quotes, backslashes, double quotes,
// BMP unicode, the word WHERE, LIKE wildcards — stored and returned verbatim.
import test from 'node:test';
import assert from 'node:assert/strict';
import { isCrmError } from 'crmwire';
import { mk, tracker, P, tag } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;

const HOSTILE = `${P} O'Brien \\ "Zoë" 中文 WHERE 100%_x`;

test('create, retrieve, update, revise, delete round trip with hostile literals', async () => {
  const r = await tr.create(c, 'Contacts', { lastname: HOSTILE, firstname: "Ann\\'s", assigned_user_id: me });
  assert.match(r.id, /^12x\d+$/);
  assert.equal(r.lastname, HOSTILE);
  assert.equal(r.firstname, "Ann\\'s");
  assert.equal(r.description, tag);
  const got = await c.retrieve(r.id);
  assert.equal(got.lastname, HOSTILE);
  assert.equal(got.firstname, "Ann\\'s");
  // update: the full record (mandatory fields included), as retrieved, with one change.
  const up = await c.update({ ...got, lastname: `${HOSTILE} updated` });
  assert.equal(up.lastname, `${HOSTILE} updated`);
  assert.equal(up.firstname, "Ann\\'s");
  // revise: only the given field changes.
  const rev = await c.revise({ id: r.id, firstname: 'Bea \\ 😊'.replace('😊', 'é') });
  assert.equal(rev.firstname, 'Bea \\ é');
  assert.equal(rev.lastname, `${HOSTILE} updated`);
  assert.deepEqual(await c.delete(r.id), { status: 'successful' });
  tr.forget(r.id);
  await assert.rejects(c.retrieve(r.id), (e) => isCrmError(e) && e.code === 'ACCESS_DENIED');
});

test('values come back as the server stores them: strings; only a <script> value is escaped', async () => {
  // Real 8.3/8.4: HTML is stored raw in every string and text field (description included),
  // except that a value holding a <script> element has all its < and > turned into entities.
  const r = await tr.create(c, 'Contacts', {
    lastname: `${P} Tom & Jerry <b>`, assigned_user_id: me, donotcall: true, mailingstreet: 'a <script>x</script> & c', description: `${tag} <i> & j`,
  });
  assert.equal(r.lastname, `${P} Tom & Jerry <b>`);
  assert.equal(r.donotcall, '1');
  assert.equal(r.mailingstreet, 'a &lt;script&gt;x&lt;/script&gt; & c');
  assert.equal(r.description, `${tag} <i> & j`);
  const g = await c.retrieve(r.id);
  assert.deepEqual([g.lastname, g.mailingstreet, g.description], [r.lastname, r.mailingstreet, r.description]);
});
