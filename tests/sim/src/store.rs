//! In-memory CRM state: records per module in a BTreeMap keyed by crmid, sessions, challenges, clock.

use crate::json::{push_str, Obj};
use crate::schema::{Blank, Module, Schema};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// An API-level failure.
#[derive(Debug, Clone)]
pub enum Fail {
    /// `{"success":false,"error":{...}}`
    Api(&'static str, String),
    /// A raw HTTP answer (status, content type, body).
    Raw(u16, &'static str, String),
}

pub fn api(code: &'static str, msg: impl Into<String>) -> Fail {
    Fail::Api(code, msg.into())
}
pub fn http500() -> Fail {
    Fail::Raw(500, "text/html; charset=UTF-8", String::new())
}
pub const DENIED: &str = "Permission to perform the operation is denied";
pub const DENIED_ID: &str = "Permission to perform the operation is denied for id";
pub const BAD_ID: &str = "Id specified is incorrect";
pub const UNKNOWN: &str = "Unknown Error while processing request";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    Retrieve,
    Query,
    /// wsapp_get: query form with reference fields rendered as names.
    Wsapp,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub crmid: u64,
    /// Module index whose prefix addresses this record.
    pub module: usize,
    /// Set values, sparse: (field index, value). "" is never stored (unset instead).
    pub vals: Vec<(u16, Box<str>)>,
    pub ctime: i64,
    pub mtime: i64,
    pub deleted: bool,
}

impl Record {
    pub fn get(&self, fi: usize) -> Option<&str> {
        self.vals
            .iter()
            .find(|(i, _)| *i as usize == fi)
            .map(|(_, v)| &**v)
    }
    pub fn set(&mut self, fi: usize, v: Option<String>) {
        let pos = self.vals.iter().position(|(i, _)| *i as usize == fi);
        match (pos, v) {
            (Some(p), Some(v)) if !v.is_empty() => self.vals[p].1 = v.into_boxed_str(),
            (Some(p), _) => {
                self.vals.remove(p);
            }
            (None, Some(v)) if !v.is_empty() => self.vals.push((fi as u16, v.into_boxed_str())),
            (None, _) => {}
        }
    }
}

pub struct Attachment {
    pub id: u64,
    pub doc: u64,
    pub filename: String,
    pub filetype: String,
    pub content: Vec<u8>,
}

pub struct Session {
    pub user: u64,
    pub last_used: i64,
}

pub struct Challenge {
    pub token: String,
    pub expires: i64,
    /// When the token's row exists: Vtiger's getchallenge DELETEs the user's token and then
    /// INSERTs the new one, and a login landing in between finds none (INVALID_AUTH_TOKEN).
    pub inserted_at: std::time::Instant,
}

pub struct User {
    pub id: u64,
    pub user_name: String,
    pub access_key: String,
    /// Recorded retrieve shape (ordered pairs) of the admin user.
    pub retrieve: Vec<(String, serde_json::Value)>,
    pub query: Vec<(String, serde_json::Value)>,
}

impl User {
    pub fn get(&self, k: &str) -> String {
        self.retrieve
            .iter()
            .find(|(kk, _)| kk == k)
            .and_then(|(_, v)| v.as_str().map(String::from))
            .unwrap_or_default()
    }
    pub fn display_name(&self) -> String {
        format!("{} {}", self.get("first_name"), self.get("last_name"))
            .trim()
            .to_string()
    }
}

#[derive(Default, Clone)]
pub struct Stats {
    pub logins: u64,
    pub requests: BTreeMap<String, u64>,
}

pub struct Db {
    pub schema: Arc<Schema>,
    pub tables: Vec<BTreeMap<u64, Record>>,
    pub where_is: HashMap<u64, usize>,
    pub next_crmid: u64,
    pub autonum: HashMap<usize, u64>,
    pub relations: HashSet<(u64, u64)>,
    pub attachments: HashMap<u64, Attachment>,
    pub converted: HashSet<u64>,
    pub wsapp_keys: HashMap<String, i64>,
    pub users: Vec<User>,
    pub sessions: HashMap<String, Session>,
    pub challenges: HashMap<u64, Challenge>,
    pub clock_offset: i64,
    pub uniq: u64,
    pub stats: Stats,
}

pub fn now_real() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for an epoch second.
pub fn fmt_time(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (y, m, d) = civil(days);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        y,
        m,
        d,
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// HTML entity encoding of a label (PHP htmlentities, ENT_QUOTES, UTF-8), as recorded.
pub fn htmlentities(s: &str) -> String {
    const LATIN1: [&str; 96] = [
        "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
        "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
        "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
        "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave",
        "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve",
        "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc",
        "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring",
        "aelig", "ccedil", "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc",
        "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash",
        "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
    ];
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}'..='\u{ff}' => {
                out.push('&');
                out.push_str(LATIN1[c as usize - 0xa0]);
                out.push(';');
            }
            _ => out.push(c),
        }
    }
    out
}

/// utf8mb3: every 4-byte UTF-8 character becomes one `?` per byte.
pub fn mb3(s: &str) -> String {
    if s.chars().all(|c| (c as u32) < 0x10000) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (c as u32) >= 0x10000 {
            out.push_str("????");
        } else {
            out.push(c);
        }
    }
    out
}

pub struct SplitMix(pub u64);
impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next_u64() % xs.len() as u64) as usize]
    }
}

pub const ADMIN_ID: u64 = 1;

impl Db {
    pub fn new(schema: Arc<Schema>, username: &str, access_key: &str, clock_offset: i64) -> Db {
        let st = &schema.shapes["static"]["Users"];
        let pairs = |v: &serde_json::Value| -> Vec<(String, serde_json::Value)> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|kv| (kv[0].as_str().unwrap().to_string(), kv[1].clone()))
                .collect()
        };
        let mut retrieve = pairs(&st["retrieve"][0]);
        let mut query = pairs(&st["query"][0]);
        for p in retrieve.iter_mut().chain(query.iter_mut()) {
            if p.0 == "user_name" {
                p.1 = serde_json::Value::String(username.to_string());
            }
        }
        let n = schema.modules.len();
        Db {
            tables: (0..n).map(|_| BTreeMap::new()).collect(),
            schema,
            where_is: HashMap::new(),
            next_crmid: 9,
            autonum: HashMap::new(),
            relations: HashSet::new(),
            attachments: HashMap::new(),
            converted: HashSet::new(),
            wsapp_keys: HashMap::new(),
            users: vec![User {
                id: ADMIN_ID,
                user_name: username.to_string(),
                access_key: access_key.to_string(),
                retrieve,
                query,
            }],
            sessions: HashMap::new(),
            challenges: HashMap::new(),
            clock_offset,
            uniq: 0,
            stats: Stats::default(),
        }
    }

    pub fn now(&self) -> i64 {
        now_real() + self.clock_offset
    }

    /// A fresh `uniqid()`: PHP's is the clock in microseconds (8 hex digits of seconds, 5 of
    /// microseconds; getchallenge tokens of the lab servers read as their clock), strictly
    /// increasing (PHP waits for the next microsecond). The simulated clock's offset included.
    pub fn uniqid(&mut self) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0)
            .saturating_add_signed(self.clock_offset.saturating_mul(1_000_000));
        self.uniq = now.max(self.uniq + 1);
        format!("{:08x}{:05x}", self.uniq / 1_000_000, self.uniq % 1_000_000)
    }

    pub fn m(&self, name: &str) -> usize {
        self.schema.module(name).expect("module")
    }

    pub fn module(&self, i: usize) -> &Module {
        &self.schema.modules[i]
    }

    pub fn next_autonum(&mut self, module: usize) -> Option<String> {
        let prefix = match self.schema.modules[module].name.as_str() {
            "Contacts" => "CON",
            "Accounts" => "ACC",
            "Leads" => "LEA",
            "Potentials" => "POT",
            "HelpDesk" => "TT",
            "Products" => "PRO",
            "Documents" => "DOC",
            "Campaigns" => "CAM",
            "Vendors" => "VEN",
            "Quotes" => "QUO",
            "Invoice" => "INV",
            "SalesOrder" => "SO",
            "PurchaseOrder" => "PO",
            "Services" => "SER",
            "Assets" => "ASSET",
            "Project" => "PROJ",
            "ProjectTask" => "PT",
            "ProjectMilestone" => "PM",
            "ServiceContracts" => "SERCON",
            "Faq" => "FAQ",
            "PriceBooks" => "PB",
            _ => return None,
        };
        let n = self.autonum.entry(module).or_insert(0);
        *n += 1;
        Some(format!("{prefix}{n}"))
    }

    /// Inserts a fully prepared record.
    pub fn insert(&mut self, rec: Record) {
        self.where_is.insert(rec.crmid, rec.module);
        self.tables[rec.module].insert(rec.crmid, rec);
    }

    pub fn alloc_crmid(&mut self) -> u64 {
        let id = self.next_crmid;
        self.next_crmid += 1;
        id
    }

    pub fn label_of(&self, rec: &Record) -> String {
        let m = self.module(rec.module);
        let parts: Vec<&str> = m
            .label_fields
            .iter()
            .filter_map(|&fi| rec.get(fi))
            .collect();
        htmlentities(parts.join(" ").trim())
    }

    /// Display name of a reference value (`<prefix>x<crmid>`), for wsapp_get.
    pub fn ref_name(&self, v: &str) -> String {
        if let Some((p, id)) = v.split_once('x') {
            if let (Ok(p), Ok(id)) = (p.parse::<u32>(), id.parse::<u64>()) {
                if p == 19 {
                    if let Some(u) = self.users.iter().find(|u| u.id == id) {
                        return u.display_name();
                    }
                }
                if let Some(&mi) = self.where_is.get(&id) {
                    if let Some(r) = self.tables[mi].get(&id) {
                        return self.label_of(r);
                    }
                }
            }
        }
        v.to_string()
    }

    /// Renders one stored value in the requested form (None = JSON null).
    pub fn value<'a>(
        &'a self,
        m: &'a Module,
        rec: &'a Record,
        fi: usize,
        form: Form,
    ) -> Option<std::borrow::Cow<'a, str>> {
        use std::borrow::Cow;
        let f = &m.fields[fi];
        match f.name.as_str() {
            "createdtime" => return Some(Cow::Owned(fmt_time(rec.ctime))),
            "modifiedtime" => return Some(Cow::Owned(fmt_time(rec.mtime))),
            _ => {}
        }
        match rec.get(fi) {
            Some(v) => {
                if form == Form::Wsapp && f.ftype == "reference" {
                    Some(Cow::Owned(self.ref_name(v)))
                } else {
                    Some(Cow::Borrowed(v))
                }
            }
            None => {
                let b = if form == Form::Retrieve {
                    &f.blank_retrieve
                } else {
                    &f.blank_query
                };
                match b {
                    Blank::Null => None,
                    Blank::Str(s) => Some(Cow::Borrowed(s.as_str())),
                }
            }
        }
    }

    /// Writes a whole record (all fields) in the module's recorded key order.
    pub fn render_full(&self, out: &mut String, rec: &Record, as_module: usize, form: Form) {
        let m = self.module(as_module);
        // Fields are looked up by name in the record's own module (Calendar vs Events share names).
        let own = self.module(rec.module);
        out.push('{');
        let order = if form == Form::Retrieve {
            &m.retrieve_order
        } else {
            &m.query_order
        };
        for &fi in order {
            let name = &m.fields[fi].name;
            let ofi = if as_module == rec.module {
                Some(fi)
            } else {
                own.fidx(name)
            };
            push_str(out, name);
            out.push(':');
            let v = match ofi {
                Some(ofi) => self.value(own, rec, ofi, form),
                None => match &m.fields[fi].blank_retrieve {
                    Blank::Null => None,
                    Blank::Str(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
                },
            };
            match v {
                Some(v) => push_str(out, &v),
                None => out.push_str("null"),
            }
            out.push(',');
        }
        out.push_str("\"id\":");
        push_str(out, &format!("{}x{}", m.prefix, rec.crmid));
        if form == Form::Retrieve {
            out.push_str(",\"label\":");
            push_str(out, &self.label_of(rec));
            if m.name == "Products" {
                let up = own
                    .fidx("unit_price")
                    .and_then(|fi| rec.get(fi))
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0);
                out.push_str(",\"currency1\":");
                out.push_str(
                    &serde_json::Number::from_f64(up)
                        .map(|n| n.to_string())
                        .unwrap_or("0".into()),
                );
                out.push_str(",\"currency_id\":\"21x1\"");
            }
        }
        out.push('}');
    }

    /// Writes the selected columns (query form), `id` appended when not selected.
    pub fn render_cols(
        &self,
        out: &mut String,
        rec: &Record,
        cols: &[Option<usize>],
        names: &[String],
    ) {
        let m = self.module(rec.module);
        out.push('{');
        let mut has_id = false;
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, &names[i]);
            out.push(':');
            match c {
                None => {
                    has_id = true;
                    push_str(out, &format!("{}x{}", m.prefix, rec.crmid));
                }
                Some(fi) => match self.value(m, rec, *fi, Form::Query) {
                    Some(v) => push_str(out, &v),
                    None => out.push_str("null"),
                },
            }
        }
        if !has_id {
            if !cols.is_empty() {
                out.push(',');
            }
            out.push_str("\"id\":");
            push_str(out, &format!("{}x{}", m.prefix, rec.crmid));
        }
        out.push('}');
    }

    pub fn user_json(&self, u: &User, form: Form) -> String {
        let pairs = if form == Form::Retrieve {
            &u.retrieve
        } else {
            &u.query
        };
        let mut o = Obj::new();
        for (k, v) in pairs {
            o = o.val(k, v);
        }
        o.done()
    }

    /// Seeds demo data: `contacts` Contacts plus a fixed set of other records.
    pub fn seed(&mut self, seed: u64, contacts: usize) {
        let mut rng = SplitMix(seed);
        let total = contacts + 60 + 80 + 50 + 40;
        // At most 20 records share one modified second (real bulk writes give up to ~25).
        let base = self.now() - (total as i64 / 20) - 3600;
        let mut k: i64 = 0;
        let next_t = |k: &mut i64| {
            let t = base + *k / 20;
            *k += 1;
            t
        };
        const FIRST: &[&str] = &[
            "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Anna", "Ben", "Chloé", "David", "Emma",
            "Fatima", "Gustav", "Hiro", "Ines", "José", "Kai", "Lena", "Mateo", "Noor", "Olga",
        ];
        const LAST: &[&str] = &[
            "Smith", "Müller", "García", "Rossi", "Dubois", "Tanaka", "Kowalski", "Nguyen",
            "Silva", "O'Brien", "Jensen", "Novak", "Haddad", "Ivanova", "Kim", "Larsen", "Moreau",
            "Costa",
        ];
        const CITY: &[&str] = &[
            "Paris", "Berlin", "Tokyo", "Lisbon", "Oslo", "Austin", "Nairobi",
        ];
        const SRC: &[&str] = &[
            "Cold Call",
            "Existing Customer",
            "Web Site",
            "Partner",
            "Trade Show",
        ];
        const IND: &[&str] = &[
            "Banking",
            "Technology",
            "Retail",
            "Healthcare",
            "Energy",
            "Education",
        ];
        let acc = self.m("Accounts");
        let mut account_ids = Vec::new();
        for i in 0..60 {
            let t = next_t(&mut k);
            let name = format!(
                "{} {} {}",
                rng.pick(LAST),
                rng.pick(&["Ltd", "GmbH", "SA", "Inc", "Group"]),
                i + 1
            );
            let vals = vec![
                ("accountname", name.clone()),
                ("industry", rng.pick(IND).to_string()),
                ("bill_city", rng.pick(CITY).to_string()),
                ("website", format!("https://acct{}.example.com", i + 1)),
                ("phone", format!("+1 555 01{:02}", i % 100)),
                ("employees", format!("{}", 5 + rng.next_u64() % 5000)),
                (
                    "annual_revenue",
                    format!("{}.00000000", (rng.next_u64() % 900 + 100) * 1000),
                ),
            ];
            account_ids.push(self.seed_one(acc, &vals, t));
        }
        let con = self.m("Contacts");
        for i in 0..contacts {
            let t = next_t(&mut k);
            let first = rng.pick(FIRST);
            let last = format!("{}{:04}", rng.pick(LAST), i + 1);
            let mut vals = vec![
                ("firstname", first.to_string()),
                ("lastname", last),
                ("email", format!("contact{:05}@example.com", i + 1)),
                ("mailingcity", rng.pick(CITY).to_string()),
                ("leadsource", rng.pick(SRC).to_string()),
                ("title", format!("T{}", i % 10)),
            ];
            if i % 3 == 0 && !account_ids.is_empty() {
                let a = account_ids[(rng.next_u64() % account_ids.len() as u64) as usize];
                vals.push(("account_id", format!("11x{a}")));
            }
            self.seed_one(con, &vals, t);
        }
        let lea = self.m("Leads");
        for i in 0..80 {
            let t = next_t(&mut k);
            let vals = vec![
                ("firstname", rng.pick(FIRST).to_string()),
                ("lastname", format!("{} Lead{}", rng.pick(LAST), i + 1)),
                ("company", format!("Prospect {} Co", i + 1)),
                ("leadsource", rng.pick(SRC).to_string()),
                (
                    "leadstatus",
                    rng.pick(&["Attempted to Contact", "Cold", "Contacted", "Hot", "Warm"])
                        .to_string(),
                ),
                ("email", format!("lead{:03}@example.com", i + 1)),
            ];
            self.seed_one(lea, &vals, t);
        }
        let pot = self.m("Potentials");
        for i in 0..50 {
            let t = next_t(&mut k);
            let a = account_ids[(rng.next_u64() % account_ids.len() as u64) as usize];
            let vals = vec![
                ("potentialname", format!("Deal {}", i + 1)),
                (
                    "amount",
                    format!("{}.00000000", (rng.next_u64() % 100 + 1) * 500),
                ),
                ("related_to", format!("11x{a}")),
                (
                    "closingdate",
                    format!("2027-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                ),
                (
                    "sales_stage",
                    rng.pick(&[
                        "Prospecting",
                        "Qualification",
                        "Negotiation/Review",
                        "Closed Won",
                        "Closed Lost",
                    ])
                    .to_string(),
                ),
                ("probability", format!("{}.000", rng.next_u64() % 100)),
            ];
            self.seed_one(pot, &vals, t);
        }
        let hd = self.m("HelpDesk");
        for i in 0..40 {
            let t = next_t(&mut k);
            let a = account_ids[(rng.next_u64() % account_ids.len() as u64) as usize];
            let vals = vec![
                (
                    "ticket_title",
                    format!(
                        "Ticket {}: {}",
                        i + 1,
                        rng.pick(&[
                            "Printer on fire",
                            "Login fails",
                            "Invoice wrong",
                            "Slow dashboard"
                        ])
                    ),
                ),
                (
                    "ticketstatus",
                    rng.pick(&["Open", "In Progress", "Wait For Response", "Closed"])
                        .to_string(),
                ),
                (
                    "ticketpriorities",
                    rng.pick(&["Low", "Normal", "High", "Urgent"]).to_string(),
                ),
                ("parent_id", format!("11x{a}")),
                ("description", "Seeded ticket".to_string()),
            ];
            self.seed_one(hd, &vals, t);
        }
    }

    fn seed_one(&mut self, module: usize, vals: &[(&str, String)], t: i64) -> u64 {
        let crmid = self.alloc_crmid();
        let mut rec = Record {
            crmid,
            module,
            vals: Vec::new(),
            ctime: t,
            mtime: t,
            deleted: false,
        };
        let (ai, mi, si) = {
            let m = self.module(module);
            (
                m.fidx("assigned_user_id"),
                m.fidx("modifiedby"),
                m.fidx("source"),
            )
        };
        for (k, v) in vals {
            if let Some(fi) = self.module(module).fidx(k) {
                rec.set(fi, Some(v.clone()));
            }
        }
        if let Some(fi) = ai {
            rec.set(fi, Some("19x1".into()));
        }
        if let Some(fi) = mi {
            rec.set(fi, Some("19x1".into()));
        }
        if let Some(fi) = si {
            rec.set(fi, Some("WEBSERVICE".into()));
        }
        if let Some(no) = self.next_autonum(module) {
            let name = match self.module(module).name.as_str() {
                "Contacts" => "contact_no",
                "Accounts" => "account_no",
                "Leads" => "lead_no",
                "Potentials" => "potential_no",
                "HelpDesk" => "ticket_no",
                _ => "",
            };
            if let Some(fi) = self.module(module).fidx(name) {
                rec.set(fi, Some(no));
            }
        }
        self.insert(rec);
        crmid
    }

    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (i, t) in self.tables.iter().enumerate() {
            let n = t.values().filter(|r| !r.deleted).count();
            if n > 0 {
                out.insert(self.schema.modules[i].name.clone(), n);
            }
        }
        out
    }
}
