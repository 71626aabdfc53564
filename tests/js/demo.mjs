// crmwire walkthrough (Node). Against a real Vtiger when CRMWIRE_URL, CRMWIRE_USERNAME and
// CRMWIRE_ACCESS_KEY are set; otherwise against crmwire-sim (stock Vtiger 8.4 profile)
// started here on 127.0.0.1. Run it with `make demo-node` (builds everything first) or
// `node tests/js/demo.mjs` once the package and the simulator are built.
import { VtigerClient, select, isCrmError } from '../../pkg/gen/crmwire-node.js';
import { startSim } from './test/sim.mjs';

const real = Boolean(process.env.CRMWIRE_URL);
let url = process.env.CRMWIRE_URL;
let username = process.env.CRMWIRE_USERNAME;
let accessKey = process.env.CRMWIRE_ACCESS_KEY;
let sim = null;
const say = (...a) => console.log(...a);
const step = (n, title) => say(`\n${n}. ${title}`);

if (real) {
  if (!username || !accessKey) {
    console.error('CRMWIRE_URL is set: also set CRMWIRE_USERNAME and CRMWIRE_ACCESS_KEY');
    process.exit(2);
  }
  say(`crmwire demo against ${url} (CRMWIRE_URL)`);
} else {
  sim = await startSim({ profile: 'vtiger-8.4', seedRecords: 250 });
  ({ url, username, accessKey } = sim);
  say(`crmwire demo against the local simulator (stock Vtiger 8.4 profile) at ${url}`);
}

const wire = [];
const c = new VtigerClient({ url, username, accessKey, onRequest: (r) => wire.push(r.operation) });
let created = null;
try {
  step(1, 'log in (getchallenge + login with md5(token + accessKey), computed in the wasm core)');
  const info = await c.login();
  say(`   logged in as ${info.username ?? username} (${info.userId}), Vtiger ${info.vtigerVersion}, API ${info.version}`);

  step(2, 'list the module types');
  const types = await c.listTypes();
  say(`   ${types.types.length} types: ${types.types.slice(0, 10).join(', ')}${types.types.length > 10 ? ', …' : ''}`);

  step(3, 'create a contact');
  created = await c.create('Contacts', { firstname: 'Ada', lastname: `Lovelace ${Date.now()}`, email: 'ada@example.com', assigned_user_id: info.userId });
  say(`   created ${created.id}: ${created.firstname} ${created.lastname}`);

  step(4, 'query it back with the builder (values escaped by the core)');
  const q = select('Contacts').fields('id', 'firstname', 'lastname', 'email').where('lastname', created.lastname);
  say(`   VTQL: ${q.toVtql()}`);
  say(`   rows: ${JSON.stringify(await c.query(q))}`);

  step(5, 'page past 100 rows: queryAll pages by keyset on id (id > last ORDER BY id LIMIT 100)');
  wire.length = 0;
  let n = 0;
  for await (const _ of c.queryAll(select('Contacts').fields('lastname'))) if (++n >= 5000) break;
  say(`   read ${n} contacts${n >= 5000 ? ' (stopped at 5000)' : ''} in ${wire.filter((o) => o === 'query').length} query calls (the last, empty page ends paging)`);
  if (!real || n < 5000) say(`   count(): ${await c.count(select('Contacts'))} contacts (pages SELECT id: count(*) answers [] on 8.3+)`);

  step(6, 'sync: changes since a point in time, with the strategy the server supports');
  const since = real ? Math.floor(Date.now() / 1000) - 86400 : 0;
  wire.length = 0;
  let checkpoint = null;
  let total = 0;
  for await (const b of c.sync('Contacts', { since })) {
    total += b.updated.length;
    checkpoint = b.checkpoint;
    say(`   batch via ${b.strategy}: ${b.updated.length} updated, ${b.deleted.length} deleted`);
  }
  say(`   ${total} records since ${since ? new Date(since * 1000).toISOString() : 'the beginning'}`);
  say(`   calls on the wire: ${compress(wire)}`);
  const info2 = c.serverInfo().operations;
  if (info2.sync === false) {
    say('   the native `sync` answered HTTP 500 (stock Vtiger 8.x), so the core fell back to');
    say(`   ${info2.wsapp_get === false ? 'a modifiedtime query (cannot see deletions)' : 'wsapp_register/wsapp_get/wsapp_deregister (sees deletions; references as display names)'}`);
  }
  say(`   checkpoint (store it; pass it as \`since\` next time): ${checkpoint.length > 90 ? checkpoint.slice(0, 90) + '…' : checkpoint}`);

  step(7, 'delete the demo contact, then sync from the checkpoint: the deletion is reported');
  await new Promise((r) => setTimeout(r, 1100)); // next second
  await c.delete(created.id);
  const deletedId = created.id;
  created = null;
  for await (const b of c.sync('Contacts', { since: checkpoint })) {
    say(`   batch via ${b.strategy}: ${b.updated.length} updated, deleted ${JSON.stringify(b.deleted)}${b.deleted.includes(deletedId) ? '  ← the demo contact' : ''}`);
  }

  step(8, 'errors are typed (code, crmCode, operation, field); secrets never appear in them');
  try {
    await c.retrieve(`${created?.id ?? deletedId}`);
  } catch (e) {
    say(`   retrieve(deleted id) → ${e.code}: ${e.message}`);
  }
  try {
    await c.query(select('Contacts').where('id', "12x1' OR 1=1"));
  } catch (e) {
    say(`   injection attempt → ${e.code} (field ${e.field}), nothing sent`);
  }
  await c.logout().then(
    () => say('\n   logged out'),
    (e) => say(`\n   logout reported: ${e.code} (HTTP ${e.status})`),
  );
} catch (e) {
  console.error(isCrmError(e) ? `\nCrmError ${e.code}${e.operation ? ` in ${e.operation}` : ''}: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  if (created) await c.delete(created.id).catch(() => {}); // leave a real CRM as we found it
  await sim?.close();
}
say('\nPoint this walkthrough at a real Vtiger (it creates one contact and deletes it again):');
say('  CRMWIRE_URL=https://crm.example.com CRMWIRE_USERNAME=admin CRMWIRE_ACCESS_KEY=<access key> make demo-node');
say('  (the access key is under My Preferences → User Advanced Options → Access Key)');

function compress(ops) {
  const out = [];
  for (const o of ops) {
    const last = out.at(-1);
    if (last && last.op === o) last.n++;
    else out.push({ op: o, n: 1 });
  }
  return out.map((x) => (x.n > 1 ? `${x.op}×${x.n}` : x.op)).join(' → ');
}
