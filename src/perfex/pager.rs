//! The sans-IO list pager (WON server paging, REST v3 server paging, REST v2 client slicing).

use super::request::{self, base, collection_url, encode_segment};
use super::validate::{self, check_id, scalar_text};
use super::{normalize, response, Config, Op, Profile, Resource};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::json::Json;
use crate::prelude::*;
use alloc::collections::VecDeque;

/// Options of a list, search or customer-contacts call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Records per page: default 20, clamped to 1..=100 (the servers' maximum).
    pub page_size: Option<u32>,
    /// First page (1-based), default 1.
    pub start_page: Option<u32>,
    /// Stop after this many records in total.
    pub max_records: Option<usize>,
    /// Contacts of one customer (REST `/api/contacts/{id}`; WON filter `userid`).
    pub customer_id: Option<String>,
    /// Equality filters `column = value`. WON sends them as query parameters (the server
    /// applies its per-table whitelist); REST applies them client-side on the fetched rows.
    pub filters: Vec<(String, String)>,
}

/// One page of records, as the server sent them.
#[derive(Clone, Debug, PartialEq)]
pub struct ListPage {
    /// The rows (every column a string or null).
    pub records: Vec<Json>,
    /// 1-based page number.
    pub page: u32,
    /// Total number of matching records, when known.
    pub total: Option<u64>,
    /// True when another page follows.
    pub has_more: bool,
    /// True when the server paged (WON, REST v3), false for a REST v2 whole-list answer.
    pub server_paged: bool,
}

impl ListPage {
    pub(crate) fn empty(server_paged: bool) -> ListPage {
        ListPage {
            records: Vec::new(),
            page: 1,
            total: Some(0),
            has_more: false,
            server_paged,
        }
    }
    /// The rows as one JSON array text, for a host-side `JSON.parse`.
    pub fn raw_json(&self) -> String {
        let mut out = String::from("[");
        for (i, r) in self.records.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&r.to_json());
        }
        out.push(']');
        out
    }
    /// The rows in the normalised view (see the module docs), as one JSON array text.
    pub fn normalized_json(&self, r: Resource) -> String {
        Json::Arr(normalize::normalize_records(r, &self.records)).to_json()
    }
}

/// What the host does next.
#[derive(Clone, Debug, PartialEq)]
pub enum PagerStep {
    /// Send this request and pass the answer to [`ListPager::feed`].
    Send(HttpRequest),
    /// A page is ready without a request (client-side slicing of a whole-list answer).
    Page(ListPage),
    /// No more pages.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Won,
    /// REST, page/per_page sent; the first answer tells whether the server pages.
    RestProbe,
    /// REST v3 server paging.
    RestServer,
    /// REST, whole list fetched once, sliced here.
    RestClient,
}

/// A list in progress. Drive it with [`ListPager::step`] and [`ListPager::feed`].
#[derive(Clone, Debug)]
pub struct ListPager {
    cfg: Config,
    resource: Resource,
    op: Op,
    url: String,
    query: Vec<(String, String)>,
    client_filters: Vec<(String, String)>,
    page_size: usize,
    page: u32,
    max: Option<usize>,
    delivered: usize,
    mode: Mode,
    buffer: Option<VecDeque<Json>>,
    total: Option<u64>,
    learned: Option<bool>,
    done: bool,
}

fn is_column_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl ListPager {
    pub(crate) fn new(
        cfg: &Config,
        r: Resource,
        opts: ListOptions,
        search: Option<&str>,
    ) -> Result<ListPager> {
        let l = cfg.locale;
        let op = if search.is_some() {
            Op::Search
        } else {
            Op::List
        };
        let fail = |e: Error| e.with_operation(op.name(r));
        let page_size = opts.page_size.unwrap_or(20).clamp(1, 100) as usize;
        let start = opts.start_page.unwrap_or(1).max(1);
        for (k, _) in &opts.filters {
            if !is_column_name(k) {
                return Err(fail(Error::invalid_input(
                    "filters",
                    validate::msg_filters_value(l),
                )));
            }
        }
        let customer = match opts.customer_id.as_deref() {
            Some(c) if !c.trim().is_empty() => Some(check_id(l, "customer_id", c).map_err(fail)?),
            _ => None,
        };
        let term = match search {
            Some(t) => {
                let t = t.trim();
                if t.chars().count() < 2 {
                    return Err(fail(Error::invalid_input(
                        "search",
                        validate::msg_search_short(l),
                    )));
                }
                Some(t.to_owned())
            }
            None => None,
        };
        let mut query = Vec::new();
        let mut client_filters = Vec::new();
        let (url, mode) = match cfg.profile {
            Profile::Won => {
                if let Some(t) = &term {
                    query.push(("search".to_owned(), t.clone()));
                }
                if let (Some(c), Resource::Contacts) = (&customer, r) {
                    query.push(("userid".to_owned(), c.clone()));
                }
                query.extend(opts.filters.iter().cloned());
                (collection_url(cfg, r), Mode::Won)
            }
            Profile::Rest => {
                client_filters = opts.filters.clone();
                let url = match (&term, r, &customer) {
                    (Some(t), _, _) => cat!(
                        base(cfg),
                        "/api/",
                        r.segment(Profile::Rest),
                        "/search/",
                        encode_segment(t)
                    ),
                    (None, Resource::Contacts, Some(c)) => {
                        cat!(base(cfg), "/api/contacts/", c)
                    }
                    (None, Resource::Contacts, None) => {
                        return Err(fail(Error::invalid_input(
                            "customer_id",
                            validate::msg_contacts_need_customer(l),
                        )));
                    }
                    (None, _, _) => collection_url(cfg, r),
                };
                // search and per-customer contacts are unpaged; so is a client-filtered list
                let pageable =
                    term.is_none() && r != Resource::Contacts && client_filters.is_empty();
                let mode = match (pageable, cfg.rest_server_paging) {
                    (false, _) | (true, Some(false)) => Mode::RestClient,
                    (true, Some(true)) => Mode::RestServer,
                    (true, None) => Mode::RestProbe,
                };
                if customer.is_some() && r != Resource::Contacts {
                    client_filters
                        .push(("clientid".to_owned(), customer.clone().unwrap_or_default()));
                }
                (url, mode)
            }
        };
        Ok(ListPager {
            cfg: cfg.clone(),
            resource: r,
            op,
            url,
            query,
            client_filters,
            page_size,
            page: start,
            max: opts.max_records,
            delivered: 0,
            mode,
            buffer: None,
            total: None,
            learned: None,
            done: opts.max_records == Some(0),
        })
    }

    /// REST: whether the server paged (`Some(true)`, v3), did not (`Some(false)`, v2), or is
    /// not known yet. Hosts may keep it in [`super::Config::rest_server_paging`].
    pub fn server_paging(&self) -> Option<bool> {
        match self.mode {
            Mode::RestServer if self.cfg.rest_server_paging == Some(true) => Some(true),
            Mode::RestClient if self.cfg.rest_server_paging == Some(false) => Some(false),
            _ => self.learned,
        }
    }

    /// True when no page is left.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Total number of matching records, once known.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// The next thing to do: send a request, take a buffered page, or stop.
    pub fn step(&mut self) -> PagerStep {
        if self.done {
            return PagerStep::Done;
        }
        if self.buffer.is_some() {
            let page = self.take_slice();
            return if page.records.is_empty() && !page.has_more {
                PagerStep::Done
            } else {
                PagerStep::Page(page)
            };
        }
        PagerStep::Send(self.build())
    }

    fn build(&self) -> HttpRequest {
        let mut q: Vec<(String, String)> = self.query.clone();
        match self.mode {
            Mode::Won => {
                q.push(("page".into(), self.page.text()));
                q.push(("limit".into(), self.page_size.text()));
            }
            Mode::RestProbe | Mode::RestServer => {
                q.push(("page".into(), self.page.text()));
                q.push(("per_page".into(), self.page_size.text()));
            }
            Mode::RestClient => {}
        }
        let mut url = self.url.clone();
        if !q.is_empty() {
            let refs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            url.push('?');
            url.push_str(&crate::encode::form_encode(&refs));
        }
        request::request(&self.cfg, Method::Get, url, None)
    }

    fn cap(&mut self, records: &mut Vec<Json>) {
        if let Some(max) = self.max {
            let room = max.saturating_sub(self.delivered);
            records.truncate(room);
            if self.delivered + records.len() >= max {
                self.done = true;
            }
        }
        self.delivered += records.len();
    }

    fn matches_filters(&self, rec: &Json) -> bool {
        self.client_filters.iter().all(|(k, v)| {
            rec.get(k)
                .and_then(scalar_text)
                .is_some_and(|have| have.trim() == v.trim())
        })
    }

    fn take_slice(&mut self) -> ListPage {
        let buf = self.buffer.get_or_insert_with(VecDeque::new);
        let n = self.page_size.min(buf.len());
        let mut records: Vec<Json> = buf.drain(..n).collect();
        let more = !buf.is_empty();
        let page = self.page;
        self.page += 1;
        self.cap(&mut records);
        if !more {
            self.done = true;
        }
        ListPage {
            records,
            page,
            total: self.total,
            has_more: more && !self.done,
            server_paged: false,
        }
    }

    /// Takes the answer to the last [`PagerStep::Send`] and returns its page. An error leaves
    /// the pager where it was, so the same request can be repeated.
    pub fn feed(&mut self, resp: &HttpResponse) -> Result<ListPage> {
        let mut page = response::parse_list(self.cfg.profile, self.resource, self.op, resp)?;
        match (self.mode, page.server_paged) {
            (Mode::Won, _) | (Mode::RestServer | Mode::RestProbe, true) => {
                if self.mode == Mode::RestProbe {
                    self.mode = Mode::RestServer;
                    self.learned = Some(true);
                }
                if page.total.is_some() {
                    self.total = page.total;
                }
                let len = page.records.len();
                page.page = self.page;
                // Stop on a short or empty page even when the server's meta says more.
                let more = len > 0
                    && len >= self.page_size.min(100)
                    && (page.has_more || page.total.is_none());
                let more = match page.total {
                    Some(t) => more && (u64::from(self.page) * self.page_size as u64) < t,
                    None => more,
                };
                self.page += 1;
                self.cap(&mut page.records);
                if !more {
                    self.done = true;
                }
                page.has_more = more && !self.done;
                Ok(page)
            }
            (Mode::RestProbe | Mode::RestClient | Mode::RestServer, false) => {
                if matches!(self.mode, Mode::RestProbe | Mode::RestServer) {
                    self.learned = Some(false);
                }
                self.mode = Mode::RestClient;
                let all: VecDeque<Json> = page
                    .records
                    .into_iter()
                    .filter(|r| self.matches_filters(r))
                    .collect();
                self.total = Some(all.len() as u64);
                // a later start page skips the slices before it
                let skip = (self.page.saturating_sub(1) as usize)
                    .saturating_mul(self.page_size)
                    .min(all.len());
                let mut all = all;
                all.drain(..skip);
                self.buffer = Some(all);
                Ok(self.take_slice())
            }
            (Mode::RestClient, true) => {
                // a v3 server that pages even without page params: keep what came
                self.total = page.total;
                self.done = true;
                self.cap(&mut page.records);
                page.has_more = false;
                Ok(page)
            }
        }
    }
}
