// In-process checks of crmwire/proxy in Node (handler called directly, and through toNodeListener):
// rate limit (429 + Retry-After), the authorize hook, constructor validation, the VTQL module scan,
// upstream failure mapping. Against the simulator. node tests/js/proxy/inprocess.mjs
import http from 'node:http';
import { createVtigerProxy, durableObjectStore, memoryStore, toNodeListener, vtigerProxyObject } from 'crmwire/proxy';
import { Checks, startSim, simStats, loginCount } from './harness.mjs';
import { runHardening } from './hardening.mjs';
import { runMemory } from './memory.mjs';
import { runSync } from './sync.mjs';

const c = new Checks('[in-process] ');
const TOKEN = 'inprocess-token-0123456789';
let sim;
try {
  sim = await startSim();
  const base = { target: sim.url, username: sim.username, accessKey: sim.accessKey, allow: { modules: ['Contacts'] }, log: false };
  const req = (h, params, headers = {}) => h(new Request(`http://proxy.test/webservice.php?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } }));

  // constructor validation: no caller credential, no module list, short tokens, missing key
  const throws = (f) => { try { f(); return false; } catch (e) { return e instanceof TypeError; } };
  c.ok('no tokens and no authorize -> throws', throws(() => createVtigerProxy({ ...base })));
  c.ok('missing allow.modules -> throws', throws(() => createVtigerProxy({ ...base, allow: {}, tokens: [TOKEN] })));
  c.ok('token under 16 chars -> throws', throws(() => createVtigerProxy({ ...base, tokens: ['short'] })));
  c.ok('missing accessKey -> throws', throws(() => createVtigerProxy({ ...base, accessKey: undefined, tokens: [TOKEN] })));

  // rate limit
  const limited = createVtigerProxy({ ...base, tokens: [TOKEN, 'other-token-0123456789'], rateLimit: { requests: 3, windowMs: 60_000 } });
  const rs = [];
  for (let i = 0; i < 5; i++) rs.push(await req(limited, { operation: 'describe', elementType: 'Contacts' }));
  c.ok('first 3 requests in the window pass', rs.slice(0, 3).every((r) => r.status === 200), rs.map((r) => r.status).join(','));
  c.ok('4th and 5th -> 429 with Retry-After', rs.slice(3).every((r) => r.status === 429 && Number(r.headers.get('retry-after')) >= 1), rs.map((r) => `${r.status}/${r.headers.get('retry-after')}`).join(','));
  const body429 = await rs[3].json();
  c.ok('429 body is an error envelope (RATE_LIMITED)', body429.success === false && body429.error.code === 'RATE_LIMITED', JSON.stringify(body429));
  const other = await req(limited, { operation: 'describe', elementType: 'Contacts' }, { authorization: 'Bearer other-token-0123456789' });
  c.ok('the limit is per caller: another token still passes', other.status === 200, String(other.status));

  // The upstream state behind the store interface: two handlers (two isolates of one Worker,
  // say) sharing one store share the session (one login) and the per-caller limit.
  const shared = memoryStore({ ...base, rateLimit: { requests: 4, windowMs: 60_000 } });
  const exchanged = [];
  const store = {
    take: (b, k) => shared.take(b, k),
    peek: (b, k) => shared.peek(b, k),
    spend: (b, k) => shared.spend(b, k),
    scrub: (t) => shared.scrub(t),
    exchange: (r) => { exchanged.push(r.caller); return shared.exchange(r); },
    get stats() { return shared.stats; },
  };
  const isolates = [1, 2].map(() => createVtigerProxy({ tokens: [TOKEN], store, rateLimit: { requests: 4, windowMs: 60_000 }, log: false }));
  const l0 = loginCount(await simStats(sim));
  const shares = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => req(isolates[i % 2], { operation: 'describe', elementType: 'Contacts' })));
  c.ok('two handlers on one store: one upstream login between them', loginCount(await simStats(sim)) - l0 === 1 && isolates[0].stats.logins === 1, `${loginCount(await simStats(sim)) - l0} ${JSON.stringify(isolates[0].stats)}`);
  c.ok('... and one rate limit: 4 of 6 requests pass, over both handlers', shares.filter((r) => r.status === 200).length === 4 && shares.filter((r) => r.status === 429).length === 2 && exchanged.length === 4 && exchanged.every((x) => x === 'token#0'), shares.map((r) => r.status).join(','));
  c.ok('... a handler with a store needs no CRM options of its own', (() => { try { createVtigerProxy({ tokens: [TOKEN], store }); return true; } catch { return false; } })());

  // durableObjectStore over a stand-in namespace whose object is a vtigerProxyObject instance (the
  // RPC calls become method calls): the paths workerd's test (durable.mjs) does not reach.
  const logged = [];
  const consoleError = console.error;
  console.error = (line) => logged.push(String(line));
  try {
    const ProxyObject = vtigerProxyObject(class {}, (env) => ({ ...base, ...env }));
    const namespace = (env) => { const o = new ProxyObject({}, env); return { idFromName: (n) => n, get: () => o }; };
    const viaObject = createVtigerProxy({ tokens: [TOKEN], log: false, store: durableObjectStore(namespace({})) });
    const l1 = loginCount(await simStats(sim));
    const two = await Promise.all([1, 2].map(() => req(viaObject, { operation: 'describe', elementType: 'Contacts' })));
    c.ok('durableObjectStore: answers through the object, one login, its stats in the handler',
      two.every((x) => x.status === 200) && loginCount(await simStats(sim)) - l1 === 1 && viaObject.stats.logins === 1, `${two.map((x) => x.status)} ${JSON.stringify(viaObject.stats)}`);
    const misconfigured = createVtigerProxy({ tokens: [TOKEN], log: false, store: durableObjectStore(namespace({ allow: {} })) });
    const m = await req(misconfigured, { operation: 'describe', elementType: 'Contacts' });
    const mText = await m.text();
    c.ok('... an object without a usable configuration: 500 PROXY_ERROR, the option named in its log only',
      m.status === 500 && JSON.parse(mText).error.code === 'PROXY_ERROR' && logged.some((l) => l.includes('allow.modules')), `${m.status} ${mText} ${logged}`);
    c.ok('... the access key in no answer and no log line', !mText.includes(sim.accessKey) && logged.every((l) => !l.includes(sim.accessKey)));
    const gone = { idFromName: (n) => n, get: () => ({ exchange: () => Promise.reject(new Error('reset')), count: () => Promise.reject(new Error('reset')) }) };
    const down = createVtigerProxy({ tokens: [TOKEN], log: false, store: durableObjectStore(gone) });
    const d = [await req(down, { operation: 'describe', elementType: 'Contacts' }), await req(down, { operation: 'describe', elementType: 'Contacts' }, { authorization: 'Bearer wrong-token-0123456789' })];
    const dj = await Promise.all(d.map((x) => x.json()));
    c.ok('... an object that does not answer: 503 UPSTREAM_UNAVAILABLE (a call and a failed authentication alike)',
      d.every((x) => x.status === 503) && dj.every((j) => j.error.code === 'UPSTREAM_UNAVAILABLE'), `${d.map((x) => x.status)} ${JSON.stringify(dj)}`);
    c.ok('... a value that is not a namespace binding -> TypeError', throws(() => durableObjectStore({})) && throws(() => vtigerProxyObject(null, () => ({}))));
  } finally {
    console.error = consoleError;
  }

  // authorize hook (alone, and together with tokens)
  const seen = [];
  const hooked = createVtigerProxy({ ...base, authorize: (r) => { seen.push(r.headers.get('x-user')); return r.headers.get('x-user') === 'alice' ? { id: 'alice' } : null; } });
  let r = await req(hooked, { operation: 'describe', elementType: 'Contacts' }, { 'x-user': 'alice', authorization: '' });
  c.ok('authorize() approving -> 200', r.status === 200, String(r.status));
  r = await req(hooked, { operation: 'describe', elementType: 'Contacts' }, { 'x-user': 'mallory', authorization: '' });
  c.ok('authorize() refusing -> 401', r.status === 401, String(r.status));
  const both = createVtigerProxy({ ...base, tokens: [TOKEN], authorize: () => false });
  r = await req(both, { operation: 'describe', elementType: 'Contacts' });
  c.ok('tokens + authorize: both must pass (valid token, hook says no -> 403)', r.status === 403, String(r.status));
  c.ok('authorize() saw the request', seen.includes('alice') && seen.includes('mallory'));

  // VTQL module detection: the core's parser reads the FROM module the way the server does
  const vt = createVtigerProxy({ ...base, tokens: [TOKEN], allow: { modules: ['Contacts', 'Accounts'] } });
  const vtOnly = createVtigerProxy({ ...base, tokens: [TOKEN] });
  const q = async (h, query) => { const x = await req(h, { operation: 'query', query }); return { status: x.status, body: await x.json() }; };
  let v = await q(vt, "select id from Contacts where lastname = 'x from Users';");
  c.ok('query: FROM inside a literal is skipped (Contacts, answered)', v.status === 200 && v.body.success === true, JSON.stringify(v));
  v = await q(vt, "SELECT * FROM Accounts WHERE accountname = 'O''Brien from Users';");
  c.ok("query: doubled quotes ('') stay inside the literal (Accounts, answered)", v.status === 200 && v.body.success === true, JSON.stringify(v));
  v = await q(vtOnly, "SELECT * FROM Accounts WHERE accountname = 'O''Brien from Users';");
  c.ok('... and with Contacts only, the module refused is Accounts (not Users)', v.status === 403 && /Accounts/.test(v.body.error.message), JSON.stringify(v));
  v = await q(vt, "SELECT * FROM Contacts WHERE lastname = 'a\\\\';");
  c.ok('query: an even backslash run before the quote is fine', v.status === 200 && v.body.success === true, JSON.stringify(v));
  for (const [name, text] of [
    ['odd backslash run before a quote', "SELECT * FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1=1) -- ';"],
    ['not a SELECT', 'DELETE FROM Contacts'],
    ['no FROM', 'select 1;'],
  ]) {
    v = await q(vt, text);
    c.ok(`query: ${name} -> 400 INVALID_INPUT`, v.status === 400 && v.body.error.code === 'INVALID_INPUT', JSON.stringify(v));
  }
  c.ok('an unusable module list throws a TypeError at construction', throws(() => createVtigerProxy({ ...base, tokens: [TOKEN], allow: { modules: ['Contacts,Users'] } })));

  // toNodeListener over a real socket, and an unreachable upstream -> 502 without detail
  const h = createVtigerProxy({ ...base, tokens: [TOKEN] });
  const srv = http.createServer(toNodeListener(h));
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const url = `http://127.0.0.1:${srv.address().port}/webservice.php`;
  r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ operation: 'create', elementType: 'Contacts', element: JSON.stringify({ lastname: 'Listener', assigned_user_id: '19x1' }) }) });
  const j = await r.json();
  c.ok('toNodeListener: POST create through node:http', r.status === 200 && j.success === true, JSON.stringify(j).slice(0, 200));
  r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'operation=create&element=' + 'x'.repeat(2 << 20) });
  c.ok('toNodeListener: 2 MiB body -> 413 (default 1 MiB limit)', r.status === 413, String(r.status));
  await new Promise((res) => srv.close(res));

  const dead = createVtigerProxy({ ...base, target: 'http://127.0.0.1:9/', tokens: [TOKEN] });
  r = await req(dead, { operation: 'describe', elementType: 'Contacts' });
  const dj = await r.json();
  c.ok('unreachable CRM -> 502 UPSTREAM_UNAVAILABLE, no internal detail', r.status === 502 && dj.error.code === 'UPSTREAM_UNAVAILABLE' && !/127\.0\.0\.1|ECONNREFUSED/.test(JSON.stringify(dj)), JSON.stringify(dj));
  const badKey = createVtigerProxy({ ...base, accessKey: 'wrongwrongwrong1', tokens: [TOKEN] });
  r = await req(badKey, { operation: 'describe', elementType: 'Contacts' });
  const bj = await r.json();
  c.ok('wrong access key -> 502 UPSTREAM_LOGIN_FAILED', r.status === 502 && bj.error.code === 'UPSTREAM_LOGIN_FAILED', JSON.stringify(bj));
  c.ok('simulator still answers', typeof loginCount(await simStats(sim)) === 'number');

  await runHardening(c, sim);
  await runMemory(c, sim);
  await runSync(c);
} catch (e) {
  c.ok('in-process run completed', false, e.stack || String(e));
} finally {
  await sim?.close();
}
await c.finish();
