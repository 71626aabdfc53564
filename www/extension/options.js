import { SETTINGS_KEY, loadSettings, describeError } from './common.js';

const $ = (id) => document.getElementById(id);
const out = $('out');
const show = (state, text) => { out.textContent = text; out.dataset.state = state; };
$('origin').textContent = location.origin;

const mode = () => ($('mode-proxy').checked ? 'proxy' : 'direct');
const sync = () => { $('direct').hidden = mode() !== 'direct'; $('proxy').hidden = mode() !== 'proxy'; };
for (const r of document.querySelectorAll('input[name=mode]')) r.addEventListener('change', sync);

loadSettings().then((s) => {
  if (!s) return;
  $(s.mode === 'proxy' ? 'mode-proxy' : 'mode-direct').checked = true;
  for (const k of ['url', 'username', 'accessKey', 'token', 'ownerId', 'crmUrl']) if (s[k] != null) $(k).value = s[k];
  sync();
});

function read() {
  const s = { mode: mode(), url: $('url').value.trim(), ownerId: $('ownerId').value.trim() };
  let u;
  try { u = new URL(s.url); } catch { return { error: 'Enter the CRM (or proxy) URL, e.g. https://crm.example.com' }; }
  if (!/^https?:$/.test(u.protocol)) return { error: 'The URL must start with https:// (or http://)' };
  if (s.ownerId && !/^\d+x\d+$/.test(s.ownerId)) return { error: 'The owner must be a user id such as 19x1 (or blank)' };
  if (s.mode === 'direct') {
    s.username = $('username').value.trim();
    s.accessKey = $('accessKey').value.trim();
    if (!s.username || !s.accessKey) return { error: 'User name and access key are required in direct mode' };
  } else {
    s.token = $('token').value.trim();
    if (!s.token) return { error: 'The proxy token is required' };
    s.crmUrl = $('crmUrl').value.trim();
    if (s.crmUrl) {
      try { if (!/^https?:$/.test(new URL(s.crmUrl).protocol)) throw new Error(); } catch { return { error: 'The CRM web address must be an http(s) URL' }; }
    }
  }
  return { settings: s, origin: u.origin };
}

$('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = read();
  if (r.error) return show('invalid', r.error);
  await chrome.storage.local.set({ [SETTINGS_KEY]: r.settings });
  // Through a proxy the extension talks only to the proxy, which answers with CORS headers for
  // this extension's origin: no host permission is needed, so none is asked for.
  if (r.settings.mode === 'proxy') return show('saved', `Saved. No host permission needed: the proxy at ${r.origin} must list ${location.origin}.`);
  if (await chrome.permissions.contains({ origins: [`${r.origin}/*`] })) return show('saved', `Saved. Access to ${r.origin} is granted.`);
  show('saved', `Saved. Asking for access to ${r.origin}…`);
  // Ask for access to exactly this origin (optional host permission, at runtime, from this click).
  // Without it the CRM must answer with CORS headers for this extension, which a crmwire proxy does.
  let granted = false;
  try { granted = await chrome.permissions.request({ origins: [`${r.origin}/*`] }); } catch { granted = false; }
  show('saved', granted ? `Saved. Access to ${r.origin} granted.`
    : `Saved. Access to ${r.origin} was not granted: this works only if it sends CORS headers for this extension (a crmwire proxy listing ${location.origin}).`);
});

$('test').addEventListener('click', async () => {
  show('busy', 'Testing…');
  const r = await chrome.runtime.sendMessage({ type: 'test' });
  if (r.state === 'ok') {
    // Direct mode: the user id from login() is who new records are assigned to by default.
    if (r.userId && !$('ownerId').value.trim()) $('ownerId').value = r.userId;
    show('ok', `Connected${r.userId ? ` as ${r.userId}` : ''}: Contacts has ${r.fields} fields.`);
  }
  else show('error', describeError(r));
});
