//! The edge proxy's upstream (`crmwire::vtiger::proxy`: the gate in front of the session
//! driver) against in-memory fake servers that assert the exact requests (oauth2-rs style),
//! and a client in proxy mode syncing through it against a stateful fake CRM of each stock
//! profile. Paths: one login for concurrent callers, a refused session renewed once, a
//! second refusal passed on, PHP notices before the login's and the call's JSON, every
//! session name and the access key masked, the upstream failures as the proxy's answers
//! (timeout, network, login refused, redirects, size, a GET too long), describe learning,
//! and the sync fallback chain with wsapp keys sealed to their caller and module.

// `crmwire::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

mod common;

use common::fake::*;
use crmwire::encode::form_decode;
use crmwire::step::{Step, Value};
use crmwire::vtiger::driver::{Config, Driver};
use crmwire::vtiger::gate::{Allow, Gate};
use crmwire::vtiger::ops::Endpoint;
use crmwire::vtiger::proxy::{Start, Upstream};
use crmwire::vtiger::sync::{datetime_to_unix, unix_to_datetime};
use crmwire::vtiger::vtql::{Op, Select, Value as VtqlValue};
use crmwire::{Error, ErrorCode, HttpRequest, HttpResponse, Method};
use std::collections::VecDeque;

const CALLER: &str = "token#0";
const T0: u64 = 1_000_000;
const NOTICE: &str = "<br />\n<b>Notice</b>:  Undefined index: x in <b>/var/www/html/include/x.php</b> on line <b>1</b><br />\n";

fn upstream(modules: Option<&[&str]>) -> Upstream {
    let gate = Gate::new(Allow::All, Allow::modules(modules).unwrap(), true);
    Upstream::new(
        Endpoint::parse("http://crm.test").unwrap(),
        "admin",
        KEY,
        gate,
        42,
    )
    .unwrap()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn noisy(r: HttpResponse) -> HttpResponse {
    let mut body = NOTICE.as_bytes().to_vec();
    body.extend_from_slice(&r.body);
    HttpResponse::new(r.status, body)
}

/// The request as one line.
fn line(r: &HttpRequest) -> String {
    match r.method {
        Method::Get => format!("GET {}", r.url),
        _ => format!("{} {} {}", r.method, r.url, r.body_text()),
    }
}

fn request(step: &Step) -> &HttpRequest {
    match step {
        Step::Send { request, .. } => request,
        other => panic!("expected a request, got {other:?}"),
    }
}

/// A server: answers one request.
trait Server {
    fn serve(&mut self, req: &HttpRequest) -> HttpResponse;
}

/// A script of (expected request line, response).
#[derive(Default)]
struct Script(VecDeque<(String, HttpResponse)>);

impl Script {
    fn expect(mut self, line: impl Into<String>, resp: HttpResponse) -> Script {
        self.0.push_back((line.into(), resp));
        self
    }
    fn login(self, token: &str, session: &str) -> Script {
        self.expect(get_challenge(), challenge(token))
            .expect(post_login(token), logged_in(session))
    }
    fn finished(&self) {
        assert!(
            self.0.is_empty(),
            "never sent: {:?}",
            self.0.iter().map(|(l, _)| l).collect::<Vec<_>>()
        );
    }
}

impl Server for Script {
    fn serve(&mut self, req: &HttpRequest) -> HttpResponse {
        let got = line(req);
        let (want, resp) = self
            .0
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request: {got}"));
        assert_eq!(got, want, "request");
        resp
    }
}

/// What the proxy answers its caller.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
    /// The body is the upstream's own (passed on as received).
    kept: bool,
}

/// Drives one exchange of the upstream to its end against `server`.
fn drive(
    u: &mut Upstream,
    server: &mut impl Server,
    id: u32,
    mut step: Step,
) -> Result<Reply, Error> {
    let mut last: Option<HttpResponse> = None;
    loop {
        step = match step {
            Step::Send { ref request, .. } => {
                let resp = server.serve(request);
                let next = u.handle(id, &resp, None)?;
                last = Some(resp);
                next
            }
            Step::Sleep(_) => u.resume(id)?,
            Step::Done(v) => {
                let r = last.expect("an answer");
                return Ok(match v {
                    Value::Nothing => Reply {
                        status: r.status,
                        body: String::from_utf8(r.body).unwrap(),
                        kept: true,
                    },
                    Value::Text(t) => Reply {
                        status: r.status,
                        body: t,
                        kept: false,
                    },
                    Value::Clean => panic!("the proxy never takes the fast path"),
                });
            }
            other => panic!("a lone exchange never gets {other:?}"),
        }
    }
}

/// A caller's request through the proxy, describes included.
fn call(
    u: &mut Upstream,
    server: &mut impl Server,
    caller: &str,
    params: &[(String, String)],
) -> Result<Reply, Error> {
    for _ in 0..3 {
        match u.check(caller, params, &[], T0)? {
            Start::Learn(modules) => {
                for m in modules {
                    let (id, step) = u.learn(&m, T0)?;
                    drive(u, server, id, step)?;
                }
            }
            Start::Forward(s) => return drive(u, server, s.id, s.step?),
        }
    }
    panic!("the gate kept asking to learn")
}

fn call_as(
    u: &mut Upstream,
    server: &mut impl Server,
    params: &[(&str, &str)],
) -> Result<Reply, Error> {
    call(u, server, CALLER, &pairs(params))
}

fn forward(u: &mut Upstream, params: &[(&str, &str)]) -> (u32, Result<Step, Error>) {
    match u.check(CALLER, &pairs(params), &[], T0).unwrap() {
        Start::Forward(s) => (s.id, s.step),
        other => panic!("expected a forward, got {other:?}"),
    }
}

// ------------------------------------------------------------------ the shared session

#[test]
fn concurrent_callers_share_one_login_and_answers_pass_on_as_received() {
    let mut u = upstream(None);
    let mut crm = Script::default()
        .login("tok", "S1")
        .expect(
            get("describe", "S1", "&elementType=Contacts"),
            ok(r#"{"name":"Contacts"}"#),
        )
        .expect(get("listtypes", "S1", ""), ok(r#"{"types":["Leads"]}"#))
        .expect(get("retrieve", "S1", "&id=12x5"), fail("ACCESS_DENIED"));
    let (a, sa) = forward(
        &mut u,
        &[("operation", "describe"), ("elementType", "Contacts")],
    );
    let (b, sb) = forward(&mut u, &[("operation", "listtypes")]);
    let (c, sc) = forward(&mut u, &[("operation", "retrieve"), ("id", "12x5")]);
    assert_eq!(line(request(sa.as_ref().unwrap())), get_challenge());
    assert_eq!(sb.unwrap(), Step::Wait);
    assert_eq!(sc.unwrap(), Step::Wait);
    let ra = drive(&mut u, &mut crm, a, sa.unwrap()).unwrap();
    assert!(ra.kept && ra.body == r#"{"success":true,"result":{"name":"Contacts"}}"#);
    assert!(u.take_wake(), "the login settled: the waiters are resumed");
    let sb = u.resume(b).unwrap();
    let rb = drive(&mut u, &mut crm, b, sb).unwrap();
    assert_eq!((rb.status, rb.kept), (200, true));
    // A server's refusal is an answer like any other (the caller's client reports it).
    let sc = u.resume(c).unwrap();
    let rc = drive(&mut u, &mut crm, c, sc).unwrap();
    assert!(rc.kept && rc.body.contains("ACCESS_DENIED"), "{rc:?}");
    crm.finished();
    assert_eq!(u.logins(), 1);
}

#[test]
fn a_refused_session_is_renewed_once_and_a_second_refusal_passed_on() {
    let mut u = upstream(None);
    let q = "&query=SELECT+id+FROM+Contacts+LIMIT+2%3B";
    let rows = ok(r#"[{"id":"12x1"},{"id":"12x2"}]"#);
    let mut crm = Script::default()
        .login("t1", "S1")
        .expect(get("query", "S1", q), fail("INVALID_SESSIONID"))
        .login("t2", "S2")
        .expect(get("query", "S2", q), rows.clone())
        .expect(
            get("query", "S2", q),
            noisy(fail("AUTHENTICATION_REQUIRED")),
        )
        .login("t3", "S3")
        .expect(get("query", "S3", q), fail("INVALID_SESSIONID"));
    let query = [
        ("operation", "query"),
        ("query", "SELECT id FROM Contacts LIMIT 2;"),
    ];
    let r = call_as(&mut u, &mut crm, &query).unwrap();
    assert_eq!(r.body.as_bytes(), &rows.body[..]);
    let r = call_as(&mut u, &mut crm, &query).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("INVALID_SESSIONID"), "{r:?}");
    crm.finished();
    assert_eq!(u.logins(), 3);
}

#[test]
fn a_php_notice_before_getchallenge_login_or_the_answer_changes_nothing() {
    let mut u = upstream(None);
    let mut crm = Script::default()
        .expect(get_challenge(), noisy(challenge("tok")))
        .expect(post_login("tok"), noisy(logged_in("S1")))
        .expect(
            get("query", "S1", "&query=SELECT+id+FROM+Contacts+LIMIT+2%3B"),
            noisy(ok(r#"[{"id":"12x1"}]"#)),
        );
    let r = call_as(
        &mut u,
        &mut crm,
        &[
            ("operation", "query"),
            ("query", "SELECT id FROM Contacts LIMIT 2;"),
        ],
    )
    .unwrap();
    assert_eq!(
        (r.status, r.kept, r.body.as_str()),
        (200, false, r#"{"success":true,"result":[{"id":"12x1"}]}"#)
    );
    crm.finished();
}

#[test]
fn every_session_name_and_the_access_key_are_masked() {
    let mut u = upstream(None);
    let s1 = "sess0000aaaa1111bbbb";
    let s2 = "sess2222cccc3333dddd";
    let echo = |text: &str| ok(&format!(r#"[{{"note":"{text}"}}]"#));
    let q = "&query=SELECT+id+FROM+Contacts%3B";
    let mut crm = Script::default()
        .login("t1", s1)
        .expect(
            get("query", s1, q),
            echo(&format!("key {KEY} session {s1}")),
        )
        .expect(get("query", s1, q), fail("INVALID_SESSIONID"))
        .login("t2", s2)
        .expect(get("query", s2, q), echo(&format!("old {s1} new {s2}")));
    let query = [
        ("operation", "query"),
        ("query", "SELECT id FROM Contacts;"),
    ];
    let r = call_as(&mut u, &mut crm, &query).unwrap();
    assert!(!r.kept);
    assert_eq!(
        r.body,
        r#"{"success":true,"result":[{"note":"key [redacted] session [redacted]"}]}"#
    );
    let r = call_as(&mut u, &mut crm, &query).unwrap();
    assert!(!r.body.contains(s1) && !r.body.contains(s2), "{r:?}");
    assert!(r.body.contains("old [redacted] new [redacted]"), "{r:?}");
    assert_eq!(
        u.scrub(&format!("log {s1} {s2} {KEY} op=query")),
        "log [redacted] [redacted] [redacted] op=query"
    );
    crm.finished();
}

// ------------------------------------------------------------------ failures

fn failure_of(id: u32, r: Result<Step, Error>) -> Error {
    match r {
        Err(e) => e,
        Ok(s) => panic!("exchange {id}: expected a failure, got {s:?}"),
    }
}

#[test]
fn upstream_failures_are_the_proxys_answers_and_name_nothing_of_the_crm() {
    let describe = [("operation", "describe"), ("elementType", "Contacts")];
    let check = |e: &Error, status: u16, code: &str| {
        assert_eq!((e.status, e.code.as_str()), (Some(status), code), "{e:?}");
        assert!(
            !e.message.contains("crm.test") && !e.message.contains("evil"),
            "{e:?}"
        );
    };
    // A timeout (the host's transport: its timer wins even over a fetch ignoring its signal).
    let mut u = upstream(None);
    let (id, _) = forward(&mut u, &describe);
    let r = u.fail(
        id,
        Error::new(ErrorCode::Timeout, "no complete answer within 50 ms"),
    );
    check(&failure_of(id, r), 504, "UPSTREAM_TIMEOUT");
    // A network failure: not retried (the caller decides), named without the address.
    let (id, _) = forward(&mut u, &describe);
    let r = u.fail(
        id,
        Error::new(
            ErrorCode::Transport,
            "network error: connect ECONNREFUSED 10.0.0.7:80",
        ),
    );
    let e = failure_of(id, r);
    check(&e, 502, "UPSTREAM_UNAVAILABLE");
    assert!(!e.message.contains("10.0.0.7"));
    // A wrong access key: the login race policy runs out (9 attempts, as tests/vtiger_driver.rs), then 502 UPSTREAM_LOGIN_FAILED;
    // a caller waiting for that login gets the same answer.
    let mut crm = Script::default();
    for i in 0..9 {
        crm = crm
            .expect(get_challenge(), challenge(&format!("t{i}")))
            .expect(
                post_login(&format!("t{i}")),
                fail("INVALID_USER_CREDENTIALS"),
            );
    }
    let (a, sa) = forward(&mut u, &describe);
    let (b, sb) = forward(&mut u, &describe);
    assert_eq!(sb.unwrap(), Step::Wait);
    let e = drive(&mut u, &mut crm, a, sa.unwrap()).unwrap_err();
    check(&e, 502, "UPSTREAM_LOGIN_FAILED");
    assert!(e.message.contains("INVALID_USER_CREDENTIALS"), "{e:?}");
    assert!(u.take_wake());
    let r = u.resume(b);
    check(&failure_of(b, r), 502, "UPSTREAM_LOGIN_FAILED");
    crm.finished();
    // A noisy getchallenge that is no envelope at all: a login failure too.
    let (id, _) = forward(&mut u, &describe);
    let r = u.handle(
        id,
        &HttpResponse::new(200, "<html>maintenance</html>"),
        None,
    );
    check(&failure_of(id, r), 502, "UPSTREAM_LOGIN_FAILED");
}

#[test]
fn redirects_are_refused_unless_same_origin_gets_and_the_target_is_not_named() {
    let mut u = upstream(None);
    let mut crm = Script::default().login("t", "SECRETSESSION");
    let describe = [("operation", "describe"), ("elementType", "Contacts")];
    let (id, s) = forward(&mut u, &describe);
    let s = {
        let mut s = s.unwrap();
        for _ in 0..2 {
            let resp = crm.serve(request(&s));
            s = u.handle(id, &resp, None).unwrap();
        }
        s
    };
    crm.finished();
    assert_eq!(
        line(request(&s)),
        get("describe", "SECRETSESSION", "&elementType=Contacts")
    );
    // same-origin GET: followed
    let moved = HttpResponse::new(302, "");
    let s = u
        .handle(id, &moved, Some("http://crm.test/crm/webservice.php?operation=describe&sessionName=SECRETSESSION&elementType=Contacts"))
        .unwrap();
    assert!(line(request(&s)).starts_with("GET http://crm.test/crm/webservice.php?"));
    // another origin: refused, nothing named
    let r = u.handle(
        id,
        &HttpResponse::new(307, ""),
        Some("https://evil.example/webservice.php?sessionName=SECRETSESSION"),
    );
    let e = failure_of(id, r);
    assert_eq!((e.status, e.code.clone()), (Some(502), ErrorCode::Redirect));
    assert!(
        !e.message.contains("evil") && !e.message.contains("SECRETSESSION"),
        "{e:?}"
    );
    // a write redirected, even to the same origin: refused
    let el = r#"{"id":"12x5","title":"x"}"#;
    let (id, s) = forward(&mut u, &[("operation", "revise"), ("element", el)]);
    assert!(line(request(s.as_ref().unwrap())).starts_with(&format!("POST {EP} operation=revise")));
    let r = u.handle(
        id,
        &HttpResponse::new(307, ""),
        Some("http://crm.test/other.php"),
    );
    assert_eq!(failure_of(id, r).code, ErrorCode::Redirect);
    // an answer over the host's size cap
    let (id, _) = forward(&mut u, &describe);
    let r = u.fail(
        id,
        Error::new(ErrorCode::ResponseTooLarge, "over 100 bytes"),
    );
    let e = failure_of(id, r);
    assert_eq!(
        (e.status, e.code.clone()),
        (Some(502), ErrorCode::ResponseTooLarge)
    );
}

#[test]
fn refusals_learning_and_a_get_too_long() {
    let mut u = upstream(Some(&["Contacts"]));
    let describe = common::load("vtiger-8.4.0", "111-describe-Contacts").response();
    let mut crm = Script::default()
        .login("t", "S1")
        .expect(get("describe", "S1", "&elementType=Contacts"), describe)
        .expect(get("retrieve", "S1", "&id=12x5"), ok(r#"{"id":"12x5"}"#));
    // an id is attributed once its module was described
    let r = call_as(
        &mut u,
        &mut crm,
        &[("operation", "retrieve"), ("id", "12x5")],
    )
    .unwrap();
    assert_eq!(r.body, r#"{"success":true,"result":{"id":"12x5"}}"#);
    assert_eq!(u.known_prefixes(), 1);
    crm.finished();
    // refusals carry the HTTP status to answer
    for (p, status, code) in [
        (
            vec![("operation", "retrieve"), ("id", "11x5")],
            403,
            ErrorCode::AccessDenied,
        ),
        (
            vec![("operation", "query"), ("query", "SELECT * FROM Users;")],
            403,
            ErrorCode::AccessDenied,
        ),
        (
            vec![("operation", "login"), ("username", "admin")],
            403,
            ErrorCode::AccessDenied,
        ),
        (
            vec![("operation", "retrieve"), ("id", "12x05")],
            400,
            ErrorCode::InvalidInput,
        ),
    ] {
        let e = u.check(CALLER, &pairs(&p), &[], T0).unwrap_err();
        assert_eq!((e.status, e.code), (Some(status), code), "{p:?}");
    }
    // a query whose GET URL would be over the web servers' limit: 400, nothing sent
    let long = format!(
        "SELECT id FROM Contacts WHERE lastname IN ({});",
        (0..900)
            .map(|i| format!("'name{i}'"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (id, s) = forward(&mut u, &[("operation", "query"), ("query", &long)]);
    let e = failure_of(id, s);
    assert_eq!((e.status, e.code), (Some(400), ErrorCode::InvalidInput));
}

// ------------------------------------------------------------------ sync through the proxy

/// A stateful fake stock Vtiger: `sync` dies with HTTP 500 (PHP 8 named-parameter bug);
/// `wsapp_register` too on 8.3.0 (recording 930); records answered by `wsapp_get` and
/// `query`; it remembers the raw wsapp keys it issued and what it was sent.
struct Crm {
    v83: bool,
    session: Option<String>,
    keys: Vec<String>,
    seen: Vec<(String, Vec<(String, String)>)>,
    /// (id, modified time): Contacts changed at 1767225600 + i.
    records: Vec<(u64, i64)>,
}

const SINCE: i64 = 1_767_225_600;

impl Crm {
    fn new(v83: bool) -> Crm {
        Crm {
            v83,
            session: None,
            keys: Vec::new(),
            seen: Vec::new(),
            records: (1..=5).map(|i| (i, SINCE + i as i64)).collect(),
        }
    }
    fn rec(&self, id: u64, mtime: i64) -> String {
        format!(
            r#"{{"lastname":"L{id}","modifiedtime":"{}","id":"12x{id}"}}"#,
            unix_to_datetime(mtime)
        )
    }
    fn ops(&self) -> Vec<&str> {
        self.seen.iter().map(|(o, _)| o.as_str()).collect()
    }
}

impl Server for Crm {
    fn serve(&mut self, req: &HttpRequest) -> HttpResponse {
        let mut p = match req.url.split_once('?') {
            Some((_, q)) => form_decode(q),
            None => Vec::new(),
        };
        if req.method == Method::Post {
            p.extend(form_decode(&req.body_text()));
        }
        let param = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let op = param("operation").unwrap();
        self.seen.push((op.clone(), p.clone()));
        match op.as_str() {
            "getchallenge" => return challenge("tok"),
            "login" => {
                self.session = Some("S1".to_owned());
                return logged_in("S1");
            }
            _ => {}
        }
        assert_eq!(
            param("sessionName"),
            self.session,
            "{op}: the proxy's session"
        );
        match op.as_str() {
            "sync" => HttpResponse::new(500, ""),
            "wsapp_register" if self.v83 => HttpResponse::new(500, ""),
            "wsapp_register" => {
                assert_eq!(param("elementType"), None, "not sent upstream");
                let key = format!("5f1a2b3c4d5e{}", self.keys.len());
                self.keys.push(key.clone());
                ok(&format!(r#"{{"key":"{key}"}}"#))
            }
            "wsapp_get" => {
                let key = param("key").unwrap();
                assert!(self.keys.contains(&key), "a raw key upstream: {key}");
                assert_eq!(param("module").as_deref(), Some("Contacts"));
                let t: i64 = param("token").unwrap().parse().unwrap();
                let page: Vec<String> = self
                    .records
                    .iter()
                    .filter(|(_, m)| *m > t)
                    .map(|(id, m)| self.rec(*id, *m))
                    .collect();
                let max = self.records.iter().map(|(_, m)| *m).max().unwrap().max(t);
                ok(&format!(
                    r#"{{"updated":[{}],"deleted":["12x99"],"more":false,"lastModifiedTime":{max}}}"#,
                    page.join(",")
                ))
            }
            "wsapp_deregister" => {
                let key = param("key").unwrap();
                assert!(self.keys.contains(&key), "a raw key upstream: {key}");
                ok(&format!(r#"["vtigerCRM","{key}"]"#))
            }
            "describe" => common::load("vtiger-8.4.0", "111-describe-Contacts").response(),
            "query" => {
                let s = Select::parse(&param("query").unwrap()).unwrap();
                let dnf = s.where_.unwrap().dnf().unwrap();
                let mut rows: Vec<(u64, i64)> = self
                    .records
                    .iter()
                    .copied()
                    .filter(|(id, m)| {
                        dnf[0]
                            .iter()
                            .all(|t| match (t.field.as_str(), t.op, &t.value) {
                                ("modifiedtime", Op::Eq, VtqlValue::Str(v)) => {
                                    *m == datetime_to_unix(v).unwrap()
                                }
                                ("modifiedtime", Op::Gt, VtqlValue::Str(v)) => {
                                    *m > datetime_to_unix(v).unwrap()
                                }
                                ("id", Op::Gt, VtqlValue::Id(x)) => *id > x.record,
                                other => panic!("unexpected term {other:?}"),
                            })
                    })
                    .collect();
                rows.sort_by_key(|(id, m)| (*m, *id));
                let recs: Vec<String> = rows
                    .iter()
                    .take(100)
                    .map(|(id, m)| self.rec(*id, *m))
                    .collect();
                ok(&format!("[{}]", recs.join(",")))
            }
            other => panic!("unexpected operation {other}"),
        }
    }
}

/// The proxy as a server for a client in proxy mode: the client's request read as a caller's
/// parameters (query string, then form body), answered by the upstream against `crm`.
struct Proxy<'a> {
    u: Upstream,
    crm: &'a mut Crm,
    caller: &'static str,
    /// What the client sent (operation and parameters).
    sent: Vec<Vec<(String, String)>>,
}

impl Server for Proxy<'_> {
    fn serve(&mut self, req: &HttpRequest) -> HttpResponse {
        assert!(req
            .headers
            .iter()
            .any(|(k, v)| k == "Authorization" && v == "Bearer tok-0123456789abcdef"));
        let mut p = match req.url.split_once('?') {
            Some((_, q)) => form_decode(q),
            None => Vec::new(),
        };
        if req.method == Method::Post {
            p.extend(form_decode(&req.body_text()));
        }
        assert!(
            !p.iter().any(|(k, _)| k == "sessionName"),
            "the client sends no session"
        );
        self.sent.push(p.clone());
        match call(&mut self.u, self.crm, self.caller, &p) {
            Ok(r) => HttpResponse::new(r.status, r.body),
            Err(e) => HttpResponse::new(
                e.status.unwrap(),
                format!(
                    r#"{{"success":false,"error":{{"code":"{}","message":"m"}}}}"#,
                    e.code.as_str()
                ),
            ),
        }
    }
}

/// A client in proxy mode syncing Contacts through `proxy`: its batches (JSON texts).
fn client_sync(proxy: &mut Proxy<'_>, since: &str) -> Result<Vec<String>, Error> {
    let cfg = Config::proxy(
        Endpoint::parse("http://proxy.test/").unwrap(),
        Some("tok-0123456789abcdef"),
    );
    let mut d = Driver::new(cfg);
    let (id, mut step) = d.start_sync("Contacts", since, None)?;
    let mut batches = Vec::new();
    loop {
        step = match step {
            Step::Send { ref request, .. } => {
                let resp = proxy.serve(request);
                d.handle(id, &resp, None)?
            }
            Step::Yield(Value::Text(t)) => {
                batches.push(t);
                d.resume(id)?
            }
            Step::Sleep(_) => d.resume(id)?,
            Step::Done(_) => return Ok(batches),
            other => panic!("{other:?}"),
        }
    }
}

fn sync_proxy(crm: &mut Crm) -> Proxy<'_> {
    let ops = [
        "describe",
        "query",
        "sync",
        "wsapp_register",
        "wsapp_get",
        "wsapp_deregister",
    ];
    let gate = Gate::new(
        Allow::operations(Some(&ops)).unwrap(),
        Allow::modules(Some(&["Contacts"])).unwrap(),
        true,
    );
    Proxy {
        u: Upstream::new(
            Endpoint::parse("http://crm.test").unwrap(),
            "admin",
            KEY,
            gate,
            7,
        )
        .unwrap(),
        crm,
        caller: CALLER,
        sent: Vec::new(),
    }
}

#[test]
fn sync_through_a_module_allowlist_falls_back_to_wsapp_on_stock_8_4() {
    let mut crm = Crm::new(false);
    let mut proxy = sync_proxy(&mut crm);
    let batches = client_sync(&mut proxy, &SINCE.to_string()).unwrap();
    assert_eq!(batches.len(), 1, "{batches:?}");
    let b: serde_json::Value = serde_json::from_str(&batches[0]).unwrap();
    assert_eq!(b["strategy"], "wsapp");
    assert_eq!(b["updated"].as_array().unwrap().len(), 5);
    assert_eq!(b["deleted"], serde_json::json!(["12x99"]));
    // the client named the module with its registration and got a sealed key back
    let sent: Vec<String> = proxy.sent.iter().map(|p| p[0].1.clone()).collect();
    assert_eq!(
        sent,
        ["sync", "wsapp_register", "wsapp_get", "wsapp_deregister"]
    );
    assert!(proxy.sent[1].contains(&("elementType".to_owned(), "Contacts".to_owned())));
    let key = proxy.sent[2]
        .iter()
        .find(|(k, _)| k == "key")
        .unwrap()
        .1
        .clone();
    assert!(key.starts_with("5f1a2b3c4d5e0.Contacts."), "{key}");
    drop(proxy);
    assert_eq!(
        crm.ops(),
        [
            "getchallenge",
            "login",
            "sync",
            "wsapp_register",
            "wsapp_get",
            "wsapp_deregister"
        ]
    );
    // a hostile caller cannot use another caller's key, nor a key for another module
    let mut crm = Crm::new(false);
    let mut proxy = sync_proxy(&mut crm);
    client_sync(&mut proxy, &SINCE.to_string()).unwrap();
    let sealed = proxy.sent[2]
        .iter()
        .find(|(k, _)| k == "key")
        .unwrap()
        .1
        .clone();
    let get = |key: &str, module: &str| {
        pairs(&[
            ("operation", "wsapp_get"),
            ("key", key),
            ("module", module),
            ("token", "1"),
        ])
    };
    let e = proxy
        .u
        .check("token#1", &get(&sealed, "Contacts"), &[], T0)
        .unwrap_err();
    assert_eq!((e.status, e.code), (Some(403), ErrorCode::AccessDenied));
    let e = proxy
        .u
        .check(CALLER, &get(&sealed, "Leads"), &[], T0)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccessDenied);
    let raw = sealed.split('.').next().unwrap();
    let e = proxy
        .u
        .check(CALLER, &get(raw, "Contacts"), &[], T0)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccessDenied);
}

#[test]
fn sync_through_a_module_allowlist_falls_back_to_queries_on_stock_8_3() {
    let mut crm = Crm::new(true);
    let mut proxy = sync_proxy(&mut crm);
    let batches = client_sync(&mut proxy, &SINCE.to_string()).unwrap();
    let mut ids = Vec::new();
    for b in &batches {
        let b: serde_json::Value = serde_json::from_str(b).unwrap();
        assert_eq!(b["strategy"], "query");
        for r in b["updated"].as_array().unwrap() {
            ids.push(r["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(ids, ["12x1", "12x2", "12x3", "12x4", "12x5"]);
    let sent: Vec<String> = proxy.sent.iter().map(|p| p[0].1.clone()).collect();
    assert_eq!(&sent[..2], ["sync", "wsapp_register"]);
    assert!(sent[2..].iter().all(|o| o == "query"), "{sent:?}");
    drop(proxy);
    let ops = crm.ops();
    assert_eq!(
        &ops[..4],
        ["getchallenge", "login", "sync", "wsapp_register"]
    );
    assert!(
        ops.contains(&"describe"),
        "the gate learnt Contacts' references: {ops:?}"
    );
    assert_eq!(ops.iter().filter(|o| **o == "login").count(), 1);
}
