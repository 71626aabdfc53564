//! wasm-bindgen tests shared by `wasm_node.rs` (Node) and `wasm_browser.rs` (headless
//! Chromium): the wasm layer's conversions at the JS boundary.

use crmwire::error::{CrmCode, Error, ErrorCode};
use crmwire::wasm::errors;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

#[wasm_bindgen_test]
fn md5_hex_matches_known_digests() {
    assert_eq!(
        crmwire::wasm::md5_hex("abc"),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(
        crmwire::wasm::md5_hex(""),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
}

#[wasm_bindgen_test]
fn core_error_becomes_a_real_js_error_named_crm_error() {
    let e = Error::from_server(
        CrmCode::Str("ACCESS_DENIED".into()),
        "Permission to perform the operation is denied",
    )
    .with_status(200)
    .with_operation("retrieve");
    let v = errors::to_js(&e);
    assert!(v.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&v, "name").as_string().as_deref(), Some("CrmError"));
    assert_eq!(
        get(&v, "code").as_string().as_deref(),
        Some("ACCESS_DENIED")
    );
    assert_eq!(
        get(&v, "crmCode").as_string().as_deref(),
        Some("ACCESS_DENIED")
    );
    assert_eq!(get(&v, "status").as_f64(), Some(200.0));
    assert_eq!(
        get(&v, "operation").as_string().as_deref(),
        Some("retrieve")
    );
    assert!(get(&v, "field").is_undefined());
    assert!(errors::is_crm_error(&v));
    let msg = v.unchecked_ref::<js_sys::Error>().message();
    assert_eq!(
        String::from(msg),
        "Permission to perform the operation is denied"
    );
}

#[wasm_bindgen_test]
fn duplicate_integer_zero_keeps_crm_code_zero() {
    let v = errors::to_js(&Error::from_server(
        CrmCode::Int(0),
        "Duplicate(s) detected!",
    ));
    assert_eq!(get(&v, "code").as_string().as_deref(), Some("DUPLICATE"));
    assert_eq!(get(&v, "crmCode").as_f64(), Some(0.0));
    assert!(get(&v, "status").is_undefined());
}

#[wasm_bindgen_test]
fn unknown_server_codes_pass_through() {
    let v = errors::to_js(&Error::from_server(CrmCode::Str("WSAPP04".into()), "x"));
    assert_eq!(get(&v, "code").as_string().as_deref(), Some("WSAPP04"));
}

#[wasm_bindgen_test]
fn invalid_input_names_the_field() {
    let v = errors::to_js(&Error::invalid_input(
        "lastname",
        "4-byte character not allowed",
    ));
    assert_eq!(
        get(&v, "code").as_string().as_deref(),
        Some("INVALID_INPUT")
    );
    assert_eq!(get(&v, "field").as_string().as_deref(), Some("lastname"));
}

fn named_error(name: &str, msg: &str) -> JsValue {
    let e = js_sys::Error::new(msg);
    e.set_name(name);
    e.into()
}

#[wasm_bindgen_test]
fn fetch_exceptions_map_to_transport_timeout_aborted() {
    let t = errors::from_fetch_exception(&named_error("TypeError", "fetch failed"), "query", false);
    assert_eq!(t.code, ErrorCode::Transport);
    assert_eq!(t.operation.as_deref(), Some("query"));
    let t = errors::from_fetch_exception(
        &named_error("TimeoutError", "signal timed out"),
        "query",
        false,
    );
    assert_eq!(t.code, ErrorCode::Timeout);
    let t = errors::from_fetch_exception(&named_error("AbortError", "aborted"), "query", false);
    assert_eq!(t.code, ErrorCode::Aborted);
    let t = errors::from_fetch_exception(&named_error("AbortError", "aborted"), "query", true);
    assert_eq!(t.code, ErrorCode::Timeout);
}

#[wasm_bindgen_test]
fn fetch_exception_messages_are_redacted() {
    let t = errors::from_fetch_exception(
        &named_error(
            "TypeError",
            "failed http://h/webservice.php?operation=query&sessionName=s3cr3t",
        ),
        "query",
        false,
    );
    assert!(!t.message.contains("s3cr3t"), "{}", t.message);
    let v = errors::to_js_with_cause(&t, Some(&named_error("TypeError", "x")));
    assert!(get(&v, "cause").is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
fn string_pairs_reads_plain_objects() {
    let o = js_sys::JSON::parse(r#"{"a":"1","b":2,"c":null,"d":true}"#).unwrap();
    let p = errors::string_pairs(&o);
    assert_eq!(
        p,
        vec![
            ("a".into(), "1".into()),
            ("b".into(), "2".into()),
            ("d".into(), "true".into())
        ]
    );
}

// ---- split.rs: long IN lists cut into parts that each fit

use crmwire::vtiger::vtql::Select;
use crmwire::wasm::split::split_select;

fn fits_under(limit: usize) -> impl Fn(&Select) -> crmwire::Result<bool> {
    move |s: &Select| Ok(s.render()?.len() <= limit)
}

fn names(n: usize) -> String {
    (0..n)
        .map(|i| format!("\"Name{i:04}\""))
        .collect::<Vec<_>>()
        .join(",")
}

#[wasm_bindgen_test]
fn a_query_that_fits_is_not_split() {
    let s = Select::from_spec_text(&format!(
        r#"{{"module":"Contacts","where":{{"field":"lastname","op":"in","value":[{}]}}}}"#,
        names(10)
    ))
    .unwrap();
    assert!(split_select(&s, &fits_under(8192)).unwrap().is_none());
}

#[wasm_bindgen_test]
fn a_long_in_list_is_cut_into_fitting_parts_keeping_every_value_once_in_order() {
    let s = Select::from_spec_text(&format!(
        r#"{{"module":"Contacts","fields":["lastname"],"where":[[{{"field":"lastname","op":"in","value":[{}]}},{{"field":"mailingcity","value":"Paris"}}]]}}"#,
        names(1000)
    ))
    .unwrap();
    let parts = split_select(&s, &fits_under(2000)).unwrap().unwrap();
    // ~12 bytes per value, ~12,000 bytes of list: 7 maximal parts of 2,000 bytes.
    assert!((7..=8).contains(&parts.len()), "{} parts", parts.len());
    let mut seen = Vec::new();
    for p in &parts {
        let q = p.render().unwrap();
        assert!(q.len() <= 2000, "{}", q.len());
        assert!(q.contains("AND mailingcity = 'Paris'"), "{q}");
        for i in 0..1000 {
            if q.contains(&format!("'Name{i:04}'")) {
                seen.push(i);
            }
        }
    }
    assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    // Parts are maximal: a part plus the next part's first value would not fit.
    for w in parts.windows(2) {
        let (a, b) = (w[0].render().unwrap(), w[1].render().unwrap());
        let next = b
            .split("IN (")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .trim_end_matches(')');
        let grown = a.replacen(") AND", &format!(", {next}) AND"), 1);
        assert!(grown.len() > 2000, "{} + {next} would fit", a.len());
    }
}

#[wasm_bindgen_test]
fn unsplittable_long_queries_are_refused_with_the_reason() {
    let long = names(1000);
    let cases = [
        (
            format!(
                r#"{{"module":"Contacts","where":[[{{"field":"lastname","op":"in","value":[{long}]}}],[{{"field":"firstname","value":"x"}}]]}}"#
            ),
            "OR between groups",
        ),
        (
            format!(
                r#"{{"module":"Contacts","orderBy":"lastname","where":{{"field":"lastname","op":"in","value":[{long}]}}}}"#
            ),
            "ORDER BY",
        ),
        (
            format!(
                r#"{{"module":"Contacts","limit":5,"where":{{"field":"lastname","op":"in","value":[{long}]}}}}"#
            ),
            "LIMIT",
        ),
        (
            format!(
                r#"{{"module":"Contacts","count":true,"where":{{"field":"lastname","op":"in","value":[{long}]}}}}"#
            ),
            "count(*)",
        ),
        (
            format!(
                r#"{{"module":"Contacts","where":{{"field":"lastname","value":"{}"}}}}"#,
                "x".repeat(3000)
            ),
            "no IN list",
        ),
    ];
    for (spec, why) in cases {
        let s = Select::from_spec_text(&spec).unwrap();
        let e = split_select(&s, &fits_under(2000)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("query"));
        assert!(e.message.contains(why), "{why}: {}", e.message);
    }
    // One value too long with the rest of the condition.
    let s = Select::from_spec_text(&format!(
        r#"{{"module":"Contacts","where":[[{{"field":"lastname","op":"in","value":["a","b"]}},{{"field":"firstname","value":"{}"}}]]}}"#,
        "y".repeat(3000)
    ))
    .unwrap();
    let e = split_select(&s, &fits_under(2000)).unwrap_err();
    assert!(e.message.contains("one IN value"), "{}", e.message);
}
