//! The Perfex driver: every client operation as a sans-IO exchange of [`Step`]s (see
//! [`crate::step`]), so that the host runs the same loop for Perfex as for Vtiger.
//!
//! It owns what the host used to decide: GET retries after a network failure or a gateway
//! status (never a POST, PUT or DELETE), redirects ([`crate::step::Transfer`]), the REST
//! post-create lookup (a create whose answer has no row is followed by a search for the
//! created record; a failure of that lookup never turns the create into a failure: it is
//! reported in `lookupError`), paging (server paging, or slices of a whole-list answer), and
//! the record view (as sent, or normalised).
//!
//! Every answer goes to the driver ([`Read::Core`]).

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::{
    normalize_record, ListOptions, ListPage, ListPager, Op, PagerStep, Perfex, RecordOptions,
    Resource, WriteResult,
};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::json::{self, Json};
use crate::step::{unknown_exchange, Checked, Read, RetryPolicy, Slab, Step, Transfer, Value};

/// An exchange's id.
pub type ExchangeId = u32;

/// What a list exchange reads.
#[derive(Clone, Debug, Default)]
pub struct ListRequest {
    /// A search term (`None`: the whole list).
    pub term: Option<String>,
    /// The contacts of this customer (the resource is then `contacts`).
    pub contacts_of: Option<String>,
    /// Page size, first page, cap and filters.
    pub options: ListOptions,
    /// Records in the normalised view.
    pub normalize: bool,
}

#[derive(Debug)]
enum Task {
    /// `get` or `join`: the record.
    Record {
        r: Resource,
        op: Op,
        normalize: bool,
    },
    /// `create`, `update`, `delete`; a REST create then looks the record up.
    Write {
        r: Resource,
        op: Op,
        fields: Json,
        normalize: bool,
        /// The write's answer, while its lookup runs.
        done: Option<WriteResult>,
    },
    /// A list, search or customer's contacts.
    Pages {
        pager: Box<ListPager>,
        r: Resource,
        op: String,
        normalize: bool,
    },
}

#[derive(Debug)]
enum State {
    Next,
    Sent(Transfer),
    Retry(Transfer),
}

#[derive(Debug)]
struct Exchange {
    task: Task,
    state: State,
}

/// The Perfex driver (see the module docs).
#[derive(Debug)]
pub struct Driver {
    px: Perfex,
    retry: RetryPolicy,
    exchanges: Slab<Exchange>,
}

fn op_name(r: Resource, op: Op) -> String {
    op.name(r)
}

impl Driver {
    /// A driver for one Perfex server (settings validated by [`Perfex::new`]).
    pub fn new(px: Perfex, retry: RetryPolicy) -> Driver {
        Driver {
            px,
            retry,
            exchanges: Slab::default(),
        }
    }

    /// The protocol core.
    pub fn core(&self) -> &Perfex {
        &self.px
    }

    /// Exchanges in progress.
    pub fn in_flight(&self) -> usize {
        self.exchanges.len()
    }

    fn begin(&mut self, task: Task, first: Option<(String, HttpRequest)>) -> (ExchangeId, Step) {
        let id = self.exchanges.insert(Exchange {
            task,
            state: State::Next,
        });
        let step = match first {
            Some((op, req)) => self.send(id, op, req),
            None => self.advance(id).unwrap_or(Step::Done(Value::Nothing)),
        };
        (id, step)
    }

    fn send(&mut self, id: ExchangeId, op: String, req: HttpRequest) -> Step {
        let t = Transfer::new(op, req, Read::Core);
        let step = t.send();
        if let Some(ex) = self.exchanges.get_mut(id) {
            ex.state = State::Sent(t);
        }
        step
    }

    /// `get`: one record (`customer_id` for REST contacts). RECORD_NOT_FOUND when absent.
    pub fn start_get(
        &mut self,
        r: Resource,
        id: &str,
        customer_id: Option<String>,
        normalize: bool,
    ) -> Result<(ExchangeId, Step)> {
        let req = self.px.get(r, id, &RecordOptions { customer_id })?;
        let task = Task::Record {
            r,
            op: Op::Get,
            normalize,
        };
        Ok(self.begin(task, Some((op_name(r, Op::Get), req))))
    }

    /// WON only: the customer whose VAT matches.
    pub fn start_join(&mut self, vat: &str, normalize: bool) -> Result<(ExchangeId, Step)> {
        let r = Resource::Customers;
        let req = self.px.join_by_vat(vat)?;
        let task = Task::Record {
            r,
            op: Op::Join,
            normalize,
        };
        Ok(self.begin(task, Some((op_name(r, Op::Join), req))))
    }

    /// `create` (`fields_json`: a JSON object). The result is `{message, id?, record?,
    /// lookupError?}` as JSON text; `lookupError` is an error object
    /// (`{code, message, status?, operation?, …}`).
    pub fn start_create(
        &mut self,
        r: Resource,
        fields_json: &str,
        normalize: bool,
    ) -> Result<(ExchangeId, Step)> {
        let fields = parse_fields(fields_json, r, Op::Create)?;
        let req = self.px.create(r, &fields)?;
        Ok(self.write(r, Op::Create, fields, normalize, req))
    }

    /// `update` of the given fields.
    pub fn start_update(
        &mut self,
        r: Resource,
        id: &str,
        fields_json: &str,
        normalize: bool,
    ) -> Result<(ExchangeId, Step)> {
        let fields = parse_fields(fields_json, r, Op::Update)?;
        let req = self.px.update(r, id, &fields)?;
        Ok(self.write(r, Op::Update, fields, normalize, req))
    }

    /// `delete`.
    pub fn start_delete(&mut self, r: Resource, id: &str) -> Result<(ExchangeId, Step)> {
        let req = self.px.delete(r, id)?;
        Ok(self.write(r, Op::Delete, Json::Null, false, req))
    }

    fn write(
        &mut self,
        r: Resource,
        op: Op,
        fields: Json,
        normalize: bool,
        req: HttpRequest,
    ) -> (ExchangeId, Step) {
        let task = Task::Write {
            r,
            op,
            fields,
            normalize,
            done: None,
        };
        self.begin(task, Some((op_name(r, op), req)))
    }

    /// A list, a search (`term`) or a customer's contacts (`contacts_of`): yields each page
    /// (a JSON array text), then ends.
    pub fn start_list(&mut self, r: Resource, l: ListRequest) -> Result<(ExchangeId, Step)> {
        let (pager, r) = match (&l.contacts_of, &l.term) {
            (Some(c), _) => (self.px.customer_contacts(c, l.options)?, Resource::Contacts),
            (None, Some(t)) => (self.px.search(r, t, l.options)?, r),
            (None, None) => (self.px.list(r, l.options)?, r),
        };
        let op = if l.term.is_some() && l.contacts_of.is_none() {
            Op::Search
        } else {
            Op::List
        };
        let task = Task::Pages {
            pager: Box::new(pager),
            r,
            op: op_name(r, op),
            normalize: l.normalize,
        };
        let (id, step) = self.begin(task, None);
        // An exchange that ended at once (`maxRecords: 0`) is already gone.
        Ok((id, step))
    }

    /// Continues an exchange after [`Step::Sleep`] or [`Step::Yield`].
    pub fn resume(&mut self, id: ExchangeId) -> Result<Step> {
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        match core::mem::replace(&mut ex.state, State::Next) {
            State::Retry(t) => {
                let step = t.send();
                ex.state = State::Sent(t);
                Ok(step)
            }
            State::Next => self.advance(id),
            State::Sent(t) => {
                ex.state = State::Sent(t);
                Err(unknown_exchange())
            }
        }
    }

    /// The answer to the last [`Step::Send`] (`location`: its `Location` header).
    pub fn handle(
        &mut self,
        id: ExchangeId,
        resp: &HttpResponse,
        location: Option<&str>,
    ) -> Result<Step> {
        let retry = self.retry;
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        let mut t = match core::mem::replace(&mut ex.state, State::Next) {
            State::Sent(t) => t,
            other => {
                ex.state = other;
                return Err(unknown_exchange());
            }
        };
        let checked = t.check(resp, location, &retry);
        match checked {
            Ok(Checked::Again(step)) => {
                ex.state = if matches!(step, Step::Sleep(_)) {
                    State::Retry(t)
                } else {
                    State::Sent(t)
                };
                Ok(step)
            }
            Ok(Checked::Answer) => self.answer(id, resp),
            Err(e) => self.failed(id, e),
        }
    }

    /// The last request failed in transport: `Ok(Step::Sleep)` to retry a GET, a final
    /// step for a failed post-create lookup (reported in `lookupError`), or `Err(error)`.
    pub fn fail(&mut self, id: ExchangeId, error: Error) -> Result<Step> {
        let retry = self.retry;
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        if let State::Sent(t) = &mut ex.state {
            let error = match error.operation {
                Some(_) => error,
                None => error.with_operation(t.operation.clone()),
            };
            if let Some(ms) = t.failed(&error, &retry) {
                if let State::Sent(t) = core::mem::replace(&mut ex.state, State::Next) {
                    ex.state = State::Retry(t);
                }
                return Ok(Step::Sleep(ms));
            }
            return self.failed(id, error);
        }
        self.failed(id, error)
    }

    /// The host abandons an exchange.
    pub fn close(&mut self, id: ExchangeId) {
        self.exchanges.remove(id);
    }

    /// An exchange's request failed for good: a lookup failure ends the create with
    /// `lookupError`; anything else is the exchange's error.
    fn failed(&mut self, id: ExchangeId, e: Error) -> Result<Step> {
        let ex = self.exchanges.remove(id).ok_or_else(unknown_exchange)?;
        if let Task::Write {
            r,
            normalize,
            done: Some(w),
            ..
        } = ex.task
        {
            return Ok(Step::Done(Value::Text(write_text(
                r,
                &w,
                normalize,
                Some(&e),
            ))));
        }
        Err(e)
    }

    fn answer(&mut self, id: ExchangeId, resp: &HttpResponse) -> Result<Step> {
        let px = &self.px;
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        let step: Result<Option<Step>> = match &mut ex.task {
            Task::Record { r, op, normalize } => px
                .parse_record(*r, *op, resp)
                .map(|rec| Some(Step::Done(Value::Text(record_text(*r, &rec, *normalize))))),
            Task::Write {
                r,
                op,
                fields,
                normalize,
                done,
            } => match done.take() {
                // The lookup's answer.
                Some(mut w) => match px.pick_created(*r, fields, resp) {
                    Ok(Some(rec)) => {
                        if w.id.is_none() {
                            w.id = ["id", "userid"].iter().find_map(|k| match rec.get(k) {
                                Some(Json::Str(s)) => Some(s.clone()),
                                Some(n @ Json::Num(_)) => Some(n.to_json()),
                                _ => None,
                            });
                        }
                        w.record = Some(rec);
                        Ok(Some(Step::Done(Value::Text(write_text(
                            *r, &w, *normalize, None,
                        )))))
                    }
                    Ok(None) => Ok(Some(Step::Done(Value::Text(write_text(
                        *r, &w, *normalize, None,
                    ))))),
                    Err(e) => Ok(Some(Step::Done(Value::Text(write_text(
                        *r,
                        &w,
                        *normalize,
                        Some(&e),
                    ))))),
                },
                None => px.parse_write(*r, *op, resp).map(|w| {
                    let lookup = if *op == Op::Create && w.record.is_none() {
                        px.lookup_created(*r, fields)
                    } else {
                        None
                    };
                    match lookup {
                        Some(req) => {
                            let t = Transfer::new(op_name(*r, Op::Lookup), req, Read::Core);
                            let step = t.send();
                            *done = Some(w);
                            ex.state = State::Sent(t);
                            Some(step)
                        }
                        None => {
                            let n = *normalize && *op != Op::Delete;
                            Some(Step::Done(Value::Text(write_text(*r, &w, n, None))))
                        }
                    }
                }),
            },
            Task::Pages {
                pager,
                r,
                normalize,
                ..
            } => pager
                .feed(resp)
                .map(|page| Some(Step::Yield(Value::Text(page_text(*r, &page, *normalize))))),
        };
        match step {
            Ok(Some(step @ Step::Done(_))) => {
                self.exchanges.remove(id);
                Ok(step)
            }
            Ok(Some(step)) => Ok(step),
            Ok(None) => self.advance(id),
            Err(e) => {
                self.exchanges.remove(id);
                Err(e)
            }
        }
    }

    /// The next step of a list: send the next page's request, hand out a buffered page, or
    /// end (learning the REST paging mode on the way).
    fn advance(&mut self, id: ExchangeId) -> Result<Step> {
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        let Task::Pages {
            pager,
            r,
            op,
            normalize,
        } = &mut ex.task
        else {
            return Err(unknown_exchange());
        };
        let (r, normalize, op) = (*r, *normalize, op.clone());
        match pager.step() {
            PagerStep::Send(req) => Ok(self.send(id, op, req)),
            PagerStep::Page(p) => Ok(Step::Yield(Value::Text(page_text(r, &p, normalize)))),
            PagerStep::Done => {
                self.exchanges.remove(id);
                Ok(Step::Done(Value::Nothing))
            }
        }
    }
}

fn parse_fields(text: &str, r: Resource, op: Op) -> Result<Json> {
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

fn page_text(r: Resource, p: &ListPage, normalize: bool) -> String {
    if normalize {
        p.normalized_json(r)
    } else {
        p.raw_json()
    }
}

/// `{"message":…,"id":…?,"record":…?,"lookupError":{…}?}`
fn write_text(r: Resource, w: &WriteResult, normalize: bool, lookup: Option<&Error>) -> String {
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
    if let Some(e) = lookup {
        out.push_str(",\"lookupError\":");
        out.push_str(&crate::error::error_json(e));
    }
    out.push('}');
    out
}
