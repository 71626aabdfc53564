// Service worker: all CRM traffic happens here. No top-level await (MV3 forbids it); the
// listener is registered synchronously and the client loads the wasm on its first call.
import { check } from '../check.mjs';

chrome.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
  if (msg?.type !== 'add') return false;
  check({ ...msg.cfg, cell: 'crx' }).then(sendResponse);
  return true;
});
