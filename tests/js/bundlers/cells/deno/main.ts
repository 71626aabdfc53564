// Deno, importing the package with an npm: specifier (no package.json, no node_modules: Deno's own
// npm resolution and cache), type-checked by `deno check` against the declarations it ships.
//   deno run --allow-net=127.0.0.1 main.ts '<cfg json>'
import { VtigerClient, select, isCrmError, md5Hex, version, type CrmErrorCode } from 'npm:crmwire@0.1.0';

const cfg: { url: string; username: string; accessKey: string; cell: string } = JSON.parse(Deno.args[0]);
try {
  const crm = new VtigerClient({ url: cfg.url, username: cfg.username, accessKey: cfg.accessKey });
  const lastname = `Matrix-${cfg.cell}-${Date.now()}`;
  const created = await crm.create('Contacts', { lastname, assigned_user_id: '19x1' });
  const rows = await crm.query(select('Contacts').fields('id', 'lastname').where('lastname', lastname));
  console.log(JSON.stringify({ ok: true, created: created.id, rows: rows.map((r) => `${r.id} ${r.lastname}`), md5: md5Hex('abc'), version: version() }));
} catch (e) {
  const code: CrmErrorCode | null = isCrmError(e) ? e.code : null;
  console.log(JSON.stringify({ ok: false, code, message: String(e) }));
}
