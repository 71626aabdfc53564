//! Tolerant decoder for Vtiger's `{"success":…,"result"|"error":…}` envelope.
//!
//! Real servers do not always send clean JSON. This decoder copes with:
//! * a UTF-8 byte-order mark and whitespace before the JSON;
//! * PHP notices, warnings or HTML in front of (or after) the envelope: it looks for the
//!   first `{` that starts a complete object with a `success` member, so a `{` inside the
//!   notice text does not fool it;
//! * raw control characters inside strings (Vtiger's encoder writes them unescaped);
//! * `{"success":true}` with no `result` (the result is `null`);
//! * error `code` as a string or as the integer `0` (duplicate detection → `DUPLICATE`).
//!
//! Anything else (empty body, non-JSON such as `Sorry! Attempt to access restricted file.`,
//! truncated JSON, an envelope of the wrong shape) is a typed error: `SERVER_ERROR` when the
//! HTTP status is 5xx, `INVALID_RESPONSE` otherwise. Every error carries the HTTP status and
//! the operation; body-related ones carry a short secret-masked snippet, never the body.

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use crate::error::{CrmCode, Error, ErrorCode, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use alloc::borrow::Cow;
use core::ops::Range;

/// How many candidate `{` positions are tried before giving up on a noisy body.
const MAX_CANDIDATES: usize = 64;

/// The envelope's members read by the decoder (first occurrence each), and their indices.
const KEYS: [&str; 3] = ["success", "result", "error"];
const SUCCESS: usize = 0;
const RESULT: usize = 1;
const ERROR: usize = 2;

/// Value ranges of the envelope's [`KEYS`].
type Members = [Option<Range<usize>>; 3];

/// Decodes an envelope and returns its `result` ([`Json::Null`] when absent), or the error
/// the server reported (or a typed error for an unusable body).
pub fn decode(resp: &HttpResponse, operation: &str) -> Result<Json> {
    let text = body_text(resp);
    let (env, _) = locate(resp, &text, operation, None)?;
    match env.result {
        None => Ok(Json::Null),
        Some(range) => json::parse(&text[range]).map_err(|e| {
            // Unreachable in practice: the range was validated by the scan.
            invalid(resp, operation, cat!("unreadable result: ", e))
        }),
    }
}

/// Decodes an envelope and returns its `result` as JSON text that a strict parser
/// (`JSON.parse`) accepts: raw control characters inside strings are escaped, nothing else is
/// rewritten and no tree is built. `"null"` when there is no result.
pub fn decode_raw(resp: &HttpResponse, operation: &str) -> Result<String> {
    decode_raw_ref(resp, operation).map(Cow::into_owned)
}

/// [`decode_raw`], borrowing the text from the response body when it needs no change (valid
/// UTF-8 and no raw control character inside a string of the result).
pub fn decode_raw_ref<'r>(resp: &'r HttpResponse, operation: &str) -> Result<Cow<'r, str>> {
    decode_raw_scan(resp, operation, &mut |_| None).map(|(text, _)| text)
}

/// A scan of an envelope's `result` value made while the envelope is validated: called with
/// the text starting at the value, it returns the length of the value when it validated it
/// the way the envelope scan would have (as a member value at depth 1, see
/// [`json::scan::value`]), or `None` to let the envelope scan validate it.
pub type ResultScan<'s> = dyn FnMut(&str) -> Option<usize> + 's;

/// [`decode_raw_ref`], also running `scan` on the `result` value during the envelope's
/// validation, so that the result is not read twice. The flag is true when `scan` succeeded
/// on exactly the returned text (offsets it found are offsets in that text); when false, any
/// findings of `scan` are to be ignored.
pub fn decode_raw_scan<'r>(
    resp: &'r HttpResponse,
    operation: &str,
    scan: &mut ResultScan<'_>,
) -> Result<(Cow<'r, str>, bool)> {
    let text = body_text(resp);
    let (env, scanned) = locate(resp, &text, operation, Some(scan))?;
    let Some(range) = env.result else {
        return Ok((Cow::Borrowed("null"), false));
    };
    let same = scanned.as_ref() == Some(&range);
    Ok(match text {
        Cow::Borrowed(t) => match json::escape_raw_controls(&t[range]) {
            Cow::Borrowed(r) => (Cow::Borrowed(r), same),
            escaped => (escaped, false),
        },
        Cow::Owned(t) => match json::escape_raw_controls(&t[range]) {
            Cow::Borrowed(r) => (Cow::Owned(r.to_owned()), same),
            escaped => (Cow::Owned(escaped.into_owned()), false),
        },
    })
}

/// A located, successful envelope (errors are returned as `Err`).
struct Envelope {
    result: Option<Range<usize>>,
}

fn body_text(resp: &HttpResponse) -> Cow<'_, str> {
    let body: &[u8] = resp
        .body
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&resp.body);
    // `from_utf8` first: its validation is much faster than the lossy decoder's on clean text.
    match core::str::from_utf8(body) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(body),
    }
}

/// Error for an unusable body: SERVER_ERROR for 5xx, INVALID_RESPONSE otherwise.
fn unusable(resp: &HttpResponse, operation: &str, message: String) -> Error {
    let code = if resp.status >= 500 {
        ErrorCode::ServerError
    } else {
        ErrorCode::InvalidResponse
    };
    Error::new(code, message)
        .with_status(resp.status)
        .with_operation(operation)
        .with_snippet(&resp.body)
}

fn invalid(resp: &HttpResponse, operation: &str, message: String) -> Error {
    Error::new(ErrorCode::InvalidResponse, message)
        .with_status(resp.status)
        .with_operation(operation)
        .with_snippet(&resp.body)
}

/// Finds the envelope; with `scan`, also the range of the `result` value that `scan`
/// validated (fast path only).
fn locate(
    resp: &HttpResponse,
    text: &str,
    operation: &str,
    mut scan: Option<&mut ResultScan<'_>>,
) -> Result<(Envelope, Option<Range<usize>>)> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        let msg = if resp.status >= 500 {
            cat!("HTTP ", resp.status, " with an empty body: a PHP fatal error on the server (unregistered operation, or a handler broken on this PHP version)")
        } else {
            cat!(
                "HTTP ",
                resp.status,
                " with an empty body instead of a JSON envelope"
            )
        };
        return Err(unusable(resp, operation, msg));
    }
    let mut first_err: Option<json::JsonError> = None;
    let mut saw_object_without_success = false;
    // Fast path: a clean body starts with the envelope.
    let lead = text.len() - text.trim_start().len();
    if text.as_bytes().get(lead) == Some(&b'{') {
        // With `scan` run on the first `result` value.
        let mut members: Members = Default::default();
        let mut scanned = None;
        let found = json::scan::keys_with(text, lead, 0, &KEYS, &mut members, |k, vs| {
            let f = scan.as_mut().filter(|_| k == RESULT)?;
            let len = f(&text[vs..])?;
            scanned = Some(vs..vs + len);
            Some(vs + len)
        });
        match found {
            Ok(_) if members[SUCCESS].is_some() => {
                return interpret(resp, text, &members, operation).map(|env| (env, scanned));
            }
            Ok(_) => saw_object_without_success = true,
            Err(e) => first_err = Some(e),
        }
    }
    for start in candidates(text).into_iter().filter(|&s| s != lead) {
        let mut members: Members = Default::default();
        match json::scan::keys(text, start, 0, &KEYS, &mut members) {
            Ok(_end) => {
                if members[SUCCESS].is_some() {
                    return interpret(resp, text, &members, operation).map(|env| (env, None));
                }
                saw_object_without_success = true;
            }
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    }
    let msg = if trimmed.starts_with("Sorry! Attempt to access restricted file.") {
        "the server refused with 'Sorry! Attempt to access restricted file.' (a plain-text die(): typically an owner/user id that does not exist, or an operation whose handler file is missing)".to_owned()
    } else if saw_object_without_success {
        "the body is JSON but not a Vtiger envelope (no 'success' member)".to_owned()
    } else if let Some(e) = first_err {
        if e.message == "unexpected end of input" || e.message == "unterminated string" {
            cat!("truncated JSON envelope (", e, ")")
        } else {
            cat!("the body is not a JSON envelope (", e, ")")
        }
    } else {
        "the body is not a JSON envelope".to_owned()
    };
    Err(unusable(resp, operation, msg))
}

/// Candidate start offsets: every `{"success"` first (the usual case, and robust against
/// braces inside a PHP notice), then every other `{`, in order, capped.
fn candidates(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut strong = Vec::new();
    let mut weak = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'{' {
            continue;
        }
        let rest = &bytes[i + 1..];
        let mut j = 0;
        while j < rest.len() && matches!(rest[j], b' ' | b'\t' | b'\n' | b'\r') {
            j += 1;
        }
        if rest[j..].starts_with(b"\"success\"") {
            strong.push(i);
        } else {
            weak.push(i);
        }
        if strong.len() + weak.len() >= MAX_CANDIDATES * 4 {
            break;
        }
    }
    strong.truncate(MAX_CANDIDATES);
    weak.truncate(MAX_CANDIDATES.saturating_sub(strong.len()));
    strong.extend(weak);
    strong
}

fn interpret(
    resp: &HttpResponse,
    text: &str,
    members: &Members,
    operation: &str,
) -> Result<Envelope> {
    let success = members[SUCCESS]
        .as_ref()
        .map(|r| &text[r.clone()])
        .unwrap_or("");
    match success {
        "true" => Ok(Envelope {
            result: members[RESULT].clone(),
        }),
        "false" => Err(server_error(resp, text, members, operation)),
        other => Err(invalid(
            resp,
            operation,
            cat!(
                "envelope 'success' is ",
                short(other),
                " instead of true or false"
            ),
        )),
    }
}

fn server_error(resp: &HttpResponse, text: &str, members: &Members, operation: &str) -> Error {
    let Some(range) = &members[ERROR] else {
        return invalid(
            resp,
            operation,
            "failure envelope without an 'error' object".to_owned(),
        );
    };
    let err = match json::parse(&text[range.clone()]) {
        Ok(v @ Json::Obj(_)) => v,
        _ => {
            return invalid(
                resp,
                operation,
                "failure envelope whose 'error' is not an object".to_owned(),
            )
        }
    };
    let message = err
        .get("message")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_owned();
    let code = match err.get("code") {
        Some(Json::Str(s)) if !s.is_empty() => CrmCode::Str(s.clone()),
        Some(n @ Json::Num(_)) => match n.as_i64() {
            Some(i) => CrmCode::Int(i),
            None => {
                return invalid(
                    resp,
                    operation,
                    "failure envelope with a non-integer error code".to_owned(),
                )
            }
        },
        _ => {
            let mut e = invalid(
                resp,
                operation,
                "failure envelope without an error code".to_owned(),
            );
            if !message.is_empty() {
                e.message = cat!(e.message, " (server message: ", short(&message), ")");
            }
            return e;
        }
    };
    let mut e = Error::from_server(code, message);
    if e.code == ErrorCode::MandatoryFieldsMissing {
        // "lastname does not have a value" (recording 286): name the field.
        e.field = e
            .message
            .strip_suffix(" does not have a value")
            .filter(|f| !f.is_empty() && !f.contains(' '))
            .map(str::to_owned);
    }
    e.with_status(resp.status).with_operation(operation)
}

fn short(s: &str) -> String {
    crate::error::snippet(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(status, body.as_bytes().to_vec())
    }

    #[test]
    fn success_with_and_without_result() {
        let r = decode(
            &resp(200, r#"{"success":true,"result":{"a":"1"}}"#),
            "retrieve",
        )
        .unwrap();
        assert_eq!(r.get("a").and_then(Json::as_str), Some("1"));
        assert_eq!(
            decode(&resp(200, r#"{"success":true}"#), "logout").unwrap(),
            Json::Null
        );
        assert_eq!(
            decode_raw(&resp(200, r#"{"success":true}"#), "logout").unwrap(),
            "null"
        );
        assert_eq!(
            decode_raw(
                &resp(200, r#"{"success":true,"result":[ {"a" : 1} ]}"#),
                "query"
            )
            .unwrap(),
            r#"[ {"a" : 1} ]"#
        );
    }

    #[test]
    fn integer_zero_code_is_duplicate() {
        let e = decode(
            &resp(
                200,
                r#"{"success":false,"error":{"code":0,"message":"Duplicate(s) detected!"}}"#,
            ),
            "create",
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Duplicate);
        assert_eq!(e.crm_code, Some(CrmCode::Int(0)));
        assert_eq!(e.message, "Duplicate(s) detected!");
        assert_eq!(e.operation.as_deref(), Some("create"));
        assert_eq!(e.status, Some(200));
    }

    #[test]
    fn failure_without_error_is_invalid_response() {
        for body in [
            r#"{"success":false}"#,
            r#"{"success":false,"error":"x"}"#,
            r#"{"success":false,"error":{"message":"m"}}"#,
            r#"{"success":"yes","result":1}"#,
        ] {
            let e = decode(&resp(200, body), "query").unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidResponse, "{body}");
            assert_eq!(e.operation.as_deref(), Some("query"));
        }
    }

    #[test]
    fn notice_braces_do_not_fool_the_locator() {
        let body = "<br />\n<b>Notice</b>: Undefined index {foo} in {\"a\":1} x.php\n{\"success\":true,\"result\":{\"ok\":\"1\"}}";
        let r = decode(&resp(200, body), "describe").unwrap();
        assert_eq!(r.get("ok").and_then(Json::as_str), Some("1"));
    }
}
