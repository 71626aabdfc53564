// Records the real exchanges behind the facts the live suite found that the simulator or the
// live-findings spec get wrong (fixtures 930+, format of tests/fixtures/vtiger/README.md). Run by
// hand against the lab (not part of any test target):
//   node tests/js/real/record-fixtures.mjs [out-dir]     (default tests/fixtures/vtiger)
// Keys are read at run time from KEYS (default /tmp/vtlab-keys.txt). Session names are replaced by
// SESSION_NAME and the access key never appears (no login exchange is recorded). Requests other
// than the multipart one are sent by crmwire itself through a recording fetch, so they are exactly
// what the core builds (tests/vtiger_protocol.rs rebuilds every recorded request). Every record
// created here is deleted again; the ones that stay in a fixture body carry the usual variable ids.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VtigerClient, select } from 'crmwire';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'tests/fixtures/vtiger'));
const keys = readFileSync(process.env.KEYS || '/tmp/vtlab-keys.txt', 'utf8');
const keyOf = (port) => new RegExp(`\\(${port}\\) admin accesskey:\\s*(\\S+)`).exec(keys)?.[1];
const SERVERS = {
  'vtiger-8.4.0': { port: 8082, key: keyOf(8082) },
  'vtiger-8.3.0': { port: 8080, key: keyOf(8080) },
  'vtiger-8.3.0-patched': { port: 8081, key: keyOf(8080) }, // same database, same key
};
const TAG = 'crmwire-real:fixtures';

/** A client whose exchanges can be captured: `rec.next(fn)` returns the exchanges fn caused. */
function recorder(server) {
  const { port, key } = SERVERS[server];
  let session = null;
  let log = null;
  const f = async (url, init = {}) => {
    const res = await fetch(url, init);
    const bytes = new Uint8Array(await res.clone().arrayBuffer());
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const m = /"sessionName"\s*:\s*"([^"]+)"/.exec(text);
    if (m) session = m[1];
    if (log) log.push({ url, init, res, bytes });
    return res;
  };
  const client = new VtigerClient({ url: `http://127.0.0.1:${port}`, username: 'admin', accessKey: key, fetch: f });
  return {
    client,
    fetch: f,
    session: () => session,
    key,
    async capture(fn) {
      log = [];
      try {
        await fn();
      } catch (e) {
        // An error answer is what some fixtures record; the exchange is in the log.
        if (!e?.code) throw e;
      }
      const out = log;
      log = null;
      return out;
    },
  };
}

const headerOf = (h, name) => {
  if (!h) return null;
  if (typeof h.get === 'function') return h.get(name);
  const k = Object.keys(h).find((x) => x.toLowerCase() === name.toLowerCase());
  return k ? h[k] : null;
};

/** The fixture of one exchange, session names masked. */
function fixture(server, name, what, ex, { form } = {}) {
  const u = new URL(ex.url);
  const mask = (k, v) => (k === 'sessionName' ? 'SESSION_NAME' : v);
  const query = Object.fromEntries([...u.searchParams].map(([k, v]) => [k, mask(k, v)]));
  const ct = headerOf(ex.init.headers, 'content-type');
  let f = null;
  if (form) f = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, mask(k, v)]));
  else if (typeof ex.init.body === 'string') f = Object.fromEntries([...new URLSearchParams(ex.init.body)].map(([k, v]) => [k, mask(k, v)]));
  const utf8 = (() => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(ex.bytes);
    } catch {
      return null;
    }
  })();
  const response = { status: ex.res.status, content_type: ex.res.headers.get('content-type') };
  if (utf8 === null) response.body_base64 = Buffer.from(ex.bytes).toString('base64');
  else response.body = utf8;
  return {
    server,
    name,
    description: `${what} => ${outcome(ex.res.status, utf8)}`,
    request: { method: ex.init.method ?? 'GET', path: u.pathname, query, form: f, content_type: ct ?? null },
    response,
  };
}

function outcome(status, body) {
  let v;
  try {
    v = JSON.parse(body);
  } catch {
    return `HTTP ${status}${body ? '' : ' with an empty body'}`;
  }
  if (v?.success === true) return Array.isArray(v.result) ? `success, ${v.result.length} item(s)` : v.result === null ? 'success, result null' : 'success';
  if (v?.success === false) return `error ${v.error?.code}: ${v.error?.message}`;
  return `HTTP ${status}`;
}

const written = [];
function write(fx, file) {
  const dir = path.join(outDir, fx.server);
  mkdirSync(dir, { recursive: true });
  const text = JSON.stringify(fx, null, 2) + '\n';
  for (const s of Object.values(SERVERS)) if (s.key && text.includes(s.key)) throw new Error(`${file}: the access key would be written`);
  writeFileSync(path.join(dir, file), text);
  written.push(`${fx.server}/${file}: ${fx.description}`);
}

/** The one exchange of `op` in a captured log. */
const one = (log, op) => {
  const xs = log.filter((x) => (new URL(x.url).searchParams.get('operation') ?? new URLSearchParams(typeof x.init.body === 'string' ? x.init.body : '').get('operation')) === op);
  if (xs.length !== 1) throw new Error(`${xs.length} ${op} exchanges captured`);
  return xs[0];
};

const cleanup = [];
try {
  // ---- 8.4.0 --------------------------------------------------------------------------------
  {
    const server = 'vtiger-8.4.0';
    const r = recorder(server);
    const c = r.client;
    const me = (await c.login()).userId;
    const acc = await c.create('Accounts', { accountname: 'Fixture930 Account', assigned_user_id: me, description: TAG });
    cleanup.push([c, acc.id]);
    const ct = await c.create('Contacts', { lastname: 'Fixture930 Contact', assigned_user_id: me, description: TAG });
    cleanup.push([c, ct.id]);
    let log = await r.capture(() => c.addRelated(acc.id, ct.id, 'Contacts'));
    write(fixture(server, 'add-related-account-contact', 'add_related: link a Contact to an Account (label Contacts; the relation is the Contact\'s account_id field)', one(log, 'add_related')), '930-add-related-account-contact.json');
    log = await r.capture(() => c.retrieveRelated(acc.id, 'Contacts', 'Contacts'));
    write(fixture(server, 'retrieve-related-after-add-related-account', 'retrieve_related: Contacts of the Account right after 930 answered success (nothing was linked)', one(log, 'retrieve_related')), '931-retrieve-related-after-add-related-account.json');
    log = await r.capture(() => c.retrieve(ct.id));
    write(fixture(server, 'retrieve-contact-after-add-related-account', 'retrieve the Contact of 930: account_id is still null', one(log, 'retrieve')), '932-retrieve-contact-after-add-related-account.json');

    log = await r.capture(async () => cleanup.push([c, (await c.create('Contacts', { lastname: 'Fixture933 x < y & z', assigned_user_id: me, mailingstreet: 'a <b>bold</b> & c', description: `${TAG} <i>it</i> & j` })).id]));
    write(fixture(server, 'create-html-tags-kept', 'create Contact with HTML tags, a bare < and & in lastname, mailingstreet (text) and description (text area)', one(log, 'create')), '933-create-html-tags-kept.json');
    log = await r.capture(async () => cleanup.push([c, (await c.create('Contacts', { lastname: 'Fixture934 <script>x</script> end', assigned_user_id: me, mailingstreet: 'a <script>alert(1)</script> <b>b</b> & c', description: TAG })).id]));
    write(fixture(server, 'create-script-escaped', 'create Contact whose lastname and mailingstreet hold a <script> element (and a <b> tag)', one(log, 'create')), '934-create-script-escaped.json');
    log = await r.capture(async () => cleanup.push([c, (await c.create('Contacts', { lastname: 'Fixture935 Born', assigned_user_id: me, birthday: '1990-01-02T00:00:00.000Z', description: TAG })).id]));
    write(fixture(server, 'create-date-iso-timestamp', 'create Contact with birthday as an ISO timestamp (what JSON.stringify makes of a JS Date)', one(log, 'create')), '935-create-date-iso-timestamp.json');

    // Multipart create with a blacklisted extension and a space in the file name.
    const boundary = '----crmwirefixture930';
    const content = 'Hello crmwire\nsecond line é\n';
    const element = JSON.stringify({ notes_title: 'Fixture936 multipart', assigned_user_id: me, filelocationtype: 'I', filestatus: '1', notecontent: TAG });
    const parts = [
      ['operation', 'create'],
      ['sessionName', r.session()],
      ['elementType', 'Documents'],
      ['element', element],
    ];
    const enc = new TextEncoder();
    const chunks = parts.map(([k, v]) => enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    chunks.push(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="filename"; filename="my notes.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`));
    const body = new Uint8Array(chunks.reduce((n, x) => n + x.length, 0));
    chunks.reduce((o, x) => (body.set(x, o), o + x.length), 0);
    let doc;
    log = await r.capture(async () => {
      const res = await r.fetch(`http://127.0.0.1:${SERVERS[server].port}/webservice.php`, { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body });
      doc = JSON.parse(await res.text()).result;
      cleanup.push([c, doc.id]);
    });
    const form = Object.fromEntries(parts);
    form.filename = { file: { filename: 'my notes.bin', content_type: 'application/octet-stream', size: enc.encode(content).length, content } };
    write(fixture(server, 'create-document-multipart-bad-extension', "create Documents via multipart/form-data, file part 'filename' named 'my notes.bin' (a space; .bin is in $upload_badext)", log[0], { form }), '936-create-document-multipart-bad-extension.json');
    log = await r.capture(() => c.filesRetrieve(doc.id));
    write(fixture(server, 'files-retrieve-document-id', 'files_retrieve with the id of the Document of 936 (which has a file)', one(log, 'files_retrieve')), '937-files-retrieve-document-id.json');
    log = await r.capture(() => c.filesRetrieve(doc.imageattachmentids));
    write(fixture(server, 'files-retrieve-attachment-id', 'files_retrieve with the attachment id (imageattachmentids) of the Document of 936', one(log, 'files_retrieve')), '938-files-retrieve-attachment-id.json');
  }

  // ---- 8.3.0 stock ----------------------------------------------------------------------------
  {
    const server = 'vtiger-8.3.0';
    const r = recorder(server);
    const c = r.client;
    await c.login();
    const log = await r.capture(async () => {
      for await (const _ of c.sync('Contacts', { since: Math.floor(Date.now() / 1000) - 1 }));
    });
    write(fixture(server, 'wsapp-register-http-500', 'wsapp_register type=vtigerCRM synctype=user on stock 8.3.0 (PHP 8: Unknown named parameter $synctype)', one(log, 'wsapp_register')), '930-wsapp-register-http-500.json');
  }

  // ---- 8.3.0 patched ----------------------------------------------------------------------------
  {
    const server = 'vtiger-8.3.0-patched';
    const r = recorder(server);
    const c = r.client;
    const me = (await c.login()).userId;
    const lead = await c.create('Leads', { lastname: 'Fixture930 Lead', company: 'Fixture930 Co', assigned_user_id: me, description: TAG });
    cleanup.push([c, lead.id]);
    const element = { leadId: lead.id, assignedTo: me, entities: { Contacts: { create: true, name: 'Contacts', lastname: 'Fixture930 Lead', description: TAG } } };
    let log = await r.capture(() => c.convertLead(element));
    write(fixture(server, 'convertlead-contacts-only', 'convertlead with a Contacts entity only (no Accounts) on patched 8.3.0', one(log, 'convertlead')), '930-convertlead-contacts-only.json');
    log = await r.capture(() => c.query(select('Contacts').fields('id').where('lastname', 'Fixture930 Lead')));
    write(fixture(server, 'query-contact-after-convertlead-contacts-only', 'query the Contact that 930 should have created', one(log, 'query')), '931-query-contact-after-convertlead-contacts-only.json');
    log = await r.capture(() => c.convertLead(element));
    write(fixture(server, 'convertlead-contacts-only-again', 'the same convertlead again', one(log, 'convertlead')), '932-convertlead-contacts-only-again.json');
  }
} finally {
  for (const [c, id] of cleanup.reverse()) await c.delete(id).catch((e) => console.error(`could not delete ${id}: ${e.code}`));
}
console.log(written.join('\n'));
