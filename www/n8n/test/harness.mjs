// A stub n8n execution context for the compiled nodes (dist/), and helpers shared by the
// node:test suites. The simulator is the repository's crmwire-sim (tests/js/test/sim.mjs).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const { Vtiger } = require('../dist/nodes/Vtiger/Vtiger.node.js');
export const { VtigerTrigger } = require('../dist/nodes/Vtiger/VtigerTrigger.node.js');
export const { Perfex } = require('../dist/nodes/Perfex/Perfex.node.js');
export const { resetClients } = require('../dist/nodes/shared/crmwire.js');
export const { NodeApiError, NodeOperationError } = require('n8n-workflow');
export { startSim } from '../../../tests/js/test/sim.mjs';

/** Default of every top-level parameter of a node description (what n8n fills in). */
function defaults(description) {
  const out = {};
  for (const p of description.properties) if (!(p.name in out)) out[p.name] = p.default;
  return out;
}

/**
 * A context for `execute` (mode 'execute') or `poll` (mode 'poll'). `params` are the node's
 * parameters: a value, or a function of the item index (like an expression); `items` the
 * input items' JSON.
 */
export function context(nodeType, { params = {}, items = [{}], binaries = [], credentials, continueOnFail = false, staticData = {}, mode = 'trigger', type = 'n8n-nodes-crmwire.x' } = {}) {
  const description = nodeType.description;
  const merged = { ...defaults(description), ...params };
  const node = { id: 'node-1', name: description.defaults.name, type, typeVersion: 1, position: [0, 0], parameters: merged };
  const calls = { credentials: 0 };
  const get = (name, i, fallback) => {
    let v = merged[name];
    if (typeof v === 'function') v = v(i);
    return v === undefined ? fallback : v;
  };
  return {
    calls,
    staticData,
    getNode: () => node,
    getInputData: () => items.map((json, i) => (binaries[i] ? { json, binary: binaries[i] } : { json })),
    getNodeParameter: (name, a, b) => (typeof a === 'number' ? get(name, a, b) : get(name, 0, a)),
    getCredentials: async () => {
      calls.credentials++;
      return credentials;
    },
    continueOnFail: () => continueOnFail,
    getWorkflowStaticData: () => staticData,
    getMode: () => mode,
    helpers: {
      returnJsonArray: (data) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
      // Binary data as n8n keeps it in memory: base64 in `data` (n8n-core's helpers).
      assertBinaryData: (i, prop) => {
        const b = binaries[i]?.[prop];
        if (!b) throw new NodeOperationError(node, `This operation expects the node's input data to contain a binary file '${prop}', but none was found [item ${i}]`, { itemIndex: i });
        return b;
      },
      getBinaryDataBuffer: async (i, prop) => Buffer.from(binaries[i][prop].data, 'base64'),
      prepareBinaryData: async (buffer, fileName, mimeType) => ({ data: Buffer.from(buffer).toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream', fileSize: String(buffer.length) }),
    },
  };
}

/** An n8n binary property of `bytes` (as the stub context and n8n's in-memory mode hold it). */
export const binary = (bytes, fileName, mimeType) => ({ data: Buffer.from(bytes).toString('base64'), fileName, mimeType, fileSize: String(bytes.length) });

/** Runs `execute` of a node type with a stub context; returns the first output's items. */
export async function run(NodeClass, opts) {
  const n = new NodeClass();
  const ctx = context(n, opts);
  const out = await n.execute.call(ctx);
  return out[0];
}

/** Polls a trigger with a stub context sharing `staticData` across calls. */
export async function poll(opts) {
  const n = new VtigerTrigger();
  const ctx = context(n, opts);
  return n.poll.call(ctx);
}

/**
 * Wraps globalThis.fetch (crmwire's default) to record every secret exchanged (access key,
 * session names, challenge tokens, Perfex token) and the requests in flight.
 */
export function watchFetch(initialSecrets = []) {
  const real = globalThis.fetch;
  const secrets = new Set(initialSecrets.filter(Boolean));
  const state = { inFlight: 0, maxInFlight: 0, requests: [] };
  globalThis.fetch = async (url, init = {}) => {
    const body = typeof init.body === 'string' ? init.body : '';
    const u = new URL(String(url));
    state.requests.push({ method: init.method ?? 'GET', url: String(url), operation: u.searchParams.get('operation') ?? new URLSearchParams(body).get('operation') });
    for (const src of [u.searchParams, new URLSearchParams(body)]) for (const k of ['sessionName', 'accessKey']) if (src.get(k)) secrets.add(src.get(k));
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      const res = await real(url, init);
      const text = await res.clone().text();
      for (const m of text.matchAll(/"(sessionName|token)"\s*:\s*"([^"]+)"/g)) secrets.add(m[2]);
      return res;
    } finally {
      state.inFlight--;
    }
  };
  return {
    secrets,
    state,
    restore: () => {
      globalThis.fetch = real;
    },
  };
}

/** Every string an n8n error exposes (message, description, context, error response, stack, cause). */
export function errorText(e) {
  const parts = [e.message, e.description, e.stack, JSON.stringify(e.context ?? {}), JSON.stringify(e.errorResponse ?? {}), JSON.stringify(e.messages ?? [])];
  if (typeof e.toJSON === 'function') parts.push(JSON.stringify(e.toJSON()));
  if (e.cause) parts.push(String(e.cause?.message ?? e.cause), String(e.cause?.stack ?? ''));
  return parts.join('\n');
}

/** Fails when any secret (6+ chars) occurs in any of the values (JSON-serialised; errors via errorText). */
export function assertNoSecrets(assert, secrets, values) {
  for (const v of values) {
    const s = v instanceof Error ? errorText(v) : typeof v === 'string' ? v : JSON.stringify(v);
    for (const secret of secrets) {
      if (secret && secret.length >= 6 && s.includes(secret)) assert.fail(`secret ${secret.slice(0, 3)}… leaked in: ${s.slice(0, 300)}`);
    }
  }
}
