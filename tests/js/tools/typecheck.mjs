// tsc --noEmit over the consumer projects with `crmwire` resolved to pkg/ (the declarations the
// tarball ships), through a temp node_modules link, so each check sees what a user sees:
//   consumer/             the Vtiger API, strict, lib dom, no @types/node
//   consumer-entries/     crmwire/vtiger and crmwire/perfex: each has its own CRM's API and not the other's
//   consumer-workers/     a Cloudflare Workers project: lib webworker, `workerd` condition, no @types/node
//   consumer-node-proxy/  crmwire/proxy's toNodeListener in a Node project WITH @types/node (from
//                         tests/js/bundlers, `make setup-bundlers`)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, cpSync, mkdirSync, symlinkSync, rmSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const jsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.resolve(jsDir, '../../pkg');
const nodeTypes = path.join(jsDir, 'bundlers/node_modules/@types/node');
let failed = 0;
for (const name of ['consumer', 'consumer-entries', 'consumer-workers', 'consumer-node-proxy']) {
  const work = mkdtempSync(path.join(tmpdir(), 'crmwire-tsc-'));
  try {
    cpSync(path.join(jsDir, name), work, { recursive: true });
    writeFileSync(path.join(work, 'package.json'), '{"type":"module","private":true}');
    mkdirSync(path.join(work, 'node_modules/@types'), { recursive: true });
    symlinkSync(pkgDir, path.join(work, 'node_modules/crmwire'), 'dir');
    if (name === 'consumer-node-proxy') {
      if (!existsSync(nodeTypes)) throw new Error(`${nodeTypes} missing: run make setup-bundlers`);
      symlinkSync(nodeTypes, path.join(work, 'node_modules/@types/node'), 'dir');
    }
    execFileSync(path.join(jsDir, 'node_modules/.bin/tsc'), ['--noEmit', '-p', work], { stdio: 'inherit' });
    console.log(`typecheck: ${name} ok`);
  } catch (e) {
    failed++;
    console.log(`typecheck: ${name} FAILED${e.status === undefined ? ': ' + e.message : ''}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
// One name per exported type across the package's declaration files: `import type { X }` from
// 'crmwire' and from 'crmwire/proxy' must never mean two different things.
const declared = new Map();
for (const f of readdirSync(pkgDir).filter((f) => f.endsWith('.d.ts'))) {
  for (const m of readFileSync(path.join(pkgDir, f), 'utf8').matchAll(/^export\s+(?:declare\s+)?(?:interface|type|class|enum)\s+([A-Za-z_$][\w$]*)/gm)) {
    declared.set(m[1], [...(declared.get(m[1]) ?? []), f]);
  }
}
const dups = [...declared].filter(([, files]) => files.length > 1);
if (dups.length) {
  failed++;
  console.log(`typecheck: exported type names declared twice: ${dups.map(([n, files]) => `${n} (${files.join(', ')})`).join('; ')}`);
} else console.log(`typecheck: ${declared.size} exported type names, each declared once`);
process.exit(failed ? 1 : 0);
