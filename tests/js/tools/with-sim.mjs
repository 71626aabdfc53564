// Runs a command with crmwire-sim (--cors) started on 127.0.0.1 and its address and
// credentials in SIM_URL / SIM_USER / SIM_KEY; stops the simulator afterwards.
//   node tests/js/tools/with-sim.mjs -- node tests/js/tools/pack-smoke.mjs
import { spawnSync } from 'node:child_process';
import { startSim } from '../test/sim.mjs';

const argv = process.argv.slice(2);
const cmd = argv[0] === '--' ? argv.slice(1) : argv;
const sim = await startSim({ cors: true });
let status = 1;
try {
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, SIM_URL: sim.url, SIM_USER: sim.username, SIM_KEY: sim.accessKey } });
  status = r.status ?? 1;
} finally {
  await sim.close();
}
process.exit(status);
