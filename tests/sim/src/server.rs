//! HTTP layer: `/webservice.php` dispatch (transport rules, sessions, profiles), fault injection,
//! the `/__sim/*` control routes, CORS, and an accept loop that can drop a connection on demand.

use crate::json;
use crate::ops::{self, param, Ctx, FilePart, Params};
use crate::store::{Db, Fail};
use crate::{App, Profile};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The per-session locks: `sessionName` → its lock, an entry only while someone holds or waits for
/// it (so bogus session names leave nothing behind).
#[derive(Default)]
pub struct SessionLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

/// A held session lock; released (and its entry dropped when nobody waits) on drop, also when the
/// request's future is dropped because the client went away.
pub struct SessionLock {
    app: Arc<App>,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl SessionLock {
    /// Waits for the session's lock; no lock for an empty session name (a new PHP session).
    pub async fn acquire(app: &Arc<App>, session: &str) -> Option<SessionLock> {
        if session.is_empty() {
            return None;
        }
        let lock = app
            .session_locks
            .0
            .lock()
            .unwrap()
            .entry(session.to_string())
            .or_default()
            .clone();
        let mut held = SessionLock {
            app: app.clone(),
            key: session.to_string(),
            lock: lock.clone(),
            guard: None,
        };
        held.guard = Some(lock.lock_owned().await);
        Some(held)
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        let mut map = self.app.session_locks.0.lock().unwrap();
        self.guard.take();
        // Only the map and this handle still point at it: nobody holds or waits.
        if Arc::strong_count(&self.lock) == 2 {
            map.remove(&self.key);
        }
    }
}

enum ReadBody {
    Read(Bytes),
    TooLarge,
    Broken,
}

/// How long an over-long body is still read (and discarded) so that the client, still sending,
/// gets the 413 rather than a reset (nginx's `lingering_time` is 30 s as well).
const LINGER: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads at most `cap` bytes of the request body. A body that declares or turns out to be longer
/// is never held: the rest is read and discarded (memory stays flat) and the answer is 413, as a
/// front web server gives (nginx `client_max_body_size`; bare PHP would drop the POST data).
async fn read_body(body: Body, headers: &HeaderMap, cap: usize) -> ReadBody {
    use futures_util::StreamExt;
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut over = declared.is_some_and(|n| n > cap as u64);
    let mut buf = Vec::new();
    let mut stream = body.into_data_stream();
    let deadline = tokio::time::Instant::now() + LINGER;
    loop {
        let next = if over {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(n) => n,
                Err(_) => break,
            }
        } else {
            stream.next().await
        };
        match next {
            None => break,
            Some(Err(_)) if over => break,
            Some(Err(_)) => return ReadBody::Broken,
            Some(Ok(chunk)) => {
                if !over && buf.len() + chunk.len() > cap {
                    over = true;
                    buf = Vec::new();
                }
                if !over {
                    buf.extend_from_slice(&chunk);
                }
            }
        }
    }
    if over {
        ReadBody::TooLarge
    } else {
        ReadBody::Read(Bytes::from(buf))
    }
}

const TOO_LARGE: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n</body>\r\n</html>\r\n";

/// Per-connection handle: notifying it drops the connection without a response.
#[derive(Clone)]
pub struct ResetHandle(pub Arc<Notify>);

#[derive(Clone, Copy)]
pub struct Peer(pub SocketAddr);

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    PhpNotice,
    Bom,
    ControlChar,
    HtmlFatal,
    Empty500,
    Truncated,
    DelayHeaders(u64),
    DelayBody(u64),
    Reset,
    ExpireSessions,
    /// Only the session the request names is dropped (a pool's other sessions stay valid).
    ExpireSession,
}

impl Fault {
    pub fn parse(name: &str, ms: Option<u64>) -> Option<Fault> {
        let (name, inline) = match name.split_once(['=', ':']) {
            Some((n, v)) => (n.trim(), v.trim().parse().ok()),
            None => (name.trim(), None),
        };
        let ms = inline.or(ms).unwrap_or(0);
        Some(match name {
            "php_notice" => Fault::PhpNotice,
            "bom" => Fault::Bom,
            "control_char" => Fault::ControlChar,
            "html_fatal" => Fault::HtmlFatal,
            "empty_500" => Fault::Empty500,
            "truncated" => Fault::Truncated,
            "delay_headers_ms" => Fault::DelayHeaders(ms),
            "delay_body_ms" => Fault::DelayBody(ms),
            "reset" => Fault::Reset,
            "expire_sessions" => Fault::ExpireSessions,
            "expire_session" => Fault::ExpireSession,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct FaultRule {
    pub fault: Fault,
    /// Remaining uses; None = until cleared.
    pub count: Option<u64>,
    /// Only for this operation (case-insensitive); None = every webservice request.
    pub operation: Option<String>,
}

pub struct Out {
    pub status: u16,
    pub ctype: &'static str,
    pub body: String,
}

fn out_json(body: String) -> Out {
    Out {
        status: 200,
        ctype: "application/json",
        body,
    }
}

fn from_fail(f: Fail) -> Out {
    match f {
        Fail::Api(code, msg) => out_json(json::error(code, &msg)),
        Fail::Raw(status, ctype, body) => Out {
            status,
            ctype,
            body,
        },
    }
}

fn empty500() -> Out {
    Out {
        status: 500,
        ctype: "text/html; charset=UTF-8",
        body: String::new(),
    }
}

/// (name, GET-type?, prelogin?)
const OPS: &[(&str, bool, bool)] = &[
    ("getchallenge", true, true),
    ("login", false, true),
    ("logout", false, false),
    ("extendsession", false, true),
    ("listtypes", true, false),
    ("describe", true, false),
    ("create", false, false),
    ("retrieve", true, false),
    ("update", false, false),
    ("revise", false, false),
    ("delete", false, false),
    ("query", true, false),
    ("sync", true, false),
    ("relatedtypes", true, false),
    ("retrieve_related", true, false),
    ("query_related", true, false),
    ("add_related", false, false),
    ("convertlead", false, false),
    ("files_retrieve", true, false),
    ("retrieve_inventory", true, false),
    ("wsapp_register", false, false),
    ("wsapp_get", false, false),
    ("wsapp_deregister", false, false),
];

/// The webservice proper. `post` is the request method; `query`/`form` the decoded parameters.
pub fn dispatch(app: &App, post: bool, query: &Params, form: &Params, files: Vec<FilePart>) -> Out {
    let either = |k: &str| param(query, k).or_else(|| param(form, k));
    if let Some(f) = either("format") {
        if f != "json" {
            return Out {
                status: 500,
                ctype: "application/json",
                body: String::new(),
            };
        }
    }
    let op = either("operation").unwrap_or("").to_ascii_lowercase();
    let mut db = app.db.lock().unwrap();
    if !op.is_empty() {
        *db.stats.requests.entry(op.clone()).or_insert(0) += 1;
    }
    let Some(&(name, get_type, prelogin)) = OPS.iter().find(|(n, _, _)| *n == op) else {
        return empty500();
    };
    let params = if get_type { query } else { form };
    let cfg = &app.cfg;
    let res = (|| -> Result<String, Fail> {
        match name {
            "getchallenge" => return ops::getchallenge(&mut db, params),
            "login" => return ops::login(&mut db, cfg, params),
            _ => {}
        }
        let sess = either("sessionName").unwrap_or("").to_string();
        let phpsessid = either("PHPSESSID").is_some();
        if name == "extendsession" && !post {
            return Err(crate::store::api(
                "AUTHENTICATION_REQUIRED",
                "Authencation required",
            ));
        }
        let user = match check_session(&mut db, cfg, &sess, phpsessid) {
            Ok(u) => u,
            Err(e) => {
                if name == "extendsession" {
                    return Err(crate::store::api(
                        "AUTHENTICATION_FAILURE",
                        "Authencation Failed",
                    ));
                }
                return Err(e);
            }
        };
        let _ = prelogin;
        // Operations that die with a PHP fatal (HTTP 500, empty body) in this profile.
        let dies = match cfg.profile {
            Profile::V84 => matches!(name, "sync" | "retrieve_inventory"),
            Profile::Patched => matches!(name, "retrieve_inventory"),
            // wsapp_register: `Unknown named parameter $synctype` (vtiger-8.3.0/930).
            Profile::V83 => matches!(
                name,
                "sync"
                    | "logout"
                    | "convertlead"
                    | "files_retrieve"
                    | "retrieve_inventory"
                    | "wsapp_register"
            ),
        };
        if name == "logout" && !post {
            return Err(crate::store::api(
                "OPERATION_NOT_SUPPORTED",
                "Permission to perform the operation is denied",
            ));
        }
        if dies {
            return Err(crate::store::http500());
        }
        let mut ctx = Ctx {
            db: &mut db,
            cfg,
            user,
            session: sess,
            files,
            mode_edit: false,
        };
        let c = &mut ctx;
        match name {
            "extendsession" => ops::extendsession(c),
            "logout" => ops::logout(c),
            "listtypes" => ops::listtypes(c, params),
            "describe" => ops::describe(c, params),
            "create" => ops::create(c, params),
            "retrieve" => ops::retrieve(c, params),
            "update" => ops::update(c, params, false),
            "revise" => ops::update(c, params, true),
            "delete" => ops::delete(c, params),
            "query" => ops::query(c, params),
            "sync" => ops::sync(c, params),
            "relatedtypes" => ops::relatedtypes(c, params),
            "retrieve_related" => ops::retrieve_related(c, params),
            "query_related" => ops::query_related(c, params),
            "add_related" => ops::add_related(c, params),
            "convertlead" => ops::convertlead(c, params),
            "files_retrieve" => ops::files_retrieve(c, params),
            "wsapp_register" => ops::wsapp_register(c, params),
            "wsapp_get" => ops::wsapp_get(c, params),
            "wsapp_deregister" => ops::wsapp_deregister(c, params),
            _ => Err(crate::store::http500()),
        }
    })();
    match res {
        Ok(body) => out_json(body),
        Err(f) => from_fail(f),
    }
}

fn check_session(
    db: &mut Db,
    cfg: &crate::Config,
    sess: &str,
    phpsessid: bool,
) -> Result<u64, Fail> {
    let invalid = || {
        crate::store::api(
            "INVALID_SESSIONID",
            "Session Identifier provided is Invalid",
        )
    };
    if sess.is_empty() {
        return Err(crate::store::api(
            "AUTHENTICATION_REQUIRED",
            "Authencation required",
        ));
    }
    if phpsessid {
        return Err(invalid());
    }
    let now = db.now();
    let expired = match db.sessions.get(sess) {
        None => return Err(invalid()),
        Some(s) => now - s.last_used > cfg.session_idle_secs,
    };
    if expired {
        db.sessions.remove(sess);
        return Err(invalid());
    }
    let s = db.sessions.get_mut(sess).unwrap();
    s.last_used = now;
    Ok(s.user)
}

pub fn parse_pairs(s: &str) -> Params {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s).unwrap_or_default()
}

/// Minimal multipart/form-data reader: text fields and file parts.
pub fn parse_multipart(ctype: &str, body: &[u8]) -> (Params, Vec<FilePart>) {
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let Some(b) = ctype.split("boundary=").nth(1) else {
        return (fields, files);
    };
    let b = b.trim_matches('"');
    let delim = format!("--{b}");
    let d = delim.as_bytes();
    let mut parts = Vec::new();
    let mut i = 0;
    let find = |hay: &[u8], from: usize| -> Option<usize> {
        hay[from..]
            .windows(d.len())
            .position(|w| w == d)
            .map(|p| p + from)
    };
    while let Some(p) = find(body, i) {
        if let Some(prev) = parts.last_mut() {
            let (s, _): &mut (usize, usize) = prev;
            *prev = (*s, p);
        }
        let start = p + d.len();
        parts.push((start, body.len()));
        i = start;
    }
    for (s, e) in parts {
        let part = &body[s..e];
        if part.starts_with(b"--") {
            continue;
        }
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(hend) = part.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..hend]).to_string();
        let data = part[hend + 4..].to_vec();
        let attr = |k: &str| -> Option<String> {
            let pat = format!("{k}=\"");
            head.find(&pat).map(|p| {
                let r = &head[p + pat.len()..];
                r[..r.find('"').unwrap_or(r.len())].to_string()
            })
        };
        let name = attr("name").unwrap_or_default();
        match attr("filename") {
            Some(fname) => {
                let ct = head
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("content-type:"))
                    .map(|l| l[13..].trim().to_string())
                    .unwrap_or_else(|| "application/octet-stream".into());
                files.push(FilePart {
                    field: name,
                    filename: fname,
                    content_type: ct,
                    data,
                });
            }
            None => fields.push((name, String::from_utf8_lossy(&data).to_string())),
        }
    }
    (fields, files)
}

fn take_fault(app: &App, op: &str, header: Option<&str>) -> Option<Fault> {
    if let Some(h) = header {
        if let Some(f) = Fault::parse(h, None) {
            return Some(f);
        }
    }
    let mut rules = app.faults.lock().unwrap();
    let pos = rules.iter().position(|r| {
        r.operation
            .as_deref()
            .map(|o| o.eq_ignore_ascii_case(op))
            .unwrap_or(true)
    })?;
    let f = rules[pos].fault.clone();
    if let Some(c) = rules[pos].count.as_mut() {
        *c = c.saturating_sub(1);
        if *c == 0 {
            rules.remove(pos);
        }
    }
    Some(f)
}

fn cors_headers(app: &App, req_headers: &HeaderMap, resp: &mut Response) {
    if !app.cfg.cors {
        return;
    }
    let origin = req_headers
        .get("origin")
        .cloned()
        .unwrap_or(HeaderValue::from_static("*"));
    let h = resp.headers_mut();
    h.insert("access-control-allow-origin", origin);
    h.insert("vary", HeaderValue::from_static("Origin"));
}

fn respond(status: u16, ctype: &str, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut()
        .insert("content-type", HeaderValue::from_str(ctype).unwrap());
    r
}

const PHP_NOTICE: &str = "<br />\n<b>Notice</b>:  Undefined index: module in <b>/var/www/html/include/Webservices/Query.php</b> on line <b>59</b><br />\n";
const HTML_FATAL: &str = "<br />\n<b>Fatal error</b>:  Uncaught Error: Call to a member function GetRowAssoc() on bool in /var/www/html/include/Webservices/GetUpdates.php:105\nStack trace:\n#0 /var/www/html/include/Webservices/OperationManager.php(213): vtws_sync()\n#1 {main}\n  thrown in <b>/var/www/html/include/Webservices/GetUpdates.php</b> on line <b>105</b><br />\n";

/// Handler for `/webservice.php` (and `/<anything>/webservice.php`).
pub async fn webservice(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers.clone();
    if parts.method == Method::OPTIONS && app.cfg.cors {
        let mut r = respond(204, "text/plain", Body::empty());
        cors_headers(&app, &headers, &mut r);
        let h = r.headers_mut();
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        let allow = headers
            .get("access-control-request-headers")
            .cloned()
            .unwrap_or(HeaderValue::from_static("content-type"));
        h.insert("access-control-allow-headers", allow);
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
        h.remove("content-type");
        return r;
    }
    let bytes = match read_body(body, &headers, app.cfg.max_body_bytes).await {
        ReadBody::Read(b) => b,
        ReadBody::TooLarge => {
            let mut r = respond(413, "text/html", Body::from(TOO_LARGE));
            r.headers_mut()
                .insert("connection", HeaderValue::from_static("close"));
            cors_headers(&app, &headers, &mut r);
            return r;
        }
        // The client went away in the middle of its body: nobody reads the answer.
        ReadBody::Broken => return respond(400, "text/html", Body::empty()),
    };
    let post = parts.method == Method::POST;
    let query = parse_pairs(parts.uri.query().unwrap_or(""));
    let ctype = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (form, files) = if !post {
        (Vec::new(), Vec::new())
    } else if ctype.starts_with("application/x-www-form-urlencoded") {
        (parse_pairs(&String::from_utf8_lossy(&bytes)), Vec::new())
    } else if ctype.starts_with("multipart/form-data") {
        let raw = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        parse_multipart(raw, &bytes)
    } else {
        (Vec::new(), Vec::new())
    };
    let op = param(&query, "operation")
        .or_else(|| param(&form, "operation"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let fault = take_fault(
        &app,
        &op,
        headers.get("x-sim-fault").and_then(|v| v.to_str().ok()),
    );
    if fault == Some(Fault::ExpireSessions) {
        app.db.lock().unwrap().sessions.clear();
    }
    if fault == Some(Fault::ExpireSession) {
        let name = param(&query, "sessionName")
            .or_else(|| param(&form, "sessionName"))
            .unwrap_or("");
        app.db.lock().unwrap().sessions.remove(name);
    }
    if fault == Some(Fault::Reset) {
        if let Some(r) = parts.extensions.get::<ResetHandle>() {
            r.0.notify_one();
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        }
        return respond(500, "text/html; charset=UTF-8", Body::empty());
    }
    // PHP's session file lock: one request per sessionName at a time, from session start to the
    // end of the script (live findings, H). Slow faults and the service time are served inside it.
    let sess = param(&query, "sessionName")
        .or_else(|| param(&form, "sessionName"))
        .unwrap_or("");
    // Held until this handler returns (the answer is built; a streamed body goes on without it).
    let _session_lock = SessionLock::acquire(&app, sess).await;
    if let Some(Fault::DelayHeaders(ms)) = fault {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let service = app.service_ms.load(Ordering::Relaxed);
    // With a CPU limit, the request queues for a CPU and holds it while it is served (the
    // service time, then the operation): on a busy server a login reads the user's challenge
    // token only after the requests ahead of it, so the window in which another client's
    // getchallenge spoils it grows with the queue, as on the lab (live findings G).
    let cpu = app.cpus.lock().unwrap().clone().filter(|_| service > 0);
    let _cpu = match cpu {
        Some(s) => s.acquire_owned().await.ok(),
        None => None,
    };
    if service > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(service)).await;
    }
    let app2 = app.clone();
    let out = tokio::task::spawn_blocking(move || dispatch(&app2, post, &query, &form, files))
        .await
        .unwrap_or_else(|_| empty500());
    drop(_cpu);
    if op == "getchallenge" {
        // The answer leaves after the token's INSERT (ops::CHALLENGE_GAP).
        tokio::time::sleep(ops::CHALLENGE_GAP).await;
    }
    let mut out = out;
    match &fault {
        Some(Fault::PhpNotice) => out.body.insert_str(0, PHP_NOTICE),
        Some(Fault::Bom) => out.body.insert(0, '\u{feff}'),
        Some(Fault::ControlChar) => {
            // A raw U+000B inside the first string value of the result (as in recording 272).
            if let Some(p) = out.body.find("\":\"") {
                out.body.insert(p + 3, '\u{b}');
            }
        }
        Some(Fault::HtmlFatal) => {
            out = Out {
                status: 200,
                ctype: "text/html; charset=UTF-8",
                body: HTML_FATAL.to_string(),
            }
        }
        Some(Fault::Empty500) => out = empty500(),
        Some(Fault::Truncated) => {
            let mut cut = out.body.len() / 2;
            while !out.body.is_char_boundary(cut) {
                cut -= 1;
            }
            out.body.truncate(cut);
        }
        _ => {}
    }
    let body = if let Some(Fault::DelayBody(ms)) = fault {
        let b = out.body.into_bytes();
        let half = b.len() / 2;
        let second = Bytes::copy_from_slice(&b[half..]);
        let first = Bytes::copy_from_slice(&b[..half]);
        let d = std::time::Duration::from_millis(ms);
        use futures_util::StreamExt;
        let s = futures_util::stream::once(async move { Ok::<_, Infallible>(first) }).chain(
            futures_util::stream::once(async move {
                tokio::time::sleep(d).await;
                Ok::<_, Infallible>(second)
            }),
        );
        Body::from_stream(s)
    } else {
        Body::from(out.body)
    };
    let mut r = respond(out.status, out.ctype, body);
    cors_headers(&app, &headers, &mut r);
    r
}

fn json_resp(status: u16, v: &Value) -> Response {
    respond(status, "application/json", Body::from(v.to_string()))
}

fn loopback(req: &Request) -> bool {
    req.extensions()
        .get::<Peer>()
        .map(|p| p.0.ip().is_loopback())
        .unwrap_or(true)
}

/// `POST /__sim/faults` (add rule), `DELETE /__sim/faults` (clear), `GET /__sim/faults` (list).
pub async fn faults(State(app): State<Arc<App>>, req: Request) -> Response {
    if !loopback(&req) {
        return json_resp(403, &serde_json::json!({"error": "loopback only"}));
    }
    let method = req.method().clone();
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    match method {
        Method::DELETE => {
            app.faults.lock().unwrap().clear();
            json_resp(200, &serde_json::json!({"faults": []}))
        }
        Method::POST => {
            let v: Value = match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => return json_resp(400, &serde_json::json!({"error": e.to_string()})),
            };
            let items = match v {
                Value::Array(a) => a,
                other => vec![other],
            };
            let mut added = Vec::new();
            for it in items {
                let name = it["fault"].as_str().unwrap_or("");
                let ms = it["ms"].as_u64().or_else(|| it[name].as_u64());
                let Some(f) = Fault::parse(name, ms) else {
                    return json_resp(
                        400,
                        &serde_json::json!({"error": format!("unknown fault {name:?}")}),
                    );
                };
                added.push(FaultRule {
                    fault: f,
                    count: it["count"].as_u64(),
                    operation: it["operation"].as_str().map(String::from),
                });
            }
            let mut rules = app.faults.lock().unwrap();
            rules.extend(added);
            json_resp(200, &serde_json::json!({"active": rules.len()}))
        }
        _ => {
            let rules = app.faults.lock().unwrap();
            let list: Vec<Value> = rules
                .iter()
                .map(|r| serde_json::json!({"fault": format!("{:?}", r.fault), "count": r.count, "operation": r.operation}))
                .collect();
            json_resp(200, &Value::Array(list))
        }
    }
}

/// `GET /__sim/stats`.
pub async fn stats(State(app): State<Arc<App>>, req: Request) -> Response {
    if !loopback(&req) {
        return json_resp(403, &serde_json::json!({"error": "loopback only"}));
    }
    let db = app.db.lock().unwrap();
    json_resp(
        200,
        &serde_json::json!({
            "logins": db.stats.logins,
            "requests": db.stats.requests,
            "records": db.counts(),
            "sessions": db.sessions.len(),
            "now": db.now(),
            "service_ms": app.service_ms.load(Ordering::Relaxed),
        }),
    )
}

/// `POST /__sim/clock` `{"advance_secs": N}`.
pub async fn clock(State(app): State<Arc<App>>, req: Request) -> Response {
    if !loopback(&req) {
        return json_resp(403, &serde_json::json!({"error": "loopback only"}));
    }
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut db = app.db.lock().unwrap();
    if let Some(n) = v["advance_secs"].as_i64() {
        db.clock_offset += n;
    }
    json_resp(
        200,
        &serde_json::json!({"now": db.now(), "offset": db.clock_offset}),
    )
}

/// A CPU limit of `n` requests at once (0: none).
pub fn cpus(n: u64) -> Option<Arc<tokio::sync::Semaphore>> {
    (n > 0).then(|| Arc::new(tokio::sync::Semaphore::new(n.min(1024) as usize)))
}

/// `POST /__sim/service-time` `{"ms": N, "cpus": K}`: the fixed delay per webservice request
/// from now on; `cpus` (optional) how many are served at once (0: no limit).
pub async fn service_time(State(app): State<Arc<App>>, req: Request) -> Response {
    if !loopback(&req) {
        return json_resp(403, &serde_json::json!({"error": "loopback only"}));
    }
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let Some(ms) = v["ms"].as_u64() else {
        return json_resp(
            400,
            &serde_json::json!({"error": "expected {\"ms\": <non-negative integer>}"}),
        );
    };
    app.service_ms.store(ms, Ordering::Relaxed);
    if let Some(n) = v["cpus"].as_u64() {
        *app.cpus.lock().unwrap() = cpus(n);
    }
    json_resp(200, &serde_json::json!({ "service_ms": ms }))
}

/// Fallback: any `/<anything>/webservice.php` is the webservice too; everything else is 404.
pub async fn fallback(state: State<Arc<App>>, req: Request) -> Response {
    if req.uri().path().ends_with("/webservice.php") {
        return webservice(state, req).await;
    }
    respond(404, "text/plain", Body::from("not found"))
}
