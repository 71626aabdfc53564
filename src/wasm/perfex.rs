//! `PerfexCore` and `PerfexPager`: the Perfex protocol core ([`crate::perfex`]) behind the JS
//! `PerfexClient` (pkg/perfex.js).
//!
//! Same division of labour as `VtigerCore`: this side validates input, builds every request
//! and interprets every response; JS only moves bytes through `fetch` (timeouts, aborts,
//! retries, async iterators). Requests cross to JS as `{ operation, method, url, headers,
//! body?, get }`; records cross back as JSON text (as sent, or in the normalised view) for a
//! single `JSON.parse` on the JS side. The token only appears in the request headers.

use super::errors::{string_pairs, to_js};
use super::{request_to_js, request_to_object};
use crate::error::{Error, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::perfex::{
    normalize_record, Config, ListOptions, ListPager, Locale, Op, PagerStep, Perfex, Profile,
    RecordOptions, Resource, WriteResult,
};
use wasm_bindgen::prelude::*;

type JsResult<T> = std::result::Result<T, JsValue>;

fn js_err(e: Error) -> JsValue {
    to_js(&e)
}

fn op_name(r: Resource, op: Op) -> String {
    let mut s = String::from(r.as_str());
    s.push('.');
    s.push_str(op.as_str());
    s
}

fn resource(name: &str) -> Result<Resource> {
    Resource::parse(name).ok_or_else(|| {
        Error::invalid_input(
            "resource",
            "resource must be one of customers, contacts, leads, projects, tasks, invoices",
        )
    })
}

fn fields(text: &str, r: Resource, op: Op) -> Result<Json> {
    json::parse(text).map_err(|_| {
        Error::invalid_input("fields", "fields must be a JSON object")
            .with_operation(op_name(r, op))
    })
}

fn record_text(r: Resource, rec: &Json, normalize: bool) -> String {
    if normalize {
        normalize_record(r, rec).to_json()
    } else {
        rec.to_json()
    }
}

/// `{"message":…,"id":…?,"record":…?}`
fn write_text(r: Resource, w: &WriteResult, normalize: bool) -> String {
    let mut out = String::from("{\"message\":");
    json::quote(&w.message, &mut out);
    if let Some(id) = &w.id {
        out.push_str(",\"id\":");
        json::quote(id, &mut out);
    }
    if let Some(rec) = &w.record {
        out.push_str(",\"record\":");
        out.push_str(&record_text(r, rec, normalize));
    }
    out.push('}');
    out
}

/// Protocol state of one Perfex client (base URL, API module, token, locale).
#[wasm_bindgen]
pub struct PerfexCore {
    px: Perfex,
}

#[wasm_bindgen]
impl PerfexCore {
    /// `api`: `won` or `rest`; `locale`: `en` (default) or `pt-BR`; `vat_cpf_cnpj`: check
    /// customer VAT as CPF/CNPJ (default: on for WON, off for REST). Errors: INVALID_INPUT
    /// naming the option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: &str,
        token: &str,
        api: &str,
        locale: Option<String>,
        vat_cpf_cnpj: Option<bool>,
    ) -> JsResult<PerfexCore> {
        let profile = Profile::parse(api)
            .ok_or_else(|| js_err(Error::invalid_input("api", "api must be 'won' or 'rest'")))?;
        let locale = match locale.as_deref() {
            None => Locale::En,
            Some(l) => Locale::parse(l).ok_or_else(|| {
                js_err(Error::invalid_input(
                    "locale",
                    "locale must be 'en' or 'pt-BR'",
                ))
            })?,
        };
        let mut cfg = Config::new(profile, url, token);
        cfg.locale = locale;
        if let Some(v) = vat_cpf_cnpj {
            cfg.check_vat_cpf_cnpj = v;
        }
        let px = Perfex::new(cfg).map_err(js_err)?;
        Ok(PerfexCore { px })
    }

    /// GET one record (`customer_id`: the contact's customer, needed by REST contacts).
    #[wasm_bindgen(js_name = getRequest)]
    pub fn get_request(
        &self,
        res: &str,
        id: &str,
        customer_id: Option<String>,
    ) -> JsResult<JsValue> {
        let r = resource(res).map_err(js_err)?;
        let opts = RecordOptions { customer_id };
        let req = self.px.get(r, id, &opts).map_err(js_err)?;
        Ok(request_to_js(&op_name(r, Op::Get), &req))
    }

    /// POST a new record (`fields_json`: a JSON object; validated first).
    #[wasm_bindgen(js_name = createRequest)]
    pub fn create_request(&self, res: &str, fields_json: &str) -> JsResult<JsValue> {
        let r = resource(res).map_err(js_err)?;
        let f = fields(fields_json, r, Op::Create).map_err(js_err)?;
        let req = self.px.create(r, &f).map_err(js_err)?;
        Ok(request_to_js(&op_name(r, Op::Create), &req))
    }

    /// PUT the changed fields of a record.
    #[wasm_bindgen(js_name = updateRequest)]
    pub fn update_request(&self, res: &str, id: &str, fields_json: &str) -> JsResult<JsValue> {
        let r = resource(res).map_err(js_err)?;
        let f = fields(fields_json, r, Op::Update).map_err(js_err)?;
        let req = self.px.update(r, id, &f).map_err(js_err)?;
        Ok(request_to_js(&op_name(r, Op::Update), &req))
    }

    /// DELETE a record.
    #[wasm_bindgen(js_name = deleteRequest)]
    pub fn delete_request(&self, res: &str, id: &str) -> JsResult<JsValue> {
        let r = resource(res).map_err(js_err)?;
        let req = self.px.delete(r, id).map_err(js_err)?;
        Ok(request_to_js(&op_name(r, Op::Delete), &req))
    }

    /// WON only: the customer with this VAT (CPF/CNPJ). REST throws UNSUPPORTED.
    #[wasm_bindgen(js_name = joinRequest)]
    pub fn join_request(&self, vat: &str) -> JsResult<JsValue> {
        let req = self.px.join_by_vat(vat).map_err(js_err)?;
        Ok(request_to_js(&op_name(Resource::Customers, Op::Join), &req))
    }

    /// Parses a get (`op` = `get`) or join (`op` = `join`) answer: the record as JSON text.
    #[wasm_bindgen(js_name = parseRecord)]
    pub fn parse_record(
        &self,
        res: &str,
        op: &str,
        status: u16,
        body: &[u8],
        normalize: bool,
    ) -> JsResult<String> {
        let r = resource(res).map_err(js_err)?;
        let op = if op == "join" { Op::Join } else { Op::Get };
        let rec = self
            .px
            .parse_record(r, op, &HttpResponse::new(status, body))
            .map_err(js_err)?;
        Ok(record_text(r, &rec, normalize))
    }

    /// Parses a create/update/delete answer: `{message, id?, record?}` as JSON text.
    #[wasm_bindgen(js_name = parseWrite)]
    pub fn parse_write(
        &self,
        res: &str,
        op: &str,
        status: u16,
        body: &[u8],
        normalize: bool,
    ) -> JsResult<String> {
        let r = resource(res).map_err(js_err)?;
        let op = match op {
            "create" => Op::Create,
            "update" => Op::Update,
            _ => Op::Delete,
        };
        let w = self
            .px
            .parse_write(r, op, &HttpResponse::new(status, body))
            .map_err(js_err)?;
        Ok(write_text(r, &w, normalize))
    }

    /// REST: the search request that finds a record just created from `fields_json`;
    /// `undefined` for WON (the create answer has the row) or without a usable key field.
    #[wasm_bindgen(js_name = lookupRequest)]
    pub fn lookup_request(&self, res: &str, fields_json: &str) -> JsResult<JsValue> {
        let r = resource(res).map_err(js_err)?;
        let f = fields(fields_json, r, Op::Lookup).map_err(js_err)?;
        Ok(match self.px.lookup_created(r, &f) {
            Some(req) => request_to_js(&op_name(r, Op::Lookup), &req),
            None => JsValue::UNDEFINED,
        })
    }

    /// The created record out of the lookup answer (JSON text), `undefined` when no row
    /// matches.
    #[wasm_bindgen(js_name = pickCreated)]
    pub fn pick_created(
        &self,
        res: &str,
        fields_json: &str,
        status: u16,
        body: &[u8],
        normalize: bool,
    ) -> JsResult<Option<String>> {
        let r = resource(res).map_err(js_err)?;
        let f = fields(fields_json, r, Op::Lookup).map_err(js_err)?;
        let rec = self
            .px
            .pick_created(r, &f, &HttpResponse::new(status, body))
            .map_err(js_err)?;
        Ok(rec.map(|rec| record_text(r, &rec, normalize)))
    }

    /// A pager over a list (`term` undefined), a search (`term` set) or, with `contacts_of`
    /// set, one customer's contacts. `filters`: a plain object of column → value.
    #[allow(clippy::too_many_arguments)]
    pub fn pager(
        &self,
        res: &str,
        term: Option<String>,
        contacts_of: Option<String>,
        page_size: Option<u32>,
        start_page: Option<u32>,
        max_records: Option<u32>,
        filters: JsValue,
        normalize: bool,
    ) -> JsResult<PerfexPager> {
        let r = resource(res).map_err(js_err)?;
        let opts = ListOptions {
            page_size,
            start_page,
            max_records: max_records.map(|n| n as usize),
            customer_id: None,
            filters: string_pairs(&filters),
        };
        let pager = match (&contacts_of, &term) {
            (Some(c), _) => self.px.customer_contacts(c, opts),
            (None, Some(t)) => self.px.search(r, t, opts),
            (None, None) => self.px.list(r, opts),
        }
        .map_err(js_err)?;
        let r = if contacts_of.is_some() {
            Resource::Contacts
        } else {
            r
        };
        let op = if term.is_some() && contacts_of.is_none() {
            Op::Search
        } else {
            Op::List
        };
        Ok(PerfexPager {
            pager,
            resource: r,
            operation: op_name(r, op),
            normalize,
        })
    }
}

/// A list in progress (see [`ListPager`]).
#[wasm_bindgen]
pub struct PerfexPager {
    pager: ListPager,
    resource: Resource,
    operation: String,
    normalize: bool,
}

impl PerfexPager {
    fn page_text(&self, p: &crate::perfex::ListPage) -> String {
        if self.normalize {
            p.normalized_json(self.resource)
        } else {
            p.raw_json()
        }
    }
}

#[wasm_bindgen]
impl PerfexPager {
    /// The next step: a request object to send (then [`PerfexPager::feed`] its answer), a
    /// page already buffered (JSON array text), or `undefined` when done.
    pub fn step(&mut self) -> JsValue {
        match self.pager.step() {
            PagerStep::Send(req) => request_to_object(&self.operation, &req),
            PagerStep::Page(p) => JsValue::from_str(&self.page_text(&p)),
            PagerStep::Done => JsValue::UNDEFINED,
        }
    }

    /// The answer to the last request: the page's records as JSON array text. On error the
    /// pager stays where it was.
    pub fn feed(&mut self, status: u16, body: &[u8]) -> JsResult<String> {
        let p = self
            .pager
            .feed(&HttpResponse::new(status, body))
            .map_err(js_err)?;
        Ok(self.page_text(&p))
    }

    /// The operation name (`customers.list`, `contacts.search`, …) for errors raised in JS.
    #[wasm_bindgen(getter)]
    pub fn operation(&self) -> String {
        self.operation.clone()
    }

    /// Total number of matching records, once known.
    #[wasm_bindgen(getter)]
    pub fn total(&self) -> Option<f64> {
        self.pager.total().map(|t| t as f64)
    }
}
