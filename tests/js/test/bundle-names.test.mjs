// The shipped bundles are minified (tests/js/tools/bundle.mjs): what users see by name stays.
// The public classes keep their names (console.log and util.inspect print them), CrmError keeps
// its `name` and the stack's first line, and each entry exports the same names as before.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { inspect } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const GEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../pkg/gen');
const load = (f) => import(pathToFileURL(path.join(GEN, f)).href);
const opts = { url: 'http://127.0.0.1:9/', username: 'u', accessKey: 'k', fetch: async () => { throw new Error('not used'); } };

// The workerd bundles import the .wasm as a module (workerd only): the bundler matrix runs them.
for (const runtime of ['node', 'web']) {
  test(`${runtime} bundles: public classes keep their names`, async () => {
    const all = await load(`crmwire-${runtime}.js`);
    const vt = await load(`vtiger-${runtime}.js`);
    const pf = await load(`perfex-${runtime}.js`);
    for (const [m, names] of [[all, ['CrmError', 'VtigerClient', 'PerfexClient', 'Query']], [vt, ['CrmError', 'VtigerClient', 'Query']], [pf, ['CrmError', 'PerfexClient']]]) {
      for (const n of names) assert.equal(m[n].name, n);
    }
    assert.equal(vt.PerfexClient, undefined);
    assert.equal(pf.VtigerClient, undefined);
    if (runtime === 'node') {
      assert.match(inspect(new vt.VtigerClient(opts)), /^VtigerClient \{/);
      assert.match(inspect(new pf.PerfexClient({ url: 'http://127.0.0.1:9/', token: 't', api: 'rest' })), /^PerfexClient \{/);
    }
    assert.match(inspect(vt.select('Contacts')), /^Query \{/);
  });
}

test('a CrmError from the minified bundle: name, code, stack header, instanceof across copies', async () => {
  const vt = await load('vtiger-node.js');
  const all = await load('crmwire-node.js');
  let e;
  try {
    new vt.VtigerClient({ url: 'http://127.0.0.1:9/' });
  } catch (x) {
    e = x;
  }
  assert.equal(e.name, 'CrmError');
  assert.equal(e.code, 'INVALID_INPUT');
  assert.equal(e.constructor.name, 'CrmError');
  assert.match(e.stack, /^CrmError: option 'username' must be a non-empty string\n/);
  assert.match(inspect(e), /^CrmError: option 'username'/);
  assert.ok(e instanceof vt.CrmError && e instanceof all.CrmError && all.isCrmError(e));
});
