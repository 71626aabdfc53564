// crmwire demo (Node): against a real Vtiger when CRMWIRE_URL/CRMWIRE_USERNAME/CRMWIRE_ACCESS_KEY
// are set, otherwise against crmwire-sim started here on 127.0.0.1 (port 0).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VtigerClient, select, isCrmError } from '../../pkg/node.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let url = process.env.CRMWIRE_URL, username = process.env.CRMWIRE_USERNAME, accessKey = process.env.CRMWIRE_ACCESS_KEY;
let sim = null;
if (!url) {
  const tgt = process.env.CARGO_TARGET_DIR || path.join(process.env.HOME, '.cache/crmwire-target');
  sim = spawn(path.join(tgt, 'release/crmwire-sim'), ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  await new Promise((resolve, reject) => {
    let buf = '';
    sim.on('exit', (c) => reject(new Error(`crmwire-sim exited (${c}) before listening`)));
    sim.stdout.on('data', (d) => {
      buf += d;
      lines.push(...buf.split('\n').slice(0, -1));
      buf = buf.split('\n').pop();
      const l = lines.find((x) => x.startsWith('listening on '));
      const u = lines.find((x) => /user(name)?[:=]/i.test(x));
      const k = lines.find((x) => /access.?key[:=]/i.test(x));
      if (l && u && k) {
        url = l.slice('listening on '.length).trim();
        username = u.split(/[:=]/).slice(1).join(':').trim();
        accessKey = k.split(/[:=]/).slice(1).join(':').trim();
        resolve();
      }
    });
  });
  console.log(`simulator at ${url}`);
}
try {
  const c = new VtigerClient({ url, username, accessKey, onRequest: (r) => process.env.VERBOSE && console.log('  →', r.method, r.url) });
  const info = await c.login();
  console.log(`logged in as ${info.username ?? username} (${info.userId}), Vtiger ${info.vtigerVersion}`);
  const types = await c.listTypes();
  console.log(`${types.types.length} module types: ${types.types.slice(0, 8).join(', ')}…`);
  const created = await c.create('Contacts', { lastname: 'Lovelace', firstname: 'Ada', email: 'ada@example.com' });
  console.log(`created ${created.id}`);
  console.log('query:', (await c.query(select('Contacts').fields('firstname', 'lastname').where('id', created.id)))[0]);
  let n = 0;
  for await (const _ of c.queryAll(select('Contacts').fields('lastname'))) n++;
  console.log(`queryAll read ${n} Contacts by keyset on id (pages of 100, no skip/repeat)`);
  for await (const b of c.sync('Contacts', { since: Math.floor(Date.now() / 1000) - 3600 })) {
    console.log(`sync batch via ${b.source}: ${b.updated.length} updated, ${b.deleted.length} deleted, checkpoint ${b.checkpoint}`);
  }
  console.log('server info:', JSON.stringify(c.serverInfo()));
  await c.logout().catch((e) => console.log(`logout reported: ${e.code} (HTTP ${e.status})`));
} catch (e) {
  console.error(isCrmError(e) ? `CrmError ${e.code}: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  sim?.kill();
}
console.log('\nPoint it at a real Vtiger: CRMWIRE_URL=https://crm.example.com CRMWIRE_USERNAME=admin CRMWIRE_ACCESS_KEY=… node tests/js/demo.mjs');
