//! `VtigerCore`: the session driver ([`crate::vtiger::driver`]) behind the JS `VtigerClient`
//! (pkg/vtiger.js).
//!
//! One named method per operation starts an exchange and returns its first step; `resume`,
//! `handle`, `clean`, `fail` and `close` drive it (pkg/drive.js). Steps cross as one string
//! ([`super::step_text`]). The access key, challenge tokens and session names live in the
//! driver: they reach JS only inside the requests handed to `fetch`, never in an error, a
//! step's value or a returned object.

use super::{check_line, give_up_text, host_error, js_err, step_out, step_text, string_pairs};
use crate::error::{Error, Result};
use crate::http::{HttpResponse, Method};
use crate::json::{self, Json};
use crate::step::{RetryPolicy, Step};
use crate::vtiger::driver::{Config, Driver, ExchangeId, QueryText, WriteRun};
use crate::vtiger::fields::{DateValue, Upload, WriteKind};
use crate::vtiger::ops::{self, Call, ElementInput, Endpoint, FourBytePolicy};
use crate::vtiger::vtql::Select;
use crate::vtiger::WsId;
use wasm_bindgen::prelude::*;

/// One Vtiger client's driver (endpoint, credentials or proxy token, session).
#[wasm_bindgen]
pub struct VtigerCore {
    d: Driver,
}

fn id(s: &str, field: &str) -> Result<WsId> {
    WsId::parse_field(s, field)
}

impl VtigerCore {
    fn out(&mut self, r: Result<(ExchangeId, Step)>) -> String {
        match r {
            Ok((id, step)) => step_text(id, &step, self.d.take_wake()),
            Err(e) => step_out(0, Err(e), self.d.take_wake()),
        }
    }

    fn next(&mut self, id: ExchangeId, r: Result<Step>) -> String {
        step_out(id, r, self.d.take_wake())
    }

    fn call(&mut self, op: &str, c: Result<Call>) -> String {
        let c = c.map_err(|e| e.with_operation(op.to_owned()));
        let r = c.and_then(|c| self.d.start_call(c));
        self.out(r)
    }

    fn element(&self, json: &str) -> Result<ElementInput> {
        Ok(ElementInput::parse(json)?.with_policy(self.d.four_byte()))
    }

    /// A create/update/revise: `extra` is `{"dates":[[key, ms|null, nested]], "file":{"name",
    /// "type", "size"}}` (both optional) or absent.
    fn write(
        &mut self,
        kind: WriteKind,
        module: Option<&str>,
        element_json: &str,
        extra: Option<String>,
    ) -> String {
        let run = || -> Result<WriteRun> {
            let el = self.element(element_json)?;
            let x = match extra.as_deref() {
                Some(t) => json::parse(t).map_err(|_| Error::invalid_input("file", "bad extra"))?,
                None => Json::Null,
            };
            let dates = x
                .get("dates")
                .and_then(Json::as_array)
                .unwrap_or(&[])
                .iter()
                .filter_map(|d| {
                    let d = d.as_array()?;
                    Some(DateValue {
                        key: d.first()?.as_str()?.to_owned(),
                        ms: d.get(1).and_then(Json::as_i64),
                        nested: d.get(2).and_then(Json::as_bool) == Some(true),
                    })
                })
                .collect();
            let file = match x.get("file") {
                Some(f) => Some(Upload::new(
                    str_opt(f, "name").unwrap_or(""),
                    str_opt(f, "type"),
                    f.get("size").and_then(Json::as_i64).unwrap_or(0).max(0) as u64,
                )?),
                None => None,
            };
            WriteRun::new(kind, module, el, dates, file)
        };
        let op = match kind {
            WriteKind::Create => "create",
            WriteKind::Update => "update",
            WriteKind::Revise => "revise",
        };
        let r = run()
            .map_err(|e| e.with_operation(op))
            .and_then(|w| self.d.start_write(w));
        self.out(r)
    }
}

fn str_opt<'a>(o: &'a Json, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Json::as_str)
}

fn u32_opt(o: &Json, k: &str) -> Option<u32> {
    o.get(k)
        .and_then(Json::as_i64)
        .and_then(|n| u32::try_from(n).ok())
}

fn query_text(text: &str, raw: bool) -> QueryText<'_> {
    if raw {
        QueryText::Raw(text)
    } else {
        QueryText::Spec(text)
    }
}

#[wasm_bindgen]
impl VtigerCore {
    /// `options_json`: `{"url", "auth": "login"|"proxy", "username", "accessKey", "token",
    /// "fourByteChars", "retries", "retryBaseMs", "seed"}`. Errors: INVALID_INPUT naming the
    /// option (the URL is never echoed). One JSON text: smaller glue than one argument each.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> std::result::Result<VtigerCore, String> {
        let run = || -> Result<VtigerCore> {
            let o = json::parse(options_json)
                .map_err(|_| Error::invalid_input("options", "options must be an object"))?;
            let ep = Endpoint::parse(str_opt(&o, "url").unwrap_or(""))?;
            let mut cfg = if str_opt(&o, "auth") == Some("proxy") {
                let token = str_opt(&o, "token");
                if let Some(t) = token {
                    check_line(t, "token", "the proxy token")?;
                }
                Config::proxy(ep, token)
            } else {
                Config::login(
                    ep,
                    str_opt(&o, "username").unwrap_or(""),
                    str_opt(&o, "accessKey").unwrap_or(""),
                )?
            };
            cfg.four_byte = match str_opt(&o, "fourByteChars") {
                None | Some("reject") => FourBytePolicy::Reject,
                Some("replace") => FourBytePolicy::Replace,
                Some("send") => FourBytePolicy::Send,
                Some(_) => {
                    return Err(Error::invalid_input(
                        "fourByteChars",
                        "fourByteChars must be 'reject', 'replace' or 'send'",
                    ))
                }
            };
            let d = RetryPolicy::default();
            cfg.retry = RetryPolicy {
                retries: u32_opt(&o, "retries").unwrap_or(d.retries),
                base_ms: u32_opt(&o, "retryBaseMs").unwrap_or(d.base_ms),
            };
            cfg.seed = o.get("seed").and_then(Json::as_i64).map_or(1, |n| n as u64);
            cfg.check_fields = o.get("checkFields").and_then(Json::as_bool) != Some(false);
            Ok(VtigerCore {
                d: Driver::new(cfg),
            })
        };
        run().map_err(|e| js_err(&e))
    }

    /// `{vtigerVersion?, apiVersion?, userId?, endpoint, operations}` as JSON text.
    #[wasm_bindgen(js_name = serverInfo)]
    pub fn server_info(&self) -> String {
        self.d.server_info_json()
    }

    // ---- driving an exchange -----------------------------------------------------------

    /// Continues after a sleep, a wait or a yield.
    pub fn resume(&mut self, id: ExchangeId) -> String {
        let r = self.d.resume(id);
        self.next(id, r)
    }

    /// The answer to the last request (`location`: the absolute URL its Location header
    /// names; status 0: a redirect the runtime hides). With `rows` set, the host parsed a
    /// clean success envelope itself (the body is not passed): `rows` and `last_id` are the
    /// result array's length and last `id` (for pages).
    pub fn handle(
        &mut self,
        id: ExchangeId,
        status: u16,
        body: &[u8],
        location: Option<String>,
        rows: Option<u32>,
        last_id: Option<String>,
    ) -> String {
        let r = match rows {
            Some(n) => self.d.clean(id, n as usize, last_id.as_deref()),
            None => self
                .d
                .handle(id, &HttpResponse::new(status, body), location.as_deref()),
        };
        self.next(id, r)
    }

    /// A transport failure of the last request: a retry step, or `X` (report your error).
    pub fn fail(&mut self, id: ExchangeId, code: &str, message: &str) -> String {
        match self.d.fail(id, host_error(code, message)) {
            Ok(step) => step_text(id, &step, self.d.take_wake()),
            Err(_) => give_up_text(id, self.d.take_wake()),
        }
    }

    /// Abandons an exchange: a `N` step (nothing to do; its wake flag may be set), or the
    /// `S` step releasing a sync run's registration (send it, `handle` its answer).
    pub fn close(&mut self, id: ExchangeId) -> String {
        let step = self
            .d
            .close(id)
            .unwrap_or(Step::Done(crate::step::Value::Nothing));
        step_text(id, &step, self.d.take_wake())
    }

    // ---- operations ---------------------------------------------------------------------

    /// `login`: the login information (JSON text, no session name).
    pub fn login(&mut self) -> String {
        let r = self.d.start_login();
        self.out(r)
    }

    /// `logout`.
    pub fn logout(&mut self) -> String {
        let r = self.d.start_logout();
        self.out(r)
    }

    /// `extendsession`.
    #[wasm_bindgen(js_name = extendSession)]
    pub fn extend_session(&mut self) -> String {
        let r = self.d.start_extend_session();
        self.out(r)
    }

    /// `listtypes`.
    #[wasm_bindgen(js_name = listTypes)]
    pub fn list_types(&mut self) -> String {
        self.call("listtypes", Ok(ops::listtypes(None)))
    }

    /// `describe` (cached per client, shared with the field check).
    pub fn describe(&mut self, module: &str) -> String {
        let r = self.d.start_describe(module);
        self.out(r)
    }

    /// `relatedtypes`.
    #[wasm_bindgen(js_name = relatedTypes)]
    pub fn related_types(&mut self, module: &str) -> String {
        self.call("relatedtypes", ops::relatedtypes(module))
    }

    /// `create` (`element_json`: the record; 4-byte policy, field check, Calendar default
    /// applied; `extra`: its Dates and file, see `write`).
    pub fn create(&mut self, module: &str, element_json: &str, extra: Option<String>) -> String {
        self.write(WriteKind::Create, Some(module), element_json, extra)
    }

    /// `retrieve`.
    pub fn retrieve(&mut self, record: &str) -> String {
        self.call("retrieve", id(record, "id").map(ops::retrieve))
    }

    /// `update` (every mandatory field present).
    pub fn update(&mut self, element_json: &str, extra: Option<String>) -> String {
        self.write(WriteKind::Update, None, element_json, extra)
    }

    /// `revise` (partial update).
    pub fn revise(&mut self, element_json: &str, extra: Option<String>) -> String {
        self.write(WriteKind::Revise, None, element_json, extra)
    }

    /// `delete`.
    pub fn delete(&mut self, record: &str) -> String {
        self.call("delete", id(record, "id").map(ops::delete))
    }

    /// `convertlead`.
    #[wasm_bindgen(js_name = convertLead)]
    pub fn convert_lead(&mut self, element_json: &str) -> String {
        let c = self
            .element(element_json)
            .and_then(|e| ops::convertlead(&e));
        self.call("convertlead", c)
    }

    /// `filesRetrieve`: yields each `files_retrieve` answer's files (ranges into its body).
    #[wasm_bindgen(js_name = filesRetrieve)]
    pub fn files_retrieve(&mut self, record: &str) -> String {
        let r = self.d.start_files(record);
        self.out(r)
    }

    /// `retrieve_inventory`.
    #[wasm_bindgen(js_name = retrieveInventory)]
    pub fn retrieve_inventory(&mut self, record: &str) -> String {
        self.call(
            "retrieve_inventory",
            id(record, "id").map(ops::retrieve_inventory),
        )
    }

    /// `retrieve_related`.
    #[wasm_bindgen(js_name = retrieveRelated)]
    pub fn retrieve_related(&mut self, record: &str, label: &str, related_type: &str) -> String {
        let c = id(record, "id").and_then(|i| ops::retrieve_related(i, label, related_type));
        self.call("retrieve_related", c)
    }

    /// `query_related` (`query`: raw VTQL, or the builder's object form when `raw` is false).
    #[wasm_bindgen(js_name = queryRelated)]
    pub fn query_related(&mut self, query: &str, raw: bool, record: &str, label: &str) -> String {
        let text = if raw {
            Ok(query.to_owned())
        } else {
            Select::from_spec_text(query).and_then(|s| s.render())
        };
        let c = text.and_then(|t| ops::query_related(&t, id(record, "id")?, label));
        self.call("query_related", c)
    }

    /// `add_related`.
    #[wasm_bindgen(js_name = addRelated)]
    pub fn add_related(&mut self, source: &str, related: &str, label: Option<String>) -> String {
        let c = id(source, "sourceId")
            .and_then(|s| ops::add_related(s, id(related, "relatedId")?, label.as_deref()));
        self.call("add_related", c)
    }

    /// Any operation: `params_json` a JSON object of strings; `method` `GET`/`POST` or
    /// undefined for the operation's registered type.
    #[wasm_bindgen(js_name = callOperation)]
    pub fn call_operation(
        &mut self,
        op: &str,
        params_json: &str,
        method: Option<String>,
    ) -> String {
        let run = || -> Result<Call> {
            let m = match method.as_deref().map(str::to_ascii_uppercase).as_deref() {
                None => None,
                Some("GET") => Some(Method::Get),
                Some("POST") => Some(Method::Post),
                Some(_) => {
                    return Err(Error::invalid_input("method", "method must be GET or POST"))
                }
            };
            let params = string_pairs(
                json::parse(params_json).unwrap_or(Json::Num(String::new())),
                "params",
            )?;
            ops::call(op, params, m)
        };
        let c = run();
        self.call(op, c)
    }

    /// `query` (one page; split and merged by id when too long for a GET).
    pub fn query(&mut self, query: &str, raw: bool) -> String {
        let r = self.d.start_query(query_text(query, raw));
        self.out(r)
    }

    /// `queryAll`: yields each page's rows.
    #[wasm_bindgen(js_name = queryAll)]
    pub fn query_all(&mut self, query: &str, raw: bool) -> String {
        let r = self.d.start_pages(query_text(query, raw), false);
        self.out(r)
    }

    /// `count`: the number of rows (done value).
    pub fn count(&mut self, query: &str, raw: bool) -> String {
        let r = self.d.start_pages(query_text(query, raw), true);
        self.out(r)
    }

    /// `sync`: yields `{updated, deleted, checkpoint, strategy}` batches (JSON text).
    pub fn sync(&mut self, module: &str, since: &str, scope: Option<String>) -> String {
        let r = self.d.start_sync(module, since, scope.as_deref());
        self.out(r)
    }
}
