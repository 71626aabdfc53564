//! The Perfex driver step by step, against scripted answers: the REST post-create lookup (and
//! its failure reported in `lookupError`, never as the create's error), GET retries and
//! writes never resent, pages as yields, redirects.

// `crmwire::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crmwire::json::{self, Json};
use crmwire::perfex::driver::{Driver, ListRequest};
use crmwire::perfex::{Config, ListOptions, Perfex, Profile, Resource};
use crmwire::step::{RetryPolicy, Step, Value};
use crmwire::{Error, ErrorCode, HttpResponse, Method};

fn driver(p: Profile) -> Driver {
    let px = Perfex::new(Config::new(p, "https://crm.example", "tok-123")).unwrap();
    Driver::new(px, RetryPolicy::default())
}

fn line(step: &Step) -> String {
    match step {
        Step::Send { request, .. } => format!("{} {}", request.method, request.url),
        other => panic!("expected a request, got {other:?}"),
    }
}

fn done(step: Step) -> Json {
    match step {
        Step::Done(Value::Text(t)) => json::parse(&t).unwrap(),
        other => panic!("expected a result, got {other:?}"),
    }
}

fn ok(body: &str) -> HttpResponse {
    HttpResponse::new(200, body)
}

#[test]
fn rest_create_looks_the_record_up_and_reports_a_failed_lookup_in_lookup_error() {
    let mut d = driver(Profile::Rest);
    let fields = r#"{"company":"Ada"}"#;
    let (id, s) = d.start_create(Resource::Customers, fields, false).unwrap();
    assert!(
        line(&s).starts_with("POST https://crm.example/api/customers"),
        "{}",
        line(&s)
    );
    let s = d
        .handle(
            id,
            &ok(r#"{"status":true,"message":"Client add successful."}"#),
            None,
        )
        .unwrap();
    assert_eq!(line(&s), "GET https://crm.example/api/customers/search/Ada");
    let rows = r#"[{"userid":"7","company":"Ada"},{"userid":"9","company":"Ada"},{"userid":"12","company":"Adam"}]"#;
    let out = done(d.handle(id, &ok(rows), None).unwrap());
    assert_eq!(
        out.get("id").and_then(Json::as_str),
        Some("9"),
        "highest exact match wins"
    );
    assert_eq!(
        out.get("record")
            .and_then(|r| r.get("userid"))
            .and_then(Json::as_str),
        Some("9")
    );
    assert!(out.get("lookupError").is_none());

    // The lookup is a GET: retried after a network failure; then reported, not thrown.
    let (id, _) = d.start_create(Resource::Customers, fields, false).unwrap();
    d.handle(
        id,
        &ok(r#"{"status":true,"message":"Client add successful."}"#),
        None,
    )
    .unwrap();
    let net = || Error::new(ErrorCode::Transport, "network error: ECONNRESET");
    assert_eq!(d.fail(id, net()).unwrap(), Step::Sleep(200));
    assert!(line(&d.resume(id).unwrap()).contains("/search/"));
    assert_eq!(d.fail(id, net()).unwrap(), Step::Sleep(400));
    d.resume(id).unwrap();
    let out = done(d.fail(id, net()).unwrap());
    assert_eq!(
        out.get("message").and_then(Json::as_str),
        Some("Client add successful.")
    );
    let le = out.get("lookupError").unwrap();
    assert_eq!(le.get("code").and_then(Json::as_str), Some("TRANSPORT"));
    assert_eq!(
        le.get("operation").and_then(Json::as_str),
        Some("customers.lookup")
    );
    assert_eq!(d.in_flight(), 0);
    // A lookup answer that cannot be read: the same.
    let (id, _) = d.start_create(Resource::Customers, fields, false).unwrap();
    d.handle(id, &ok(r#"{"status":true,"message":"ok"}"#), None)
        .unwrap();
    let out = done(d.handle(id, &ok("<html>"), None).unwrap());
    assert_eq!(
        out.get("lookupError")
            .and_then(|e| e.get("code"))
            .and_then(Json::as_str),
        Some("INVALID_RESPONSE")
    );
}

#[test]
fn gets_are_retried_writes_never() {
    let mut d = driver(Profile::Won);
    let (id, s) = d.start_get(Resource::Customers, "1", None, false).unwrap();
    assert_eq!(
        line(&s),
        "GET https://crm.example/won_api/won/api/clients/1"
    );
    assert_eq!(
        d.handle(id, &HttpResponse::new(503, ""), None).unwrap(),
        Step::Sleep(200)
    );
    assert_eq!(d.resume(id).unwrap(), s);
    let rec = done(
        d.handle(
            id,
            &ok(r#"{"success":true,"data":{"userid":"1","company":"Acme"}}"#),
            None,
        )
        .unwrap(),
    );
    assert_eq!(rec.get("company").and_then(Json::as_str), Some("Acme"));
    let (id, s) = d
        .start_create(
            Resource::Leads,
            r#"{"name":"x","source":"1","status":"1"}"#,
            false,
        )
        .unwrap();
    let Step::Send { request, .. } = &s else {
        panic!()
    };
    assert_eq!(request.method, Method::Post);
    let e = d.handle(id, &HttpResponse::new(503, ""), None).unwrap_err();
    assert_eq!(e.status, Some(503));
    let (id, _) = d.start_delete(Resource::Leads, "4").unwrap();
    let e = d
        .fail(id, Error::new(ErrorCode::Transport, "network error: reset"))
        .unwrap_err();
    assert_eq!(e.operation.as_deref(), Some("leads.delete"));
    assert_eq!(d.in_flight(), 0);
}

#[test]
fn pages_are_yields_and_a_cross_origin_redirect_is_refused() {
    let mut d = driver(Profile::Won);
    let l = ListRequest {
        options: ListOptions {
            page_size: Some(2),
            ..ListOptions::default()
        },
        ..ListRequest::default()
    };
    let (id, s) = d.start_list(Resource::Tasks, l).unwrap();
    assert!(
        line(&s).ends_with("/won_api/won/api/tasks?page=1&limit=2"),
        "{}",
        line(&s)
    );
    let page = r#"{"success":true,"data":[{"id":"1","name":"a"},{"id":"2","name":"b"}],"meta":{"page":1,"limit":2,"total":5,"total_pages":3,"has_next_page":true}}"#;
    let Step::Yield(Value::Text(t)) = d.handle(id, &ok(page), None).unwrap() else {
        panic!()
    };
    assert!(
        t.contains(r#""name":"a""#) && t.contains(r#""name":"b""#),
        "{t}"
    );
    let s = d.resume(id).unwrap();
    assert!(line(&s).ends_with("page=2&limit=2"), "{}", line(&s));
    d.close(id);
    assert_eq!(d.in_flight(), 0);
    let (id, _) = d.start_get(Resource::Tasks, "1", None, false).unwrap();
    let e = d
        .handle(
            id,
            &HttpResponse::new(302, ""),
            Some("https://elsewhere.example/x"),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Redirect);
    assert_eq!(e.operation.as_deref(), Some("tasks.get"));
}
