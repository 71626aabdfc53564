//! `PerfexCore`: the Perfex driver ([`crate::perfex::driver`]) behind the JS `PerfexClient`
//! (pkg/perfex.js). Same shape as `VtigerCore`: one named method per operation returns the
//! exchange's first step; `resume`, `handle`, `fail` and `close` drive it (pkg/drive.js).
//! The token only appears in the request headers handed to `fetch`.

use super::{check_line, give_up_text, host_error, js_err, step_out, step_text, string_pairs};
use crate::error::{Error, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::perfex::driver::{Driver, ExchangeId, ListRequest};
use crate::perfex::{Config, ListOptions, Locale, Perfex, Profile, Resource};
use crate::prelude::*;
use crate::step::{RetryPolicy, Step, Value};
use wasm_bindgen::prelude::*;

fn resource(name: &str) -> Result<Resource> {
    Resource::parse(name).ok_or_else(|| {
        Error::invalid_input(
            "resource",
            "resource must be one of customers, contacts, leads, projects, tasks, invoices",
        )
    })
}

fn str_opt<'a>(o: &'a Json, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Json::as_str)
}

fn u32_opt(o: &Json, k: &str) -> Option<u32> {
    o.get(k)
        .and_then(Json::as_i64)
        .and_then(|n| u32::try_from(n).ok())
}

/// One Perfex client's driver (base URL, API module, token, locale).
#[wasm_bindgen]
pub struct PerfexCore {
    d: Driver,
}

impl PerfexCore {
    fn out(&mut self, r: Result<(ExchangeId, Step)>) -> String {
        match r {
            Ok((id, step)) => step_text(id, &step, false),
            Err(e) => step_out(0, Err(e), false),
        }
    }
}

#[wasm_bindgen]
impl PerfexCore {
    /// `options_json`: `{"url", "token", "api": "won"|"rest", "locale", "vatCpfCnpj",
    /// "retries", "retryBaseMs"}`. Errors: INVALID_INPUT naming the option.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> core::result::Result<PerfexCore, String> {
        let run = || -> Result<PerfexCore> {
            let o = json::parse(options_json)
                .map_err(|_| Error::invalid_input("options", "options must be an object"))?;
            let profile = Profile::parse(str_opt(&o, "api").unwrap_or(""))
                .ok_or_else(|| Error::invalid_input("api", "api must be 'won' or 'rest'"))?;
            let locale = match str_opt(&o, "locale") {
                None => Locale::En,
                Some(l) => Locale::parse(l).ok_or_else(|| {
                    Error::invalid_input("locale", "locale must be 'en' or 'pt-BR'")
                })?,
            };
            let url = str_opt(&o, "url").unwrap_or("");
            let token = str_opt(&o, "token").unwrap_or("");
            check_line(url, "url", "the Perfex URL")?;
            check_line(token, "token", "the token")?;
            let mut cfg = Config::new(profile, url, token);
            cfg.locale = locale;
            if let Some(Json::Bool(v)) = o.get("vatCpfCnpj") {
                cfg.check_vat_cpf_cnpj = *v;
            }
            let d = RetryPolicy::default();
            let retry = RetryPolicy {
                retries: u32_opt(&o, "retries").unwrap_or(d.retries),
                base_ms: u32_opt(&o, "retryBaseMs").unwrap_or(d.base_ms),
            };
            Ok(PerfexCore {
                d: Driver::new(Perfex::new(cfg)?, retry),
            })
        };
        run().map_err(|e| js_err(&e))
    }

    /// `get` (`customer_id`: the contact's customer, needed by REST contacts).
    pub fn get(
        &mut self,
        res: &str,
        id: &str,
        customer_id: Option<String>,
        normalize: bool,
    ) -> String {
        let r = resource(res).and_then(|r| self.d.start_get(r, id, customer_id, normalize));
        self.out(r)
    }

    /// WON only: the customer with this VAT (CPF/CNPJ). REST: UNSUPPORTED.
    pub fn join(&mut self, vat: &str, normalize: bool) -> String {
        let r = self.d.start_join(vat, normalize);
        self.out(r)
    }

    /// `create` (`fields_json`: a JSON object; validated first).
    pub fn create(&mut self, res: &str, fields_json: &str, normalize: bool) -> String {
        let r = resource(res).and_then(|r| self.d.start_create(r, fields_json, normalize));
        self.out(r)
    }

    /// `update` of the given fields.
    pub fn update(&mut self, res: &str, id: &str, fields_json: &str, normalize: bool) -> String {
        let r = resource(res).and_then(|r| self.d.start_update(r, id, fields_json, normalize));
        self.out(r)
    }

    /// `delete`.
    pub fn delete(&mut self, res: &str, id: &str) -> String {
        let r = resource(res).and_then(|r| self.d.start_delete(r, id));
        self.out(r)
    }

    /// A list, search or customer's contacts; `options_json`: `{"term"?, "customerId"?,
    /// "pageSize"?, "startPage"?, "maxRecords"?, "filters"?: {column: string},
    /// "normalize"?}`. Yields each page (a JSON array text).
    pub fn list(&mut self, res: &str, options_json: &str) -> String {
        let run = |d: &mut Driver| -> Result<(ExchangeId, Step)> {
            let r = resource(res)?;
            let o = json::parse(options_json)
                .map_err(|_| Error::invalid_input("options", "options must be an object"))?;
            let filters = string_pairs(o.get("filters").cloned().unwrap_or(Json::Null), "filters")?;
            let l = ListRequest {
                term: str_opt(&o, "term").map(str::to_owned),
                contacts_of: str_opt(&o, "customerId").map(str::to_owned),
                options: ListOptions {
                    page_size: u32_opt(&o, "pageSize"),
                    start_page: u32_opt(&o, "startPage"),
                    max_records: u32_opt(&o, "maxRecords").map(|n| n as usize),
                    customer_id: None,
                    filters,
                },
                normalize: matches!(o.get("normalize"), Some(Json::Bool(true))),
            };
            d.start_list(r, l)
        };
        let r = run(&mut self.d);
        self.out(r)
    }

    // ---- driving an exchange -----------------------------------------------------------

    /// Continues after a sleep or a yield.
    pub fn resume(&mut self, id: ExchangeId) -> String {
        step_out(id, self.d.resume(id), false)
    }

    /// The answer to the last request (`location`: its Location header).
    pub fn handle(
        &mut self,
        id: ExchangeId,
        status: u16,
        body: &[u8],
        location: Option<String>,
    ) -> String {
        let r = self
            .d
            .handle(id, &HttpResponse::new(status, body), location.as_deref());
        step_out(id, r, false)
    }

    /// A transport failure of the last request: a retry step, the create's result with
    /// `lookupError`, or `X` (report your error).
    pub fn fail(&mut self, id: ExchangeId, code: &str, message: &str) -> String {
        match self.d.fail(id, host_error(code, message)) {
            Ok(step) => step_text(id, &step, false),
            Err(_) => give_up_text(id, false),
        }
    }

    /// Abandons an exchange.
    pub fn close(&mut self, id: ExchangeId) -> String {
        self.d.close(id);
        step_text(id, &Step::Done(Value::Nothing), false)
    }
}
