// Static checks of the node and credential descriptions, the way n8n reads them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Vtiger, VtigerTrigger, Perfex } from './harness.mjs';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Every parameter, nested ones included. */
function params(props, out = []) {
  for (const p of props ?? []) {
    out.push(p);
    for (const o of p.options ?? []) {
      if (o.values) params(o.values, out);
      else if (o.type) params([o], out);
    }
  }
  return out;
}

test('no option value or non-expression default starts with "=" (n8n would evaluate it as an expression)', () => {
  for (const N of [Vtiger, VtigerTrigger, Perfex]) {
    for (const p of params(new N().description.properties)) {
      for (const o of p.options ?? []) if (typeof o.value === 'string') assert.ok(!o.value.startsWith('='), `${N.name}.${p.name} option ${o.name} = ${o.value}`);
      if (typeof p.default === 'string') assert.ok(!p.default.startsWith('=') || p.default.startsWith('={{'), `${N.name}.${p.name} default`);
    }
  }
});

test('package.json: n8n section lists loadable files whose class names match the file names (how n8n loads them)', () => {
  assert.ok(pkg.keywords.includes('n8n-community-node-package'));
  assert.equal(pkg.n8n.n8nNodesApiVersion, 1);
  const files = [...pkg.n8n.nodes, ...pkg.n8n.credentials];
  assert.equal(files.length, 5);
  for (const f of files) {
    const cls = f.split('/').pop().replace(/\.(node|credentials)\.js$/, '');
    const mod = require(`../${f}`);
    assert.equal(typeof mod[cls], 'function', `${f} exports class ${cls}`);
    const inst = new mod[cls]();
    if (f.includes('.credentials.')) assert.match(inst.name, /^crmwire(Vtiger|Perfex)Api$/);
    else assert.ok(inst.description.icon.startsWith('file:'));
  }
});

test('credentials: secrets are password fields; every node tests its credentials', () => {
  const { CrmwireVtigerApi } = require('../dist/credentials/CrmwireVtigerApi.credentials.js');
  const { CrmwirePerfexApi } = require('../dist/credentials/CrmwirePerfexApi.credentials.js');
  assert.equal(new CrmwireVtigerApi().displayName, 'Vtiger API');
  assert.equal(new CrmwirePerfexApi().displayName, 'Perfex API');
  assert.equal(new CrmwireVtigerApi().properties.find((p) => p.name === 'accessKey').typeOptions.password, true);
  assert.equal(new CrmwirePerfexApi().properties.find((p) => p.name === 'token').typeOptions.password, true);
  assert.deepEqual(new CrmwirePerfexApi().properties.find((p) => p.name === 'api').options.map((o) => o.value), ['won', 'rest']);
  for (const N of [Vtiger, VtigerTrigger, Perfex]) {
    const n = new N();
    const [c] = n.description.credentials;
    assert.equal(typeof n.methods.credentialTest[c.testedBy], 'function', N.name);
  }
});
