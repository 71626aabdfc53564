//! wasm-bindgen bindings: the only place that imports `wasm_bindgen`, `js_sys` and `web_sys`.
//!
//! The JS face of the package is a thin hand-written layer in `pkg/` (lazy init, async
//! iterators, the query builder's object form) over the exports defined here. Everything
//! protocol-related stays in the sans-IO core; this module only moves bytes through the
//! host's `fetch` and converts errors and values at the boundary.

pub mod errors;
pub mod paging;
pub mod perfex;
pub mod proxy;
pub mod split;
pub mod sync;
pub mod vtiger;

use crate::http::{HttpRequest, Method};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

/// Sets `o[k] = v`. Reflect.set only fails on frozen or proxy targets; ours are fresh objects.
pub(crate) fn set(o: &JsValue, k: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), v);
}

/// A core request for the JS transport, as one string that `unpackRequest` (pkg/transport.js)
/// turns into `{operation, method, url, redactedUrl, get, headers, body?}`: one boundary
/// crossing instead of a `Reflect.set` (and a key string) per field. Lines:
/// operation, method, url, redacted url (empty when equal to the url), the header count,
/// one `name:value` line per header, then `B` and the body (the rest, newlines included)
/// or an empty line. A field with a newline or more than 9 headers (none of ours) gets the
/// object form, which `unpackRequest` passes through.
pub(crate) fn request_to_js(operation: &str, r: &HttpRequest) -> JsValue {
    let redacted = r.redacted_url();
    let red = if redacted == r.url { "" } else { &redacted };
    let fields = [operation, r.method.as_str(), &r.url, red];
    let unsafe_line = |t: &str| t.contains('\n');
    if fields.iter().any(|f| unsafe_line(f))
        || r.headers.len() > 9
        || r.headers
            .iter()
            .any(|(k, v)| unsafe_line(k) || unsafe_line(v) || k.contains(':'))
    {
        return request_object(operation, r, &redacted);
    }
    let body = r.body.as_deref().map(String::from_utf8_lossy);
    let mut out =
        String::with_capacity(r.url.len() * 2 + 64 + body.as_ref().map_or(0, |b| b.len()));
    for f in fields {
        out.push_str(f);
        out.push('\n');
    }
    out.push(char::from(b'0' + r.headers.len() as u8)); // one digit: at most 9 headers
    out.push('\n');
    for (k, v) in &r.headers {
        out.push_str(k);
        out.push(':');
        out.push_str(v);
        out.push('\n');
    }
    if let Some(b) = body {
        out.push('B');
        out.push('\n');
        out.push_str(&b);
    } else {
        out.push('\n');
    }
    JsValue::from_str(&out)
}

/// The object form of [`request_to_js`], for callers whose JS side tells a request from a
/// string result (the Perfex pager's `step`).
pub(crate) fn request_to_object(operation: &str, r: &HttpRequest) -> JsValue {
    request_object(operation, r, &r.redacted_url())
}

fn request_object(operation: &str, r: &HttpRequest, redacted: &str) -> JsValue {
    let o = Object::new();
    set(&o, "operation", &JsValue::from_str(operation));
    set(&o, "method", &JsValue::from_str(r.method.as_str()));
    set(&o, "url", &JsValue::from_str(&r.url));
    set(&o, "redactedUrl", &JsValue::from_str(redacted));
    set(&o, "get", &JsValue::from_bool(r.method == Method::Get));
    let h = Object::new();
    for (k, v) in &r.headers {
        set(&h, k, &JsValue::from_str(v));
    }
    set(&o, "headers", &h);
    if let Some(b) = &r.body {
        set(&o, "body", &JsValue::from_str(&String::from_utf8_lossy(b)));
    }
    o.into()
}

/// The crate version, for diagnostics (`crmwire.version()`).
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Lower-case hex MD5 of the UTF-8 bytes of `s` (the Vtiger login digest is
/// `md5Hex(challengeToken + accessKey)`).
#[wasm_bindgen(js_name = md5Hex)]
pub fn md5_hex(s: &str) -> String {
    crate::encode::md5_hex(s)
}

/// A string as a VTQL literal (quoted, `'` and `\` doubled). Throws INVALID_INPUT for the
/// empty string and for NUL.
#[wasm_bindgen(js_name = vtqlLiteral)]
pub fn vtql_literal(s: &str) -> Result<String, JsValue> {
    crate::vtiger::vtql::literal(s).map_err(|e| errors::to_js(&e))
}

/// Renders a query spec (the builder's object form, as JSON text) to VTQL.
#[wasm_bindgen(js_name = renderVtql)]
pub fn render_vtql(spec_json: &str) -> Result<String, JsValue> {
    crate::vtiger::vtql::Select::from_spec_text(spec_json)
        .and_then(|s| s.render())
        .map_err(|e| errors::to_js(&e))
}
