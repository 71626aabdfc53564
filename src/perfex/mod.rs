//! Perfex CRM HTTP APIs, sans-IO: the **WON API** module (`won_api`) and the Themesic
//! **REST API** module (`api`), behind one call shape.
//!
//! # Profiles
//!
//! * [`Profile::Won`]: the fixed "won-2.1.1" profile. `X-API-TOKEN` header, JSON bodies,
//!   paths `/won_api/won/api/{table}[/{id}]` and `/won_api/won/join?vat=`, the envelope
//!   `{success, data, message, timestamp, meta?}`, `page`/`limit` paging (limit ≤ 100),
//!   `contacts` included, 201 with the full row on create.
//! * [`Profile::Rest`]: header `authtoken`, paths `/api/{resource}...`, POST bodies are
//!   `application/x-www-form-urlencoded` with bracket arrays (`newitems[0][description]`,
//!   `custom_fields[customers][5]`), PUT bodies are JSON, deletes go to
//!   `/api/delete/{resource}/{id}`. Success bodies are bare rows/arrays or
//!   `{status:true, message}`; a 404 "No data were found" on a list or search is an **empty
//!   list**. v2 lists are unpaged (the [`ListPager`] slices them); v3's `page`/`per_page` is
//!   used when the server answers with `{data, meta}` (learned on the first page, see
//!   [`ListPager::server_paging`] and [`Config::rest_server_paging`]).
//!
//! # Driving it from a host
//!
//! Every call is a pure pair: a `Perfex` method builds an [`HttpRequest`] (after validating
//! the input: nothing is built from invalid input), the host sends it, and the matching
//! `parse_*` method turns the [`HttpResponse`] into a result or an [`Error`].
//!
//! * get: [`Perfex::get`] → [`Perfex::parse_record`]
//! * create / update / delete: [`Perfex::create`] / [`Perfex::update`] / [`Perfex::delete`] →
//!   [`Perfex::parse_write`]
//! * WON join by VAT: [`Perfex::join_by_vat`] → [`Perfex::parse_record`]
//! * list, search, a customer's contacts: [`Perfex::list`] / [`Perfex::search`] /
//!   [`Perfex::customer_contacts`] give a [`ListPager`]; loop on [`ListPager::step`]: on
//!   [`PagerStep::Send`] send the request and pass the response to [`ListPager::feed`] (which
//!   returns the page); on [`PagerStep::Page`] a page is already buffered (REST client-side
//!   slicing, no request); on [`PagerStep::Done`] stop.
//! * after a REST create (which returns no id): [`Perfex::lookup_created`] gives a search
//!   request by a unique-ish field (email for contacts and leads, number for invoices,
//!   company for customers, name for projects and tasks); [`Perfex::pick_created`] picks the
//!   created row from its response (exact match on that field and on the customer, highest
//!   id wins). WON creates return the row, so `lookup_created` answers `None` there.
//!
//! # Records
//!
//! Records come back as the server sent them (every column a string or null): lists as
//! [`ListPage::raw_json`] (one JSON array text for a host-side `JSON.parse`), single records as
//! [`Json`]. The optional normalised view ([`normalize_record`], [`ListPage::normalized_json`])
//! is identical for both profiles:
//!
//! * every record gets an `"id"` key (a string) first: the primary key (`userid` for
//!   customers, kept too);
//! * ids, enumerations and other scalars stay strings (JSON numbers become their decimal text);
//! * flags (`active`, `is_primary`, `billable`, `is_public`, `sent`, `*_emails`, …) become
//!   `true`/`false` (`"1"`/`"0"`; anything else non-zero is `true`);
//! * money and quantities (`subtotal`, `total`, `total_tax`, `rate`, `qty`, `project_cost`, …)
//!   are decimal strings (`"150.00"`, as sent; JSON numbers become their text);
//! * dates (`date`, `duedate`, `start_date`, `startdate`, `deadline`, …) are `YYYY-MM-DD`;
//!   datetimes (`datecreated`, `dateadded`, `lastcontact`, any `YYYY-MM-DD HH:MM:SS` value, …)
//!   become ISO `YYYY-MM-DDTHH:MM:SS` (server local time, no zone, as Perfex stores it);
//!   `""`, `0000-00-00` and `0000-00-00 00:00:00` become `null`;
//! * empty strings in typed columns (flags, money, dates) become `null`; nested arrays and
//!   objects (invoice `items`, `customfields`) are normalised with the same rules.
//!
//! # Errors
//!
//! Errors use the crate-wide [`ErrorCode`]s; [`Error::message`] keeps the server's message
//! (HTML tags of REST validation messages stripped); [`Error::crm_code`] is the server's own
//! code where it sends one (WON phase A–D `error_code`, v3's `error` string), else the HTTP
//! status as a decimal string (`"404"`).
//!
//! | Situation | Code |
//! |---|---|
//! | WON 401, REST 401, REST 404 whose message is a token/JWT message (`Token is not defined.`, `Token Time Expire.`, `Wrong number of segments`, `Signature verification failed`, null) | `INVALID_AUTH_TOKEN` (a static token: never retried as a session expiry) |
//! | 403 (REST permission, WON CSRF HTML page) | `ACCESS_DENIED` |
//! | WON 400/422 (`Campo obrigatório: x` sets `field`), REST 404/409 with an `error` object, REST 406, v3 422 `errors` | `VALIDATION_FAILED` (+ `field_errors`) |
//! | WON 400 `Tabela não suportada`, 405 | `UNSUPPORTED` |
//! | WON 404, REST 404 `No data were found` on get, `Invalid … ID`, `… Fail.` (update/delete), REST 409 `… Doesn't Not Exist.` | `RECORD_NOT_FOUND` |
//! | REST 404 `No data were found` on list/search | not an error: empty page |
//! | REST 404 `… add fail.`, any 5xx | `SERVER_ERROR` |
//! | 429 | `RATE_LIMITED` (`ErrorCode::Other`) |
//! | non-JSON or wrong-shape body (other statuses) | `INVALID_RESPONSE` (+ `snippet`) |
//!
//! Client-side checks (before any request) give `INVALID_INPUT` with [`Error::field`] set;
//! their text follows [`Locale`] (`En`, or `PtBr` = the seed n8n node's Portuguese strings).
//! [`localized_message`] renders any error the way the n8n node did.

#![allow(clippy::result_large_err)] // the crate-wide Error is large by design

use crate::prelude::*;

pub mod driver;
mod normalize;
mod num;
mod pager;
mod request;
mod response;
mod validate;

pub use normalize::{normalize_record, normalize_records};
pub use pager::{ListOptions, ListPage, ListPager, PagerStep};
pub use request::RecordOptions;
pub use response::WriteResult;
pub use validate::{clean_vat, is_valid_date, is_valid_email, localized_message};

use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::json::Json;
use crate::secret::Secret;

/// Which Perfex API module the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// WON API (`won_api`), fixed 2.1.1 profile.
    Won,
    /// Themesic "REST API for Perfex CRM" (`api`).
    Rest,
}

impl Profile {
    /// Parses `won` or `rest` (`themesic` is accepted for `rest`).
    pub fn parse(s: &str) -> Option<Profile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "won" => Some(Profile::Won),
            "rest" | "themesic" => Some(Profile::Rest),
            _ => None,
        }
    }
    /// `won` or `rest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Won => "won",
            Profile::Rest => "rest",
        }
    }
}

/// A Perfex resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Customers (WON table `clients`, REST `customers`; primary key `userid`).
    Customers,
    /// Contacts (belong to a customer: `userid` in WON, `customer_id` in REST).
    Contacts,
    /// Leads.
    Leads,
    /// Projects.
    Projects,
    /// Tasks.
    Tasks,
    /// Invoices.
    Invoices,
}

impl Resource {
    /// All resources.
    pub const ALL: [Resource; 6] = [
        Resource::Customers,
        Resource::Contacts,
        Resource::Leads,
        Resource::Projects,
        Resource::Tasks,
        Resource::Invoices,
    ];

    /// Parses a resource name: plural or singular, `clients`/`client` for customers.
    pub fn parse(s: &str) -> Option<Resource> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "customers" | "customer" | "clients" | "client" => Resource::Customers,
            "contacts" | "contact" => Resource::Contacts,
            "leads" | "lead" => Resource::Leads,
            "projects" | "project" => Resource::Projects,
            "tasks" | "task" => Resource::Tasks,
            "invoices" | "invoice" => Resource::Invoices,
            _ => return None,
        })
    }

    /// The name used in operation names and the API (`customers`, `contacts`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Customers => "customers",
            Resource::Contacts => "contacts",
            Resource::Leads => "leads",
            Resource::Projects => "projects",
            Resource::Tasks => "tasks",
            Resource::Invoices => "invoices",
        }
    }

    /// The path segment for a profile (`clients` in WON, `customers` in REST).
    pub fn segment(self, profile: Profile) -> &'static str {
        match (self, profile) {
            (Resource::Customers, Profile::Won) => "clients",
            _ => self.as_str(),
        }
    }

    /// The primary-key column (`userid` for customers, `id` otherwise).
    pub fn primary_key(self) -> &'static str {
        match self {
            Resource::Customers => "userid",
            _ => "id",
        }
    }
}

/// Language of client-side messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// Brazilian Portuguese, the seed n8n node's strings ("Email inválido", …).
    PtBr,
}

impl Locale {
    /// Parses `en` or `pt-BR` (also `pt`, `pt_br`).
    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Some(Locale::En),
            "pt" | "pt-br" => Some(Locale::PtBr),
            _ => None,
        }
    }
}

/// An operation, for error context (`customers.create`) and response interpretation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Paged list.
    List,
    /// Search.
    Search,
    /// One record.
    Get,
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// WON join by VAT.
    Join,
    /// REST post-create lookup.
    Lookup,
}

impl Op {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::List => "list",
            Op::Search => "search",
            Op::Get => "get",
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::Join => "join",
            Op::Lookup => "lookup",
        }
    }
    pub(crate) fn name(self, r: Resource) -> String {
        cat!(r.as_str(), ".", self.as_str())
    }
}

/// Connection settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Perfex base URL (`https://crm.example`, or with `/index.php` when the host has no URL
    /// rewriting). A trailing `/` is ignored.
    pub base_url: String,
    /// API module.
    pub profile: Profile,
    /// WON global token or REST JWT.
    pub token: Secret,
    /// Language of client-side messages.
    pub locale: Locale,
    /// Check customer `vat` as a Brazilian CPF/CNPJ (11 or 14 digits after stripping
    /// non-digits; the cleaned digits are sent). Default: on for WON, off for REST (whose
    /// installs hold any country's VAT numbers). `join_by_vat` always checks.
    pub check_vat_cpf_cnpj: bool,
    /// REST only: `Some(true)` = the server pages (v3 `page`/`per_page`), `Some(false)` = v2,
    /// page client-side, `None` = learn it from the first list answer (sends `page`/`per_page`;
    /// a v2 server ignores them and answers the whole bare array, which is then sliced).
    pub rest_server_paging: Option<bool>,
}

impl Config {
    /// Settings with the defaults described on each field.
    pub fn new(profile: Profile, base_url: impl Into<String>, token: impl Into<Secret>) -> Config {
        Config {
            base_url: base_url.into(),
            profile,
            token: token.into(),
            locale: Locale::En,
            check_vat_cpf_cnpj: profile == Profile::Won,
            rest_server_paging: None,
        }
    }
}

/// The Perfex protocol core: builds requests and parses responses; never performs I/O.
#[derive(Clone, Debug)]
pub struct Perfex {
    cfg: Config,
}

impl Perfex {
    /// A core for these settings. The token must not be empty.
    pub fn new(cfg: Config) -> Result<Perfex> {
        if cfg.token.expose().trim().is_empty() {
            return Err(Error::invalid_input(
                "token",
                validate::msg_token_empty(cfg.locale),
            ));
        }
        let b = cfg.base_url.trim();
        if !(b.starts_with("http://") || b.starts_with("https://")) {
            return Err(Error::invalid_input(
                "baseUrl",
                validate::msg_base_url(cfg.locale),
            ));
        }
        Ok(Perfex { cfg })
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.cfg.profile
    }

    /// GET one record. REST contacts need `opts.customer_id` (`/api/contacts/{customer}/{id}`);
    /// WON ignores it.
    pub fn get(&self, r: Resource, id: &str, opts: &RecordOptions) -> Result<HttpRequest> {
        request::get(&self.cfg, r, id, opts)
    }

    /// Create a record from a JSON object of fields (validated first, see module docs).
    pub fn create(&self, r: Resource, fields: &Json) -> Result<HttpRequest> {
        request::create(&self.cfg, r, fields)
    }

    /// Update a record from a JSON object of the changed fields.
    pub fn update(&self, r: Resource, id: &str, fields: &Json) -> Result<HttpRequest> {
        request::update(&self.cfg, r, id, fields)
    }

    /// Delete a record (REST: `DELETE /api/delete/{resource}/{id}`).
    pub fn delete(&self, r: Resource, id: &str) -> Result<HttpRequest> {
        request::delete(&self.cfg, r, id)
    }

    /// WON only: find one customer by VAT (CPF/CNPJ; non-digits stripped, 11 or 14 digits).
    /// REST answers `UNSUPPORTED`.
    pub fn join_by_vat(&self, vat: &str) -> Result<HttpRequest> {
        request::join(&self.cfg, vat)
    }

    /// A pager over a resource's records.
    pub fn list(&self, r: Resource, opts: ListOptions) -> Result<ListPager> {
        ListPager::new(&self.cfg, r, opts, None)
    }

    /// A pager over a search (WON: `search=` on the list; REST: `/api/{res}/search/{term}`).
    pub fn search(&self, r: Resource, term: &str, opts: ListOptions) -> Result<ListPager> {
        ListPager::new(&self.cfg, r, opts, Some(term))
    }

    /// A pager over one customer's contacts (REST `/api/contacts/{customer_id}`, active
    /// contacts only; WON: contacts filtered by `userid`).
    pub fn customer_contacts(&self, customer_id: &str, mut opts: ListOptions) -> Result<ListPager> {
        opts.customer_id = Some(customer_id.to_owned());
        ListPager::new(&self.cfg, Resource::Contacts, opts, None)
    }

    /// Parses a get or join answer into the record as sent.
    pub fn parse_record(&self, r: Resource, op: Op, resp: &HttpResponse) -> Result<Json> {
        response::parse_record(self.cfg.profile, r, op, resp)
    }

    /// Parses a create, update or delete answer.
    pub fn parse_write(&self, r: Resource, op: Op, resp: &HttpResponse) -> Result<WriteResult> {
        response::parse_write(self.cfg.profile, r, op, resp)
    }

    /// Parses one list or search answer as sent (REST v2: the whole array, unsliced).
    pub fn parse_list(&self, r: Resource, op: Op, resp: &HttpResponse) -> Result<ListPage> {
        response::parse_list(self.cfg.profile, r, op, resp)
    }

    /// REST only: after a successful create, a search request that finds the created record
    /// (the REST create answer carries no id). `None` for WON (the row is in the answer) or
    /// when `fields` has no usable key field.
    pub fn lookup_created(&self, r: Resource, fields: &Json) -> Option<HttpRequest> {
        request::lookup_created(&self.cfg, r, fields)
    }

    /// Picks the created record out of the [`Perfex::lookup_created`] answer: `None` when no
    /// row matches.
    pub fn pick_created(
        &self,
        r: Resource,
        fields: &Json,
        resp: &HttpResponse,
    ) -> Result<Option<Json>> {
        let page = response::parse_list(self.cfg.profile, r, Op::Lookup, resp)?;
        Ok(request::pick_created(r, fields, page.records))
    }
}

/// An `UNSUPPORTED` error for an operation a profile does not have.
pub(crate) fn unsupported(msg: &str, op: Op, r: Resource) -> Error {
    Error::new(ErrorCode::Unsupported, msg).with_operation(op.name(r))
}
