// Shared by the popup, the options page and the service worker (no wasm here).

/** Settings live in chrome.storage.local only: never storage.sync (the access key must not leave this device). */
export const SETTINGS_KEY = 'crmwire.settings';
export async function loadSettings() {
  const v = await chrome.storage.local.get(SETTINGS_KEY);
  return v[SETTINGS_KEY] ?? null;
}

const EMAIL_RE = /^[^\s@<>()\[\]\\,;:"]+@[^\s@<>()\[\]\\,;:"]+\.[A-Za-z]{2,}$/;
const CTRL_RE = /[\u0000-\u001f\u007f]/;

/** Validate and normalise the popup form. Returns { contact } or { errors: { field: message } }. */
export function validateContact(input) {
  const c = {};
  const errors = {};
  for (const k of ['firstname', 'lastname', 'email', 'phone', 'account']) c[k] = String(input[k] ?? '').trim();
  const max = { firstname: 40, lastname: 80, email: 100, phone: 30, account: 100 };
  for (const [k, n] of Object.entries(max)) {
    if (c[k].length > n) errors[k] = `At most ${n} characters.`;
    if (CTRL_RE.test(c[k])) errors[k] = 'Contains control characters.';
  }
  if (!c.lastname) errors.lastname = 'Last name is required.';
  if (!c.email) errors.email = 'Email is required.';
  else if (!EMAIL_RE.test(c.email)) errors.email = 'Not a valid email address.';
  if (c.phone && !/^[+0-9][0-9 ().\-]{2,29}$/.test(c.phone)) errors.phone = 'Use digits, spaces, + ( ) . - only.';
  for (const k of ['firstname', 'lastname', 'account']) {
    // utf8mb3 CRMs silently turn characters outside the BMP (emoji) into '?'.
    if (/[\u{10000}-\u{10FFFF}]/u.test(c[k])) errors[k] = 'Emoji and other non-BMP characters are not stored by the CRM.';
  }
  return Object.keys(errors).length ? { errors } : { contact: c };
}

/** First email address in a text selection. */
export function extractEmail(text) {
  const m = /[^\s@<>()\[\]\\,;:"']+@[^\s@<>()\[\]\\,;:"']+\.[A-Za-z]{2,}/.exec(String(text ?? ''));
  return m ? m[0] : null;
}

/** A clear sentence for every error code the client, the CRM or the proxy can produce. */
export function describeError(e) {
  const code = e?.code ?? 'UNKNOWN';
  const m = {
    INVALID_USER_CREDENTIALS: 'The CRM rejected the user name or access key. Check them in the options.',
    INVALID_AUTH_TOKEN: 'The CRM rejected the login. Check the user name in the options.',
    ACCESSKEY_UNDEFINED: 'This CRM user has no access key (My Preferences → Access Key).',
    UNAUTHORIZED: 'The proxy did not accept the token. Check the proxy token in the options.',
    ACCESS_DENIED: 'Permission denied: this user (or the proxy\'s allowlist) does not allow that module or operation.',
    ORIGIN_NOT_ALLOWED: 'The proxy does not list this extension\'s origin.',
    RATE_LIMITED: 'Too many requests to the proxy; wait a moment and try again.',
    PAYLOAD_TOO_LARGE: 'The request is too large for the proxy.',
    UPSTREAM_LOGIN_FAILED: 'The proxy could not log in to the CRM (its access key may be wrong).',
    UPSTREAM_UNAVAILABLE: 'The proxy could not reach the CRM.',
    UPSTREAM_TIMEOUT: 'The CRM did not answer in time (through the proxy).',
    MANDATORY_FIELDS_MISSING: 'The CRM requires more fields for a contact: ',
    DUPLICATE: 'The CRM\'s duplicate check refused this contact.',
    INVALID_INPUT: 'Invalid input: ',
    TRANSPORT: 'Could not reach the CRM. Check the URL and your connection; in direct mode grant the host permission (Options → Save) or use a proxy.',
    TIMEOUT: 'The CRM did not answer in time.',
    INVALID_RESPONSE: 'The CRM sent an unreadable answer (is the URL a Vtiger CRM?).',
    INVALID_SESSIONID: 'The CRM session expired; try again.',
    REFERENCE_INVALID: 'The account reference was rejected by the CRM.',
    RECORD_NOT_FOUND: 'The record no longer exists.',
    NOT_CONFIGURED: 'Set the CRM connection in the options first.',
  }[code];
  const detail = e?.message ? String(e.message) : '';
  if (!m) return `CRM error ${code}${detail ? ': ' + detail : ''}`;
  return m.endsWith(': ') ? m + detail : m;
}
