// Shared set-up of the live-server suite (tests/js/real/*.test.mjs): the server named by the
// CRMWIRE_REAL_* variables, client factories, the run tag, the tracker that deletes every
// record a test file created (in its `after` hook, also when a test failed) and the session
// bookkeeping. Only crmwire's public API is used; `fetch` is wrapped (a public option) to see
// which session names the server handed out, so that a test can kill one and the file's end can
// remove the rest.
import { existsSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { VtigerClient, isCrmError } from 'crmwire';
import { readEnv, ENV_HELP } from './env.mjs';

const env = readEnv();
if (env.missing) {
  // Loud and early: a suite file run without the variables must not look like a pass.
  throw new Error(`missing ${env.missing.join(', ')}\n${ENV_HELP}`);
}
export const { url, username, accessKey, profile } = env;
export const stock83 = profile === 'vtiger-8.3';
/** The Vtiger version the profile implies (login's vtigerVersion). */
export const expectedVersion = profile === 'vtiger-8.4' ? /^8\.4\./ : /^8\.3\./;

/** Run id: set by the runner for the whole run (one per server), else one per file. */
export const runId = process.env.CRMWIRE_REAL_RUN || `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${process.pid}`;
/** Written into a text field of every record a run creates; the runner sweeps `crmwire-real:%`. */
export const TAG_PREFIX = 'crmwire-real:';
export const tag = `${TAG_PREFIX}${runId}`;
/** Short, unique prefix for names, so that queries by name see this run's records only. */
export const P = `CWR${Number(runId.replace(/\D/g, '').slice(-12)).toString(36)}${process.pid.toString(36)}`;
/** The text field that carries the run tag, per module. */
export const TAG_FIELD = { Contacts: 'description', Accounts: 'description', Documents: 'notecontent', Leads: 'description', Potentials: 'description' };
export const tagged = (module, fields) => ({ [TAG_FIELD[module]]: tag, ...fields });

// ---- sessions seen on the wire ------------------------------------------------------------
const sessionNames = new Set();
const everSeen = new Set(); // session names and challenge tokens (never cleared)
let lastSession = null;
/** fetch that notes the session names handed out by login / extendsession (for kill and clean-up). */
export async function watchFetch(input, init) {
  const res = await fetch(input, init);
  const ct = res.headers.get('content-type') || '';
  if (ct.includes('json') || ct.includes('text')) {
    const text = await res.clone().text();
    const m = /"sessionName"\s*:\s*"([^"]+)"/.exec(text);
    if (m) {
      sessionNames.add(m[1]);
      everSeen.add(m[1]);
      lastSession = m[1];
    }
    const t = /"token"\s*:\s*"([^"]+)"/.exec(text);
    if (t) everSeen.add(t[1]);
  }
  return res;
}
/** Every session name and challenge token this process received. */
export const secretsSeen = () => [...everSeen];

/** The lab's session folder for this server's port, when it is on this machine. */
export function sessionDir() {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return null;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const dir = path.join(process.env.CRMWIRE_REAL_LAB || '/srv/vtlab', 'sessions', port);
  return existsSync(dir) ? dir : null;
}

/** Kills a webservice session the way PHP's session GC would: its file goes away. */
export function killSession(name) {
  const dir = sessionDir();
  if (!dir) throw new Error('no lab session folder for this server');
  unlinkSync(path.join(dir, `sess_${name}`));
}

/** Removes the session files of every session this process saw (the lab keeps no stray sessions). */
export function dropSessions() {
  const dir = sessionDir();
  if (!dir) return 0;
  let n = 0;
  for (const s of sessionNames) {
    if (!/^[0-9a-z]+$/i.test(s)) continue;
    try {
      unlinkSync(path.join(dir, `sess_${s}`));
      n++;
    } catch {}
  }
  sessionNames.clear();
  return n;
}
export const lastSessionName = () => lastSession;

// ---- clients ------------------------------------------------------------------------------
/**
 * A client for the server under test. `ops` collects the operations sent (onRequest), so that a
 * test can tell "refused before sending" from "sent and failed".
 */
export function mk(o = {}) {
  const ops = [];
  const { onRequest, ...rest } = o;
  const c = new VtigerClient({
    url,
    username,
    accessKey,
    fetch: watchFetch,
    onRequest: (r) => {
      ops.push(r.operation);
      onRequest?.(r);
    },
    ...rest,
  });
  return Object.assign(c, { ops });
}

// ---- records ------------------------------------------------------------------------------
/**
 * Tracks the records a test file creates and deletes them at the end (`test.after(tr.cleanup)`),
 * whatever happened in between. A record deleted by the test itself is skipped quietly.
 */
export function tracker() {
  const ids = new Set();
  const client = mk();
  return {
    ids,
    track(rec) {
      const id = typeof rec === 'string' ? rec : rec?.id;
      if (id) ids.add(id);
      return rec;
    },
    forget(id) {
      ids.delete(id);
    },
    /** create + track, with the run tag in the module's tag field. */
    async create(c, module, fields, ...rest) {
      const r = await c.create(module, tagged(module, fields), ...rest);
      ids.add(r.id);
      return r;
    },
    async cleanup() {
      const failed = [];
      for (const id of [...ids].reverse()) {
        try {
          await client.delete(id);
        } catch (e) {
          // ACCESS_DENIED: already deleted (the server's answer for a deleted id).
          if (!(isCrmError(e) && e.code === 'ACCESS_DENIED')) failed.push(`${id}: ${e.code ?? e.message}`);
        }
        ids.delete(id);
      }
      dropSessions();
      if (failed.length) throw new Error(`clean-up could not delete ${failed.length} record(s): ${failed.join('; ')}`);
    },
  };
}

/** Asserts `p` rejects with a CrmError of `code`; if it resolved to a record, tracks it first. */
export async function rejectsWith(assert, tr, p, code, check = () => true) {
  let value;
  try {
    value = await p;
  } catch (e) {
    assert.ok(isCrmError(e), `not a CrmError: ${e?.stack ?? e}`);
    assert.equal(e.code, code, `${e.code}: ${e.message}`);
    assert.ok(check(e), `unexpected error details: ${JSON.stringify({ code: e.code, field: e.field, message: e.message, status: e.status })}`);
    return e;
  }
  if (tr && value && typeof value === 'object' && typeof value.id === 'string') tr.track(value.id);
  assert.fail(`expected ${code}, but the call succeeded: ${JSON.stringify(value)?.slice(0, 150)}`);
}

/** Every row of an async iterator. */
export async function all(it) {
  const out = [];
  for await (const x of it) out.push(x);
  return out;
}

export const sortIds = (rows) => rows.map((r) => (typeof r === 'string' ? r : r.id)).sort();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Deletes the records carrying a run tag (`like`: a LIKE pattern on the tag field, default every
 * run's tag) in every module the suite writes to. With `olderThanMs`, only tags whose run started
 * that long ago or earlier (or that carry no start time) go: the records of a run still in
 * progress elsewhere are left alone. Returns `{ Module: n }` of what it deleted.
 */
export async function sweep(client, like = `${TAG_PREFIX}%`, { olderThanMs = 0 } = {}) {
  const out = {};
  const cutoff = Date.now() - olderThanMs;
  const stale = (text) => {
    const m = /crmwire-real:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-/.exec(text ?? '');
    return !m || Date.UTC(m[1], m[2] - 1, m[3], m[4], m[5], m[6]) <= cutoff;
  };
  for (const [module, field] of Object.entries(TAG_FIELD)) {
    const ids = [];
    for await (const r of client.queryAll({ module, fields: ['id', field], where: { field, op: 'like', value: like } })) if (!olderThanMs || stale(r[field])) ids.push(r.id);
    for (const id of ids) {
      try {
        await client.delete(id);
      } catch (e) {
        if (!(isCrmError(e) && e.code === 'ACCESS_DENIED')) throw e;
      }
    }
    if (ids.length) out[module] = ids.length;
  }
  return out;
}
