// Start www/edge/* examples in their real runtimes against a given CRM URL.
import path from 'node:path';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { ROOT, BIN, start, tmp } from './harness.mjs';

export const TOKEN = 'test-token-0123456789abcdef';
export const TOKEN2 = 'second-token-fedcba9876543210';
export const GOOD_ORIGIN = 'http://127.0.0.1:9';
export const EXT_ORIGIN = 'chrome-extension://dmjmjmhdlnhahoajgjfjpkpopkegfkod';
export const BAD_ORIGIN = 'https://evil.example';

export function proxyEnv(crm, extra = {}) {
  return {
    CRM_URL: crm.url,
    CRM_USERNAME: crm.username,
    CRM_ACCESS_KEY: crm.accessKey,
    PROXY_TOKENS: `${TOKEN},${TOKEN2}`,
    ALLOWED_ORIGINS: `${GOOD_ORIGIN},${EXT_ORIGIN}`,
    ALLOWED_MODULES: 'Contacts,Accounts',
    ALLOWED_OPERATIONS: 'listtypes,describe,retrieve,query,create,update,revise',
    MAX_BODY_BYTES: '65536',
    RATE_LIMIT: '',
    PROXY_LOG: '1',
    ...extra,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function pollUp(url, proc, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exited !== undefined) throw new Error(`${proc.name} exited:\n${proc.out}`);
    try { await fetch(url, { method: 'OPTIONS' }); return; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  throw new Error(`${proc.name} did not come up:\n${proc.out}`);
}

/**
 * Resolves { urls: [a, b], proc }: www/edge/durable.capnp in workerd, two edge services bound to one
 * Durable Object namespace (the upstream state), each on its own port.
 */
export async function startDurable(env) {
  const edge = path.join(ROOT, 'www/edge');
  execFileSync(process.execPath, [path.join(edge, 'workerd-config.mjs')], { stdio: 'ignore' });
  const [pa, pb] = [await freePort(), await freePort()];
  const proc = await start(path.join(BIN, 'workerd'), ['serve', path.join(edge, 'durable.capnp'),
    '--socket-addr', `a=127.0.0.1:${pa}`, '--socket-addr', `b=127.0.0.1:${pb}`], { env, ready: null, name: 'workerd' });
  const urls = [pa, pb].map((p) => `http://127.0.0.1:${p}/webservice.php`);
  for (const u of urls) await pollUp(u, proc);
  return { urls, proc };
}

export const RUNTIMES = ['workerd', 'deno', 'bun', 'node'];

/** Resolves { url, proc } for a proxy running in `rt`. */
export async function startProxy(rt, env) {
  const edge = path.join(ROOT, 'www/edge');
  if (rt === 'workerd') {
    // keep config.capnp's module list in step with the package (it lists every embedded module)
    execFileSync(process.execPath, [path.join(edge, 'workerd-config.mjs')], { stdio: 'ignore' });
    const port = await freePort();
    const proc = await start(path.join(BIN, 'workerd'), ['serve', path.join(edge, 'config.capnp'), '--socket-addr', `http=127.0.0.1:${port}`],
      { env, ready: null, name: 'workerd' });
    const url = `http://127.0.0.1:${port}/webservice.php`;
    await pollUp(url, proc);
    return { url, proc };
  }
  if (rt === 'deno') {
    const proc = await start(path.join(BIN, 'deno'), ['run', '--config', path.join(edge, 'deno.json'), '--allow-net=127.0.0.1',
      `--allow-read=${path.join(ROOT, 'pkg')},${edge}`, '--allow-env', path.join(edge, 'deno.mjs')],
    { env: { ...env, PORT: '0', DENO_DIR: process.env.DENO_DIR || tmp('crmwire-deno-'), DENO_NO_UPDATE_CHECK: '1' }, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/, name: 'deno' });
    return { url: proc.match[1] + '/webservice.php', proc };
  }
  if (rt === 'bun') {
    const proc = await start(path.join(BIN, 'bun'), [path.join(edge, 'bun.mjs')],
      { env: { ...env, PORT: '0', XDG_CACHE_HOME: process.env.XDG_CACHE_HOME || tmp('crmwire-bun-') }, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/, name: 'bun' });
    return { url: proc.match[1] + '/webservice.php', proc };
  }
  if (rt === 'node') {
    const proc = await start(process.execPath, [path.join(edge, 'node.mjs')], { env: { ...env, PORT: '0' }, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/, name: 'node' });
    return { url: proc.match[1] + '/webservice.php', proc };
  }
  throw new Error('unknown runtime ' + rt);
}
