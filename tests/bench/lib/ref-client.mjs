// A plain JavaScript Vtiger webservice client, written for the benchmark the way the existing JS clients work
// (coreBOS ws-lib, n8n-nodes-vtiger-oss, the npm `vtiger` package): fetch + URLSearchParams + JSON.parse, and md5
// from a popular npm package (spark-md5). It is the P3 baseline. It does what those clients do, and no more: no
// tolerant decoding, no typed errors, no re-login, no id validation.
import { createRequire } from 'node:module';

// Self-contained (no harness imports), so P2's cold import of this file costs what a user's would.
const BENCH_PKG = new URL('../package.json', import.meta.url);
const TESTS_JS_PKG = new URL('../../js/package.json', import.meta.url);

function loadSparkMd5() {
  // spark-md5 is a dev dependency of tests/js (the shared JS tooling); tests/bench/node_modules is a fallback.
  for (const base of [TESTS_JS_PKG, BENCH_PKG]) {
    try { return createRequire(base)('spark-md5'); } catch { /* try next */ }
  }
  throw new Error('spark-md5 not installed (cd tests/js && npm install --no-audit --no-fund)');
}
export const SparkMD5 = loadSparkMd5();

export class RefVtigerClient {
  constructor({ url, username, accessKey, fetch }) {
    this.endpoint = url.replace(/\/+$/, '').replace(/\/webservice\.php$/, '') + '/webservice.php';
    this.username = username;
    this.accessKey = accessKey;
    this.fetch = fetch || globalThis.fetch;
    this.sessionName = null;
  }

  async #decode(res) {
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const env = JSON.parse(await res.text());
    if (!env.success) {
      const err = new Error(env.error ? env.error.message : 'unknown error');
      err.code = env.error && env.error.code;
      throw err;
    }
    return env.result;
  }

  async #get(params) {
    const res = await this.fetch(`${this.endpoint}?${new URLSearchParams(params)}`, {
      method: 'GET',
      headers: { Accept: 'application/json' },
    });
    return this.#decode(res);
  }

  async #post(params) {
    const res = await this.fetch(this.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
    });
    return this.#decode(res);
  }

  async login() {
    const { token } = await this.#get({ operation: 'getchallenge', username: this.username });
    const result = await this.#post({
      operation: 'login',
      username: this.username,
      accessKey: SparkMD5.hash(token + this.accessKey),
    });
    this.sessionName = result.sessionName;
    return result;
  }

  retrieve(id) {
    return this.#get({ operation: 'retrieve', sessionName: this.sessionName, id });
  }

  create(module, fields) {
    return this.#post({
      operation: 'create',
      sessionName: this.sessionName,
      elementType: module,
      element: JSON.stringify(fields),
    });
  }

  query(vtql) {
    return this.#get({ operation: 'query', sessionName: this.sessionName, query: vtql });
  }

  /** One sync page: {updated, deleted, more, lastModifiedTime}. */
  syncPage(module, since) {
    return this.#get({
      operation: 'sync',
      sessionName: this.sessionName,
      modifiedTime: String(since),
      elementType: module,
      syncType: 'application',
    });
  }
}
