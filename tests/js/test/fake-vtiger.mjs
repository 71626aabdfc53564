// A tiny in-process Vtiger stand-in for client-mechanics tests (sessions, paging, retries,
// timeouts) until/besides crmwire-sim. Only what the tests below need.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

export async function startFake({ rows = 250, key = 'KEY123secret' } = {}) {
  const st = { logins: 0, challenges: 0, creates: 0, sessions: new Set(), requests: [], failNext: null, delayMs: 0, token: null, nextId: 1000 };
  const records = [];
  for (let i = 1; i <= rows; i++) records.push({ id: `12x${i}`, lastname: `Row${i}`, modifiedtime: '2026-01-01 00:00:00' });
  const ok = (result) => JSON.stringify(result === undefined ? { success: true } : { success: true, result });
  const err = (code, message) => JSON.stringify({ success: false, error: { code, message } });
  const server = createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    let body = '';
    for await (const c of req) body += c;
    const p = req.method === 'GET' ? u.searchParams : new URLSearchParams(body);
    const op = p.get('operation');
    st.requests.push({ method: req.method, op });
    if (st.delayMs) await new Promise((r) => setTimeout(r, st.delayMs));
    if (st.failNext && st.failNext.op === op) {
      const f = st.failNext;
      if (!--f.times) st.failNext = null;
      if (f.kind === 'reset') return req.socket.destroy();
      if (f.kind === 'status') return res.writeHead(f.status, { 'content-type': 'text/html' }).end('');
      if (f.kind === 'expire') st.sessions.clear();
    }
    const send = (s) => res.writeHead(200, { 'content-type': 'application/json' }).end(s);
    if (op === 'getchallenge') {
      st.challenges++;
      st.token = 'tok' + Math.random().toString(36).slice(2);
      return send(ok({ token: st.token, serverTime: 1, expireTime: 301 }));
    }
    if (op === 'login') {
      if (p.get('accessKey') !== createHash('md5').update(st.token + key).digest('hex')) return send(err('INVALID_USER_CREDENTIALS', 'Invalid username or password'));
      st.logins++;
      const s = 'sess' + Math.random().toString(36).slice(2);
      st.sessions.add(s);
      return send(ok({ sessionName: s, userId: '19x1', version: '0.22', vtigerVersion: '8.3.0' }));
    }
    if (!st.sessions.has(p.get('sessionName'))) return send(err('INVALID_SESSIONID', 'Session Identifier provided is Invalid'));
    switch (op) {
      case 'listtypes':
        return send(ok({ types: ['Contacts', 'Leads'], information: {} }));
      case 'describe':
        return send(ok({ name: p.get('elementType'), idPrefix: '12', fields: ['lastname', 'modifiedtime', 'id'].map((name) => ({ name, label: name, type: { name: 'string' } })) }));
      case 'create': {
        st.creates++;
        const el = JSON.parse(p.get('element'));
        const r = { ...el, id: `12x${st.nextId++}` };
        records.push(r);
        return send(ok(r));
      }
      case 'retrieve': {
        const r = records.find((x) => x.id === p.get('id'));
        return send(r ? ok(r) : err('ACCESS_DENIED', 'Permission to perform the operation is denied'));
      }
      case 'query': {
        const q = p.get('query');
        const m = /id > '12x(\d+)'/.exec(q);
        const after = m ? Number(m[1]) : 0;
        const lim = Number(/LIMIT (\d+)/.exec(q)?.[1] ?? 100);
        let out = records.filter((r) => Number(r.id.slice(3)) > after).sort((a, b) => a.id.slice(3) - b.id.slice(3)).slice(0, Math.min(lim, 100));
        if (/lastname = '([^']+)'/.test(q)) out = records.filter((r) => r.lastname === /lastname = '([^']+)'/.exec(q)[1]);
        // short page although more rows follow (record-level permission drop)
        if (after === 100) out = out.slice(0, 60);
        return send(ok(out));
      }
      case 'sync':
        return res.writeHead(500, { 'content-type': 'text/html' }).end('');
      case 'logout':
        st.sessions.delete(p.get('sessionName'));
        return send(ok({ message: 'successfull' }));
      default:
        return send(err('UNKNOWN_OPERATION', `Unknown operation requested`));
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, key, st, records, close: () => new Promise((r) => server.close(r)) };
}
