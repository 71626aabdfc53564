// Defect 1 of issue 17 (acceptance test, expected to fail before the fix): concurrent logins of
// one user. The server keeps one challenge token per user, so another client's getchallenge
// between a client's getchallenge and its login spoils that login (INVALID_USER_CREDENTIALS or
// INVALID_AUTH_TOKEN). Separate cold client objects, as separate processes or isolates would
// be, must all get in; a wrong key must still be reported quickly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { isCrmError } from 'crmwire';
import { mk, tracker } from './support.mjs';

const tr = tracker(); // no records here; its clean-up also drops the sessions this file opened
test.after(() => tr.cleanup());

/** Starts `n` cold clients' first call together; returns the failures as `code` strings. */
async function coldStart(n, extra = []) {
  const clients = Array.from({ length: n }, () => mk());
  const started = Date.now();
  const res = await Promise.allSettled([...clients.map((c) => c.listTypes()), ...extra.map((f) => f())]);
  const ms = Date.now() - started;
  const failures = res.slice(0, n).filter((r) => r.status === 'rejected').map((r) => (isCrmError(r.reason) ? r.reason.code : String(r.reason)));
  return { failures, ms, extra: res.slice(n) };
}
const summary = (f) => Object.entries(f.reduce((m, c) => ((m[c] = (m[c] ?? 0) + 1), m), {})).map(([k, v]) => `${k}×${v}`).join(', ');

test('defect 1: 8 cold clients started together all log in (3 trials)', { timeout: 60_000 }, async () => {
  const out = [];
  for (let trial = 0; trial < 3; trial++) out.push(await coldStart(8));
  const failed = out.map((o) => o.failures.length);
  assert.deepEqual(failed, [0, 0, 0], `failed logins per trial of 8: ${failed.join(', ')} (${summary(out.flatMap((o) => o.failures))}); ${out.map((o) => o.ms).join('/')} ms`);
});

test('defect 1: 32 cold clients started together all log in', { timeout: 60_000 }, async () => {
  const o = await coldStart(32);
  assert.equal(o.failures.length, 0, `${o.failures.length} of 32 failed (${summary(o.failures)}) in ${o.ms} ms`);
});

test('defect 1: a wrong key among 8 racing clients is still INVALID_USER_CREDENTIALS within 3 s', { timeout: 60_000 }, async () => {
  let ms;
  const bad = mk({ accessKey: 'wrongKey12345678' });
  const o = await coldStart(8, [
    async () => {
      const t = Date.now();
      try {
        await bad.listTypes();
      } finally {
        ms = Date.now() - t;
      }
    },
  ]);
  const [r] = o.extra;
  assert.equal(r.status, 'rejected');
  assert.ok(isCrmError(r.reason) && r.reason.code === 'INVALID_USER_CREDENTIALS', `${r.reason?.code}: ${r.reason?.message}`);
  assert.ok(ms < 3000, `reported after ${ms} ms`);
  assert.equal(o.failures.length, 0, `${o.failures.length} of the 8 good clients failed (${summary(o.failures)})`);
});
