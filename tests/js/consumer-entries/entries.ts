// The per-CRM entry points' types (make test-types): crmwire/vtiger has the Vtiger API and not the
// Perfex client; crmwire/perfex has the Perfex client and not the Vtiger API; the shared names
// (CrmError, ready, ...) are the same declarations as crmwire's.
import { VtigerClient, select, toVtql, md5Hex, vtqlLiteral, isCrmError, CrmError, ready, initSync, isReady, version, type VtigerRecord, type SyncBatch, type CrmErrorCode, type QuerySpec } from 'crmwire/vtiger';
import { PerfexClient, CrmError as PerfexCrmError, type PerfexCustomer, type PerfexApi } from 'crmwire/perfex';
import * as all from 'crmwire';
// @ts-expect-error crmwire/vtiger has no Perfex client
import { PerfexClient as NoPerfex } from 'crmwire/vtiger';
// @ts-expect-error crmwire/perfex has no Vtiger client
import { VtigerClient as NoVtiger } from 'crmwire/perfex';
// @ts-expect-error crmwire/perfex has no VTQL builder
import { select as noSelect } from 'crmwire/perfex';

const v = new VtigerClient({ url: 'https://crm.example.com', username: 'admin', accessKey: 'key' });
const spec: QuerySpec = select('Contacts').where('lastname', 'like', 'A%').toJSON();
export async function vtiger(): Promise<string> {
  await ready();
  const rows: VtigerRecord[] = await v.query(spec);
  for await (const b of v.sync('Contacts', { since: 0 })) {
    const batch: SyncBatch = b;
    if (batch.updated.length) break;
  }
  return `${rows.length} ${toVtql(spec)} ${md5Hex('x')} ${vtqlLiteral('y')} ${isReady()} ${version()}`;
}

const api: PerfexApi = 'won';
const p = new PerfexClient({ url: 'https://perfex.example.com', token: 't', api });
export async function perfex(): Promise<PerfexCustomer | undefined> {
  for await (const r of p.list('customers')) return r;
  return undefined;
}

// One CrmError class in the types of every entry (an error from crmwire/perfex is a crmwire CrmError).
export function codes(e: unknown): CrmErrorCode | undefined {
  if (e instanceof PerfexCrmError) { const same: all.CrmError = e; return same.code; }
  if (isCrmError(e)) { const c: CrmError = e; return c.code; }
  return undefined;
}
export const loaders: Array<typeof initSync> = [initSync, all.initSync];
void NoPerfex; void NoVtiger; void noSelect; void all.PerfexClient;
