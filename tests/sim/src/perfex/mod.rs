//! Perfex CRM simulator: the WON API and the REST API module, side by side, over one shared
//! in-memory database (customers, contacts, leads, projects, tasks, invoices + lines) seeded
//! with deterministic demo data (30 customers, 40 contacts, 25 leads, 12 projects, 30 tasks,
//! 20 invoices).
//!
//! * WON API ("won-2.1.1-fixed" profile of the spec, §6.2): `GET /won_api/won/status`
//!   (public), `/won_api/won/api/{table}[/{id}]` (GET list/get, POST create → 201 with the
//!   row, PUT update → row, DELETE → `data:null`), `/won_api/won/join?vat=`, the CSRF-exempt
//!   alias `/api/won/{table}[/{id}]`, `OPTIONS` → 204. Header `X-API-TOKEN` = `cfg.token`.
//!   Envelope `{success, data, message, timestamp, meta?}`, Portuguese messages and status
//!   codes of HEAD v2.1.1; tables clients/contacts/leads/projects/tasks/invoices; paging
//!   `page`/`limit` (default 20, max 100) with `meta`; `search` (≥ 2 chars) over phase-D search
//!   columns; phase-D equality filters; unknown columns → 500 "Erro interno do servidor".
//!   With `won_defects`: every POST under `/won_api/` → 403 HTML CSRF page, and every
//!   `/won_api/won/api/*` and `/api/won/*` call → 500 with a PHP fatal-error HTML body (double
//!   table prefix); `/join` and `/status` keep working.
//! * REST API (Themesic v2.0.7 code, plus v3's opt-in `page`/`per_page` list envelope):
//!   header `authtoken` = `cfg.token` (full rights) or `cfg.token + "-ro"` (read-only: writes →
//!   403). Missing token → 404 `Token is not defined.`; other tokens → 404 JWT messages.
//!   `GET /api/{res}`, `/api/{res}/{id}`, `/api/{res}/search/{term}`, `/api/contacts/{customer}`
//!   (that customer's active contacts), `/api/contacts/{customer}/{id}`; `POST /api/{res}`
//!   (form-encoded, bracket arrays; a JSON body is ignored like v2 does); `PUT /api/{res}/{id}`
//!   (JSON; anything else → 406); `DELETE /api/delete/{res}/{id}` and `DELETE /api/{res}/{id}`.
//!   Empty list/search → 404 `No data were found`; validation errors → 404 (contacts 409)
//!   with an `error` object; creates answer `{status:true, message}` without an id.

#![allow(clippy::result_large_err)] // handlers return a whole Response as their error

mod db;
mod rest;
mod won;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use std::sync::{Arc, Mutex};

/// Settings for the Perfex routes.
#[derive(Clone, Debug)]
pub struct PerfexConfig {
    /// Token accepted by both APIs (WON `X-API-TOKEN`, REST `authtoken`).
    pub token: String,
    /// Reproduce WON's known defects (double table prefix → 500, CSRF 403 on POST).
    pub won_defects: bool,
}

pub(crate) struct Shared {
    pub cfg: PerfexConfig,
    pub db: Mutex<db::Db>,
}

pub(crate) type AppState = Arc<Shared>;

/// The Perfex routes: `/won_api/won/...` and `/api/...`.
pub fn router(cfg: PerfexConfig) -> axum::Router {
    let state: AppState = Arc::new(Shared {
        cfg,
        db: Mutex::new(db::Db::seeded()),
    });
    axum::Router::new()
        .route("/won_api/won/status", any(won::status))
        .route("/won_api/won/join", any(won::join))
        .route("/won_api/won/api", any(won::api))
        .route("/won_api/won/api/", any(won::api))
        .route("/won_api/won/api/{*rest}", any(won::api))
        .route("/api/{*rest}", any(rest::api))
        .with_state(state)
}

/// Constant-time comparison of a presented token with the configured one.
pub(crate) fn token_eq(given: &str, want: &str) -> bool {
    let (a, b) = (given.as_bytes(), want.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

pub(crate) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `application/x-www-form-urlencoded` decoding (`+` is space, `%XX` bytes).
pub(crate) fn form_decode(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k, true), pct_decode(v, true))
        })
        .collect()
}

pub(crate) fn pct_decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(x) => {
                        out.push(x);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SS` (UTC; Perfex stores server-local time without a zone).
pub(crate) fn now_datetime() -> String {
    let t = unix_now();
    let (days, secs) = (t / 86_400, t % 86_400);
    // civil-from-days (Howard Hinnant)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A JSON response with a status.
pub(crate) fn json_response(
    status: StatusCode,
    body: &serde_json::Value,
    extra: &[(&'static str, &str)],
) -> Response {
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    r
}

/// An HTML response (CodeIgniter error pages, PHP fatals).
pub(crate) fn html_response(status: StatusCode, body: &str) -> Response {
    let mut r = (status, body.to_owned()).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    r
}

pub(crate) fn ci_404() -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE html><html><head><title>404 Page Not Found</title></head><body><h1>404 Page Not Found</h1>\
         <p>The page you requested was not found.</p></body></html>",
    )
}

/// Row values for JSON: strings or null.
pub(crate) fn row_json(row: &db::Row) -> serde_json::Map<String, serde_json::Value> {
    row.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_ref().map_or(serde_json::Value::Null, |s| {
                    serde_json::Value::String(s.clone())
                }),
            )
        })
        .collect()
}

/// Case-insensitive substring (SQL `LIKE '%x%'` under a case-insensitive collation).
pub(crate) fn like(hay: Option<&Option<String>>, needle: &str) -> bool {
    hay.and_then(|v| v.as_deref())
        .is_some_and(|h| h.to_lowercase().contains(&needle.to_lowercase()))
}
