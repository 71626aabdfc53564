//! Response interpretation: envelopes, the empty-list 404, and the error mapping.

use super::pager::ListPage;
use super::validate::scalar_text;
use super::{Op, Profile, Resource};
use crate::error::{CrmCode, Error, ErrorCode, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::prelude::*;

/// The outcome of a create, update or delete.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteResult {
    /// The server's message (`Registro criado`, `Client add successful.`, …).
    pub message: String,
    /// The row the server returned (WON create/update), else `None` (REST; WON delete).
    pub record: Option<Json>,
    /// The record's id when known: the returned row's primary key, REST fork's `record_id`.
    pub id: Option<String>,
}

pub(crate) enum Decoded {
    Body(Json),
    /// REST 404 "No data were found" on a list or search.
    Empty,
}

const NO_DATA: &str = "No data were found";

fn parse_body(body: &[u8]) -> Option<Json> {
    let text = core::str::from_utf8(body).ok()?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return None;
    }
    json::parse(text).ok()
}

fn str_field(j: &Json, k: &str) -> Option<String> {
    match j.get(k)? {
        Json::Str(s) => Some(s.clone()),
        Json::Num(n) => Some(n.clone()),
        _ => None,
    }
}

/// Removes HTML tags and collapses the lines of a CodeIgniter validation message.
pub(crate) fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push('\n');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn is_auth_message(m: Option<&str>) -> bool {
    let Some(m) = m else { return true };
    let m = m.to_ascii_lowercase();
    [
        "token",
        "segments",
        "signature",
        "expire",
        "malformed",
        "algorithm",
    ]
    .iter()
    .any(|w| has(&m, w))
}

/// `hay` contains `needle` (a byte-window scan: `str::contains` with a `&str` pattern links
/// core's two-way searcher, about 1.5 KB of wasm).
fn has(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Maps a failed or unusable answer onto an [`Error`]; `Ok(Decoded::Empty)` for REST's
/// empty-list 404.
fn classify(
    p: Profile,
    r: Resource,
    op: Op,
    resp: &HttpResponse,
    j: Option<&Json>,
) -> Result<Decoded> {
    let status = resp.status;
    let opname = op.name(r);
    let Some(j) = j else {
        let (code, msg) = match status {
            401 => (
                ErrorCode::InvalidAuthToken,
                "authentication failed (non-JSON answer)".to_owned(),
            ),
            403 => {
                let text = String::from_utf8_lossy(&resp.body);
                let msg = if has(&text, "action you have requested is not allowed") {
                    "The action you have requested is not allowed. (CodeIgniter CSRF protection rejected the POST: \
                     add the API path to csrf_exclude_uris)"
                } else {
                    "access denied (non-JSON answer)"
                };
                (ErrorCode::AccessDenied, msg.to_owned())
            }
            500..=599 => (
                ErrorCode::ServerError,
                cat!("server error HTTP ", status, " (non-JSON answer)"),
            ),
            _ => (
                ErrorCode::InvalidResponse,
                cat!("the answer is not JSON (HTTP ", status, ")"),
            ),
        };
        let mut e = Error::new(code, msg)
            .with_status(status)
            .with_operation(opname)
            .with_snippet(&resp.body);
        e.crm_code = Some(CrmCode::Str(status.text()));
        return Err(e);
    };
    let raw_msg = str_field(j, "message").or_else(|| str_field(j, "error"));
    let message = raw_msg.as_deref().map(strip_tags);
    // field errors: REST `error: {field: text}`, v3 `errors: {...}`
    let mut field_errors = Vec::new();
    for k in ["error", "errors"] {
        if let Some(Json::Obj(o)) = j.get(k) {
            for (f, v) in o {
                let text = match v {
                    Json::Arr(a) => a
                        .iter()
                        .filter_map(scalar_text)
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => scalar_text(other).unwrap_or_default(),
                };
                field_errors.push((f.clone(), strip_tags(&text)));
            }
        }
    }
    let server_code = str_field(j, "error_code").or_else(|| match j.get("error") {
        Some(Json::Str(s)) if !s.contains(' ') => Some(s.clone()),
        _ => None,
    });
    let msg_is = |s: &str| {
        message
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(s))
    };
    let msg_has = |s: &str| {
        message
            .as_deref()
            .is_some_and(|m| has(&m.to_ascii_lowercase(), s))
    };
    let mut field = None;
    let code = match (p, status) {
        (_, 401) => ErrorCode::InvalidAuthToken,
        (_, 403) => ErrorCode::AccessDenied,
        (_, 429) => ErrorCode::Other("RATE_LIMITED".into()),
        (_, 405) => ErrorCode::Unsupported,
        (_, 500..=599) => ErrorCode::ServerError,
        (Profile::Won, 400 | 422) if msg_has("tabela n") => ErrorCode::Unsupported,
        (Profile::Won, 400 | 422) => {
            if let Some(f) = message
                .as_deref()
                .and_then(|m| m.strip_prefix("Campo obrigatório:"))
            {
                let f = f.trim().to_owned();
                field_errors.push((f.clone(), message.clone().unwrap_or_default()));
                field = Some(f);
            }
            ErrorCode::ValidationFailed
        }
        (Profile::Won, 404) => ErrorCode::RecordNotFound,
        (Profile::Rest, 404) if !field_errors.is_empty() => ErrorCode::ValidationFailed,
        (Profile::Rest, 404) if msg_is(NO_DATA) => {
            if matches!(op, Op::List | Op::Search | Op::Lookup) {
                return Ok(Decoded::Empty);
            }
            ErrorCode::RecordNotFound
        }
        (Profile::Rest, 404) if is_auth_message(message.as_deref()) => ErrorCode::InvalidAuthToken,
        (Profile::Rest, 404) if msg_has("add fail") => ErrorCode::ServerError,
        (Profile::Rest, 404) => ErrorCode::RecordNotFound,
        (Profile::Rest, 409) if field_errors.is_empty() && msg_has("exist") => {
            ErrorCode::RecordNotFound
        }
        (Profile::Rest, 400 | 406 | 409 | 422) => ErrorCode::ValidationFailed,
        (_, 200..=299) => ErrorCode::InvalidResponse,
        _ => ErrorCode::InvalidResponse,
    };
    if field.is_none() {
        field = field_errors.first().map(|(f, _)| f.clone());
    }
    let message = message.unwrap_or_else(|| cat!("HTTP ", status));
    let mut e = Error::new(code, message)
        .with_status(status)
        .with_operation(opname);
    e.crm_code = Some(CrmCode::Str(server_code.unwrap_or_else(|| status.text())));
    e.field = field;
    e.field_errors = field_errors;
    Err(e)
}

fn invalid(r: Resource, op: Op, resp: &HttpResponse, what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        cat!("unexpected answer: ", what),
    )
    .with_status(resp.status)
    .with_operation(op.name(r))
    .with_snippet(&resp.body)
}

pub(crate) fn decode(p: Profile, r: Resource, op: Op, resp: &HttpResponse) -> Result<Decoded> {
    let j = parse_body(&resp.body);
    let ok = (200..300).contains(&resp.status);
    if !ok {
        return classify(p, r, op, resp, j.as_ref());
    }
    let Some(j) = j else {
        return classify(p, r, op, resp, None);
    };
    match p {
        Profile::Won => match j.get("success") {
            Some(Json::Bool(true)) => Ok(Decoded::Body(j)),
            Some(Json::Bool(false)) => classify(p, r, op, resp, Some(&j)),
            _ => Err(invalid(r, op, resp, "no WON envelope (success)")),
        },
        Profile::Rest => match j.get("status") {
            Some(Json::Bool(false)) => classify(p, r, op, resp, Some(&j)),
            _ => Ok(Decoded::Body(j)),
        },
    }
}

fn num_u64(j: Option<&Json>) -> Option<u64> {
    let s = match j? {
        Json::Num(n) => n.clone(),
        Json::Str(s) => s.clone(),
        _ => return None,
    };
    let s = s.trim();
    s.parse::<u64>().ok().or_else(|| super::num::ceil_u64(s))
}

pub(crate) fn parse_list(p: Profile, r: Resource, op: Op, resp: &HttpResponse) -> Result<ListPage> {
    let body = match decode(p, r, op, resp)? {
        Decoded::Empty => return Ok(ListPage::empty(false)),
        Decoded::Body(b) => b,
    };
    match p {
        Profile::Won => {
            let records = match body.get("data") {
                Some(Json::Arr(a)) => a.clone(),
                Some(Json::Null) | None => Vec::new(),
                _ => return Err(invalid(r, op, resp, "WON list data is not an array")),
            };
            let meta = body.get("meta");
            let page = num_u64(meta.and_then(|m| m.get("page"))).unwrap_or(1) as u32;
            let total = num_u64(meta.and_then(|m| m.get("total")));
            let total_pages = num_u64(meta.and_then(|m| m.get("total_pages")));
            let has_more = match (meta.and_then(|m| m.get("has_next_page")), total_pages) {
                (Some(Json::Bool(b)), _) => *b,
                (_, Some(tp)) => u64::from(page) < tp,
                _ => false,
            };
            Ok(ListPage {
                records,
                page,
                total,
                has_more,
                server_paged: true,
            })
        }
        Profile::Rest => match body {
            Json::Arr(a) => {
                let n = a.len() as u64;
                Ok(ListPage {
                    records: a,
                    page: 1,
                    total: Some(n),
                    has_more: false,
                    server_paged: false,
                })
            }
            Json::Obj(_) => {
                let Some(Json::Arr(a)) = body.get("data") else {
                    return Err(invalid(
                        r,
                        op,
                        resp,
                        "REST list is neither an array nor {data, meta}",
                    ));
                };
                let meta = body.get("meta");
                let page = num_u64(
                    meta.and_then(|m| m.get("page"))
                        .or(meta.and_then(|m| m.get("current_page"))),
                )
                .unwrap_or(1) as u32;
                let total = num_u64(meta.and_then(|m| m.get("total")));
                let last = num_u64(
                    meta.and_then(|m| m.get("total_pages"))
                        .or(meta.and_then(|m| m.get("last_page"))),
                );
                let has_more = match (meta.and_then(|m| m.get("has_more")), last) {
                    (Some(Json::Bool(b)), _) => *b,
                    (_, Some(lp)) => u64::from(page) < lp,
                    _ => false,
                };
                Ok(ListPage {
                    records: a.clone(),
                    page,
                    total,
                    has_more,
                    server_paged: true,
                })
            }
            _ => Err(invalid(r, op, resp, "REST list is not an array")),
        },
    }
}

pub(crate) fn parse_record(p: Profile, r: Resource, op: Op, resp: &HttpResponse) -> Result<Json> {
    let Decoded::Body(body) = decode(p, r, op, resp)? else {
        return Err(Error::new(ErrorCode::RecordNotFound, NO_DATA)
            .with_status(resp.status)
            .with_operation(op.name(r)));
    };
    let rec = match p {
        Profile::Won => body.get("data").cloned().unwrap_or(Json::Null),
        Profile::Rest => match body {
            // some installs answer a one-element array for a get
            Json::Arr(mut a) if a.len() == 1 => a.remove(0),
            other => other,
        },
    };
    match rec {
        Json::Obj(_) => Ok(rec),
        _ => Err(invalid(r, op, resp, "the record is not an object")),
    }
}

pub(crate) fn parse_write(
    p: Profile,
    r: Resource,
    op: Op,
    resp: &HttpResponse,
) -> Result<WriteResult> {
    let Decoded::Body(body) = decode(p, r, op, resp)? else {
        return Err(invalid(r, op, resp, "empty answer"));
    };
    let message = str_field(&body, "message").unwrap_or_default();
    match p {
        Profile::Won => {
            let record = match body.get("data") {
                Some(d @ Json::Obj(_)) => Some(d.clone()),
                _ => None,
            };
            let id = record
                .as_ref()
                .and_then(|d| d.get(r.primary_key()).or_else(|| d.get("id")))
                .and_then(scalar_text);
            Ok(WriteResult {
                message,
                record,
                id,
            })
        }
        Profile::Rest => {
            if !matches!(body.get("status"), Some(Json::Bool(true))) {
                return Err(invalid(
                    r,
                    op,
                    resp,
                    "no {status:true} in a REST write answer",
                ));
            }
            let id = body.get("record_id").and_then(scalar_text);
            Ok(WriteResult {
                message,
                record: None,
                id,
            })
        }
    }
}
