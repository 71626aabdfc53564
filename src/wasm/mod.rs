//! wasm-bindgen bindings: the only place that imports `wasm_bindgen` (and would import `js_sys` or
//! `web_sys`; none is needed: values cross as strings and bytes).
//!
//! The JS face of the package is a thin hand-written layer in `pkg/` (lazy init, async
//! iterators, the query builder's object form, the driving loop in `pkg/transport.js`) over the
//! exports defined here. Every protocol decision is made by the sans-IO drivers
//! ([`crate::vtiger::driver`], [`crate::perfex::driver`]); this module converts their steps,
//! errors and values at the boundary.

use crate::prelude::*;
// One module per protocol, each behind its cargo feature (Cargo.toml): a build exports only
// the protocols of its entry point, and LTO drops the rest of the core.
#[cfg(feature = "perfex")]
pub mod perfex;
#[cfg(feature = "proxy")]
pub mod proxy;
#[cfg(feature = "vtiger")]
pub mod vtiger;

use crate::error::{Error, ErrorCode, Result};
use crate::http::HttpRequest;
use crate::step::{Read, Step, Value};
use wasm_bindgen::prelude::*;

/// A driver's step for the JS loop (pkg/drive.js), as one string: one boundary crossing per
/// step. `<kind><wake><id>\n<payload>`: `kind` is one letter, `wake` `1` when exchanges
/// waiting for a login must be resumed (else `0`), `id` the exchange id in decimal.
///
/// | kind | step | payload |
/// |---|---|---|
/// | `S` `F` `A` | send (`S`: hand the answer to the driver; `F`: a clean success envelope may be parsed by the host; `A`: the same when its result is an array) | the request, below |
/// | `U` | send with the exchange's file, as `S` | the request; its body starts with a line holding the offset (UTF-16 units) where the file's bytes go |
/// | `Z` | sleep | milliseconds |
/// | `W` | wait for the login to settle | — |
/// | `Y` `y` | yield JSON text / the host's parsed value | the text |
/// | `D` `d` `N` | done with JSON text / the host's parsed value / nothing | the text |
/// | `X` | give up: the host reports its own transport error | — |
/// | `E` | the exchange failed | the error as JSON ([`crate::error::error_json`]) |
///
/// The request: lines `operation`, `method`, `url`, the redacted url (empty when equal),
/// the header count, one `name:value` line per header, then `B` and the body (the rest,
/// newlines included) or an empty line. The drivers build no field with a newline (URLs are
/// encoded; header values are checked when a driver is made).
pub(crate) fn step_text(id: u32, step: &Step, wake: bool) -> String {
    let (kind, payload): (char, alloc::borrow::Cow<'_, str>) = match step {
        Step::Send {
            operation,
            request,
            read,
            upload,
        } => {
            let kind = match (read, upload) {
                (_, Some(_)) => 'U',
                (Read::Core, _) => 'S',
                (Read::Clean, _) => 'F',
                (Read::CleanRows, _) => 'A',
            };
            (kind, request_text(operation, request, *upload).into())
        }
        Step::Sleep(ms) => ('Z', ms.text().into()),
        Step::Wait => ('W', "".into()),
        Step::Yield(Value::Text(t)) => ('Y', t.as_str().into()),
        Step::Yield(_) => ('y', "".into()),
        Step::Done(Value::Text(t)) => ('D', t.as_str().into()),
        Step::Done(Value::Clean) => ('d', "".into()),
        Step::Done(Value::Nothing) => ('N', "".into()),
    };
    let mut out = head(kind, id, wake);
    out.push_str(&payload);
    out
}

/// A driver's answer for the JS loop: its next step, or its error (`E`).
pub(crate) fn step_out(id: u32, r: Result<Step>, wake: bool) -> String {
    match r {
        Ok(step) => step_text(id, &step, wake),
        Err(e) => head('E', id, wake) + &crate::error::error_json(&e),
    }
}

/// The step telling the host to report its own error.
pub(crate) fn give_up_text(id: u32, wake: bool) -> String {
    head('X', id, wake)
}

fn head(kind: char, id: u32, wake: bool) -> String {
    let mut out = String::with_capacity(16);
    out.push(kind);
    out.push(if wake { '1' } else { '0' });
    out.push_str(&id.text());
    out.push('\n');
    out
}

/// An error thrown to JS as its JSON text (pkg/errors.js turns it into a CrmError): the
/// boundary then needs no JS object building.
pub(crate) fn js_err(e: &Error) -> String {
    crate::error::error_json(e)
}

fn request_text(operation: &str, r: &HttpRequest, upload: Option<usize>) -> String {
    let redacted = r.redacted_url();
    let red = if redacted == r.url { "" } else { &redacted };
    let body = r.body.as_deref().map(String::from_utf8_lossy);
    let mut out =
        String::with_capacity(r.url.len() * 2 + 64 + body.as_ref().map_or(0, |b| b.len()));
    for f in [operation, r.method.as_str(), &r.url, red] {
        out.push_str(f);
        out.push('\n');
    }
    out.push_str(&r.headers.len().text());
    out.push('\n');
    for (k, v) in &r.headers {
        out.push_str(k);
        out.push(':');
        out.push_str(v);
        out.push('\n');
    }
    match body {
        Some(b) => {
            out.push_str("B\n");
            if let Some(at) = upload {
                // Where the file's bytes go, in UTF-16 code units of the body text (JS strings).
                let units: usize = b.get(..at).unwrap_or("").encode_utf16().count();
                out.push_str(&units.text());
                out.push('\n');
            }
            out.push_str(&b);
        }
        None => out.push('\n'),
    }
    out
}

/// A transport failure the host reports to a driver (`code`: TRANSPORT, TIMEOUT, ABORTED,
/// RESPONSE_TOO_LARGE, …; `message`: already free of secrets).
pub(crate) fn host_error(code: &str, message: &str) -> Error {
    Error::new(ErrorCode::parse(code), message)
}

/// Refuses a value that would not survive the one-line request fields (control characters).
pub(crate) fn check_line(value: &str, field: &str, what: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            field,
            what.to_owned() + " must not contain control characters",
        ));
    }
    Ok(())
}

/// A JSON object of strings as name/value pairs (`null` values left out; `null` itself is
/// empty); INVALID_INPUT naming `field` otherwise.
pub(crate) fn string_pairs(v: crate::json::Json, field: &str) -> Result<Vec<(String, String)>> {
    use crate::json::Json;
    let mut out = Vec::new();
    match v {
        Json::Obj(members) => {
            for (k, v) in members {
                match v {
                    Json::Str(s) => out.push((k, s)),
                    Json::Null => {}
                    _ => return Err(Error::invalid_input(field, "expected an object of strings")),
                }
            }
        }
        Json::Null => {}
        _ => return Err(Error::invalid_input(field, "expected an object of strings")),
    }
    Ok(out)
}

/// Masks secrets in a text (`sessionName=…`, `"accessKey":"…"`, their URL- and
/// HTML-encoded forms); the JS layer runs every message and `cause` it reports through it.
#[wasm_bindgen(js_name = redactText)]
pub fn redact_text(s: &str) -> String {
    crate::error::mask_secrets(s)
}

/// The crate version, for diagnostics (`crmwire.version()`).
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Lower-case hex MD5 of the UTF-8 bytes of `s` (the Vtiger login digest is
/// `md5Hex(challengeToken + accessKey)`).
#[cfg(feature = "vtiger")]
#[wasm_bindgen(js_name = md5Hex)]
pub fn md5_hex(s: &str) -> String {
    crate::encode::md5_hex(s)
}

/// A string as a VTQL literal (quoted, `'` and `\` doubled). Throws INVALID_INPUT for the
/// empty string and for NUL.
#[cfg(feature = "vtiger")]
#[wasm_bindgen(js_name = vtqlLiteral)]
pub fn vtql_literal(s: &str) -> core::result::Result<String, String> {
    crate::vtiger::vtql::literal(s).map_err(|e| js_err(&e))
}

/// Renders a query spec (the builder's object form, as JSON text) to VTQL.
#[cfg(feature = "vtiger")]
#[wasm_bindgen(js_name = renderVtql)]
pub fn render_vtql(spec_json: &str) -> core::result::Result<String, String> {
    crate::vtiger::vtql::Select::from_spec_text(spec_json)
        .and_then(|s| s.render())
        .map_err(|e| js_err(&e))
}
