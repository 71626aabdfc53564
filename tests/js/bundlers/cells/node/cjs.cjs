// Node, CommonJS: require('crmwire') loads the ESM package through require(esm), which Node
// supports unflagged from 20.19 and 22.12 (the package has no top-level await). Older Node
// versions throw ERR_REQUIRE_ESM: use import() there.
const { VtigerClient, select, md5Hex, version } = require('crmwire');

(async () => {
  const cfg = JSON.parse(process.argv[2]);
  try {
    const crm = new VtigerClient({ url: cfg.url, username: cfg.username, accessKey: cfg.accessKey });
    const lastname = `Matrix-${cfg.cell}-${Date.now()}`;
    const created = await crm.create('Contacts', { lastname, assigned_user_id: '19x1' });
    const rows = await crm.query(select('Contacts').fields('id', 'lastname').where('lastname', lastname));
    console.log(JSON.stringify({ ok: true, created: created.id, rows: rows.map((r) => `${r.id} ${r.lastname}`), md5: md5Hex('abc'), version: version() }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, code: e.code ?? null, name: e.name, message: String(e.message) }));
  }
})();
