// Seeds the fuzz corpora (tests/fuzz/corpus/<target>/, not committed) from the recorded fixtures:
// tests/fixtures/vtiger/<server>/*.json (real Vtiger exchanges) and tests/fixtures/perfex/*. Each seed
// is written in the input format its target reads (tests/fuzz/src/lib.rs and the comment at the top of
// each target). Idempotent: a seed's file name is the SHA-1 of its bytes.
//   node tests/fuzz/seed.mjs              all targets
//   node tests/fuzz/seed.mjs json sync    some
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

const HERE = new URL('.', import.meta.url).pathname;
const ROOT = join(HERE, '..', '..');
const CORPUS = join(HERE, 'corpus');
const STATUSES = [200, 500, 201, 400, 401, 403, 404, 409, 422, 503]; // as crmwire_fuzz::STATUSES
const TARGETS = ['json', 'envelope', 'vtql_literal', 'vtql_builder', 'vtql_parse', 'encode', 'perfex', 'sync',
  'request', 'sim_query', 'proxy_gate'];

const enc = (s) => Buffer.from(s, 'utf8');
const statusByte = (status) => Buffer.from([STATUSES.includes(status) ? STATUSES.indexOf(status) : 3]);
const joinNul = (parts) => Buffer.concat(parts.flatMap((p, i) => (i ? [Buffer.from([0]), p] : [p])));

function* vtiger() {
  const dir = join(ROOT, 'tests/fixtures/vtiger');
  for (const server of readdirSync(dir).sort()) {
    if (!server.startsWith('vtiger-')) continue;
    for (const f of readdirSync(join(dir, server)).sort()) {
      if (f.endsWith('.json')) yield JSON.parse(readFileSync(join(dir, server, f), 'utf8'));
    }
  }
}

function* perfex() {
  const dir = join(ROOT, 'tests/fixtures/perfex');
  for (const f of readdirSync(dir).sort()) yield [f, readFileSync(join(dir, f))];
}

const body = (fx) => (fx.response.body != null ? enc(fx.response.body) : Buffer.from(fx.response.body_base64 || '', 'base64'));

/** The request's string parameters (query, then form), in order. */
const params = (fx) => ['query', 'form'].flatMap((part) =>
  Object.entries(fx.request[part] || {}).filter(([, v]) => typeof v === 'string'));

const LITERAL = /'((?:[^']|'')+)'/g;
const SIMPLE = /^select\s+(.+?)\s+from\s+(\w+)(?:\s+where\s+(.+?))?(?:\s+order\s+by\s+(\w+))?(?:\s+limit\s+(\d+))?\s*;?\s*$/is;
const TERM = /(\w+)\s*(=|!=|<=|>=|<|>|like|in)\s*('(?:[^']|'')*'|\([^)]*\)|\S+)\s*(and|or)?\s*/gi;
const HOSTILE = ["O'Brien", "''", '\\', "x\\' OR 1=1 -- ", 'a;b', ' WHERE ', '50% off', 'a_b', '\\%', 'Emoji \u{1F600}',
  '中文', 'end\\', '\u000b\u0001', "' OR 1=1) -- "];

/** A proxy_gate input (crmwire_fuzz::gate_input): allowlists, describes, files, answer, pairs. */
// Its status byte is never NUL (10 + index: the same status), which would split the field.
const gateSeed = (ops, mods, describes, files, status, answer, pairs) => joinNul([ops, mods, describes, files]
  .map(enc).concat([Buffer.concat([Buffer.from([10 + statusByte(status)[0]]), Buffer.isBuffer(answer) ? answer : enc(answer)])],
    pairs.flat().map(enc)));

/** The describes the recordings hold, as proxy_gate's `Module=idPrefix=ref,…` (first per module). */
function describesOf(fixtures) {
  const seen = new Map();
  for (const fx of fixtures) {
    const ps = Object.fromEntries(params(fx));
    if (ps.operation !== 'describe' || seen.has(ps.elementType)) continue;
    try {
      const r = JSON.parse(fx.response.body).result;
      const refs = r.fields.filter((f) => ['reference', 'owner'].includes(f.type && f.type.name)).map((f) => f.name);
      seen.set(ps.elementType, `${ps.elementType}=${r.idPrefix}=${refs.join(',')}`);
    } catch { /* an error answer */ }
  }
  return seen;
}

const ATTACK = '{"id":"12x69","lastname":"x\\u0022,\\u0022id\\u0022:\\u002219x1\\u0022,\\u0022email1\\u0022:\\u0022a@b.c"}';
const GATE_HOSTILE = [
  [['operation', 'update'], ['element', ATTACK]],
  [['operation', 'revise'], ['element', '{"\\u0069d":"\\u0031\\u0032x69","lastname":"y"}']],
  [['operation', 'update'], ['element', '{"id":"12x69","lastname":"x\\\\\\u0022,\\u0022id\\u0022:\\u002219x1"}']],
  [['operation', 'update'], ['element', '{"id":"12x69","lastname":"x","id":"19x1"}']],
  [['operation', 'update'], ['element', '{"id":"12x69","lastname":"\\\\u0022"}']],
  [['operation', 'update'], ['element', '{"id":"12x69","lastname":"tab\\tnl\\nvt\\u000bnul\\u0000q\\"b\\\\s\\/ \\ud83d\\ude00"}']],
  [['operation', 'create'], ['elementType', 'Calendar'], ['element', '{"subject":"x","activitytype":""}']],
  [['operation', 'create'], ['elementType', 'Contacts'], ['element', ATTACK]],
  [['operation', 'convertlead'], ['element', '{"leadId":"10x5","entities":{"Contacts":{"create":true,"name":"Contacts","lastname":"x\\u0022,\\u0022name\\u0022:\\u0022Users"}},"assignedTo":"19x1"}']],
  [['operation', 'convertlead'], ['element', '{"leadId":"10x5","entities":{"Contacts":{"create":true}},"transferRelatedRecordsTo":"Accounts"}']],
  [['operation', 'query'], ['query', "SELECT * FROM Contacts WHERE id = '12x0) OR 1=1 OR (1';"]],
  [['operation', 'query'], ['query', "SELECT id FROM Contacts WHERE account_id = '11x0) OR 1=1 OR (1';"]],
  [['operation', 'query'], ['query', "SELECT id FROM Documents WHERE folderid IN ('22x1', '22x2) OR (1');"]],
  [['operation', 'query'], ['query', "SELECT id FROM Potentials WHERE CAMPAIGNID LIKE '1x0) OR 1=1 OR (1';"]],
  [['operation', 'query'], ['query', "SELECT id FROM Potentials WHERE campaignid = 5;"]],
  [['operation', 'query'], ['query', "SELECT * FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1=1) -- ';"]],
  [['operation', 'query'], ['query', "select count(*) from Contacts where account_id IN ('11x1','11x2') limit 5, 500;"]],
  [['operation', 'query'], ['query', "SELECT id, email FROM Contacts WHERE email = 'o''brien\\\\x@example.com' OR lastname LIKE '%\\%x' ORDER BY lastname DESC;"]],
  [['operation', 'query'], ['query', "select id from Contacts where lastname = 'x from Users';"]],
  [['operation', 'query_related'], ['query', "select * from Contacts WHERE lastname = 'aWHEREb' LIMIT 5 ; "], ['id', '11x3'], ['relatedLabel', 'Contacts']],
  [['operation', 'query_related'], ['query', 'SELECT * FROM Contacts'], ['id', '11x3'], ['relatedLabel', 'Contacts']],
  [['operation', 'retrieve'], ['id', '19x1']],
  [['operation', 'delete'], ['id', '012x5']],
  [['operation', 'retrieve_related'], ['id', '11x3'], ['relatedType', 'Contacts'], ['relatedLabel', 'Contacts']],
  [['operation', 'add_related'], ['sourceRecordId', '11x3'], ['relatedRecordId', '12x5'], ['relationIdLabel', 'Contacts']],
  [['operation', 'sync'], ['modifiedTime', '0'], ['elementType', 'Contacts'], ['syncType', 'application']],
  [['operation', 'sync'], ['modifiedTime', '5']],
  [['operation', 'listtypes'], ['fieldTypeList', '["email","phone"]']],
  [['operation', 'wsapp_register'], ['type', 'x'], ['synctype', 'user']],
  [['operation', 'wsapp_get'], ['key', 'k'], ['module', 'Contacts'], ['token', '1']],
  [['operation', 'mobile.fetchallalerts']],
  [['operation', 'LOGIN'], ['username', 'admin'], ['accessKey', 'k']],
  [['operation', 'describe'], ['sessionName', 'callersession0123'], ['PHPSESSID', 'y'], ['FORMAT', 'xml'], ['elementType', 'Contacts']],
  [['operation', 'describe'], ['operation', 'login']],
  [['operation', 'custom_op'], ['a', '1'], ['b', '0'], ['sessionname', 'callersession0123']],
];
const LISTTYPES = '{"success":true,"result":{"types":["Contacts","Users","Accounts"],"information":{"Contacts":{"isEntity":true,"label":"Contacts","singular":"Contact"},"Users":{"isEntity":true,"label":"Users","singular":"User"}}}}';

function seeds() {
  const s = Object.fromEntries(TARGETS.map((t) => [t, []]));
  const chain = [];
  const queries = [];
  const fixtures = [...vtiger()];
  const described = describesOf(fixtures);
  const some = 'Contacts,Accounts,Leads,Documents,Potentials,Calendar';
  // The allowed modules' describes (before the request, or when the gate asks), Users' too.
  const own = [...some.split(','), 'Users'].filter((m) => described.has(m)).map((m) => described.get(m));
  const told = own.join(';');
  const asked = own.map((d) => `?${d}`).join(';');
  for (const fx of fixtures) {
    const b = body(fx);
    s.json.push(b);
    const resp = Buffer.concat([statusByte(fx.response.status), b]);
    s.envelope.push(resp);
    const ps = params(fx);
    const op = (ps.find(([k]) => k === 'operation') || [])[1] || '';
    if (['sync', 'wsapp_get', 'wsapp_register', 'wsapp_deregister', 'query'].includes(op)) {
      s.sync.push(resp);
      if ((op === 'sync' || op === 'wsapp_get') && chain.length < 6) chain.push(resp);
    }
    for (const [k, v] of ps) {
      if (k === 'query') queries.push(v);
      if (k !== 'element') continue;
      s.json.push(enc(v));
      try {
        for (const x of Object.values(JSON.parse(v))) if (typeof x === 'string' && x) s.vtql_literal.push(enc(x));
      } catch { /* not JSON: a recorded error case */ }
    }
    s.encode.push(joinNul(ps.flat().map(enc)));
    const rest = ps.filter(([k]) => k !== 'operation' && k !== 'sessionName').flat();
    s.request.push(joinNul(['http://127.0.0.1:8082/vtigercrm/webservice.php', op, ...rest].map(enc)));
    for (const [mods, desc] of [['*', ''], [some, told], [some, asked]]) {
      // Inputs are cut at 4096 bytes: a long answer gives way to a short envelope.
      const answer = b.length <= 1024 ? b : '{"success":true,"result":{"id":"12x1"}}';
      s.proxy_gate.push(gateSeed('*', mods, desc, '', fx.response.status, answer, ps));
    }
  }
  for (const ps of GATE_HOSTILE) {
    for (const [ops, mods, desc, files] of [['*', '*', '', ''], ['*', some, told, ''], ['!query,describe', some, asked, ''],
      ['*', 'Contacts,Accounts', '?Contacts=12=account_id,assigned_user_id;Accounts=11=;Users=19=', 'filename,sessionName']]) {
      s.proxy_gate.push(gateSeed(ops, mods, desc, files, 200, LISTTYPES, ps));
    }
  }
  s.sync.push(joinNul(chain));
  for (const q of queries) {
    for (const t of ['vtql_parse', 'sim_query']) s[t].push(enc(q), enc(q.replace(/;$/, '') + ';'));
    for (const m of q.matchAll(LITERAL)) s.vtql_literal.push(enc(m[1].replaceAll("''", "'")));
    const m = SIMPLE.exec(q.trim());
    if (!m) continue;
    const [, cols, module, where, order, limit] = m;
    const parts = [module, cols.trim() === '*' ? '' : cols.replace(/\s+/g, ''), order || '', limit || ''];
    let glue = '';
    for (const [, field, opx, value, next] of (where || '').matchAll(TERM)) {
      const v = value.startsWith("'") ? value.slice(1, -1).replaceAll("''", "'") : value;
      parts.push((glue.toLowerCase() === 'or' ? '|' : '') + field, opx.toUpperCase(), v);
      glue = next || '';
    }
    s.vtql_builder.push(joinNul(parts.map(enc)));
  }
  for (const h of HOSTILE) {
    s.vtql_literal.push(enc(h));
    s.vtql_builder.push(joinNul(['Contacts', 'id,lastname', 'id', '5', 'lastname', '=', h].map(enc)));
  }
  const resources = [/customers|clients/, /contacts/, /leads/, /projects/, /tasks/, /invoices/];
  const ops = ['list', 'search', 'get', 'create', 'update', 'delete', 'join'];
  for (const [name, raw] of perfex()) {
    s.json.push(raw);
    const m = /^(won|rest)-(\d{3})?/.exec(name);
    const status = m && m[2] ? Number(m[2]) : 200;
    const prof = name.startsWith('won') ? 0 : 1;
    const res = Math.max(0, resources.findIndex((r) => r.test(name)));
    const opi = Math.max(0, ops.findIndex((o) => name.includes(o)));
    for (const o of new Set([opi, 0, 2, 3])) s.perfex.push(Buffer.concat([Buffer.from([prof, res, o]), statusByte(status), raw]));
  }
  return s;
}

const only = new Set(process.argv.slice(2));
let made = 0;
for (const [target, items] of Object.entries(seeds())) {
  if (only.size && !only.has(target)) continue;
  const dir = join(CORPUS, target);
  mkdirSync(dir, { recursive: true });
  const names = new Set();
  for (const data of items) {
    const name = createHash('sha1').update(data).digest('hex');
    names.add(name);
    const p = join(dir, name);
    if (!existsSync(p)) { writeFileSync(p, data); made++; }
  }
  console.log(`${target}: ${names.size} seeds`);
}
console.log(`${made} new seed files under ${relative(ROOT, CORPUS) || basename(CORPUS)}`);
