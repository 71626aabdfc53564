// A Worker using the client directly (no proxy). Run with the .wasm as a compiled module (wrangler's
// default) it answers md5Hex('abc'); with a wrong module rule (e.g. `Data`: an ArrayBuffer) the first
// use must fail with a CrmError that says what to do.
import { md5Hex, isCrmError } from 'crmwire';

export default {
  fetch() {
    try {
      return Response.json({ ok: true, md5: md5Hex('abc') });
    } catch (e) {
      return Response.json({ ok: false, crmError: isCrmError(e), code: e?.code ?? null, message: String(e?.message ?? e) });
    }
  },
};
