//! The session pool ([`crmwire::vtiger::pool`]) against hand-written answers, step by step:
//! calls spread over the least busy session, sessions opened lazily up to the bound, one login
//! at a time across the pool (a `getchallenge` is held while another session logs in), a
//! session that expires renewed alone while the others keep serving, one session = one driver.

#![allow(clippy::result_large_err)]

mod common;

use common::fake::*;

use crmwire::step::{Step, Value};
use crmwire::vtiger::driver::{Config, ExchangeId};
use crmwire::vtiger::ops::{self, Endpoint};
use crmwire::vtiger::pool::Pool;
use crmwire::vtiger::WsId;
use crmwire::{ErrorCode, HttpResponse};

fn get_retrieve(session: &str, id: &str) -> String {
    format!("GET {EP}?operation=retrieve&sessionName={session}&id={id}")
}

fn retrieve(p: &mut Pool, id: &str) -> (ExchangeId, Step) {
    let call = ops::retrieve(WsId::parse_field(id, "id").unwrap());
    p.start(|d| d.start_call(call)).unwrap()
}

/// Answers a getchallenge + login pair of exchange `id` (its first step is the getchallenge);
/// returns the step after the login (the exchange's own request).
fn log_in(p: &mut Pool, id: ExchangeId, step: &Step, token: &str, session: &str) -> Step {
    assert_eq!(line(step), get_challenge());
    let step = p.handle(id, &challenge(token), None).unwrap();
    assert_eq!(line(&step), post_login(token));
    p.handle(id, &logged_in(session), None).unwrap()
}

/// Checks that `step` is the retrieve of `record` under `session`, answers it with
/// `{"id":"<record>"}` and checks that the exchange is done with that result.
fn retrieved(p: &mut Pool, id: ExchangeId, step: &Step, session: &str, record: &str) {
    assert_eq!(line(step), get_retrieve(session, record));
    let result = format!(r#"{{"id":"{record}"}}"#);
    let step = p.handle(id, &ok(&result), None).unwrap();
    assert_eq!(step, Step::Done(Value::Text(result)));
}

#[test]
fn the_sessions_bound_is_checked() {
    for n in [0, 65] {
        let e = Pool::new(config(), n).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("sessions"));
    }
    let proxy = Config::proxy(Endpoint::parse("http://crm.test").unwrap(), Some("t"));
    assert_eq!(
        Pool::new(proxy.clone(), 2).unwrap_err().field.as_deref(),
        Some("sessions")
    );
    assert!(Pool::new(proxy, 1).is_ok());
}

#[test]
fn one_session_is_one_driver_its_calls_wait_for_its_one_login() {
    let mut p = Pool::new(config(), 1).unwrap();
    let (a, sa) = retrieve(&mut p, "12x1");
    let (b, sb) = retrieve(&mut p, "12x2");
    assert_eq!(
        sb,
        Step::Wait,
        "the second call waits for the first one's login"
    );
    assert_eq!(p.open_slots(), 1);
    let sa = log_in(&mut p, a, &sa, "t1", "S0");
    assert!(p.take_wake());
    let sb = p.resume(b).unwrap();
    retrieved(&mut p, a, &sa, "S0", "12x1");
    retrieved(&mut p, b, &sb, "S0", "12x2");
    assert_eq!(p.open_slots(), 1);
}

#[test]
fn calls_spread_over_the_least_busy_session_and_logins_run_one_at_a_time() {
    let mut p = Pool::new(config(), 3).unwrap();
    // Three calls at once: one slot each (each open slot is busy when the next call comes).
    let (a, sa) = retrieve(&mut p, "12x1");
    let (b, sb) = retrieve(&mut p, "12x2");
    let (c, sc) = retrieve(&mut p, "12x3");
    assert_eq!(p.open_slots(), 3);
    assert_eq!(
        [a, b, c].map(Pool::slot_of),
        [0, 1, 2],
        "one call per session"
    );
    assert_eq!(line(&sa), get_challenge(), "slot 0 logs in");
    assert_eq!(sb, Step::Wait, "slot 1's getchallenge is held");
    assert_eq!(sc, Step::Wait, "slot 2's getchallenge is held");
    assert_eq!(p.logging_in(), Some(0));
    // A fourth call: every slot is busy and the pool is full; it joins the least busy one.
    let (d, sd) = retrieve(&mut p, "12x4");
    assert_eq!(p.open_slots(), 3, "never more than the bound");
    assert_eq!(Pool::slot_of(d), 0);
    assert_eq!(sd, Step::Wait, "it waits for slot 0's login");

    // Slot 0 logs in: the held exchanges are woken; only one of them may log in next.
    p.take_wake();
    let sa = log_in(&mut p, a, &sa, "t0", "S0");
    assert!(p.take_wake(), "the end of the login wakes the waiters");
    assert_eq!(p.logging_in(), None);
    let sc = p.resume(c).unwrap();
    assert_eq!(
        line(&sc),
        get_challenge(),
        "slot 2 got its held getchallenge"
    );
    assert_eq!(p.logging_in(), Some(2));
    assert_eq!(p.resume(b).unwrap(), Step::Wait, "slot 1 waits again");
    let sd = p.resume(d).unwrap();
    retrieved(&mut p, d, &sd, "S0", "12x4");
    retrieved(&mut p, a, &sa, "S0", "12x1");

    // A call now: slot 0 is idle, it goes there at once (no new session, no login).
    let (e, se) = retrieve(&mut p, "12x5");
    assert_eq!(Pool::slot_of(e), 0);
    retrieved(&mut p, e, &se, "S0", "12x5");

    let sc = log_in(&mut p, c, &sc, "t2", "S2");
    assert!(p.take_wake());
    let sb = p.resume(b).unwrap();
    assert_eq!(p.logging_in(), Some(1));
    let sb = log_in(&mut p, b, &sb, "t1", "S1");
    retrieved(&mut p, c, &sc, "S2", "12x3");
    retrieved(&mut p, b, &sb, "S1", "12x2");
    assert_eq!(p.loads(), [0, 0, 0]);
    assert_eq!(p.logging_in(), None);
}

#[test]
fn an_expired_session_is_renewed_alone_while_the_others_keep_serving() {
    let mut p = Pool::new(config(), 2).unwrap();
    let (a, sa) = retrieve(&mut p, "12x1");
    let (b, sb) = retrieve(&mut p, "12x2");
    assert_eq!(sb, Step::Wait);
    let sa = log_in(&mut p, a, &sa, "t0", "S0");
    p.take_wake();
    let sb = p.resume(b).unwrap();
    let sb = log_in(&mut p, b, &sb, "t1", "S1");
    retrieved(&mut p, a, &sa, "S0", "12x1");
    // Slot 1's session expired on the server: its call logs in again (alone) …
    assert_eq!(line(&sb), get_retrieve("S1", "12x2"));
    let sb = p.handle(b, &fail("INVALID_SESSIONID"), None).unwrap();
    assert_eq!(line(&sb), get_challenge());
    assert_eq!(p.logging_in(), Some(1));
    // … while slot 0 serves at once, on its own session.
    let (c, sc) = retrieve(&mut p, "12x3");
    assert_eq!(Pool::slot_of(c), 0, "the least busy slot");
    retrieved(&mut p, c, &sc, "S0", "12x3");
    // Slot 1 gets its new session and repeats its request once.
    let sb = log_in(&mut p, b, &sb, "t2", "S1b");
    retrieved(&mut p, b, &sb, "S1b", "12x2");
    // Both sessions serve on.
    let (d, sd) = retrieve(&mut p, "12x4");
    let (e, se) = retrieve(&mut p, "12x5");
    assert_eq!([d, e].map(Pool::slot_of), [0, 1]);
    retrieved(&mut p, d, &sd, "S0", "12x4");
    retrieved(&mut p, e, &se, "S1b", "12x5");
}

#[test]
fn closing_a_held_login_lets_the_next_one_lead() {
    let mut p = Pool::new(config(), 2).unwrap();
    let (a, sa) = retrieve(&mut p, "12x1");
    let (b, sb) = retrieve(&mut p, "12x2");
    assert_eq!(sb, Step::Wait);
    // The caller of b gives up while its getchallenge is held: nothing of it is ever sent.
    assert_eq!(p.close(b), None);
    let sa = log_in(&mut p, a, &sa, "t0", "S0");
    retrieved(&mut p, a, &sa, "S0", "12x1");
    // Slot 1 has no session yet: its next call logs in, now alone.
    let (c, sc) = retrieve(&mut p, "12x3");
    let (d, sd) = retrieve(&mut p, "12x4");
    assert_eq!([c, d].map(Pool::slot_of), [0, 1]);
    let sd = log_in(&mut p, d, &sd, "t1", "S1");
    retrieved(&mut p, c, &sc, "S0", "12x3");
    retrieved(&mut p, d, &sd, "S1", "12x4");
}

#[test]
fn a_failed_login_releases_the_pool_for_the_next_slot() {
    let mut p = Pool::new(config(), 2).unwrap();
    let (a, sa) = retrieve(&mut p, "12x1");
    let (b, sb) = retrieve(&mut p, "12x2");
    assert_eq!(sb, Step::Wait);
    assert_eq!(line(&sa), get_challenge());
    let e = p
        .handle(a, &HttpResponse::new(200, "<html>"), None)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
    assert!(p.take_wake());
    assert_eq!(p.logging_in(), None);
    let sb = p.resume(b).unwrap();
    assert_eq!(line(&sb), get_challenge(), "slot 1 may log in now");
}

#[test]
fn server_info_merges_what_the_sessions_learned() {
    let mut p = Pool::new(config(), 2).unwrap();
    let (a, sa) = retrieve(&mut p, "12x1");
    let (b, sb) = retrieve(&mut p, "12x2");
    assert_eq!(sb, Step::Wait);
    let sa = log_in(&mut p, a, &sa, "t0", "S0");
    p.take_wake();
    let sb = p.resume(b).unwrap();
    let _ = log_in(&mut p, b, &sb, "t1", "S1");
    retrieved(&mut p, a, &sa, "S0", "12x1");
    p.close(b);
    // relatedtypes answered on slot 1 (slot 0 is busy with a).
    let (a, _sa) = retrieve(&mut p, "12x1");
    let call = ops::relatedtypes("Contacts").unwrap();
    let (r, sr) = p.start(|d| d.start_call(call)).unwrap();
    assert_eq!(Pool::slot_of(r), 1);
    assert!(line(&sr).contains("operation=relatedtypes&sessionName=S1"));
    p.handle(r, &ok(r#"{"types":[]}"#), None).unwrap();
    p.close(a);
    let info = p.server_info_json();
    assert!(info.contains(r#""vtigerVersion":"8.4.0""#), "{info}");
    assert!(info.contains(r#""relatedtypes":true"#), "{info}");
    assert!(!info.contains("S0") && !info.contains("S1"), "{info}");
}

const CONTACTS_DESCRIBE: &str = r#"{"label":"Contacts","name":"Contacts","createable":true,"updateable":true,"deleteable":true,"retrieveable":true,"fields":[{"name":"lastname","label":"Last Name","mandatory":true,"type":{"name":"string"},"nullable":false,"editable":true,"default":""},{"name":"id","label":"id","mandatory":false,"type":{"name":"autogenerated"},"nullable":false,"editable":false,"default":""}],"idPrefix":"12","isEntity":true,"allowDuplicates":true,"labelFields":"lastname"}"#;

fn create(p: &mut Pool, json: &str) -> (ExchangeId, Step) {
    try_create(p, json).unwrap()
}

fn try_create(p: &mut Pool, json: &str) -> crmwire::Result<(ExchangeId, Step)> {
    use crmwire::vtiger::driver::WriteRun;
    use crmwire::vtiger::fields::WriteKind;
    use crmwire::vtiger::ops::ElementInput;
    let run = WriteRun::new(
        WriteKind::Create,
        Some("Contacts"),
        ElementInput::parse(json).unwrap(),
        Vec::new(),
        None,
    )
    .unwrap();
    p.start(|d| d.start_write(run))
}

#[test]
fn a_module_is_described_once_per_pool_for_the_field_check() {
    let mut p = Pool::new(config(), 3).unwrap();
    let (a, sa) = create(&mut p, r#"{"lastname":"A"}"#);
    let (b, sb) = create(&mut p, r#"{"lastname":"B"}"#);
    assert_eq!(sb, Step::Wait);
    let sa = log_in(&mut p, a, &sa, "t0", "S0");
    assert_eq!(
        line(&sa),
        format!("GET {EP}?operation=describe&sessionName=S0&elementType=Contacts")
    );
    p.take_wake();
    let sb = p.resume(b).unwrap();
    // Slot 0's describe arrives while slot 1 logs in: slot 1 checks with it.
    let sa = p.handle(a, &ok(CONTACTS_DESCRIBE), None).unwrap();
    assert!(line(&sa).starts_with(&format!("POST {EP} operation=create&sessionName=S0")));
    let sb = log_in(&mut p, b, &sb, "t1", "S1");
    assert!(
        line(&sb).starts_with(&format!("POST {EP} operation=create&sessionName=S1")),
        "no second describe: {}",
        line(&sb)
    );
    p.handle(a, &ok(r#"{"lastname":"A","id":"12x1"}"#), None)
        .unwrap();
    p.handle(b, &ok(r#"{"lastname":"B","id":"12x2"}"#), None)
        .unwrap();
    // A slot opened later has it too: the check refuses before anything is sent, not even
    // that slot's login.
    let (c, _) = retrieve(&mut p, "12x1");
    let (d, _) = retrieve(&mut p, "12x2");
    assert_eq!([c, d].map(Pool::slot_of), [0, 1]);
    let err = try_create(&mut p, r#"{"lastname":"E","emial":"x"}"#).unwrap_err();
    assert_eq!(p.open_slots(), 3);
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("emial"))
    );
    let (e, se) = try_create(&mut p, r#"{"lastname":"E"}"#).unwrap();
    assert_eq!(Pool::slot_of(e), 2);
    let se = log_in(&mut p, e, &se, "t2", "S2");
    assert!(line(&se).starts_with(&format!("POST {EP} operation=create&sessionName=S2")));
}
