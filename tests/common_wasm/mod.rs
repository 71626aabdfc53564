//! wasm-bindgen tests shared by `wasm_node.rs` (Node) and `wasm_browser.rs` (headless
//! Chromium): the wasm layer's conversions at the JS boundary.

use crmwire::error::{CrmCode, Error};
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
