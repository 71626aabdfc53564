// The behaviour every proxy runtime must show, checked over real HTTP against the simulator.
import { Checks, simStats, loginCount, simFault, simDirect } from './harness.mjs';
import { TOKEN, TOKEN2, GOOD_ORIGIN, EXT_ORIGIN, BAD_ORIGIN } from './runtimes.mjs';

/**
 * @param {string} url  the proxy endpoint
 * @param {{url,username,accessKey}} sim
 * @param {{sessions:Set<string>}} tap  the recorder between proxy and simulator
 * @param {{out:string}} proc  the proxy process (its log)
 */
export async function runChecks(label, url, sim, tap, proc) {
  const c = new Checks(`[${label}] `);
  const seen = []; // every response (status, headers, body) for the leak scan
  const call = async (params, { method = 'GET', token = TOKEN, origin, body, headers = {} } = {}) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (origin) h.origin = origin;
    let u = url;
    let b = body;
    if (method === 'GET' && params) u += '?' + new URLSearchParams(params);
    if (method === 'POST' && params && b === undefined) { b = new URLSearchParams(params).toString(); h['content-type'] ??= 'application/x-www-form-urlencoded'; }
    const r = await fetch(u, { method, headers: h, body: b });
    const text = await r.text();
    const hdrs = [...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    seen.push(`${r.status}\n${hdrs}\n${text}`);
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, text, json };
  };
  const code = (r) => r.json?.error?.code;

  // 1. concurrent first calls share one login (single-flight)
  const before = loginCount(await simStats(sim));
  c.ok('simulator exposes a login count', typeof before === 'number', JSON.stringify(await simStats(sim)));
  const burst = await Promise.all(Array.from({ length: 10 }, () => call({ operation: 'describe', elementType: 'Contacts' })));
  c.ok('10 concurrent first calls all succeed', burst.every((r) => r.status === 200 && r.json?.success === true), burst.map((r) => r.status + ' ' + r.text.slice(0, 120)).join(' | '));
  c.ok('... with exactly one login', loginCount(await simStats(sim)) - before === 1, `${before} -> ${loginCount(await simStats(sim))}`);
  c.ok('describe Contacts passes idPrefix through', burst[0].json?.result?.name === 'Contacts' && burst[0].json?.result?.idPrefix != null, burst[0].text.slice(0, 200));

  // 2. caller authentication
  let r = await call({ operation: 'describe', elementType: 'Contacts' }, { token: null });
  c.ok('no caller token -> 401 UNAUTHORIZED', r.status === 401 && code(r) === 'UNAUTHORIZED' && /Bearer/.test(r.headers.get('www-authenticate') || ''), `${r.status} ${r.text}`);
  r = await call({ operation: 'describe', elementType: 'Contacts' }, { token: TOKEN + 'x' });
  c.ok('wrong caller token -> 401', r.status === 401 && r.json?.success === false, `${r.status} ${r.text}`);
  r = await call({ operation: 'describe', elementType: 'Accounts' }, { token: TOKEN2 });
  c.ok('second configured token works', r.status === 200 && r.json?.success === true, `${r.status} ${r.text.slice(0, 200)}`);

  // 3. allowlist: modules
  r = await call({ operation: 'listtypes' });
  const types = r.json?.result?.types ?? [];
  c.ok('listtypes is filtered to the allowed modules', r.status === 200 && types.includes('Contacts') && types.every((t) => t === 'Contacts' || t === 'Accounts'), r.text.slice(0, 300));
  c.ok('listtypes information is filtered too', !r.json?.result?.information || Object.keys(r.json.result.information).every((t) => t === 'Contacts' || t === 'Accounts'), r.text.slice(0, 300));
  for (const [name, params, method] of [
    ['describe Leads', { operation: 'describe', elementType: 'Leads' }, 'GET'],
    ['describe Users', { operation: 'describe', elementType: 'Users' }, 'GET'],
    ['query FROM Users', { operation: 'query', query: 'SELECT * FROM Users;' }, 'GET'],
    ['query from leads (lower case)', { operation: 'query', query: "select id from Leads where lastname = 'x';" }, 'GET'],
    ['retrieve a Users id (19x1)', { operation: 'retrieve', id: '19x1' }, 'GET'],
    ['create a Lead', { operation: 'create', elementType: 'Leads', element: JSON.stringify({ lastname: 'L', company: 'C' }) }, 'POST'],
    ['update with a Users id', { operation: 'update', element: JSON.stringify({ id: '19x1', last_name: 'x' }) }, 'POST'],
  ]) {
    r = await call(params, { method });
    c.ok(`${name} -> 403 ACCESS_DENIED`, r.status === 403 && code(r) === 'ACCESS_DENIED' && r.json?.success === false, `${r.status} ${r.text.slice(0, 200)}`);
  }
  // 4. allowlist: operations; proxy-owned operations are never forwarded
  r = await call({ operation: 'delete', id: '12x1' }, { method: 'POST' });
  c.ok('delete (not in the operation list) -> 403', r.status === 403 && code(r) === 'ACCESS_DENIED', `${r.status} ${r.text}`);
  for (const op of ['getchallenge', 'login', 'logout', 'extendsession', 'LOGIN']) {
    r = await call({ operation: op, username: sim.username, accessKey: 'x' }, { method: op === 'getchallenge' ? 'GET' : 'POST' });
    c.ok(`${op} is never forwarded -> 403`, r.status === 403 && code(r) === 'ACCESS_DENIED', `${r.status} ${r.text}`);
  }
  r = await call({ operation: 'query', query: "SELECT * FROM Contacts WHERE lastname = 'x\\' OR 1=1 -- ';" });
  c.ok('backslash/quote desync in a query literal -> 400', r.status === 400 && code(r) === 'INVALID_INPUT', `${r.status} ${r.text}`);
  r = await fetch(`${url}?operation=query&operation=login`, { headers: { authorization: `Bearer ${TOKEN}` } });
  seen.push(`${r.status}\n${await r.text()}`);
  c.ok('a parameter given twice -> 400', r.status === 400, String(r.status));

  // 5. allowed traffic works end to end
  const email = `proxy.${label}.${Date.now()}@example.com`;
  r = await call({ operation: 'create', elementType: 'Contacts', element: JSON.stringify({ firstname: 'Edge', lastname: `Proxy-${label}`, email, assigned_user_id: '19x1' }) }, { method: 'POST' });
  const id = r.json?.result?.id;
  c.ok('create Contact through the proxy', r.status === 200 && /^\d+x\d+$/.test(id || ''), `${r.status} ${r.text.slice(0, 300)}`);
  r = await call({ operation: 'retrieve', id });
  c.ok('retrieve it (id prefix -> Contacts is allowed)', r.status === 200 && r.json?.result?.email === email, `${r.status} ${r.text.slice(0, 300)}`);
  r = await call({ operation: 'query', query: `SELECT id, email FROM Contacts WHERE email = '${email}';` });
  c.ok('query finds it', r.status === 200 && Array.isArray(r.json?.result) && r.json.result.some((x) => x.id === id), `${r.status} ${r.text.slice(0, 300)}`);
  r = await call({ operation: 'revise', element: JSON.stringify({ id, title: 'Edge' }) }, { method: 'POST' });
  c.ok('revise it', r.status === 200 && r.json?.success === true, `${r.status} ${r.text.slice(0, 300)}`);

  // 5b. issue 15, critical 1: Vtiger reads `element` with Zend_Json, which decodes every \uXXXX of
  // the whole text before tokenizing; a `\u0022` must not smuggle an `id` past the module check.
  const smuggled = 'x","id":"19x1","email1":"pwned@example.com';
  for (const op of ['revise', 'update']) {
    const attack = `{"id":"${id}","assigned_user_id":"19x1","lastname":"x\\u0022,\\u0022id\\u0022:\\u002219x1\\u0022,\\u0022email1\\u0022:\\u0022pwned@example.com"}`;
    r = await call({ operation: op, element: attack }, { method: 'POST' });
    c.ok(`${op}: \\u0022 in element cannot reach another record (the Contact keeps the text as its lastname)`,
      r.status === 200 && r.json?.result?.id === id && r.json?.result?.lastname === smuggled, `${r.status} ${r.text.slice(0, 300)}`);
  }
  const admin = await simDirect(sim, { operation: 'retrieve', id: '19x1' });
  c.ok('... and the Users record 19x1 is untouched', admin?.result?.id === '19x1' && admin.result.email1 !== 'pwned@example.com', JSON.stringify(admin).slice(0, 300));
  // issue 15, critical 2: the server pastes the numeric part of id/reference values into SQL
  // unquoted; raw VTQL is parsed and re-rendered, or refused.
  for (const q of [
    "SELECT id FROM Contacts WHERE id = '12x0) OR 1=1 OR (1';",
    "SELECT id FROM Contacts WHERE id = '12x0) OR (1=1) AND (1';",
    "SELECT id FROM Contacts WHERE account_id = '11x0) OR 1=1 OR (1';",
    "SELECT id FROM Contacts WHERE lastname = 'x' OR assigned_user_id IN ('19x1', '19x0) OR (1');",
  ]) {
    r = await call({ operation: 'query', query: q });
    c.ok(`SQL through an id value -> 400 INVALID_INPUT: ${q}`, r.status === 400 && code(r) === 'INVALID_INPUT', `${r.status} ${r.text.slice(0, 200)}`);
  }
  r = await call({ operation: 'query', query: `select id, lastname from Contacts where id = '${id}' and lastname != 'x from Users';` });
  c.ok('a raw query is re-rendered and still answers', r.status === 200 && r.json?.result?.length === 1 && r.json.result[0].id === id, `${r.status} ${r.text.slice(0, 200)}`);

  // 6. browser-supplied session parameters are dropped
  r = await call({ operation: 'describe', elementType: 'Contacts', PHPSESSID: 'abc123', sessionName: 'bogus' });
  c.ok('PHPSESSID and sessionName from the caller are dropped (GET)', r.status === 200 && r.json?.success === true, `${r.status} ${r.text.slice(0, 200)}`);
  r = await call({ operation: 'revise', element: JSON.stringify({ id, title: 'Edge2' }), phpsessid: 'x', PHPSESSID: 'y', sessionName: 'z' }, { method: 'POST' });
  c.ok('PHPSESSID and sessionName from the caller are dropped (POST)', r.status === 200 && r.json?.success === true, `${r.status} ${r.text.slice(0, 200)}`);

  // 7. body limit and media type
  const big = 'x'.repeat(70_000);
  r = await call({ operation: 'create', elementType: 'Contacts', element: JSON.stringify({ lastname: big }) }, { method: 'POST' });
  c.ok('body over MAX_BODY_BYTES -> 413', r.status === 413 && code(r) === 'PAYLOAD_TOO_LARGE', `${r.status} ${r.text.slice(0, 200)}`);
  r = await call(null, { method: 'POST', body: JSON.stringify({ operation: 'describe', elementType: 'Contacts' }), headers: { 'content-type': 'application/json' } });
  c.ok('JSON body -> 415', r.status === 415, `${r.status} ${r.text}`);

  // 8. CORS
  r = await call({ operation: 'describe', elementType: 'Contacts' }, { origin: GOOD_ORIGIN });
  c.ok('listed origin: 200 with Access-Control-Allow-Origin echoed', r.status === 200 && r.headers.get('access-control-allow-origin') === GOOD_ORIGIN && /origin/i.test(r.headers.get('vary') || ''), `${r.status} ${r.headers.get('access-control-allow-origin')}`);
  r = await call({ operation: 'describe', elementType: 'Contacts' }, { origin: EXT_ORIGIN });
  c.ok('extension origin (chrome-extension://id) allowed', r.status === 200 && r.headers.get('access-control-allow-origin') === EXT_ORIGIN, `${r.status}`);
  r = await call({ operation: 'describe', elementType: 'Contacts' }, { origin: BAD_ORIGIN });
  c.ok('other origin -> 403 without CORS headers (even with a valid token)', r.status === 403 && !r.headers.get('access-control-allow-origin'), `${r.status} ${r.headers.get('access-control-allow-origin')}`);
  let p = await fetch(url, { method: 'OPTIONS', headers: { origin: GOOD_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
  seen.push(`${p.status}\n${[...p.headers].join('\n')}\n${await p.text()}`);
  c.ok('preflight from a listed origin -> 204 allowing Authorization', p.status === 204 && /authorization/i.test(p.headers.get('access-control-allow-headers') || '') && p.headers.get('access-control-allow-origin') === GOOD_ORIGIN, `${p.status}`);
  p = await fetch(url, { method: 'OPTIONS', headers: { origin: BAD_ORIGIN, 'access-control-request-method': 'POST' } });
  seen.push(`${p.status}\n${[...p.headers].join('\n')}\n${await p.text()}`);
  c.ok('preflight from another origin -> 403, no CORS headers', p.status === 403 && !p.headers.get('access-control-allow-origin'), `${p.status}`);

  // 9. session expiry is recovered transparently, with one new login
  const l0 = loginCount(await simStats(sim));
  await simFault(sim, 'expire_sessions');
  const rec = await Promise.all(Array.from({ length: 5 }, () => call({ operation: 'query', query: `SELECT id FROM Contacts WHERE email = '${email}';` })));
  c.ok('after expire_sessions: concurrent calls succeed', rec.every((x) => x.status === 200 && x.json?.success === true && x.json.result.length === 1), rec.map((x) => x.text.slice(0, 120)).join(' | '));
  const l1 = loginCount(await simStats(sim));
  c.ok('... after exactly one re-login', l1 - l0 === 1, `${l0} -> ${l1}`);

  // 10. secrets never leave the proxy: responses, headers, log lines
  const sessions = [...tap.sessions];
  c.ok('the recorder saw the proxy session(s) upstream (so the leak scan is meaningful)', sessions.length >= 2, String(sessions.length));
  const all = seen.join('\n');
  c.ok('access key in no response body or header', !all.includes(sim.accessKey));
  c.ok('session name in no response body or header', sessions.every((s) => !all.includes(s)));
  await new Promise((res) => setTimeout(res, 300)); // let the log flush
  c.ok('the proxy logged one line per request', (proc.out.match(/crmwire-proxy /g) || []).length >= 30, proc.out.slice(-500));
  c.ok('access key in no log line', !proc.out.includes(sim.accessKey));
  c.ok('session name in no log line', sessions.every((s) => !proc.out.includes(s)));
  return c;
}
