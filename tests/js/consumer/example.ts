// Type-level consumer example: `tsc --noEmit` must accept this against the packed package's
// declarations (tools/typecheck.mjs). No `any` may leak from the public API.
import { CrmError, type CrmErrorCode, initSync, isCrmError, isReady, md5Hex, ready, version } from 'crmwire';

type IsAny<T> = 0 extends 1 & T ? true : false;
type AssertFalse<T extends false> = T;

export async function main(): Promise<string> {
  await ready();
  const ok: boolean = isReady();
  const digest: string = md5Hex('token' + 'key');
  const v: string = version();
  try {
    throw new CrmError('TIMEOUT', 'x', { operation: 'query' });
  } catch (e) {
    if (isCrmError(e)) {
      const code: CrmErrorCode = e.code;
      const crm: string | number | undefined = e.crmCode;
      const status: number | undefined = e.status;
      type _noAny = AssertFalse<IsAny<typeof e.code>>;
      // The code list is closed: a misspelt code is a type error, in a comparison and a constructor.
      // @ts-expect-error no such code
      if (e.code === 'INVALID_SESION') return '';
      // @ts-expect-error no such code
      void new CrmError('TIMEOUTT', 'x');
      if (e.code === 'REDIRECT' || e.code === 'RESPONSE_TOO_LARGE') return String(e.code);
      return `${ok}${digest}${v}${code}${String(crm)}${String(status)}`;
    }
  }
  initSync(new Uint8Array(0));
  return '';
}

import { VtigerClient, select, type SyncBatch } from 'crmwire';
export async function client(): Promise<number> {
  const c = new VtigerClient({ url: 'http://127.0.0.1:1/', username: 'admin', accessKey: 'k', timeoutMs: 1000, fourByteChars: 'replace' });
  const rec = await c.create('Contacts', { lastname: 'x' });
  const id: string = rec.id;
  let n = 0;
  for await (const r of c.queryAll(select('Contacts').fields('lastname').where('mailingcity', 'in', ['Paris']))) n += r.id === id ? 1 : 0;
  for await (const b of c.sync('Contacts', { since: 0 })) { const s: SyncBatch = b; n += s.updated.length; }
  const total: number = await c.count({ module: 'Contacts' });
  return n + total + (c.serverInfo().operations.sync ? 1 : 0);
}

import type { SyncStrategy, VtigerProxyOptions } from 'crmwire';
export async function syncAndProxy(): Promise<string> {
  const opts: VtigerProxyOptions = { url: 'http://127.0.0.1:1/proxy', auth: 'proxy', token: 't' };
  const p = new VtigerClient(opts);
  const d = new VtigerClient({ url: 'http://127.0.0.1:1/', username: 'admin', accessKey: 'k' });
  let cp = '';
  for await (const b of d.sync('Contacts', { since: new Date(0), scope: 'user', onProgress: (x) => void x.deleted.length })) {
    const s: SyncStrategy = b.strategy;
    const deleted: string[] = b.deleted;
    cp = b.checkpoint + s + deleted.join();
  }
  for await (const b of p.sync('Contacts', { since: cp })) cp = b.checkpoint;
  // @ts-expect-error a direct client needs an access key
  new VtigerClient({ url: 'http://x/', username: 'admin' });
  return cp;
}

import type { VtigerFile, LogoutResult, FileInput } from 'crmwire';
export async function documentsFieldsLogout(): Promise<number> {
  const c = new VtigerClient({ url: 'http://127.0.0.1:1/', username: 'admin', accessKey: 'k', checkFields: false });
  const file: FileInput = { data: new Uint8Array([1, 2]), name: 'a.bin', type: 'application/octet-stream' };
  const doc = await c.create('Documents', { notes_title: 'x', birthday: new Date() }, { file });
  await c.revise({ id: doc.id }, { file: new Blob(['x']), signal: AbortSignal.timeout(1000) });
  const files: VtigerFile[] = await c.filesRetrieve(doc.id);
  const bytes: Uint8Array = files[0].data;
  const out: LogoutResult = await c.logout();
  const code: string | undefined = out.error?.code;
  // @ts-expect-error checkFields is a boolean
  new VtigerClient({ url: 'http://x/', username: 'admin', accessKey: 'k', checkFields: 'no' });
  // @ts-expect-error a file needs a name
  void c.create('Documents', {}, { file: { data: new Uint8Array(1) } });
  return bytes.length + files[0].size + (code ? 1 : 0);
}

import type { BulkResult, UpsertResult, VtigerRecord } from 'crmwire';
export async function poolAndBulk(): Promise<number> {
  const c = new VtigerClient({ url: 'http://127.0.0.1:1/', username: 'admin', accessKey: 'k', sessions: 4 });
  const made: BulkResult<VtigerRecord>[] = await c.createMany('Contacts', [{ lastname: 'a' }], {
    concurrency: 4,
    signal: AbortSignal.timeout(1000),
    onProgress: (p) => void (p.done + p.total + p.succeeded + p.failed),
  });
  let n = 0;
  for (const r of made) {
    if (r.ok) n += r.record.id.length;
    else if (r.error.code === 'OUTCOME_UNKNOWN' || r.error.code === 'ABORTED') n++;
  }
  const up: UpsertResult<VtigerRecord>[] = await c.upsert('Contacts', [{ lastname: 'a', email: 'a@x' }], { match: ['email'] });
  for (const r of up) if (r.ok && r.action === 'revised') n++;
  else if (!r.ok && r.error.code === 'MULTIPLE_MATCHES') n++;
  await c.reviseMany([{ id: '12x1', title: 't' }]);
  await c.updateMany([{ id: '12x1', lastname: 'b' }]);
  const del = await c.deleteMany(['12x1']);
  if (del[0].ok) n += del[0].record.id.length;
  // @ts-expect-error upsert needs match
  void c.upsert('Contacts', [], {});
  // @ts-expect-error proxy mode has no sessions option
  new VtigerClient({ url: 'http://x/', auth: 'proxy', sessions: 2 });
  // @ts-expect-error a result's action exists only on upsert results
  if (made[0].ok) void made[0].action;
  return n;
}
