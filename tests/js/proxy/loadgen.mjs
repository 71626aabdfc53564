// The proxy load generator (load.mjs's figure, durable.mjs's test): `n` GET queries (10 rows, a
// bearer token, keep-alive) at concurrency `c`, request i sent to urls[i % urls.length]. Resolves
// { n, secs, rps, p50_ms, p99_ms, errors } (errors: the first lines of every failed answer).
import http from 'node:http';

export const LOAD_QUERY = 'SELECT id, lastname FROM Contacts ORDER BY id LIMIT 10;';

export async function load(urls, n, c, token) {
  const targets = urls.map((url) => {
    const u = new URL(url);
    return { host: u.hostname, port: u.port, path: `${u.pathname}?${new URLSearchParams({ operation: 'query', query: LOAD_QUERY })}` };
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  const one = (t) => new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({ ...t, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ok: res.statusCode === 200 && body.startsWith('{"success":true'), ms: performance.now() - t0, status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ ok: false, ms: performance.now() - t0, status: 0, body: String(e) }));
    req.end();
  });
  let next = 0;
  const lat = [];
  const errors = [];
  const start = performance.now();
  try {
    await Promise.all(Array.from({ length: c }, async () => {
      while (next < n) {
        const r = await one(targets[next++ % targets.length]);
        lat.push(r.ms);
        if (!r.ok) errors.push(`${r.status} ${r.body.slice(0, 160)}`);
      }
    }));
  } finally {
    agent.destroy();
  }
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const q = (x) => +lat[Math.min(lat.length - 1, Math.floor(x * lat.length))].toFixed(2);
  return { n, secs: +secs.toFixed(3), rps: Math.round(n / secs), p50_ms: q(0.5), p99_ms: q(0.99), errors };
}
