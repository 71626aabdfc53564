//! The driver's record writes and file reads: `create`/`update`/`revise` with the field check
//! ([`crate::vtiger::fields`]) and file uploads, `describe` served from a per-client cache,
//! `filesRetrieve` resolving a record id to its attachments, and `logout` reporting instead
//! of failing. A child of [`super`]: it reads the driver's private state.
//!
//! * **One describe per module per client.** The describes a check needs are fetched by the
//!   exchange that needs them and kept for the client's life; `describe()` is served from the
//!   same cache. An exchange that needs a describe another exchange has on the wire waits for
//!   it ([`Step::Wait`], woken when it settles) instead of sending a second one.
//! * **The module of an update or revise** is the one whose describe has the id's prefix. A
//!   prefix no cached describe has is looked up by describing the stock module of that prefix
//!   (one request on a stock install), else the entity modules of `listtypes` one by one
//!   (once per client: each describe is cached). A prefix no module has is remembered and
//!   its records are sent unchecked (the server then answers for the id).
//! * **A write's request** is built once the describe it needs is there (never before:
//!   nothing is sent when the check refuses), and kept, so that the repeat after a session
//!   expiry sends the same request. With a file it goes out as multipart
//!   ([`ops::multipart_request`]); the host inserts the file's bytes.
//! * **filesRetrieve** (live findings F, recordings 937/938: `files_retrieve` wants the
//!   attachment id, the record's `imageattachmentids`, and answers RECORD_NOT_FOUND for the
//!   record's own id): `retrieve` the id first; a record yields the files of its
//!   `imageattachmentids` (none: no files); an id `retrieve` refuses (ACCESS_DENIED,
//!   RECORD_NOT_FOUND, INVALID_ID: an attachment id is not a record) is sent to
//!   `files_retrieve` as is. Each `files_retrieve` answer is yielded as
//!   `[{"id","name","type","size","data"}]`, where `data` is the `[start, end)` byte range of
//!   the base64 contents in that answer's body (the host decodes them from the body it holds:
//!   the contents are not copied through the core), or the base64 text itself when the body
//!   needed rewriting (a BOM, raw control characters, invalid UTF-8).

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::{Driver, ExchangeId, Plan, Task};
use crate::error::{error_json, Error, ErrorCode, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::step::{Read, Step, Value};
use crate::vtiger::envelope;
use crate::vtiger::fields::{self, DateValue, Upload, WriteKind};
use crate::vtiger::ops::{self, Call, ElementInput};
use crate::vtiger::results::{self, ModuleInfo};
use crate::vtiger::WsId;

/// The `Waiting` number of an exchange waiting for another exchange's describe (no login has
/// it: a resume re-plans the exchange).
pub(super) const AWAIT_DESCRIBE: u64 = u64::MAX;

/// The file part's name: Documents keep their file in the field `filename` (type `file`).
const FILE_PART: &str = "filename";

/// Module metadata learned by the driver.
#[derive(Debug, Default)]
pub(super) struct Meta {
    /// Describes fetched, kept for the client's life.
    described: Vec<ModuleInfo>,
    /// Modules whose describe failed while looking for a prefix (not tried again for that).
    failed: Vec<String>,
    /// Describes on the wire: the module and the exchange that sent it.
    describing: Vec<(String, ExchangeId)>,
    /// The entity modules of `listtypes` (fetched once, to look a prefix up).
    types: Option<Vec<String>>,
    /// Prefixes no module has.
    unknown_prefixes: Vec<u32>,
}

impl Meta {
    fn get(&self, module: &str) -> Option<&ModuleInfo> {
        self.described.iter().find(|m| m.name == module)
    }
    fn by_prefix(&self, prefix: u32) -> Option<&str> {
        self.described
            .iter()
            .find(|m| m.id_prefix == prefix)
            .map(|m| m.name.as_str())
    }
    fn known(&self, module: &str) -> bool {
        self.get(module).is_some() || self.failed.iter().any(|f| f == module)
    }
    /// Describes learned so far (a session pool shares new ones: driver/shared.rs).
    pub(super) fn described_count(&self) -> usize {
        self.described.len()
    }
    /// Takes what `from` learned and this lacks: describes, the entity-module list, prefixes
    /// no module has (the sessions of a pool are one user on one server).
    pub(super) fn adopt(&mut self, from: &Meta) {
        for m in &from.described {
            if self.get(&m.name).is_none() {
                self.described.push(m.clone());
            }
        }
        if self.types.is_none() {
            self.types.clone_from(&from.types);
        }
        for p in &from.unknown_prefixes {
            if !self.unknown_prefixes.contains(p) {
                self.unknown_prefixes.push(*p);
            }
        }
    }
}

/// The stock module of a webservice id prefix (the same on every stock 8.x install: the
/// installer fills `vtiger_ws_entity` in a fixed order; recordings 100–134). Only a guess: it
/// is checked against the describe's `idPrefix`.
fn stock_module(prefix: u32) -> Option<&'static str> {
    const STOCK: [&str; 36] = [
        "",
        "Campaigns",
        "Vendors",
        "Faq",
        "Quotes",
        "PurchaseOrder",
        "SalesOrder",
        "Invoice",
        "PriceBooks",
        "Calendar",
        "Leads",
        "Accounts",
        "Contacts",
        "Potentials",
        "Products",
        "Documents",
        "Emails",
        "HelpDesk",
        "Events",
        "Users",
        "Groups",
        "Currency",
        "DocumentFolders",
        "CompanyDetails",
        "PBXManager",
        "ServiceContracts",
        "Services",
        "ProjectMilestone",
        "ProjectTask",
        "Project",
        "ModComments",
        "SMSNotifier",
        "Assets",
        "LineItem",
        "Tax",
        "ProductTaxes",
    ];
    STOCK
        .get(prefix as usize)
        .copied()
        .filter(|m| !m.is_empty())
}

/// A create, update or revise.
#[derive(Debug)]
pub struct WriteRun {
    kind: WriteKind,
    module: Option<String>,
    /// The module is known (or known to be unknown: sent unchecked).
    resolved: bool,
    element: ElementInput,
    dates: Vec<DateValue>,
    file: Option<Upload>,
    /// The describe on the wire is a guess or a candidate (its failure is not the write's).
    probing: bool,
    /// The request, once checked and built.
    ready: Option<Call>,
}

impl WriteRun {
    /// A write of `element` (`module`: the create's module; for update and revise the
    /// module of the element's `id`). `dates` are the element's JS Dates (their values in
    /// the element are replaced); `file` the file content to send with it.
    pub fn new(
        kind: WriteKind,
        module: Option<&str>,
        element: ElementInput,
        dates: Vec<DateValue>,
        file: Option<Upload>,
    ) -> Result<WriteRun> {
        // What the request builder refuses (4-byte characters, `\uXXXX` text, a missing id, a
        // bad module name) is refused now, before any describe is sent.
        match kind {
            WriteKind::Create => ops::check_write("create", Some(module.unwrap_or("")), &element)?,
            WriteKind::Update => ops::check_write("update", None, &element)?,
            WriteKind::Revise => ops::check_write("revise", None, &element)?,
        }
        Ok(WriteRun {
            kind,
            module: module.map(str::to_owned),
            resolved: kind == WriteKind::Create,
            element,
            dates,
            file,
            probing: false,
            ready: None,
        })
    }

    fn op(&self) -> &'static str {
        match self.kind {
            WriteKind::Create => "create",
            WriteKind::Update => "update",
            WriteKind::Revise => "revise",
        }
    }
}

/// `filesRetrieve`.
#[derive(Debug)]
pub(super) struct FilesRun {
    id: WsId,
    /// The attachment ids to fetch (`None`: the record is not retrieved yet).
    files: Option<Vec<String>>,
    next: usize,
}

/// What an answer taught an exchange.
pub(super) enum Learned {
    Step(Step),
    Next,
    Described(ModuleInfo),
    Failed,
    Types(Vec<String>),
}

impl Driver {
    /// `create`/`update`/`revise` with the field check and file content (see the module
    /// docs). The result is the server's record (the host may parse it: [`Read::Clean`];
    /// with a file the answer goes to the driver).
    pub fn start_write(&mut self, run: WriteRun) -> Result<(ExchangeId, Step)> {
        let op = run.op();
        self.begin(Task::Write(Box::new(run)))
            .map_err(|e| e.with_operation(op))
    }

    /// `describe`: the module's describe as JSON text, from the client's cache (fetched once).
    pub fn start_describe(&mut self, module: &str) -> Result<(ExchangeId, Step)> {
        ops::validate_module(module, "elementType").map_err(|e| e.with_operation("describe"))?;
        self.begin(Task::Describe(module.to_owned()))
    }

    /// `filesRetrieve`: yields the files of a record (or of an attachment id) as described in
    /// the module docs, then ends with nothing.
    pub fn start_files(&mut self, id: &str) -> Result<(ExchangeId, Step)> {
        let id = WsId::parse_field(id, "id").map_err(|e| e.with_operation("files_retrieve"))?;
        self.begin(Task::Files(Box::new(FilesRun {
            id,
            files: None,
            next: 0,
        })))
    }

    /// The cached describe of a module, if fetched.
    pub fn module_info(&self, module: &str) -> Option<&ModuleInfo> {
        self.meta.get(module)
    }

    /// The next request of a write, describe or files exchange.
    #[inline(never)]
    pub(super) fn plan_records(&mut self, id: ExchangeId) -> Plan {
        match self.plan_inner(id) {
            Ok(p) => p,
            Err(e) => Plan::Fail(e),
        }
    }

    fn plan_inner(&mut self, id: ExchangeId) -> Result<Plan> {
        let check = self.cfg.check_fields;
        let ex = self
            .exchanges
            .get_mut(id)
            .ok_or_else(super::unknown_exchange)?;
        match &mut ex.task {
            Task::Describe(m) => {
                let m = m.clone();
                match self.meta.get(&m) {
                    Some(info) => Ok(Plan::Done(Value::Text(info.raw.to_json()))),
                    None => Ok(self.describe_plan(id, &m)),
                }
            }
            Task::Files(f) => Ok(match &f.files {
                None => Plan::Send(ops::retrieve(f.id), Read::Core),
                Some(list) => match list.get(f.next) {
                    Some(a) => Plan::Send(ops::files_retrieve(a)?, Read::Core),
                    None => Plan::Done(Value::Nothing),
                },
            }),
            Task::Write(_) => loop {
                let meta = &mut self.meta;
                let Some(Task::Write(w)) = self.exchanges.get_mut(id).map(|x| &mut x.task) else {
                    return Err(super::unknown_exchange());
                };
                w.probing = false;
                if let Some(call) = &w.ready {
                    return Ok(match &w.file {
                        Some(f) => Plan::Upload(call.clone(), f.clone()),
                        None => Plan::Send(call.clone(), Read::Clean),
                    });
                }
                let needs = check || !w.dates.is_empty();
                if !w.resolved {
                    let prefix = match w.element.get("id").and_then(Json::as_str) {
                        Some(s) => WsId::parse_field(s, "id").ok().map(|i| i.prefix),
                        None => None,
                    };
                    let Some(prefix) = prefix.filter(|_| needs || w.file.is_some()) else {
                        w.resolved = true;
                        continue;
                    };
                    if let Some(m) = meta.by_prefix(prefix) {
                        w.module = Some(m.to_owned());
                        w.resolved = true;
                        continue;
                    }
                    if meta.unknown_prefixes.contains(&prefix) {
                        w.resolved = true;
                        continue;
                    }
                    w.probing = true;
                    if let Some(g) = stock_module(prefix).filter(|g| !meta.known(g)) {
                        return Ok(self.describe_plan(id, g));
                    }
                    let Some(types) = &meta.types else {
                        return Ok(Plan::Send(ops::listtypes(None), Read::Core));
                    };
                    if let Some(c) = types.iter().find(|t| !meta.known(t)).cloned() {
                        return Ok(self.describe_plan(id, &c));
                    }
                    meta.unknown_prefixes.push(prefix);
                    w.resolved = true;
                    continue;
                }
                let info = w.module.as_deref().and_then(|m| meta.get(m));
                if needs && info.is_none() {
                    if let Some(m) = w.module.clone() {
                        return Ok(self.describe_plan(id, &m));
                    }
                }
                fields::prepare(
                    &mut w.element,
                    w.kind,
                    w.module.as_deref(),
                    info,
                    check,
                    &w.dates,
                    w.file.as_ref(),
                )
                .map_err(|e| e.with_operation(w.op()))?;
                w.ready = Some(match (w.kind, &w.module) {
                    (WriteKind::Create, Some(m)) => ops::create(m, &w.element)?,
                    (WriteKind::Update, _) => ops::update(&w.element)?,
                    _ => ops::revise(&w.element)?,
                });
            },
            _ => Err(super::unknown_exchange()),
        }
    }

    /// The multipart request of a write with a file, and where the host inserts the bytes.
    #[inline(never)]
    pub(super) fn upload_request(
        &mut self,
        call: &Call,
        file: &Upload,
    ) -> Result<(crate::http::HttpRequest, usize)> {
        let (session, token) = match &self.cfg.auth {
            super::Auth::Login { .. } => (self.session.as_ref(), None),
            super::Auth::Proxy { token } => (None, token.as_ref()),
        };
        let mut c = call.clone();
        c.needs_session &= token.is_none() && !self.is_proxy();
        let (mut r, at) = ops::multipart_request(
            &c,
            &self.cfg.endpoint,
            session,
            FILE_PART,
            file,
            &mut self.rng,
        )?;
        if let Some(t) = token {
            r.headers
                .push(("Authorization".to_owned(), cat!("Bearer ", t.expose())));
        }
        Ok((r, at))
    }

    /// Sends the describe of `module`, or waits for the one another exchange has on the wire.
    fn describe_plan(&mut self, id: ExchangeId, module: &str) -> Plan {
        let busy = self
            .meta
            .describing
            .iter()
            .any(|(m, lead)| m == module && *lead != id && self.exchanges.get(*lead).is_some());
        if busy {
            return Plan::Wait;
        }
        match ops::describe(module) {
            Ok(c) => {
                self.meta.describing.retain(|(_, lead)| *lead != id);
                self.meta.describing.push((module.to_owned(), id));
                Plan::Send(c, Read::Core)
            }
            Err(e) => Plan::Fail(e),
        }
    }

    /// Ends the describe exchange `id` leads, if any (its waiters are woken); returns its
    /// module.
    pub(super) fn end_describe_lead(&mut self, id: ExchangeId) -> Option<String> {
        let at = self
            .meta
            .describing
            .iter()
            .position(|(_, lead)| *lead == id)?;
        self.wake = true;
        Some(self.meta.describing.remove(at).0)
    }

    /// Stores what an answer taught (after the exchange's borrow ended); `led` is the
    /// module of the describe the exchange had on the wire.
    #[inline(never)]
    pub(super) fn learn(&mut self, l: Learned, led: Option<String>) {
        match l {
            Learned::Described(info) => {
                self.meta.described.retain(|m| m.name != info.name);
                self.meta.described.push(info);
            }
            Learned::Failed => self.meta.failed.extend(led),
            Learned::Types(t) => self.meta.types = Some(t),
            Learned::Step(_) | Learned::Next => {}
        }
    }

    /// A logout that failed (the server's answer or the transport): the session is gone
    /// locally, the exchange ends with `{"message","error"}` instead of an error.
    #[inline(never)]
    pub(super) fn logout_failed(&mut self, id: ExchangeId, e: &Error) -> Step {
        self.exchanges.remove(id);
        let mut out = String::from("{\"message\":");
        json::quote(
            &cat!(
                "the session was cleared locally, but the server did not confirm the logout (",
                e.code,
                ": ",
                e.message,
                "); its session may stay valid until it expires"
            ),
            &mut out,
        );
        out.push_str(",\"error\":");
        out.push_str(&error_json(&e.clone().with_operation("logout")));
        out.push('}');
        Step::Done(Value::Text(out))
    }
}

/// Reads the answer of a write, describe or files exchange.
#[inline(never)]
pub(super) fn answer(task: &mut Task, op: &str, resp: &HttpResponse) -> Result<Learned> {
    match (task, op) {
        (Task::Write(w), "describe") => match results::parse_describe(resp) {
            Ok(info) => Ok(Learned::Described(info)),
            Err(e) if w.probing && !e.code.is_session_expiry() => Ok(Learned::Failed),
            Err(e) => Err(describe_error(e, w.op())),
        },
        (Task::Write(_), "listtypes") => results::parse_listtypes(resp).map(|t| {
            Learned::Types(
                t.information
                    .into_iter()
                    .filter(|i| i.is_entity)
                    .map(|i| i.name)
                    .collect(),
            )
        }),
        // A describe the cache cannot hold (no idPrefix, no fields: not a real server's) is
        // still returned as sent.
        (Task::Describe(_), _) => {
            let raw = envelope::decode_raw_ref(resp, op)?;
            Ok(match results::parse_describe(resp) {
                Ok(info) => Learned::Described(info),
                Err(_) => Learned::Step(Step::Done(Value::Text(raw.into_owned()))),
            })
        }
        (Task::Files(f), "retrieve") => match envelope::decode(resp, op) {
            Ok(rec) => {
                let ids = rec
                    .get("imageattachmentids")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                f.files = Some(ids);
                Ok(Learned::Next)
            }
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::AccessDenied
                        | ErrorCode::RecordNotFound
                        | ErrorCode::InvalidIdAttribute
                ) =>
            {
                f.files = Some(vec![f.id.text()]);
                Ok(Learned::Next)
            }
            Err(e) => Err(e.with_operation("files_retrieve")),
        },
        (Task::Files(f), _) => {
            let asked = f
                .files
                .as_ref()
                .and_then(|l| l.get(f.next))
                .cloned()
                .unwrap_or_default();
            f.next += 1;
            files_json(resp, &asked).map(|t| Learned::Step(Step::Yield(Value::Text(t))))
        }
        (Task::Write(w), _) => {
            let text = envelope::decode_raw_ref(resp, op)?;
            if let Some(f) = &w.file {
                // The server can save the record and not the file: PHP drops a file over its
                // upload_max_filesize (which the describe's maxUploadFileSize may exceed), and
                // Vtiger refuses a file whose content looks like an image but is not a valid one
                // (finfo + validateImageFile; recording 939: filesize kept, no attachment).
                let rec = json::parse(&text).unwrap_or(Json::Null);
                let stored = rec.get("filesize").and_then(Json::as_i64);
                let attached = rec
                    .get("imageattachmentids")
                    .and_then(Json::as_str)
                    .is_some_and(|a| !a.is_empty());
                if !attached || stored != i64::try_from(f.size).ok() {
                    let id = rec.get("id").and_then(Json::as_str).unwrap_or("?");
                    let why = if stored == i64::try_from(f.size).ok() {
                        "no attachment: Vtiger refuses a file whose content looks like an image but is not a valid one"
                    } else {
                        "its PHP upload limit (upload_max_filesize, post_max_size) is probably smaller"
                    };
                    return Err(Error::new(
                        ErrorCode::ServerError,
                        cat!(
                            "the server saved the Document ",
                            id,
                            " without its file (",
                            f.size,
                            " bytes sent; ",
                            why,
                            "); the record is kept"
                        ),
                    )
                    .with_status(resp.status)
                    .with_operation(op));
                }
            }
            Ok(Learned::Step(Step::Done(Value::Text(text.into_owned()))))
        }
        _ => Err(super::unknown_exchange()),
    }
}

/// A describe failure reported as the write's: the write was not sent.
fn describe_error(mut e: Error, op: &str) -> Error {
    e.message.push_str(" (the describe the field check needs failed; nothing was sent; checkFields: false skips the check)");
    e.with_operation(op)
}

/// The `files_retrieve` result as `[{"id","name","type","size","data"}]` (module docs).
fn files_json(resp: &HttpResponse, asked: &str) -> Result<String> {
    const OP: &str = "files_retrieve";
    let text = envelope::decode_raw_ref(resp, OP)?;
    let base = match &text {
        alloc::borrow::Cow::Borrowed(t) => {
            let (p, b) = (t.as_ptr() as usize, resp.body.as_ptr() as usize);
            (p >= b && p + t.len() <= b + resp.body.len()).then(|| p - b)
        }
        alloc::borrow::Cow::Owned(_) => None,
    };
    let bad = |m: &str| {
        Error::new(ErrorCode::InvalidResponse, cat!("files_retrieve: ", m))
            .with_status(resp.status)
            .with_operation(OP)
    };
    let t: &str = &text;
    let b = t.as_bytes();
    let mut i = json::scan::ws(t, 0);
    if b.get(i) != Some(&b'[') {
        return Err(bad("the result is not a list of files"));
    }
    let mut out = String::from("[");
    i = json::scan::ws(t, i + 1);
    if b.get(i) == Some(&b']') {
        out.push(']');
        return Ok(out);
    }
    const KEYS: [&str; 4] = ["fileid", "filename", "filetype", "filecontents"];
    loop {
        let start = json::scan::ws(t, i);
        let mut found = [None, None, None, None];
        let end = json::scan::keys(t, start, 1, &KEYS, &mut found)
            .map_err(|e| bad(&cat!("unreadable file entry: ", e)))?;
        let s = |k: usize| {
            found[k]
                .clone()
                .and_then(|r| json::scan::string(&t[r]))
                .unwrap_or_default()
        };
        let Some(c) = found[3].clone().filter(|r| t.as_bytes()[r.start] == b'"') else {
            return Err(bad("a file entry has no contents"));
        };
        let raw = &t[c.start + 1..c.end - 1];
        let mut chars = 0u64;
        let mut pad = 0u64;
        let mut esc = false;
        for &ch in raw.as_bytes() {
            match ch {
                b'\\' if !esc => {
                    esc = true;
                    continue;
                }
                b'/' => {}
                _ if esc => return Err(bad("the contents are not base64")),
                b'=' => pad += 1,
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' => {}
                _ => return Err(bad("the contents are not base64")),
            }
            esc = false;
            chars += 1;
        }
        if out.len() > 1 {
            out.push(',');
        }
        let id = match (s(0), WsId::parse_field(asked, "id")) {
            (fid, Ok(a)) if !fid.is_empty() => cat!(a.prefix, "x", fid),
            _ => asked.to_owned(),
        };
        for (k, v) in [
            ("{\"id\":", id.as_str()),
            (",\"name\":", &s(1)),
            (",\"type\":", &s(2)),
        ] {
            out.push_str(k);
            json::quote(v, &mut out);
        }
        out.push_str(",\"size\":");
        out.push_str(&(chars * 3 / 4 - pad.min(2)).text());
        out.push_str(",\"data\":");
        match base {
            Some(at) => {
                out.push('[');
                out.push_str(&(at + c.start + 1).text());
                out.push(',');
                out.push_str(&(at + c.end - 1).text());
                out.push(']');
            }
            None => json::quote(raw, &mut out),
        }
        out.push('}');
        i = json::scan::ws(t, end);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b']') => break,
            _ => return Err(bad("expected ',' or ']' after a file entry")),
        }
    }
    out.push(']');
    Ok(out)
}
