// Public API of crmwire/perfex: the Perfex client, without the Vtiger client and VTQL helpers.
// `make pkg` bundles it with each runtime entry and a wasm module built with only the Perfex
// protocol (tests/js/tools/bundle.mjs); pack-smoke checks it is crmwire's API minus Vtiger.
export { initSync, isReady, ready, version, CrmError, isCrmError, PerfexClient } from './api.js';
