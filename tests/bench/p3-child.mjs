// P3 child: per-call client CPU of crmwire vs the reference JS client, both over the same in-memory fetch that
// returns canned real responses. Runs with --expose-gc; prints one JSON line.
//   node --expose-gc p3-child.mjs [--rounds 7] [--ms 400] [--warm 300] [--only op[,op]] [--clients ref,crmwire]
import { performance } from 'node:perf_hooks';
import { loadCanned, makeMockFetch } from './lib/fixtures.mjs';
import { RefVtigerClient } from './lib/ref-client.mjs';
import { crmwireFacade, loadCrmwire } from './lib/crmwire.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const ROUNDS = +arg('rounds', 7);
const MS = +arg('ms', 400);
const WARM = +arg('warm', 300);
const ONLY = arg('only', null)?.split(',');
const CLIENTS = arg('clients', 'floor,ref,crmwire').split(',');
const gc = globalThis.gc || (() => {});

const CONTACT = {
  lastname: 'Lifecycle', firstname: 'Carl', email: 'carl@example.com',
  account_id: '11x239', birthday: '1980-05-17', assigned_user_id: '19x1',
};
const QUERY = 'SELECT * FROM Contacts LIMIT 100;';
const rowsOf = (r) => (Array.isArray(r) ? r.length : Array.isArray(r?.rows) ? r.rows.length : -1);

/** Each op: which canned responses GET and POST return, the call, and a check of its result. */
const OPS = {
  login: { get: 'challenge', post: 'login', methods: ['GET', 'POST'],
    ref: (c) => c.login(), crm: (c) => c.login(), check: () => true },
  retrieve: { get: 'retrieve', methods: ['GET'],
    ref: (c) => c.retrieve('12x240'), crm: (c) => c.retrieve('12x240'), check: (r) => r && r.id === '12x240' },
  create: { post: 'create', methods: ['POST'],
    ref: (c) => c.create('Contacts', CONTACT), crm: (c) => c.create('Contacts', CONTACT), check: (r) => r && r.id === '12x240' },
  query100: { get: 'query100', methods: ['GET'],
    ref: (c) => c.query(QUERY), crm: (c) => c.query(QUERY), check: (r) => rowsOf(r) === 100 },
  syncPage100: { get: 'sync100', methods: ['GET'],
    ref: (c) => c.syncPage('Contacts', 0), crm: (c) => c.syncFirstBatch('Contacts', 0),
    check: (r) => r && Array.isArray(r.updated) && r.updated.length === 100 },
};

const out = { rounds: ROUNDS, msPerRound: MS, clients: {}, ops: {} };
const { canned, missing } = loadCanned();
let Crm = null;
if (CLIENTS.includes('crmwire')) {
  const l = await loadCrmwire();
  if (l.error) out.clients.crmwire = { available: false, why: l.error }; else { Crm = l.VtigerClient; out.clients.crmwire = { available: true }; }
}
out.clients.ref = { available: true, md5: 'spark-md5' };

const opts = (fetch) => ({ url: 'http://127.0.0.1:9/', username: 'admin', accessKey: 'ACCESS_KEY', fetch });

// The floor: what the in-memory fetch itself costs per call (build the Response, read its body as text), with the
// same number of requests as the op. Both clients pay it; "net" figures subtract it.
const floorClient = (mock, methods) => async () => {
  let last;
  for (const method of methods) last = await (await mock.fetch('http://127.0.0.1:9/webservice.php', { method })).text();
  return last;
};

async function setup(kind, op) {
  const mock = makeMockFetch();
  if (kind === 'floor') {
    mock.get = op.get ? canned[op.get] : null;
    mock.post = op.post ? canned[op.post] : null;
    const f = floorClient(mock, op.methods);
    await f();
    return { mock, call: f, requestsPerCall: op.methods.length };
  }
  mock.get = canned.challenge; mock.post = canned.login;
  const c = kind === 'ref' ? new RefVtigerClient(opts(mock.fetch)) : crmwireFacade(Crm, opts(mock.fetch));
  await c.login();
  // crmwire's field check needs the module's describe, fetched once per client: fetch it now (not timed).
  if (kind === 'crmwire' && op.post === 'create') {
    mock.get = canned.describeContacts;
    await c.raw.describe('Contacts');
  }
  mock.get = op.get ? canned[op.get] : null;
  mock.post = op.post ? canned[op.post] : null;
  const call = kind === 'ref' ? () => op.ref(c) : () => op.crm(c);
  // Sanity: one call, checked, and its request count.
  const before = mock.calls;
  const r = await call();
  if (!op.check(r)) throw new Error(`unexpected result: ${JSON.stringify(r)?.slice(0, 200)}`);
  return { c, mock, call, requestsPerCall: mock.calls - before };
}

async function timed(s, ms) {
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 8; i++) await s.call();
    n += 8;
    t = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: (n * 1000) / (t - t0), cpuUsPerOp: (cpu.user + cpu.system) / n, n };
}

const kinds = ['floor', 'ref', ...(Crm ? ['crmwire'] : [])].filter((k) => CLIENTS.includes(k));
const states = {};
for (const [name, op] of Object.entries(OPS)) {
  if (ONLY && !ONLY.includes(name)) continue;
  const needs = [op.get, op.post].filter(Boolean);
  const miss = needs.filter((k) => missing[k] || missing.challenge || missing.login);
  out.ops[name] = { fixtures: needs, samples: {} };
  if (miss.length) { out.ops[name].error = `fixtures missing: ${[...new Set(miss)].map((k) => missing[k]).join('; ')}`; continue; }
  states[name] = {};
  for (const k of kinds) {
    try {
      states[name][k] = await setup(k, op);
      out.ops[name].samples[k] = [];
      out.ops[name][`${k}RequestsPerCall`] = states[name][k].requestsPerCall;
      const w0 = performance.now();
      while (performance.now() - w0 < WARM) await states[name][k].call();
    } catch (e) {
      out.ops[name][`${k}Error`] = `${e.name}: ${e.message}`.slice(0, 300);
      delete states[name][k];
    }
  }
}
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(states)) {
    const order = r % 2 ? [...kinds].reverse() : kinds; // alternate who goes first
    for (const k of order) {
      const s = states[name][k];
      if (!s) continue;
      try { out.ops[name].samples[k].push(await timed(s, MS)); } catch (e) {
        out.ops[name][`${k}Error`] = `${e.name}: ${e.message}`.slice(0, 300);
        delete states[name][k];
      }
    }
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
