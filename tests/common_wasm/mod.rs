//! wasm-bindgen tests shared by `wasm_node.rs` (Node) and `wasm_browser.rs` (headless
//! Chromium): the wasm layer's conversions at the JS boundary.

use crmwire::error::{CrmCode, Error};
use wasm_bindgen_test::wasm_bindgen_test;

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

/// An error as the JS layer receives it: its JSON text (pkg/errors.js makes the CrmError).
fn error(e: &Error) -> crmwire::json::Json {
    crmwire::json::parse(&crmwire::error::error_json(e)).unwrap()
}

fn member<'a>(j: &'a crmwire::json::Json, k: &str) -> Option<&'a str> {
    j.get(k).and_then(|v| v.as_str())
}

#[wasm_bindgen_test]
fn a_core_error_crosses_with_its_stable_fields() {
    let e = Error::from_server(
        CrmCode::Str("ACCESS_DENIED".into()),
        "Permission to perform the operation is denied",
    )
    .with_status(200)
    .with_operation("retrieve");
    let j = error(&e);
    assert_eq!(member(&j, "code"), Some("ACCESS_DENIED"));
    assert_eq!(member(&j, "crmCode"), Some("ACCESS_DENIED"));
    assert_eq!(j.get("status").and_then(|v| v.as_i64()), Some(200));
    assert_eq!(member(&j, "operation"), Some("retrieve"));
    assert!(j.get("field").is_none());
    assert_eq!(
        member(&j, "message"),
        Some("Permission to perform the operation is denied")
    );
}

#[wasm_bindgen_test]
fn duplicate_integer_zero_keeps_crm_code_zero() {
    let j = error(&Error::from_server(
        CrmCode::Int(0),
        "Duplicate(s) detected!",
    ));
    assert_eq!(member(&j, "code"), Some("DUPLICATE"));
    assert_eq!(j.get("crmCode").and_then(|v| v.as_i64()), Some(0));
    assert!(j.get("status").is_none());
}

#[wasm_bindgen_test]
fn unknown_server_codes_pass_through() {
    let j = error(&Error::from_server(CrmCode::Str("WSAPP04".into()), "x"));
    assert_eq!(member(&j, "code"), Some("WSAPP04"));
}

#[wasm_bindgen_test]
fn invalid_input_names_the_field() {
    let j = error(&Error::invalid_input(
        "lastname",
        "4-byte character not allowed",
    ));
    assert_eq!(member(&j, "code"), Some("INVALID_INPUT"));
    assert_eq!(member(&j, "field"), Some("lastname"));
}

#[wasm_bindgen_test]
fn steps_cross_as_one_string() {
    // A driver's first step for a cold client: the getchallenge request.
    let mut core = crmwire::wasm::vtiger::VtigerCore::new(
        r#"{"url":"http://crm.test","username":"admin","accessKey":"k3y","seed":7}"#,
    )
    .unwrap();
    let s = core.list_types();
    assert!(s.starts_with("S0"), "{s}");
    let (head, req) = s.split_once('\n').unwrap();
    assert!(head[2..].parse::<u32>().is_ok(), "{head}");
    let lines: Vec<&str> = req.split('\n').collect();
    assert_eq!(lines[0], "getchallenge");
    assert_eq!(lines[1], "GET");
    assert_eq!(
        lines[2],
        "http://crm.test/webservice.php?operation=getchallenge&username=admin"
    );
    // A refused option: its error as JSON (pkg/errors.js makes the CrmError), naming the field.
    let e = crmwire::wasm::vtiger::VtigerCore::new(
        r#"{"url":"ftp://x","username":"a","accessKey":"k"}"#,
    )
    .err()
    .unwrap();
    let e = crmwire::json::parse(&e).unwrap();
    assert_eq!(
        e.get("code").and_then(|v| v.as_str()),
        Some("INVALID_INPUT")
    );
    assert_eq!(e.get("field").and_then(|v| v.as_str()), Some("url"));
}

#[wasm_bindgen_test]
fn redact_text_masks_plain_and_encoded_session_names() {
    for s in [
        "GET http://h/webservice.php?operation=query&sessionName=s3cr3t&x=1",
        "sessionName%3Ds3cr3t",
        "sessionName&#61;s3cr3t",
        r#"{"sessionName":"s3cr3t"}"#,
    ] {
        let out = crmwire::wasm::redact_text(s);
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(out.contains("[redacted]"), "{out}");
    }
}
