// sync() from a VtigerClient in proxy mode through crmwire/proxy with a module allowlist
// (`modules: ['Contacts']`, the wsapp_* operations allowed), in-process against the simulator's
// stock profiles: the whole fallback chain runs through the proxy. Stock 8.4: sync → HTTP 500 →
// wsapp (the key sealed to the caller and the module); stock 8.3: wsapp_register is HTTP 500 too
// on a real 8.3.0 (recording tests/fixtures/vtiger/vtiger-8.3.0/930; the simulator's 8.3 profile
// still answers it, so the fault reproduces the recording) → the modifiedtime queries. Also:
// what a hostile caller can do with a wsapp key.
import http from 'node:http';
import { VtigerClient } from 'crmwire';
import { createVtigerProxy, toNodeListener } from 'crmwire/proxy';
import { startSim } from './harness.mjs';

const TOKEN = 'sync-token-0123456789abcdef';
const OTHER = 'other-token-0123456789abcdef';
const OPS = ['listtypes', 'describe', 'retrieve', 'query', 'sync', 'wsapp_register', 'wsapp_get', 'wsapp_deregister'];

async function serve(handler) {
  const seen = [];
  const srv = http.createServer(toNodeListener(async (req) => {
    const body = req.method === 'POST' ? await req.clone().text() : '';
    seen.push(new URLSearchParams(new URL(req.url).search.slice(1) + (body ? '&' + body : '')));
    return handler(req);
  }));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}/webservice.php`, seen, close: () => new Promise((r) => srv.close(r)) };
}

async function drain(client, since) {
  const batches = [];
  for await (const b of client.sync('Contacts', { since })) batches.push(b);
  return batches;
}

const delta = (before, after) => Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v));

export async function runSync(c) {
  for (const profile of ['vtiger-8.4', 'vtiger-8.3']) {
    const sim = await startSim({ profile, seedRecords: 120 });
    let px;
    try {
      const handler = createVtigerProxy({
        target: sim.url, username: sim.username, accessKey: sim.accessKey, tokens: [TOKEN, OTHER], log: false,
        allow: { modules: ['Contacts'], operations: OPS },
      });
      px = await serve(handler);
      const client = new VtigerClient({ url: px.url, auth: 'proxy', token: TOKEN });
      const direct = new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey });
      const all = [];
      for await (const r of direct.queryAll({ module: 'Contacts', fields: ['id'] })) all.push(r.id);
      if (profile === 'vtiger-8.3') await sim.fault({ fault: 'empty_500', operation: 'wsapp_register' }); // every one, as recorded
      const before = (await sim.stats()).requests;
      let batches = [];
      let err = null;
      try { batches = await drain(client, 0); } catch (e) { err = e; }
      const d = delta(before, (await sim.stats()).requests);
      const want = profile === 'vtiger-8.4' ? 'wsapp' : 'query';
      const ids = batches.flatMap((b) => b.updated.map((r) => r.id));
      c.ok(`[${profile}] sync through a proxy with modules ['Contacts'] falls back to ${want}`,
        err === null && batches.length > 0 && batches.every((b) => b.strategy === want),
        `${err?.code} ${err?.message} ${batches.map((b) => b.strategy)}`);
      c.ok(`[${profile}] ... every Contact once`, ids.length === all.length && new Set(ids).size === ids.length && ids.every((i) => all.includes(i)), `${ids.length} of ${all.length}`);
      const ops = px.seen.map((p) => p.get('operation'));
      if (profile === 'vtiger-8.4') {
        c.ok('[vtiger-8.4] ... upstream: sync (500), one wsapp_register, wsapp_get pages, one wsapp_deregister',
          d.sync === 1 && d.wsapp_register === 1 && d.wsapp_deregister === 1 && d.wsapp_get === batches.length && !d.query, JSON.stringify(d));
        const reg = px.seen.find((p) => p.get('operation') === 'wsapp_register');
        const get = px.seen.find((p) => p.get('operation') === 'wsapp_get');
        const key = get?.get('key') ?? '';
        c.ok('[vtiger-8.4] ... the client named the module with its registration and got a key sealed to it',
          reg?.get('elementType') === 'Contacts' && /^[^.]+\.Contacts\.[0-9a-f]{32}$/.test(key), `${reg} ${key}`);
        // A hostile caller with a key: another caller's, another module, a raw or forged one.
        const call = async (token, params) => {
          const r = await fetch(px.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
          return { status: r.status, json: await r.json().catch(() => null) };
        };
        const reg2 = await call(TOKEN, { operation: 'wsapp_register', type: 'vtigerCRM', synctype: 'user', elementType: 'Contacts' });
        const live = reg2.json?.result?.key ?? '';
        const [raw] = live.split('.');
        const forged = live.slice(0, -1) + (live.endsWith('0') ? '1' : '0');
        const attempts = [
          ['another caller', OTHER, { operation: 'wsapp_get', key: live, module: 'Contacts', token: '1' }],
          ['another module', TOKEN, { operation: 'wsapp_get', key: live, module: 'Accounts', token: '1' }],
          ['the raw key', TOKEN, { operation: 'wsapp_get', key: raw, module: 'Contacts', token: '1' }],
          ['a forged seal', TOKEN, { operation: 'wsapp_get', key: forged, module: 'Contacts', token: '1' }],
          ['a Contacts key resealed for Accounts', TOKEN, { operation: 'wsapp_get', key: live.replace('.Contacts.', '.Accounts.'), module: 'Accounts', token: '1' }],
          ['another caller deregistering it', OTHER, { operation: 'wsapp_deregister', type: 'vtigerCRM', key: live }],
          ['wsapp_put (writes any module)', TOKEN, { operation: 'wsapp_put', key: live, element: '[]' }],
          ['a registration without elementType', TOKEN, { operation: 'wsapp_register', type: 'vtigerCRM', synctype: 'user' }],
        ];
        const results = [];
        for (const [, token, params] of attempts) results.push(await call(token, params));
        c.ok('[vtiger-8.4] a wsapp key is refused for another caller, another module, raw, forged, and wsapp_put / an unnamed registration too (403)',
          reg2.status === 200 && results.every((r) => r.status === 403 && r.json?.error?.code === 'ACCESS_DENIED'),
          attempts.map(([n], i) => `${n}: ${results[i].status}`).join(', '));
        const mine = await call(TOKEN, { operation: 'wsapp_deregister', type: 'vtigerCRM', key: live });
        c.ok('[vtiger-8.4] ... while its own caller releases it', mine.status === 200 && mine.json?.success === true, JSON.stringify(mine));
      } else {
        c.ok('[vtiger-8.3] ... upstream: sync (500), wsapp_register (500), then queries only',
          d.sync === 1 && d.wsapp_register === 1 && !d.wsapp_get && !d.wsapp_deregister && d.query >= batches.length, JSON.stringify(d));
        c.ok('[vtiger-8.3] ... the client went sync → wsapp_register → query', ops[0] === 'sync' && ops[1] === 'wsapp_register' && ops.slice(2).every((o) => o === 'query'), ops.join(','));
      }
    } catch (e) {
      c.ok(`[${profile}] sync through the proxy ran`, false, e.stack || String(e));
    } finally {
      await px?.close();
      await sim.close();
    }
  }
}
