//! crmwire-sim: a stateful simulator of the Vtiger 8.x classic webservice (`/webservice.php`),
//! driven by real recordings (tests/fixtures/vtiger), plus the Perfex routes (`perfex`).
//!
//! Library half: tests start it in-process with [`start`]; the binary (`src/main.rs`) is a CLI
//! around the same functions.

pub mod json;
pub mod ops;
pub mod perfex;
pub mod schema;
pub mod server;
pub mod sql;
pub mod store;
pub mod vtql;

use axum::routing::{any, post};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tower::ServiceExt;

pub const DEFAULT_ACCESS_KEY: &str = "crmwireSimKey123";
pub const DEFAULT_PERFEX_TOKEN: &str = "crmwire-sim-perfex-token";
/// PHP's default `post_max_size` (8 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Stock 8.4.0: sync and retrieve_inventory are HTTP 500.
    V84,
    /// Stock 8.3.0: sync, logout, convertlead, files_retrieve, retrieve_inventory are HTTP 500.
    V83,
    /// 8.4 with `sync` working as recorded on the fixed server.
    Patched,
}

impl Profile {
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "vtiger-8.4" | "8.4" | "vtiger-8.4.0" => Some(Profile::V84),
            "vtiger-8.3" | "8.3" | "vtiger-8.3.0" => Some(Profile::V83),
            "patched" | "vtiger-8.4-patched" => Some(Profile::Patched),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Profile::V84 => "vtiger-8.4",
            Profile::V83 => "vtiger-8.3",
            Profile::Patched => "patched",
        }
    }
    pub fn version(self) -> &'static str {
        match self {
            Profile::V83 => "8.3.0",
            _ => "8.4.0",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub profile: Profile,
    pub username: String,
    pub access_key: String,
    /// A session unused for longer than this is gone (INVALID_SESSIONID).
    pub session_idle_secs: i64,
    /// Contacts to seed (the other modules get a fixed demo set).
    pub seed_records: usize,
    pub seed: u64,
    pub cors: bool,
    pub perfex_token: String,
    pub perfex_won_defects: bool,
    /// Start with no records at all (the replay tests build the recorded state themselves).
    pub empty: bool,
    /// A fixed delay per webservice request, in ms (not CPU: a timer), served while the request
    /// holds its session's lock; 0 = none. Changeable at run time (`POST /__sim/service-time`).
    pub service_ms: u64,
    /// With a service time: how many webservice requests are served at once (the CPUs of a
    /// PHP server; the lab's have 2), the others queue; 0 = no limit. `POST /__sim/service-time`
    /// changes it too.
    pub cpus: u64,
    /// The largest request body read; a longer one is answered 413 (read and discarded, never
    /// held in memory).
    pub max_body_bytes: usize,
    /// PHP's `upload_max_filesize`: a larger file part is dropped (UPLOAD_ERR_INI_SIZE) and
    /// Vtiger saves the Document without it. Default 2 MiB, PHP's default ("2M").
    pub upload_max_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            profile: Profile::V84,
            username: "admin".into(),
            access_key: DEFAULT_ACCESS_KEY.into(),
            session_idle_secs: 1440,
            seed_records: 250,
            seed: 1,
            cors: false,
            perfex_token: DEFAULT_PERFEX_TOKEN.into(),
            perfex_won_defects: false,
            empty: false,
            service_ms: 0,
            cpus: 0,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            upload_max_bytes: 2 * 1024 * 1024,
        }
    }
}

pub struct App {
    pub cfg: Config,
    pub db: Mutex<store::Db>,
    pub faults: Mutex<Vec<server::FaultRule>>,
    /// The current service time in ms (starts at `cfg.service_ms`).
    pub service_ms: AtomicU64,
    /// The CPUs serving webservice requests while a service time is set (`cfg.cpus`).
    pub cpus: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
    /// One lock per `sessionName`: PHP's session file lock (see `server::SessionLock`).
    pub session_locks: server::SessionLocks,
}

impl App {
    pub fn new(cfg: Config) -> Arc<App> {
        let schema = Arc::new(schema::Schema::load());
        let mut db = store::Db::new(schema, &cfg.username, &cfg.access_key, 0);
        if !cfg.empty {
            db.seed(cfg.seed, cfg.seed_records);
        }
        Arc::new(App {
            service_ms: AtomicU64::new(cfg.service_ms),
            cpus: Mutex::new(server::cpus(cfg.cpus)),
            cfg,
            db: Mutex::new(db),
            faults: Mutex::new(Vec::new()),
            session_locks: Default::default(),
        })
    }
}

pub fn router(app: Arc<App>) -> axum::Router {
    let vt = axum::Router::new()
        .route("/webservice.php", any(server::webservice))
        .route(
            "/__sim/faults",
            post(server::faults)
                .delete(server::faults)
                .get(server::faults),
        )
        .route("/__sim/stats", any(server::stats))
        .route("/__sim/clock", post(server::clock))
        .route("/__sim/service-time", post(server::service_time))
        .fallback(server::fallback)
        .with_state(app.clone());
    vt.merge(perfex::router(perfex::PerfexConfig {
        token: app.cfg.perfex_token.clone(),
        won_defects: app.cfg.perfex_won_defects,
    }))
}

/// Binds 127.0.0.1:`port` (0 = any free port).
pub async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).await
}

/// Serves until `shutdown` resolves. Each connection can be dropped on demand (`reset` fault).
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let router = router(app);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((sock, peer)) = r else { continue };
                let _ = sock.set_nodelay(true);
                let router = router.clone();
                tokio::spawn(async move {
                    let reset = Arc::new(tokio::sync::Notify::new());
                    let r2 = reset.clone();
                    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(server::ResetHandle(r2.clone()));
                        req.extensions_mut().insert(server::Peer(peer));
                        router.clone().oneshot(req.map(axum::body::Body::new))
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(sock), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = reset.notified() => {}
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
}

/// Starts a simulator in the current runtime on a free loopback port (for tests).
pub async fn start(cfg: Config) -> (SocketAddr, Arc<App>) {
    let app = App::new(cfg);
    let listener = bind(0).await.expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app.clone(), std::future::pending()));
    (addr, app)
}
