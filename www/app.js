// crmwire demo page. Talks to the CRM from the browser with the wasm client:
// direct (same-origin dev forward; the access key stays in sessionStorage) or through crmwire/proxy.
import { VtigerClient, select, toVtql, isCrmError, ready } from 'crmwire';

const $ = (id) => document.getElementById(id);
const KEY = 'crmwire-demo';
let client = null;
let me = null;

function status(id, state, text) {
  const el = $(id);
  el.dataset.state = state;
  el.textContent = text;
}
const errText = (e) => (isCrmError(e) ? `${e.code}${e.status ? ' (HTTP ' + e.status + ')' : ''}: ${e.message}` : String(e?.message ?? e));
const cell = (v) => {
  const td = document.createElement('td');
  td.textContent = v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return td;
};
const isAbort = (e) => isCrmError(e) && e.code === 'ABORTED';
/** One running job per section: its AbortController, and the Cancel button that aborts it. */
function job(cancelId, buttons) {
  const ctl = new AbortController();
  const cancel = $(cancelId);
  cancel.hidden = false;
  cancel.disabled = false;
  cancel.onclick = () => { cancel.disabled = true; ctl.abort(); };
  for (const b of buttons) $(b).disabled = true;
  return {
    signal: ctl.signal,
    done() { cancel.hidden = true; cancel.onclick = null; for (const b of buttons) $(b).disabled = false; },
  };
}
function fillTable(table, rows, cols) {
  const head = table.tHead;
  const body = table.tBodies[0];
  head.replaceChildren();
  body.replaceChildren();
  const tr = document.createElement('tr');
  for (const c of cols) { const th = document.createElement('th'); th.textContent = c; tr.append(th); }
  head.append(tr);
  for (const r of rows) { const row = document.createElement('tr'); for (const c of cols) row.append(cell(r[c])); body.append(row); }
}

// ---- connect
const mode = () => ($('mode-proxy').checked ? 'proxy' : 'direct');
function syncMode() {
  for (const el of document.querySelectorAll('.direct')) el.hidden = mode() !== 'direct';
  for (const el of document.querySelectorAll('.proxy')) el.hidden = mode() !== 'proxy';
  if (!$('url').dataset.touched) $('url').value = mode() === 'proxy' ? `${location.origin}/proxy` : location.origin;
}
for (const r of document.querySelectorAll('input[name=mode]')) r.addEventListener('change', syncMode);
$('url').addEventListener('input', () => { $('url').dataset.touched = '1'; });
const saved = JSON.parse(sessionStorage.getItem(KEY) || 'null'); // sessionStorage only: gone when the tab closes
if (saved) {
  $(saved.mode === 'proxy' ? 'mode-proxy' : 'mode-direct').checked = true;
  for (const k of ['url', 'username', 'accessKey', 'token']) if (saved[k]) $(k).value = saved[k];
  $('url').dataset.touched = '1';
}
syncMode();
if (!saved) fetch('/demo-config.json').then((r) => r.json()).then((c) => { if (c.username && !$('username').value) $('username').value = c.username; }).catch(() => {});

$('connect').addEventListener('submit', async (e) => {
  e.preventDefault();
  status('connect-status', 'busy', 'Connecting…');
  try {
    await ready();
    const s = { mode: mode(), url: $('url').value.trim(), username: $('username').value.trim(), accessKey: $('accessKey').value, token: $('token').value };
    client = s.mode === 'proxy'
      ? new VtigerClient({ url: s.url, auth: 'proxy', token: s.token })
      : new VtigerClient({ url: s.url, username: s.username, accessKey: s.accessKey });
    me = s.mode === 'proxy' ? null : await client.login();
    const types = await client.listTypes();
    sessionStorage.setItem(KEY, JSON.stringify(s));
    const info = Array.isArray(types.information) ? {} : types.information;
    const sorted = [...types.types].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
    $('modules-count').textContent = `${sorted.length} modules.`;
    $('modules').replaceChildren(...sorted.map((t) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = info[t]?.label && info[t].label !== t ? `${t} (${info[t].label})` : t;
      b.title = b.textContent;
      b.dataset.module = t;
      b.addEventListener('click', () => describe(t));
      li.append(b);
      return li;
    }));
    for (const id of ['modules-section', 'add-section', 'query-section', 'sync-section']) $(id).hidden = false;
    status('connect-status', 'ok', `Connected${me?.vtigerVersion ? ' to Vtiger ' + me.vtigerVersion : ''}: ${types.types.length} modules.`);
  } catch (err) {
    status('connect-status', 'error', errText(err));
  }
});

async function describe(m) {
  for (const b of document.querySelectorAll('#modules button')) b.setAttribute('aria-pressed', String(b.dataset.module === m));
  $('describe-title').textContent = `${m}…`;
  $('describe-hint').hidden = true;
  $('fields').hidden = true;
  try {
    const d = await client.describe(m);
    $('describe-title').textContent = `${d.label} (${d.name}, id prefix ${d.idPrefix}, ${d.fields.length} fields)`;
    $('fields').hidden = false;
    fillTable($('fields'), d.fields.map((f) => ({ field: f.name, label: f.label, type: f.type?.name, mandatory: f.mandatory ? 'yes' : '' })), ['field', 'label', 'type', 'mandatory']);
  } catch (err) {
    $('describe-title').textContent = errText(err);
  }
}

// ---- add a contact
$('add').addEventListener('submit', async (e) => {
  e.preventDefault();
  const lastname = $('add-lastname').value.trim();
  if (!lastname) return status('add-status', 'error', 'Last name is required.');
  status('add-status', 'busy', 'Creating…');
  try {
    const fields = { firstname: $('add-firstname').value.trim(), lastname, email: $('add-email').value.trim(), assigned_user_id: me?.userId ?? '19x1' };
    for (const k of Object.keys(fields)) if (fields[k] === '') delete fields[k];
    const rec = await client.create('Contacts', fields);
    status('add-status', 'ok', `Created ${rec.id}.`);
    $('add-status').dataset.id = rec.id;
  } catch (err) {
    status('add-status', 'error', errText(err));
  }
});

// ---- query (builder) and queryAll
function builder(withLimit) {
  const q = select($('q-module').value.trim());
  const field = $('q-field').value.trim();
  const value = $('q-value').value;
  if (field && value !== '') q.where(field, $('q-op').value, value);
  if (withLimit) q.limit(Number($('q-limit').value) || 20);
  return q;
}
const columns = (rows) => {
  const pref = ['id', 'firstname', 'lastname', 'email', 'accountname', 'modifiedtime'];
  const all = new Set(rows.flatMap((r) => Object.keys(r)));
  const cols = pref.filter((c) => all.has(c));
  return cols.length ? cols : [...all].slice(0, 8);
};
/** A new query replaces everything the last one showed, also when it fails. */
function clearQueryOutput() {
  $('q-vtql').textContent = '';
  fillTable($('results'), [], []);
  delete $('q-status').dataset.rows;
  $('qa-progress').hidden = true;
  delete $('qa-progress').dataset.done;
  $('qa-count').textContent = '';
}
$('query').addEventListener('submit', async (e) => {
  e.preventDefault();
  clearQueryOutput();
  status('q-status', 'busy', 'Querying…');
  try {
    const q = builder(true);
    $('q-vtql').textContent = toVtql(q);
    const rows = await client.query(q);
    fillTable($('results'), rows, columns(rows));
    status('q-status', 'ok', `${rows.length} row(s).`);
    $('q-status').dataset.rows = String(rows.length);
  } catch (err) {
    status('q-status', 'error', errText(err));
  }
});
$('qa-btn').addEventListener('click', async () => {
  const bar = $('qa-progress');
  clearQueryOutput();
  status('q-status', 'busy', 'Counting…');
  const run = job('q-cancel', ['qa-btn', 'q-btn']);
  const rows = [];
  let total = 0;
  try {
    const q = builder(false);
    $('q-vtql').textContent = toVtql(q) + '   (paged by id, 100 rows per call)';
    total = await client.count(q, { signal: run.signal });
    bar.max = Math.max(total, 1);
    bar.value = 0;
    bar.hidden = false;
    status('q-status', 'busy', `Paging… 0 / ${total}`);
    for await (const row of client.queryAll(q, { signal: run.signal })) {
      rows.push(row);
      if (rows.length % 25 === 0 || rows.length === total) {
        bar.value = rows.length;
        $('qa-count').textContent = `${rows.length} / ${total}`;
        status('q-status', 'busy', `Paging… ${rows.length} / ${total}`);
      }
    }
    bar.value = rows.length;
    bar.max = Math.max(rows.length, 1);
    bar.dataset.done = String(rows.length);
    $('qa-count').textContent = `${rows.length} / ${total}`;
    fillTable($('results'), rows.slice(0, 200), columns(rows));
    status('q-status', 'ok', `queryAll: ${rows.length} row(s)${rows.length > 200 ? ' (first 200 shown)' : ''}.`);
  } catch (err) {
    if (isAbort(err)) {
      bar.hidden = true;
      status('q-status', 'cancelled', `Cancelled after ${rows.length} of ${total} row(s).`);
    } else {
      fillTable($('results'), [], []);
      status('q-status', 'error', errText(err));
    }
  } finally {
    run.done();
  }
});

// ---- sync: batches and checkpoints
$('sync').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = $('batches').tBodies[0];
  body.replaceChildren();
  status('s-status', 'busy', 'Syncing…');
  const run = job('s-cancel', ['s-btn']);
  let n = 0;
  try {
    let last = null;
    // `since` is Unix seconds or a checkpoint string from an earlier batch (opaque: resume from it).
    const raw = $('s-since').value.trim();
    const since = /^\d*$/.test(raw) ? Number(raw) || 0 : raw;
    for await (const b of client.sync($('s-module').value.trim(), { since, signal: run.signal })) {
      n++;
      last = b;
      const tr = document.createElement('tr');
      for (const v of [n, b.strategy, b.updated.length, b.deleted.length]) tr.append(cell(v));
      const cp = document.createElement('td');
      cp.className = 'checkpoint';
      const div = document.createElement('div');
      div.textContent = b.checkpoint;
      cp.title = `${b.checkpoint.length} characters`;
      cp.append(div);
      tr.append(cp);
      body.append(tr);
      status('s-status', 'busy', `Syncing… ${n} batch(es)`);
    }
    if (last) $('s-since').value = String(last.checkpoint);
    status('s-status', 'ok', `${n} batch(es); the last checkpoint is filled in above as the next "since".`);
  } catch (err) {
    if (isAbort(err)) status('s-status', 'cancelled', `Cancelled after ${n} batch(es).`);
    else status('s-status', 'error', errText(err));
  } finally {
    run.done();
  }
});
