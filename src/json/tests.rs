use super::parse::parse_prefix;
use super::write::has_control;
use super::*;
use core::ops::Range;

/// Every member of the object at `start` (key, value range) and the offset after it.
type Members = Vec<(String, Range<usize>)>;

fn scan_object_at(text: &str, start: usize) -> Result<(Members, usize), JsonError> {
    let mut members = Vec::new();
    let end = scan::object(text, start, 0, |key, vs| {
        let end = scan::value(text, vs, 1)?;
        members.push((key.to_owned(), vs..end));
        Ok(end)
    })?;
    Ok((members, end))
}

/// [`scan_object_at`] for a whole text, which must be one object (whitespace around it
/// allowed).
fn scan_object(text: &str) -> Result<Members, JsonError> {
    let (members, end) = scan_object_at(text, 0)?;
    scan::expect_end(text, end)?;
    Ok(members)
}

/// [`scan::keys`] for a whole text, as [`scan_object`].
fn scan_object_keys(
    text: &str,
    keys: &[&str],
    found: &mut [Option<Range<usize>>],
) -> Result<(), JsonError> {
    let end = scan::keys(text, 0, 0, keys, found)?;
    scan::expect_end(text, end)
}

fn s(v: &str) -> Json {
    Json::Str(v.to_owned())
}

#[test]
fn parses_every_kind_of_value() {
    let v = parse(r#" {"a":[1,-2.5e3,true,false,null],"b":{"c":"d"},"e":"","f":0} "#).unwrap();
    assert_eq!(v.get("a").unwrap().as_array().unwrap().len(), 5);
    assert_eq!(
        v.get("a").unwrap().as_array().unwrap()[1],
        Json::Num("-2.5e3".into())
    );
    assert_eq!(v.get("b").unwrap().get("c"), Some(&s("d")));
    assert_eq!(v.get("f").unwrap().as_i64(), Some(0));
    assert_eq!(v.get("zz"), None);
    assert_eq!(parse("[]").unwrap(), Json::Arr(vec![]));
    assert!(parse("{}").unwrap().is_empty_container());
    assert!(parse("[]").unwrap().is_empty_container());
    assert!(!parse("[0]").unwrap().is_empty_container());
}

#[test]
fn first_duplicate_key_wins_in_get() {
    let v = parse(r#"{"a":1,"a":2}"#).unwrap();
    assert_eq!(v.get("a").unwrap().as_i64(), Some(1));
    assert_eq!(v.as_object().unwrap().len(), 2);
}

#[test]
fn decodes_escapes_and_surrogate_pairs() {
    let v = parse(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00""#).unwrap();
    assert_eq!(v, s("a\"b\\c/d\u{8}\u{c}\n\r\té中😀"));
}

#[test]
fn rejects_lone_surrogates() {
    for bad in [
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83dx""#,
        r#""\ud83d\u0041""#,
    ] {
        let e = parse(bad).unwrap_err();
        assert_eq!(e.message, "lone surrogate escape", "{bad}");
    }
}

#[test]
fn accepts_raw_control_characters_inside_strings() {
    let text = "{\"d\":\"a\u{b}b\u{1}c\"}";
    assert_eq!(parse(text).unwrap().get("d"), Some(&s("a\u{b}b\u{1}c")));
    // but not outside strings
    assert!(parse("{\"d\":\u{1}1}").is_err());
}

#[test]
fn rejects_malformed_input_with_offsets() {
    for (bad, off) in [
        ("", 0),
        ("{", 1),
        ("{\"a\":}", 5),
        ("[1,]", 3),
        ("[1 2]", 3),
        ("01", 1),
        ("1.", 2),
        ("-", 1),
        ("tru", 3),
        ("nul x", 0),
        ("\"abc", 4),
        ("{\"a\":1} x", 8),
        ("\"\\x\"", 2),
        ("{'a':1}", 1),
    ] {
        let e = parse(bad).unwrap_err();
        assert_eq!(e.offset, off, "{bad}: {e}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "[".repeat(200_000);
    assert_eq!(parse(&deep).unwrap_err().message, "nesting too deep");
    let deep_obj = "{\"a\":".repeat(200_000);
    assert_eq!(parse(&deep_obj).unwrap_err().message, "nesting too deep");
    assert_eq!(
        scan_object(&deep_obj).unwrap_err().message,
        "nesting too deep"
    );
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
    let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(parse(&too_deep).is_err());
}

#[test]
fn as_i64_accepts_digit_strings_only() {
    assert_eq!(s("123").as_i64(), Some(123));
    assert_eq!(s("-7").as_i64(), Some(-7));
    assert_eq!(s("+7").as_i64(), None);
    assert_eq!(s("1.5").as_i64(), None);
    assert_eq!(s("").as_i64(), None);
    assert_eq!(Json::Num("1795453964".into()).as_i64(), Some(1_795_453_964));
    assert_eq!(Json::Num("1e3".into()).as_i64(), None);
    assert_eq!(Json::Bool(true).as_i64(), None);
    assert_eq!(s("99999999999999999999").as_i64(), None);
}

#[test]
fn object_or_empty_treats_php_empty_array_as_map() {
    assert_eq!(parse("[]").unwrap().as_object_or_empty(), Some(&[][..]));
    assert_eq!(
        parse("{\"a\":1}")
            .unwrap()
            .as_object_or_empty()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(parse("[1]").unwrap().as_object_or_empty(), None);
    assert_eq!(parse("\"x\"").unwrap().as_object_or_empty(), None);
}

#[test]
fn writes_raw_utf8_and_minimal_escapes() {
    let v = Json::Obj(vec![
        ("name".into(), s("é中😀 \"q\" \\ /")),
        ("ctl".into(), s("\n\r\t\u{8}\u{c}\u{b}\u{1}\u{1f}\u{7f}")),
        ("n".into(), Json::Num("12".into())),
        (
            "a".into(),
            Json::Arr(vec![Json::Null, Json::Bool(true), Json::Bool(false)]),
        ),
    ]);
    let text = v.to_json();
    assert_eq!(
        text,
        "{\"name\":\"é中😀 \\\"q\\\" \\\\ /\",\"ctl\":\"\\n\\r\\t\\b\\f\\u000b\\u0001\\u001f\u{7f}\",\"n\":12,\"a\":[null,true,false]}"
    );
    assert!(!text.contains("\\ud"), "no surrogate escapes");
    assert_eq!(parse(&text).unwrap(), v);
}

#[test]
fn scan_object_gives_value_ranges() {
    let text = r#" {"success":true,"result":{"a":[1,{"b":"}"}]},"x":"\u00e9"} "#;
    let m = scan_object(text).unwrap();
    let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["success", "result", "x"]);
    assert_eq!(&text[m[0].1.clone()], "true");
    assert_eq!(&text[m[1].1.clone()], r#"{"a":[1,{"b":"}"}]}"#);
    assert_eq!(&text[m[2].1.clone()], r#""\u00e9""#);
    assert!(scan_object("[1]").is_err());
    assert!(scan_object(r#"{"a":1} {"#).is_err());
    assert!(scan_object(r#"{"a":[1,}"#).is_err());
    assert_eq!(scan_object("{}").unwrap(), vec![]);
}

/// Texts for comparing the scanners: valid objects with escaped keys, nested values,
/// strings holding braces/quotes/backslashes, raw control characters, and broken ones.
fn scan_corpus() -> Vec<String> {
    let mut v: Vec<String> = [
        r#"{}"#,
        r#" { } "#,
        r#"{"id":"12x1","modifiedtime":"2026-01-02 03:04:05"}"#,
        r#"{"i\u0064":"esc","id":"second","modifiedtime":null}"#,
        r#"{"id":"a\"b}","x":{"id":"nested","y":[{"}":"{"},"\\"]},"modifiedtime":"m"}"#,
        "{\"id\":\"raw\u{1}ctl\u{1f}\",\"modifiedtime\":\"t\ta\"}",
        "{\n\t\"a\" : [ 1 , -2.5e3 , true , false , null ] ,\r\n\"id\":\"x\"}",
        r#"{"modifiedtime":"first","modifiedtime":"second","id":1}"#,
        r#"{"\ud83d\ude00":"emoji key","id":"\u00e9"}"#,
        r#"{"a":"é中😀","id":"12x9"}"#,
        r#"{"id":"x"} trailing"#,
        r#"[1]"#,
        r#""str""#,
        r#"{"a":[1,}"#,
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{"a":1 "b":2}"#,
        r#"{'a':1}"#,
        r#"{"a":"\x"}"#,
        r#"{"\x":1}"#,
        r#"{"a":"\ud83d"}"#,
        r#"{"a":tru}"#,
        r#"{"a":01}"#,
        "{\"a\":\u{1}}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every prefix of a valid object (truncation at each byte).
    let full = r#"{"i\u0064":"1","x":{"y":["}",2.5e-1,null]},"modifiedtime":"a\"b"}"#;
    for n in 0..full.len() {
        v.push(full[..n].to_owned());
    }
    v.push(format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200)));
    v
}

#[test]
fn scan_object_keys_matches_scan_object() {
    let keys = ["id", "modifiedtime", "a", "😀"];
    for text in scan_corpus() {
        let full = scan_object(&text);
        let mut found = [None, None, None, None];
        let quick = scan_object_keys(&text, &keys, &mut found);
        assert_eq!(quick.is_ok(), full.is_ok(), "{text:?}");
        match full {
            Err(e) => assert_eq!(quick.unwrap_err(), e, "{text:?}"),
            Ok(members) => {
                for (k, f) in keys.iter().zip(&found) {
                    let first = members.iter().find(|(n, _)| n == k).map(|(_, r)| r);
                    assert_eq!(f.as_ref(), first, "{text:?} {k}");
                }
            }
        }
        // The `_at` forms agree with each other on where the object ends.
        let at = scan_object_at(&text, 0).map(|(_, end)| end);
        let keys_at = scan::keys(&text, 0, 0, &keys, &mut [None, None, None, None]);
        assert_eq!(keys_at, at, "{text:?}");
    }
}

#[test]
fn scan_object_keys_takes_the_first_decoded_key() {
    let text = r#"{"i\u0064":"esc","id":"plain","x":{"id":"nested"},"modifiedtime":"t"}"#;
    let mut found = [None, None, None];
    scan_object_keys(text, &["id", "modifiedtime", "absent"], &mut found).unwrap();
    assert_eq!(&text[found[0].clone().unwrap()], r#""esc""#);
    assert_eq!(&text[found[1].clone().unwrap()], r#""t""#);
    assert_eq!(found[2], None);
}

#[test]
fn skip_value_at_validates_like_parse() {
    for v in [
        r#""plain""#,
        r#""esc\"aped\\""#,
        "\"raw\u{1}ctl\"",
        r#""\ud83d""#,
        r#""unterminated"#,
        r#""bad \x escape""#,
        r#"{"a":["}",{"b":"]"}]}"#,
        "  [1, 2]",
        "nul",
        "-1.5e3",
        "1.",
        "{",
    ] {
        let text = format!("{v} ,");
        let got = scan::value(&text, 0, 1);
        match parse_prefix(&text, 0) {
            Ok((_, end)) => assert_eq!(got, Ok(end), "{v:?}"),
            Err(e) => assert_eq!(got, Err(e), "{v:?}"),
        }
    }
    let deep = "[".repeat(MAX_DEPTH);
    assert_eq!(
        scan::value(&deep, 0, 1).unwrap_err().message,
        "nesting too deep"
    );
    assert_eq!(
        scan::object(r#"{"a":1}"#, 0, MAX_DEPTH, |_, vs| Ok(vs + 1))
            .unwrap_err()
            .message,
        "nesting too deep"
    );
}

#[test]
fn has_control_checks_every_byte() {
    for len in 0..24 {
        let clean = vec![b'a'; len];
        assert!(!has_control(&clean));
        for at in 0..len {
            for c in [0u8, 0x09, 0x1f] {
                let mut b = clean.clone();
                b[at] = c;
                assert!(has_control(&b), "{len} {at} {c}");
            }
            let mut b = clean.clone();
            b[at] = 0x20;
            b[len - 1 - at] = 0xff;
            assert!(!has_control(&b));
        }
    }
}

#[test]
fn escape_raw_controls_makes_strict_json() {
    let text = "{\"d\":\"a\u{b}b\u{1}c\\\"\u{9}\",\n\t\"e\":1}";
    let fixed = escape_raw_controls(text);
    assert!(!fixed.bytes().any(|b| b < 0x20 && b != b'\n' && b != b'\t'));
    assert!(fixed.contains("a\\u000bb\\u0001c\\\"\\t\""), "{fixed}");
    assert_eq!(parse(&fixed).unwrap(), parse(text).unwrap());
    // whitespace between tokens is kept; clean text is borrowed
    assert!(fixed.contains(",\n\t\"e\""));
    let clean = "{\n\"a\": \"b\"\n}";
    assert!(matches!(
        escape_raw_controls(clean),
        alloc::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn is_number_matches_the_grammar() {
    for ok in ["0", "-0", "12", "1.5", "1e5", "1E-5", "-1.25e+3"] {
        assert!(is_number(ok), "{ok}");
    }
    for bad in ["", "01", "+1", "1.", ".5", "1e", "abc", "1 ", "NaN"] {
        assert!(!is_number(bad), "{bad}");
    }
}
