// Proxy tests in the real runtimes: node tests/js/proxy/run.mjs [workerd|deno|bun|node ...]
// Starts the simulator, a session recorder in front of it, then each runtime's www/edge example,
// and runs checks.mjs against it. Prints `N passed, N failed`; exits non-zero on failure.
import { Checks, startSim, startTap, stop } from './harness.mjs';
import { RUNTIMES, startProxy, proxyEnv } from './runtimes.mjs';
import { runChecks } from './checks.mjs';

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : RUNTIMES;
const total = new Checks();
for (const rt of wanted) {
  let sim, tap, px;
  try {
    sim = await startSim();
    tap = await startTap(sim.url);
    const t0 = performance.now();
    px = await startProxy(rt, proxyEnv({ ...sim, url: tap.url }));
    console.log(`# ${rt}: proxy up in ${(performance.now() - t0).toFixed(0)} ms at ${px.url}`);
    total.add(await runChecks(rt, px.url, sim, tap, px.proc));
  } catch (e) {
    total.ok(`[${rt}] runtime started and checks ran`, false, e.stack || String(e));
    if (px?.proc) console.log(px.proc.out.slice(-2000));
  } finally {
    await stop(px?.proc);
    await tap?.close();
    await sim?.close();
  }
}
await total.finish();
