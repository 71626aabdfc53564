// Issue 15, item 3: toNodeListener must not buffer request bodies the proxy does not read. The proxy
// runs in its own process (memory-server.mjs: an authorize hook that takes 1 s to decide, as a
// remote token check would); four 300 MiB uploads at once (two refused by the hook -> 401, two
// accepted but over maxBodyBytes -> 413; chunked and with Content-Length) must get their answers
// while the process's resident memory grows by less than 50 MiB: the socket is paused while
// nothing reads, and an unread body is dropped with the connection. Loopback only; every upload
// stops at 300 MiB or when the server closes the connection.
import http from 'node:http';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { ROOT, start, stop } from './harness.mjs';

const MiB = 1 << 20;
const UPLOAD = 300 * MiB;
const LIMIT_MIB = 50;

function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * A hostile uploader: sends up to 300 MiB whatever the server answers, stopping only when the
 * server closes the connection. Resolves { status, sent } (status 0: no answer was read).
 */
function upload(url, { caller, declared }) {
  const u = new URL(url);
  const chunk = Buffer.alloc(256 * 1024);
  return new Promise((resolve) => {
    let status = 0;
    let sent = 0;
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    if (caller) headers['x-caller'] = 'ok';
    if (declared) headers['content-length'] = String(UPLOAD);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers });
    req.on('response', (res) => { status = res.statusCode; res.resume(); res.on('error', () => {}); });
    req.on('error', () => {});
    req.on('close', () => resolve({ status, sent }));
    const pump = () => {
      while (sent < UPLOAD && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once('drain', pump);
      }
      if (!req.destroyed) req.end();
    };
    req.write('operation=create&element=');
    pump();
  });
}

export async function runMemory(c, sim) {
  if (!existsSync('/proc/self/status')) {
    console.log('# memory check skipped: no /proc on this system');
    return;
  }
  const px = await start(process.execPath, [path.join(ROOT, 'tests/js/proxy/memory-server.mjs')], { env: { CRM_URL: sim.url, PORT: '0' }, name: 'memory-proxy' });
  try {
    const url = px.match[1] + '/webservice.php';
    // warm up: wasm, the token check, one refusal
    const w = await fetch(`${url}?operation=describe&elementType=Contacts`);
    c.ok('memory: the Node proxy answers', w.status === 401, String(w.status));
    await new Promise((r) => setTimeout(r, 200));
    const base = rssOf(px.pid);
    let peak = base;
    const timer = setInterval(() => { peak = Math.max(peak, rssOf(px.pid)); }, 20);
    const t0 = Date.now();
    const results = await Promise.race([
      Promise.all([
        upload(url, { caller: false, declared: false }),
        upload(url, { caller: false, declared: true }),
        upload(url, { caller: true, declared: false }),
        upload(url, { caller: true, declared: true }),
      ]),
      new Promise((r) => setTimeout(() => r(null), 60_000)),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(timer);
    peak = Math.max(peak, rssOf(px.pid));
    const growth = (peak - base) / MiB;
    c.ok('memory: four 300 MiB uploads end (no hang)', results !== null, 'timed out after 60 s');
    c.ok('memory: the refused uploads get 401, the over-limit ones 413',
      results !== null && results[0].status === 401 && results[1].status === 401 && results[2].status === 413 && results[3].status === 413,
      JSON.stringify(results));
    c.ok(`memory: RSS growth under the uploads stays below ${LIMIT_MIB} MiB`, growth < LIMIT_MIB,
      `grew ${growth.toFixed(1)} MiB (${(base / MiB).toFixed(1)} -> ${(peak / MiB).toFixed(1)}) in ${Date.now() - t0} ms; sent ${results?.map((r) => (r.sent / MiB).toFixed(1)).join(', ')} MiB`);
    console.log(`# memory: RSS ${(base / MiB).toFixed(1)} -> peak ${(peak / MiB).toFixed(1)} MiB (+${growth.toFixed(1)}) in ${Date.now() - t0} ms; uploads sent ${results?.map((r) => (r.sent / MiB).toFixed(1)).join(', ')} MiB`);
    const after = await fetch(`${url}?operation=describe&elementType=Contacts`);
    c.ok('memory: the proxy still answers afterwards', after.status === 401, String(after.status));
  } finally {
    await stop(px);
  }
}
