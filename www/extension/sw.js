// "Add to CRM" service worker (MV3 module worker). All CRM traffic happens here, through the
// crmwire wasm package copied into ./crmwire/ by build.mjs. No top-level await (forbidden in
// service workers): the wasm load starts now and every handler awaits it.
import * as crmwire from './crmwire/index.js';
import { loadSettings, validateContact, extractEmail, SETTINGS_KEY } from './common.js';

const { isCrmError, select, ready } = crmwire;
const wasmReady = ready();
wasmReady.catch((e) => console.error('crmwire wasm failed to load', e));

let cached = { key: null, client: null };
/** One client per settings value (the direct-mode session is reused while the worker lives). */
async function client() {
  const s = await loadSettings();
  if (!s || !s.url) throw Object.assign(new Error('not configured'), { code: 'NOT_CONFIGURED' });
  const key = JSON.stringify(s);
  if (cached.key !== key) {
    await wasmReady;
    const { VtigerClient } = crmwire;
    if (typeof VtigerClient !== 'function') throw Object.assign(new Error('this crmwire build has no VtigerClient'), { code: 'UNSUPPORTED' });
    const c = s.mode === 'proxy'
      ? new VtigerClient({ url: s.url, auth: 'proxy', token: s.token || undefined })
      : new VtigerClient({ url: s.url, username: s.username, accessKey: s.accessKey });
    cached = { key, client: c };
  }
  return { client: cached.client, settings: s };
}
chrome.storage.onChanged.addListener((changes, area) => { if (area === 'local' && changes[SETTINGS_KEY]) cached = { key: null, client: null }; });

async function findContactByEmail(c, email) {
  // The builder renders the literal with crmwire's escaping (quotes and backslashes doubled).
  const rows = await c.query(select('Contacts').fields('id', 'firstname', 'lastname', 'email', 'phone').where('email', '=', email).limit(5));
  return rows[0] ?? null;
}

async function accountId(c, name, owner) {
  if (!name) return undefined;
  const rows = await c.query(select('Accounts').fields('id', 'accountname').where('accountname', '=', name).limit(1));
  if (rows[0]) return rows[0].id;
  const acc = await c.create('Accounts', { accountname: name, assigned_user_id: owner });
  return acc.id;
}

function fieldsOf(contact, owner, accId) {
  const f = { firstname: contact.firstname, lastname: contact.lastname, email: contact.email, phone: contact.phone, assigned_user_id: owner };
  if (accId) f.account_id = accId;
  for (const k of Object.keys(f)) if (f[k] === '' || f[k] === undefined) delete f[k];
  return f;
}

/**
 * save: { contact, action?: 'check' | 'create' | 'update', id? }
 *  - 'check' (default): if a contact with this email exists, answer { state: 'exists', existing } and change nothing;
 *    otherwise create it.
 *  - 'create': create even if one exists.  - 'update': revise the existing record `id`.
 */
/** Who new records are assigned to: the option, else (direct mode) the logged-in user, else 19x1. */
async function ownerOf(c, settings) {
  if (settings.ownerId) return settings.ownerId;
  if (settings.mode === 'proxy') return '19x1'; // the proxy owns the login: no user id to read
  // login() starts a session (the calls after it reuse it) and says who the access key belongs to.
  if (cached.client === c && cached.owner) return cached.owner;
  const { userId } = await c.login();
  if (cached.client === c) cached.owner = userId;
  return userId;
}

/** The record's page in the CRM's web UI: index.php?module=<M>&view=Detail&record=<n>. */
export function recordLink(settings, id, module = 'Contacts') {
  const base = settings.mode === 'proxy' ? settings.crmUrl : settings.url;
  const m = /^\d+x(\d+)$/.exec(String(id));
  if (!base || !m) return null;
  const u = new URL(base.replace(/\/webservice\.php$/i, '').replace(/\/?$/, '/'));
  u.pathname += 'index.php';
  u.search = new URLSearchParams({ module, view: 'Detail', record: m[1] }).toString();
  return u.href;
}

async function save(msg) {
  const v = validateContact(msg.contact ?? {});
  if (v.errors) return { state: 'invalid', errors: v.errors };
  const { client: c, settings } = await client();
  const owner = await ownerOf(c, settings);
  const action = msg.action ?? 'check';
  if (action === 'check') {
    const existing = await findContactByEmail(c, v.contact.email);
    if (existing) return { state: 'exists', existing };
  }
  const accId = await accountId(c, v.contact.account, owner);
  if (action === 'update') {
    if (!/^\d+x\d+$/.test(String(msg.id))) return { state: 'error', code: 'INVALID_INPUT', message: 'no record to update' };
    const rec = await c.revise({ id: msg.id, ...fieldsOf(v.contact, owner, accId) });
    return { state: 'updated', record: { id: rec.id, email: rec.email, lastname: rec.lastname }, link: recordLink(settings, rec.id) };
  }
  const rec = await c.create('Contacts', fieldsOf(v.contact, owner, accId));
  return { state: 'created', record: { id: rec.id, email: rec.email, lastname: rec.lastname, assigned_user_id: rec.assigned_user_id }, link: recordLink(settings, rec.id) };
}

async function handle(msg) {
  try {
    if (msg.type === 'save') return await save(msg);
    if (msg.type === 'test') {
      const { client: c, settings } = await client();
      const userId = settings.mode === 'proxy' ? null : (await c.login()).userId;
      const d = await c.describe('Contacts');
      return { state: 'ok', fields: d.fields?.length ?? 0, userId };
    }
    return { state: 'error', code: 'INVALID_INPUT', message: 'unknown message' };
  } catch (e) {
    // Only the code and message cross to the UI (CrmError messages carry no secrets).
    return { state: 'error', code: isCrmError(e) || e?.code ? e.code : 'UNKNOWN', message: String(e?.message ?? e), status: e?.status };
  }
}

// Listeners are registered synchronously at top level (MV3 requirement).
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !msg || typeof msg.type !== 'string') return false;
  handle(msg).then(sendResponse);
  return true;
});

const MENU_ID = 'crmwire-add-email';
chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: MENU_ID, title: 'Add selected email to CRM', contexts: ['selection'] });
});

/** Context menu: open the popup form prefilled with the first email in the selection. */
async function onMenu(info) {
  if (info.menuItemId !== MENU_ID) return null;
  const email = extractEmail(info.selectionText);
  const url = chrome.runtime.getURL(`popup.html?${new URLSearchParams(email ? { email } : {})}`);
  const w = await chrome.windows.create({ url, type: 'popup', width: 380, height: 560 });
  return { email, windowId: w?.id ?? null };
}
chrome.contextMenus.onClicked.addListener((info) => { onMenu(info); });

// Test hooks (evaluated by the Playwright suite; harmless in production).
globalThis.__crmwireExt = { wasmReady, handle, onMenu, MENU_ID, recordLink };
