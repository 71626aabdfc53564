//! The Vtiger session driver against an in-memory fake server that asserts the exact
//! requests (oauth2-rs style): every request the driver asks for is compared, as one line
//! (`GET <url>` or `POST <url> <form body>`), with the next line of a script, and answered
//! with the script's response. Paths: lazy login, single flight, the login race and its
//! bound, a wrong key, session expiry (one re-login and repeat, a second refusal reported),
//! abort between steps, split queries merged by id, keyset pages, gateway and network
//! retries, redirects, proxy mode, sync with capability memory, logout.

// `crmwire::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

mod common;

use common::fake::*;

use crmwire::step::{Read, Step, Value};
use crmwire::vtiger::driver::{Config, Driver, ExchangeId, QueryText};
use crmwire::vtiger::ops::{self, Endpoint};
use crmwire::vtiger::WsId;
use crmwire::{Error, ErrorCode, HttpResponse};
use std::collections::VecDeque;

fn driver() -> Driver {
    Driver::new(config())
}

fn read(step: &Step) -> Read {
    match step {
        Step::Send { read, .. } => *read,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn retrieve(id: &str) -> ops::Call {
    ops::retrieve(WsId::parse_field(id, "id").unwrap())
}

/// What an exchange ended with.
#[derive(Debug)]
struct Run {
    yields: Vec<Value>,
    done: Value,
    sleeps: Vec<u32>,
}

/// The fake server: a script of (expected request line, response).
#[derive(Default)]
struct Fake {
    script: VecDeque<(String, HttpResponse)>,
}

impl Fake {
    fn new() -> Fake {
        Fake::default()
    }
    fn expect(mut self, line: impl Into<String>, resp: HttpResponse) -> Fake {
        self.script.push_back((line.into(), resp));
        self
    }
    fn login(self, token: &str, session: &str) -> Fake {
        self.expect(get_challenge(), challenge(token))
            .expect(post_login(token), logged_in(session))
    }
    /// Answers one Send step (asserting it is the next scripted request).
    fn answer(&mut self, step: &Step) -> HttpResponse {
        let got = line(step);
        let (want, resp) = self
            .script
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request: {got}"));
        assert_eq!(got, want, "request");
        resp
    }
    /// Drives one exchange to its end, answering every request from the script, sleeping
    /// through every Sleep (recorded) and collecting yields. Never takes the host's fast
    /// path: every answer goes to the driver.
    fn run(
        &mut self,
        d: &mut Driver,
        start: impl FnOnce(&mut Driver) -> crmwire::Result<(ExchangeId, Step)>,
    ) -> crmwire::Result<Run> {
        let (id, mut step) = start(d)?;
        let mut out = Run {
            yields: Vec::new(),
            done: Value::Nothing,
            sleeps: Vec::new(),
        };
        loop {
            step = match step {
                Step::Send { .. } => {
                    let resp = self.answer(&step);
                    d.handle(id, &resp, None)?
                }
                Step::Sleep(ms) => {
                    out.sleeps.push(ms);
                    d.resume(id)?
                }
                Step::Yield(v) => {
                    out.yields.push(v);
                    d.resume(id)?
                }
                Step::Wait => panic!("a lone exchange never waits"),
                Step::Done(v) => {
                    out.done = v;
                    return Ok(out);
                }
            }
        }
    }
    fn finished(&self) {
        assert!(
            self.script.is_empty(),
            "requests never sent: {:?}",
            self.script.iter().map(|(l, _)| l).collect::<Vec<_>>()
        );
    }
}

fn text(v: &Value) -> &str {
    match v {
        Value::Text(t) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

#[test]
fn lazy_login_then_the_call_then_no_second_login() {
    let mut d = driver();
    let mut fake = Fake::new()
        .login("tok1", "S1")
        .expect(get("retrieve", "S1", "&id=12x5"), ok(r#"{"id":"12x5"}"#))
        .expect(get("retrieve", "S1", "&id=12x6"), ok(r#"{"id":"12x6"}"#));
    let r = fake
        .run(&mut d, |d| d.start_call(retrieve("12x5")))
        .unwrap();
    assert_eq!(text(&r.done), r#"{"id":"12x5"}"#);
    assert!(r.sleeps.is_empty());
    assert!(d.has_session());
    let r = fake
        .run(&mut d, |d| d.start_call(retrieve("12x6")))
        .unwrap();
    assert_eq!(text(&r.done), r#"{"id":"12x6"}"#);
    fake.finished();
    assert_eq!(d.in_flight(), 0, "finished exchanges are dropped");
    let info = d.server_info_json();
    assert!(info.contains(r#""vtigerVersion":"8.4.0""#), "{info}");
    assert!(!info.contains("S1"), "no session name in {info}");
}

#[test]
fn a_clean_answer_read_by_the_host_ends_the_exchange_without_the_body() {
    let mut d = driver();
    let mut fake = Fake::new().login("t", "S1");
    let (id, mut step) = d.start_call(retrieve("12x5")).unwrap();
    // The login's answers always go to the driver.
    while read(&step) == Read::Core {
        let resp = fake.answer(&step);
        step = d.handle(id, &resp, None).unwrap();
    }
    assert_eq!(line(&step), get("retrieve", "S1", "&id=12x5"));
    assert_eq!(read(&step), Read::Clean);
    assert_eq!(d.clean(id, 0, None).unwrap(), Step::Done(Value::Clean));
    assert!(d.clean(id, 0, None).is_err(), "the exchange is over");
    fake.finished();
}

#[test]
fn concurrent_exchanges_share_one_login_single_flight() {
    let mut d = driver();
    let mut fake = Fake::new().login("tok", "S1");
    let (a, step_a) = d.start_call(retrieve("12x1")).unwrap();
    let (b, step_b) = d.start_call(ops::listtypes(None)).unwrap();
    let (c, step_c) = d.start_call(ops::describe("Leads").unwrap()).unwrap();
    assert_eq!(line(&step_a), get_challenge());
    assert_eq!(step_b, Step::Wait);
    assert_eq!(step_c, Step::Wait);
    assert!(d.logging_in());
    let resp = fake.answer(&step_a);
    let step_a = d.handle(a, &resp, None).unwrap();
    assert!(!d.take_wake(), "nothing settled yet");
    let resp = fake.answer(&step_a);
    let step_a = d.handle(a, &resp, None).unwrap();
    assert_eq!(line(&step_a), get("retrieve", "S1", "&id=12x1"));
    assert!(d.take_wake(), "the login settled: waiters are resumed");
    assert!(!d.take_wake());
    assert_eq!(line(&d.resume(b).unwrap()), get("listtypes", "S1", ""));
    assert_eq!(
        line(&d.resume(c).unwrap()),
        get("describe", "S1", "&elementType=Leads")
    );
    fake.finished();
}

#[test]
fn a_lost_login_race_is_retried_after_a_jittered_back_off() {
    for code in ["INVALID_USER_CREDENTIALS", "INVALID_AUTH_TOKEN"] {
        let mut d = driver();
        let mut fake = Fake::new()
            .expect(get_challenge(), challenge("t1"))
            .expect(post_login("t1"), fail(code))
            .expect(get_challenge(), challenge("t2"))
            .expect(post_login("t2"), fail(code))
            .login("t3", "S1")
            .expect(get("listtypes", "S1", ""), ok(r#"{"types":[]}"#));
        let r = fake
            .run(&mut d, |d| d.start_call(ops::listtypes(None)))
            .unwrap();
        assert_eq!(text(&r.done), r#"{"types":[]}"#);
        assert_eq!(r.sleeps.len(), 2, "{code}");
        // min(15·2^(n-1), 480) × 0.5–1.5
        assert!((7..=22).contains(&r.sleeps[0]), "{:?}", r.sleeps);
        assert!((15..=45).contains(&r.sleeps[1]), "{:?}", r.sleeps);
        fake.finished();
    }
}

/// A uniqid() token: the server's clock at `ms` milliseconds after 0x69320000 s.
fn uniqid(ms: u64) -> String {
    let us = 0x6932_0000u64 * 1_000_000 + ms * 1000;
    format!("{:08x}{:05x}", us / 1_000_000, us % 1_000_000)
}

#[test]
fn a_congested_server_stretches_the_back_off_by_its_pace() {
    // Tokens are PHP's uniqid(): the server's clock. Each challenge comes 600 ms (server
    // time) after the previous one while the client slept at most 68 ms: two pairs in a row
    // took over 500 ms (a queue of contenders), so the third back-off is stretched ×8 (at
    // most); the second, after one slow pair only, is not.
    assert_eq!(uniqid(0), "6932000000000");
    assert_eq!(uniqid(600), "69320000927c0");
    let ts: Vec<String> = [0, 600, 1200, 1800].into_iter().map(uniqid).collect();
    let sleeps = refused_three_times_then_logged_in(&ts);
    assert_eq!(sleeps.len(), 3);
    // The first back-off knows no pace yet: 15 × 0.5–1.5; the second one slow pair: 30 ×
    // 0.5–1.5.
    assert!((7..=22).contains(&sleeps[0]), "{sleeps:?}");
    assert!((15..=45).contains(&sleeps[1]), "{sleeps:?}");
    // The third: 60 × 8 × 0.5–1.5 (unstretched it would be 30..=90).
    assert!((240..=720).contains(&sleeps[2]), "{sleeps:?}");

    // One slow pair (600 ms) and then a quick one (the next token 60 ms later, of which at
    // most 45 slept: 15–60 ms): the third back-off is stretched at most 60/30 = ×2.
    let ts: Vec<String> = [0, 600, 660, 700].into_iter().map(uniqid).collect();
    let sleeps = refused_three_times_then_logged_in(&ts);
    assert!((30..=180).contains(&sleeps[2]), "{sleeps:?}");
}

/// A login refused three times (challenge tokens `ts[0..3]`), then a fourth with `ts[3]`, then
/// a listtypes: the back-offs the driver slept.
fn refused_three_times_then_logged_in(ts: &[String]) -> Vec<u32> {
    let mut d = driver();
    let mut fake = Fake::new();
    for t in &ts[..3] {
        fake = fake
            .expect(get_challenge(), challenge(t))
            .expect(post_login(t), fail("INVALID_USER_CREDENTIALS"));
    }
    let mut fake = fake
        .login(&ts[3], "S1")
        .expect(get("listtypes", "S1", ""), ok(r#"{"types":[]}"#));
    let r = fake
        .run(&mut d, |d| d.start_call(ops::listtypes(None)))
        .unwrap();
    fake.finished();
    r.sleeps
}

#[test]
fn the_stretch_is_bounded_and_a_token_clock_is_read_only_from_uniqid_tokens() {
    use crmwire::vtiger::driver::{uniqid_micros, LoginPolicy};
    let p = LoginPolicy::default();
    // Unknown or quick pace: the plain schedule; 512/1024 is the jitter's middle (×1).
    assert_eq!(p.delay(1, 512, 0), 15);
    assert_eq!(p.delay(6, 512, 29), 320);
    assert_eq!(p.delay(7, 512, 30), 320);
    // Slow pace: stretched by pace / 30, at most ×8.
    assert_eq!(p.delay(2, 512, 90), 90);
    assert_eq!(p.delay(7, 512, 150), 1600);
    assert_eq!(p.delay(7, 512, 60_000), 2560);
    assert_eq!(p.delay(7, 1023, u32::MAX), 3837);
    assert_eq!(
        uniqid_micros("69320000927c0"),
        Some(0x6932_0000 * 1_000_000 + 600_000)
    );
    for t in [
        "t1",
        "6932000092",
        "693200009z7c0",
        "69320000f4240",
        "6932000092c7c0",
    ] {
        assert_eq!(uniqid_micros(t), None, "{t}");
    }
}

#[test]
fn a_wrong_key_is_reported_after_a_bounded_number_of_pairs_and_waiters_share_it() {
    let mut d = driver();
    let mut fake = Fake::new();
    for i in 0..9 {
        let t = format!("t{i}");
        fake = fake
            .expect(get_challenge(), challenge(&t))
            .expect(post_login(&t), fail("INVALID_USER_CREDENTIALS"));
    }
    let (a, mut step) = d.start_call(retrieve("12x1")).unwrap();
    let (b, wait) = d.start_call(retrieve("12x2")).unwrap();
    assert_eq!(wait, Step::Wait);
    let mut slept = Vec::new();
    let err = loop {
        step = match step {
            Step::Send { .. } => {
                let resp = fake.answer(&step);
                match d.handle(a, &resp, None) {
                    Ok(s) => s,
                    Err(e) => break e,
                }
            }
            Step::Sleep(ms) => {
                slept.push(ms);
                d.resume(a).unwrap()
            }
            other => panic!("{other:?}"),
        };
    };
    fake.finished();
    assert_eq!(err.code, ErrorCode::InvalidUserCredentials);
    assert_eq!(err.operation.as_deref(), Some("login"));
    assert!(err.message.contains("refused 9 times"), "{}", err.message);
    assert_eq!(slept.len(), 8);
    let total: u32 = slept.iter().sum();
    // 15+30+60+120+240+320+320+320 = 1425 ms, × 0.5–1.5 (tokens that are no uniqid(): no
    // server pace, no stretch).
    assert!((712..=2138).contains(&total), "{slept:?}");
    assert!(slept.iter().all(|&ms| ms <= 480), "{slept:?}");
    // The waiter gets the same answer, without a login of its own.
    assert!(d.take_wake());
    let e = d.resume(b).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidUserCredentials);
    assert_eq!(d.in_flight(), 0);
}

#[test]
fn other_login_failures_are_not_retried() {
    let mut d = driver();
    let mut fake = Fake::new()
        .expect(get_challenge(), challenge("t1"))
        .expect(post_login("t1"), fail("ACCESSKEY_UNDEFINED"));
    let e = fake
        .run(&mut d, |d| d.start_call(retrieve("12x1")))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccesskeyUndefined);
    fake.finished();
    // An unknown user is refused at getchallenge already.
    let mut fake = Fake::new().expect(get_challenge(), fail("ACCESS_DENIED"));
    let e = fake.run(&mut d, |d| d.start_login()).unwrap_err();
    assert_eq!(e.code, ErrorCode::AccessDenied);
    assert_eq!(e.operation.as_deref(), Some("getchallenge"));
    fake.finished();
}

#[test]
fn session_expiry_logs_in_again_and_repeats_once() {
    let mut d = driver();
    let mut fake = Fake::new()
        .login("t1", "S1")
        .expect(
            format!(
                "POST {EP} operation=revise&sessionName=S1&element=%7B%22id%22%3A%2212x5%22%7D"
            ),
            fail("INVALID_SESSIONID"),
        )
        .login("t2", "S2")
        .expect(
            format!(
                "POST {EP} operation=revise&sessionName=S2&element=%7B%22id%22%3A%2212x5%22%7D"
            ),
            ok(r#"{"id":"12x5"}"#),
        );
    let el = ops::ElementInput::parse(r#"{"id":"12x5"}"#).unwrap();
    let r = fake
        .run(&mut d, |d| d.start_call(ops::revise(&el).unwrap()))
        .unwrap();
    assert_eq!(text(&r.done), r#"{"id":"12x5"}"#);
    fake.finished();
    // Expired again right after the re-login: reported, not looped.
    let mut fake = Fake::new()
        .expect(get("listtypes", "S2", ""), fail("AUTHENTICATION_REQUIRED"))
        .login("t3", "S3")
        .expect(get("listtypes", "S3", ""), fail("INVALID_SESSIONID"));
    let e = fake
        .run(&mut d, |d| d.start_call(ops::listtypes(None)))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidSessionId);
    assert_eq!(e.operation.as_deref(), Some("listtypes"));
    fake.finished();
    // Codes outside the expiry set are reported at once.
    let mut fake = Fake::new().expect(get("retrieve", "S3", "&id=12x9"), fail("ACCESS_DENIED"));
    let e = fake
        .run(&mut d, |d| d.start_call(retrieve("12x9")))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccessDenied);
    fake.finished();
}

#[test]
fn an_expiry_seen_by_several_exchanges_costs_one_login() {
    let mut d = driver();
    let mut fake = Fake::new().login("t1", "S1");
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let (a, sa) = d.start_call(retrieve("12x1")).unwrap();
    let (b, sb) = d.start_call(retrieve("12x2")).unwrap();
    let (c, sc) = d.start_call(retrieve("12x3")).unwrap();
    for (s, id) in [(&sa, "12x1"), (&sb, "12x2"), (&sc, "12x3")] {
        assert_eq!(line(s), get("retrieve", "S1", &format!("&id={id}")));
    }
    // A's answer: expired → A leads the login.
    let sa = d.handle(a, &fail("INVALID_SESSIONID"), None).unwrap();
    assert_eq!(line(&sa), get_challenge());
    // B's answer while A logs in: B waits for that login.
    assert_eq!(
        d.handle(b, &fail("INVALID_SESSIONID"), None).unwrap(),
        Step::Wait
    );
    let sa = d.handle(a, &challenge("t2"), None).unwrap();
    assert_eq!(line(&sa), post_login("t2"));
    let sa = d.handle(a, &logged_in("S2"), None).unwrap();
    assert_eq!(line(&sa), get("retrieve", "S2", "&id=12x1"));
    assert!(d.take_wake());
    assert_eq!(
        line(&d.resume(b).unwrap()),
        get("retrieve", "S2", "&id=12x2")
    );
    // C's answer arrives after the new login: C repeats with S2, no login of its own.
    let sc = d.handle(c, &fail("INVALID_SESSIONID"), None).unwrap();
    assert_eq!(line(&sc), get("retrieve", "S2", "&id=12x3"));
    assert!(!d.logging_in());
}

#[test]
fn an_abandoned_login_is_taken_over_by_a_waiter() {
    let mut d = driver();
    let (a, sa) = d.start_call(retrieve("12x1")).unwrap();
    let (b, sb) = d.start_call(retrieve("12x2")).unwrap();
    assert_eq!(line(&sa), get_challenge());
    assert_eq!(sb, Step::Wait);
    // A's caller aborts while the getchallenge is on the wire.
    assert_eq!(d.close(a), None);
    assert!(d.take_wake());
    assert!(!d.logging_in());
    // B leads a new login.
    let sb = d.resume(b).unwrap();
    assert_eq!(line(&sb), get_challenge());
    // An ABORTED failure of the leader abandons the login too (the waiter does not inherit it).
    let (c, sc) = d.start_call(retrieve("12x3")).unwrap();
    assert_eq!(sc, Step::Wait);
    let e = d
        .fail(b, Error::new(ErrorCode::Aborted, "the request was aborted"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Aborted);
    assert!(d.take_wake());
    assert_eq!(line(&d.resume(c).unwrap()), get_challenge());
    // Abandoned during the back-off of a lost race: the same.
    d.handle(c, &challenge("t1"), None).unwrap();
    let sc = d
        .handle(c, &fail("INVALID_USER_CREDENTIALS"), None)
        .unwrap();
    assert!(matches!(sc, Step::Sleep(_)), "{sc:?}");
    let (e2, s2) = d.start_call(retrieve("12x4")).unwrap();
    assert_eq!(s2, Step::Wait);
    assert_eq!(d.close(c), None);
    assert!(d.take_wake());
    assert_eq!(line(&d.resume(e2).unwrap()), get_challenge());
}

#[test]
fn a_transport_failure_of_the_login_is_shared_a_get_is_retried() {
    let mut d = driver();
    let (a, sa) = d.start_call(retrieve("12x1")).unwrap();
    let (b, _) = d.start_call(retrieve("12x2")).unwrap();
    assert_eq!(line(&sa), get_challenge());
    // getchallenge is a GET: retried after 200 ms, then 400 ms.
    let net = || Error::new(ErrorCode::Transport, "network error: connection refused");
    assert_eq!(d.fail(a, net()).unwrap(), Step::Sleep(200));
    assert_eq!(line(&d.resume(a).unwrap()), get_challenge());
    assert_eq!(d.fail(a, net()).unwrap(), Step::Sleep(400));
    assert_eq!(line(&d.resume(a).unwrap()), get_challenge());
    let e = d.fail(a, net()).unwrap_err();
    assert_eq!(e.code, ErrorCode::Transport);
    assert_eq!(e.operation.as_deref(), Some("getchallenge"));
    assert!(d.take_wake());
    let e = d.resume(b).unwrap_err();
    assert_eq!(e.code, ErrorCode::Transport);
    assert_eq!(e.message, "network error: connection refused");
    // The login POST is never sent twice.
    let (a, _) = d.start_call(retrieve("12x1")).unwrap();
    let sa = d.handle(a, &challenge("t"), None).unwrap();
    assert_eq!(line(&sa), post_login("t"));
    let e = d.fail(a, net()).unwrap_err();
    assert_eq!(e.operation.as_deref(), Some("login"));
}

#[test]
fn gateway_statuses_and_network_failures_retry_gets_only() {
    let mut d = driver();
    let mut fake = Fake::new().login("t", "S1");
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let gw = |s| HttpResponse::new(s, "");
    let (id, s) = d.start_call(ops::listtypes(None)).unwrap();
    assert_eq!(d.handle(id, &gw(503), None).unwrap(), Step::Sleep(200));
    assert_eq!(d.resume(id).unwrap(), s);
    assert_eq!(d.handle(id, &gw(502), None).unwrap(), Step::Sleep(400));
    assert_eq!(d.resume(id).unwrap(), s);
    let e = d.handle(id, &gw(504), None).unwrap_err();
    assert_eq!(e.status, Some(504));
    assert_eq!(d.in_flight(), 0);
    // A POST: reported at once, never resent.
    let el = ops::ElementInput::parse(r#"{"lastname":"x"}"#).unwrap();
    let (id, _) = d.start_call(ops::create("Contacts", &el).unwrap()).unwrap();
    let e = d.handle(id, &gw(503), None).unwrap_err();
    assert_eq!(e.status, Some(503));
    let (id, _) = d.start_call(ops::create("Contacts", &el).unwrap()).unwrap();
    let e = d
        .fail(id, Error::new(ErrorCode::Transport, "network error: reset"))
        .unwrap_err();
    assert_eq!(e.operation.as_deref(), Some("create"));
    // TIMEOUT is not retried, even for a GET.
    let (id, _) = d.start_call(ops::listtypes(None)).unwrap();
    let e = d
        .fail(id, Error::new(ErrorCode::Timeout, "no complete answer"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout);
}

#[test]
fn redirects_same_origin_gets_followed_everything_else_refused_naming_the_target() {
    let mut d = driver();
    let mut fake = Fake::new().login("t", "SECRETSESSION");
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let moved = |s| HttpResponse::new(s, "");
    // Same origin GET: followed (relative Location), at most 3 hops.
    let (id, _) = d.start_call(ops::listtypes(None)).unwrap();
    let s = d
        .handle(
            id,
            &moved(302),
            Some(
                "http://crm.test/crm/webservice.php?operation=listtypes&sessionName=SECRETSESSION",
            ),
        )
        .unwrap();
    assert_eq!(
        line(&s),
        "GET http://crm.test/crm/webservice.php?operation=listtypes&sessionName=SECRETSESSION"
    );
    let s = d
        .handle(id, &moved(301), Some("http://CRM.test:80/x"))
        .unwrap();
    assert_eq!(line(&s), "GET http://CRM.test:80/x");
    let s = d
        .handle(id, &moved(307), Some("http://crm.test/y"))
        .unwrap();
    assert_eq!(line(&s), "GET http://crm.test/y");
    let e = d
        .handle(id, &moved(308), Some("http://crm.test/z"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Redirect);
    assert!(e.message.contains("more than 3 redirects"), "{}", e.message);
    // Another origin: refused, the target named, the session masked.
    let (id, _) = d.start_call(ops::listtypes(None)).unwrap();
    let e = d
        .handle(
            id,
            &moved(307),
            Some("https://evil.test/webservice.php?operation=listtypes&sessionName=SECRETSESSION"),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Redirect);
    assert_eq!(e.status, Some(307));
    assert_eq!(e.operation.as_deref(), Some("listtypes"));
    assert!(
        e.message.contains("https://evil.test/webservice.php"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("SECRETSESSION"), "{}", e.message);
    // A POST: never followed (a 302 would turn it into a GET, a 307 send the body again).
    let el = ops::ElementInput::parse(r#"{"lastname":"x"}"#).unwrap();
    for status in [301, 302, 303, 307, 308] {
        let (id, _) = d.start_call(ops::create("Contacts", &el).unwrap()).unwrap();
        let e = d
            .handle(id, &moved(status), Some("http://crm.test/webservice.php"))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Redirect, "{status}");
        assert!(
            e.message.contains("http://crm.test/webservice.php"),
            "{}",
            e.message
        );
    }
    // A redirect the runtime hides (opaqueredirect, status 0), and one without a Location.
    let (id, _) = d.start_call(ops::listtypes(None)).unwrap();
    let e = d.handle(id, &moved(0), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Redirect);
    assert!(e.message.contains("hides"), "{}", e.message);
    let (id, _) = d.start_call(ops::listtypes(None)).unwrap();
    assert_eq!(
        d.handle(id, &moved(302), None).unwrap_err().code,
        ErrorCode::Redirect
    );
    // A Location the host did not resolve: refused, not guessed.
    let (id, _) = d.start_call(ops::listtypes(None)).unwrap();
    let e = d.handle(id, &moved(302), Some("/relative")).unwrap_err();
    assert!(e.message.contains("not an absolute"), "{}", e.message);
    // The login digest never goes to another origin either.
    let mut d = driver();
    let (id, s) = d.start_call(ops::listtypes(None)).unwrap();
    assert_eq!(line(&s), get_challenge());
    let s = d.handle(id, &challenge("t"), None).unwrap();
    assert_eq!(line(&s), post_login("t"));
    let e = d
        .handle(id, &moved(307), Some("http://other.test/webservice.php"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Redirect);
    assert!(!d.logging_in());
}

#[test]
fn https_to_http_is_refused() {
    let mut c = config();
    c.endpoint = Endpoint::parse("https://crm.test").unwrap();
    let mut d = Driver::new(c);
    let (id, _) = d.start_call(ops::listtypes(None)).unwrap();
    let e = d
        .handle(
            id,
            &HttpResponse::new(301, ""),
            Some("http://crm.test/webservice.php"),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Redirect);
    assert!(e.message.contains("https to http"), "{}", e.message);
}

#[test]
fn proxy_mode_sends_the_bearer_token_never_logs_in_never_relogs() {
    let mut d = Driver::new(Config::proxy(
        Endpoint::parse("http://proxy.test/p").unwrap(),
        Some("tok-123"),
    ));
    let (id, s) = d.start_call(retrieve("12x5")).unwrap();
    let Step::Send { request, .. } = &s else {
        panic!()
    };
    assert_eq!(
        request.url,
        "http://proxy.test/p/webservice.php?operation=retrieve&id=12x5"
    );
    assert_eq!(request.header("Authorization"), Some("Bearer tok-123"));
    let e = d.handle(id, &fail("INVALID_SESSIONID"), None).unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::InvalidSessionId,
        "reported, not acted on"
    );
    assert_eq!(d.start_login().unwrap_err().code, ErrorCode::Unsupported);
    assert_eq!(
        d.start_extend_session().unwrap_err().code,
        ErrorCode::Unsupported
    );
    let (_, s) = d.start_logout().unwrap();
    assert_eq!(
        s,
        Step::Done(Value::Text(r#"{"message":"no session"}"#.into()))
    );
    let d = Driver::new(Config::proxy(
        Endpoint::parse("http://proxy.test").unwrap(),
        None,
    ));
    let _ = d;
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("Name{i:04}")).collect()
}

fn in_spec(list: &[String]) -> String {
    let vals: Vec<String> = list.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        r#"{{"module":"Contacts","fields":["lastname"],"where":{{"field":"lastname","op":"in","value":[{}]}}}}"#,
        vals.join(",")
    )
}

#[test]
fn a_query_too_long_for_a_get_is_split_and_the_answers_merged_by_id() {
    let mut d = driver();
    let mut fake = Fake::new().login("t", "S1");
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let spec = in_spec(&names(900));
    let (id, mut step) = d.start_query(QueryText::Spec(&spec)).unwrap();
    let mut parts = 0;
    let done = loop {
        step = match step {
            Step::Send {
                ref request, read, ..
            } => {
                assert_eq!(read, Read::Core, "a split query's answers go to the driver");
                assert!(request.url.len() <= 8192);
                assert!(request.url.contains("sessionName=S1"));
                parts += 1;
                // Every part answers the same row 12x1, and one row of its own.
                let page = format!(
                    r#"[{{"lastname":"Name0000","id":"12x1"}},{{"lastname":"N","id":"12x{}"}},{{"lastname":"no id"}}]"#,
                    parts + 1
                );
                d.handle(id, &ok(&page), None).unwrap()
            }
            Step::Done(v) => break v,
            other => panic!("{other:?}"),
        };
    };
    assert!(parts >= 2, "{parts} parts");
    let rows = crmwire::json::parse(text(&done)).unwrap();
    let ids: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("-")
                .to_owned()
        })
        .collect();
    assert_eq!(
        ids.iter().filter(|i| *i == "12x1").count(),
        1,
        "merged by id: {ids:?}"
    );
    assert_eq!(
        ids.iter().filter(|i| *i == "-").count(),
        parts,
        "rows without id kept"
    );
    assert_eq!(ids.len(), 1 + 2 * parts);
    // A query that fits is one request the host may read itself; raw text goes unchanged.
    let (_, s) = d
        .start_query(QueryText::Raw("select * from Contacts;"))
        .unwrap();
    assert_eq!(read(&s), Read::Clean);
    assert!(
        line(&s).ends_with("&query=select+*+from+Contacts%3B"),
        "{}",
        line(&s)
    );
    // Too long and not splittable: refused before sending.
    let long: Vec<String> = names(1200);
    let spec = in_spec(&long).replace(
        r#""module":"Contacts","#,
        r#""module":"Contacts","limit":5,"#,
    );
    let e = d.start_query(QueryText::Spec(&spec)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("query"));
    assert!(e.message.contains("cannot be split"), "{}", e.message);
    assert_eq!(d.in_flight(), 1);
}

#[test]
fn keyset_pages_through_the_hosts_fast_path_and_through_the_driver() {
    let mut d = driver();
    let mut fake = Fake::new().login("t", "S1");
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let q = QueryText::Raw("SELECT lastname FROM Contacts;");
    let (id, s) = d.start_pages(q, false).unwrap();
    assert_eq!(read(&s), Read::CleanRows);
    assert!(line(&s).contains("LIMIT+100"), "{}", line(&s));
    // The host parsed 100 rows ending with 12x100.
    assert_eq!(
        d.clean(id, 100, Some("12x100")).unwrap(),
        Step::Yield(Value::Clean)
    );
    let s = d.resume(id).unwrap();
    assert!(
        line(&s).contains("id+%3E+") && line(&s).contains("12x100"),
        "{}",
        line(&s)
    );
    // PHP's `{}` for an empty page: the host hands it to the driver; paging ends.
    assert_eq!(
        d.handle(id, &ok("{}"), None).unwrap(),
        Step::Done(Value::Nothing)
    );
    // A short page goes on; an empty one ends.
    let (id, _) = d.start_pages(q, false).unwrap();
    assert_eq!(
        d.clean(id, 60, Some("12x160")).unwrap(),
        Step::Yield(Value::Clean)
    );
    let s = d.resume(id).unwrap();
    assert!(line(&s).contains("12x160"));
    assert_eq!(d.clean(id, 0, None).unwrap(), Step::Done(Value::Nothing));
    // A last id that does not move: INVALID_RESPONSE instead of a loop.
    let (id, _) = d.start_pages(q, false).unwrap();
    d.clean(id, 2, Some("12x5")).unwrap();
    d.resume(id).unwrap();
    assert_eq!(
        d.clean(id, 2, Some("12x5")).unwrap_err().code,
        ErrorCode::InvalidResponse
    );
    // count: the total when done, no yields.
    let (id, s) = d
        .start_pages(QueryText::Raw("SELECT count(*) FROM Contacts;"), true)
        .unwrap();
    assert!(line(&s).contains("SELECT+id+FROM"), "{}", line(&s));
    let s = d.clean(id, 100, Some("12x100")).unwrap();
    assert!(line(&s).contains("12x100"));
    assert_eq!(
        d.clean(id, 0, None).unwrap(),
        Step::Done(Value::Text("100".into()))
    );
    // Session expiry between pages: one re-login, the page repeated.
    let (id, s1) = d.start_pages(q, false).unwrap();
    d.clean(id, 100, Some("12x100")).unwrap();
    let s2 = d.resume(id).unwrap();
    let s = d.handle(id, &fail("INVALID_SESSIONID"), None).unwrap();
    assert_eq!(line(&s), get_challenge());
    d.handle(id, &challenge("t9"), None).unwrap();
    let s = d.handle(id, &logged_in("S9"), None).unwrap();
    assert_eq!(
        line(&s),
        line(&s2).replace("sessionName=S1", "sessionName=S9")
    );
    let _ = s1;
    // Queries paging cannot do are refused before sending.
    let e = d
        .start_pages(
            QueryText::Raw("SELECT * FROM Contacts ORDER BY lastname;"),
            false,
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("orderBy"));
}

#[test]
fn split_pages_are_merged_by_id_across_parts() {
    let mut d = driver();
    let mut fake = Fake::new().login("t", "S1");
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let spec = in_spec(&names(900));
    for count in [false, true] {
        let (id, mut step) = d.start_pages(QueryText::Spec(&spec), count).unwrap();
        let mut parts_seen = 0;
        let mut yielded = Vec::new();
        let done = loop {
            step = match step {
                Step::Send {
                    ref request, read, ..
                } => {
                    assert_eq!(read, Read::Core);
                    let first_page = !request.url.contains("%3E");
                    let page = if first_page {
                        parts_seen += 1;
                        // Each part's first page: the shared row, and one of its own.
                        format!(r#"[{{"id":"12x1"}},{{"id":"12x{}"}}]"#, 100 + parts_seen)
                    } else {
                        "[]".to_owned()
                    };
                    d.handle(id, &ok(&page), None).unwrap()
                }
                Step::Yield(v) => {
                    yielded.push(text(&v).to_owned());
                    d.resume(id).unwrap()
                }
                Step::Done(v) => break v,
                other => panic!("{other:?}"),
            };
        };
        assert!(parts_seen >= 2);
        if count {
            assert!(yielded.is_empty());
            assert_eq!(done, Value::Text((parts_seen + 1).to_string()));
        } else {
            assert_eq!(done, Value::Nothing);
            let all = yielded.join("");
            assert_eq!(all.matches("\"12x1\"").count(), 1, "{all}");
            assert_eq!(yielded.len(), parts_seen);
        }
    }
}

#[test]
fn sync_falls_back_remembers_what_failed_and_releases_on_close() {
    let mut d = driver();
    let mut fake = Fake::new().login("t", "S1");
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let wsapp_page = r#"{"updated":[{"id":"12x1","modifiedtime":"2026-01-01 00:00:00"}],"deleted":[],"more":false,"lastModifiedTime":1767225600}"#;
    let mut fake = Fake::new()
        .expect(
            get(
                "sync",
                "S1",
                "&modifiedTime=1&elementType=Contacts&syncType=user",
            ),
            HttpResponse::new(500, ""),
        )
        .expect(
            format!(
                "POST {EP} operation=wsapp_register&sessionName=S1&type=vtigerCRM&synctype=user"
            ),
            ok(r#"{"key":"wskey"}"#),
        )
        .expect(
            format!(
                "POST {EP} operation=wsapp_get&sessionName=S1&key=wskey&module=Contacts&token=1"
            ),
            ok(wsapp_page),
        )
        .expect(
            format!("POST {EP} operation=wsapp_deregister&sessionName=S1&type=vtigerCRM&key=wskey"),
            ok("{}"),
        );
    let r = fake
        .run(&mut d, |d| d.start_sync("Contacts", "0", None))
        .unwrap();
    fake.finished();
    assert_eq!(r.yields.len(), 1);
    let b = text(&r.yields[0]);
    assert!(b.starts_with(r#"{"updated":[{"id":"12x1""#), "{b}");
    assert!(
        b.contains(r#""strategy":"wsapp""#)
            && b.contains(r#""checkpoint":"v1:wsapp:Contacts:1767225600:"#),
        "{b}"
    );
    assert_eq!(d.answered("sync"), Some(false));
    assert_eq!(d.answered("wsapp_get"), Some(true));
    // A second run from a time skips the broken `sync` (the checkpoint the driver creates
    // names wsapp); the host leaves early: the registration is released.
    let (id, s) = d.start_sync("Contacts", "5", None).unwrap();
    assert_eq!(
        line(&s),
        format!("POST {EP} operation=wsapp_register&sessionName=S1&type=vtigerCRM&synctype=user")
    );
    let s = d.handle(id, &ok(r#"{"key":"k2"}"#), None).unwrap();
    assert!(line(&s).contains("operation=wsapp_get"));
    let more = r#"{"updated":[],"deleted":[],"more":true,"lastModifiedTime":1767225700}"#;
    assert!(matches!(
        d.handle(id, &ok(more), None).unwrap(),
        Step::Yield(_)
    ));
    let rel = d.close(id).expect("a release request");
    assert_eq!(
        line(&rel),
        format!("POST {EP} operation=wsapp_deregister&sessionName=S1&type=vtigerCRM&key=k2")
    );
    // The release is best effort: a failure ends it quietly.
    assert_eq!(
        d.handle(id, &HttpResponse::new(500, ""), None).unwrap(),
        Step::Done(Value::Nothing)
    );
    assert_eq!(d.in_flight(), 0);
    // wsapp failing too: the next run from a time starts with the query strategy.
    let (id, _) = d.start_sync("Leads", "5", None).unwrap();
    d.handle(id, &ok(r#"{"key":"k3"}"#), None).unwrap();
    let s = d.handle(id, &HttpResponse::new(500, ""), None).unwrap();
    assert!(
        line(&s).contains("operation=wsapp_deregister"),
        "{}",
        line(&s)
    );
    let s = d.handle(id, &ok("{}"), None).unwrap();
    assert!(line(&s).contains("operation=query"), "{}", line(&s));
    d.close(id);
    assert_eq!(d.answered("wsapp_get"), Some(false));
    let (_, s) = d.start_sync("Leads", "5", None).unwrap();
    assert!(line(&s).contains("operation=query"), "{}", line(&s));
    // A checkpoint names its own strategy.
    let (_, s) = d.start_sync("Leads", "v1:sync:Leads:5:", None).unwrap();
    assert!(line(&s).contains("operation=sync"), "{}", line(&s));
    assert_eq!(
        d.start_sync("Leads; x", "0", None)
            .unwrap_err()
            .field
            .as_deref(),
        Some("module")
    );
}

#[test]
fn logout_clears_the_session_and_reports_a_server_failure() {
    let mut d = driver();
    let (_, s) = d.start_logout().unwrap();
    assert_eq!(
        s,
        Step::Done(Value::Text(r#"{"message":"no session"}"#.into()))
    );
    let mut fake = Fake::new()
        .login("t", "S1")
        .expect(
            format!("POST {EP} operation=logout&sessionName=S1"),
            ok(r#"{"message":"successfull"}"#),
        )
        .login("t2", "S2")
        .expect(
            format!("POST {EP} operation=logout&sessionName=S2"),
            HttpResponse::new(500, ""),
        );
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let r = fake.run(&mut d, |d| d.start_logout()).unwrap();
    assert_eq!(text(&r.done), r#"{"message":"successfull"}"#);
    assert!(!d.has_session());
    assert_eq!(d.answered("logout"), Some(true));
    fake.run(&mut d, |d| d.start_login()).unwrap();
    // Not an error (issue 17 item 9): the session is gone locally, the failure is reported.
    let r = fake.run(&mut d, |d| d.start_logout()).unwrap();
    let v: serde_json::Value = serde_json::from_str(text(&r.done)).unwrap();
    assert_eq!(v["error"]["code"], "SERVER_ERROR");
    assert_eq!(v["error"]["status"], 500);
    assert_eq!(v["error"]["operation"], "logout");
    assert!(v["message"].as_str().unwrap().contains("cleared locally"));
    assert!(!d.has_session(), "cleared locally anyway");
    assert_eq!(d.answered("logout"), Some(false));
    assert!(d.server_info_json().contains(r#""logout":false"#));
    fake.finished();
}

#[test]
fn explicit_login_replaces_a_held_session_extend_session_keeps_the_new_one() {
    let mut d = driver();
    let mut fake = Fake::new()
        .login("t1", "S1")
        .login("t2", "S2")
        .expect(
            format!("POST {EP} operation=extendsession&sessionName=S2"),
            ok(r#"{"sessionName":"S3","userId":"19x1","version":"0.22","vtigerVersion":"8.4.0"}"#),
        )
        .expect(get("listtypes", "S3", ""), ok("{}"));
    let r = fake.run(&mut d, |d| d.start_login()).unwrap();
    assert!(text(&r.done).starts_with(r#"{"userId":"19x1","version":"0.22","vtigerVersion":"8.4.0","username":"admin","profile":{"#));
    assert!(!text(&r.done).contains("S1"));
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let r = fake.run(&mut d, |d| d.start_extend_session()).unwrap();
    assert!(!text(&r.done).contains("S3"));
    fake.run(&mut d, |d| d.start_call(ops::listtypes(None)))
        .unwrap();
    fake.finished();
    assert_eq!(d.answered("extendsession"), Some(true));
}

#[test]
fn capability_memory_marks_unknown_operations_and_server_errors() {
    let mut d = driver();
    let mut fake = Fake::new()
        .login("t", "S1")
        .expect(
            get("retrieve_inventory", "S1", "&id=12x1"),
            HttpResponse::new(500, ""),
        )
        .expect(
            get("files_retrieve", "S1", "&id=15x1"),
            fail("UNKNOWN_OPERATION"),
        )
        .expect(
            get("relatedtypes", "S1", "&elementType=Accounts"),
            ok(r#"{"types":[]}"#),
        );
    let e = fake
        .run(&mut d, |d| {
            d.start_call(ops::retrieve_inventory(
                WsId::parse_field("12x1", "id").unwrap(),
            ))
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ServerError);
    fake.run(&mut d, |d| {
        d.start_call(ops::files_retrieve("15x1").unwrap())
    })
    .unwrap_err();
    fake.run(&mut d, |d| {
        d.start_call(ops::relatedtypes("Accounts").unwrap())
    })
    .unwrap();
    fake.finished();
    let info = d.server_info_json();
    assert!(info.ends_with(r#""operations":{"retrieve_inventory":false,"files_retrieve":false,"relatedtypes":true}}"#) || info.contains(r#""retrieve_inventory":false"#), "{info}");
    assert_eq!(d.answered("retrieve_inventory"), Some(false));
    assert_eq!(d.answered("files_retrieve"), Some(false));
    assert_eq!(d.answered("relatedtypes"), Some(true));
}

#[test]
fn a_noisy_body_is_decoded_by_the_driver() {
    let mut d = driver();
    let notice = "<br />\n<b>Notice</b>: Undefined index {x} in x.php\n";
    let mut fake = Fake::new()
        .expect(
            get_challenge(),
            HttpResponse::new(
                200,
                format!(
                    "{notice}{}",
                    String::from_utf8(challenge("t").body).unwrap()
                ),
            ),
        )
        .expect(
            post_login("t"),
            HttpResponse::new(
                200,
                format!(
                    "\u{feff}{}",
                    String::from_utf8(logged_in("S1").body).unwrap()
                ),
            ),
        )
        .expect(
            get("retrieve", "S1", "&id=12x1"),
            HttpResponse::new(
                200,
                format!(
                    "{notice}{}",
                    String::from_utf8(ok(r#"{"id":"12x1"}"#).body).unwrap()
                ),
            ),
        );
    let r = fake
        .run(&mut d, |d| d.start_call(retrieve("12x1")))
        .unwrap();
    assert_eq!(text(&r.done), r#"{"id":"12x1"}"#);
    fake.finished();
}

#[test]
fn unknown_exchange_ids_are_refused_not_panics() {
    let mut d = driver();
    assert!(d.resume(7).is_err());
    assert!(d.handle(7, &ok("1"), None).is_err());
    assert!(d.clean(7, 0, None).is_err());
    assert!(d.fail(7, Error::new(ErrorCode::Transport, "x")).is_err());
    assert_eq!(d.close(7), None);
}
