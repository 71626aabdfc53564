// crmwire demo server: node www/serve.mjs   (what `make demo` runs)
// Starts the simulator on loopback, serves this page and the package (pkg/) same-origin, forwards
// /webservice.php to the simulator (direct mode: the browser logs in itself; same origin, so no CORS),
// and mounts crmwire/proxy at /proxy/webservice.php (proxy mode: the page holds only a token).
// Prints the URL and the demo credentials; runs until Ctrl-C. Binds 127.0.0.1 only.
//   PORT=8080 (0 = any free port)   SIM_BIN=/path/to/crmwire-sim   SIM_ARGS="--profile vtiger-8.4"
import http from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, createReadStream, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createVtigerProxy, toNodeListener } from '../pkg/gen/proxy-node.js'; // crmwire/proxy's Node entry (make pkg)

const WWW = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(WWW, '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.d.ts': 'text/plain' };

function simCommand() {
  if (process.env.SIM_CMD) { const [c, ...a] = process.env.SIM_CMD.split(' '); return [c, a]; }
  const tgt = process.env.CARGO_TARGET_DIR || path.join(process.env.HOME || '', '.cache/crmwire-target');
  const bin = [process.env.SIM_BIN, path.join(tgt, 'release/crmwire-sim'), path.join(ROOT, 'target/release/crmwire-sim')].filter(Boolean).find((p) => existsSync(p));
  if (!bin) { console.error('crmwire-sim not found: cargo build --release -p crmwire-sim (or set SIM_BIN)'); process.exit(1); }
  return [bin, []];
}

function startSim() {
  const [cmd, pre] = simCommand();
  const extra = (process.env.SIM_ARGS || '').split(' ').filter(Boolean);
  const child = spawn(cmd, [...pre, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('simulator did not start:\n' + out)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const username = /^\s*user(?:name)?(?:\s*[:=]\s*|\s+)(\S+)/im.exec(out)?.[1];
      const accessKey = /^\s*access[ _-]?key(?:\s*[:=]\s*|\s+)(\S+)/im.exec(out)?.[1];
      if (url && username && accessKey) { clearTimeout(t); resolve({ child, url, username, accessKey }); }
    });
    child.on('exit', (c) => reject(new Error(`simulator exited (${c}):\n${out}`)));
  });
}

const sim = await startSim();
const token = randomBytes(18).toString('base64url');
const proxy = toNodeListener(createVtigerProxy({
  target: sim.url, username: sim.username, accessKey: sim.accessKey,
  tokens: [token],
  allow: { modules: '*', operations: ['listtypes', 'describe', 'retrieve', 'query', 'create', 'update', 'revise', 'sync'] },
  log: process.env.PROXY_LOG === '1' ? undefined : false,
}));

function serveFile(res, file) {
  let st;
  try { st = statSync(file); } catch { st = null; }
  if (!st || !st.isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }); return res.end('not found'); }
  const ext = file.endsWith('.d.ts') ? '.d.ts' : path.extname(file);
  res.writeHead(200, { 'content-type': TYPES[ext] || 'application/octet-stream', 'cache-control': 'no-store', 'content-length': st.size });
  createReadStream(file).pipe(res);
}

/** Raw same-origin forward to the simulator (dev only; a real deployment uses crmwire/proxy). */
async function forward(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const headers = { accept: 'application/json' };
  if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
  try {
    const r = await fetch(sim.url + req.url, { method: req.method, headers, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/json', 'cache-control': 'no-store' });
    res.end(Buffer.from(await r.arrayBuffer()));
  } catch {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('simulator unreachable');
  }
}

const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  const p = decodeURIComponent(u.pathname);
  if (p === '/webservice.php' || p.startsWith('/__sim/')) return forward(req, res);
  if (p.startsWith('/proxy/')) return proxy(req, res);
  if (p === '/demo-config.json') {
    // Only what the page may know: never the access key.
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return res.end(JSON.stringify({ username: sim.username }));
  }
  if (p.startsWith('/pkg/')) {
    const f = path.join(ROOT, path.normalize(p));
    if (!f.startsWith(path.join(ROOT, 'pkg') + path.sep)) { res.writeHead(403); return res.end(); }
    return serveFile(res, f);
  }
  const f = path.join(WWW, path.normalize(p === '/' ? '/index.html' : p));
  if (!f.startsWith(WWW + path.sep) || f.includes(`${path.sep}extension${path.sep}`) || f.includes(`${path.sep}edge${path.sep}`) || f.endsWith('serve.mjs')) { res.writeHead(404); return res.end(); }
  return serveFile(res, f);
});

const PORT = Number(process.env.PORT ?? 8080);
const stopSim = () => { if (sim.child.exitCode === null) sim.child.kill('SIGTERM'); };
server.on('error', (e) => {
  // One clear line (no stack), and stop the simulator this script started.
  console.error(e.code === 'EADDRINUSE'
    ? `crmwire demo: 127.0.0.1:${PORT} is already in use; stop what listens there or choose another port: PORT=8081 make demo (PORT=0 picks a free one)`
    : `crmwire demo: cannot listen on 127.0.0.1:${PORT}: ${e.message}`);
  stopSim();
  process.exitCode = 1;
});
server.listen(PORT, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`crmwire demo: http://127.0.0.1:${port}/`);
  console.log(`  direct mode: user name ${sim.username}, access key ${sim.accessKey} (simulator at ${sim.url})`);
  console.log(`  proxy mode:  URL http://127.0.0.1:${port}/proxy  token ${token}`);
  console.log('  Ctrl-C to stop');
});
const shutdown = () => { server.close(); stopSim(); process.exit(0); };
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
