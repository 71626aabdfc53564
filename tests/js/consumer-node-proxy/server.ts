// A Node project's view of crmwire/proxy WITH @types/node: toNodeListener's structural request and
// response types must accept node:http's IncomingMessage / ServerResponse.
import http from 'node:http';
import { createVtigerProxy, toNodeListener, type VtigerEdgeProxyOptions } from 'crmwire/proxy';

const options: VtigerEdgeProxyOptions = {
  target: 'http://127.0.0.1:1', username: 'admin', accessKey: 'k', tokens: ['a-long-token-0123456789'], allow: { modules: '*' },
};
const server = http.createServer(toNodeListener(createVtigerProxy(options), { trustProxy: false }));
const listener: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> = toNodeListener(createVtigerProxy(options));
export { server, listener };
