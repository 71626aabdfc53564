//! The request gate of the edge proxy (`crmwire/proxy`), sans-IO.
//!
//! The proxy holds a CRM session and lends it to callers it does not trust. The gate reads a
//! caller's webservice request the way the server will read it and rebuilds it with the
//! [`ops`] builders, so that the upstream only ever sees text the core wrote:
//!
//! * **`element`** (create, update, revise, convertlead) is parsed as JSON and re-encoded by
//!   [`ops::encode_element`]. Vtiger decodes `element` with Zend_Json's own decoder, which turns
//!   every `\uXXXX` of the *whole text* into the raw character before tokenizing: a caller's
//!   `"x\u0022,\u0022id\u0022:\u002219x1\u0022"` would end the string early and smuggle an
//!   `"id":"19x1"` member past a check made on a standard JSON parse. The re-encoded text holds
//!   no `\u` escape of a quote or backslash, so the server's parse is the gate's parse.
//!   Duplicate keys are refused (PHP keeps the last one; a check could read the first).
//! * **Raw VTQL** (`query`, `query_related`) is parsed by [`Select::parse`] and re-rendered:
//!   literals escaped again, numbers kept, and the values of `id`, owner and reference fields
//!   must be webservice ids, because the server strips their quotes, splits them on `x` and
//!   pastes the second part into SQL **unquoted** (`id = '12x0) OR 1=1 OR (1'` reads every
//!   row). Reference fields are known by name (`*_id`, …, see [`crate::vtiger::vtql`]) and by
//!   the module's `describe` (`type.name` `reference` or `owner`: `folderid`, `campaignid`…).
//!   The module allowlist is checked on the parsed `FROM` module.
//! * **Ids** are validated ([`WsId`]) and attributed to modules by their prefix
//!   ([`ModulePrefixes`], learned from `describe`).
//! * The operation table (GET or POST), the operations the proxy never forwards, the
//!   parameters each operation takes (others are dropped: the server reads only its registered
//!   parameters), `sessionName`/`PHPSESSID`/`format` from the caller dropped.
//!
//! Sans-IO: [`Gate::check`] either forwards a rebuilt [`Call`] or asks the host to describe
//! some modules first ([`Verdict::Learn`]); the host sends each describe call, hands the
//! response to [`Gate::answer`] and checks again. [`Gate::answer`] also reads every upstream
//! response with the tolerant envelope decoder (a PHP notice before the JSON is common): it
//! tells a refused session, learns from describe answers, filters `listtypes`, and hands back
//! a clean envelope where the body carried noise. Time is an input (`now_ms`).

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::error::{CrmCode, Error, ErrorCode, Result};
use crate::http::{HttpResponse, Method};
use crate::json::{self, Json};
use crate::vtiger::envelope;
use crate::vtiger::id::{ModulePrefixes, WsId};
use crate::vtiger::ops::{self, Call, ElementInput, FourBytePolicy};
use crate::vtiger::vtql::{Cond, Select, Value, MAX_ROWS};

/// Operations the proxy owns (session and credentials) and never forwards, whatever the
/// allowlist says.
pub const NEVER_FORWARDED: &[&str] = &[
    "getchallenge",
    "login",
    "logout",
    "extendsession",
    "changepassword",
    "deleteuser",
];

/// A module whose describe failed is not described again before this many milliseconds.
pub const RELEARN_AFTER_MS: u64 = 30_000;

/// Described modules kept (a caller with `modules: '*'` may describe any name).
const MAX_KNOWN: usize = 256;
/// Failed describes remembered.
const MAX_FAILED: usize = 64;

/// An allowlist: everything, or these names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allow {
    /// `'*'`.
    All,
    /// Exactly these names.
    Only(Vec<String>),
}

impl Allow {
    /// True when `name` is allowed.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Allow::All => true,
            Allow::Only(v) => v.iter().any(|n| n == name),
        }
    }

    /// Module names: `'*'` or a list of valid module names (INVALID_INPUT naming `modules`).
    pub fn modules<S: AsRef<str>>(names: Option<&[S]>) -> Result<Allow> {
        let Some(names) = names else {
            return Ok(Allow::All);
        };
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            ops::validate_module(n.as_ref(), "modules")?;
            out.push(n.as_ref().to_owned());
        }
        Ok(Allow::Only(out))
    }

    /// Operation names (case-insensitive, kept lower-case): `'*'` or a list.
    pub fn operations<S: AsRef<str>>(names: Option<&[S]>) -> Result<Allow> {
        let Some(names) = names else {
            return Ok(Allow::All);
        };
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            let n = n.as_ref().to_ascii_lowercase();
            if !valid_op(&n) {
                return Err(Error::invalid_input(
                    "operations",
                    "operation names are made of [A-Za-z0-9_.]",
                ));
            }
            out.push(n);
        }
        Ok(Allow::Only(out))
    }
}

fn valid_op(op: &str) -> bool {
    !op.is_empty()
        && op.len() <= 64
        && op
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// A request the gate lets through, rebuilt.
#[derive(Clone, Debug)]
pub struct Forward {
    /// The call to send upstream (the host adds `sessionName`, and any multipart files).
    pub call: Call,
    /// For the request log: the first module the request touches, `*` when any module is
    /// allowed and none is named, `-` when none.
    pub module: String,
}

/// A module the gate must know before it can decide.
#[derive(Clone, Debug)]
pub struct Learn {
    /// The module to describe.
    pub module: String,
    /// The describe call; hand its response to [`Gate::answer`] with operation `describe`.
    pub call: Call,
}

/// What [`Gate::check`] decided.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Send this.
    Forward(Forward),
    /// Describe these modules first (through [`Gate::answer`]), then check again.
    Learn(Vec<Learn>),
}

/// What to do with an upstream response ([`Gate::answer`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Pass the body on unchanged.
    Keep,
    /// Pass this body on instead: the same envelope without the noise around it (a PHP
    /// notice), raw control characters escaped, or a filtered `listtypes` result.
    Replace(String),
    /// The server refused the session before running the operation: log in again and
    /// repeat the call once.
    SessionRefused,
}

/// What a request touches: module names and record ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touches {
    /// Modules named by the request (`elementType`, the `FROM` module, `relatedType`, …).
    pub modules: Vec<String>,
    /// Record ids, attributed to modules by their prefix.
    pub ids: Vec<WsId>,
}

/// The HTTP status the proxy answers a gate error with: 400 for INVALID_INPUT, 403 for
/// ACCESS_DENIED, 500 otherwise.
pub fn http_status(e: &Error) -> u16 {
    match e.code {
        ErrorCode::InvalidInput => 400,
        ErrorCode::AccessDenied => 403,
        _ => 500,
    }
}

fn denied(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::AccessDenied, msg)
}

/// The request gate. See the module documentation.
#[derive(Clone, Debug)]
pub struct Gate {
    operations: Allow,
    modules: Allow,
    filter_listtypes: bool,
    prefixes: ModulePrefixes,
    /// Described modules, oldest first, with their reference and owner fields.
    known: Vec<(String, Vec<String>)>,
    /// Modules whose describe failed, with the time.
    failed: Vec<(String, u64)>,
}

/// A caller's parameters, checked: no secrets, plain names, each name once.
struct Params<'a> {
    list: Vec<(&'a str, &'a str)>,
    has_files: bool,
}

/// Parameters the proxy never takes from a caller (case-insensitive): it owns the session,
/// any `PHPSESSID` makes Vtiger refuse the session, and `format` must stay `json`.
fn dropped(name: &str) -> bool {
    ["sessionname", "phpsessid", "format"]
        .iter()
        .any(|d| d.eq_ignore_ascii_case(name))
}

fn plain_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

impl<'a> Params<'a> {
    fn read(pairs: &'a [(String, String)], files: &[String]) -> Result<Params<'a>> {
        let mut list: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            if dropped(k) {
                continue;
            }
            if !plain_name(k) {
                return Err(Error::invalid_input(
                    "params",
                    "parameter names must be plain identifiers",
                ));
            }
            if list.iter().any(|(n, _)| n == k) {
                return Err(Error::invalid_input(
                    k.clone(),
                    format!("parameter {k} given twice"),
                ));
            }
            list.push((k, v));
        }
        let mut has_files = false;
        for f in files {
            if dropped(f) {
                continue;
            }
            if !plain_name(f) {
                return Err(Error::invalid_input(
                    "params",
                    "parameter names must be plain identifiers",
                ));
            }
            has_files = true;
        }
        Ok(Params { list, has_files })
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        self.list.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    /// A required parameter; `""` counts as missing (the server reads it as missing too).
    fn req(&self, op: &str, name: &str) -> Result<&'a str> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Error::invalid_input(
                name,
                format!("operation {op} needs the parameter {name}"),
            )),
        }
    }

    fn opt(&self, name: &str) -> Option<&'a str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    fn id(&self, op: &str, name: &str) -> Result<WsId> {
        WsId::parse_field(self.req(op, name)?, name)
    }
}

/// A request read but not yet rebuilt: raw VTQL waits for the module's reference fields.
enum Draft {
    Ready(Call),
    Query(Select),
    QueryRelated(Select, WsId, String),
}

/// The caller's element: parsed as standard JSON (what the re-encoded text will mean to the
/// server too), without duplicate keys, 4-byte characters left to the caller's choice.
fn element(text: &str) -> Result<ElementInput> {
    let el = ElementInput::parse(text)?;
    no_duplicate_keys(el.value(), "element")?;
    Ok(el.with_policy(FourBytePolicy::Send))
}

fn no_duplicate_keys(v: &Json, path: &str) -> Result<()> {
    match v {
        Json::Obj(m) => {
            let mut keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
                let shown: String = w[0].chars().take(40).collect();
                return Err(Error::invalid_input(
                    path,
                    format!("the element holds the key '{shown}' twice (the server would keep the last one)"),
                ));
            }
            m.iter().try_for_each(|(_, x)| no_duplicate_keys(x, path))
        }
        Json::Arr(a) => a.iter().try_for_each(|x| no_duplicate_keys(x, path)),
        _ => Ok(()),
    }
}

fn element_id(el: &ElementInput, key: &str) -> Result<WsId> {
    match el.get(key) {
        Some(Json::Str(s)) => WsId::parse_field(s, key),
        _ => Err(Error::invalid_input(
            key,
            format!("the element needs '{key}' as a webservice id string (e.g. \"12x34\")"),
        )),
    }
}

/// `convertlead`'s modules: the `entities` keys, each entity's `name` (the module the server
/// really creates; it must equal its key) and `transferRelatedRecordsTo`.
fn convertlead_modules(el: &ElementInput) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match el.get("entities") {
        None | Some(Json::Null) => {}
        Some(Json::Obj(m)) => {
            for (k, v) in m {
                ops::validate_module(k, "entities")?;
                let Json::Obj(_) = v else {
                    return Err(Error::invalid_input(
                        "entities",
                        format!("entities.{k} must be an object"),
                    ));
                };
                match v.get("name") {
                    None => {}
                    Some(Json::Str(n)) if n == k => {}
                    Some(_) => {
                        return Err(Error::invalid_input(
                            "entities",
                            format!("entities.{k}.name must be \"{k}\" (the server creates the module named there)"),
                        ))
                    }
                }
                out.push(k.clone());
            }
        }
        Some(_) => {
            return Err(Error::invalid_input(
                "entities",
                "entities must be an object of module name -> entity",
            ))
        }
    }
    match el.get("transferRelatedRecordsTo") {
        None | Some(Json::Null) => {}
        Some(Json::Str(m)) => {
            ops::validate_module(m, "transferRelatedRecordsTo")?;
            out.push(m.clone());
        }
        Some(_) => {
            return Err(Error::invalid_input(
                "transferRelatedRecordsTo",
                "transferRelatedRecordsTo must be a module name",
            ))
        }
    }
    if let Some(v) = el.get("assignedTo").filter(|v| !matches!(v, Json::Null)) {
        match v {
            Json::Str(s) => {
                WsId::parse_field(s, "assignedTo")?;
            }
            _ => {
                return Err(Error::invalid_input(
                    "assignedTo",
                    "assignedTo must be a webservice id string",
                ))
            }
        }
    }
    Ok(out)
}

/// Every string value of the condition (only those can smuggle SQL through a reference field).
fn has_string_value(c: &Cond) -> bool {
    fn value(v: &Value) -> bool {
        match v {
            Value::Str(_) => true,
            Value::List(items) => items.iter().any(value),
            _ => false,
        }
    }
    match c {
        Cond::Term(t) => value(&t.value),
        Cond::And(v) | Cond::Or(v) => v.iter().any(has_string_value),
    }
}

/// The values of the module's reference/owner fields must be webservice ids.
fn ids_on_references(c: Cond, refs: &[String]) -> Result<Cond> {
    fn value(field: &str, v: Value) -> Result<Value> {
        match v {
            Value::Str(s) => WsId::parse_field(&s, field).map(Value::Id).map_err(|_| {
                let shown: String = s.chars().take(40).collect();
                Error::invalid_input(
                    field,
                    format!("'{shown}' is not a webservice id (<prefix>x<record>); '{field}' is a reference field and takes ids only"),
                )
            }),
            Value::Num(_) | Value::Int(_) => Err(Error::invalid_input(
                field,
                format!("'{field}' is a reference field and takes webservice ids, not numbers"),
            )),
            Value::List(items) => items
                .into_iter()
                .map(|x| value(field, x))
                .collect::<Result<_>>()
                .map(Value::List),
            id @ Value::Id(_) => Ok(id),
        }
    }
    Ok(match c {
        Cond::Term(mut t) => {
            if refs.iter().any(|r| r.eq_ignore_ascii_case(&t.field)) {
                t.value = value(&t.field, t.value)?;
            }
            Cond::Term(t)
        }
        Cond::And(v) => Cond::And(
            v.into_iter()
                .map(|c| ids_on_references(c, refs))
                .collect::<Result<_>>()?,
        ),
        Cond::Or(v) => Cond::Or(
            v.into_iter()
                .map(|c| ids_on_references(c, refs))
                .collect::<Result<_>>()?,
        ),
    })
}

/// Renders a parsed query with the builder's guarantees; a LIMIT count above the server's
/// cap becomes the cap (what the server does with it).
fn render(mut sel: Select, refs: &[String]) -> Result<String> {
    if let Some(w) = sel.where_.take() {
        sel.where_ = Some(ids_on_references(w, refs)?);
    }
    if let Some(l) = &mut sel.limit {
        l.count = l.count.min(MAX_ROWS);
    }
    sel.render()
}

/// `query_related`'s text has no trailing `;`; the parser needs one.
fn parse_related(q: &str) -> Result<Select> {
    let t = q.trim_end();
    if t.ends_with(';') {
        Select::parse(t)
    } else {
        Select::parse(&format!("{t};"))
    }
}

impl Gate {
    /// A gate for these allowlists. `filter_listtypes`: trim `listtypes` answers to the
    /// allowed modules (when a module list is given).
    pub fn new(operations: Allow, modules: Allow, filter_listtypes: bool) -> Gate {
        Gate {
            operations,
            modules,
            filter_listtypes,
            prefixes: ModulePrefixes::default(),
            known: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Id prefixes learned so far.
    pub fn known_prefixes(&self) -> usize {
        self.known
            .iter()
            .filter(|(m, _)| self.prefixes.prefix_of(m).is_some())
            .count()
    }

    fn is_known(&self, module: &str) -> bool {
        self.known.iter().any(|(m, _)| m == module)
    }

    fn refs_of(&self, module: &str) -> Option<&[String]> {
        self.known
            .iter()
            .find(|(m, _)| m == module)
            .map(|(_, r)| r.as_slice())
    }

    fn failed_recently(&self, module: &str, now_ms: u64) -> bool {
        self.failed
            .iter()
            .any(|(m, t)| m == module && now_ms.saturating_sub(*t) < RELEARN_AFTER_MS)
    }

    /// What a request touches, without deciding anything: `None` for an operation the gate
    /// cannot attribute to modules (wsapp_*, mobile.*, custom ones). Errors as
    /// [`Gate::check`]'s INVALID_INPUT ones.
    pub fn touches(pairs: &[(String, String)]) -> Result<Option<Touches>> {
        let params = Params::read(pairs, &[])?;
        let op = operation(&params)?;
        let gate = Gate::new(Allow::All, Allow::All, false);
        match gate.draft(&op, &params)? {
            (_, Some(t)) => Ok(Some(t)),
            (_, None) => Ok(None),
        }
    }

    /// Reads a caller's request: every parameter from the query string and the body, in order
    /// (`pairs`), and the names of multipart file parts (`files`). Errors: INVALID_INPUT (the
    /// request is malformed; HTTP 400) or ACCESS_DENIED (not allowed; 403), each with the
    /// operation set when it was readable. See [`http_status`].
    pub fn check(
        &self,
        pairs: &[(String, String)],
        files: &[String],
        now_ms: u64,
    ) -> Result<Verdict> {
        let params = Params::read(pairs, files)?;
        let op = operation(&params)?;
        self.decide(&op, &params, now_ms)
            .map_err(|e| e.with_operation(op.clone()))
    }

    fn decide(&self, op: &str, params: &Params<'_>, now_ms: u64) -> Result<Verdict> {
        if NEVER_FORWARDED.contains(&op) {
            return Err(denied(format!(
                "operation {op} is handled by the proxy and never forwarded"
            )));
        }
        if !self.operations.allows(op) {
            return Err(denied(format!("operation {op} is not allowed")));
        }
        let (draft, touches) = self.draft(op, params)?;
        let Some(touches) = touches else {
            if let Allow::Only(_) = self.modules {
                return Err(denied(format!(
                    "operation {op} cannot be checked against the module allowlist"
                )));
            }
            let Draft::Ready(call) = draft else {
                return Err(denied(format!("operation {op} cannot be checked")));
            };
            return self.forward(op, call, params, "*".to_owned());
        };
        for m in &touches.modules {
            if !self.modules.allows(m) {
                return Err(denied(format!("module {m} is not allowed")));
            }
        }
        let mut learn: Vec<String> = Vec::new();
        let mut id_module: Option<String> = None;
        if let Allow::Only(list) = &self.modules {
            for id in &touches.ids {
                match self.prefixes.module_of(*id) {
                    Some(m) if self.modules.allows(m) => {
                        id_module.get_or_insert_with(|| m.to_owned());
                    }
                    _ => {
                        let pending: Vec<&String> = list
                            .iter()
                            .filter(|m| !self.is_known(m) && !self.failed_recently(m, now_ms))
                            .collect();
                        if pending.is_empty() {
                            return Err(denied(format!(
                                "record id {}x… is not in an allowed module",
                                id.prefix
                            )));
                        }
                        for m in pending {
                            if !learn.contains(m) {
                                learn.push(m.clone());
                            }
                        }
                    }
                }
            }
        }
        let sel = match &draft {
            Draft::Query(s) | Draft::QueryRelated(s, _, _) => Some(s),
            Draft::Ready(_) => None,
        };
        if let Some(sel) = sel {
            let needs = sel.where_.as_ref().is_some_and(has_string_value);
            if needs && !self.is_known(&sel.module) {
                if self.failed_recently(&sel.module, now_ms) {
                    return Err(denied(format!(
                        "module {} could not be described, so a query on it cannot be checked",
                        sel.module
                    )));
                }
                if !learn.contains(&sel.module) {
                    learn.push(sel.module.clone());
                }
            }
        }
        if !learn.is_empty() {
            return learn
                .into_iter()
                .map(|module| {
                    let call = ops::describe(&module)?;
                    Ok(Learn { module, call })
                })
                .collect::<Result<_>>()
                .map(Verdict::Learn);
        }
        let call = match draft {
            Draft::Ready(c) => c,
            Draft::Query(sel) => {
                let refs = self.refs_of(&sel.module).unwrap_or(&[]).to_vec();
                ops::query(&render(sel, &refs)?)?
            }
            Draft::QueryRelated(sel, id, label) => {
                let refs = self.refs_of(&sel.module).unwrap_or(&[]).to_vec();
                let text = render(sel, &refs)?;
                // The server splits the text on the first `WHERE` (case-sensitive) to insert
                // its relation condition: a second one inside a value or a name would cut it.
                if text.matches("WHERE").count() > 1 {
                    return Err(Error::invalid_input(
                        "query",
                        "query_related: the server splits the query on the word WHERE; a value or name holding 'WHERE' cannot be sent",
                    ));
                }
                ops::query_related(&text, id, &label)?
            }
        };
        let module = touches
            .modules
            .first()
            .cloned()
            .or(id_module)
            .unwrap_or_else(|| {
                if self.modules == Allow::All {
                    "*".to_owned()
                } else {
                    "-".to_owned()
                }
            });
        self.forward(op, call, params, module)
    }

    fn forward(
        &self,
        op: &str,
        call: Call,
        params: &Params<'_>,
        module: String,
    ) -> Result<Verdict> {
        if params.has_files && call.method == Method::Get {
            return Err(Error::invalid_input(
                "params",
                format!("operation {op} takes no files"),
            ));
        }
        Ok(Verdict::Forward(Forward { call, module }))
    }

    /// Rebuilds the request from the parameters the operation takes; `None` touches for an
    /// operation that cannot be attributed to modules.
    fn draft(&self, op: &str, p: &Params<'_>) -> Result<(Draft, Option<Touches>)> {
        let t = |modules: Vec<String>, ids: Vec<WsId>| Some(Touches { modules, ids });
        Ok(match op {
            "listtypes" => {
                let types = match p.opt("fieldTypeList") {
                    None => None,
                    Some(text) => match json::parse(text) {
                        Ok(Json::Null) => None,
                        Ok(Json::Arr(items)) => Some(
                            items
                                .iter()
                                .map(|v| v.as_str().map(str::to_owned))
                                .collect::<Option<Vec<String>>>()
                                .ok_or_else(|| {
                                    Error::invalid_input(
                                        "fieldTypeList",
                                        "fieldTypeList must be a JSON array of field type names",
                                    )
                                })?,
                        ),
                        _ => {
                            return Err(Error::invalid_input(
                                "fieldTypeList",
                                "fieldTypeList must be a JSON array of field type names",
                            ))
                        }
                    },
                };
                let refs: Option<Vec<&str>> = types
                    .as_ref()
                    .map(|v| v.iter().map(String::as_str).collect());
                (
                    Draft::Ready(ops::listtypes(refs.as_deref())),
                    t(vec![], vec![]),
                )
            }
            "describe" | "relatedtypes" => {
                let m = p.req(op, "elementType")?;
                let call = if op == "describe" {
                    ops::describe(m)?
                } else {
                    ops::relatedtypes(m)?
                };
                (Draft::Ready(call), t(vec![m.to_owned()], vec![]))
            }
            "create" => {
                let m = p.req(op, "elementType")?;
                let el = element(p.req(op, "element")?)?;
                (
                    Draft::Ready(ops::create(m, &el)?),
                    t(vec![m.to_owned()], vec![]),
                )
            }
            "update" | "revise" => {
                let el = element(p.req(op, "element")?)?;
                let id = element_id(&el, "id")?;
                let call = if op == "update" {
                    ops::update(&el)?
                } else {
                    ops::revise(&el)?
                };
                (Draft::Ready(call), t(vec![], vec![id]))
            }
            "convertlead" => {
                let el = element(p.req(op, "element")?)?;
                let id = element_id(&el, "leadId")?;
                let modules = convertlead_modules(&el)?;
                (Draft::Ready(ops::convertlead(&el)?), t(modules, vec![id]))
            }
            "retrieve" | "delete" | "retrieve_inventory" => {
                let id = p.id(op, "id")?;
                let call = match op {
                    "retrieve" => ops::retrieve(id),
                    "delete" => ops::delete(id),
                    _ => ops::retrieve_inventory(id),
                };
                (Draft::Ready(call), t(vec![], vec![id]))
            }
            "files_retrieve" => {
                let id = p.id(op, "id")?;
                (
                    Draft::Ready(ops::files_retrieve(&id.to_string())?),
                    t(vec![], vec![id]),
                )
            }
            "query" => {
                let sel = Select::parse(p.req(op, "query")?)?;
                let m = sel.module.clone();
                (Draft::Query(sel), t(vec![m], vec![]))
            }
            "query_related" => {
                let sel = parse_related(p.req(op, "query")?)?;
                let id = p.id(op, "id")?;
                let label = p.req(op, "relatedLabel")?.to_owned();
                let m = sel.module.clone();
                (Draft::QueryRelated(sel, id, label), t(vec![m], vec![id]))
            }
            "retrieve_related" => {
                let id = p.id(op, "id")?;
                let m = p.req(op, "relatedType")?;
                let call = ops::retrieve_related(id, p.req(op, "relatedLabel")?, m)?;
                (Draft::Ready(call), t(vec![m.to_owned()], vec![id]))
            }
            "add_related" => {
                let a = p.id(op, "sourceRecordId")?;
                let b = p.id(op, "relatedRecordId")?;
                let call = ops::add_related(a, b, p.opt("relationIdLabel"))?;
                (Draft::Ready(call), t(vec![], vec![a, b]))
            }
            "sync" => {
                let mt = p.req(op, "modifiedTime")?;
                let mt: i64 = mt
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| mt.parse().ok())
                    .flatten()
                    .ok_or_else(|| {
                        Error::invalid_input(
                            "modifiedTime",
                            "modifiedTime must be a Unix time in seconds",
                        )
                    })?;
                let m = p.opt("elementType");
                let call = ops::sync(mt, m, p.opt("syncType"))?;
                match m {
                    Some(m) => (Draft::Ready(call), t(vec![m.to_owned()], vec![])),
                    None if self.modules == Allow::All => (Draft::Ready(call), t(vec![], vec![])),
                    None => {
                        return Err(denied(
                            "sync without elementType reads every module; name one",
                        ))
                    }
                }
            }
            _ => {
                // wsapp_*, mobile.*, custom operations: passed on as sent when every module is
                // allowed (refused by `decide` otherwise).
                let rest: Vec<(String, String)> = p
                    .list
                    .iter()
                    .filter(|(k, _)| *k != "operation")
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                (Draft::Ready(ops::call(op, rest, None)?), None)
            }
        })
    }

    /// Reads an upstream response to a forwarded call (`op` as forwarded, `module` as in
    /// [`Forward::module`] or [`Learn::module`]) with the tolerant envelope decoder.
    pub fn answer(&mut self, op: &str, module: &str, resp: &HttpResponse, now_ms: u64) -> Answer {
        match envelope::decode_raw_ref(resp, op) {
            Ok(raw) => {
                if op == "describe" {
                    self.learn(module, &raw, now_ms);
                }
                if op == "listtypes" && self.filter_listtypes {
                    if let Some(text) = self.filter_types(&raw) {
                        return Answer::Replace(text);
                    }
                }
                const HEAD: &[u8] = br#"{"success":true,"result":"#;
                let b = &resp.body;
                if b.len() == HEAD.len() + raw.len() + 1
                    && b.starts_with(HEAD)
                    && b.ends_with(b"}")
                    && &b[HEAD.len()..b.len() - 1] == raw.as_bytes()
                {
                    Answer::Keep
                } else {
                    let mut out = String::with_capacity(raw.len() + HEAD.len() + 1);
                    out.push_str(r#"{"success":true,"result":"#);
                    out.push_str(&raw);
                    out.push('}');
                    Answer::Replace(out)
                }
            }
            Err(e) => {
                if e.crm_code.is_some() && e.code.is_session_expiry() {
                    return Answer::SessionRefused;
                }
                if op == "describe" {
                    self.failed(module, now_ms);
                }
                let Some(code) = &e.crm_code else {
                    return Answer::Keep; // not an envelope at all: the caller sees it as sent
                };
                let clean = std::str::from_utf8(&resp.body)
                    .ok()
                    .is_some_and(|t| json::parse(t).is_ok());
                if clean {
                    return Answer::Keep;
                }
                let mut out = String::from(r#"{"success":false,"error":{"code":"#);
                match code {
                    CrmCode::Str(s) => json::quote(s, &mut out),
                    CrmCode::Int(n) => out.push_str(&n.to_string()),
                }
                out.push_str(r#","message":"#);
                json::quote(&e.message, &mut out);
                out.push_str("}}");
                Answer::Replace(out)
            }
        }
    }

    fn failed(&mut self, module: &str, now_ms: u64) {
        self.failed.retain(|(m, _)| m != module);
        if self.failed.len() >= MAX_FAILED {
            self.failed.remove(0);
        }
        self.failed.push((module.to_owned(), now_ms));
    }

    /// Records a module's id prefix and reference/owner fields from its describe result.
    fn learn(&mut self, module: &str, result: &str, now_ms: u64) {
        let Ok(r) = json::parse(result) else {
            return self.failed(module, now_ms);
        };
        let Some(fields) = r.get("fields").and_then(Json::as_array) else {
            return self.failed(module, now_ms);
        };
        let refs: Vec<String> = fields
            .iter()
            .filter(|f| {
                matches!(
                    f.get("type")
                        .and_then(|t| t.get("name"))
                        .and_then(Json::as_str),
                    Some("reference" | "owner")
                )
            })
            .filter_map(|f| f.get("name").and_then(Json::as_str).map(str::to_owned))
            .collect();
        if let Some(p) = r
            .get("idPrefix")
            .and_then(Json::as_i64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
        {
            self.prefixes.insert(module, p);
        }
        self.failed.retain(|(m, _)| m != module);
        self.known.retain(|(m, _)| m != module);
        if self.known.len() >= MAX_KNOWN {
            self.known.remove(0);
        }
        self.known.push((module.to_owned(), refs));
    }

    /// The listtypes envelope with `types` and `information` trimmed to the allowed modules.
    fn filter_types(&self, result: &str) -> Option<String> {
        let Allow::Only(_) = self.modules else {
            return None;
        };
        let Ok(Json::Obj(mut members)) = json::parse(result) else {
            return None;
        };
        for (k, v) in members.iter_mut() {
            match (k.as_str(), v) {
                ("types", Json::Arr(types)) => {
                    types.retain(|t| t.as_str().is_some_and(|t| self.modules.allows(t)));
                }
                ("information", Json::Obj(info)) => {
                    info.retain(|(m, _)| self.modules.allows(m));
                }
                _ => {}
            }
        }
        let mut out = String::from(r#"{"success":true,"result":"#);
        Json::Obj(members).write_json(&mut out);
        out.push('}');
        Some(out)
    }
}

fn operation(p: &Params<'_>) -> Result<String> {
    let op = p
        .opt("operation")
        .ok_or_else(|| Error::invalid_input("operation", "operation is required"))?
        .to_ascii_lowercase();
    if !valid_op(&op) {
        return Err(Error::invalid_input("operation", "malformed operation"));
    }
    Ok(op)
}
