// Runtime-independent smoke checks of the installed `crmwire` package. Each runtime's driver
// imports the package BY NAME and passes the namespace here; the result is plain JSON that
// tools/pack-smoke.mjs compares with what that runtime must do.
export async function smoke(crm, env = {}) {
  const out = { runtime: env.runtime || 'unknown', exports: Object.keys(crm).sort() };
  // Before any ready(): Node/Bun/Deno(file)/workerd instantiate synchronously; browsers cannot.
  out.readyAtImport = crm.isReady();
  try {
    out.syncBeforeReady = crm.md5Hex ? crm.md5Hex('abc') : crm.version();
  } catch (e) {
    out.syncBeforeReady = crm.isCrmError(e) ? e.code : String(e);
  }
  await crm.ready();
  if (crm.md5Hex) {
    out.md5 = crm.md5Hex('abc');
    out.md5Unicode = crm.md5Hex('zoë 😀');
  }
  out.version = crm.version();
  if (crm.PerfexClient) {
    // The options are checked by the Perfex core in wasm (no request is made).
    try {
      new crm.PerfexClient({ url: 'http://127.0.0.1:9/', token: 'tok', api: 'won', locale: 'en' });
      new crm.PerfexClient({ url: 'http://127.0.0.1:9/\n', token: 'tok', api: 'won' });
      out.perfexCheck = 'accepted a URL with a control character';
    } catch (e) {
      out.perfexCheck = crm.isCrmError(e) ? `${e.code} ${e.field}` : String(e);
    }
  }
  const e = new crm.CrmError('TIMEOUT', 'x', { operation: 'query' });
  out.guard = crm.isCrmError(e) && e instanceof crm.CrmError && e instanceof Error && !crm.isCrmError(new Error('plain'));
  if (env.simUrl && crm.VtigerClient) out.client = await clientSmoke(crm, env);
  return out;
}

async function clientSmoke(crm, env) {
  const c = new crm.VtigerClient({ url: env.simUrl, username: env.username, accessKey: env.accessKey });
  const types = await c.listTypes();
  const created = await c.create('Contacts', { lastname: `Smoke-${env.runtime}`, firstname: 'Zoë', assigned_user_id: '19x1' });
  const rows = await c.query(crm.select('Contacts').fields('id', 'lastname').where('id', '=', created.id));
  let code = null;
  try {
    await c.retrieve('12x999999999');
  } catch (err) {
    code = err.code;
  }
  // A Document with a file: multipart built by the core, the bytes spliced in as a Blob by this
  // runtime's fetch; filesRetrieve gives them back.
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => 255 - i * 3);
  const doc = await c.create('Documents', { notes_title: `Smoke doc ${env.runtime}`, assigned_user_id: '19x1' }, { file: { data: bytes, name: `smoke ${env.runtime}.bin`, type: 'application/octet-stream' } });
  const [f] = await c.filesRetrieve(doc.id);
  const file = f && f.name === doc.filename && f.size === 64 && f.data.every((b, i) => b === bytes[i]) && doc.filename.endsWith('.binfile.txt');
  await c.delete(doc.id);
  return { types: types.types.includes('Contacts'), created: /^12x\d+$/.test(created.id), rows: rows.length, missing: code, file };
}
