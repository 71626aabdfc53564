// Popup: the form sends the contact to the service worker, which adds it to the CRM.
const out = document.getElementById('out');
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const r = await chrome.runtime.sendMessage({ type: 'add', cfg });
  out.textContent = JSON.stringify(r);
  out.dataset.state = r?.ok ? 'ok' : 'error';
});
