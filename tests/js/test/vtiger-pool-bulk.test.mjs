// Issue 12 items 1 and 2 against crmwire-sim (its per-session lock and service time): the
// session pool (`sessions: N`: calls spread over the sessions, one login at a time, a session
// that expires renewed alone while the others serve) and the bulk writes (createMany,
// updateMany, reviseMany, deleteMany, upsert: per-record results in input order, no write sent
// twice, OUTCOME_UNKNOWN when a create's request broke off, abort stops what has not started).
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError } from 'crmwire';
import { startSim } from './sim.mjs';

const sim = await startSim({ seedRecords: 3 });
test.after(() => sim.close());
const serviceTime = (ms) => fetch(`${sim.url}/__sim/service-time`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) });

/** A fetch that logs every request: `{ t, op, session, end }` (`end` set when its answer is read). */
function tracing() {
  const log = [];
  const f = async (url, init) => {
    const u = new URL(url);
    const body = typeof init.body === 'string' ? new URLSearchParams(init.body) : new URLSearchParams();
    const e = { t: performance.now(), op: u.searchParams.get('operation') ?? body.get('operation'), session: u.searchParams.get('sessionName') ?? body.get('sessionName'), end: undefined };
    log.push(e);
    const res = await fetch(url, init);
    const text = await res.arrayBuffer();
    e.end = performance.now();
    return new Response(text, { status: res.status, headers: res.headers });
  };
  return { log, fetch: f };
}
const mk = (o = {}) => new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, ...o });
const sent = async (op) => (await sim.stats()).requests[op] ?? 0;
const contacts = async () => (await sim.stats()).records.Contacts ?? 0;
let seq = 0;
const person = () => ({ lastname: `Bulk${++seq}`, email: `bulk${seq}@example.com`, assigned_user_id: '19x1' });

/** Asserts that no two logins (getchallenge sent → login answered) overlapped. */
function oneLoginAtATime(log) {
  const pairs = [];
  for (const e of log) {
    if (e.op === 'getchallenge') pairs.push({ from: e.t, to: Infinity });
    if (e.op === 'login') pairs[pairs.length - 1].to = e.end;
  }
  for (let i = 1; i < pairs.length; i++) assert.ok(pairs[i].from >= pairs[i - 1].to, `login ${i + 1} started before login ${i} ended`);
  return pairs.length;
}

test('sessions: 4 spreads parallel calls over 4 sessions, logged in one at a time', async () => {
  await serviceTime(20);
  try {
    const t = tracing();
    const c = mk({ sessions: 4, fetch: t.fetch });
    const logins = (await sim.stats()).logins;
    const ids = (await c.query('SELECT id FROM Contacts LIMIT 3;')).map((r) => r.id);
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => c.retrieve(ids[i % ids.length])));
    assert.deepEqual(got.map((r) => r.id), Array.from({ length: 40 }, (_, i) => ids[i % ids.length]));
    const perSession = new Map();
    for (const e of t.log) if (e.op === 'retrieve') perSession.set(e.session, (perSession.get(e.session) ?? 0) + 1);
    assert.equal(perSession.size, 4, 'four sessions served');
    for (const [, n] of perSession) assert.ok(n >= 5, `every session got a share: ${[...perSession.values()]}`);
    assert.equal(oneLoginAtATime(t.log), 4);
    assert.equal((await sim.stats()).logins - logins, 4, 'one login per session, no lost race');
    // sync runs on the first session (the one of the first call), whatever the others' load.
    const first = t.log.find((e) => e.op === 'query').session;
    const from = t.log.length;
    const busy = Promise.all(Array.from({ length: 8 }, () => c.listTypes()));
    for await (const b of c.sync('Contacts', { since: 0 })) {
      assert.ok(Array.isArray(b.updated));
      break;
    }
    await busy;
    const syncReqs = t.log.slice(from).filter((e) => e.op !== 'listtypes');
    assert.ok(syncReqs.length >= 1);
    assert.deepEqual([...new Set(syncReqs.map((e) => e.session))], [first], JSON.stringify(syncReqs.map((e) => e.op)));
    // logout ends every session.
    const open = (await sim.stats()).sessions;
    const out = await c.logout();
    assert.equal(out.error, undefined);
    assert.equal(t.log.filter((e) => e.op === 'logout').length, 4);
    assert.equal(open - (await sim.stats()).sessions, 4);
  } finally {
    await serviceTime(0);
  }
});

test('default: one session, as before', async () => {
  const t = tracing();
  const c = mk({ fetch: t.fetch });
  await Promise.all(Array.from({ length: 10 }, () => c.listTypes()));
  assert.equal(new Set(t.log.filter((e) => e.op === 'listtypes').map((e) => e.session)).size, 1);
  assert.equal(t.log.filter((e) => e.op === 'getchallenge').length, 1);
  assert.throws(() => mk({ sessions: 0 }), (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === 'sessions');
  assert.throws(() => mk({ sessions: 1.5 }), (e) => e.field === 'sessions');
  assert.throws(() => new VtigerClient({ url: sim.url, auth: 'proxy', sessions: 2 }), (e) => e.field === 'sessions');
});

test('a session that expires is renewed alone: the other session serves during its login', async () => {
  await serviceTime(20);
  try {
    const t = tracing();
    const c = mk({ sessions: 2, fetch: t.fetch });
    await Promise.all([c.listTypes(), c.listTypes()]);
    const before = new Set(t.log.filter((e) => e.op === 'listtypes').map((e) => e.session));
    assert.equal(before.size, 2);
    const logins = (await sim.stats()).logins;
    await sim.fault({ fault: 'expire_session', count: 1, operation: 'listtypes' });
    const from = t.log.length;
    // Three callers, each making six calls in a row: new calls keep coming during the renewal.
    const caller = async () => {
      for (let i = 0; i < 6; i++) await c.listTypes();
    };
    await Promise.all([caller(), caller(), caller()]);
    assert.equal((await sim.stats()).logins - logins, 1, 'one session logged in again, once');
    const after = t.log.slice(from);
    const ch = after.find((e) => e.op === 'getchallenge');
    const login = after.find((e) => e.op === 'login');
    const renewed = after.filter((e) => e.op === 'listtypes' && e.t > login.end)[0].session;
    const kept = [...before].find((s) => after.some((e) => e.op === 'listtypes' && e.session === s && e.t > login.end));
    assert.ok(kept && kept !== renewed && !before.has(renewed), 'one of the first sessions kept serving, the other was replaced');
    assert.ok(after.some((e) => e.op === 'listtypes' && e.session === kept && e.t > ch.t && e.t < login.end), 'the kept session served while the other logged in');
  } finally {
    await sim.clearFaults();
    await serviceTime(0);
  }
});

test('createMany: per-record results in input order, a refused record does not stop the others', async () => {
  const c = mk({ sessions: 2 });
  const records = Array.from({ length: 9 }, person);
  records[4] = { ...records[4], nosuchfield: 'x' };
  const creates = await sent('create');
  const n0 = await contacts();
  const progress = [];
  const r = await c.createMany('Contacts', records, { concurrency: 3, onProgress: (p) => progress.push(p) });
  assert.equal(r.length, 9);
  r.forEach((x, i) => {
    if (i === 4) {
      assert.equal(x.ok, false);
      assert.equal(x.error.code, 'INVALID_INPUT');
      assert.equal(x.error.field, 'nosuchfield');
    } else {
      assert.equal(x.ok, true, JSON.stringify(x));
      assert.equal(x.record.lastname, records[i].lastname, 'input order');
      assert.match(x.record.id, /^\d+x\d+$/);
    }
  });
  assert.equal((await sent('create')) - creates, 8, 'the refused record was never sent');
  assert.equal((await contacts()) - n0, 8);
  assert.equal(progress.length, 9);
  assert.deepEqual(progress.at(-1), { done: 9, total: 9, succeeded: 8, failed: 1 });
});

test('createMany: a create whose answer timed out is OUTCOME_UNKNOWN (it exists), and is never sent again', async () => {
  const c = mk({ sessions: 2, timeoutMs: 400 });
  await c.describe('Contacts');
  const records = Array.from({ length: 6 }, person);
  const creates = await sent('create');
  const n0 = await contacts();
  // The answer's head comes, then its body stalls past the timeout: the create ran.
  await sim.fault({ fault: 'delay_body_ms', ms: 900, count: 1, operation: 'create' });
  try {
    const r = await c.createMany('Contacts', records, { concurrency: 2 });
    const unknown = r.filter((x) => !x.ok);
    assert.equal(unknown.length, 1, JSON.stringify(r));
    const e = unknown[0].error;
    assert.ok(isCrmError(e));
    assert.equal(e.code, 'OUTCOME_UNKNOWN');
    assert.equal(e.operation, 'create');
    assert.match(e.message, /may exist/);
    assert.equal(e.cause.code, 'TIMEOUT');
    await new Promise((res) => setTimeout(res, 700));
    assert.equal((await sent('create')) - creates, 6, 'six creates sent, none twice');
    assert.equal((await contacts()) - n0, 6, 'the timed-out create did run: the record exists');
  } finally {
    await sim.clearFaults();
  }
});

test('createMany: a create refused for its session is repeated once after a new login (it never ran)', async () => {
  const c = mk({ sessions: 2 });
  await c.describe('Contacts');
  const records = Array.from({ length: 5 }, person);
  const creates = await sent('create');
  const n0 = await contacts();
  await sim.fault({ fault: 'expire_session', count: 1, operation: 'create' });
  try {
    const r = await c.createMany('Contacts', records, { concurrency: 2 });
    assert.ok(r.every((x) => x.ok), JSON.stringify(r.filter((x) => !x.ok)));
    assert.equal((await sent('create')) - creates, 6, 'five creates and the one repeat of the refused one');
    assert.equal((await contacts()) - n0, 5, 'no record twice');
  } finally {
    await sim.clearFaults();
  }
});

test('createMany: abort stops the records not started; started ones report their real outcome', async () => {
  await serviceTime(20);
  try {
    const c = mk({ sessions: 2 });
    await c.describe('Contacts');
    const ac = new AbortController();
    const creates = await sent('create');
    const n0 = await contacts();
    const r = await c.createMany('Contacts', Array.from({ length: 20 }, person), {
      concurrency: 2,
      signal: ac.signal,
      onProgress: (p) => p.done === 3 && ac.abort(new Error('stop')),
    });
    const ok = r.filter((x) => x.ok).length;
    const aborted = r.filter((x) => !x.ok && x.error.code === 'ABORTED');
    assert.ok(ok >= 3 && ok <= 5, `${ok} written`);
    assert.equal(ok + aborted.length, 20);
    assert.match(aborted[0].error.message, /not sent/);
    // Results stay in input order: the written ones come first.
    assert.ok(r.slice(0, ok).every((x) => x.ok));
    assert.equal((await sent('create')) - creates, ok, 'nothing sent after the abort but the started writes');
    assert.equal((await contacts()) - n0, ok);
  } finally {
    await serviceTime(0);
  }
});

test('updateMany, reviseMany, deleteMany: per-record results; the same id twice runs in input order', async () => {
  const c = mk({ sessions: 2 });
  const made = (await c.createMany('Contacts', [person(), person(), person()])).map((x) => x.record);
  const rev = await c.reviseMany([
    { id: made[0].id, title: 'first' },
    { id: made[1].id, title: 'one' },
    { id: made[0].id, title: 'second' },
    { id: '12x999999', title: 'ghost' },
  ], { concurrency: 4 });
  assert.deepEqual(rev.map((x) => x.ok), [true, true, true, false]);
  assert.equal(rev[3].error.code, 'ACCESS_DENIED', rev[3].error.message); // Vtiger's answer for an unknown id
  assert.equal((await c.retrieve(made[0].id)).title, 'second', 'the later revise of the same id won');
  const full = { ...(await c.retrieve(made[2].id)), title: 'full' };
  const up = await c.updateMany([full]);
  assert.equal(up[0].record.title, 'full');
  const del = await c.deleteMany(made.map((m) => m.id));
  assert.deepEqual(del.map((x) => [x.ok, x.record?.id]), made.map((m) => [true, m.id]));
  await assert.rejects(c.createMany('Contacts', 'nope'), (e) => e.code === 'INVALID_INPUT' && e.field === 'records');
  await assert.rejects(c.createMany('Contacts', [], { concurrency: 0 }), (e) => e.field === 'concurrency');
});

test('upsert: creates when absent, revises when present, MULTIPLE_MATCHES when several match', async () => {
  const c = mk({ sessions: 2 });
  const tag = `up${Date.now()}`;
  const present = await c.create('Contacts', { assigned_user_id: '19x1', lastname: 'Present', email: `${tag}-p@example.com` });
  await c.create('Contacts', { assigned_user_id: '19x1', lastname: 'Twin', email: `${tag}-twin@example.com` });
  await c.create('Contacts', { assigned_user_id: '19x1', lastname: 'Twin', email: `${tag}-twin@example.com` });
  const creates = await sent('create');
  const r = await c.upsert('Contacts', [
    { lastname: 'Present2', email: `${tag}-p@example.com` },
    { assigned_user_id: '19x1', lastname: 'New', email: `${tag}-n@example.com` },
    { lastname: 'Twin3', email: `${tag}-twin@example.com` },
    { assigned_user_id: '19x1', lastname: 'New again', email: `${tag}-N@example.com ` },
    { lastname: 'No key' },
  ], { match: ['email'], concurrency: 4 });
  assert.deepEqual(r.map((x) => x.ok), [true, true, false, true, false]);
  assert.deepEqual([r[0].action, r[0].record.id, r[0].record.lastname], ['revised', present.id, 'Present2']);
  assert.equal(r[1].action, 'created');
  assert.equal(r[2].error.code, 'MULTIPLE_MATCHES');
  assert.match(r[2].error.message, /several Contacts records match/);
  // The same key (case and trailing spaces aside) later in the batch ran after the create:
  // it found that record and revised it (the server compares case-insensitively).
  assert.equal(r[3].action, 'revised', JSON.stringify(r[3]));
  assert.equal(r[3].record.id, r[1].record.id);
  assert.equal(r[4].error.code, 'INVALID_INPUT');
  assert.equal(r[4].error.field, 'email');
  assert.equal((await sent('create')) - creates, 1, 'one create: the new key, once');
  await assert.rejects(c.upsert('Contacts', [], {}), (e) => e.field === 'match');
});
