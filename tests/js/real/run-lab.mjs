// `make test-real-lab`: the live-server suite against the three servers of the lab in
// /work/shared/lab (8.4.0 stock, 8.3.0 stock, 8.3.0 patched), one after the other. The access
// keys are read at run time from the lab's keys file (KEYS, default /tmp/vtlab-keys.txt, mode
// 600) and passed to each run through its environment only; they are never written anywhere.
// P84 / P83 / P83P pick other ports (as the lab's setup.sh does). With RECORD=1 every run adds
// its section to tests/real/RESULTS.md and this wrapper adds the scenario × server matrix.
import { spawnSync, execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const keysFile = process.env.KEYS || '/tmp/vtlab-keys.txt';
const servers = [
  { port: process.env.P84 || '8082', profile: 'vtiger-8.4', label: '8.4.0 stock' },
  { port: process.env.P83 || '8080', profile: 'vtiger-8.3', label: '8.3.0 stock' },
  { port: process.env.P83P || '8081', profile: 'patched', label: '8.3.0 patched' },
];
if (!existsSync(keysFile)) {
  console.error(`make test-real-lab: no keys file at ${keysFile} (the lab's setup.sh writes it; KEYS=<file> points elsewhere).\nWithout the lab, run one server: CRMWIRE_REAL_URL=… CRMWIRE_REAL_USERNAME=… CRMWIRE_REAL_ACCESS_KEY=… CRMWIRE_REAL_PROFILE=… make test-real`);
  process.exit(2);
}
const keysText = readFileSync(keysFile, 'utf8');
/** The admin access key of a port: its own line, or the port whose database it shares. */
function keyOf(port, seen = new Set()) {
  const own = new RegExp(`\\(${port}\\) admin accesskey:\\s*(\\S+)`).exec(keysText);
  if (own) return own[1];
  const shared = new RegExp(`\\(${port}\\)[^\\n]*same admin accesskey as[^\\n]*\\((\\d+)\\)`).exec(keysText);
  if (shared && !seen.has(shared[1])) return keyOf(shared[1], seen.add(port));
  return null;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'crmwire-real-lab-'));
const runs = [];
let worst = 0;
try {
  for (const s of servers) {
    const key = keyOf(s.port);
    if (!key) {
      console.error(`make test-real-lab: no access key for port ${s.port} in ${keysFile}`);
      worst = 2;
      continue;
    }
    console.log(`\n######## ${s.label} (:${s.port}, profile ${s.profile})`);
    const json = path.join(tmp, `${s.profile}.json`);
    const r = spawnSync(process.execPath, [path.join(here, 'run.mjs'), '--json', json], {
      stdio: 'inherit',
      env: { ...process.env, CRMWIRE_REAL_URL: `http://127.0.0.1:${s.port}`, CRMWIRE_REAL_USERNAME: process.env.LAB_USER || 'admin', CRMWIRE_REAL_ACCESS_KEY: key, CRMWIRE_REAL_PROFILE: s.profile },
    });
    worst = Math.max(worst, r.status ?? 1);
    runs.push({ ...s, status: r.status, summary: existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : null });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// The matrix: one row per scenario, one column per server.
const names = [];
for (const r of runs) for (const x of r.summary?.results ?? []) if (!names.includes(x.name)) names.push(x.name);
const short = (x) => (!x ? '—' : x.status === 'pass' ? 'pass' : x.status === 'skip' ? 'skip' : x.defect ? 'FAIL (expected)' : '**FAIL (unexpected)**');
const head = `| scenario | ${runs.map((r) => `${r.label} (${r.summary?.vtigerVersion ?? '?'})`).join(' | ')} |`;
const rows = names.map((n) => `| ${n.replaceAll('|', '\\|').replaceAll('<', '&lt;')} | ${runs.map((r) => short(r.summary?.results.find((x) => x.name === n))).join(' | ')} |`);
console.log(`\n######## make test-real-lab: scenario × server\n${head}\n${rows.join('\n')}`);
for (const r of runs) {
  const f = r.summary?.results.filter((x) => x.status === 'fail') ?? [];
  console.log(`  ${r.label}: ${r.summary ? `${f.length} failed (${f.filter((x) => !x.defect).length} unexpected)` : 'no results'}, exit ${r.status}`);
}
if (process.env.RECORD === '1' && runs.some((r) => r.summary)) {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {}
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace('T', ' ').replace('Z', ' UTC');
  const text = ['', `## ${when} — matrix of the three lab servers (commit \`${commit}\`)`, '', head, `|---|${runs.map(() => '---|').join('')}`, ...rows, ''].join('\n');
  for (const r of servers) if (keyOf(r.port) && text.includes(keyOf(r.port))) throw new Error('refusing to write a key');
  appendFileSync(path.join(root, 'tests/real/RESULTS.md'), text);
}
process.exit(worst);
