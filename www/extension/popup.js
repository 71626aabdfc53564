import { validateContact, describeError, loadSettings } from './common.js';

const $ = (id) => document.getElementById(id);
const form = $('f');
const out = $('out');
const FIELDS = ['firstname', 'lastname', 'email', 'phone', 'account'];
let pending = null; // { contact, existing }

const prefill = new URLSearchParams(location.search).get('email');
if (prefill) $('email').value = prefill;
loadSettings().then((s) => { if (!s) $('cfg').hidden = false; });

function show(state, text) {
  out.textContent = text;
  out.dataset.state = state;
}
function markErrors(errors) {
  for (const f of FIELDS) {
    const el = $(f);
    el.setCustomValidity(errors[f] ?? '');
    el.toggleAttribute('aria-invalid', !!errors[f]);
    el.title = errors[f] ?? '';
  }
}
function busy(b) {
  for (const el of document.querySelectorAll('button')) el.disabled = b;
}

async function send(msg) {
  busy(true);
  delete out.dataset.state;
  show('busy', 'Working…');
  try {
    return await chrome.runtime.sendMessage(msg);
  } catch (e) {
    return { state: 'error', code: 'EXTENSION', message: String(e) };
  } finally {
    busy(false);
  }
}

function result(r, contact) {
  $('exists').hidden = true;
  $('link-row').hidden = true;
  if ((r.state === 'created' || r.state === 'updated') && r.link) {
    $('record-link').href = r.link;
    $('link-row').hidden = false;
  }
  if (r.state === 'invalid') { markErrors(r.errors); show('invalid', Object.values(r.errors).join(' ')); return; }
  if (r.state === 'exists') {
    pending = { contact, existing: r.existing };
    $('existing-name').textContent = [r.existing.firstname, r.existing.lastname].filter(Boolean).join(' ') || r.existing.email;
    $('existing-id').textContent = r.existing.id;
    $('exists').hidden = false;
    show('exists', 'Update the existing contact, or create a new one?');
    return;
  }
  if (r.state === 'created') { show('created', `Contact created (${r.record.id}).`); form.reset(); return; }
  if (r.state === 'updated') { show('updated', `Contact updated (${r.record.id}).`); form.reset(); return; }
  out.dataset.code = r.code ?? '';
  show('error', describeError(r));
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = Object.fromEntries(FIELDS.map((f) => [f, $(f).value]));
  const v = validateContact(input); // validated here before anything is sent (and again in the worker)
  markErrors(v.errors ?? {});
  if (v.errors) { show('invalid', Object.values(v.errors).join(' ')); return; }
  result(await send({ type: 'save', contact: v.contact }), v.contact);
});
$('update').addEventListener('click', async () => {
  if (!pending) return;
  result(await send({ type: 'save', contact: pending.contact, action: 'update', id: pending.existing.id }), pending.contact);
});
$('create-anyway').addEventListener('click', async () => {
  if (!pending) return;
  result(await send({ type: 'save', contact: pending.contact, action: 'create' }), pending.contact);
});
