// Valid create fields per API module and resource (unique per call), for the Perfex suites.

let seq = 0;
export const tag = () => `${process.pid}x${Date.now() % 100000}x${++seq}`;

/** Valid create fields per API and resource, plus the field and value each update changes. */
export function fixtures(api) {
  const u = tag();
  const num = String(700000 + (Date.now() % 100000) + seq);
  const won = {
    customers: [{ company: `Won Co ${u}`, vat: '529.982.247-25', city: 'Recife' }, { city: 'Natal' }],
    contacts: [{ customer_id: '1', firstname: 'Ana', lastname: `Won ${u}`, email: `ana.${u}@example.com` }, { title: 'CFO' }],
    leads: [{ name: `Lead Won ${u}`, email: `lead.${u}@example.com`, status: '1', source: '1' }, { company: 'Lead Co' }],
    projects: [{ name: `Proj Won ${u}`, clientid: '1', start_date: '2025-06-01', status: '2' }, { description: 'updated' }],
    tasks: [{ name: `Task Won ${u}`, startdate: '2025-06-01', duedate: '2025-06-30' }, { priority: '3' }],
    invoices: [{ clientid: '1', number: num, date: '2025-06-01', duedate: '2025-07-01', currency: '1', subtotal: '10.00', total: '10.00' }, { clientnote: 'thanks' }],
  };
  const items = [{ description: 'Work', qty: '2', rate: '50.00' }];
  const rest = {
    customers: [{ company: `Rest Co ${u}`, vat: 'DE123456789', city: 'Berlin' }, { city: 'Hamburg' }],
    contacts: [{ customer_id: '1', firstname: 'Bia', lastname: `Rest ${u}`, email: `bia.${u}@example.com`, password: 'S3cret!pass' }, { email: `bia2.${u}@example.com`, title: 'CEO' }],
    leads: [{ name: `Lead Rest ${u}`, source: '1', status: '1', assigned: '1', email: `lr.${u}@example.com` }, { company: 'Lead Co' }],
    projects: [{ name: `Proj Rest ${u}`, clientid: '1', billing_type: '1', start_date: '2025-06-01', status: '2' }, { description: 'updated' }],
    tasks: [{ name: `Task Rest ${u}`, startdate: '2025-06-01' }, { priority: '3' }],
    invoices: [
      { clientid: '1', number: num, date: '2025-06-01', currency: '1', items, allowed_payment_modes: ['1'], billing_street: 'Rua X', subtotal: '100.00', total: '100.00' },
      { number: num, date: '2025-06-02', currency: '1', items, allowed_payment_modes: ['1'], billing_street: 'Rua Y', subtotal: '100.00', total: '100.00', clientnote: 'thanks' },
    ],
  };
  return api === 'won' ? won : rest;
}
