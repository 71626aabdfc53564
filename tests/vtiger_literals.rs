//! Query literals as MySQL reads them (issue 17 items 5 and 7; live findings D and E).
//!
//! MySQL reads a LIKE literal twice: as a string literal (`\\` → `\`, `\%` and `\_` kept with
//! their backslash, any other `\x` → `x`), then as a pattern in which `\` escapes the next
//! character. An independent model of both readings (below) checks what the rendered text
//! matches; the recordings 916–922 pin the model to the real server.

// `crmwire::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

mod common;

use crmwire::json::Json;
use crmwire::vtiger::ops::FourBytePolicy;
use crmwire::vtiger::vtql::{four_byte_text, like_escape, Cond, Op, Select, Value};
use crmwire::ErrorCode;

/// MySQL's string reader over the inner text of a literal (between the quotes).
fn mysql_string(inner: &str) -> String {
    let mut out = String::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                // MySQL keeps the backslash of \% and \_ (for LIKE).
                Some(c @ ('%' | '_')) => {
                    out.push('\\');
                    out.push(c);
                }
                Some(c) => out.push(c),
                None => out.push('\\'),
            },
            '\'' => {
                it.next(); // ''
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out
}

/// What the server does with `<field> <op> '<literal>'` in a rendered one-term query.
fn matches(text: &str, value: &str) -> bool {
    let (head, lit) = text.split_once('\'').expect("a literal");
    let inner = lit
        .trim_end_matches(';')
        .strip_suffix('\'')
        .expect("closing quote");
    let s = mysql_string(inner);
    if head.ends_with("LIKE ") {
        common::mysql_like(value, &s)
    } else {
        assert!(head.ends_with("= "), "{text}");
        value.to_lowercase() == s.to_lowercase()
    }
}

fn one(field_op_value: Cond) -> String {
    Select::from("Contacts")
        .unwrap()
        .fields(&["id"])
        .unwrap()
        .and(field_op_value)
        .unwrap()
        .render()
        .unwrap()
}

fn spec(op: &str, value: &str) -> String {
    let v = Json::Str(value.to_owned()).to_json();
    Select::from_spec_text(&format!(
        r#"{{"module":"Contacts","fields":["id"],"where":{{"field":"lastname","op":"{op}","value":{v}}}}}"#
    ))
    .and_then(|s| s.render())
    .unwrap_or_else(|e| panic!("{op} {value}: {e}"))
}

#[test]
fn the_model_agrees_with_the_recordings_916_to_919() {
    let names = ["Back\\slash re6076", "Backslash re6076"];
    for (file, want) in [("916", 1), ("917", 0), ("918", 0), ("919", usize::MAX)] {
        let f = common::load("vtiger-8.4.0", file);
        let q = f.param("query").unwrap();
        let hits: Vec<usize> = (0..2).filter(|&i| matches(q, names[i])).collect();
        let body = f.body_text();
        match want {
            usize::MAX => assert!(hits.is_empty() && body.contains("\"result\":[]"), "{file}"),
            i => {
                assert_eq!(hits, vec![i], "{file}: {q}");
                assert!(body.contains(&names[i].replace('\\', "\\\\")), "{file}");
            }
        }
    }
}

#[test]
fn a_like_value_with_a_backslash_matches_the_backslash() {
    // The builder's pattern: `\` not before % _ \ is a literal backslash (916 matched the
    // record without it when the backslash was only doubled).
    let q = one(Cond::term("lastname", Op::Like, "Back\\slash%"));
    assert_eq!(
        q,
        "SELECT id FROM Contacts WHERE lastname LIKE 'Back\\\\\\\\slash%';"
    );
    assert!(matches(&q, "Back\\slash L"));
    assert!(!matches(&q, "Backslash L"));
    // `\\`, `\%`, `\_` are the escapes: a literal backslash, percent, underscore.
    for (pattern, yes, no) in [
        ("Back\\\\slash%", "Back\\slash L", "Backslash L"),
        ("100\\%%", "100% pure", "1000 pure"),
        ("a\\_b", "a_b", "axb"),
        ("end\\", "end\\", "end"),
        ("A%", "Anna", "Bob"),
        ("_b", "ab", "abc"),
    ] {
        let q = one(Cond::term("lastname", Op::Like, pattern));
        assert!(matches(&q, yes), "{pattern} ~ {yes}: {q}");
        assert!(!matches(&q, no), "{pattern} !~ {no}: {q}");
    }
    // `=` keeps its own escaping (one doubled backslash, 918).
    let q = one(Cond::eq("lastname", "Back\\slash L"));
    assert_eq!(
        q,
        "SELECT id FROM Contacts WHERE lastname = 'Back\\\\slash L';"
    );
    assert!(matches(&q, "Back\\slash L"));
}

#[test]
fn contains_starts_with_ends_with_take_plain_text() {
    let texts = [
        "0% p",
        "a_b",
        "k\\slash L",
        "%",
        "_",
        "\\",
        "it's",
        "WHERE",
        "x\\%y",
        "é",
    ];
    let values = [
        "100% pure",
        "a_b",
        "axb",
        "Back\\slash L",
        "Backslash L",
        "%",
        "_",
        "\\",
        "it's",
        "x\\%y",
        "x%y",
        "é",
        "WHERE",
    ];
    for t in texts {
        for (op, cond, holds) in [
            (
                "contains",
                Cond::contains("lastname", t),
                (|v: &str, t: &str| v.contains(t)) as fn(&str, &str) -> bool,
            ),
            ("startsWith", Cond::starts_with("lastname", t), |v, t| {
                v.starts_with(t)
            }),
            ("endsWith", Cond::ends_with("lastname", t), |v, t| {
                v.ends_with(t)
            }),
        ] {
            let q = one(cond);
            assert_eq!(
                spec(op, t),
                q,
                "the object form renders what Cond::{op} does"
            );
            assert_eq!(spec(&op.to_uppercase(), t), q, "case-insensitive op");
            for v in values {
                assert_eq!(matches(&q, v), holds(v, t), "{op}({t:?}) on {v:?}: {q}");
            }
        }
    }
    assert_eq!(like_escape("5%_\\x"), "5\\%\\_\\\\x");
    assert_eq!(
        spec("contains", "0% p"),
        "SELECT id FROM Contacts WHERE lastname LIKE '%0\\\\% p%';"
    );
    // A number is its digits; anything else is refused.
    assert_eq!(
        Select::from_spec_text(
            r#"{"module":"Contacts","where":{"field":"lastname","op":"contains","value":100}}"#
        )
        .unwrap()
        .render()
        .unwrap(),
        "SELECT * FROM Contacts WHERE lastname LIKE '%100%';"
    );
    for v in ["true", "null", "[\"a\"]", "{}"] {
        let e = Select::from_spec_text(&format!(r#"{{"module":"Contacts","where":{{"field":"lastname","op":"startsWith","value":{v}}}}}"#))
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidInput, Some("lastname")),
            "{v}"
        );
    }
    // Reference fields take ids only: a pattern there is refused (the server pastes the
    // number of an id unquoted into SQL).
    let e = Select::from_spec_text(r#"{"module":"Contacts","where":{"field":"account_id","op":"contains","value":"1) OR 1=1"}}"#)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn raw_like_literals_are_read_as_mysql_reads_them_and_keep_their_meaning() {
    let candidates = [
        "Back\\slash L",
        "Backslash L",
        "100% pure",
        "1000 pure",
        "a_b",
        "axb",
        "end\\",
        "end",
    ];
    for raw in [
        "SELECT id FROM Contacts WHERE lastname LIKE 'Back\\\\slash%';",
        "SELECT id FROM Contacts WHERE lastname LIKE 'Back\\\\\\\\slash%';",
        "SELECT id FROM Contacts WHERE lastname LIKE 'Back\\slash%';",
        "SELECT id FROM Contacts WHERE lastname LIKE '100\\%%';",
        "SELECT id FROM Contacts WHERE lastname LIKE '100\\\\%%';",
        "SELECT id FROM Contacts WHERE lastname LIKE 'a\\_b';",
        "SELECT id FROM Contacts WHERE lastname LIKE 'end\\\\\\\\';",
        "SELECT id FROM Contacts WHERE lastname LIKE 'a_b';",
    ] {
        let again = Select::parse(raw).unwrap().render().unwrap();
        for v in candidates {
            assert_eq!(
                matches(&again, v),
                matches(raw, v),
                "{raw} → {again} on {v:?}"
            );
        }
        // Rendering is a fixed point.
        assert_eq!(Select::parse(&again).unwrap().render().unwrap(), again);
    }
    // The recorded texts (916, 917) re-rendered: the same record.
    for file in ["916", "917"] {
        let q = common::load("vtiger-8.4.0", file)
            .param("query")
            .unwrap()
            .to_owned();
        let again = Select::parse(&q).unwrap().render().unwrap();
        for v in ["Back\\slash re6076", "Backslash re6076"] {
            assert_eq!(matches(&again, v), matches(&q, v), "{file}");
        }
    }
}

#[test]
fn four_byte_characters_in_literals_follow_the_policy() {
    // 920, 921: an emoji in a literal matches nothing, even the record created with it (922).
    for file in ["920", "921"] {
        let f = common::load("vtiger-8.4.0", file);
        assert!(f.param("query").unwrap().contains('😀'));
        assert!(f.body_text().contains("\"result\":[]"), "{file}");
    }
    let sel = || {
        Select::from("Contacts")
            .unwrap()
            .and(
                Cond::eq("lastname", "Smile 😀")
                    .or(Cond::term(
                        "lastname",
                        Op::In,
                        Value::list(["x".into(), "y 😀".into()]),
                    ))
                    .or(Cond::term("lastname", Op::Like, "S😀%")),
            )
            .unwrap()
    };
    let mut s = sel();
    let e = s.apply_four_byte(FourBytePolicy::Reject).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("lastname"))
    );
    assert!(e.message.contains("fourByteChars"), "{}", e.message);
    let mut s = sel();
    s.apply_four_byte(FourBytePolicy::Replace).unwrap();
    assert_eq!(
        s.render().unwrap(),
        "SELECT * FROM Contacts WHERE lastname = 'Smile \u{FFFD}' OR lastname IN ('x', 'y \u{FFFD}') OR lastname LIKE 'S\u{FFFD}%';"
    );
    // The same replacement a create under 'replace' writes.
    let el = crmwire::vtiger::ops::ElementInput::parse(r#"{"lastname":"Smile 😀"}"#)
        .unwrap()
        .with_policy(FourBytePolicy::Replace);
    let form = crmwire::vtiger::ops::create("Contacts", &el).unwrap();
    let sent = form
        .params
        .iter()
        .find(|(k, _)| k == "element")
        .unwrap()
        .1
        .clone();
    assert!(sent.contains("Smile \u{FFFD}"), "{sent}");
    let mut s = sel();
    s.apply_four_byte(FourBytePolicy::Send).unwrap();
    assert!(s.render().unwrap().contains('😀'));
    // BMP text is untouched under every policy.
    for p in [FourBytePolicy::Reject, FourBytePolicy::Replace] {
        let mut s = Select::from("Contacts")
            .unwrap()
            .and(Cond::eq("lastname", "Zoë €"))
            .unwrap();
        s.apply_four_byte(p).unwrap();
        assert!(s.render().unwrap().contains("'Zoë €'"));
    }
    // Raw text sent as written.
    let raw = "SELECT id FROM Contacts WHERE lastname = 'Smile 😀';";
    let e = four_byte_text(raw, FourBytePolicy::Reject).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("query"))
    );
    assert_eq!(
        four_byte_text(raw, FourBytePolicy::Replace).unwrap(),
        "SELECT id FROM Contacts WHERE lastname = 'Smile \u{FFFD}';"
    );
    assert_eq!(four_byte_text(raw, FourBytePolicy::Send).unwrap(), raw);
    assert_eq!(
        four_byte_text("SELECT * FROM Contacts;", FourBytePolicy::Reject).unwrap(),
        "SELECT * FROM Contacts;"
    );
}
