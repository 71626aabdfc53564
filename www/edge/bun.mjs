// Bun: bun www/edge/bun.mjs   (from npm: import { createVtigerProxy } from 'crmwire/proxy')
import { createVtigerProxy } from '../../pkg/gen/proxy-node.js'; // crmwire/proxy's Node/Bun entry (make pkg)
import { optionsFromEnv } from './options.mjs';

const handler = createVtigerProxy(optionsFromEnv(process.env));
const server = Bun.serve({
  hostname: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 8789),
  fetch: handler,
});
console.log(`crmwire proxy (bun ${Bun.version}) listening on ${server.url}`);
