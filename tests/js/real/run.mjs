// `make test-real`: the client's integration suite (tests/js/real/*.test.mjs) against one live
// Vtiger named by CRMWIRE_REAL_URL / _USERNAME / _ACCESS_KEY / _PROFILE. Before the run it deletes
// what crashed runs left (records tagged `crmwire-real:` in a text field) and counts the
// Contacts; after it, it checks that the run left the lab as it found it. It prints one line per
// scenario, telling the defect scenarios of issue 17 ("defect N: fails (expected before the
// fix)") from unexpected failures, and exits non-zero when anything failed.
//   --json <file>   also write the results as JSON (run-lab.mjs builds its matrix from them)
//   RECORD=1        append a section to tests/real/RESULTS.md
import { spawnSync, execFileSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, openSync, closeSync, unlinkSync, writeSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEnv, ENV_HELP } from './env.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const env = readEnv();
if (env.missing) {
  console.error(`make test-real: missing ${env.missing.join(', ')}\n\n${ENV_HELP}`);
  process.exit(2);
}
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;
const runId = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${process.pid}`;
process.env.CRMWIRE_REAL_RUN = runId;
// One run per CRM host at a time on this machine: other helpers share the lab, and two of its
// servers share one database. Wait for the lock.
await lock(new URL(env.url).hostname);
const started = Date.now();

const { mk, sweep, tag, dropSessions } = await import('./support.mjs');
const { select } = await import('crmwire');

// ---- before: who is there, leftovers of crashed runs, the Contacts count ----------------------
const admin = mk();
let info;
try {
  info = await admin.login();
} catch (e) {
  console.error(`make test-real: cannot log in to ${env.url} as ${env.username}: ${e.code ?? ''} ${e.message}`);
  process.exit(1);
}
// Leftovers of crashed runs: tags of runs that started over 15 min ago (a run takes 1-2 min), so a
// run in progress on another machine keeps its records.
const swept = await sweep(admin, undefined, { olderThanMs: 15 * 60_000 });
const contactsBefore = await admin.count(select('Contacts'));
console.log(`make test-real: ${env.profile} — Vtiger ${info.vtigerVersion} at ${env.url} (run ${runId})`);
console.log(`  before: ${contactsBefore} Contacts; leftovers of earlier runs deleted: ${fmtCounts(swept)}`);

// ---- the suite ------------------------------------------------------------------------------
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => !process.env.ONLY || f.includes(process.env.ONLY))
  .sort();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'crmwire-real-'));
const resultsFile = path.join(tmp, 'results.jsonl');
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${path.join(here, 'reporter.mjs')}`, `--test-reporter-destination=${resultsFile}`, ...files.map((f) => path.join(here, f))],
  { cwd: path.resolve(here, '..'), stdio: 'inherit', env: process.env },
);
let results = [];
try {
  results = readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
} catch {}
rmSync(tmp, { recursive: true, force: true });
for (const x of results) if (path.isAbsolute(x.name)) x.name = `file ${path.relative(root, x.name)}`; // a file that failed outside its tests
if (r.status !== 0 && !results.some((x) => x.status === 'fail')) results.push({ file: null, name: `node --test exited with ${r.status ?? r.signal}`, status: 'fail', error: 'see the output above' });

// ---- after: nothing of this run left, the Contacts count unchanged ----------------------------
const left = await sweep(admin, tag);
const contactsAfter = await admin.count(select('Contacts'));
dropSessions();
const clean = Object.keys(left).length === 0 && contactsAfter === contactsBefore;
results.push({
  file: null,
  name: 'the run leaves the lab as it found it (every record deleted; Contacts count unchanged)',
  status: clean ? 'pass' : 'fail',
  ...(clean ? {} : { error: `left behind (now deleted): ${fmtCounts(left)}; Contacts ${contactsBefore} before, ${contactsAfter} after` }),
});

// ---- report ---------------------------------------------------------------------------------
const defectOf = (name) => Number(/^defect (\d+):/.exec(name)?.[1] ?? NaN);
for (const x of results) {
  const d = defectOf(x.name);
  x.defect = Number.isNaN(d) ? null : d;
  x.verdict = x.status === 'fail' ? (x.defect ? `FAIL: defect ${x.defect}, expected before the fix` : 'FAIL: UNEXPECTED') : x.status;
}
const count = (f) => results.filter(f).length;
const failed = results.filter((x) => x.status === 'fail');
const unexpected = failed.filter((x) => !x.defect);
const defects = [...new Set(results.filter((x) => x.defect).map((x) => x.defect))].sort((a, b) => a - b);
const seconds = Math.round((Date.now() - started) / 1000);

console.log(`\n=== make test-real: ${env.profile} — Vtiger ${info.vtigerVersion} — ${seconds} s`);
for (const x of results) console.log(`  ${x.verdict.padEnd(40)} ${x.name}${x.status === 'fail' ? `\n  ${''.padEnd(40)}   ↳ ${x.error}` : x.reason ? ` (${x.reason})` : ''}`);
console.log('');
for (const d of defects) {
  const xs = results.filter((x) => x.defect === d);
  const f = xs.filter((x) => x.status === 'fail').length;
  console.log(f ? `  defect ${d}: fails (expected before the fix): ${f} of ${xs.length} checks failed` : `  defect ${d}: passes (${xs.length} checks)`);
}
console.log(
  `\n  ${count((x) => x.status === 'pass')} passed, ${failed.length} failed (${failed.length - unexpected.length} in defect scenarios, ${unexpected.length} unexpected), ${count((x) => x.status === 'skip')} skipped`,
);
if (unexpected.length) console.log(`  UNEXPECTED failures (a regression, or a real-server fact the suite does not know): ${unexpected.map((x) => x.name).join('; ')}`);

const commit = git(['rev-parse', '--short', 'HEAD']);
const dirty = git(['status', '--porcelain', '--', '.', ':!tests/real']) ? ' + uncommitted changes' : '';
const summary = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  commit: commit + dirty,
  profile: env.profile,
  url: env.url,
  vtigerVersion: info.vtigerVersion,
  node: process.version,
  seconds,
  contactsBefore,
  contactsAfter,
  swept,
  results: results.map(({ name, status, verdict, defect, error, reason, ms }) => ({ name, status, verdict, defect, error, reason, ms })),
};
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(summary, null, 1));
if (process.env.RECORD === '1') {
  appendFileSync(path.join(root, 'tests/real/RESULTS.md'), scrub(section(summary)));
  console.log('  recorded in tests/real/RESULTS.md');
}
process.exit(failed.length ? 1 : 0);

// ---- helpers --------------------------------------------------------------------------------
async function lock(host) {
  const file = path.join(os.tmpdir(), `crmwire-test-real-${host.replace(/[^A-Za-z0-9]+/g, '_')}.lock`);
  let said = false;
  for (const until = Date.now() + 15 * 60_000; ; ) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      process.on('exit', () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {}
      });
      for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let pid = 0;
    let alive = false;
    try {
      pid = Number(readFileSync(file, 'utf8') || 0);
      // An empty file is a run between creating and writing it (or one that died then: 10 s).
      alive = pid > 0 ? process.kill(pid, 0) : Date.now() - statSync(file).mtimeMs < 10_000;
    } catch {}
    if (!alive) {
      try {
        unlinkSync(file); // a run that died without releasing it
      } catch {}
      continue;
    }
    if (Date.now() > until) {
      console.error(`make test-real: another run (pid ${pid}) still holds ${file} after 15 min`);
      process.exit(1);
    }
    if (!said) console.log(`make test-real: another run against ${host} is in progress (pid ${pid}); waiting for it`);
    said = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function fmtCounts(o) {
  const e = Object.entries(o);
  return e.length ? e.map(([k, v]) => `${v} ${k}`).join(', ') : 'none';
}
function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
function section(s) {
  const fails = s.results.filter((x) => x.status === 'fail');
  const unexp = fails.filter((x) => !x.defect).length;
  const lines = [
    '',
    `## ${s.date.replace('T', ' ').replace('Z', ' UTC')} — ${s.profile}, Vtiger ${s.vtigerVersion} (${s.url})`,
    '',
    `Commit \`${s.commit}\`, Node ${s.node}, ${s.seconds} s. ${s.results.filter((x) => x.status === 'pass').length} passed, ${fails.length} failed ` +
      `(${fails.length - unexp} in defect scenarios, ${unexp} unexpected), ${s.results.filter((x) => x.status === 'skip').length} skipped. ` +
      `Contacts: ${s.contactsBefore} before, ${s.contactsAfter} after; leftovers of earlier runs deleted first: ${fmtCounts(s.swept)}.`,
    '',
    '| scenario | result | detail |',
    '|---|---|---|',
    ...s.results.map((x) => `| ${cell(x.name)} | ${x.status === 'fail' ? `**${x.verdict}**` : x.verdict} | ${cell(x.error ?? x.reason ?? '')} |`),
    '',
  ];
  return lines.join('\n');
}
function cell(t) {
  return String(t).replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('\n', ' ');
}
/** Never a key or a session name in a committed file. */
function scrub(t) {
  return t.replaceAll(env.accessKey, 'ACCESS_KEY').replace(/(sessionName["=:\s]+)[0-9a-f]{10,}/gi, '$1SESSION');
}
