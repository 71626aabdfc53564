// The demo page in real headless Chromium: node tests/js/www/demo.test.mjs
// Runs `node www/serve.mjs` (simulator + page + package + dev forward + proxy), connects directly,
// adds a contact, finds it with a builder query, runs queryAll with the progress bar to the end,
// runs sync, and checks the access key lives only in sessionStorage. Also the layout fixes: the
// direct/proxy fields follow the mode, the describe hint, every module listed and sorted, the
// paging status, Cancel (AbortController), a failed query clears the last result, checkpoints
// wrap, and a 375 px wide screen. Screenshots of each view go to tests/js/www/screenshots/
// (gitignored) for a person to look at. Prints `N passed, N failed`.
import { chromium } from 'playwright-core';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Checks, ROOT, start, stop } from '../proxy/harness.mjs';

const c = new Checks('[www] ');
const SHOTS = path.join(ROOT, 'tests/js/www/screenshots');
rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });
let shotN = 0;
const shot = (p, name) => p.screenshot({ path: path.join(SHOTS, `${String(++shotN).padStart(2, '0')}-${name}.png`), fullPage: true });
/** No horizontal scrolling: nothing is wider than the viewport. */
const fitsWidth = (p) => p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
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

  // the direct/proxy fields follow the mode (a CSS display rule used to override `hidden`)
  await page.waitForFunction(() => document.getElementById('username').value !== '');
  const vis = async () => ({ username: await page.isVisible('#username'), accessKey: await page.isVisible('#accessKey'), token: await page.isVisible('#token') });
  let v = await vis();
  c.ok('direct mode: user name and access key shown, token hidden', v.username && v.accessKey && !v.token, JSON.stringify(v));
  await shot(page, 'connect-direct');
  await page.check('#mode-proxy');
  v = await vis();
  c.ok('proxy mode: token shown, user name and access key hidden', !v.username && !v.accessKey && v.token, JSON.stringify(v));
  await shot(page, 'connect-proxy');
  await page.check('#mode-direct');

  // connect (direct): the user name is prefilled, the access key typed
  await page.fill('#accessKey', accessKey);
  await page.click('#connect-btn');
  let s = await waitState('connect-status');
  c.ok('connect (direct)', s.state === 'ok', s.text);
  const nMods = await page.locator('#modules button').count();
  c.ok('module list shown', nMods > 3 && (await page.locator('#modules button[data-module=Contacts]').count()) === 1, String(nMods));
  const mods = await page.evaluate(() => {
    const list = document.getElementById('modules');
    const r = list.getBoundingClientRect();
    const names = [...list.querySelectorAll('button')].map((b) => b.dataset.module);
    const clipped = [...list.querySelectorAll('button')].filter((b) => { const q = b.getBoundingClientRect(); return q.height === 0 || q.top < r.top - 1 || q.bottom > r.bottom + 1; }).length;
    return { names, clipped, overflow: list.scrollHeight - list.clientHeight, count: document.getElementById('modules-count').textContent };
  });
  const statusCount = Number(/: (\d+) modules/.exec(s.text)?.[1]);
  c.ok('every module listed and none clipped', mods.names.length === statusCount && mods.clipped === 0 && mods.overflow <= 1 && mods.count.startsWith(`${statusCount} `), JSON.stringify({ ...mods, names: mods.names.length, statusCount }));
  const sorted = [...mods.names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  c.ok('modules sorted by name', JSON.stringify(mods.names) === JSON.stringify(sorted), mods.names.join(','));
  c.ok('describe panel: a hint before a module is picked', (await page.isVisible('#describe-hint')) && /pick/i.test(await page.textContent('#modules-section')) && !(await page.isVisible('#fields')));
  await shot(page, 'modules');
  await page.click('#modules button[data-module=Contacts]');
  await page.waitForFunction(() => document.querySelectorAll('#fields tbody tr').length >= 2, null, { timeout: 15_000 });
  c.ok('describe Contacts shows its fields', /Contacts/.test(await page.textContent('#describe-title')) && (await page.locator('#fields tbody tr', { hasText: 'lastname' }).count()) >= 1);
  c.ok('... and the hint is gone', !(await page.isVisible('#describe-hint')));
  await shot(page, 'describe');

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
  await shot(page, 'query');

  // a failed query leaves neither the previous VTQL nor its rows on screen
  await page.fill('#q-module', 'NoSuchModule');
  await page.click('#q-btn');
  s = await waitState('q-status');
  const after = await page.evaluate(() => ({ rows: document.querySelectorAll('#results tbody tr').length, vtql: document.getElementById('q-vtql').textContent }));
  c.ok('failed query: error shown, previous rows and VTQL cleared', s.state === 'error' && after.rows === 0 && !after.vtql.includes(last) && after.vtql.includes('NoSuchModule'), JSON.stringify({ s, after }));
  await shot(page, 'query-error');
  await page.fill('#q-module', 'Contacts');

  // every status text of #q-status, to see what the user saw while paging
  await page.evaluate(() => {
    window.__qStatuses = [];
    new MutationObserver(() => window.__qStatuses.push(document.getElementById('q-status').textContent))
      .observe(document.getElementById('q-status'), { childList: true, characterData: true, subtree: true });
  });
  const simFault = (rule) => page.evaluate((r) => fetch('/__sim/faults', { method: r ? 'POST' : 'DELETE', headers: { 'content-type': 'application/json' }, body: r ? JSON.stringify(r) : undefined }).then((x) => x.status), rule);

  // queryAll, cancelled with the Cancel button while it pages (each page delayed by the simulator)
  await page.fill('#q-value', '');
  await simFault({ fault: 'delay_headers_ms', ms: 700, operation: 'query' });
  await page.click('#qa-btn');
  await page.waitForFunction(() => /^Paging… \d+ \/ \d+/.test(document.getElementById('q-status').textContent), null, { timeout: 20_000 });
  c.ok('while paging the status says Paging… n / total (not Counting…)', true);
  await shot(page, 'queryall-paging');
  c.ok('Cancel shown while queryAll runs; Run buttons disabled', (await page.isVisible('#q-cancel')) && (await page.isDisabled('#qa-btn')));
  await page.click('#q-cancel');
  s = await waitState('q-status', ['ok', 'error', 'cancelled']);
  c.ok('Cancel aborts queryAll (AbortController)', s.state === 'cancelled' && /^Cancelled after \d+ of \d+/.test(s.text), s.text);
  c.ok('... Cancel hidden and Run enabled again', !(await page.isVisible('#q-cancel')) && !(await page.isDisabled('#qa-btn')));
  await shot(page, 'queryall-cancelled');
  await simFault(null);
  await page.evaluate(() => { window.__qStatuses = []; });

  // queryAll over every Contact with the progress bar to the end
  await page.click('#qa-btn');
  await page.waitForFunction(() => document.getElementById('qa-progress').dataset.done !== undefined || document.getElementById('q-status').dataset.state === 'error', null, { timeout: 60_000 });
  s = await page.evaluate(() => ({ state: document.getElementById('q-status').dataset.state, text: document.getElementById('q-status').textContent }));
  const bar = await page.evaluate(() => { const b = document.getElementById('qa-progress'); return { value: b.value, max: b.max, done: Number(b.dataset.done), count: document.getElementById('qa-count').textContent }; });
  c.ok('queryAll finished', s.state === 'ok', s.text);
  const seen = await page.evaluate(() => window.__qStatuses);
  c.ok('queryAll status went Counting… → Paging… → done', seen.some((t) => t === 'Counting…') && seen.some((t) => /^Paging… \d+ \/ \d+$/.test(t)) && /^queryAll: /.test(seen.at(-1)), JSON.stringify(seen.slice(0, 3).concat(seen.slice(-2))));
  await shot(page, 'queryall-done');
  c.ok('progress bar at the end (value = max = rows)', bar.done > 0 && bar.value === bar.max && bar.value === bar.done, JSON.stringify(bar));
  const [got, total] = bar.count.split(' / ').map(Number);
  c.ok('queryAll returned every counted row', got === total && got === bar.done, bar.count);
  const queryCalls = wire.filter((w) => w.includes('operation=query')).length;
  c.ok('queryAll paged (more than one query call when over 100 rows)', bar.done <= 100 || queryCalls >= 3, `${bar.done} rows, ${queryCalls} query calls`);

  // sync shows batches and checkpoints
  await page.fill('#s-module', 'Accounts'); // 20 records share each seeded second: a long checkpoint
  await page.click('#s-btn');
  s = await waitState('s-status', ['ok', 'error'], 60_000);
  const batches = await page.locator('#batches tbody tr').count();
  c.ok('sync shows batches with checkpoints', s.state === 'ok' && batches >= 1 && (await page.inputValue('#s-since')).startsWith('v1:'), `${s.text} (${batches} rows)`);
  const cpLen = (await page.inputValue('#s-since')).length;
  let fit = await fitsWidth(page);
  const tableFit = await page.evaluate(() => { const t = document.getElementById('batches'); return t.getBoundingClientRect().right <= t.parentElement.getBoundingClientRect().right + 1; });
  c.ok(`long checkpoints (${cpLen} chars) wrap inside the sync table: no horizontal overflow`, cpLen > 200 && fit.scroll <= fit.client && tableFit, JSON.stringify({ fit, tableFit }));
  await shot(page, 'sync');

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

  // a narrow screen (375 px): everything reachable without horizontal scrolling
  const narrow = await browser.newPage({ viewport: { width: 375, height: 740 } });
  narrow.on('pageerror', (e) => errors.push(e.message));
  await narrow.goto(base + '/');
  await narrow.waitForFunction(() => document.getElementById('username').value !== '');
  await narrow.fill('#accessKey', accessKey);
  await shot(narrow, 'narrow-connect');
  await narrow.click('#connect-btn');
  await narrow.waitForFunction(() => document.getElementById('connect-status').dataset.state === 'ok', null, { timeout: 30_000 });
  await narrow.click('#modules button[data-module=Contacts]');
  await narrow.waitForFunction(() => document.querySelectorAll('#fields tbody tr').length >= 2, null, { timeout: 15_000 });
  await narrow.click('#q-btn');
  await narrow.waitForFunction(() => ['ok', 'error'].includes(document.getElementById('q-status').dataset.state), null, { timeout: 30_000 });
  await narrow.click('#s-btn');
  await narrow.waitForFunction(() => ['ok', 'error'].includes(document.getElementById('s-status').dataset.state), null, { timeout: 60_000 });
  fit = await fitsWidth(narrow);
  const btn = await narrow.locator('#s-btn').boundingBox();
  c.ok('375 px wide: no horizontal overflow after connect, describe, query and sync', fit.scroll <= 375 && fit.client <= 375 && btn && btn.x + btn.width <= 375, JSON.stringify({ fit, btn }));
  await shot(narrow, 'narrow-all');
  c.ok('no uncaught page errors', errors.length === 0, errors.join(' | '));

  // make demo on a busy port: one clear line, exit 1, and the simulator it started is stopped
  const busyPort = new URL(base).port;
  const { spawnSync } = await import('node:child_process');
  const busy = spawnSync(process.execPath, [path.join(ROOT, 'www/serve.mjs')], { env: { ...process.env, PORT: busyPort }, encoding: 'utf8', timeout: 30_000 });
  const lines = busy.stderr.trim().split('\n');
  c.ok('busy port: one clear line and exit 1 (no stack), simulator stopped (the process ends by itself)',
    busy.status === 1 && lines.length === 1 && lines[0].includes(`127.0.0.1:${busyPort} is already in use`) && /PORT=/.test(lines[0]) && !busy.error, JSON.stringify({ status: busy.status, stderr: busy.stderr, error: busy.error?.message }));
} catch (e) {
  c.ok('demo run completed', false, e.stack || String(e));
} finally {
  if (browser) await browser.close().catch(() => {});
  await stop(srv);
}
await c.finish();
