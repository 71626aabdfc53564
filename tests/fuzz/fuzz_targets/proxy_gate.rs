//! The edge proxy's request gate (`vtiger::gate::Gate`) on any allowlists, learned describes,
//! caller's request and upstream answer: never a panic, and whatever it forwards stays inside
//! the policy, read independently from the forwarded call the way the server reads it:
//!
//! * the operation is the caller's, allowed, not one the proxy owns; the wire request carries
//!   exactly one `operation` and one `sessionName`, the proxy's; no `PHPSESSID`/`format`, no
//!   caller's session value anywhere (nor in an error);
//! * an operation the gate knows sends only its own parameters, in order, with the caller's
//!   values where it passes them on; ids canonical (`^[1-9]\d*x[1-9]\d*$`), and with a module
//!   list each attributed by its prefix (as learned from the describes) to an allowed module;
//!   every module named (`elementType`, `relatedType`, the `FROM` module, convertlead's
//!   entities) allowed; an operation it does not know only with every module allowed, its
//!   parameters as sent;
//! * `element`: Vtiger's reading (Zend_Json, `\uXXXX` decoded over the whole text first:
//!   [`crmwire_fuzz::zend_decode`]) equals the standard one and the caller's, no key twice;
//!   update/revise/convertlead ids as above, convertlead's entities named by their key;
//! * VTQL: the forwarded text re-parses to a statement that renders to the same text, as does
//!   the caller's statement (LIMIT capped): the caller's meaning, rebuilt; on an allowed module,
//!   at most `MAX_ROWS` rows; a string value only after the module was described, and then
//!   every value of its reference/owner fields is a canonical id; `query_related` without `;`
//!   and with one `WHERE`;
//! * describes asked for are of allowed modules, each once; after the host answers them, the
//!   gate decides (no second round);
//! * errors are INVALID_INPUT (400) or ACCESS_DENIED (403);
//! * the upstream answer: a replaced body is strict JSON, and a filtered `listtypes` names only
//!   allowed modules.
//!
//! Input: see [`crmwire_fuzz::gate_input`].
#![no_main]
use crmwire::json;
use crmwire::vtiger::envelope;
use crmwire::vtiger::gate::{http_status, Allow, Answer, Gate, Verdict, NEVER_FORWARDED};
use crmwire::vtiger::ops::{self, Call, Endpoint};
use crmwire::vtiger::vtql::{Cond, Select, Value, MAX_ROWS};
use crmwire::vtiger::WsId;
use crmwire::{ErrorCode, HttpResponse, Method, Secret};
use crmwire_fuzz::{gate_input, has_duplicate_key, to_serde, zend_decode, Describe};
use libfuzzer_sys::fuzz_target;

const NOW: u64 = 1_000_000;
const SESSION: &str = "proxysession0123456789abcdef";
const ENDPOINT: &str = "https://crm.example.com/webservice.php";

/// The operations the gate rebuilds and the parameters each may send, in order (Vtiger's
/// registered parameters, as in `tests/vtiger_gate.rs`).
const SPECS: &[(&str, &[&str])] = &[
    ("listtypes", &["fieldTypeList"]),
    ("describe", &["elementType"]),
    ("relatedtypes", &["elementType"]),
    ("create", &["elementType", "element"]),
    ("update", &["element"]),
    ("revise", &["element"]),
    ("convertlead", &["element"]),
    ("retrieve", &["id"]),
    ("delete", &["id"]),
    ("retrieve_inventory", &["id"]),
    ("files_retrieve", &["id"]),
    ("query", &["query"]),
    ("query_related", &["query", "id", "relatedLabel"]),
    ("retrieve_related", &["id", "relatedType", "relatedLabel"]),
    (
        "add_related",
        &["sourceRecordId", "relatedRecordId", "relationIdLabel"],
    ),
    ("sync", &["modifiedTime", "elementType", "syncType"]),
];

fn dropped(name: &str) -> bool {
    ["sessionname", "phpsessid", "format"]
        .iter()
        .any(|d| d.eq_ignore_ascii_case(name))
}

/// What the gate was told, kept apart from it: the allowlist, the describes (the last one of a
/// module wins; a prefix belongs to the module that claimed it last).
struct Model {
    modules: Allow,
    prefixes: Vec<(String, u32)>,
    refs: Vec<(String, Vec<String>)>,
}

impl Model {
    fn learn(&mut self, d: &Describe) {
        // `idPrefix` as the gate reads a JSON number or string: optional `-`, digits.
        let digits = d.prefix.strip_prefix('-').unwrap_or(&d.prefix);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(p) = d.prefix.parse::<i64>() {
                if p > 0 && p <= i64::from(u32::MAX) {
                    self.prefixes
                        .retain(|(m, q)| *m != d.module && *q != p as u32);
                    self.prefixes.push((d.module.clone(), p as u32));
                }
            }
        }
        self.refs.retain(|(m, _)| *m != d.module);
        self.refs.push((d.module.clone(), d.refs.clone()));
    }

    fn allowed(&self, m: &str) -> bool {
        self.modules.allows(m)
    }

    fn only(&self) -> bool {
        matches!(self.modules, Allow::Only(_))
    }

    fn refs(&self, m: &str) -> Option<&[String]> {
        self.refs
            .iter()
            .find(|(n, _)| n == m)
            .map(|(_, r)| r.as_slice())
    }

    /// A forwarded id: canonical, and with a module list, of an allowed module.
    fn id(&self, s: &str, what: &str) {
        let id: WsId = s
            .parse()
            .unwrap_or_else(|_| panic!("{what}: {s:?} is not a webservice id"));
        assert_eq!(id.to_string(), s, "{what}: not canonical");
        if self.only() {
            let m = self
                .prefixes
                .iter()
                .find(|(_, p)| *p == id.prefix)
                .map(|(m, _)| m.as_str());
            assert!(
                m.is_some_and(|m| self.allowed(m)),
                "{what}: {s} is of {m:?}, not of an allowed module"
            );
        }
    }

    fn module(&self, m: &str, what: &str) {
        assert!(
            ops::validate_module(m, "m").is_ok(),
            "{what}: {m:?} is no module name"
        );
        assert!(self.allowed(m), "{what}: module {m} is not allowed");
    }
}

fn describe_failure() -> HttpResponse {
    HttpResponse::new(
        200,
        r#"{"success":false,"error":{"code":"ACCESS_DENIED","message":"Permission to perform the operation is denied"}}"#,
    )
}

fuzz_target!(|data: &[u8]| {
    let Some(inp) = gate_input(data) else { return };
    let (Ok(ops_allow), Ok(mod_allow)) = (
        Allow::operations(inp.operations.as_deref()),
        Allow::modules(inp.modules.as_deref()),
    ) else {
        return;
    };
    let mut gate = Gate::new(ops_allow.clone(), mod_allow.clone(), inp.filter_listtypes);
    let mut model = Model {
        modules: mod_allow,
        prefixes: Vec::new(),
        refs: Vec::new(),
    };
    let describes = &inp.describes[..inp.describes.len().min(8)];
    for d in describes.iter().filter(|d| !d.on_request) {
        let a = gate.answer(
            "describe",
            &d.module,
            &HttpResponse::new(200, d.body()),
            NOW,
        );
        assert_eq!(a, Answer::Keep, "a clean describe is passed on");
        model.learn(d);
    }

    let mut verdict = gate.check(&inp.pairs, &inp.files, NOW);
    if let Ok(Verdict::Learn(l)) = &verdict {
        assert!(!l.is_empty());
        for (i, x) in l.iter().enumerate() {
            assert!(
                l[..i].iter().all(|y| y.module != x.module),
                "a module asked twice"
            );
            model.module(&x.module, "describe asked for");
            assert_eq!(x.call.operation, "describe");
            assert_eq!(
                x.call.params,
                [("elementType".to_owned(), x.module.clone())]
            );
            // The host describes it: the input's describe of the module, else a refusal.
            let told = describes.iter().rev().find(|d| d.module == x.module);
            let resp = match told {
                Some(d) => HttpResponse::new(200, d.body()),
                None => describe_failure(),
            };
            gate.answer("describe", &x.module, &resp, NOW);
            if let Some(d) = told {
                model.learn(d);
            }
        }
        verdict = gate.check(&inp.pairs, &inp.files, NOW);
        assert!(
            !matches!(verdict, Ok(Verdict::Learn(_))),
            "the gate asks for describes again: {verdict:?}"
        );
    }

    // The caller's session value, when it looks like one (12+ letters and digits, a digit among
    // them: no word of a message) and is not also part of something else it sent.
    let caller_session = inp
        .pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("sessionName"))
        .map(|(_, v)| v.as_str())
        .filter(|s| {
            s.len() >= 12
                && s.bytes().all(|b| b.is_ascii_alphanumeric())
                && s.bytes().any(|b| b.is_ascii_digit())
        })
        .filter(|s| {
            inp.pairs
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("sessionName"))
                .all(|(k, v)| !k.contains(s) && !v.contains(s))
                && inp.files.iter().all(|f| !f.contains(s))
        });

    let f = match verdict {
        Err(e) => {
            assert!(
                matches!(e.code, ErrorCode::InvalidInput | ErrorCode::AccessDenied),
                "{e:?}"
            );
            assert!(matches!(http_status(&e), 400 | 403));
            if let Some(s) = caller_session {
                assert!(!e.message.contains(s), "the caller's session in an error");
            }
            return;
        }
        Ok(Verdict::Learn(_)) => unreachable!(),
        Ok(Verdict::Forward(f)) => f,
    };
    let call = &f.call;
    let caller = |name: &str| {
        inp.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    // The operation.
    let op = caller("operation")
        .expect("forwarded without an operation")
        .to_ascii_lowercase();
    assert_eq!(call.operation, op);
    assert!(!NEVER_FORWARDED.contains(&op.as_str()), "{op} forwarded");
    assert!(ops_allow.allows(&op), "{op} is not allowed");

    // What goes on the wire: one operation, one sessionName (the proxy's), nothing the proxy owns.
    for (k, v) in &call.params {
        assert!(k != "operation" && !dropped(k), "parameter {k} forwarded");
        if let Some(s) = caller_session {
            assert!(!v.contains(s), "the caller's session forwarded in {k}");
        }
    }
    wire(call);
    for name in &f.files {
        assert!(
            inp.files.contains(name) && !dropped(name),
            "file part {name}"
        );
    }
    if call.method == Method::Get {
        assert!(f.files.is_empty(), "files with a GET");
    }

    match SPECS.iter().find(|(o, _)| *o == op) {
        None => {
            assert!(!model.only(), "{op} passed on as sent with a module list");
            assert!(f.touches.is_none());
            let want: Vec<(String, String)> = inp
                .pairs
                .iter()
                .filter(|(k, _)| k != "operation" && !dropped(k))
                .cloned()
                .collect();
            assert_eq!(call.params, want, "{op}: passed on as sent");
        }
        Some((_, names)) => {
            // Only the operation's own parameters, in order, each once.
            let mut at = 0;
            for (k, _) in &call.params {
                let i = names
                    .iter()
                    .position(|n| n == k)
                    .unwrap_or_else(|| panic!("{op}: parameter {k} forwarded"));
                assert!(i >= at, "{op}: parameters out of order");
                at = i + 1;
            }
            for (k, v) in &call.params {
                let given = caller(k).expect("a parameter the caller did not send");
                match k.as_str() {
                    "elementType" | "relatedType" => {
                        assert_eq!(v, given);
                        model.module(v, k);
                    }
                    "id" | "sourceRecordId" | "relatedRecordId" => {
                        assert_eq!(v, given);
                        model.id(v, k);
                    }
                    "relatedLabel" | "relationIdLabel" => assert_eq!(v, given),
                    "modifiedTime" => {
                        assert!(
                            v.len() <= 12 && v.bytes().all(|b| b.is_ascii_digit()) && v != "0",
                            "modifiedTime {v:?}"
                        );
                        assert!(v == given || (given == "0" && v == "1"));
                    }
                    "syncType" => {
                        assert_eq!(v, given);
                        assert!(matches!(
                            v.as_str(),
                            "user" | "userandgroup" | "application"
                        ));
                    }
                    "fieldTypeList" => {
                        let sent: serde_json::Value =
                            serde_json::from_str(v).expect("fieldTypeList is JSON");
                        assert!(sent
                            .as_array()
                            .is_some_and(|a| a.iter().all(|x| x.is_string())));
                        assert_eq!(to_serde(&json::parse(given).unwrap()), sent);
                    }
                    "element" => element(&op, v, given, call, &model),
                    "query" => query(&op, v, given, &model),
                    other => unreachable!("{other}"),
                }
            }
            if op == "sync" && call.param("elementType").is_none() {
                assert!(!model.only(), "sync of every module with a module list");
            }
            let t = f.touches.as_ref().expect("touches of a rebuilt operation");
            for m in &t.modules {
                assert!(model.allowed(m), "touches {m}, not allowed");
            }
        }
    }
    if model.only() {
        assert!(f.module == "-" || model.allowed(&f.module), "{}", f.module);
    }

    // The upstream answer to the forwarded call.
    let resp = &inp.answer;
    let a = gate.answer(&call.operation, &f.module, resp, NOW);
    let body = match &a {
        Answer::Keep => String::from_utf8_lossy(&resp.body).into_owned(),
        Answer::Replace(t) => {
            match serde_json::from_str::<serde_json::Value>(t) {
                Ok(v) => assert!(v["success"].is_boolean(), "a replaced body: {t}"),
                Err(e) => assert!(
                    crmwire_fuzz::beyond_serde(t, &e),
                    "not strict JSON: {e}: {t}"
                ),
            }
            t.clone()
        }
        Answer::SessionRefused => return,
    };
    if op == "listtypes"
        && inp.filter_listtypes
        && model.only()
        && envelope::decode_raw(resp, "listtypes").is_ok()
    {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
        let r = &v["result"];
        for t in r["types"].as_array().into_iter().flatten() {
            if let Some(t) = t.as_str() {
                assert!(model.allowed(t), "listtypes passes {t} on");
            }
        }
        for m in r["information"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
        {
            assert!(model.allowed(m), "listtypes passes information on {m}");
        }
    }
});

/// The request as sent: exactly one `operation` (the call's) and one `sessionName` (the
/// proxy's), no other name the proxy owns.
fn wire(call: &Call) {
    let ep = Endpoint::parse(ENDPOINT).unwrap();
    let req = match call.to_request(&ep, Some(&Secret::new(SESSION))) {
        Ok(r) => r,
        Err(e) => {
            // Only a GET longer than the server takes.
            assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
            assert_eq!(call.method, Method::Get, "{e:?}");
            return;
        }
    };
    let sent = match req.method {
        Method::Get => req
            .url
            .split_once('?')
            .map(|(_, q)| q.as_bytes().to_vec())
            .unwrap_or_default(),
        _ => req.body.clone().expect("a POST body"),
    };
    let got: Vec<(String, String)> = form_urlencoded::parse(&sent).into_owned().collect();
    let named = |n: &str| {
        got.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(n))
            .count()
    };
    assert_eq!(named("operation"), 1);
    assert_eq!(named("sessionName"), 1);
    assert_eq!(named("phpsessid") + named("format"), 0);
    assert!(got.contains(&("sessionName".to_owned(), SESSION.to_owned())));
    assert!(got.contains(&("operation".to_owned(), call.operation.clone())));
}

/// A forwarded `element`.
fn element(op: &str, sent: &str, given: &str, call: &Call, model: &Model) {
    let tree = json::parse(sent).expect("the forwarded element is JSON");
    assert!(!has_duplicate_key(&tree), "a key twice: {sent}");
    let strict: serde_json::Value = match serde_json::from_str(sent) {
        Ok(v) => v,
        Err(e) => {
            assert!(
                crmwire_fuzz::beyond_serde(sent, &e),
                "not strict JSON: {e}: {sent}"
            );
            return;
        }
    };
    let server = zend_decode(sent).unwrap_or_else(|| panic!("Vtiger cannot read {sent}"));
    assert_eq!(server, strict, "Vtiger reads another element: {sent}");
    let mut meant = to_serde(&json::parse(given).expect("the caller's element"));
    let mut read = server.clone();
    if op == "create" && call.param("elementType") == Some("Calendar") {
        // The core sets Calendar's default activitytype.
        for v in [&mut meant, &mut read] {
            if let Some(o) = v.as_object_mut() {
                o.remove("activitytype");
            }
        }
    }
    assert_eq!(
        read, meant,
        "the caller's element changed: {given} -> {sent}"
    );
    let s = |k: &str| server.get(k).and_then(|v| v.as_str());
    match op {
        "update" | "revise" => model.id(s("id").expect("an element id"), "element id"),
        "convertlead" => {
            model.id(s("leadId").expect("a leadId"), "leadId");
            if let Some(e) = server.get("entities").filter(|e| !e.is_null()) {
                for (k, v) in e.as_object().expect("entities object") {
                    model.module(k, "convertlead entity");
                    let name = v.as_object().expect("an entity object").get("name");
                    assert!(
                        name.is_none_or(|n| n.as_str() == Some(k)),
                        "entity {k} named {name:?}"
                    );
                }
            }
            if let Some(m) = server
                .get("transferRelatedRecordsTo")
                .filter(|m| !m.is_null())
            {
                model.module(
                    m.as_str().expect("a module name"),
                    "transferRelatedRecordsTo",
                );
            }
            if let Some(a) = server.get("assignedTo").filter(|a| !a.is_null()) {
                let a = a.as_str().expect("assignedTo is an id");
                let id: WsId = a.parse().expect("assignedTo is an id");
                assert_eq!(id.to_string(), a);
            }
        }
        _ => {}
    }
}

/// A forwarded VTQL text (`given`: the caller's).
fn query(op: &str, text: &str, given: &str, model: &Model) {
    let full = if op == "query_related" {
        assert!(!text.ends_with(';'), "query_related with a ;");
        assert!(
            text.as_bytes().windows(5).filter(|w| w == b"WHERE").count() <= 1,
            "query_related with WHERE twice: {text}"
        );
        format!("{text};")
    } else {
        text.to_owned()
    };
    let sel = Select::parse(&full).unwrap_or_else(|e| panic!("{full}: {e:?}"));
    assert_eq!(sel.render().unwrap(), full, "not a fixed point");
    // The caller's statement, LIMIT capped as the server caps it (ids render as the strings).
    let meant = if op == "query_related" {
        format!("{};", given.trim_end_matches([';', ' ', '\t', '\r', '\n']))
    } else {
        given.to_owned()
    };
    let mut meant = Select::parse(&meant).expect("the caller's query parses");
    if let Some(l) = &mut meant.limit {
        l.count = l.count.min(MAX_ROWS);
    }
    assert_eq!(
        meant.render().unwrap(),
        full,
        "the caller's query changed: {given}"
    );
    // (Only allowed: VTQL's identifiers may start with `_`, parameters' module names not; with
    // `modules: '*'` such a module is the server's to refuse.)
    assert!(
        model.allowed(&sel.module),
        "FROM {} is not allowed",
        sel.module
    );
    if let Some(l) = &sel.limit {
        assert!(l.count <= MAX_ROWS, "LIMIT {}", l.count);
    }
    let mut terms = Vec::new();
    fn walk<'a>(c: &'a Cond, out: &mut Vec<&'a crmwire::vtiger::vtql::Term>) {
        match c {
            Cond::Term(t) => out.push(t),
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| walk(c, out)),
        }
    }
    if let Some(w) = &sel.where_ {
        walk(w, &mut terms);
    }
    fn flat(v: &Value) -> Vec<&Value> {
        match v {
            Value::List(items) => items.iter().flat_map(flat).collect(),
            v => vec![v],
        }
    }
    let strings = terms
        .iter()
        .any(|t| flat(&t.value).iter().any(|v| matches!(v, Value::Str(_))));
    // The server's reading (the simulator's VTQL parser, written from Vtiger's grammar apart
    // from the core): the same module and the same terms in order; on `id` and on the module's
    // reference/owner fields every value is a canonical id once its quotes are stripped (the
    // server pastes the part after `x` into SQL unquoted), or a bare integer.
    let server = crmwire_sim::vtql::parse(&full).unwrap_or_else(|e| panic!("{full}: {e:?}"));
    assert_eq!(server.module, sel.module);
    assert_eq!(server.conds.len(), terms.len(), "{full}");
    let described = model.refs(&sel.module).unwrap_or_default();
    for (c, t) in server.conds.iter().zip(&terms) {
        assert!(c.field.eq_ignore_ascii_case(&t.field), "{full}");
        if c.field.eq_ignore_ascii_case("id")
            || described.iter().any(|r| r.eq_ignore_ascii_case(&c.field))
        {
            for v in &c.values {
                let bare = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\''));
                match bare {
                    Some(b) => assert!(
                        b.parse::<WsId>().is_ok_and(|id| id.to_string() == b),
                        "{}: {v} reaches the server's SQL: {full}",
                        c.field
                    ),
                    None => assert!(
                        v.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
                        "{}: {v}: {full}",
                        c.field
                    ),
                }
            }
        }
    }
    let Some(refs) = model.refs(&sel.module) else {
        assert!(!strings, "a string value on an undescribed module: {full}");
        return;
    };
    for t in terms {
        if refs.iter().any(|r| r.eq_ignore_ascii_case(&t.field)) {
            for v in flat(&t.value) {
                match v {
                    Value::Id(_) => {}
                    Value::Str(s) => {
                        let id: WsId = s
                            .parse()
                            .unwrap_or_else(|_| panic!("{}: {s:?} is not an id: {full}", t.field));
                        assert_eq!(&id.to_string(), s);
                    }
                    other => panic!("{}: {other:?} on a reference field: {full}", t.field),
                }
            }
        }
    }
}
