//! `ProxyGate` and the login readers for `crmwire/proxy` (pkg/proxy.js): the request gate of
//! [`crate::vtiger::gate`] behind a string boundary (JSON text in, JSON text out: one crossing
//! per request, no per-value conversion).
//!
//! * `new ProxyGate(operations, modules, filterListtypes)`: each list as JSON text, `"*"` or an
//!   array of names. Throws a CrmError (INVALID_INPUT) for an unusable list.
//! * `check(params, files, now)`: `params` is `[[name, value], …]` (query string then body, in
//!   order), `files` the multipart file part names `[name, …]`. Returns one of
//!   `{"forward":{"op","method","module","params":[[name,value],…],"files":[name,…]}}`
//!   (`operation` first; pass on only the file parts named in `files`),
//!   `{"learn":[{"op":"describe","module","method","params"},…]}` (send each, hand the answer to
//!   `answer`, then check again), or `{"error":{"status","code","message","op"?}}`.
//! * `answer(op, module, status, body, now)`: `""` (pass the body on), `"S"` (session refused:
//!   log in again and repeat once) or `"R"` followed by the body to pass on instead.
//! * `proxyLoginStep(op, status, body)`: the challenge token (`getchallenge`) or the session
//!   name (`login`), read with the tolerant envelope decoder; a CrmError otherwise (the
//!   server's code kept, e.g. INVALID_USER_CREDENTIALS).

use super::errors::to_js;
use crate::error::{Error, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::vtiger::gate::{http_status, Allow, Answer, Gate, Verdict};
use crate::vtiger::ops::Call;
use crate::vtiger::results;
use wasm_bindgen::prelude::*;

/// The proxy's request gate (see the module documentation).
#[wasm_bindgen]
pub struct ProxyGate {
    gate: Gate,
}

fn bad(field: &str) -> Error {
    Error::invalid_input(field, "a JSON list of names (or \"*\") was expected")
}

/// `"*"` (`None`) or a JSON array of strings.
fn names(text: &str, field: &str) -> Result<Option<Vec<String>>> {
    let items = match json::parse(text) {
        Ok(Json::Str(s)) if s == "*" => return Ok(None),
        Ok(Json::Arr(items)) => items,
        _ => return Err(bad(field)),
    };
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        let Json::Str(s) = v else {
            return Err(bad(field));
        };
        out.push(s);
    }
    Ok(Some(out))
}

/// `[[name, value], …]`.
fn pairs(text: &str) -> Result<Vec<(String, String)>> {
    let Ok(Json::Arr(items)) = json::parse(text) else {
        return Err(bad("params"));
    };
    let mut out = Vec::with_capacity(items.len());
    for p in items {
        let Json::Arr(mut kv) = p else {
            return Err(bad("params"));
        };
        match (kv.pop(), kv.pop(), kv.is_empty()) {
            (Some(Json::Str(v)), Some(Json::Str(k)), true) => out.push((k, v)),
            _ => return Err(bad("params")),
        }
    }
    Ok(out)
}

fn push_call(out: &mut String, op: &str, module: &str, call: &Call) {
    out.push_str("{\"op\":");
    json::quote(op, out);
    out.push_str(",\"method\":");
    json::quote(call.method.as_str(), out);
    out.push_str(",\"module\":");
    json::quote(module, out);
    out.push_str(",\"params\":[[\"operation\",");
    json::quote(&call.operation, out);
    out.push(']');
    for (k, v) in &call.params {
        out.push_str(",[");
        json::quote(k, out);
        out.push(',');
        json::quote(v, out);
        out.push(']');
    }
    out.push_str("]}");
}

fn error_json(e: &Error) -> String {
    let mut out = String::from("{\"error\":{\"status\":");
    out.push_str(match http_status(e) {
        400 => "400",
        403 => "403",
        _ => "500",
    });
    out.push_str(",\"code\":");
    json::quote(e.code.as_str(), &mut out);
    out.push_str(",\"message\":");
    json::quote(&e.message, &mut out);
    if let Some(op) = &e.operation {
        out.push_str(",\"op\":");
        json::quote(op, &mut out);
    }
    out.push_str("}}");
    out
}

fn now(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

#[wasm_bindgen]
impl ProxyGate {
    /// `operations`, `modules`: JSON text, `"*"` or an array of names.
    #[wasm_bindgen(constructor)]
    pub fn new(
        operations: &str,
        modules: &str,
        filter_listtypes: bool,
    ) -> std::result::Result<ProxyGate, JsValue> {
        let build = || -> Result<Gate> {
            let ops = names(operations, "operations")?;
            let mods = names(modules, "modules")?;
            Ok(Gate::new(
                Allow::operations(ops.as_deref())?,
                Allow::modules(mods.as_deref())?,
                filter_listtypes,
            ))
        };
        build()
            .map(|gate| ProxyGate { gate })
            .map_err(|e| to_js(&e))
    }

    /// Checks one request (see the module documentation).
    pub fn check(&self, params: &str, files: &str, now_ms: f64) -> String {
        let run = || -> Result<Verdict> {
            let params = pairs(params)?;
            let files = names(files, "files")?.unwrap_or_default();
            self.gate.check(&params, &files, now(now_ms))
        };
        match run() {
            Ok(Verdict::Forward(f)) => {
                let mut out = String::from("{\"forward\":");
                push_call(&mut out, &f.call.operation, &f.module, &f.call);
                out.pop();
                out.push_str(",\"files\":[");
                for (i, name) in f.files.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::quote(name, &mut out);
                }
                out.push_str("]}}");
                out
            }
            Ok(Verdict::Learn(list)) => {
                let mut out = String::from("{\"learn\":[");
                for (i, l) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_call(&mut out, &l.call.operation, &l.module, &l.call);
                }
                out.push_str("]}");
                out
            }
            Err(e) => error_json(&e),
        }
    }

    /// Reads an upstream answer: `""`, `"S"` or `"R<body>"` (see the module documentation).
    pub fn answer(
        &mut self,
        op: &str,
        module: &str,
        status: u16,
        body: &str,
        now_ms: f64,
    ) -> String {
        let resp = HttpResponse::new(status, body.as_bytes().to_vec());
        match self.gate.answer(op, module, &resp, now(now_ms)) {
            Answer::Keep => String::new(),
            Answer::SessionRefused => "S".to_owned(),
            Answer::Replace(text) => {
                let mut out = String::with_capacity(text.len() + 1);
                out.push('R');
                out.push_str(&text);
                out
            }
        }
    }

    /// Id prefixes learned so far (for the handler's `stats`).
    #[wasm_bindgen(getter, js_name = knownPrefixes)]
    pub fn known_prefixes(&self) -> u32 {
        u32::try_from(self.gate.known_prefixes()).unwrap_or(u32::MAX)
    }
}

/// The secret a login step yields, read with the tolerant envelope decoder: the challenge
/// token of a `getchallenge` answer, or the session name of a `login` answer. A CrmError
/// otherwise (the server's code kept, e.g. INVALID_USER_CREDENTIALS).
#[wasm_bindgen(js_name = proxyLoginStep)]
pub fn login_step(op: &str, status: u16, body: &str) -> std::result::Result<String, JsValue> {
    let resp = HttpResponse::new(status, body.as_bytes().to_vec());
    let secret = if op == "getchallenge" {
        results::parse_challenge(&resp).map(|c| c.token)
    } else {
        results::parse_login(&resp).map(|l| l.session)
    };
    secret.map(|s| s.expose().to_owned()).map_err(|e| to_js(&e))
}
