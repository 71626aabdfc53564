//! The simulator survives hostile input (issue 15, items 7 and 12): no panic in its VTQL lexer or
//! its SQL reader (the release build aborts on panic, which kills the process), LIKE in polynomial
//! time (it runs under the database lock), and request bodies capped with a 413 instead of being
//! buffered. The memory bound of a huge upload is measured in `tests/bodymem.rs`.

mod common;
use common::*;
use crmwire_sim::{sql, vtql, Profile};
use std::time::Duration;

/// Texts that once panicked or that sit on a char boundary next to a token.
const HOSTILE: &[&str] = &[
    "select * from Contacts order 中;",
    "select * from Contacts order 中",
    "select * from Contacts order b中;",
    "select * from Contacts where lastname = 'a' order 中 by id;",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' =中';",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' !中';",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' <中 -- ';",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' >é';",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' 中';",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1 =中) -- ';",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 9e99999 = 1 -- ';",
    "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1.2.3 = 1 -- ';",
    "SELECT id FROM Contacts WHERE id = '12x'中;",
    "SELECT id FROM Contacts WHERE id IN ('x中','12x中');",
    "SELECT id FROM Contacts LIMIT 中;",
    "SELECT id FROM Contacts LIMIT 99999999999999999999999;",
    "SELECT id FROM Contacts LIMIT 1, 99999999999999999999999;",
    "SELECT id FROM Contacts WHERE lastname = -99999999999999999999999;",
    "SELECT 中 FROM Contacts;",
    "SELECT id FROM 中;",
    "SELECT id FROM Contacts WHERE 中 = 'a';",
    "SELECT id FROM Contacts WHERE lastname LIKE '\\",
    "SELECT id FROM Contacts WHERE lastname LIKE '中\\中%_\\';",
    "中",
    "'",
    "''",
    "from",
    "FROM ",
    "select count(中) from Contacts;",
    "select * from Contacts where lastname = '\u{0}' order by 中;",
    "SELECT id FROM Contacts WHERE lastname = 'a' ORDER\u{a0}BY id;",
];

fn resolve(w: &str) -> Option<sql::Col> {
    match w {
        "crmid" => Some(sql::Col::Crmid),
        "deleted" => Some(sql::Col::Deleted),
        "lastname" => Some(sql::Col::Field(0)),
        _ => None,
    }
}

/// Every prefix and suffix of each text at every char boundary, through the VTQL front end and
/// the SQL reader (as the generated SQL tail would reach it).
#[test]
fn the_vtql_lexer_and_the_sql_reader_never_panic() {
    let mut n = 0;
    for text in HOSTILE {
        let cuts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        for &i in &cuts {
            for t in [&text[..i], &text[i..]] {
                let _ = vtql::lex(t);
                let _ = vtql::parse(t);
                let _ = vtql::module_of(t);
                let _ = sql::parse(t, &resolve);
                let _ = sql::mysql_string(t);
                let tail = t.split_once("WHERE").map(|(_, w)| w).unwrap_or(t);
                if let Ok(p) = sql::parse(tail, &resolve) {
                    let _ = sql::matches(&p.expr, &|_| sql::V::Str("中x".into()));
                }
                n += 1;
            }
        }
    }
    assert!(n > 1000);
}

/// The same texts through the webservice (query and query_related): always an answer, never the
/// empty 500 of a handler that died.
#[tokio::test]
async fn hostile_queries_get_an_answer() {
    let (_a, mut c) = start(Profile::V84, |c| c.seed_records = 30).await;
    c.login().await;
    let acc = c.query("SELECT id FROM Accounts LIMIT 1;").await["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for q in HOSTILE {
        let r = c
            .get(&[
                ("operation", "query"),
                ("sessionName", &c.session),
                ("query", q),
            ])
            .await;
        assert_eq!(r.status, 200, "query {q:?}: {}", r.body);
        r.json();
        let r = c
            .get(&[
                ("operation", "query_related"),
                ("sessionName", &c.session),
                ("query", q),
                ("id", &acc),
                ("relatedLabel", "Contacts"),
            ])
            .await;
        assert_eq!(r.status, 200, "query_related {q:?}: {}", r.body);
        r.json();
    }
}

/// Runs `f` on a thread and fails when it takes longer than `limit` (an exponential matcher
/// would otherwise hang the test run).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("took longer than {limit:?}"))
}

#[test]
fn like_takes_polynomial_time_whatever_the_number_of_wildcards() {
    // 16 `%` took 25 s before (with the database lock held); 64 must be instant now.
    let text = "a".repeat(200);
    for stars in [16, 64] {
        let pat = format!("{}b", "%a".repeat(stars));
        let (t, p) = (text.clone(), pat.clone());
        assert!(!within(Duration::from_secs(2), move || sql::like(&t, &p)));
        let p = format!("{}%", "%a".repeat(stars));
        let t = text.clone();
        assert!(within(Duration::from_secs(2), move || sql::like(&t, &p)));
    }
}

#[test]
fn like_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        ("abc", "abc", true),
        ("ABC", "abc", true),
        ("abc", "a%", true),
        ("abc", "%c", true),
        ("abc", "%b%", true),
        ("abc", "a_c", true),
        ("abc", "a__c", false),
        ("abc", "%", true),
        ("", "%", true),
        ("", "_", false),
        ("", "", true),
        ("a", "", false),
        ("abcabc", "%abc", true),
        ("abcab", "%abc", false),
        ("aXbXc", "a%b%c", true),
        ("aXbXd", "a%b%c", false),
        ("mississippi", "%iss%ppi", true),
        ("mississippi", "m%is%is%ipp_", true),
        ("mississippi", "m%is%is%is%", false),
        ("50% off", "50\\% off", true),
        ("50x off", "50\\% off", false),
        ("a_b", "a\\_b", true),
        ("axb", "a\\_b", false),
        ("back\\slash", "back\\\\slash", true),
        ("backslash", "back\\slash", true),
        ("back\\", "back\\", true),
        ("中文 Ünï", "中_ ün%", true),
        ("Ünï", "ünï", true),
    ];
    for &(s, p, want) in cases {
        assert_eq!(sql::like(s, p), want, "{s:?} LIKE {p:?}");
    }
}

#[test]
fn a_like_with_many_wildcards_answers_quickly_and_frees_the_database() {
    // On its own thread and runtime: an exponential matcher would hold the blocking pool (and the
    // database lock) for minutes; the test fails after 20 s instead of waiting for it.
    within(Duration::from_secs(20), || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (_a, mut c) = start(Profile::V84, |c| c.seed_records = 250).await;
            c.login().await;
            let v = c
                .create(
                    "Contacts",
                    serde_json::json!({"lastname": "a".repeat(60), "assigned_user_id": "19x1"}),
                )
                .await;
            assert_eq!(v["success"], true);
            let q = format!(
                "SELECT id FROM Contacts WHERE lastname LIKE '{}z';",
                "%a".repeat(16)
            );
            let t = std::time::Instant::now();
            let r = c.query(&q).await;
            assert_eq!(r["success"], true);
            assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
            // The database is free again.
            assert_eq!(
                c.query("SELECT id FROM Contacts LIMIT 1;").await["success"],
                true
            );
        })
    });
}

async fn post_body(c: &Client, body: Vec<u8>, ctype: &str) -> Resp {
    let r = c
        .http
        .post(c.ws())
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    to_resp(r).await
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_with_413() {
    let (addr, mut c) = start(Profile::V84, |c| c.max_body_bytes = 64 << 10).await;
    c.login().await;
    let form = |len: usize| {
        serde_urlencoded::to_string([
            ("operation", "create"),
            ("sessionName", c.session.as_str()),
            ("elementType", "Contacts"),
            (
                "element",
                &serde_json::json!({"lastname": "Big", "description": "x".repeat(len), "assigned_user_id": "19x1"})
                    .to_string(),
            ),
        ])
        .unwrap()
        .into_bytes()
    };
    // Under the cap: served.
    let r = post_body(&c, form(30 << 10), "application/x-www-form-urlencoded").await;
    assert_eq!(r.json()["success"], true, "{}", r.body);
    // Over it, with a Content-Length: 413, and nothing created.
    let before = c.stats().await["records"]["Contacts"].clone();
    let r = post_body(&c, form(100 << 10), "application/x-www-form-urlencoded").await;
    assert_eq!((r.status, r.ctype.as_str()), (413, "text/html"));
    assert!(r.body.contains("413 Request Entity Too Large"));
    // Over it, chunked (no length known in advance): 413 as well.
    let body = form(100 << 10);
    let (status, _) = raw_post(
        addr,
        "application/x-www-form-urlencoded",
        body.len(),
        true,
        |off, buf| buf.copy_from_slice(&body[off..off + buf.len()]),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(c.stats().await["records"]["Contacts"], before);
    // The simulator still serves.
    assert_eq!(
        c.query("SELECT id FROM Contacts LIMIT 1;").await["success"],
        true
    );
}
