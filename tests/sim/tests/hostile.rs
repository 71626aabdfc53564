//! crmwire's literal builder vs the simulator's own VTQL lexer + MySQL reader: every literal the
//! builder makes is read back as exactly the input; a naive unescaped splice DOES inject.

mod common;
use common::*;
use crmwire_sim::{sql, vtql, Profile};

fn hostile() -> Vec<String> {
    let base = [
        "O'Brien",
        "''",
        "'",
        "\\",
        "\\\\",
        "\\'",
        "\\\\'",
        "'\\",
        "x\\' OR 1=1 -- ",
        "a;b",
        " or ",
        "1' OR '1'='1",
        "this or that where limit",
        "line1\nline2",
        "tab\there",
        "cr\r\nlf",
        "中文 Ünïcödé",
        "emoji 😀",
        "%_%",
        "\\%",
        "\\_",
        "-- comment",
        "#hash",
        "\"double\"",
        "`tick`",
        "x' AND lastname = '",
        "' OR 1=1) -- ",
        "\\' OR 1=1) -- '",
        "end\\",
        "''''",
        "\\\\\\",
        "a'b'c",
        "SELECT * FROM Users;",
        ")",
        "(",
        "' )",
        "\u{a0}nbsp",
        "\u{b}vt",
        "\u{1}soh",
        "ORDER BY id",
        "LIMIT 1",
        "=",
        "!=",
        "<>",
    ];
    let mut v: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    for a in base.iter().take(12) {
        for b in base.iter().take(12) {
            v.push(format!("{a}{b}"));
        }
    }
    v
}

#[test]
fn builder_literals_read_back_exactly() {
    for s in hostile() {
        let lit = crmwire::vtiger::vtql::literal(&s).expect("literal");
        let q = format!("SELECT id FROM Contacts WHERE lastname = {lit};");
        let parsed = vtql::parse(&q).unwrap_or_else(|e| panic!("{s:?} → {lit} → {e:?}"));
        assert_eq!(parsed.conds.len(), 1, "{s:?}");
        assert_eq!(
            parsed.conds[0].values,
            vec![lit.clone()],
            "VTQL lexer split {s:?}"
        );
        let (v, n) = sql::mysql_string(&lit).expect("mysql reads the literal");
        assert_eq!(n, lit.len(), "MySQL ended the literal early for {s:?}");
        assert_eq!(v, s, "value of {s:?}");
    }
}

#[test]
fn naive_splice_is_read_differently() {
    // The recorded two-literal desync: the VTQL lexer sees two literals, MySQL one plus `OR 1=1`.
    let q = "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1=1) -- ';";
    let parsed = vtql::parse(q).unwrap();
    assert_eq!(parsed.conds.len(), 2);
    // A single doubled quote never splits (the builder's form of the same value).
    let safe = crmwire::vtiger::vtql::literal("x\\' AND lastname = ' OR 1=1) -- ").unwrap();
    let parsed = vtql::parse(&format!("SELECT id FROM Contacts WHERE lastname = {safe};")).unwrap();
    assert_eq!(parsed.conds.len(), 1);
}

#[tokio::test]
async fn end_to_end_injection_and_safe_literals() {
    let (_a, mut c) = start(Profile::V84, |c| c.seed_records = 150).await;
    c.login().await;
    let naive = c
        .query("SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1=1) -- ';")
        .await;
    assert_eq!(naive["success"], true);
    let n = naive["result"].as_array().unwrap().len();
    assert!(
        n >= 150,
        "the desync must return every Contact without LIMIT, got {n}"
    );
    // A deleted Contact shows up too (deleted=0 was commented out).
    let victim = c.query("SELECT id FROM Contacts LIMIT 1;").await["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = c
        .post(&[
            ("operation", "delete"),
            ("sessionName", &c.session),
            ("id", &victim),
        ])
        .await
        .json();
    assert_eq!(d["success"], true);
    let again = c
        .query("SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1=1) -- ';")
        .await;
    assert_eq!(again["result"].as_array().unwrap().len(), n);
    // Builder literals find exactly the stored record, for a sample of hostile names.
    for s in [
        "O'Brien",
        "x\\' OR 1=1 -- ",
        "\\\\'",
        "a;b or c",
        "end\\",
        "it's 中文",
    ] {
        let v = c
            .create(
                "Contacts",
                serde_json::json!({"lastname": s, "assigned_user_id": "19x1"}),
            )
            .await;
        assert_eq!(v["success"], true, "{v}");
        let lit = crmwire::vtiger::vtql::literal(s).unwrap();
        let r = c
            .query(&format!(
                "SELECT id, lastname FROM Contacts WHERE lastname = {lit};"
            ))
            .await;
        let rows = r["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{s:?}: {r}"));
        assert_eq!(rows.len(), 1, "{s:?}: {r}");
        assert_eq!(rows[0]["lastname"], s);
    }
}
