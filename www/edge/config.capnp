# workerd serve www/edge/config.capnp [--socket-addr http=127.0.0.1:PORT]
# Runs worker.mjs with the package files embedded under the names the imports use
# (pkg/gen/proxy-workerd.js is crmwire/proxy's workerd entry, built by `make pkg`, with the wasm module
# it imports; node www/edge/workerd-config.mjs rewrites the list). With wrangler, none of this is needed:
# `npm i crmwire` and wrangler bundles `crmwire/proxy` with the `workerd` export condition.
# Every setting comes from the environment (see options.mjs); CRM_ACCESS_KEY never sits in a file.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .proxyWorker),
    # The default outbound only reaches public addresses; a CRM on 127.0.0.1 or a LAN needs "local"/"private".
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const proxyWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "options.mjs", esModule = embed "options.mjs"),
    # The package as if under node_modules/crmwire/. workerd resolves every specifier relative to the
    # importing module's name, so the bundle's `./proxy_bg.wasm` becomes "crmwire/proxy_bg.wasm".
    (name = "crmwire/proxy", esModule = embed "../../pkg/gen/proxy-workerd.js"),
    (name = "crmwire/proxy_bg.wasm", wasm = embed "../../pkg/gen/proxy_bg.wasm"),
  ],
  bindings = [
    (name = "CRM_URL", fromEnvironment = "CRM_URL"),
    (name = "CRM_USERNAME", fromEnvironment = "CRM_USERNAME"),
    (name = "CRM_ACCESS_KEY", fromEnvironment = "CRM_ACCESS_KEY"),
    (name = "PROXY_TOKENS", fromEnvironment = "PROXY_TOKENS"),
    (name = "ALLOWED_ORIGINS", fromEnvironment = "ALLOWED_ORIGINS"),
    (name = "ALLOWED_MODULES", fromEnvironment = "ALLOWED_MODULES"),
    (name = "ALLOWED_OPERATIONS", fromEnvironment = "ALLOWED_OPERATIONS"),
    (name = "MAX_BODY_BYTES", fromEnvironment = "MAX_BODY_BYTES"),
    (name = "RATE_LIMIT", fromEnvironment = "RATE_LIMIT"),
    (name = "PROXY_LOG", fromEnvironment = "PROXY_LOG"),
  ],
  compatibilityDate = "2026-04-01",
);
