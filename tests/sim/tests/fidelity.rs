//! The facts of the second capture (live findings of 2026-12-04, A–H; recordings 900–926), each
//! against a fresh simulator: query_related's text rewrite (OR scoping, the split on `WHERE`, the
//! 100-row cap, paging inside the relation), LIKE escaping, 4-byte literals, Documents without a
//! file part, the per-session lock and the service time, and unknown fields on create.

mod common;
use common::*;
use crmwire_sim::Profile;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl Client {
    async fn query_related(&self, id: &str, q: &str) -> Value {
        self.get(&[
            ("operation", "query_related"),
            ("sessionName", &self.session),
            ("query", q),
            ("id", id),
            ("relatedLabel", "Contacts"),
        ])
        .await
        .json()
    }
    async fn new_id(&self, module: &str, el: Value) -> String {
        let v = self.create(module, el).await;
        assert_eq!(v["success"], true, "{v}");
        v["result"]["id"].as_str().unwrap().to_string()
    }
}

fn names(v: &Value) -> Vec<String> {
    v["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|r| r["lastname"].as_str().unwrap().to_string())
        .collect()
}

fn error(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or("(none)"),
        v["error"]["message"].as_str().unwrap_or("(none)"),
    )
}

async fn fresh(profile: Profile) -> Client {
    let (_a, mut c) = start(profile, |c| c.empty = true).await;
    c.login().await;
    c
}

/// An Account with related Contacts `OrA related`, `OrB related`, `Up WHERE x`, `Low where x`,
/// and the unrelated `OrA unrelated`, `OrB unrelated` (as in the capture). Returns the account id.
async fn or_scope(c: &Client) -> String {
    let acc = c
        .new_id(
            "Accounts",
            json!({"accountname": "Or scope", "assigned_user_id": "19x1"}),
        )
        .await;
    for (name, related) in [
        ("OrA related", true),
        ("OrA unrelated", false),
        ("OrB related", true),
        ("OrB unrelated", false),
        ("Up WHERE x", true),
        ("Low where x", true),
    ] {
        let mut el = json!({"lastname": name, "assigned_user_id": "19x1"});
        if related {
            el["account_id"] = json!(acc);
        }
        c.new_id("Contacts", el).await;
    }
    acc
}

#[tokio::test]
async fn query_related_scopes_only_the_first_or_group() {
    let c = fresh(Profile::V84).await;
    let acc = or_scope(&c).await;
    let q = "SELECT id, lastname FROM Contacts WHERE lastname LIKE 'OrA%' OR lastname LIKE 'OrB%'";
    // 900: the second group searches the whole module.
    assert_eq!(
        names(&c.query_related(&acc, q).await),
        ["OrA related", "OrB related", "OrB unrelated"]
    );
    // 901: swapped, the other unrelated one leaks.
    let swapped =
        "SELECT id, lastname FROM Contacts WHERE lastname LIKE 'OrB%' OR lastname LIKE 'OrA%'";
    assert_eq!(
        names(&c.query_related(&acc, swapped).await),
        ["OrA related", "OrA unrelated", "OrB related"]
    );
    // 903, 904: one AND group, IN list included, is scoped.
    let single = "SELECT id, lastname FROM Contacts WHERE lastname LIKE 'OrB%'";
    assert_eq!(names(&c.query_related(&acc, single).await), ["OrB related"]);
    let inlist =
        "SELECT id, lastname FROM Contacts WHERE lastname IN ('OrA related','OrB unrelated')";
    assert_eq!(names(&c.query_related(&acc, inlist).await), ["OrA related"]);
}

#[tokio::test]
async fn query_related_splits_the_text_on_upper_case_where() {
    let c = fresh(Profile::V84).await;
    let acc = or_scope(&c).await;
    // 912: a literal holding `WHERE` is cut, the rest does not lex.
    let r = c
        .query_related(
            &acc,
            "SELECT id, lastname FROM Contacts WHERE lastname = 'Up WHERE x'",
        )
        .await;
    assert_eq!(
        error(&r),
        (
            "INTERNAL_SERVER_ERROR",
            "Unknown Error while processing request"
        )
    );
    // 914: plain query reads the same literal.
    let r = c
        .query("SELECT id, lastname FROM Contacts WHERE lastname = 'Up WHERE x';")
        .await;
    assert_eq!(names(&r), ["Up WHERE x"]);
    // 913: lower case is harmless.
    let r = c
        .query_related(
            &acc,
            "SELECT id, lastname FROM Contacts WHERE lastname = 'Low where x'",
        )
        .await;
    assert_eq!(names(&r), ["Low where x"]);
    // 915: `\E` is `E` to MySQL, and the text holds no WHERE to split on.
    let r = c
        .query_related(
            &acc,
            "SELECT id, lastname FROM Contacts WHERE lastname = 'Up WH\\ERE x'",
        )
        .await;
    assert_eq!(names(&r), ["Up WHERE x"]);
    // 714: a lower-case keyword is no WHERE to split on: the clause lands after it.
    let r = c
        .query_related(
            &acc,
            "SELECT id, lastname FROM Contacts where lastname = 'Low where x'",
        )
        .await;
    assert_eq!(error(&r).0, "QUERY_SYNTAX_ERROR", "{r}");
}

#[tokio::test]
async fn related_lists_stop_at_100_and_page_by_id_inside_the_relation() {
    let c = fresh(Profile::V84).await;
    let acc = c
        .new_id(
            "Accounts",
            json!({"accountname": "Big", "assigned_user_id": "19x1"}),
        )
        .await;
    // 140 Contacts, every 14th unrelated: the 10 unrelated ones lie between related ids.
    let mut related = Vec::new();
    for i in 0..140 {
        let mut el = json!({"lastname": format!("Big {i:03}"), "assigned_user_id": "19x1"});
        if i % 14 != 13 {
            el["account_id"] = json!(acc);
        }
        let id = c.new_id("Contacts", el).await;
        if i % 14 != 13 {
            related.push(id);
        }
    }
    // 905: retrieve_related stops at 100, silently.
    let r = c
        .get(&[
            ("operation", "retrieve_related"),
            ("sessionName", &c.session),
            ("id", &acc),
            ("relatedType", "Contacts"),
            ("relatedLabel", "Contacts"),
        ])
        .await
        .json();
    assert_eq!(r["result"].as_array().unwrap().len(), 100, "{r}");
    // 906: so does query_related without LIMIT.
    let r = c
        .query_related(&acc, "SELECT id, lastname FROM Contacts")
        .await;
    assert_eq!(r["result"].as_array().unwrap().len(), 100);
    // 907–909: keyset paging stays inside the relation.
    let mut seen = Vec::new();
    let mut last = "12x0".to_string();
    loop {
        let r = c
            .query_related(
                &acc,
                &format!(
                    "SELECT id, lastname FROM Contacts WHERE id > '{last}' ORDER BY id LIMIT 100"
                ),
            )
            .await;
        let rows = r["result"].as_array().unwrap_or_else(|| panic!("{r}"));
        if rows.is_empty() {
            break;
        }
        seen.extend(rows.iter().map(|x| x["id"].as_str().unwrap().to_string()));
        last = seen.last().unwrap().clone();
        assert!(seen.len() <= 130, "paging left the relation");
    }
    assert_eq!(seen, related);
    // 910: offset paging after a WHERE.
    let r = c
        .query_related(
            &acc,
            "SELECT id, lastname FROM Contacts WHERE lastname LIKE 'Big%' LIMIT 100,100",
        )
        .await;
    let rows: Vec<&str> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(rows, related[100..]);
    // 911 and 715: LIMIT or ORDER BY without WHERE: the clause is appended after them.
    let r = c
        .query_related(&acc, "SELECT id, lastname FROM Contacts LIMIT 100,100")
        .await;
    assert_eq!(
        error(&r),
        (
            "QUERY_SYNTAX_ERROR",
            "Syntax Error on line 1: token 'id' Unexpected COLUMNNAME(id), expected one of: SEMICOLON"
        )
    );
    let r = c
        .query_related(
            &acc,
            "SELECT id, lastname FROM Contacts ORDER BY lastname LIMIT 1",
        )
        .await;
    assert_eq!(
        error(&r),
        (
            "QUERY_SYNTAX_ERROR",
            "Syntax Error on line 1: token 'WHERE' Unexpected WHERE(WHERE), expected one of: SEMICOLON"
        )
    );
}

#[tokio::test]
async fn query_related_checks_the_relation_and_answers_empty_without_related_records() {
    let c = fresh(Profile::V84).await;
    let acc = c
        .new_id(
            "Accounts",
            json!({"accountname": "Lonely", "assigned_user_id": "19x1"}),
        )
        .await;
    // No related record: `[]`, even for text the parser would refuse (the query never runs).
    let r = c
        .query_related(&acc, "SELECT id, lastname FROM Contacts LIMIT 1,2")
        .await;
    assert_eq!(r["result"], json!([]), "{r}");
    // The label must name a relation to the queried module.
    let r = c
        .get(&[
            ("operation", "query_related"),
            ("sessionName", &c.session),
            ("query", "SELECT id FROM Potentials"),
            ("id", &acc),
            ("relatedLabel", "Contacts"),
        ])
        .await
        .json();
    assert_eq!(
        error(&r),
        ("UNKOWN_ENTITY", "Relation specified is incorrect")
    );
}

#[tokio::test]
async fn like_reads_backslash_as_its_escape_after_the_string_literal() {
    let c = fresh(Profile::V84).await;
    for n in [
        "Back\\slash",
        "Backslash",
        "50% off",
        "50x off",
        "a_b",
        "axb",
    ] {
        c.new_id(
            "Contacts",
            json!({"lastname": n, "assigned_user_id": "19x1"}),
        )
        .await;
    }
    let q = |lit: &str| format!("SELECT lastname FROM Contacts WHERE lastname {lit};");
    // 916: a doubled backslash is LIKE's escape: it matches the name WITHOUT a backslash.
    assert_eq!(
        names(&c.query(&q("LIKE 'Back\\\\slash'")).await),
        ["Backslash"]
    );
    // 917: four backslashes are one literal backslash in LIKE.
    assert_eq!(
        names(&c.query(&q("LIKE 'Back\\\\\\\\slash'")).await),
        ["Back\\slash"]
    );
    // 918, 919: with `=`, two are one backslash and four match nothing.
    assert_eq!(
        names(&c.query(&q("= 'Back\\\\slash'")).await),
        ["Back\\slash"]
    );
    assert!(names(&c.query(&q("= 'Back\\\\\\\\slash'")).await).is_empty());
    // `\\%` and `\\_` are a literal % and _.
    assert_eq!(names(&c.query(&q("LIKE '50\\\\% off'")).await), ["50% off"]);
    assert_eq!(
        names(&c.query(&q("LIKE '50% off'")).await),
        ["50% off", "50x off"]
    );
    assert_eq!(names(&c.query(&q("LIKE 'a\\\\_b'")).await), ["a_b"]);
    assert_eq!(names(&c.query(&q("LIKE 'a_b'")).await), ["a_b", "axb"]);
}

#[tokio::test]
async fn equality_pads_with_spaces_but_never_ignores_other_characters() {
    let c = fresh(Profile::V84).await;
    for n in ["Pad", "Pad more"] {
        c.new_id(
            "Contacts",
            json!({"lastname": n, "assigned_user_id": "19x1"}),
        )
        .await;
    }
    let q = |lit: &str| format!("SELECT lastname FROM Contacts WHERE lastname = {lit};");
    assert_eq!(names(&c.query(&q("'Pad'")).await), ["Pad"]);
    assert_eq!(names(&c.query(&q("'pad  '")).await), ["Pad"]);
    assert_eq!(names(&c.query(&q("'Pad more'")).await), ["Pad more"]);
}

#[tokio::test]
async fn a_4_byte_character_in_a_query_literal_matches_nothing() {
    let c = fresh(Profile::V84).await;
    // 256/257, 922: utf8mb3 stores each byte of the emoji as `?`.
    let v = c
        .create(
            "Contacts",
            json!({"lastname": "Emoji \u{1F600} x", "assigned_user_id": "19x1"}),
        )
        .await;
    assert_eq!(v["result"]["lastname"], "Emoji ???? x");
    c.new_id(
        "Contacts",
        json!({"lastname": "Plain", "assigned_user_id": "19x1"}),
    )
    .await;
    let q = |w: &str| format!("SELECT lastname FROM Contacts WHERE {w};");
    // 920, 921: `=` and LIKE with the emoji: nothing, no error.
    for w in [
        "lastname = 'Emoji \u{1F600} x'",
        "lastname LIKE 'Emoji \u{1F600}%'",
        "lastname LIKE '%\u{1F600}%'",
    ] {
        let r = c.query(&q(w)).await;
        assert_eq!(r["success"], true);
        assert_eq!(r["result"], json!([]), "{w}");
    }
    // 922: the stored form is found.
    assert_eq!(
        names(&c.query(&q("lastname = 'Emoji ???? x'")).await),
        ["Emoji ???? x"]
    );
    // The other values of an IN list, and another OR group, still match.
    assert_eq!(
        names(&c.query(&q("lastname IN ('\u{1F600}','Plain')")).await),
        ["Plain"]
    );
    assert_eq!(
        names(
            &c.query(&q("lastname = '\u{1F600}' OR lastname = 'Plain'"))
                .await
        ),
        ["Plain"]
    );
}

const ELEMENT: &str = r#"{"notes_title": "Doc", "assigned_user_id": "19x1", "filelocationtype": "I", "filestatus": "1", "notecontent": "n", "filename": "hello.txt"}"#;

async fn multipart_create(c: &Client, content: &[u8]) -> Value {
    let b = "----simtestboundary";
    let mut body = Vec::new();
    for (k, v) in [
        ("operation", "create"),
        ("sessionName", c.session.as_str()),
        ("elementType", "Documents"),
        ("element", ELEMENT),
    ] {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"hello.txt\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes());
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let r = c
        .http
        .post(c.ws())
        .header("content-type", format!("multipart/form-data; boundary={b}"))
        .body(body)
        .send()
        .await
        .unwrap();
    to_resp(r).await.json()
}

#[tokio::test]
async fn documents_without_a_file_part_are_created_empty() {
    for profile in [Profile::V84, Profile::V83] {
        let c = fresh(profile).await;
        // 923: a plain form succeeds with the claimed filename and no file.
        let plain = c
            .post(&[
                ("operation", "create"),
                ("sessionName", &c.session),
                ("elementType", "Documents"),
                ("element", ELEMENT),
            ])
            .await
            .json();
        let d = &plain["result"];
        assert_eq!(
            (
                &d["filename"],
                &d["filesize"],
                &d["filetype"],
                &d["filedownloadcount"],
                &d["label"]
            ),
            (
                &json!("hello.txt"),
                &json!("0"),
                &json!(""),
                &json!("0"),
                &json!("Doc")
            ),
            "{plain}"
        );
        assert!(d.get("imageattachmentids").is_none(), "{plain}");
        // 925: multipart with the part named `filename` stores the file.
        let content = "Hello fixture file\nsecond line \u{e9}\n".as_bytes();
        let multi = multipart_create(&c, content).await;
        let m = &multi["result"];
        assert_eq!(
            (&m["filesize"], &m["filetype"]),
            (&json!("34"), &json!("text/plain")),
            "{multi}"
        );
        let att = m["imageattachmentids"].as_str().unwrap().to_string();
        let files = |id: String| {
            let c = &c;
            async move {
                c.get(&[
                    ("operation", "files_retrieve"),
                    ("sessionName", &c.session),
                    ("id", &id),
                ])
                .await
            }
        };
        let after_plain = files(d["id"].as_str().unwrap().to_string()).await;
        let after_multi = files(att.clone()).await;
        if profile == Profile::V83 {
            // vtiger-8.3.0/924, 926: HTTP 500, empty body.
            for r in [after_plain, after_multi] {
                assert_eq!((r.status, r.body.as_str()), (500, ""));
            }
            continue;
        }
        // 924: nothing to retrieve.
        assert_eq!(
            error(&after_plain.json()),
            (
                "RECORD_NOT_FOUND",
                "Record you are trying to access is not found"
            )
        );
        // 926: the file, base64.
        let f = after_multi.json();
        let f = &f["result"][0];
        assert_eq!(f["fileid"], json!(att.split_once('x').unwrap().1));
        assert_eq!(
            (&f["filename"], &f["filetype"], &f["filesize"]),
            (&json!("hello.txt"), &json!("text/plain"), &json!(34))
        );
        assert_eq!(
            f["filecontents"],
            "SGVsbG8gZml4dHVyZSBmaWxlCnNlY29uZCBsaW5lIMOpCg=="
        );
    }
}

#[tokio::test]
async fn helpdesk_and_documents_are_labelled_by_their_title() {
    let c = fresh(Profile::V84).await;
    let v = c
        .create(
            "HelpDesk",
            json!({"ticket_title": "Printer on fire", "ticketstatus": "Open", "ticketpriorities": "Low", "assigned_user_id": "19x1"}),
        )
        .await;
    assert_eq!(v["result"]["label"], "Printer on fire", "{v}");
}

#[tokio::test]
async fn create_drops_an_unknown_field_without_a_word() {
    // Issue 17 item 10, real 8.4.0: a typo'd field name is ignored and the create succeeds.
    let c = fresh(Profile::V84).await;
    let v = c
        .create(
            "Contacts",
            json!({"lastname": "Typo", "emial": "typo@example.com", "assigned_user_id": "19x1"}),
        )
        .await;
    assert_eq!(v["success"], true, "{v}");
    assert_eq!(v["result"]["email"], "");
    assert!(v["result"].get("emial").is_none());
}

/// Sends `operation=listtypes` and returns how long it took.
async fn timed_listtypes(c: &Client, session: &str) -> Duration {
    let t = Instant::now();
    let r = c
        .get(&[("operation", "listtypes"), ("sessionName", session)])
        .await;
    assert_eq!(r.status, 200);
    t.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_of_one_session_are_served_one_at_a_time() {
    let (_a, mut c) = start(Profile::V84, |c| c.empty = true).await;
    c.login().await;
    let mut other = Client {
        base: c.base.clone(),
        http: c.http.clone(),
        session: String::new(),
        key: c.key.clone(),
    };
    other.login().await;
    // A slow request (600 ms) on session A; 100 ms later a listtypes on A waits for it, one on
    // B does not (fact H: 69 ms vs 19 ms on the real server).
    for (session, waits) in [(c.session.clone(), true), (other.session.clone(), false)] {
        let slow = {
            let (http, url, s) = (c.http.clone(), c.ws(), c.session.clone());
            tokio::spawn(async move {
                http.get(url)
                    .query(&[
                        ("operation", "query"),
                        ("sessionName", s.as_str()),
                        ("query", "SELECT id FROM Contacts;"),
                    ])
                    .header("X-Sim-Fault", "delay_headers_ms=600")
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let took = timed_listtypes(&c, &session).await;
        if waits {
            assert!(took >= Duration::from_millis(400), "same session: {took:?}");
        } else {
            assert!(took < Duration::from_millis(400), "other session: {took:?}");
        }
        assert_eq!(slow.await.unwrap(), 200);
    }
    // The lock of a finished request is gone: nothing waits on it afterwards.
    assert!(timed_listtypes(&c, &c.session).await < Duration::from_millis(400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_time_is_a_delay_per_request_serialised_per_session() {
    let (_a, mut c) = start(Profile::V84, |c| {
        c.empty = true;
        c.service_ms = 150;
    })
    .await;
    c.login().await;
    let mut sessions = vec![c.session.clone()];
    for _ in 0..3 {
        let mut o = Client {
            base: c.base.clone(),
            http: c.http.clone(),
            session: String::new(),
            key: c.key.clone(),
        };
        o.login().await;
        sessions.push(o.session);
    }
    let c = std::sync::Arc::new(c);
    let run = |ss: Vec<String>| {
        let c = c.clone();
        async move {
            let t = Instant::now();
            let tasks: Vec<_> = ss
                .into_iter()
                .map(|s| {
                    let c = c.clone();
                    tokio::spawn(async move { timed_listtypes(&c, &s).await })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            t.elapsed()
        }
    };
    // Four calls on one session: one after the other (≥ 4 × 150 ms).
    let one = run(vec![sessions[0].clone(); 4]).await;
    assert!(one >= Duration::from_millis(600), "one session: {one:?}");
    // Four calls on four sessions: side by side (a timer, not CPU).
    let four = run(sessions.clone()).await;
    assert!(four < Duration::from_millis(550), "four sessions: {four:?}");
    // Changed at run time.
    let r = c
        .http
        .post(format!("{}/__sim/service-time", c.base))
        .body(r#"{"ms":0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(run(vec![sessions[0].clone(); 4]).await < Duration::from_millis(450));
    assert_eq!(c.stats().await["service_ms"], 0);
}
