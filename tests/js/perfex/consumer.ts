// Type-level checks of the Perfex declarations (tsc --noEmit, strict; see README-perfex.md).
// Not run by node: `node tests/js/perfex/typecheck.mjs`.
import { PerfexClient, isCrmError, CrmError } from 'crmwire';
import type { PerfexCustomer, PerfexNormalizedRecord, PerfexRecord, PerfexWriteResult, PerfexInvoice } from 'crmwire';

async function demo(signal: AbortSignal): Promise<void> {
  const won = new PerfexClient({ url: 'https://crm.example', token: 't', api: 'won', locale: 'pt-BR', timeoutMs: 5000 });
  const c: PerfexCustomer = await won.get('customers', 1);
  const company: string | null = c.company;
  const uid: string = c.userid;
  for await (const inv of won.list('invoices', { pageSize: 50, filters: { clientid: 2 }, signal })) {
    const i: PerfexInvoice = inv;
    const n: string | null = i.number;
    void n;
  }
  const created: PerfexWriteResult<PerfexCustomer> = await won.create('customers', { company: 'Acme', vat: '123.456.789-01', active: true });
  const err: CrmError | undefined = created.lookupError;
  const del = await won.delete('leads', '3');
  const msg: string = del.message;

  const rest = new PerfexClient({ url: 'https://crm.example', token: 'jwt', api: 'rest', normalize: true });
  const nrec: PerfexNormalizedRecord = await rest.get('contacts', 5, { customerId: 1 });
  const flag: string | boolean | null | unknown = nrec.active;
  const id: string = nrec.id;
  const raw: PerfexRecord = await rest.get('tasks', 1, { normalize: false });
  const cc = rest.customerContacts(1, { maxRecords: 10 });
  for await (const ct of cc) {
    const x: PerfexNormalizedRecord = ct;
    void x;
  }
  try {
    await rest.joinByVat('12345678901');
  } catch (e) {
    if (isCrmError(e)) {
      const code: string = e.code;
      const fe: Readonly<Record<string, string>> | undefined = e.fieldErrors;
      void code, fe;
    }
  }
  // @ts-expect-error: unknown resource
  await won.get('accounts', 1);
  // @ts-expect-error: api must be won or rest
  new PerfexClient({ url: 'x', token: 't', api: 'soap' });
  // @ts-expect-error: records of the raw view are strings or null, not booleans
  const b: boolean = c.active;
  // @ts-expect-error: normalised records are not the raw type
  const r2: PerfexCustomer = await rest.get('customers', 1);
  void company, uid, err, msg, flag, id, raw, b, r2;
}
void demo;
