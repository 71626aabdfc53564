// Issue 15 in-process checks of crmwire/proxy against the simulator: the allowlist bypasses through
// query_related and describe-only reference fields, a CRM that prints PHP notices (item 4), and the
// edge hardening of item 10 (wrong-token guesses, log lines, old session names, 4xx instead of 500,
// slow bodies). Each check failed on the proxy before the fix.
import http from 'node:http';
import net from 'node:net';
import { createVtigerProxy, toNodeListener } from 'crmwire/proxy';
import { simStats, loginCount, simFault, simDirect } from './harness.mjs';

const TOKEN = 'hardening-token-0123456789';

/** One raw HTTP/1.1 exchange over a socket (for request lines fetch cannot send); resolves the status, or 0. */
function rawRequest(port, text, { writeMore = null, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const t0 = Date.now();
    const timer = setTimeout(() => { sock.destroy(); resolve({ status: 0, ms: Date.now() - t0, data }); }, timeoutMs);
    sock.on('connect', () => { sock.write(text); if (writeMore) writeMore(sock); });
    sock.on('data', (d) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m && data.includes('\r\n\r\n')) {
        clearTimeout(timer);
        sock.destroy();
        resolve({ status: Number(m[1]), ms: Date.now() - t0, data });
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), ms: Date.now() - t0, data }); });
  });
}

export async function runHardening(c, sim) {
  const base = { target: sim.url, username: sim.username, accessKey: sim.accessKey, tokens: [TOKEN], log: false };
  const req = (h, params, { headers = {}, info, method = 'GET' } = {}) => {
    const init = { method, headers: { authorization: `Bearer ${TOKEN}`, ...headers } };
    let url = 'http://proxy.test/webservice.php';
    if (method === 'GET') url += `?${new URLSearchParams(params)}`;
    else { init.body = new URLSearchParams(params).toString(); init.headers['content-type'] = 'application/x-www-form-urlencoded'; }
    return h(new Request(url, init), info);
  };
  const json = async (r) => { const text = await r.text(); try { return { status: r.status, text, json: JSON.parse(text) }; } catch { return { status: r.status, text, json: null }; } };

  // ---- criticals through query_related and fields only describe names as references
  const wide = createVtigerProxy({ ...base, allow: { modules: ['Contacts', 'Accounts', 'Potentials'], operations: '*' } });
  let x;
  let r = await json(await req(wide, { operation: 'query_related', query: "SELECT id FROM Contacts WHERE id = '12x0) OR 1=1 OR (1'", id: '11x9', relatedLabel: 'Contacts' }));
  c.ok('query_related: SQL through an id value -> 400', r.status === 400 && r.json?.error?.code === 'INVALID_INPUT', `${r.status} ${r.text.slice(0, 200)}`);
  r = await json(await req(wide, { operation: 'query_related', query: "SELECT id FROM Users WHERE user_name = 'admin'", id: '11x9', relatedLabel: 'Contacts' }));
  c.ok('query_related: a module outside the list -> 403', r.status === 403 && r.json?.error?.code === 'ACCESS_DENIED', `${r.status} ${r.text.slice(0, 200)}`);
  r = await json(await req(wide, { operation: 'query_related', query: "SELECT id, lastname FROM Contacts WHERE lastname != 'x'", id: '11x9', relatedLabel: 'Contacts' }));
  c.ok('query_related: a normal query is re-rendered and answers', r.status === 200 && r.json?.success === true, `${r.status} ${r.text.slice(0, 200)}`);
  // Potentials.campaignid is a reference only describe tells (no _id suffix): the proxy learns it.
  r = await json(await req(wide, { operation: 'query', query: "SELECT id FROM Potentials WHERE campaignid = '1x0) OR 1=1 OR (1';" }));
  c.ok('a reference field known from describe (campaignid): SQL -> 400', r.status === 400 && r.json?.error?.code === 'INVALID_INPUT', `${r.status} ${r.text.slice(0, 200)}`);
  r = await json(await req(wide, { operation: 'query', query: "SELECT id, potentialname FROM Potentials WHERE potentialname != 'x' LIMIT 3;" }));
  c.ok('... while a normal Potentials query answers', r.status === 200 && r.json?.result?.length === 3, `${r.status} ${r.text.slice(0, 200)}`);

  // the element critical in-process too: revise, update and convertlead
  const victim = await json(await req(wide, { operation: 'create', elementType: 'Contacts', element: JSON.stringify({ lastname: 'InProcess', assigned_user_id: '19x1' }) }, { method: 'POST' }));
  const cid = victim.json?.result?.id;
  for (const op of ['revise', 'update']) {
    const el = `{"id":"${cid}","assigned_user_id":"19x1","lastname":"y\\u0022,\\u0022id\\u0022:\\u002219x1\\u0022,\\u0022title\\u0022:\\u0022owned"}`;
    r = await json(await req(wide, { operation: op, element: el }, { method: 'POST' }));
    c.ok(`${op}: \\u0022 in element stays inside the Contact's lastname`, r.status === 200 && r.json?.result?.id === cid && r.json.result.lastname === 'y","id":"19x1","title":"owned', `${r.status} ${r.text.slice(0, 200)}`);
  }
  const leads = createVtigerProxy({ ...base, allow: { modules: ['Leads', 'Contacts'], operations: '*' } });
  r = await json(await req(leads, { operation: 'convertlead', element: JSON.stringify({ leadId: '10x319', entities: { Contacts: { create: true, name: 'Users', lastname: 'x' } } }) }, { method: 'POST' }));
  c.ok('convertlead: an entity whose name (the module the server creates) is another module -> 400', r.status === 400 && r.json?.error?.code === 'INVALID_INPUT', `${r.status} ${r.text.slice(0, 200)}`);

  // ---- item 4: a CRM that prints a PHP notice before each body
  const noisy = createVtigerProxy({ ...base, allow: { modules: ['Contacts', 'Accounts'] } });
  const l0 = loginCount(await simStats(sim));
  await simFault(sim, 'php_notice', 1, 'getchallenge');
  await simFault(sim, 'php_notice', 1, 'login');
  r = await json(await req(noisy, { operation: 'describe', elementType: 'Contacts' }));
  c.ok('PHP notice before getchallenge and login: the proxy still logs in', r.status === 200 && r.json?.success === true && loginCount(await simStats(sim)) - l0 === 1, `${r.status} ${r.text.slice(0, 200)}`);
  await simFault(sim, 'php_notice', 1, 'query');
  r = await json(await req(noisy, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 2;' }));
  c.ok('PHP notice before a query: a clean envelope comes back', r.status === 200 && r.json?.success === true && r.json.result.length === 2 && !r.text.includes('Notice'), `${r.status} ${r.text.slice(0, 200)}`);
  // A CRM with display_errors=On prints the notice before every answer, refusals included.
  const NOTICE = '<br />\n<b>Notice</b>:  Undefined index: x in <b>/var/www/html/include/x.php</b> on line <b>1</b><br />\n';
  const noticeFetch = async (url, init) => {
    const up = await fetch(url, init);
    return new Response(NOTICE + (await up.text()), { status: up.status, headers: { 'content-type': up.headers.get('content-type') ?? 'text/html' } });
  };
  const always = createVtigerProxy({ ...base, fetch: noticeFetch, allow: { modules: ['Contacts', 'Accounts'] } });
  r = await json(await req(always, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 2;' }));
  c.ok('a notice before every answer: login, query, clean envelope', r.status === 200 && r.json?.result?.length === 2 && !r.text.includes('Notice'), `${r.status} ${r.text.slice(0, 200)}`);
  const l1 = loginCount(await simStats(sim));
  await simFault(sim, 'expire_sessions', 1, 'query');
  r = await json(await req(always, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 2;' }));
  c.ok('... INVALID_SESSIONID behind a notice: seen, one re-login, the query answers', r.status === 200 && r.json?.result?.length === 2 && loginCount(await simStats(sim)) - l1 === 1, `${r.status} ${r.text.slice(0, 200)}`);
  r = await json(await req(always, { operation: 'listtypes' }));
  const types = r.json?.result?.types ?? [];
  c.ok('... listtypes still filtered to the allowed modules', r.status === 200 && types.length === 2 && types.every((t) => t === 'Contacts' || t === 'Accounts'), `${r.status} ${r.text.slice(0, 200)}`);
  const learner = createVtigerProxy({ ...base, fetch: noticeFetch, allow: { modules: ['Contacts'] } });
  r = await json(await req(learner, { operation: 'retrieve', id: '12x70' }));
  c.ok('... describe still teaches the id prefix (retrieve 12x70 passes)', r.status === 200 && r.json?.result?.id === '12x70' && learner.stats.knownPrefixes === 1, `${r.status} ${r.text.slice(0, 200)} ${JSON.stringify(learner.stats)}`);
  r = await json(await req(learner, { operation: 'retrieve', id: '11x9' }));
  c.ok('... and an Accounts id is refused', r.status === 403, `${r.status} ${r.text.slice(0, 200)}`);

  c.ok('... stats count the upstream logins', always.stats.logins === 2 && learner.stats.logins === 1, `${JSON.stringify(always.stats)} ${JSON.stringify(learner.stats)}`);

  // ---- issue 16: the upstream goes through the client's transport and session driver
  const op = (url, init) => new URL(url).searchParams.get('operation') ?? new URLSearchParams(typeof init?.body === 'string' ? init.body : '').get('operation');
  const hang = (which) => (url, init) => (op(url, init) === which ? new Promise(() => {}) : fetch(url, init)); // ignores its signal
  for (const which of ['getchallenge', 'login', 'query']) {
    const h = createVtigerProxy({ ...base, timeoutMs: 300, fetch: hang(which), allow: { modules: ['Contacts'] } });
    const t = Date.now();
    // Bounded here: before the fix the proxy never answered.
    const late = new Promise((res) => setTimeout(() => res(new Response('{}', { status: 599 })), 5000));
    r = await json(await Promise.race([req(h, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 1;' }), late]));
    const ms = Date.now() - t;
    c.ok(`a fetch that ignores its signal and never answers ${which}: 504 UPSTREAM_TIMEOUT after timeoutMs`, r.status === 504 && r.json?.error?.code === 'UPSTREAM_TIMEOUT' && ms >= 290 && ms < 1500, `${r.status} after ${ms} ms ${r.text.slice(0, 200)}`);
  }
  const elsewhere = [];
  const redirecting = (status, target) => async (url, init) => {
    if (!url.startsWith(sim.url)) { elsewhere.push(url); return new Response('{"success":true,"result":[]}'); }
    const o = op(url, init);
    if (o === 'query' || o === 'revise') return new Response('', { status, headers: { location: target(url) } });
    return fetch(url, init);
  };
  for (const [name, status, target, params, method] of [
    ['a GET to another origin', 302, (u) => 'https://evil.example/webservice.php' + new URL(u).search, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 1;' }, 'GET'],
    ['a write (307) even to the same origin', 307, () => `${sim.url}/elsewhere.php`, { operation: 'revise', element: JSON.stringify({ id: '12x70', title: 'x' }) }, 'POST'],
  ]) {
    const h = createVtigerProxy({ ...base, fetch: redirecting(status, target), allow: { modules: ['Contacts'] } });
    elsewhere.length = 0;
    r = await json(await req(h, params, { method }));
    c.ok(`an upstream redirect (${name}) is not followed: 502 REDIRECT naming nothing`, r.status === 502 && r.json?.error?.code === 'REDIRECT' && elsewhere.length === 0 && !/evil|elsewhere|sessionName|127\.0\.0\.1/.test(r.text), `${r.status} ${r.text.slice(0, 200)} ${elsewhere}`);
  }
  const big = createVtigerProxy({ ...base, maxResponseBytes: 2000, allow: { modules: ['Contacts'] } });
  r = await json(await req(big, { operation: 'query', query: 'SELECT * FROM Contacts LIMIT 20;' }));
  c.ok('an upstream answer over maxResponseBytes: 502 RESPONSE_TOO_LARGE', r.status === 502 && r.json?.error?.code === 'RESPONSE_TOO_LARGE', `${r.status} ${r.text.slice(0, 200)}`);

  // Multipart (Documents): the file parts go upstream with the create, rebuilt around the
  // checked fields; the login stays a form; a file part named like a session is dropped.
  const sentUp = [];
  const mp = createVtigerProxy({ ...base, allow: { modules: ['Documents'], operations: ['create'] },
    fetch: async (u, init) => { sentUp.push(init.body instanceof FormData ? [...init.body.keys()].join(',') : typeof init.body); return fetch(u, init); } });
  const fd = new FormData();
  fd.append('operation', 'create');
  fd.append('elementType', 'Documents');
  fd.append('element', JSON.stringify({ notes_title: 'Doc', assigned_user_id: '19x1', filelocationtype: 'I', filestatus: '1' }));
  fd.append('filename', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt');
  fd.append('sessionName', new Blob(['x']), 'x.txt');
  x = await mp(new Request('http://proxy.test/webservice.php', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: fd }));
  r = await json(x);
  c.ok('a multipart create: the file reaches the CRM with the rebuilt fields, the login stays a form',
    r.status === 200 && r.json?.result?.filename === 'hello.txt' && r.json.result.filesize === '5' && sentUp.at(-1) === 'operation,sessionName,elementType,element,filename' && sentUp.filter((b) => b === 'string').length === 1,
    `${r.status} ${r.text.slice(0, 200)} ${JSON.stringify(sentUp)}`);

  // ---- item 10: wrong-token guesses are limited per client address
  const guarded = createVtigerProxy({ ...base, allow: { modules: ['Contacts'] }, authFailureLimit: { failures: 5, windowMs: 60_000 } });
  const statuses = [];
  for (let i = 0; i < 300; i++) {
    const x = await req(guarded, { operation: 'describe', elementType: 'Contacts' }, { headers: { authorization: `Bearer guess-${i}-0123456789abcdef` }, info: { remoteAddress: '10.0.0.1' } });
    statuses.push(x.status);
  }
  const n401 = statuses.filter((s) => s === 401).length;
  const n429 = statuses.filter((s) => s === 429).length;
  c.ok('300 wrong-token guesses from one address: 5 are checked, the rest get 429', n401 === 5 && n429 === 295, `401: ${n401}, 429: ${n429}`);
  x = await req(guarded, { operation: 'describe', elementType: 'Contacts' }, { info: { remoteAddress: '10.0.0.1' } });
  c.ok('... that address gets 429 with Retry-After even with the right token (nothing is evaluated)', x.status === 429 && Number(x.headers.get('retry-after')) >= 1, String(x.status));
  x = await req(guarded, { operation: 'describe', elementType: 'Contacts' }, { info: { remoteAddress: '10.0.0.2' } });
  c.ok('... another address passes', x.status === 200, String(x.status));
  x = await req(guarded, { operation: 'describe', elementType: 'Contacts' }, { info: { remoteAddr: { hostname: '10.0.0.3' } }, headers: { authorization: 'Bearer nope-nope-nope-nope' } });
  c.ok('... Deno-style info names the address too', x.status === 401, String(x.status));

  // ---- item 10: no control character reaches a log line
  const lines = [];
  const logged = createVtigerProxy({ ...base, log: (l) => lines.push(l), allow: { modules: '*' } });
  for (const evil of ['Contacts\ncrmwire-proxy GET op=forged module=x caller=y -> 200 1ms', 'Contacts\r\u2028x', 'Con\u0000tacts']) {
    await req(logged, { operation: 'describe', elementType: evil });
    await req(logged, { operation: evil, elementType: 'Contacts' });
  }
  const hook = createVtigerProxy({ ...base, tokens: undefined, log: (l) => lines.push(l), allow: { modules: '*' }, authorize: () => ({ id: 'mallory\ncrmwire-proxy forged' }) });
  await req(hook, { operation: 'describe', elementType: 'Contacts' });
  c.ok('no control character of elementType, operation or the caller id reaches the log', lines.length === 7 && lines.every((l) => !/[\u0000-\u001f\u2028\u2029]/.test(l)) && !lines.some((l) => l.includes('op=forged')), JSON.stringify(lines));

  // ---- item 10: after a re-login the previous session name is still scrubbed
  const seen = [];
  let echoOld = false;
  const tapFetch = async (url, init) => {
    const s = new URL(url).searchParams.get('sessionName') ?? (typeof init.body === 'string' ? new URLSearchParams(init.body).get('sessionName') : null);
    if (s && !seen.includes(s)) seen.push(s);
    if (echoOld && new URL(url).searchParams.get('operation') === 'query') {
      return new Response(JSON.stringify({ success: true, result: [{ note: `old session ${seen[0]} new ${seen.at(-1)}` }] }), { headers: { 'content-type': 'application/json' } });
    }
    return fetch(url, init);
  };
  const scrubbing = createVtigerProxy({ ...base, fetch: tapFetch, allow: { modules: ['Contacts'] } });
  await req(scrubbing, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 1;' });
  await simFault(sim, 'expire_sessions', 1, 'query');
  await req(scrubbing, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 1;' });
  echoOld = true;
  r = await json(await req(scrubbing, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 1;' }));
  c.ok('after a re-login both the old and the new session name are scrubbed', seen.length === 2 && r.status === 200 && !seen.some((s) => r.text.includes(s)) && r.text.includes('[redacted]'), `${seen.length} ${r.text.slice(0, 200)}`);

  // ---- item 10: 4xx or a clean pass-through instead of 500
  const reader = createVtigerProxy({ ...base, tokens: undefined, allow: { modules: ['Contacts'] }, authorize: async (rq) => ((await rq.text()).includes('operation=create') ? { id: 'reader' } : null) });
  x = await req(reader, { operation: 'create', elementType: 'Contacts', element: JSON.stringify({ lastname: 'Hook', assigned_user_id: '19x1' }) }, { method: 'POST' });
  r = await json(x);
  c.ok('an authorize hook that reads the body: the request still works', r.status === 200 && r.json?.result?.lastname === 'Hook', `${r.status} ${r.text.slice(0, 200)}`);
  const small = createVtigerProxy({ ...base, tokens: undefined, maxBodyBytes: 100, allow: { modules: ['Contacts'] }, authorize: async (rq) => { await rq.text(); return true; } });
  x = await req(small, { operation: 'create', elementType: 'Contacts', element: 'x'.repeat(500) }, { method: 'POST' });
  c.ok('... and the body limit applies to what the hook reads (413)', x.status === 413, String(x.status));
  const blank = createVtigerProxy({ ...base, allow: { modules: ['Contacts'] }, fetch: async (url, init) => (/operation=(getchallenge|login)/.test(`${url} ${init.body ?? ''}`) ? fetch(url, init) : new Response(null, { status: 204 })) });
  x = await req(blank, { operation: 'query', query: 'SELECT id FROM Contacts LIMIT 1;' });
  c.ok('an upstream 204 is passed on as 204 (not 500)', x.status === 204 && (await x.text()) === '', String(x.status));

  const h = createVtigerProxy({ ...base, bodyTimeoutMs: 400, allow: { modules: ['Contacts'] } });
  const srv = http.createServer(toNodeListener(h));
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const port = srv.address().port;
  try {
    const q = '/webservice.php?operation=describe&elementType=Contacts';
    let raw = await rawRequest(port, `GET http://elsewhere.example${q} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
    c.ok('toNodeListener: an absolute-form request target is served (not 500)', raw.status === 200, `${raw.status} ${raw.data.slice(0, 200)}`);
    raw = await rawRequest(port, `GET ${q} HTTP/1.1\r\nHost: user:secret@127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
    c.ok('toNodeListener: a Host header with credentials -> 400 (not 500)', raw.status === 400, `${raw.status} ${raw.data.slice(0, 200)}`);
    raw = await rawRequest(port, `POST /webservice.php HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\noperation=`, { timeoutMs: 5000 });
    c.ok('a body that stalls -> 408 after bodyTimeoutMs (not Node\'s 300 s requestTimeout)', raw.status === 408 && raw.ms < 3000 && /"TIMEOUT"/.test(raw.data), `${raw.status} after ${raw.ms} ms ${raw.data.slice(0, 200)}`);
  } finally {
    await new Promise((res) => srv.close(res));
  }
  // The Users record stayed as it was through all of this.
  const admin = await simDirect(sim, { operation: 'retrieve', id: '19x1' });
  c.ok('simulator still answers', admin?.result?.id === '19x1');
}
