// Deno: deno run --config www/edge/deno.json --allow-net=127.0.0.1 --allow-read=pkg --allow-env www/edge/deno.mjs
// (From npm: import { createVtigerProxy } from 'npm:crmwire/proxy'.)
import { createVtigerProxy } from '../../pkg/gen/proxy-web.js'; // crmwire/proxy's Deno entry (make pkg)
import { optionsFromEnv } from './options.mjs';

const handler = createVtigerProxy(optionsFromEnv(Deno.env.toObject()));
Deno.serve({
  hostname: Deno.env.get('HOST') ?? '127.0.0.1',
  port: Number(Deno.env.get('PORT') ?? 8788),
  onListen: ({ hostname, port }) => console.log(`crmwire proxy (deno ${Deno.version.deno}) listening on http://${hostname}:${port}/`),
}, handler);
