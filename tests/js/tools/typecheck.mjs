// tsc --noEmit over tests/js/consumer/ with `crmwire` resolved to pkg/ (the declarations the
// tarball ships), through a temp node_modules link, so the check sees what a user sees.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, cpSync, mkdirSync, symlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const jsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.resolve(jsDir, '../../pkg');
const work = mkdtempSync(path.join(tmpdir(), 'crmwire-tsc-'));
try {
  cpSync(path.join(jsDir, 'consumer'), work, { recursive: true });
  writeFileSync(path.join(work, 'package.json'), '{"type":"module","private":true}');
  mkdirSync(path.join(work, 'node_modules'));
  symlinkSync(pkgDir, path.join(work, 'node_modules/crmwire'), 'dir');
  execFileSync(path.join(jsDir, 'node_modules/.bin/tsc'), ['--noEmit', '-p', work], { stdio: 'inherit' });
  console.log('typecheck: consumer example ok');
} finally {
  rmSync(work, { recursive: true, force: true });
}
