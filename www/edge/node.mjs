// Node 20+: node www/edge/node.mjs   (from npm: import { createVtigerProxy, toNodeListener } from 'crmwire/proxy')
import http from 'node:http';
import { createVtigerProxy, toNodeListener } from '../../pkg/gen/proxy-node.js'; // crmwire/proxy's Node entry (make pkg)
import { optionsFromEnv } from './options.mjs';

const handler = createVtigerProxy(optionsFromEnv(process.env));
const server = http.createServer(toNodeListener(handler));
server.listen(Number(process.env.PORT ?? 8790), process.env.HOST ?? '127.0.0.1', () => {
  const a = server.address();
  console.log(`crmwire proxy (node ${process.version}) listening on http://${a.address}:${a.port}/`);
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
