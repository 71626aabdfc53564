// tsc --noEmit (strict) over tests/js/perfex/consumer.ts with `crmwire` resolved to pkg/, as
// tests/js/tools/typecheck.mjs does for the Vtiger example.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const jsDir = path.resolve(here, '..');
const work = mkdtempSync(path.join(tmpdir(), 'crmwire-perfex-tsc-'));
try {
  cpSync(path.join(here, 'consumer.ts'), path.join(work, 'consumer.ts'));
  writeFileSync(path.join(work, 'package.json'), '{"type":"module","private":true}');
  const compilerOptions = { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], strict: true, noEmit: true, skipLibCheck: false, types: [] };
  writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
  mkdirSync(path.join(work, 'node_modules'));
  symlinkSync(process.env.CRMWIRE_PKG || path.resolve(jsDir, '../../pkg'), path.join(work, 'node_modules/crmwire'), 'dir');
  execFileSync(path.join(jsDir, 'node_modules/.bin/tsc'), ['--noEmit', '-p', work], { stdio: 'inherit' });
  console.log('typecheck: perfex consumer ok');
} finally {
  rmSync(work, { recursive: true, force: true });
}
