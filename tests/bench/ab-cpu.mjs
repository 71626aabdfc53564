// A/B per-call client CPU of two builds of the package in ONE process, rounds alternating A, B, B, A, …
// (separate P3 runs on a busy machine differ more between runs than between builds):
//   node --expose-gc tests/bench/ab-cpu.mjs <pkg dir A> <pkg dir B> [login|retrieve|create|query100] [rounds=12]
// Each build gets its own client over the same in-memory fetch of canned real responses (P3's), is
// warmed up, then timed 300 ms per round; prints the median CPU µs per call of each.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { loadCanned, makeMockFetch } from './lib/fixtures.mjs';

const [dirA, dirB, op = 'retrieve', rounds = '12'] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error('usage: ab-cpu.mjs <pkg dir A> <pkg dir B> [login|retrieve|create|query100] [rounds]');
const CONTACT = { lastname: 'Lifecycle', firstname: 'Carl', email: 'carl@example.com', account_id: '11x239', birthday: '1980-05-17', assigned_user_id: '19x1' }; // P3's
const { canned } = loadCanned();
const calls = {};
for (const [k, d] of [['A', dirA], ['B', dirB]]) {
  const { VtigerClient } = await import(pathToFileURL(path.resolve(d, 'node.js')).href);
  const mock = makeMockFetch();
  mock.get = canned.challenge;
  mock.post = canned.login;
  const c = new VtigerClient({ url: 'http://127.0.0.1:9/', username: 'admin', accessKey: 'ACCESS_KEY', fetch: mock.fetch });
  await c.login();
  if (op === 'create') {
    mock.get = canned.describeContacts; // the field check's describe, fetched once per client (as P3)
    await c.describe('Contacts');
  }
  mock.get = op === 'login' ? canned.challenge : op === 'create' ? null : canned[op];
  mock.post = op === 'login' ? canned.login : op === 'create' ? canned.create : null;
  calls[k] = {
    login: () => c.login(),
    retrieve: () => c.retrieve('12x240'),
    create: () => c.create('Contacts', CONTACT),
    query100: () => c.query('SELECT * FROM Contacts LIMIT 100;'),
  }[op];
  if (!calls[k]) throw new Error(`unknown op ${op}`);
  for (let i = 0; i < 3000; i++) await calls[k]();
}
const us = { A: [], B: [] };
for (let r = 0; r < +rounds; r++) {
  for (const k of r % 2 ? ['B', 'A'] : ['A', 'B']) {
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 300) {
      for (let i = 0; i < 8; i++) await calls[k]();
      n += 8;
    }
    const c = process.cpuUsage(c0);
    us[k].push((c.user + c.system) / n);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${op}: A ${med(us.A).toFixed(1)} µs/call, B ${med(us.B).toFixed(1)} µs/call (median of ${rounds} rounds each)`);
