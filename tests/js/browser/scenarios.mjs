// Core VtigerClient scenarios run inside a real page (cross-origin to the simulator, which
// runs with --cors). The package is imported BY NAME through an import map. Results go to
// window.__results as [{ name, ok, detail }].
import { VtigerClient, isCrmError, select, ready, isReady } from 'crmwire';

const env = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const results = [];
async function check(name, fn) {
  try {
    const detail = await fn();
    results.push({ name, ok: true, detail: detail === undefined ? '' : String(detail) });
  } catch (e) {
    results.push({ name, ok: false, detail: String((e && e.stack) || e) });
  }
}
const assert = (cond, msg) => {
  if (!cond) throw new Error(msg);
};

const c = new VtigerClient({ url: env.url, username: env.username, accessKey: env.accessKey, timeoutMs: 10000 });

await check('the wasm module loads asynchronously in a page', async () => {
  assert(!isReady(), 'not instantiated at import');
  await ready();
  assert(isReady(), 'ready after ready()');
});
await check('login', async () => {
  const info = await c.login();
  assert(info.userId === '19x1' && info.vtigerVersion === '8.4.0', JSON.stringify(info));
  assert(!('sessionName' in info), 'no session name');
});
let made;
await check('create', async () => {
  made = await c.create('Contacts', { lastname: 'Browser Zoë', firstname: "O'Neil", assigned_user_id: '19x1' });
  assert(/^12x\d+$/.test(made.id), made.id);
  return made.id;
});
await check('query (builder, escaped literal)', async () => {
  const rows = await c.query(select('Contacts').fields('id', 'firstname').where('firstname', "O'Neil").where('lastname', 'Browser Zoë'));
  assert(rows.length === 1 && rows[0].id === made.id, JSON.stringify(rows));
});
await check('queryAll pages 250+ rows with no loss or duplicates', async () => {
  const ids = [];
  for await (const r of c.queryAll(select('Contacts').fields('lastname'))) ids.push(r.id);
  assert(ids.length === env.contacts + 1, `${ids.length} rows, expected ${env.contacts + 1} (seeded + the one created)`);
  assert(new Set(ids).size === ids.length, 'duplicates');
  assert(ids.length > 250, 'more than 250 rows');
  return `${ids.length} rows`;
});
await check('count', async () => {
  const n = await c.count(select('Contacts'));
  assert(n === env.contacts + 1, `${n}`);
});
await check('server error code: ACCESS_DENIED, typed', async () => {
  try {
    await c.retrieve('12x999999');
  } catch (e) {
    assert(isCrmError(e) && e.code === 'ACCESS_DENIED' && e.operation === 'retrieve' && e instanceof Error, `${e.code} ${e.message}`);
    assert(!e.message.includes(env.accessKey), 'no key in message');
    return e.code;
  }
  throw new Error('no error');
});
await check('input error code: INVALID_INPUT names the field, nothing sent', async () => {
  try {
    await c.query(select('Contacts').where('id', "12x1' OR 1=1"));
  } catch (e) {
    assert(e.code === 'INVALID_INPUT' && e.field === 'id', `${e.code} ${e.field}`);
    return e.field;
  }
  throw new Error('no error');
});
await check('sync on stock 8.4 falls back to wsapp', async () => {
  let n = 0;
  let strategy;
  for await (const b of c.sync('Accounts', { since: 0 })) {
    n += b.updated.length;
    strategy = b.strategy;
  }
  assert(strategy === 'wsapp' && n === env.accounts, `${strategy} ${n}`);
  return `${n} records via ${strategy}`;
});
await check('abort is ABORTED', async () => {
  try {
    await c.listTypes({ signal: AbortSignal.abort() });
  } catch (e) {
    assert(e.code === 'ABORTED', e.code);
    return e.code;
  }
  throw new Error('no error');
});
await check('delete', async () => {
  const r = await c.delete(made.id);
  assert(r.status === 'successful', JSON.stringify(r));
});
window.__results = results;
