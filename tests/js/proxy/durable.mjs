// The proxy's upstream state in a Durable Object (issue 12 item 3), in workerd: www/edge/durable.capnp
// runs durable.mjs as two edge services (two isolates) bound to one Durable Object namespace.
//   node tests/js/proxy/durable.mjs [N=2000]
// 1. N queries at concurrency 20 spread over both services: 0 errors, exactly one upstream login
//    (the simulator's count), no session name or access key in any answer or in workerd's output.
// 2. A caller's rate limit (RATE_LIMIT=6/3600) holds across both services: 6 of 10 pass. With a
//    store per isolate (memoryStore) each service would let 6 through.
//    A multipart create (a Documents file) crosses to the object with its file.
// 3. Failed authentications are counted across both services too: after 10 wrong tokens the
//    address gets 429, for a wrong token and for the right one alike.
import { Checks, ROOT, startSim, startTap, simStats, loginCount, stop } from './harness.mjs';
import { startDurable, proxyEnv, TOKEN, TOKEN2 } from './runtimes.mjs';
import { load } from './loadgen.mjs';
import { blockWith } from '../docs/blocks.mjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const N = Number(process.argv[2] || 2000);
const C = 20;
const c = new Checks('[durable] ');

const get = async (url, token, params) => {
  const r = await fetch(`${url}?${new URLSearchParams(params)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, retryAfter: r.headers.get('retry-after'), text: await r.text() };
};
const query = { operation: 'query', query: 'SELECT id, lastname FROM Contacts ORDER BY id LIMIT 2;' };

let sim, tap, px;
try {
  // pkg/README.md shows the example files verbatim
  const readme = readFileSync(path.join(ROOT, 'pkg/README.md'), 'utf8');
  for (const f of ['durable.mjs', 'wrangler.jsonc']) {
    c.ok(`pkg/README.md's block is www/edge/${f} verbatim`, blockWith('pkg/README.md', readme, `www/edge/${f} verbatim`).code === readFileSync(path.join(ROOT, 'www/edge', f), 'utf8'));
  }
  sim = await startSim();
  tap = await startTap(sim.url);
  // ---- 1: one login for both services, under load
  px = await startDurable(proxyEnv({ ...sim, url: tap.url }, { PROXY_LOG: '1' }));
  const [a, b] = px.urls;
  const l0 = loginCount(await simStats(sim));
  const r = await load(px.urls, N, C, TOKEN);
  const logins = loginCount(await simStats(sim)) - l0;
  c.ok(`${N} requests at concurrency ${C} over two services: 0 errors (${r.rps} requests/s)`, r.errors.length === 0, `${r.errors.length} errors, first: ${r.errors[0]}`);
  c.ok('... exactly one upstream login for both services', logins === 1, String(logins));
  const answers = [
    await get(a, TOKEN, query),
    await get(b, TOKEN, query),
    await get(a, TOKEN, { operation: 'query', query: 'SELECT id FROM Leads;' }), // module not allowed
    await get(b, TOKEN, { operation: 'retrieve', id: '12x999999' }), // the CRM's own refusal
    await get(a, TOKEN, { operation: 'query', query: 'SELECT nosuchfield FROM Contacts;' }),
  ];
  c.ok('both services answer from the shared session', answers[0].status === 200 && answers[1].status === 200 && JSON.parse(answers[1].text).result.length === 2,
    answers.slice(0, 2).map((x) => `${x.status} ${x.text.slice(0, 120)}`).join(' | '));
  c.ok('... refusals and CRM errors come back as envelopes', answers.slice(2).every((x) => x.status !== 200 || x.text.includes('"success":false')) && answers[2].status === 403,
    answers.slice(2).map((x) => `${x.status} ${x.text.slice(0, 120)}`).join(' | '));
  const secrets = [...tap.sessions, sim.accessKey];
  c.ok('the session was recorded upstream (the check below has something to look for)', tap.sessions.size === 1, String(tap.sessions.size));
  c.ok('no session name nor access key in any answer', answers.every((x) => secrets.every((s) => !x.text.includes(s))));
  c.ok('... nor in workerd\'s output (the request log)', px.proc.out.includes('crmwire-proxy GET op=query') && secrets.every((s) => !px.proc.out.includes(s)), px.proc.out.slice(-300));
  await stop(px.proc);

  // ---- 2, 3: a caller's rate limit and the failed-authentication limit, across both services
  px = await startDurable(proxyEnv(sim, { PROXY_LOG: '0', RATE_LIMIT: '6/3600', ALLOWED_MODULES: 'Contacts,Accounts,Documents' }));
  // A multipart request crosses to the object with its file (it counts against TOKEN's limit).
  const fd = new FormData();
  fd.append('operation', 'create');
  fd.append('elementType', 'Documents');
  fd.append('element', JSON.stringify({ notes_title: 'Doc', assigned_user_id: '19x1', filelocationtype: 'I', filestatus: '1' }));
  fd.append('filename', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt');
  const up = await fetch(px.urls[0], { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: fd });
  const upText = await up.text();
  c.ok('a multipart Documents create through the object: the file reaches the CRM', up.status === 200 && JSON.parse(upText).result?.filename === 'hello.txt' && JSON.parse(upText).result.filesize === '5', `${up.status} ${upText.slice(0, 200)}`);
  const rl = [];
  for (let i = 0; i < 10; i++) rl.push(await get(px.urls[i % 2], TOKEN2, query));
  const passed = rl.filter((x) => x.status === 200).length;
  const refused = rl.filter((x) => x.status === 429 && Number(x.retryAfter) > 0 && x.text.includes('RATE_LIMITED'));
  c.ok('RATE_LIMIT 6/3600: 6 of 10 requests alternating over both services pass, 4 get 429 with Retry-After', passed === 6 && refused.length === 4 && rl.slice(0, 6).every((x) => x.status === 200),
    rl.map((x) => x.status).join(','));
  const other = await get(px.urls[1], TOKEN, query);
  c.ok('... another caller is not limited by it', other.status === 200, `${other.status} ${other.text.slice(0, 120)}`);
  const bad = [];
  for (let i = 0; i < 12; i++) bad.push(await get(px.urls[i % 2], 'wrong-token-0123456789', query));
  c.ok('10 wrong tokens alternating over both services get 401, then 429', bad.slice(0, 10).every((x) => x.status === 401) && bad.slice(10).every((x) => x.status === 429 && Number(x.retryAfter) > 0),
    bad.map((x) => x.status).join(','));
  const right = [await get(px.urls[0], TOKEN, query), await get(px.urls[1], TOKEN, query)];
  c.ok('... and the right token from that address gets 429 too (a blocked guess reveals nothing)', right.every((x) => x.status === 429), right.map((x) => x.status).join(','));
} catch (e) {
  c.ok('durable object run completed', false, e.stack || String(e));
  if (px?.proc) console.log(px.proc.out.slice(-3000));
} finally {
  await stop(px?.proc);
  await tap?.close();
  await sim?.close();
}
await c.finish();
