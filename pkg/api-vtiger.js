// Public API of crmwire/vtiger: the Vtiger client and its helpers, without PerfexClient.
// `make pkg` bundles it with each runtime entry and a wasm module built with only the Vtiger
// protocol (tests/js/tools/bundle.mjs); pack-smoke checks it is crmwire's API minus Perfex.
export { initSync, isReady, ready, version, md5Hex, vtqlLiteral, select, toVtql, CrmError, isCrmError, Query, VtigerClient } from './api.js';
