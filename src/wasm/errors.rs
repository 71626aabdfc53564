//! `crate::Error` ⇄ JS `Error` conversion.
//!
//! A core error becomes a real JS `Error` (so stack traces and `instanceof Error` work in
//! every runtime) with `name = "CrmError"` and the stable fields `code`, `crmCode`,
//! `status`, `operation`, `field` (and `fieldErrors`, `snippet` when present). Absent values
//! are `undefined`, never `null`. Transport failures are the JS layer's own CrmErrors
//! (pkg/transport.js); it reports them to the drivers by code and message.

use crate::error::{CrmCode, Error};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::set;

/// Converts a core error into a JS `Error` named `CrmError` (its message masked once more).
pub fn to_js(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&crate::error::mask_secrets(&e.message));
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
    v
}

/// True when `v` is already a CrmError.
pub fn is_crm_error(v: &JsValue) -> bool {
    v.is_instance_of::<js_sys::Error>()
        && Reflect::get(v, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string())
            .as_deref()
            == Some("CrmError")
}
