// Concurrent logins of one user (live findings G): the server keeps one challenge token per
// user, so separate clients logging in at once spoil each other's logins. The session driver
// retries a lost race with jittered back-off; a wrong access key is still reported quickly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError } from 'crmwire';
import { startSim } from './sim.mjs';

const sim = await startSim({ seedRecords: 5 });
test.after(() => sim.close());
const mk = (o = {}) => new VtigerClient({ url: sim.url, username: sim.username, accessKey: sim.accessKey, ...o });
const logins = async () => (await sim.stats()).requests.login ?? 0;

for (const n of [8, 32]) {
  test(`${n} separate cold clients started together all log in`, async () => {
    const before = await logins();
    const clients = Array.from({ length: n }, () => mk());
    const t0 = Date.now();
    const results = await Promise.allSettled(clients.map((c) => c.listTypes()));
    const failed = results.filter((r) => r.status === 'rejected').map((r) => `${r.reason.code}: ${r.reason.message}`);
    assert.deepEqual(failed, [], `${failed.length} of ${n} failed`);
    const tries = (await logins()) - before;
    assert.ok(tries >= n, `${tries} login requests for ${n} clients`);
    // Bounded: at most 8 pairs per client.
    assert.ok(tries <= 8 * n, `${tries} login requests`);
    assert.ok(Date.now() - t0 < 15_000, `${Date.now() - t0} ms`);
  });
}

test('a wrong access key: INVALID_USER_CREDENTIALS within the bound, one login sequence for concurrent calls', async () => {
  const c = mk({ accessKey: 'wrongKey12345678' });
  const before = await logins();
  const t0 = Date.now();
  const results = await Promise.allSettled([c.listTypes(), c.describe('Contacts'), c.retrieve('12x1')]);
  const ms = Date.now() - t0;
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(isCrmError(r.reason) && r.reason.code === 'INVALID_USER_CREDENTIALS' && r.reason.operation === 'login', String(r.reason));
  }
  assert.match(results[0].reason.message, /refused 8 times/);
  // One login sequence (8 pairs) shared by the three calls, reported in about 1.4 s (at most about 2.1 s).
  assert.equal((await logins()) - before, 8);
  assert.ok(ms < 3000, `${ms} ms`);
});
