// The server side of memory.mjs: crmwire/proxy behind toNodeListener, with an authorize hook that
// takes a while to decide (a remote token check), so that uploads arrive while nothing reads them.
//   CRM_URL=… PORT=0 node tests/js/proxy/memory-server.mjs
import http from 'node:http';
import { createVtigerProxy, toNodeListener } from 'crmwire/proxy';

const handler = createVtigerProxy({
  target: process.env.CRM_URL,
  username: 'admin',
  accessKey: 'unused-here',
  allow: { modules: ['Contacts'] },
  maxBodyBytes: 65536,
  log: false,
  authorize: async (request) => {
    await new Promise((r) => setTimeout(r, 1000));
    return request.headers.get('x-caller') === 'ok' ? { id: 'ok' } : null;
  },
});
const server = http.createServer(toNodeListener(handler));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
