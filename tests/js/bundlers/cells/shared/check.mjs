// The consumer's real call, shared by every cell: create a contact and query it back with the
// builder, against the simulator (or the crmwire/proxy in front of it). Returns a plain object
// the runner asserts on; a failure is returned (not thrown) with its code, so a loading failure
// shows whether it surfaced as a CrmError.
import { VtigerClient, select, isCrmError, md5Hex, ready, version } from 'crmwire';

export async function check(cfg) {
  try {
    const crm = cfg.token
      ? new VtigerClient({ url: cfg.url, auth: 'proxy', token: cfg.token })
      : new VtigerClient({ url: cfg.url, username: cfg.username, accessKey: cfg.accessKey });
    const lastname = `Matrix-${cfg.cell}-${Date.now()}`;
    const created = await crm.create('Contacts', { lastname, assigned_user_id: '19x1' });
    const rows = await crm.query(select('Contacts').fields('id', 'lastname').where('lastname', lastname));
    await ready();
    return { ok: true, created: created.id, rows: rows.map((r) => `${r.id} ${r.lastname}`), lastname, md5: md5Hex('abc'), version: version() };
  } catch (e) {
    return { ok: false, crmError: isCrmError(e), code: e?.code ?? null, name: e?.name ?? null, message: String(e?.message ?? e) };
  }
}
