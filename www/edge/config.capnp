# workerd serve www/edge/config.capnp [--socket-addr http=127.0.0.1:PORT]
# Runs worker.mjs with the package files embedded under the names the imports use
# (pkg/workerd.js is the package's compiled-wasm entry). With wrangler, none of this is needed:
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
    # importing module's name, so the bare `crmwire` that proxy.js imports becomes "crmwire/crmwire".
    (name = "crmwire/proxy", esModule = embed "../../pkg/proxy.js"),
    (name = "crmwire/crmwire", esModule = embed "../../pkg/workerd.js"),
    (name = "crmwire/api.js", esModule = embed "../../pkg/api.js"),
    (name = "crmwire/core.js", esModule = embed "../../pkg/core.js"),
    (name = "crmwire/errors.js", esModule = embed "../../pkg/errors.js"),
    (name = "crmwire/gen/crmwire.js", esModule = embed "../../pkg/gen/crmwire.js"),
    (name = "crmwire/gen/crmwire_bg.wasm", wasm = embed "../../pkg/gen/crmwire_bg.wasm"),
    (name = "crmwire/perfex.js", esModule = embed "../../pkg/perfex.js"),
    (name = "crmwire/query.js", esModule = embed "../../pkg/query.js"),
    (name = "crmwire/transport.js", esModule = embed "../../pkg/transport.js"),
    (name = "crmwire/vtiger.js", esModule = embed "../../pkg/vtiger.js"),
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
