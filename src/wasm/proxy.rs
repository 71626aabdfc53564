//! `ProxyCore`: the upstream of `crmwire/proxy` ([`crate::vtiger::proxy::Upstream`]: the
//! request gate in front of the session driver) behind a string boundary, one crossing per
//! step. pkg/proxy.js keeps the HTTP edge and drives the exchanges with the shared loop of
//! pkg/transport.js (`Drive`), like a client does.
//!
//! * `new ProxyCore(options)`: `{"url","username","accessKey","operations","modules",
//!   "filterListtypes","seed"}` (JSON text; each list `"*"` or an array of names). Throws the
//!   error's JSON text (INVALID_INPUT naming the option) for an unusable configuration.
//! * `check(params, files, caller, now)`: `params` `[[name, value], …]` (query string then
//!   body, in order), `files` the multipart file part names. Returns one line of JSON, then
//!   (for a forwarded call) its first step (src/wasm/mod.rs `step_text`):
//!   `{"op","module","files":[…]}\n<step>` (pass on only the file parts named in `files`,
//!   with the requests of `op`), `{"learn":[module,…]}` (run `learn(module, now)` for each,
//!   then check again) or `{"error":{…,"status"}}` (answer with that status).
//! * `learn`, `resume`, `handle`, `fail`, `close`: the driving steps. An exchange ends with
//!   `N` (pass the last response on as received) or `D<body>` (pass this body on instead, as
//!   `application/json`), with the last response's status; `E` carries the proxy's answer
//!   for a failure (its `status`: 502, 504, 400).
//! * `scrub(text)`: the text with the access key and every session name held masked.

use super::{check_line, js_err, step_out, step_text};
use crate::error::{Error, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::prelude::*;
use crate::step::{Step, Value};
use crate::vtiger::driver::ExchangeId;
use crate::vtiger::gate::{Allow, Gate};
use crate::vtiger::ops::Endpoint;
use crate::vtiger::proxy::{Start, Upstream};
use wasm_bindgen::prelude::*;

/// The proxy's upstream (see the module documentation).
#[wasm_bindgen]
pub struct ProxyCore {
    u: Upstream,
}

fn bad(field: &str) -> Error {
    Error::invalid_input(field, "a JSON list of names (or \"*\") was expected")
}

/// `"*"` (`None`) or an array of strings.
fn names(v: Option<&Json>, field: &str) -> Result<Option<Vec<String>>> {
    match v {
        Some(Json::Str(s)) if s == "*" => Ok(None),
        Some(Json::Arr(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                out.push(v.as_str().ok_or_else(|| bad(field))?.to_owned());
            }
            Ok(Some(out))
        }
        _ => Err(bad(field)),
    }
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

fn now(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

impl ProxyCore {
    fn next(&mut self, id: ExchangeId, r: Result<Step>) -> String {
        step_out(id, r, self.u.take_wake())
    }
}

#[wasm_bindgen]
impl ProxyCore {
    /// See the module documentation.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> core::result::Result<ProxyCore, String> {
        let run = || -> Result<ProxyCore> {
            let o = json::parse(options_json)
                .map_err(|_| Error::invalid_input("options", "options must be an object"))?;
            let s = |k: &str| o.get(k).and_then(Json::as_str).unwrap_or("");
            let ep = Endpoint::parse(s("url"))?;
            for (k, what) in [
                ("username", "the user name"),
                ("accessKey", "the access key"),
            ] {
                check_line(s(k), k, what)?;
            }
            let ops = names(o.get("operations"), "operations")?;
            let mods = names(o.get("modules"), "modules")?;
            let gate = Gate::new(
                Allow::operations(ops.as_deref())?,
                Allow::modules(mods.as_deref())?,
                !matches!(o.get("filterListtypes"), Some(Json::Bool(false))),
            );
            let seed = o.get("seed").and_then(Json::as_i64).map_or(1, |n| n as u64);
            Ok(ProxyCore {
                u: Upstream::new(ep, s("username"), s("accessKey"), gate, seed)?,
            })
        };
        run().map_err(|e| js_err(&e))
    }

    /// Checks one request and starts it (see the module documentation).
    pub fn check(&mut self, params: &str, files: &str, caller: &str, now_ms: f64) -> String {
        let r = pairs(params).and_then(|p| {
            let f = match json::parse(files) {
                Ok(v) => names(Some(&v), "files")?.unwrap_or_default(),
                Err(_) => return Err(bad("files")),
            };
            self.u.check(caller, &p, &f, now(now_ms))
        });
        match r {
            Err(e) => {
                let mut out = String::from("{\"error\":");
                out.push_str(&crate::error::error_json(&e));
                out.push('}');
                out
            }
            Ok(Start::Learn(list)) => {
                let mut out = String::from("{\"learn\":[");
                for (i, m) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::quote(m, &mut out);
                }
                out.push_str("]}");
                out
            }
            Ok(Start::Forward(s)) => {
                let s = *s;
                let mut out = String::from("{\"op\":");
                json::quote(&s.op, &mut out);
                out.push_str(",\"module\":");
                json::quote(&s.module, &mut out);
                out.push_str(",\"files\":[");
                for (i, name) in s.files.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::quote(name, &mut out);
                }
                out.push_str("]}\n");
                out.push_str(&self.next(s.id, s.step));
                out
            }
        }
    }

    /// Starts the describe of a module the gate asked for: its first step.
    pub fn learn(&mut self, module: &str, now_ms: f64) -> String {
        match self.u.learn(module, now(now_ms)) {
            Ok((id, step)) => step_text(id, &step, self.u.take_wake()),
            Err(e) => self.next(0, Err(e)),
        }
    }

    /// Continues after a sleep or a wait.
    pub fn resume(&mut self, id: ExchangeId) -> String {
        let r = self.u.resume(id);
        self.next(id, r)
    }

    /// The answer to the last request (`location`: the absolute URL its Location header
    /// names; status 0: a redirect the runtime hides). The host's fast path (`rows`) is never
    /// offered for a proxied exchange.
    pub fn handle(
        &mut self,
        id: ExchangeId,
        status: u16,
        body: &[u8],
        location: Option<String>,
    ) -> String {
        let r = self
            .u
            .handle(id, &HttpResponse::new(status, body), location.as_deref());
        self.next(id, r)
    }

    /// A transport failure of the last request: the proxy's answer (`E`).
    pub fn fail(&mut self, id: ExchangeId, code: &str, message: &str) -> String {
        let r = self.u.fail(id, super::host_error(code, message));
        self.next(id, r)
    }

    /// Abandons an exchange.
    pub fn close(&mut self, id: ExchangeId) -> String {
        let step = self.u.close(id).unwrap_or(Step::Done(Value::Nothing));
        step_text(id, &step, self.u.take_wake())
    }

    /// The text with the access key and every session name held so far masked.
    pub fn scrub(&self, text: &str) -> String {
        self.u.scrub(text).into_owned()
    }

    /// Upstream logins so far.
    #[wasm_bindgen(getter)]
    pub fn logins(&self) -> f64 {
        self.u.logins() as f64
    }

    /// Id prefixes learned so far.
    #[wasm_bindgen(getter, js_name = knownPrefixes)]
    pub fn known_prefixes(&self) -> u32 {
        u32::try_from(self.u.known_prefixes()).unwrap_or(u32::MAX)
    }
}
