# workerd serve www/edge/durable.capnp --socket-addr a=127.0.0.1:PORT --socket-addr b=127.0.0.1:PORT
# durable.mjs as two edge services ("a", "b": separate isolates, like two Workers isolates) bound
# to one Durable Object namespace hosted by a third ("state"): one upstream login and one set of
# rate-limit counters for both. The edges get no CRM credential; only the object does.
# tests/js/proxy/durable.mjs runs this against the simulator. The module list is written by
# workerd-config.mjs, like config.capnp's.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "a", worker = .edgeA),
    (name = "b", worker = .edgeB),
    (name = "state", worker = .stateWorker),
    # The default outbound only reaches public addresses; a CRM on 127.0.0.1 or a LAN needs "local"/"private".
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    (name = "a", address = "127.0.0.1:8788", http = (), service = "a"),
    (name = "b", address = "127.0.0.1:8789", http = (), service = "b"),
  ],
);

const edgeA :Workerd.Worker = (
  modules = .modules,
  bindings = [
    (name = "VTIGER_PROXY", durableObjectNamespace = (className = "VtigerProxyObject", serviceName = "state")),
    (name = "CRM_URL", fromEnvironment = "CRM_URL"),
    (name = "PROXY_TOKENS", fromEnvironment = "PROXY_TOKENS"),
    (name = "ALLOWED_ORIGINS", fromEnvironment = "ALLOWED_ORIGINS"),
    (name = "MAX_BODY_BYTES", fromEnvironment = "MAX_BODY_BYTES"),
    (name = "PROXY_LOG", fromEnvironment = "PROXY_LOG"),
  ],
  compatibilityDate = "2026-04-01",
);

const edgeB :Workerd.Worker = (
  modules = .modules,
  bindings = [
    (name = "VTIGER_PROXY", durableObjectNamespace = (className = "VtigerProxyObject", serviceName = "state")),
    (name = "CRM_URL", fromEnvironment = "CRM_URL"),
    (name = "PROXY_TOKENS", fromEnvironment = "PROXY_TOKENS"),
    (name = "ALLOWED_ORIGINS", fromEnvironment = "ALLOWED_ORIGINS"),
    (name = "MAX_BODY_BYTES", fromEnvironment = "MAX_BODY_BYTES"),
    (name = "PROXY_LOG", fromEnvironment = "PROXY_LOG"),
  ],
  compatibilityDate = "2026-04-01",
);

const stateWorker :Workerd.Worker = (
  modules = .modules,
  durableObjectNamespaces = [ (className = "VtigerProxyObject", uniqueKey = "crmwire-proxy-state") ],
  durableObjectStorage = (inMemory = void),
  bindings = [
    (name = "CRM_URL", fromEnvironment = "CRM_URL"),
    (name = "CRM_USERNAME", fromEnvironment = "CRM_USERNAME"),
    (name = "CRM_ACCESS_KEY", fromEnvironment = "CRM_ACCESS_KEY"),
    (name = "PROXY_TOKENS", fromEnvironment = "PROXY_TOKENS"),
    (name = "ALLOWED_MODULES", fromEnvironment = "ALLOWED_MODULES"),
    (name = "ALLOWED_OPERATIONS", fromEnvironment = "ALLOWED_OPERATIONS"),
    (name = "RATE_LIMIT", fromEnvironment = "RATE_LIMIT"),
  ],
  compatibilityDate = "2026-04-01",
);

const modules :List(Workerd.Worker.Module) = [
    (name = "durable.mjs", esModule = embed "durable.mjs"),
    (name = "options.mjs", esModule = embed "options.mjs"),
    (name = "crmwire/proxy", esModule = embed "../../pkg/gen/proxy-workerd.js"),
    (name = "crmwire/proxy_bg.wasm", wasm = embed "../../pkg/gen/proxy_bg.wasm"),
];
