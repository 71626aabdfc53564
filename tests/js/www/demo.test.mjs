// The demo page in real headless Chromium: node tests/js/www/demo.test.mjs
// Runs `node www/serve.mjs` (simulator + page + package + dev forward + proxy), connects directly,
// adds a contact, finds it with a builder query, runs queryAll with the progress bar to the end,
// runs sync, and checks the access key lives only in sessionStorage. Prints `N passed, N failed`.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { Checks, ROOT, start, stop } from '../proxy/harness.mjs';

const c = new Checks('[www] ');
let srv, browser;
try {
  srv = await start(process.execPath, [path.join(ROOT, 'www/serve.mjs')], { env: { PORT: '0' }, ready: /token (\S+)/, name: 'serve.mjs' });
  const base = /crmwire demo: (http:\/\/127\.0\.0\.1:\d+)\//.exec(srv.out)[1];
  const accessKey = /access key (\S+)/.exec(srv.out)[1];
  const proxyToken = /token (\S+)/.exec(srv.out)[1];
  browser = await chromium.launch({ executablePath: process.env.CHROME || '/usr/bin/chromium', headless: true, args: ['--disable-gpu'] });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wire = [];
  page.on('request', (r) => wire.push(`${r.method()} ${r.url()} ${r.postData() ?? ''}`));
  await page.goto(base + '/');
  const waitState = (id, states = ['ok', 'error'], timeout = 30_000) =>
    page.waitForFunction(([i, s]) => s.includes(document.getElementById(i).dataset.state), [id, states], { timeout }).then(() => page.evaluate((i) => ({ state: document.getElementById(i).dataset.state, text: document.getElementById(i).textContent }), id));

  // connect (direct): the user name is prefilled, the access key typed
  await page.waitForFunction(() => document.getElementById('username').value !== '');
  await page.fill('#accessKey', accessKey);
  await page.click('#connect-btn');
  let s = await waitState('connect-status');
  c.ok('connect (direct)', s.state === 'ok', s.text);
  const nMods = await page.locator('#modules button').count();
  c.ok('module list shown', nMods > 3 && (await page.locator('#modules button[data-module=Contacts]').count()) === 1, String(nMods));
  await page.click('#modules button[data-module=Contacts]');
  await page.waitForFunction(() => document.querySelectorAll('#fields tbody tr').length >= 2, null, { timeout: 15_000 });
  c.ok('describe Contacts shows its fields', /Contacts/.test(await page.textContent('#describe-title')) && (await page.locator('#fields tbody tr', { hasText: 'lastname' }).count()) >= 1);

  // add a contact (a quote in the name: the query below must escape it)
  const last = `D'Emo${Date.now()}`;
  await page.fill('#add-firstname', 'Page');
  await page.fill('#add-lastname', last);
  await page.fill('#add-email', 'demo.page@example.com');
  await page.click('#add-btn');
  s = await waitState('add-status');
  const id = await page.getAttribute('#add-status', 'data-id');
  c.ok('add contact', s.state === 'ok' && /^\d+x\d+$/.test(id || ''), s.text);

  // find it with a builder query
  await page.fill('#q-module', 'Contacts');
  await page.fill('#q-field', 'lastname');
  await page.selectOption('#q-op', '=');
  await page.fill('#q-value', last);
  await page.click('#q-btn');
  s = await waitState('q-status');
  c.ok('query finds exactly the new contact', s.state === 'ok' && (await page.getAttribute('#q-status', 'data-rows')) === '1' && (await page.textContent('#results')).includes(id), s.text);
  c.ok('the VTQL shown has the quote escaped', (await page.textContent('#q-vtql')).includes(`'${last.replace("'", "''")}'`), await page.textContent('#q-vtql'));

  // queryAll over every Contact with the progress bar to the end
  await page.fill('#q-value', '');
  await page.click('#qa-btn');
  await page.waitForFunction(() => document.getElementById('qa-progress').dataset.done !== undefined || document.getElementById('q-status').dataset.state === 'error', null, { timeout: 60_000 });
  s = await page.evaluate(() => ({ state: document.getElementById('q-status').dataset.state, text: document.getElementById('q-status').textContent }));
  const bar = await page.evaluate(() => { const b = document.getElementById('qa-progress'); return { value: b.value, max: b.max, done: Number(b.dataset.done), count: document.getElementById('qa-count').textContent }; });
  c.ok('queryAll finished', s.state === 'ok', s.text);
  c.ok('progress bar at the end (value = max = rows)', bar.done > 0 && bar.value === bar.max && bar.value === bar.done, JSON.stringify(bar));
  const [got, total] = bar.count.split(' / ').map(Number);
  c.ok('queryAll returned every counted row', got === total && got === bar.done, bar.count);
  const queryCalls = wire.filter((w) => w.includes('operation=query')).length;
  c.ok('queryAll paged (more than one query call when over 100 rows)', bar.done <= 100 || queryCalls >= 3, `${bar.done} rows, ${queryCalls} query calls`);

  // sync shows batches and checkpoints
  await page.click('#s-btn');
  s = await waitState('s-status', ['ok', 'error'], 60_000);
  const batches = await page.locator('#batches tbody tr').count();
  c.ok('sync shows batches with checkpoints', s.state === 'ok' && batches >= 1 && (await page.inputValue('#s-since')).startsWith('v1:'), `${s.text} (${batches} rows)`);

  // the access key: in sessionStorage only, never in localStorage, cookies or the URL
  const store = await page.evaluate(() => ({ session: sessionStorage.getItem('crmwire-demo') || '', local: JSON.stringify(localStorage), cookie: document.cookie, url: location.href }));
  c.ok('access key kept in sessionStorage', store.session.includes(accessKey));
  c.ok('... and nowhere else in the page state', !store.local.includes(accessKey) && !store.cookie.includes(accessKey) && !store.url.includes(accessKey));
  c.ok('the access key never went over the wire (login sends md5(token+key))', !wire.some((w) => w.includes(accessKey)));

  // proxy mode: the same page with only a token (needs the client's proxy mode)
  const p2 = await browser.newPage();
  p2.on('pageerror', (e) => errors.push(e.message));
  await p2.goto(base + '/');
  await p2.check('#mode-proxy');
  await p2.fill('#token', proxyToken);
  await p2.click('#connect-btn');
  await p2.waitForFunction(() => ['ok', 'error'].includes(document.getElementById('connect-status').dataset.state), null, { timeout: 30_000 });
  s = await p2.evaluate(() => ({ state: document.getElementById('connect-status').dataset.state, text: document.getElementById('connect-status').textContent }));
  c.ok('connect through crmwire/proxy with a token', s.state === 'ok', s.text);
  c.ok('no uncaught page errors', errors.length === 0, errors.join(' | '));
} catch (e) {
  c.ok('demo run completed', false, e.stack || String(e));
} finally {
  if (browser) await browser.close().catch(() => {});
  await stop(srv);
}
await c.finish();
