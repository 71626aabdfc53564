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
  'request', 'sim_query'];

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

function seeds() {
  const s = Object.fromEntries(TARGETS.map((t) => [t, []]));
  const chain = [];
  const queries = [];
  for (const fx of vtiger()) {
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
