//! Record writes, describes, files and logout through the session driver, against an in-memory
//! fake server that asserts the exact requests (as tests/vtiger_driver.rs), answered with the
//! recorded describes (`vtiger-8.4.0/108`, `111`, `114`) and file exchanges (925, 926,
//! 936–938): the field check (issue 17 item 10), Documents with file content (item 4) and
//! logout reporting instead of failing (item 9).

// `crmwire::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

mod common;

use common::fake::line;

use crmwire::encode::md5_hex;
use crmwire::step::{Step, Value};
use crmwire::vtiger::driver::{Config, Driver, ExchangeId, WriteRun};
use crmwire::vtiger::fields::{DateValue, Upload, WriteKind};
use crmwire::vtiger::ops::{ElementInput, Endpoint};
use crmwire::{Error, ErrorCode, HttpResponse, Method};
use std::collections::VecDeque;

const EP: &str = "http://crm.test/webservice.php";
const KEY: &str = "K3yK3yK3y";

fn driver_with(check: bool) -> Driver {
    let mut c = Config::login(Endpoint::parse("http://crm.test").unwrap(), "admin", KEY).unwrap();
    c.seed = 42;
    c.check_fields = check;
    Driver::new(c)
}

fn ok(result: &str) -> HttpResponse {
    HttpResponse::new(200, format!(r#"{{"success":true,"result":{result}}}"#))
}

fn refused(code: &str, message: &str) -> HttpResponse {
    HttpResponse::new(
        200,
        format!(r#"{{"success":false,"error":{{"code":"{code}","message":"{message}"}}}}"#),
    )
}

/// A recorded answer.
fn rec(prefix: &str) -> HttpResponse {
    common::load("vtiger-8.4.0", prefix).response()
}

fn get(op: &str, rest: &str) -> String {
    format!("GET {EP}?operation={op}&sessionName=S1{rest}")
}

fn post(op: &str, rest: &str) -> String {
    format!("POST {EP} operation={op}&sessionName=S1{rest}")
}

fn form(v: &str) -> String {
    let mut out = String::new();
    crmwire::encode::encode_component(v, &mut out);
    out.replace("%20", "+")
}

/// Yields (text, the body of the answer it came from) and the done value.
type Ran = (Vec<(String, Vec<u8>)>, Value);
/// A multipart body's text parts and its file part (name, filename, type, bytes).
type Parts = (
    Vec<(String, String)>,
    Option<(String, String, String, Vec<u8>)>,
);

#[derive(Default)]
struct Fake {
    script: VecDeque<(String, HttpResponse)>,
}

impl Fake {
    fn new() -> Fake {
        let f = Fake::default();
        f.expect(
            format!("GET {EP}?operation=getchallenge&username=admin"),
            ok(r#"{"token":"t","serverTime":1,"expireTime":301}"#),
        )
        .expect(
            format!(
                "POST {EP} operation=login&username=admin&accessKey={}",
                md5_hex(&format!("t{KEY}"))
            ),
            ok(r#"{"sessionName":"S1","userId":"19x1","version":"0.22","vtigerVersion":"8.4.0"}"#),
        )
    }
    fn expect(mut self, line: impl Into<String>, resp: HttpResponse) -> Fake {
        self.script.push_back((line.into(), resp));
        self
    }
    fn answer(&mut self, step: &Step) -> HttpResponse {
        let got = line(step);
        let (want, resp) = self
            .script
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request: {got}"));
        if want.ends_with('*') {
            assert!(
                got.starts_with(want.trim_end_matches('*')),
                "request:\n got {got}\nwant {want}"
            );
        } else {
            assert_eq!(got, want, "request");
        }
        resp
    }
    /// Runs one exchange to its end: (yields, done value).
    fn run(
        &mut self,
        d: &mut Driver,
        start: impl FnOnce(&mut Driver) -> crmwire::Result<(ExchangeId, Step)>,
    ) -> crmwire::Result<Ran> {
        let (id, mut step) = start(d)?;
        let mut yields = Vec::new();
        let mut last = Vec::new();
        loop {
            step = match step {
                Step::Send { .. } => {
                    let resp = self.answer(&step);
                    last = resp.body.clone();
                    d.handle(id, &resp, None)?
                }
                Step::Yield(Value::Text(t)) => {
                    yields.push((t, last.clone()));
                    d.resume(id)?
                }
                Step::Done(v) => return Ok((yields, v)),
                other => panic!("unexpected step {other:?}"),
            }
        }
    }
    fn finished(&self) {
        assert!(self.script.is_empty(), "never sent: {:?}", self.script);
    }
}

fn el(json: &str) -> ElementInput {
    ElementInput::parse(json).unwrap()
}

fn write(kind: WriteKind, module: Option<&str>, json: &str) -> WriteRun {
    WriteRun::new(kind, module, el(json), Vec::new(), None).unwrap()
}

fn text(v: &Value) -> &str {
    match v {
        Value::Text(t) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

const CONTACT_OK: &str = r#"{"lastname":"Doe","id":"12x9"}"#;

#[test]
fn an_unknown_field_is_refused_before_sending_naming_the_closest_field() {
    let mut d = driver_with(true);
    let mut fake = Fake::new().expect(get("describe", "&elementType=Contacts"), rec("111"));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(
                WriteKind::Create,
                Some("Contacts"),
                r#"{"lastname":"Doe","emial":"x@example.com"}"#,
            ))
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("emial"));
    assert_eq!(e.operation.as_deref(), Some("create"));
    assert!(e.message.contains("'email'"), "{}", e.message);
    fake.finished();
    // The describe is cached: the next create of the module sends the create only.
    let el = r#"{"lastname":"Doe","email":"x@example.com","label":"kept","id":"12x1"}"#;
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        post(
            "create",
            &format!("&elementType=Contacts&element={}", form(el)),
        ),
        ok(CONTACT_OK),
    );
    let (_, done) = fake
        .run(&mut d, |d| {
            d.start_write(write(WriteKind::Create, Some("Contacts"), el))
        })
        .unwrap();
    assert_eq!(text(&done), CONTACT_OK);
    fake.finished();
}

#[test]
fn a_label_names_its_field_and_the_check_can_be_turned_off() {
    let mut d = driver_with(true);
    let mut fake = Fake::new().expect(get("describe", "&elementType=Contacts"), rec("111"));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(
                WriteKind::Create,
                Some("Contacts"),
                r#"{"Last Name":"Doe"}"#,
            ))
        })
        .unwrap_err();
    assert!(
        e.message.contains("closest field: 'lastname'"),
        "{}",
        e.message
    );
    // checkFields: false: no describe, the element goes out as given.
    let mut d = driver_with(false);
    let body = r#"{"lastname":"Doe","emial":"x"}"#;
    let mut fake = Fake::new().expect(
        post(
            "create",
            &format!("&elementType=Contacts&element={}", form(body)),
        ),
        ok(CONTACT_OK),
    );
    fake.run(&mut d, |d| {
        d.start_write(write(WriteKind::Create, Some("Contacts"), body))
    })
    .unwrap();
    fake.finished();
}

#[test]
fn dates_are_written_in_the_fields_format_in_utc() {
    let day = 631_238_400_000; // 1990-01-02T00:00:00Z
    let dates = |k: &str, ms: Option<i64>, nested: bool| DateValue {
        key: k.into(),
        ms,
        nested,
    };
    let mut d = driver_with(false); // Dates need the describe even with the check off
    let sent = r#"{"subject":"T","date_start":"1990-01-02","time_start":"13:14:15","activitytype":"Task"}"#;
    let mut fake = Fake::new()
        .expect(get("describe", "&elementType=Calendar"), rec("108"))
        .expect(
            post(
                "create",
                &format!("&elementType=Calendar&element={}", form(sent)),
            ),
            ok(r#"{"id":"9x1"}"#),
        );
    fake.run(&mut d, |d| {
        d.start_write(
            WriteRun::new(
                WriteKind::Create,
                Some("Calendar"),
                el(r#"{"subject":"T","date_start":"1990-01-02T00:00:00.000Z","time_start":"x"}"#),
                vec![
                    dates("date_start", Some(day), false),
                    dates("time_start", Some(day + 47_655_000), false),
                ],
                None,
            )
            .unwrap(),
        )
    })
    .unwrap();
    fake.finished();
    // A Date in a string field, an invalid Date, a nested Date: refused, nothing sent.
    for (dv, field, words) in [
        (
            dates("subject", Some(day), false),
            "subject",
            "string field",
        ),
        (
            dates("date_start", None, false),
            "date_start",
            "invalid Date",
        ),
        (
            dates("LineItems", Some(day), true),
            "LineItems",
            "inside its value",
        ),
    ] {
        let e = Fake {
            script: VecDeque::new(),
        }
        .run(&mut d, |d| {
            d.start_write(
                WriteRun::new(
                    WriteKind::Create,
                    Some("Calendar"),
                    el(r#"{"subject":"T"}"#),
                    vec![dv],
                    None,
                )
                .unwrap(),
            )
        })
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field));
        assert!(e.message.contains(words), "{}", e.message);
    }
}

#[test]
fn an_iso_timestamp_in_a_date_field_is_refused_recording_935() {
    // 935: the server stores "1990-01-02T00:00:00.000Z" in a date field as "" (success).
    let fx = common::load("vtiger-8.4.0", "935");
    let sent = fx.param("element").unwrap().to_owned();
    let mut d = driver_with(true);
    let mut fake = Fake::new().expect(get("describe", "&elementType=Contacts"), rec("111"));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(WriteKind::Create, Some("Contacts"), &sent))
        })
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("birthday"));
    assert!(e.message.contains("stores as \"\""), "{}", e.message);
    fake.finished();
}

#[test]
fn strict_picklists_refuse_values_outside_the_list_and_suggest_one() {
    let mut d = driver_with(true);
    let mut fake = Fake::new().expect(get("describe", "&elementType=Contacts"), rec("111"));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(
                WriteKind::Create,
                Some("Contacts"),
                r#"{"lastname":"Doe","leadsource":"cold call"}"#,
            ))
        })
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("leadsource"));
    assert!(
        e.message.contains("did you mean 'Cold Call'"),
        "{}",
        e.message
    );
    fake.finished();
    // "" clears a picklist; a listed value passes.
    let body = r#"{"lastname":"Doe","leadsource":"","salutationtype":"Mr."}"#;
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        post(
            "create",
            &format!("&elementType=Contacts&element={}", form(body)),
        ),
        ok(CONTACT_OK),
    );
    fake.run(&mut d, |d| {
        d.start_write(write(WriteKind::Create, Some("Contacts"), body))
    })
    .unwrap();
    fake.finished();
    // Calendar's activitytype takes Task, which its list lacks (227–233).
    let body = r#"{"subject":"T","activitytype":"Task"}"#;
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(get("describe", "&elementType=Calendar"), rec("108"))
    .expect(
        post(
            "create",
            &format!("&elementType=Calendar&element={}", form(body)),
        ),
        ok(r#"{"id":"9x1"}"#),
    );
    fake.run(&mut d, |d| {
        d.start_write(write(WriteKind::Create, Some("Calendar"), body))
    })
    .unwrap();
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(
                WriteKind::Create,
                Some("Calendar"),
                r#"{"subject":"T","activitytype":"Lunch"}"#,
            ))
        })
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("activitytype"));
    fake.finished();
}

#[test]
fn update_and_revise_find_the_module_of_the_id_once() {
    let mut d = driver_with(true);
    // 12 is Contacts on a stock install: one describe, checked against its idPrefix.
    let mut fake = Fake::new().expect(get("describe", "&elementType=Contacts"), rec("111"));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(
                WriteKind::Revise,
                None,
                r#"{"id":"12x5","mailingcitty":"Paris"}"#,
            ))
        })
        .unwrap_err();
    assert_eq!(
        (e.field.as_deref(), e.operation.as_deref()),
        (Some("mailingcitty"), Some("revise"))
    );
    assert!(e.message.contains("'mailingcity'"), "{}", e.message);
    fake.finished();
    // A prefix that is not the stock one: listtypes, then the entity modules not described
    // yet, until one has it (each describe cached).
    let custom = rec("111")
        .body
        .iter()
        .map(|&b| b as char)
        .collect::<String>()
        .replace(r#""idPrefix":"12""#, r#""idPrefix":"40""#)
        .replace(r#""name":"Contacts""#, r#""name":"Fans""#);
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        get("listtypes", ""),
        ok(r#"{"types":["Contacts","Groups","Fans"],"information":{"Contacts":{"isEntity":true,"label":"C","singular":"C"},"Groups":{"isEntity":false,"label":"G","singular":"G"},"Fans":{"isEntity":true,"label":"F","singular":"F"}}}"#),
    )
    .expect(get("describe", "&elementType=Fans"), HttpResponse::new(200, custom))
    .expect(post("update", "&element=*"), ok(r#"{"id":"40x7"}"#));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(
                WriteKind::Update,
                None,
                r#"{"id":"40x7","emial":"x"}"#,
            ))
        })
        .unwrap_err();
    assert!(
        e.message.starts_with("Fans has no field 'emial'"),
        "{}",
        e.message
    );
    fake.run(&mut d, |d| {
        d.start_write(write(
            WriteKind::Update,
            None,
            r#"{"id":"40x7","lastname":"L"}"#,
        ))
    })
    .unwrap();
    fake.finished();
    // A prefix no module has: remembered, sent unchecked (the server answers for the id).
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        post("revise", "&element=*"),
        refused(
            "ACCESS_DENIED",
            "Permission to perform the operation is denied for id",
        ),
    )
    .expect(
        post("revise", "&element=*"),
        refused(
            "ACCESS_DENIED",
            "Permission to perform the operation is denied for id",
        ),
    );
    // Groups is not an entity module: not a candidate. Every candidate is described now.
    for _ in 0..2 {
        let e = fake
            .run(&mut d, |d| {
                d.start_write(write(WriteKind::Revise, None, r#"{"id":"77x1","x":"y"}"#))
            })
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::AccessDenied);
    }
    fake.finished();
}

#[test]
fn concurrent_writes_of_one_module_share_one_describe() {
    let mut d = driver_with(true);
    let mut fake = Fake::new();
    let (a, s) = d
        .start_write(write(
            WriteKind::Create,
            Some("Contacts"),
            r#"{"lastname":"A"}"#,
        ))
        .unwrap();
    let r = fake.answer(&s);
    let s = d.handle(a, &r, None).unwrap();
    let r = fake.answer(&s);
    let sa = d.handle(a, &r, None).unwrap(); // logged in: the describe goes out
    assert_eq!(line(&sa), get("describe", "&elementType=Contacts"));
    d.take_wake(); // the login settled
    let (b, sb) = d
        .start_write(write(
            WriteKind::Create,
            Some("Contacts"),
            r#"{"lastname":"B","emial":"x"}"#,
        ))
        .unwrap();
    assert_eq!(
        sb,
        Step::Wait,
        "the second write waits for the first one's describe"
    );
    assert!(!d.take_wake());
    let sa = d.handle(a, &rec("111"), None).unwrap();
    assert!(
        d.take_wake(),
        "the waiter is woken when the describe settles"
    );
    assert!(line(&sa).starts_with(&post("create", "")));
    let e = d.resume(b).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("emial"),
        "checked with the shared describe"
    );
    // describe() is served from the same cache, without a request.
    let (_, s) = d.start_describe("Contacts").unwrap();
    let Step::Done(Value::Text(t)) = s else {
        panic!("{s:?}")
    };
    assert!(t.contains(r#""idPrefix":"12""#));
    assert!(d.module_info("Contacts").is_some());
}

#[test]
fn a_failed_describe_is_the_writes_error_and_nothing_is_sent() {
    let mut d = driver_with(true);
    let mut fake = Fake::new().expect(get("describe", "&elementType=NoSuch"), rec("135"));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(write(WriteKind::Create, Some("NoSuch"), r#"{"a":"b"}"#))
        })
        .unwrap_err();
    assert_eq!(
        (e.code, e.operation.as_deref()),
        (ErrorCode::AccessDenied, Some("create"))
    );
    assert!(e.message.contains("checkFields: false"), "{}", e.message);
    fake.finished();
}

#[test]
fn mandatory_fields_missing_names_its_field_recording_286() {
    let e = crmwire::vtiger::envelope::decode(&rec("286"), "create").unwrap_err();
    assert_eq!(e.code, ErrorCode::MandatoryFieldsMissing);
    assert_eq!(e.field.as_deref(), Some("lastname"));
}

// ---- Documents -------------------------------------------------------------------------

fn doc_run(kind: WriteKind, json: &str, file: Option<Upload>) -> WriteRun {
    let module = (kind == WriteKind::Create).then_some("Documents");
    WriteRun::new(kind, module, el(json), Vec::new(), file).unwrap()
}

/// The text parts and the file part of a multipart body with the file's bytes inserted.
fn parse_multipart(ct: &str, body: &[u8]) -> Parts {
    let boundary = ct.split("boundary=").nth(1).unwrap();
    let delim = format!("--{boundary}");
    let text = body.to_vec();
    let mut parts = Vec::new();
    let mut file = None;
    let positions: Vec<usize> = text
        .windows(delim.len())
        .enumerate()
        .filter(|(_, w)| *w == delim.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert!(text.ends_with(format!("{delim}--\r\n").as_bytes()));
    for pair in positions.windows(2) {
        let part = &text[pair[0] + delim.len() + 2..pair[1] - 2];
        let h = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(part[..h].to_vec()).unwrap();
        let data = part[h + 4..].to_vec();
        let name = head
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        match head.split("filename=\"").nth(1) {
            Some(f) => {
                let fname = f.split('"').next().unwrap().to_owned();
                let ctype = head.split("Content-Type: ").nth(1).unwrap().to_owned();
                file = Some((name, fname, ctype, data));
            }
            None => parts.push((name, String::from_utf8(data).unwrap())),
        }
    }
    (parts, file)
}

#[test]
fn a_document_with_a_file_goes_out_as_multipart_recording_936() {
    let fx = common::load("vtiger-8.4.0", "936");
    let element = fx.param("element").unwrap().to_owned();
    let content = "Hello crmwire\nsecond line é\n".as_bytes();
    let up = Upload::new(
        "my notes.bin",
        Some("application/octet-stream"),
        content.len() as u64,
    )
    .unwrap();
    let mut d = driver_with(true);
    let mut fake = Fake::new();
    let (id, mut s) = d
        .start_write(doc_run(WriteKind::Create, &element, Some(up)))
        .unwrap();
    for _ in 0..2 {
        let r = fake.answer(&s);
        s = d.handle(id, &r, None).unwrap();
    }
    assert_eq!(line(&s), get("describe", "&elementType=Documents"));
    s = d.handle(id, &rec("114"), None).unwrap();
    let Step::Send {
        request,
        upload: Some(at),
        read,
        ..
    } = &s
    else {
        panic!("expected an upload, got {s:?}")
    };
    assert_eq!(*read, crmwire::step::Read::Core);
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.url, EP);
    let ct = request.header("content-type").unwrap().to_owned();
    assert!(
        ct.starts_with("multipart/form-data; boundary=crmwire-"),
        "{ct}"
    );
    let body = request.body.as_ref().unwrap();
    let mut full = body[..*at].to_vec();
    full.extend_from_slice(content);
    full.extend_from_slice(&body[*at..]);
    let (parts, file) = parse_multipart(&ct, &full);
    // The recording's parts, in its order (the session is ours); filelocationtype 'I' as sent.
    let want: Vec<(String, String)> = fx
        .form
        .clone()
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k != "filename")
        .map(|(k, v)| (k.clone(), if k == "sessionName" { "S1".into() } else { v }))
        .collect();
    assert_eq!(parts, want);
    let (name, fname, ctype, data) = file.unwrap();
    assert_eq!(
        (name.as_str(), fname.as_str(), ctype.as_str()),
        ("filename", "my notes.bin", "application/octet-stream")
    );
    assert_eq!(data, content);
    // The server's record (936: the stored name is sanitised) is the result.
    let s = d.handle(id, &fx.response(), None).unwrap();
    let Step::Done(Value::Text(t)) = s else {
        panic!("{s:?}")
    };
    assert!(t.contains(r#""filename":"my_notes.binfile.txt""#), "{t}");
    // A record saved without its file (PHP dropped an upload over its limit): reported.
    let up = Upload::new("big.bin", None, 2_500_000).unwrap();
    let (id, s) = d
        .start_write(doc_run(WriteKind::Create, &element, Some(up)))
        .unwrap();
    assert!(matches!(
        s,
        Step::Send {
            upload: Some(_),
            ..
        }
    ));
    let dropped = String::from_utf8(fx.response().body)
        .unwrap()
        .replace(r#""filesize":"29""#, r#""filesize":"0""#);
    let e = d
        .handle(id, &HttpResponse::new(200, dropped), None)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ServerError);
    assert!(
        e.message.contains("15x805 without its file"),
        "{}",
        e.message
    );
}

#[test]
fn a_file_the_server_did_not_attach_is_reported_recording_939() {
    // 939: content that finfo reads as an image but is not a valid one: success, filesize 256,
    // and no imageattachmentids: the file is not stored.
    let fx = common::load("vtiger-8.4.0", "939");
    let element = fx.param("element").unwrap().to_owned();
    let mut d = driver_with(false);
    let mut fake = Fake::new();
    let up = Upload::new("bytes.dat", None, 256).unwrap();
    let (id, mut s) = d
        .start_write(doc_run(WriteKind::Create, &element, Some(up)))
        .unwrap();
    for _ in 0..2 {
        let r = fake.answer(&s);
        s = d.handle(id, &r, None).unwrap();
    }
    assert!(matches!(
        s,
        Step::Send {
            upload: Some(_),
            ..
        }
    ));
    let e = d.handle(id, &fx.response(), None).unwrap_err();
    assert_eq!(
        (e.code, e.operation.as_deref()),
        (ErrorCode::ServerError, Some("create"))
    );
    assert!(
        e.message.contains("15x1662 without its file") && e.message.contains("image"),
        "{}",
        e.message
    );
}

#[test]
fn documents_rules_refuse_what_the_server_would_store_without_its_file() {
    let mut d = driver_with(false);
    let up = |n: u64| Some(Upload::new("a.txt", None, n).unwrap());
    // 923: an internal Document without content; a filename without content or 'E'.
    for (json, file, field, words) in [
        (
            r#"{"notes_title":"x","filelocationtype":"I","filename":"a.txt"}"#,
            None,
            "file",
            "needs its file content",
        ),
        (
            r#"{"notes_title":"x","filename":"a.txt"}"#,
            None,
            "file",
            "filelocationtype 'E'",
        ),
        (r#"{"notes_title":"x"}"#, up(0), "file", "empty"),
        (
            r#"{"notes_title":"x","filelocationtype":"E"}"#,
            up(3),
            "filelocationtype",
            "internal",
        ),
    ] {
        let e = Fake {
            script: VecDeque::new(),
        }
        .run(&mut d, |d| {
            d.start_write(doc_run(WriteKind::Create, json, file))
        })
        .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field)),
            "{json}"
        );
        assert!(e.message.contains(words), "{}", e.message);
    }
    // A file with another module's record.
    let e = Fake {
        script: VecDeque::new(),
    }
    .run(&mut d, |d| {
        d.start_write(
            WriteRun::new(
                WriteKind::Create,
                Some("Contacts"),
                el(r#"{"lastname":"x"}"#),
                Vec::new(),
                up(3),
            )
            .unwrap(),
        )
    })
    .unwrap_err();
    assert!(
        e.message.contains("Documents records only"),
        "{}",
        e.message
    );
    // A link ('E') and a note (no filename) need no file.
    let mut fake = Fake::new()
        .expect(
            post("create", "&elementType=Documents&element=*"),
            ok(r#"{"id":"15x1"}"#),
        )
        .expect(
            post("create", "&elementType=Documents&element=*"),
            ok(r#"{"id":"15x2"}"#),
        );
    for json in [
        r#"{"notes_title":"x","filelocationtype":"E","filename":"https://e.test/a"}"#,
        r#"{"notes_title":"x"}"#,
    ] {
        fake.run(&mut d, |d| {
            d.start_write(doc_run(WriteKind::Create, json, None))
        })
        .unwrap();
    }
    fake.finished();
    // Over the describe's maxUploadFileSize (3145728 in 114): refused when checking.
    let mut d = driver_with(true);
    let mut fake = Fake::new().expect(get("describe", "&elementType=Documents"), rec("114"));
    let e = fake
        .run(&mut d, |d| {
            d.start_write(doc_run(
                WriteKind::Create,
                r#"{"notes_title":"x"}"#,
                up(3_145_729),
            ))
        })
        .unwrap_err();
    assert!(e.message.contains("3145728"), "{}", e.message);
    // Uploads with update and revise (measured on the lab: the file is replaced).
    let (_, s) = d
        .start_write(doc_run(WriteKind::Revise, r#"{"id":"15x9"}"#, up(4)))
        .unwrap();
    let Step::Send {
        request,
        upload: Some(at),
        ..
    } = &s
    else {
        panic!("{s:?}")
    };
    let head = String::from_utf8_lossy(&request.body.as_ref().unwrap()[..*at]).to_string();
    assert!(
        head.contains("name=\"operation\"\r\n\r\nrevise\r\n"),
        "{head}"
    );
    assert!(
        head.contains(r#"{"id":"15x9","filelocationtype":"I"}"#),
        "{head}"
    );
    // Names the server would cut are refused before anything else.
    for bad in ["", "a/b.txt", "c:\\x.txt", "a\nb"] {
        assert_eq!(
            Upload::new(bad, None, 1).unwrap_err().field.as_deref(),
            Some("file"),
            "{bad:?}"
        );
    }
    assert_eq!(
        Upload::new("x", Some(""), 1).unwrap().content_type,
        "application/octet-stream"
    );
}

#[test]
fn a_file_name_with_quotes_is_encoded_as_browsers_do() {
    let mut d = driver_with(false);
    let mut fake = Fake::new();
    let up = Upload::new("a \"b\".txt", Some("text/plain"), 1).unwrap();
    let (id, mut s) = d
        .start_write(doc_run(
            WriteKind::Create,
            r#"{"notes_title":"x"}"#,
            Some(up),
        ))
        .unwrap();
    for _ in 0..2 {
        let r = fake.answer(&s);
        s = d.handle(id, &r, None).unwrap();
    }
    let Step::Send { request, .. } = &s else {
        panic!("{s:?}")
    };
    assert!(request
        .body_text()
        .contains("filename=\"a %22b%22.txt\"\r\nContent-Type: text/plain\r\n"));
}

// ---- files -----------------------------------------------------------------------------

#[test]
fn files_retrieve_resolves_a_document_id_to_its_attachment_recordings_937_938() {
    // 937: files_retrieve with the Document's id is RECORD_NOT_FOUND; 938: the attachment id
    // (imageattachmentids) gives the file. The driver retrieves the record first.
    let doc = common::load("vtiger-8.4.0", "936").response();
    let doc_json: serde_json::Value = serde_json::from_slice(&doc.body).unwrap();
    let record = serde_json::to_string(&doc_json["result"]).unwrap();
    let mut d = driver_with(true);
    let mut fake = Fake::new()
        .expect(get("retrieve", "&id=15x805"), ok(&record))
        .expect(get("files_retrieve", "&id=15x806"), rec("938"));
    let (yields, done) = fake.run(&mut d, |d| d.start_files("15x805")).unwrap();
    assert_eq!(done, Value::Nothing);
    assert_eq!(yields.len(), 1);
    let (t, body) = &yields[0];
    let v: serde_json::Value = serde_json::from_str(t).unwrap();
    assert_eq!(v[0]["id"], "15x806");
    assert_eq!(v[0]["name"], "my_notes.binfile.txt");
    assert_eq!(v[0]["type"], "application/octet-stream");
    assert_eq!(v[0]["size"], 29);
    let (a, b) = (
        v[0]["data"][0].as_u64().unwrap() as usize,
        v[0]["data"][1].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &body[a..b],
        b"SGVsbG8gY3Jtd2lyZQpzZWNvbmQgbGluZSDDqQo=",
        "a range of the body, not a copy"
    );
    // The attachment id itself: retrieve refuses it (not a record), files_retrieve takes it.
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        get("retrieve", "&id=15x806"),
        refused(
            "ACCESS_DENIED",
            "Permission to perform the operation is denied",
        ),
    )
    .expect(get("files_retrieve", "&id=15x806"), rec("938"));
    let (again, _) = fake.run(&mut d, |d| d.start_files("15x806")).unwrap();
    assert_eq!(again[0].0, *t);
    // A record without a file: no files; a missing id: the server's error.
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        get("retrieve", "&id=15x784"),
        ok(r#"{"id":"15x784","filename":"hello-fixture.txt","filesize":"0"}"#),
    )
    .expect(
        get("retrieve", "&id=15x9"),
        refused("ACCESS_DENIED", "denied"),
    )
    .expect(get("files_retrieve", "&id=15x9"), rec("937"));
    let (none, _) = fake.run(&mut d, |d| d.start_files("15x784")).unwrap();
    assert!(none.is_empty());
    let e = fake.run(&mut d, |d| d.start_files("15x9")).unwrap_err();
    assert_eq!(e.code, ErrorCode::RecordNotFound);
    fake.finished();
}

#[test]
fn files_retrieve_on_stock_83_is_the_servers_http_500() {
    let mut d = driver_with(true);
    let mut fake = Fake::new()
        .expect(
            get("retrieve", "&id=15x680"),
            ok(r#"{"id":"15x680","imageattachmentids":"15x681"}"#),
        )
        .expect(
            get("files_retrieve", "&id=15x681"),
            common::load("vtiger-8.3.0", "926").response(),
        );
    let e = fake.run(&mut d, |d| d.start_files("15x680")).unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::ServerError, Some(500)));
    assert_eq!(d.answered("files_retrieve"), Some(false));
}

#[test]
fn a_noisy_files_answer_carries_the_base64_text_instead_of_a_range() {
    let mut d = driver_with(true);
    let body = format!("\u{feff}{}", String::from_utf8(rec("926").body).unwrap());
    let mut fake = Fake::new()
        .expect(
            get("retrieve", "&id=15x786"),
            refused("ACCESS_DENIED", "denied"),
        )
        .expect(
            get("files_retrieve", "&id=15x786"),
            HttpResponse::new(200, body),
        );
    let (y, _) = fake.run(&mut d, |d| d.start_files("15x786")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&y[0].0).unwrap();
    // A BOM shifts nothing: still a range into the body as received.
    let (a, b) = (
        v[0]["data"][0].as_u64().unwrap() as usize,
        v[0]["data"][1].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &y[0].1[a..b],
        b"SGVsbG8gZml4dHVyZSBmaWxlCnNlY29uZCBsaW5lIMOpCg=="
    );
    assert_eq!(v[0]["size"], 34);
    // Raw control characters elsewhere make the core rewrite the text: the base64 comes inline.
    let noisy = r#"{"success":true,"result":[{"fileid":"1","filename":"a	b","filetype":"t","filecontents":"SGk\/"}]}"#;
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        get("retrieve", "&id=15x1"),
        refused("ACCESS_DENIED", "denied"),
    )
    .expect(
        get("files_retrieve", "&id=15x1"),
        HttpResponse::new(200, noisy.replace('\t', "\u{1}")),
    );
    let (y, _) = fake.run(&mut d, |d| d.start_files("15x1")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&y[0].0).unwrap();
    assert_eq!(v[0]["data"], "SGk\\/");
    assert_eq!(v[0]["size"], 3);
    // Not base64: INVALID_RESPONSE, not garbage bytes.
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        get("retrieve", "&id=15x1"),
        refused("ACCESS_DENIED", "denied"),
    )
    .expect(
        get("files_retrieve", "&id=15x1"),
        ok(r#"[{"fileid":"1","filecontents":"a b"}]"#),
    );
    let e: Error = fake.run(&mut d, |d| d.start_files("15x1")).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
}

// ---- logout ----------------------------------------------------------------------------

#[test]
fn logout_never_fails_it_reports_recording_803() {
    let mut d = driver_with(true);
    let mut fake = Fake::new()
        .expect(get("listtypes", ""), ok(r#"{"types":[],"information":[]}"#))
        .expect(
            post("logout", ""),
            common::load("vtiger-8.3.0", "803").response(),
        );
    fake.run(&mut d, |d| {
        d.start_call(crmwire::vtiger::ops::listtypes(None))
    })
    .unwrap();
    let (_, done) = fake.run(&mut d, |d| d.start_logout()).unwrap();
    let v: serde_json::Value = serde_json::from_str(text(&done)).unwrap();
    assert_eq!(
        (v["error"]["code"].as_str(), v["error"]["status"].as_u64()),
        (Some("SERVER_ERROR"), Some(500))
    );
    assert!(!d.has_session());
    assert_eq!(d.answered("logout"), Some(false));
    fake.finished();
    // A transport failure too; an abort is still the caller's error.
    let mut fake = Fake::new();
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let (id, _) = d.start_logout().unwrap();
    let s = d
        .fail(
            id,
            Error::new(ErrorCode::Transport, "network error: ECONNREFUSED"),
        )
        .unwrap();
    let Step::Done(Value::Text(t)) = s else {
        panic!("{s:?}")
    };
    assert!(t.contains(r#""code":"TRANSPORT""#), "{t}");
    let mut fake = Fake {
        script: VecDeque::new(),
    }
    .expect(
        format!("GET {EP}?operation=getchallenge&username=admin"),
        ok(r#"{"token":"t","serverTime":1,"expireTime":301}"#),
    )
    .expect(
        format!(
            "POST {EP} operation=login&username=admin&accessKey={}",
            md5_hex(&format!("t{KEY}"))
        ),
        ok(r#"{"sessionName":"S1","userId":"19x1","version":"0.22","vtigerVersion":"8.4.0"}"#),
    );
    fake.run(&mut d, |d| d.start_login()).unwrap();
    let (id, _) = d.start_logout().unwrap();
    assert_eq!(
        d.fail(id, Error::new(ErrorCode::Aborted, "aborted"))
            .unwrap_err()
            .code,
        ErrorCode::Aborted
    );
}
