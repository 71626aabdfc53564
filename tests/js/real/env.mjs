// The server under test, from the environment (no side effects: the runner reads it first and
// explains what is missing; support.mjs refuses to run a suite file without it).
export const PROFILES = ['vtiger-8.4', 'vtiger-8.3', 'patched'];
export const ENV_HELP = `The live-server suite needs a real Vtiger:
  CRMWIRE_REAL_URL         e.g. http://127.0.0.1:8082 (base URL or …/webservice.php)
  CRMWIRE_REAL_USERNAME    e.g. admin
  CRMWIRE_REAL_ACCESS_KEY  the user's webservice access key
  CRMWIRE_REAL_PROFILE     ${PROFILES.join(' | ')} (the same names as crmwire-sim --profile)
optional:
  CRMWIRE_REAL_LAB         the lab folder with sessions/<port>/ (default /srv/vtlab); without it the
                           killed-session scenario is skipped
  ONLY=<text>              run only the suite files whose name contains <text>
  RECORD=1                 append this run to tests/real/RESULTS.md
With the lab of /work/shared/lab running, \`make test-real-lab\` runs all three of its servers.`;

/** `{ url, username, accessKey, profile }`, or `{ missing: [...] }`. */
export function readEnv(env = process.env) {
  const missing = [];
  const get = (k) => {
    const v = env[k];
    if (!v) missing.push(k);
    return v;
  };
  const url = get('CRMWIRE_REAL_URL');
  const username = get('CRMWIRE_REAL_USERNAME');
  const accessKey = get('CRMWIRE_REAL_ACCESS_KEY');
  const profile = get('CRMWIRE_REAL_PROFILE');
  if (missing.length) return { missing };
  if (!PROFILES.includes(profile)) return { missing: [`CRMWIRE_REAL_PROFILE (got '${profile}', want one of ${PROFILES.join(', ')})`] };
  return { url, username, accessKey, profile };
}
