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
use crate::prelude::*;
use crate::step::{RetryPolicy, Step};
use crate::vtiger::bulk::{self, UpsertPlan};
use crate::vtiger::driver::{Config, ExchangeId, QueryText, WriteRun};
use crate::vtiger::fields::{DateValue, Upload, WriteKind};
use crate::vtiger::ops::{self, Call, ElementInput, Endpoint, FourBytePolicy};
use crate::vtiger::pool::Pool;
use crate::vtiger::vtql::Select;
use crate::vtiger::WsId;
use wasm_bindgen::prelude::*;

/// One Vtiger client's driver (endpoint, credentials or proxy token, session).
#[wasm_bindgen]
pub struct VtigerCore {
    /// The sessions (one driver each; one unless `sessions` says more).
    d: Pool,
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
        let r = c.and_then(|c| {
            let s = self.d.pick();
            let r = self.d.driver_mut(s).start_call(c);
            self.d.started(s, r)
        });
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
        let r = run().map_err(|e| e.with_operation(op)).and_then(|w| {
            let s = self.d.pick();
            let r = self.d.driver_mut(s).start_write(w);
            self.d.started(s, r)
        });
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
    /// "fourByteChars", "retries", "retryBaseMs", "seed", "sessions"}`. Errors: INVALID_INPUT naming the
    /// option (the URL is never echoed). One JSON text: smaller glue than one argument each.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> core::result::Result<VtigerCore, String> {
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
            let sessions = match o.get("sessions") {
                None | Some(Json::Null) => 1,
                Some(v) => v
                    .as_i64()
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0),
            };
            Ok(VtigerCore {
                d: Pool::new(cfg, sessions)?,
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
        let r = {
            let r = self.d.driver_mut(0).start_login();
            self.d.started(0, r)
        };
        self.out(r)
    }

    /// `logout` of the session of one slot (`slot`: 0 to `openSessions() - 1`; default 0).
    pub fn logout(&mut self, slot: Option<u32>) -> String {
        let slot = slot.unwrap_or(0) as usize;
        let r = {
            let r = self.d.driver_mut(slot).start_logout();
            self.d.started(slot, r)
        };
        self.out(r)
    }

    /// Slots (sessions) opened so far: `logout` ends each.
    #[wasm_bindgen(js_name = openSessions)]
    pub fn open_sessions(&self) -> u32 {
        self.d.open_slots() as u32
    }

    /// The most sessions this client opens (the `sessions` option).
    #[wasm_bindgen(js_name = maxSessions)]
    pub fn max_sessions(&self) -> u32 {
        self.d.max_sessions() as u32
    }

    /// `extendsession`.
    #[wasm_bindgen(js_name = extendSession)]
    pub fn extend_session(&mut self) -> String {
        let r = {
            let r = self.d.driver_mut(0).start_extend_session();
            self.d.started(0, r)
        };
        self.out(r)
    }

    /// `listtypes`.
    #[wasm_bindgen(js_name = listTypes)]
    pub fn list_types(&mut self) -> String {
        self.call("listtypes", Ok(ops::listtypes(None)))
    }

    /// `describe` (cached per client, shared with the field check).
    pub fn describe(&mut self, module: &str) -> String {
        let r = {
            let s = self.d.pick();
            let r = self.d.driver_mut(s).start_describe(module);
            self.d.started(s, r)
        };
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
        let r = {
            let s = self.d.pick();
            let r = self.d.driver_mut(s).start_files(record);
            self.d.started(s, r)
        };
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

    /// `retrieveRelated` (`all`: `retrieveRelatedAll`, yields batches): every related record,
    /// as `SELECT * FROM <relatedType>` through `query_related` paged by keyset (the server's
    /// `retrieve_related` stops at 100 rows and cannot page).
    #[wasm_bindgen(js_name = retrieveRelated)]
    pub fn retrieve_related(
        &mut self,
        record: &str,
        label: &str,
        related_type: &str,
        all: bool,
    ) -> String {
        let r = id(record, "id")
            .and_then(|i| {
                let sel = Select::from(related_type).map_err(|e| {
                    Error::invalid_input("relatedType", e.message).with_operation("query_related")
                })?;
                let s = self.d.pick();
                let r = self
                    .d
                    .driver_mut(s)
                    .start_related_select(sel, i, label, !all);
                self.d.started(s, r)
            })
            .map_err(|e| e.with_operation("query_related"));
        self.out(r)
    }

    /// `queryRelated` (`all`: `queryRelatedAll`, yields batches): the related records matching
    /// `query` (raw VTQL, or the builder's object form when `raw` is false), planned by the
    /// driver (one `query_related` per AND group, paged, merged by id).
    #[wasm_bindgen(js_name = queryRelated)]
    pub fn query_related(
        &mut self,
        query: &str,
        raw: bool,
        record: &str,
        label: &str,
        all: bool,
    ) -> String {
        let r = id(record, "id")
            .and_then(|i| {
                let s = self.d.pick();
                let r = self
                    .d
                    .driver_mut(s)
                    .start_related(query_text(query, raw), i, label, !all);
                self.d.started(s, r)
            })
            .map_err(|e| e.with_operation("query_related"));
        self.out(r)
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
        let r = {
            let s = self.d.pick();
            let r = self.d.driver_mut(s).start_query(query_text(query, raw));
            self.d.started(s, r)
        };
        self.out(r)
    }

    /// `queryAll`: yields each page's rows.
    #[wasm_bindgen(js_name = queryAll)]
    pub fn query_all(&mut self, query: &str, raw: bool) -> String {
        let s = self.d.pick();
        let r = self
            .d
            .driver_mut(s)
            .start_pages(query_text(query, raw), false);
        let r = self.d.started(s, r);
        self.out(r)
    }

    /// `count`: the number of rows (done value).
    pub fn count(&mut self, query: &str, raw: bool) -> String {
        let s = self.d.pick();
        let r = self
            .d
            .driver_mut(s)
            .start_pages(query_text(query, raw), true);
        let r = self.d.started(s, r);
        self.out(r)
    }

    /// `sync`: yields `{updated, deleted, checkpoint, strategy}` batches (JSON text).
    pub fn sync(&mut self, module: &str, since: &str, scope: Option<String>) -> String {
        let r = self
            .d
            .driver_mut(0)
            .start_sync(module, since, scope.as_deref());
        let r = self.d.started(0, r);
        self.out(r)
    }

    // ---- bulk writes (crate::vtiger::bulk) ------------------------------------------------

    /// The error a bulk result reports for a write `op` that failed with the error `code`
    /// (`message`, `status`, the failed request's `operation`, whether the server sent its own
    /// code): OUTCOME_UNKNOWN as JSON text when the server may have executed the write, else
    /// undefined (report the error as it is).
    #[wasm_bindgen(js_name = writeOutcome)]
    pub fn write_outcome(
        &self,
        op: &str,
        code: &str,
        message: &str,
        status: Option<u16>,
        operation: Option<String>,
        server_code: bool,
    ) -> Option<String> {
        let mut e = host_error(code, message);
        e.status = status;
        e.operation = operation;
        if server_code {
            e.crm_code = Some(crate::error::CrmCode::Str(code.to_owned()));
        }
        bulk::unconfirmed(op, &e).map(|e| js_err(&e))
    }

    /// An upsert's lookup: `{"query","key"}` (JSON text) for `element_json` matched on
    /// `match_json` (an array of field names); throws INVALID_INPUT naming the match field.
    #[wasm_bindgen(js_name = upsertPlan)]
    pub fn upsert_plan(
        &self,
        module: &str,
        element_json: &str,
        match_json: &str,
    ) -> core::result::Result<String, String> {
        let run = || -> Result<String> {
            let el = json::parse(element_json).map_err(|_| {
                Error::invalid_input("element", "the record must be a plain object")
            })?;
            let fields = string_list(match_json)?;
            let p = UpsertPlan::new(module, &el, &fields)?;
            let mut out = String::from("{\"query\":");
            json::quote(&p.query, &mut out);
            out.push_str(",\"key\":");
            json::quote(&p.key, &mut out);
            out.push('}');
            Ok(out)
        };
        run().map_err(|e| js_err(&e.with_operation("upsert")))
    }

    /// What an upsert's lookup rows decide: `""` create, else the id to revise; throws
    /// MULTIPLE_MATCHES when several records match.
    #[wasm_bindgen(js_name = upsertDecide)]
    pub fn upsert_decide(
        &self,
        rows_json: &str,
        module: &str,
    ) -> core::result::Result<String, String> {
        UpsertPlan::decide(rows_json, module)
            .map(Option::unwrap_or_default)
            .map_err(|e| js_err(&e))
    }
}

/// A JSON array of strings (the match fields); INVALID_INPUT naming `match` otherwise.
fn string_list(text: &str) -> Result<Vec<String>> {
    let bad = || Error::invalid_input("match", "match must be an array of field names");
    match json::parse(text).map_err(|_| bad())? {
        Json::Arr(a) => a
            .into_iter()
            .map(|v| match v {
                Json::Str(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}
