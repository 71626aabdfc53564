// The transport and the driving loop with hostile fetches and servers: a timeout and an abort
// win even when fetch ignores its signal (implicit login included); an aborted signal sends
// nothing; redirects are followed only to the same origin for GETs, everything else is a
// typed REDIRECT naming the target; network errors carry their reason; no secret in any
// message or cause; unsendable input and oversized answers are CrmErrors.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { VtigerClient, PerfexClient, isCrmError } from 'crmwire';
import { errorStrings } from './sim.mjs';

const CHALLENGE = '{"success":true,"result":{"token":"t0k3nt0k3n","serverTime":1,"expireTime":301}}';
const LOGIN = '{"success":true,"result":{"sessionName":"SESSsecret123456","userId":"19x1","version":"0.22","vtigerVersion":"8.4.0"}}';
const opOf = (url, init) => new URLSearchParams(init?.body ?? '').get('operation') ?? new URL(url).searchParams.get('operation');

/** A fetch stub: `answer(op, url, init)` returns a Response (or a promise); every call is recorded. */
function stub(answer) {
  const calls = [];
  const f = async (url, init) => {
    calls.push({ url, init, op: opOf(url, init) });
    const op = opOf(url, init);
    const r = await answer(op, url, init);
    if (r !== undefined) return r;
    if (op === 'getchallenge') return new Response(CHALLENGE);
    if (op === 'login') return new Response(LOGIN);
    return new Response('{"success":true,"result":{"ok":true}}');
  };
  f.calls = calls;
  return f;
}
const never = () => new Promise(() => {}); // ignores its signal, never settles
// checkFields: false: these stubs answer every operation alike (a describe too); the field
// check has its own suite (vtiger-fields.test.mjs).
const mk = (fetch, o = {}) => new VtigerClient({ url: 'http://crm.test', username: 'admin', accessKey: 'k3y', fetch, retry: { retries: 0, baseMs: 5 }, checkFields: false, ...o });
const code = (c, extra = {}) => (e) => {
  assert.ok(isCrmError(e), String(e && e.stack));
  assert.equal(e.code, c, e.message);
  for (const [k, v] of Object.entries(extra)) assert.deepEqual(e[k], v, k);
  return true;
};
const within = async (ms, p) => {
  const t0 = Date.now();
  try {
    return await p;
  } finally {
    const took = Date.now() - t0;
    assert.ok(took < ms, `took ${took} ms (limit ${ms})`);
  }
};

test('timeoutMs wins over a fetch that ignores its signal: a call, the implicit login, a body that never ends', async () => {
  const hang = stub((op) => (op === 'listtypes' ? never() : undefined));
  await within(600, assert.rejects(mk(hang, { timeoutMs: 150 }).listTypes(), code('TIMEOUT', { operation: 'listtypes' })));
  const hangLogin = stub((op) => (op === 'getchallenge' ? never() : undefined));
  await within(600, assert.rejects(mk(hangLogin, { timeoutMs: 150 }).listTypes(), code('TIMEOUT', { operation: 'getchallenge' })));
  const endless = stub((op) => (op === 'listtypes' ? new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"success":true,')) })) : undefined));
  await within(600, assert.rejects(mk(endless, { timeoutMs: 150 }).listTypes(), code('TIMEOUT', { operation: 'listtypes' })));
  const perfex = new PerfexClient({ url: 'http://crm.test', token: 't', api: 'won', fetch: never, timeoutMs: 150, retry: 0 });
  await within(600, assert.rejects(perfex.get('customers', '1'), code('TIMEOUT', { operation: 'customers.get' })));
});

test('an abort during the implicit login is reported within 100 ms, for the call leading it and the calls waiting on it', async () => {
  const hang = stub((op) => (op === 'getchallenge' ? never() : undefined));
  const c = mk(hang, { timeoutMs: 60_000 });
  const a = new AbortController();
  const b = new AbortController();
  const pa = c.listTypes({ signal: a.signal });
  const pb = c.retrieve('12x1', { signal: b.signal });
  await new Promise((r) => setTimeout(r, 50));
  let t0 = Date.now();
  b.abort(); // a call waiting on the login
  await assert.rejects(pb, code('ABORTED', { operation: 'retrieve' }));
  assert.ok(Date.now() - t0 < 100, `${Date.now() - t0} ms`);
  t0 = Date.now();
  a.abort(); // the call leading it
  await assert.rejects(pa, code('ABORTED', { operation: 'listtypes' }));
  assert.ok(Date.now() - t0 < 100, `${Date.now() - t0} ms`);
  assert.equal(hang.calls.length, 1, 'one getchallenge, no login');
});

test('an abandoned login is taken over by a call still waiting on it', async () => {
  let first = true;
  const f = stub((op) => {
    if (op === 'getchallenge' && first) {
      first = false;
      return never();
    }
  });
  const c = mk(f);
  const a = new AbortController();
  const pa = c.listTypes({ signal: a.signal });
  const pb = c.describe('Contacts');
  await new Promise((r) => setTimeout(r, 20));
  a.abort();
  await assert.rejects(pa, code('ABORTED'));
  assert.deepEqual(await pb, { ok: true, idPrefix: NaN });
  assert.deepEqual(f.calls.map((x) => x.op), ['getchallenge', 'getchallenge', 'login', 'describe']);
});

test('an already aborted signal sends nothing, not even the getchallenge; login({ signal }) is covered', async () => {
  const f = stub(() => undefined);
  const c = mk(f);
  const pre = AbortSignal.abort(new Error('user cancelled'));
  await assert.rejects(c.listTypes({ signal: pre }), (e) => code('ABORTED', { operation: 'listtypes' })(e) && e.cause.message === 'user cancelled');
  await assert.rejects(c.login({ signal: pre }), code('ABORTED', { operation: 'login' }));
  assert.equal(f.calls.length, 0);
  const slow = mk(stub((op) => (op === 'login' ? never() : undefined)));
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 30);
  await within(300, assert.rejects(slow.login({ signal: ac.signal }), code('ABORTED', { operation: 'login' })));
  const info = await mk(f).login({ signal: new AbortController().signal });
  assert.equal(info.vtigerVersion, '8.4.0');
});

test('redirects: same-origin GETs followed (manual, at most 3), anything else REDIRECT naming the target with secrets masked', async () => {
  // Same origin, GET: followed explicitly; fetch never follows by itself.
  const same = stub((op, url) => {
    if (op === 'listtypes' && !url.includes('/moved/')) return new Response('', { status: 302, headers: { location: '/moved/webservice.php?operation=listtypes' } });
  });
  assert.deepEqual(await mk(same).listTypes(), { ok: true });
  assert.ok(same.calls.every((x) => x.init.redirect === 'manual'));
  assert.equal(same.calls.at(-1).url, 'http://crm.test/moved/webservice.php?operation=listtypes');
  // Another origin: refused; the session never goes there.
  const away = stub((op, url) => {
    if (op === 'listtypes' && url.startsWith('http://crm.test')) return new Response('', { status: 307, headers: { location: `https://evil.test/ws.php?operation=listtypes&sessionName=SESSsecret123456` } });
  });
  await assert.rejects(mk(away).listTypes(), (e) => code('REDIRECT', { status: 307, operation: 'listtypes' })(e) && e.message.includes('https://evil.test/ws.php') && !e.message.includes('SESSsecret123456'));
  assert.ok(away.calls.every((x) => x.url.startsWith('http://crm.test')));
  // A write answered with a redirect: refused, never resent (a 302 would turn it into a GET).
  for (const status of [301, 302, 303, 307, 308]) {
    const post = stub((op) => (op === 'create' ? new Response('', { status, headers: { location: 'http://crm.test/webservice.php' } }) : undefined));
    await assert.rejects(mk(post).create('Contacts', { lastname: 'x' }), code('REDIRECT', { status, operation: 'create' }));
    assert.equal(post.calls.filter((x) => x.op === 'create').length, 1);
  }
  // The login digest never goes to another origin either.
  const loginAway = stub((op) => (op === 'login' ? new Response('', { status: 308, headers: { location: 'http://evil.test/webservice.php' } }) : undefined));
  await assert.rejects(mk(loginAway).listTypes(), code('REDIRECT', { operation: 'login' }));
  assert.ok(loginAway.calls.every((x) => x.url.startsWith('http://crm.test')));
  // A redirect a browser hides (redirect: 'manual' gives an opaqueredirect with status 0).
  const opaque = stub((op) => (op === 'listtypes' ? { type: 'opaqueredirect', status: 0, headers: new Headers(), body: null, arrayBuffer: async () => new ArrayBuffer(0) } : undefined));
  await assert.rejects(mk(opaque).listTypes(), (e) => code('REDIRECT', { operation: 'listtypes' })(e) && /hides/.test(e.message));
  // Perfex too.
  const px = new PerfexClient({ url: 'https://crm.test', token: 't', api: 'won', fetch: async () => new Response('', { status: 301, headers: { location: 'http://crm.test/x' } }), retry: 0 });
  await assert.rejects(px.get('customers', '1'), (e) => code('REDIRECT', { operation: 'customers.get' })(e) && /https to http/.test(e.message));
});

test('redirects from a real server (Node fetch, redirect: manual): cross-origin refused, the other server never hit', async () => {
  let hits = 0;
  const other = http.createServer((q, r) => {
    hits++;
    r.end('{"success":true,"result":"foreign"}');
  });
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
  const crm = http.createServer((q, r) => {
    const u = new URL(q.url, 'http://x');
    if (u.searchParams.get('operation') === 'getchallenge') return r.end(CHALLENGE);
    if (q.method === 'POST') return r.writeHead(302, { location: `http://127.0.0.1:${other.address().port}/webservice.php` }).end();
    r.end('{}');
  });
  await new Promise((r) => crm.listen(0, '127.0.0.1', r));
  try {
    const c = new VtigerClient({ url: `http://127.0.0.1:${crm.address().port}`, username: 'admin', accessKey: 'k3y', retry: 0 });
    await assert.rejects(c.listTypes(), (e) => code('REDIRECT', { status: 302, operation: 'login' })(e) && e.message.includes(`127.0.0.1:${other.address().port}`));
    assert.equal(hits, 0);
  } finally {
    crm.close();
    other.close();
  }
});

test('network errors name their reason: connection refused, DNS failure, TLS certificate', async () => {
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  const noListener = new VtigerClient({ url: `http://127.0.0.1:${port}`, username: 'admin', accessKey: 'k', retry: 0 });
  await assert.rejects(noListener.listTypes(), (e) => code('TRANSPORT', { operation: 'getchallenge' })(e) && /ECONNREFUSED/.test(e.message) && e.message !== 'network error: fetch failed');
  // A port fetch refuses to use: the reason too.
  await assert.rejects(new VtigerClient({ url: 'http://127.0.0.1:9', username: 'admin', accessKey: 'k', retry: 0 }).listTypes(), (e) => code('TRANSPORT')(e) && /bad port/.test(e.message));
  const dns = new VtigerClient({ url: 'http://no-such-host.invalid', username: 'admin', accessKey: 'k', retry: 0 });
  await assert.rejects(dns.listTypes(), (e) => code('TRANSPORT')(e) && /ENOTFOUND|EAI_AGAIN/.test(e.message));
  const dir = new URL('./fixtures/', import.meta.url);
  const tls = https.createServer({ key: readFileSync(new URL('self-signed.key.pem', dir)), cert: readFileSync(new URL('self-signed.cert.pem', dir)) }, (q, r) => r.end(CHALLENGE));
  await new Promise((r) => tls.listen(0, '127.0.0.1', r));
  try {
    const c = new VtigerClient({ url: `https://127.0.0.1:${tls.address().port}`, username: 'admin', accessKey: 'k', retry: 0 });
    await assert.rejects(c.listTypes(), (e) => code('TRANSPORT')(e) && /SELF_SIGNED|CERT|certificate/i.test(e.message));
  } finally {
    tls.close();
  }
});

test('no session name in a message or anywhere in the cause chain; encoded forms in server texts masked', async () => {
  const secret = 'SESSsecret123456';
  const leaky = stub((op, url) => {
    if (op === 'listtypes') {
      const inner = new Error(`connect ECONNRESET ${url}`);
      inner.code = 'ECONNRESET';
      throw new TypeError(`fetch failed for ${url}`, { cause: inner });
    }
  });
  await assert.rejects(mk(leaky).listTypes(), (e) => {
    code('TRANSPORT', { operation: 'listtypes' })(e);
    assert.ok(e.cause instanceof TypeError, 'the cause keeps its class');
    assert.match(e.message, /ECONNRESET/);
    for (const s of errorStrings(e)) assert.ok(!s.includes(secret), `leak: ${s}`);
    return true;
  });
  for (const form of [`sessionName=${secret}`, `sessionName%3D${secret}`, `sessionName&#61;${secret}`, `"sessionName":"${secret}"`, `[sessionName] => ${secret}`]) {
    const f = stub((op) => (op === 'listtypes' ? new Response(JSON.stringify({ success: false, error: { code: 'DATABASE_QUERY_ERROR', message: `failed near ${form} here` } })) : undefined));
    await assert.rejects(mk(f).listTypes(), (e) => code('DATABASE_QUERY_ERROR')(e) && !e.message.includes(secret) && e.message.includes('[redacted]'));
  }
});

test('elements holding a BigInt, a cycle or a throwing toJSON are INVALID_INPUT, nothing sent', async () => {
  const f = stub(() => undefined);
  const c = mk(f);
  const cycle = { lastname: 'x' };
  cycle.self = cycle;
  for (const el of [{ lastname: 'x', n: 10n }, cycle, { lastname: 'x', d: { toJSON() { throw new Error('nope'); } } }]) {
    await assert.rejects(c.create('Contacts', el), code('INVALID_INPUT', { field: 'element', operation: 'create' }));
    await assert.rejects(c.revise({ id: '12x1', ...el }), code('INVALID_INPUT', { field: 'element' }));
  }
  await assert.rejects(c.query({ module: 'Contacts', limit: 10n }), code('INVALID_INPUT', { field: 'query' }));
  await assert.rejects(c.call('listtypes', { x: cycle }), code('INVALID_INPUT', { field: 'x' }));
  assert.equal(f.calls.length, 0);
  const px = new PerfexClient({ url: 'http://crm.test', token: 't', api: 'won', fetch: f });
  await assert.rejects(px.create('leads', { name: 'x', n: 1n }), code('INVALID_INPUT', { field: 'fields' }));
  assert.equal(f.calls.length, 0);
});

test('maxResponseBytes: the body is read as a stream and cut off with RESPONSE_TOO_LARGE (default 64 MiB)', async () => {
  const MiB = 1024 * 1024;
  let pulled = 0;
  let cancelled = false;
  const endless = () =>
    new Response(new ReadableStream({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(MiB).fill(32));
      },
      cancel() {
        cancelled = true;
      },
    }));
  const f = stub((op) => (op === 'listtypes' ? endless() : undefined));
  await assert.rejects(mk(f, { maxResponseBytes: 4 * MiB }).listTypes(), code('RESPONSE_TOO_LARGE', { operation: 'listtypes' }));
  assert.ok(cancelled, 'the stream is cancelled');
  assert.ok(pulled <= 8, `${pulled} MiB pulled`);
  // The default cap, with memory bounded (a 1.1 GB answer used to reach 7 GB RSS).
  pulled = 0;
  const rss = process.memoryUsage().rss;
  await assert.rejects(mk(f).listTypes(), code('RESPONSE_TOO_LARGE'));
  assert.ok(pulled >= 64 && pulled <= 70, `${pulled} MiB pulled`);
  assert.ok(process.memoryUsage().rss - rss < 400 * MiB, 'memory bounded');
  // A declared Content-Length over the cap: refused before reading.
  const declared = stub((op) => (op === 'listtypes' ? new Response('x', { headers: { 'content-length': String(2 * MiB) } }) : undefined));
  await assert.rejects(mk(declared, { maxResponseBytes: MiB }).listTypes(), code('RESPONSE_TOO_LARGE'));
  // The option: a positive integer below 512 MiB (a longer answer could not be a JS string).
  for (const m of [0, -1, 1.5, 512 * MiB, Infinity, '1']) {
    assert.throws(() => mk(f, { maxResponseBytes: m }), code('INVALID_INPUT', { field: 'maxResponseBytes' }));
    assert.throws(() => new PerfexClient({ url: 'http://x', token: 't', api: 'won', maxResponseBytes: m }), code('INVALID_INPUT', { field: 'maxResponseBytes' }));
  }
});
