//! `crate::Error` ⇄ JS `Error` conversion.
//!
//! A core error becomes a real JS `Error` (so stack traces and `instanceof Error` work in
//! every runtime) with `name = "CrmError"` and the stable fields `code`, `crmCode`,
//! `status`, `operation`, `field` (and `fieldErrors`, `snippet` when present). Absent values
//! are `undefined`, never `null`. A JS exception raised by `fetch` (network failure,
//! `AbortError`, `TimeoutError`) is mapped back to a core error with the original exception
//! kept as `cause`.

use crate::error::{CrmCode, Error, ErrorCode};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::set;

/// Converts a core error into a JS `Error` named `CrmError`.
pub fn to_js(e: &Error) -> JsValue {
    to_js_with_cause(e, None)
}

/// As [`to_js`], with `cause` set to the JS exception that led to it.
pub fn to_js_with_cause(e: &Error, cause: Option<&JsValue>) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("CrmError");
    let v: JsValue = err.into();
    set(&v, "code", &JsValue::from_str(e.code.as_str()));
    let crm = match &e.crm_code {
        Some(CrmCode::Str(s)) => JsValue::from_str(s),
        Some(CrmCode::Int(n)) => JsValue::from_f64(*n as f64),
        None => JsValue::UNDEFINED,
    };
    set(&v, "crmCode", &crm);
    set(
        &v,
        "status",
        &e.status
            .map_or(JsValue::UNDEFINED, |s| JsValue::from_f64(f64::from(s))),
    );
    set(
        &v,
        "operation",
        &e.operation
            .as_deref()
            .map_or(JsValue::UNDEFINED, JsValue::from_str),
    );
    set(
        &v,
        "field",
        &e.field
            .as_deref()
            .map_or(JsValue::UNDEFINED, JsValue::from_str),
    );
    if !e.field_errors.is_empty() {
        let fe = Object::new();
        for (k, m) in &e.field_errors {
            set(&fe, k, &JsValue::from_str(m));
        }
        set(&v, "fieldErrors", &fe);
    }
    if let Some(s) = &e.snippet {
        set(&v, "snippet", &JsValue::from_str(s));
    }
    if let Some(c) = cause {
        set(&v, "cause", c);
    }
    v
}

/// True when `v` is already a CrmError (so it is passed through, not wrapped again).
pub fn is_crm_error(v: &JsValue) -> bool {
    v.is_instance_of::<js_sys::Error>()
        && Reflect::get(v, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string())
            .as_deref()
            == Some("CrmError")
}

/// The `name` of a JS exception (`AbortError`, `TimeoutError`, `TypeError`, …), if any.
pub fn js_error_name(v: &JsValue) -> Option<String> {
    Reflect::get(v, &JsValue::from_str("name"))
        .ok()?
        .as_string()
}

/// Maps an exception thrown by `fetch` or a body read to a core error.
///
/// `TimeoutError` → TIMEOUT, `AbortError` → ABORTED (or TIMEOUT when `timed_out` says our own
/// timer fired: some runtimes report a timeout abort as `AbortError`), anything else →
/// TRANSPORT. The exception's own message is kept: fetch errors never contain the request
/// body, and URLs in them are redacted by the caller.
pub fn from_fetch_exception(v: &JsValue, operation: &str, timed_out: bool) -> Error {
    let name = js_error_name(v).unwrap_or_default();
    let (code, msg) = match name.as_str() {
        "TimeoutError" => (ErrorCode::Timeout, "the request timed out".to_owned()),
        "AbortError" if timed_out => (ErrorCode::Timeout, "the request timed out".to_owned()),
        "AbortError" => (ErrorCode::Aborted, "the request was aborted".to_owned()),
        _ => {
            let m = Reflect::get(v, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "fetch failed".to_owned());
            (
                ErrorCode::Transport,
                format!("network error: {}", crate::http::redact_url(&m)),
            )
        }
    };
    Error::new(code, msg).with_operation(operation)
}

/// Collects `(key, value)` string pairs from a plain JS object (own enumerable keys).
/// Non-string values are converted with [`js_to_string`]; `undefined`/`null` values are skipped.
pub fn string_pairs(o: &JsValue) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !o.is_object() {
        return out;
    }
    let entries = Object::entries(o.unchecked_ref());
    for e in entries.iter() {
        let pair: Array = e.unchecked_into();
        let k = pair.get(0).as_string().unwrap_or_default();
        let v = pair.get(1);
        if v.is_undefined() || v.is_null() {
            continue;
        }
        out.push((k, js_to_string(&v)));
    }
    out
}

/// `String(v)` for primitives; JSON text for objects and arrays.
pub fn js_to_string(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        s
    } else if v.as_f64().is_some() {
        // The host's String(n): keeps Rust's float printer (about 18 KB of wasm) out of the module.
        v.unchecked_ref::<js_sys::Number>()
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_default()
    } else if let Some(b) = v.as_bool() {
        b.to_string()
    } else {
        js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }
}

/// Test hook: builds a CrmError from parts, exactly as the client would throw it.
/// `crm_code` may be a string or a number (Vtiger's duplicate code `0`).
#[wasm_bindgen(js_name = __crmErrorForTest, skip_typescript)]
pub fn crm_error_for_test(crm_code: JsValue, message: String, status: Option<u16>) -> JsValue {
    let e = if let Some(s) = crm_code.as_string() {
        Error::from_server(CrmCode::Str(s), message)
    } else if let Some(n) = crm_code.as_f64() {
        Error::from_server(CrmCode::Int(n as i64), message)
    } else {
        Error::new(ErrorCode::InvalidResponse, message)
    };
    let e = match status {
        Some(s) => e.with_status(s),
        None => e,
    };
    to_js(&e.with_operation("test"))
}
