// Headless Chromium (playwright-core, Debian's /usr/bin/chromium) runs tests/js/browser/
// scenarios.mjs in a page served from one origin against crmwire-sim --cors on another.
// Prints every check and `N passed, N failed`; exits 1 on any failure.
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startSim } from '../test/sim.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(here, '../../../pkg');
const t0 = performance.now();
const sim = await startSim({ cors: true, seedRecords: 260 });
const stats = await sim.stats();
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = p.startsWith('/crmwire/') ? path.join(pkgDir, p.slice('/crmwire/'.length)) : path.join(here, p);
  if (!file.startsWith(pkgDir) && !file.startsWith(here)) return res.writeHead(403).end();
  let body;
  try {
    body = readFileSync(file);
  } catch {
    return res.writeHead(404).end();
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' }).end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(path.join(tmpdir(), 'crmwire-chromium-'));
let failed = 1;
let results = [];
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROME || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await ctx.newPage();
  const errs = [];
  page.on('pageerror', (e) => errs.push(e.message));
  const env = { url: sim.url, username: sim.username, accessKey: sim.accessKey, contacts: stats.records.Contacts, accounts: stats.records.Accounts };
  await page.goto(`${origin}/page.html#${encodeURIComponent(JSON.stringify(env))}`);
  await page.waitForFunction(() => window.__results, null, { timeout: 60000 });
  results = await page.evaluate(() => window.__results);
  if (errs.length) results.push({ name: 'no uncaught page errors', ok: false, detail: errs.join('; ') });
  const s = await sim.stats();
  results.push({ name: 'the page logged in exactly once (across origins, CORS)', ok: s.logins === 1, detail: `${s.logins} logins` });
} catch (e) {
  results.push({ name: 'page run', ok: false, detail: String(e.stack || e) });
} finally {
  await ctx.close();
  server.close();
  await sim.close();
  rmSync(profile, { recursive: true, force: true });
}
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? ` — ${r.detail.split('\n')[0]}` : ''}`);
const passed = results.filter((r) => r.ok).length;
failed = results.length - passed;
console.log(`chromium: ${passed} passed, ${failed} failed (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
process.exit(failed ? 1 : 0);
