//! The webservice operations, with the recorded error codes and messages.

use crate::json::{push_str, success, Obj};
use crate::sql::{self, Col, V};
use crate::store::*;
use crate::vtql::{self, VtqlError};
use crate::{Config, Profile};
use md5::{Digest, Md5};
use serde_json::Value;

pub type Params = Vec<(String, String)>;

pub fn param<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
    p.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.as_str())
}

/// An uploaded file part (multipart create of Documents).
#[derive(Clone, Debug)]
pub struct FilePart {
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

pub struct Ctx<'a> {
    pub db: &'a mut Db,
    pub cfg: &'a Config,
    pub user: u64,
    pub session: String,
    pub files: Vec<FilePart>,
    /// An update or revise is running (Documents keep their file unless a new one comes).
    pub mode_edit: bool,
}

type R = Result<String, Fail>;

pub fn md5_hex(s: &str) -> String {
    let mut h = Md5::new();
    h.update(s.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------- auth

/// Time between the DELETE of a user's token and the INSERT of the new one in getchallenge.
pub const CHALLENGE_GAP: std::time::Duration = std::time::Duration::from_millis(2);

pub fn getchallenge(db: &mut Db, p: &Params) -> R {
    let name = param(p, "username").unwrap_or("");
    if name.is_empty() {
        return Err(api("ACCESS_DENIED", "No username given"));
    }
    let uid = db
        .users
        .iter()
        .find(|u| u.user_name.eq_ignore_ascii_case(name))
        .map(|u| u.id)
        .ok_or_else(|| api("ACCESS_DENIED", "username does not exists"))?;
    let token = db.uniqid();
    let now = db.now();
    // One token per user (live findings G): a getchallenge replaces the user's token, so a
    // getchallenge of another client between a client's getchallenge and its login makes that
    // login fail (INVALID_USER_CREDENTIALS), or INVALID_AUTH_TOKEN while the new row is not
    // inserted yet (CHALLENGE_GAP; the answer is sent after it).
    db.challenges.insert(
        uid,
        Challenge {
            token: token.clone(),
            expires: now + 300,
            inserted_at: std::time::Instant::now() + CHALLENGE_GAP,
        },
    );
    Ok(success(
        &Obj::new()
            .str("token", &token)
            .raw("serverTime", &now.to_string())
            .raw("expireTime", &(now + 300).to_string())
            .done(),
    ))
}

pub fn login(db: &mut Db, cfg: &Config, p: &Params) -> R {
    let name = param(p, "username").unwrap_or("");
    let bad_token = || {
        api(
            "INVALID_AUTH_TOKEN",
            "Specified token is invalid or expired",
        )
    };
    let ui = db
        .users
        .iter()
        .position(|u| !name.is_empty() && u.user_name.eq_ignore_ascii_case(name))
        .ok_or_else(bad_token)?;
    let uid = db.users[ui].id;
    let now = db.now();
    let token = match db.challenges.get(&uid) {
        Some(c) if c.expires >= now && c.inserted_at <= std::time::Instant::now() => {
            c.token.clone()
        }
        _ => return Err(bad_token()),
    };
    let want = md5_hex(&format!("{}{}", token, db.users[ui].access_key));
    match param(p, "accessKey") {
        Some(k) if k == want => {}
        _ => {
            return Err(api(
                "INVALID_USER_CREDENTIALS",
                "Invalid username or password",
            ))
        }
    }
    let sess = format!(
        "{:x}{}",
        (db.uniq.wrapping_mul(2654435761)) as u32,
        db.uniqid()
    );
    db.sessions.insert(
        sess.clone(),
        Session {
            user: uid,
            last_used: now,
        },
    );
    db.stats.logins += 1;
    let u = &db.users[ui];
    let o = Obj::new()
        .str("username", &u.user_name)
        .str("first_name", &u.get("first_name"))
        .str("last_name", &u.get("last_name"))
        .str("email", &u.get("email1"))
        .str("time_zone", &u.get("time_zone"))
        .str("hour_format", &u.get("hour_format"))
        .str("date_format", &u.get("date_format"))
        .str("is_admin", &u.get("is_admin"))
        .str("call_duration", &u.get("callduration"))
        .str("other_event_duration", &u.get("othereventduration"))
        .str("sessionName", &sess)
        .str("userId", &format!("19x{uid}"))
        .str("version", "0.22")
        .str("vtigerVersion", cfg.profile.version());
    Ok(success(&o.done()))
}

pub fn extendsession(ctx: &mut Ctx) -> R {
    Ok(success(
        &Obj::new()
            .str("sessionName", &ctx.session)
            .str("userId", &format!("19x{}", ctx.user))
            .str("version", "0.22")
            .str("vtigerVersion", ctx.cfg.profile.version())
            .done(),
    ))
}

pub fn logout(ctx: &mut Ctx) -> R {
    ctx.db.sessions.remove(&ctx.session);
    Ok(success(r#"{"message":"successfull"}"#))
}

// ---------------------------------------------------------------- meta

pub fn listtypes(ctx: &mut Ctx, p: &Params) -> R {
    let filter: Option<Vec<String>> = match param(p, "fieldTypeList") {
        None => None,
        Some(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(a)) => Some(
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
            ),
            Ok(Value::String(x)) => Some(vec![x]),
            _ => return Err(api("INTERNAL_SERVER_ERROR", UNKNOWN)),
        },
    };
    let schema = ctx.db.schema.clone();
    let mods: Vec<_> = schema
        .modules
        .iter()
        .filter(|m| match &filter {
            None => true,
            // Recorded: the filter only lists entity modules, never Users (011, 012).
            Some(ts) => {
                m.is_entity && m.name != "Users" && m.fields.iter().any(|f| ts.contains(&f.ftype))
            }
        })
        .collect();
    let mut types = String::from("[");
    let mut info = Obj::new();
    for (i, m) in mods.iter().enumerate() {
        if i > 0 {
            types.push(',');
        }
        push_str(&mut types, &m.name);
        info = info.raw(
            &m.name,
            &Obj::new()
                .val("isEntity", &m.info["isEntity"])
                .val("label", &m.info["label"])
                .val("singular", &m.info["singular"])
                .done(),
        );
    }
    types.push(']');
    let info = if mods.is_empty() {
        "[]".to_string()
    } else {
        info.done()
    };
    Ok(success(
        &Obj::new()
            .raw("types", &types)
            .raw("information", &info)
            .done(),
    ))
}

pub fn describe(ctx: &mut Ctx, p: &Params) -> R {
    let et = param(p, "elementType").unwrap_or("");
    let mi = ctx.db.schema.module(et).ok_or_else(|| {
        api(
            "ACCESS_DENIED",
            format!("Permission to perform the operation is denied for name : {et}"),
        )
    })?;
    Ok(success(ctx.db.schema.modules[mi].describe_raw))
}

// ---------------------------------------------------------------- ids

/// Parses `<prefix>x<crmid>`: (module, crmid).
pub fn parse_id(db: &Db, s: &str) -> Result<(usize, u64), Fail> {
    let (p, n) = s
        .split_once('x')
        .ok_or_else(|| api("ACCESS_DENIED", DENIED_ID))?;
    let prefix: u32 = p.parse().map_err(|_| api("ACCESS_DENIED", DENIED_ID))?;
    let mi = *db
        .schema
        .by_prefix
        .get(&prefix)
        .ok_or_else(|| api("ACCESS_DENIED", DENIED_ID))?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(api("INVALID_ID_ATTRIBUTE", BAD_ID));
    }
    let id: u64 = n.parse().map_err(|_| api("INVALID_ID_ATTRIBUTE", BAD_ID))?;
    Ok((mi, id))
}

/// Finds a live entity record addressed by `s`.
fn live(db: &Db, s: &str) -> Result<(usize, u64), Fail> {
    let (mi, id) = parse_id(db, s)?;
    match db.where_is.get(&id) {
        Some(&real) if real != mi => Err(api("INVALID_ID_ATTRIBUTE", BAD_ID)),
        Some(_) => {
            if db.tables[mi][&id].deleted {
                Err(api("ACCESS_DENIED", DENIED))
            } else {
                Ok((mi, id))
            }
        }
        None => Err(api("ACCESS_DENIED", DENIED)),
    }
}

fn static_rows(db: &Db, module: &str, form: &str) -> Vec<Vec<(String, Value)>> {
    db.schema.shapes["static"][module][form]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .unwrap()
                        .iter()
                        .map(|kv| (kv[0].as_str().unwrap().to_string(), kv[1].clone()))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs_json(p: &[(String, Value)]) -> String {
    let mut o = Obj::new();
    for (k, v) in p {
        o = o.val(k, v);
    }
    o.done()
}

pub fn retrieve(ctx: &mut Ctx, p: &Params) -> R {
    let id = param(p, "id").unwrap_or("");
    let (mi, crmid) = parse_id(ctx.db, id)?;
    let mname = ctx.db.schema.modules[mi].name.clone();
    match mname.as_str() {
        "Users" => {
            let u = ctx
                .db
                .users
                .iter()
                .find(|u| u.id == crmid)
                .ok_or_else(|| api("ACCESS_DENIED", DENIED))?;
            return Ok(success(&ctx.db.user_json(u, Form::Retrieve)));
        }
        "Groups" | "Currency" | "DocumentFolders" => {
            let want = format!("{}x{}", ctx.db.schema.modules[mi].prefix, crmid);
            let rows = static_rows(ctx.db, &mname, "retrieve");
            let rows = if rows.is_empty() {
                static_rows(ctx.db, &mname, "query")
            } else {
                rows
            };
            for r in rows {
                if r.iter()
                    .any(|(k, v)| k == "id" && v == &Value::String(want.clone()))
                {
                    return Ok(success(&pairs_json(&r)));
                }
            }
            if mname == "Groups" {
                for r in static_rows(ctx.db, "Groups", "query") {
                    if r.iter()
                        .any(|(k, v)| k == "id" && v == &Value::String(want.clone()))
                    {
                        let mut out =
                            vec![("groupid".to_string(), Value::String(crmid.to_string()))];
                        out.extend(r.into_iter().filter(|(k, _)| k != "id"));
                        out.push(("id".into(), Value::String(want.clone())));
                        return Ok(success(&pairs_json(&out)));
                    }
                }
            }
            return Err(api("ACCESS_DENIED", DENIED));
        }
        _ => {}
    }
    let (mi, crmid) = live(ctx.db, id)?;
    let mut out = String::new();
    render_retrieve(ctx.db, &mut out, mi, crmid, mi);
    Ok(success(&out))
}

fn render_retrieve(db: &Db, out: &mut String, mi: usize, crmid: u64, as_module: usize) {
    let rec = &db.tables[mi][&crmid];
    db.render_full(out, rec, as_module, Form::Retrieve);
    if let Some(att) = db.attachments.values().find(|a| a.doc == crmid) {
        // Documents with an attachment: `imageattachmentids` follows `id` (recorded in 726/727).
        let tail = out.rfind(",\"label\":").unwrap_or(out.len() - 1);
        out.insert_str(tail, &format!(",\"imageattachmentids\":\"15x{}\"", att.id));
    }
}

// ---------------------------------------------------------------- writes

enum Incoming {
    Null,
    Str(String),
}

/// Vtiger reads `element` with Zend_Json_Decoder, not `json_decode`: `decodeUnicodeString` first
/// turns every `\uXXXX` of the WHOLE text (`u` in either case) into the raw character and drops
/// raw bytes below 0x20; only then is the result tokenized (escapes `\" \\ \/ \b \f \n \r \t
/// \'`; raw control characters inside strings are kept). So a `\u0022` inside a string ends the
/// string (recorded in 294: invalid JSON, INTERNAL_SERVER_ERROR), and a caller's
/// `"x\u0022,\u0022id\u0022:\u002219x1"` adds an `id` member; of duplicate keys the last wins, as
/// in a PHP array. A surrogate half becomes `?` (MySQL stores its 3-byte form as one `?`).
/// `None` where Zend throws.
pub fn zend_decode(raw: &str) -> Option<Value> {
    let b = raw.as_bytes();
    let mut pre = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 6 <= b.len()
            && matches!(b[i + 1], b'u' | b'U')
            && b[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit)
        {
            let n = u32::from_str_radix(&raw[i + 2..i + 6], 16).ok()?;
            pre.push(char::from_u32(n).unwrap_or('?'));
            i += 6;
            continue;
        }
        let c = raw[i..].chars().next()?;
        if u32::from(c) >= 0x20 {
            pre.push(c);
        }
        i += c.len_utf8();
    }
    // The tokenizer, as strict JSON for serde: raw controls inside strings escaped, `\'` kept.
    let mut json = String::with_capacity(pre.len() + 16);
    let mut in_str = false;
    let mut it = pre.chars();
    while let Some(c) = it.next() {
        match c {
            '"' => {
                in_str = !in_str;
                json.push(c);
            }
            '\\' if in_str => match it.next()? {
                '\'' => json.push('\''),
                e @ ('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => {
                    json.push('\\');
                    json.push(e);
                }
                _ => return None,
            },
            c if in_str && u32::from(c) < 0x20 => {
                json.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => json.push(c),
        }
    }
    serde_json::from_str(&json).ok()
}

fn parse_element(raw: Option<&str>) -> Result<Vec<(String, Incoming)>, Fail> {
    let v = zend_decode(raw.unwrap_or("")).ok_or_else(|| api("INTERNAL_SERVER_ERROR", UNKNOWN))?;
    let obj = match v {
        Value::Object(o) => o,
        Value::Array(_) => Default::default(),
        _ => return Err(api("INTERNAL_SERVER_ERROR", UNKNOWN)),
    };
    Ok(obj
        .into_iter()
        .map(|(k, v)| {
            let x = match v {
                Value::Null => Incoming::Null,
                Value::String(s) => Incoming::Str(s),
                Value::Bool(b) => Incoming::Str(if b { "1".into() } else { "0".into() }),
                Value::Number(n) => Incoming::Str(n.to_string()),
                other => Incoming::Str(other.to_string()),
            };
            (k, x)
        })
        .collect())
}

fn parse_date(s: &str) -> Result<String, Fail> {
    let bad = || api("INTERNAL_SERVER_ERROR", UNKNOWN);
    let t = s.trim();
    let (y, m, d) = if let Some((a, rest)) = t.split_once('-') {
        let (b, c) = rest.split_once('-').ok_or_else(bad)?;
        if a.len() == 4 {
            (a, b, c)
        } else {
            (c, b, a)
        }
    } else if let Some((a, rest)) = t.split_once(['/', '.']) {
        let (b, c) = rest.split_once(['/', '.']).ok_or_else(bad)?;
        if a.len() == 4 {
            (a, b, c)
        } else {
            (c, b, a)
        }
    } else {
        return Err(bad());
    };
    let c = d.split(' ').next().unwrap_or("");
    let (y, m, d): (u32, u32, u32) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        c.parse().map_err(|_| bad())?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// True for `YYYY-MM-DDT…`: Vtiger's `DateTimeField` cannot read it and the value becomes
/// `""`, silently (recording 935: what `JSON.stringify` makes of a JS Date).
fn iso_timestamp(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.len() > 10 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T'
}

/// A value holding a `<script>` element: the only case where Vtiger escapes `<`/`>` (every one
/// of the value, `&` untouched), and only in text / text-area fields (recordings 933, 934, 266).
fn has_script(s: &str) -> bool {
    s.to_ascii_lowercase().contains("<script")
}

/// Normalises a value as the DB would store it.
fn store_value(db: &Db, mi: usize, fi: usize, v: &str) -> Result<Option<String>, Fail> {
    let f = &db.schema.modules[mi].fields[fi];
    if v.is_empty() {
        return Ok(None);
    }
    let v = mb3(v);
    let out = match f.ftype.as_str() {
        "date" if iso_timestamp(&v) => return Ok(None),
        "date" => parse_date(&v)?,
        "currency" => format!("{:.8}", v.trim().parse::<f64>().unwrap_or(0.0)),
        "double" => {
            let x = v.trim().parse::<f64>().unwrap_or(0.0);
            if f.name == "qty_per_unit" {
                format!("{x:.2}")
            } else {
                format!("{x:.3}")
            }
        }
        "integer" => format!("{}", v.trim().parse::<f64>().unwrap_or(0.0) as i64),
        "boolean" => match v.as_str() {
            "1" | "true" | "on" | "yes" => "1".into(),
            _ => "0".into(),
        },
        "text" if has_script(&v) => v.replace('<', "&lt;").replace('>', "&gt;"),
        _ => match f.max_len {
            Some(n) if v.chars().count() > n => v.chars().take(n).collect(),
            _ => v,
        },
    };
    Ok(Some(out))
}

/// Validates a reference/owner value. Ok(None) clears.
fn check_ref(db: &Db, mi: usize, fi: usize, v: &str) -> Result<(), Fail> {
    let f = &db.schema.modules[mi].fields[fi];
    if v.is_empty() {
        return Ok(());
    }
    let Some((p, n)) = v.split_once('x') else {
        return Err(api("ACCESS_DENIED", DENIED_ID));
    };
    let (Ok(p), Ok(n)) = (p.parse::<u32>(), n.parse::<u64>()) else {
        return Err(api("ACCESS_DENIED", DENIED_ID));
    };
    if f.ftype == "owner" {
        let ok = match p {
            19 => db.users.iter().any(|u| u.id == n),
            20 => (2..=4).contains(&n),
            _ => false,
        };
        if !ok {
            return Err(Fail::Raw(
                200,
                "text/html; charset=UTF-8",
                "Sorry! Attempt to access restricted file.".into(),
            ));
        }
        return Ok(());
    }
    let target = db
        .schema
        .by_prefix
        .get(&p)
        .map(|&i| db.schema.modules[i].name.as_str());
    let exists_in = db
        .where_is
        .get(&n)
        .map(|&i| db.schema.modules[i].name.as_str());
    let live = db
        .where_is
        .get(&n)
        .map(|&i| !db.tables[i][&n].deleted)
        .unwrap_or(false);
    let fits = |m: Option<&str>| {
        m.map(|m| f.refers_to.iter().any(|r| r == m))
            .unwrap_or(false)
    };
    if (fits(target) || f.refers_to.is_empty()) && fits(exists_in) && live {
        return Ok(());
    }
    if ["Users", "Currency", "DocumentFolders", "Groups"]
        .iter()
        .any(|m| fits(Some(m)) && target == Some(m))
    {
        return Ok(());
    }
    Err(api(
        "REFERENCE_INVALID",
        format!("Invalid reference specified for {}", f.name),
    ))
}

fn has_value(v: Option<&Incoming>) -> bool {
    matches!(v, Some(Incoming::Str(s)) if !s.is_empty())
}

pub fn create(ctx: &mut Ctx, p: &Params) -> R {
    let et = param(p, "elementType").unwrap_or("");
    let mi = ctx
        .db
        .schema
        .module(et)
        .filter(|&i| ctx.db.schema.modules[i].is_entity && et != "Users")
        .ok_or_else(|| api("ACCESS_DENIED", DENIED))?;
    let el = parse_element(param(p, "element"))?;
    let get = |k: &str| el.iter().find(|(kk, _)| kk == k).map(|(_, v)| v);
    let schema = ctx.db.schema.clone();
    let m = &schema.modules[mi];
    for f in &m.fields {
        if f.mandatory && f.editable && !has_value(get(&f.name)) {
            return Err(api(
                "MANDATORY_FIELDS_MISSING",
                format!("{} does not have a value", f.name),
            ));
        }
    }
    // Calendar without activitytype: stored as '' and then addressable only as Events.
    let mut store_mi = mi;
    if m.name == "Calendar" && !has_value(get("activitytype")) {
        store_mi = ctx.db.m("Events");
    }
    let now = ctx.db.now();
    let mut rec = Record {
        crmid: 0,
        module: store_mi,
        vals: Vec::new(),
        ctime: now,
        mtime: now,
        deleted: false,
    };
    let sm = &schema.modules[store_mi];
    for (k, v) in &el {
        let (Some(fi), Some(sfi)) = (m.fidx(k), sm.fidx(k)) else {
            continue;
        };
        let f = &m.fields[fi];
        if !f.editable || matches!(k.as_str(), "createdtime" | "modifiedtime" | "modifiedby") {
            continue;
        }
        if let Incoming::Str(s) = v {
            if f.is_reference() {
                check_ref(ctx.db, mi, fi, s)?;
            }
            let sv = store_value(ctx.db, mi, fi, s)?;
            rec.set(sfi, sv);
        }
    }
    apply_files(ctx, m.name.as_str(), &mut rec, sm);
    finish_new(ctx.db, &mut rec, ctx.user);
    let crmid = ctx.db.alloc_crmid();
    rec.crmid = crmid;
    let internal = sm
        .fidx("filelocationtype")
        .and_then(|fi| rec.get(fi))
        .is_some_and(|t| t == "I");
    let att = upload(ctx).cloned().filter(|_| internal);
    ctx.db.insert(rec);
    if let (Some(f), "Documents") = (att, m.name.as_str()) {
        attach(ctx.db, crmid, f);
    }
    let mut out = String::new();
    render_retrieve(ctx.db, &mut out, store_mi, crmid, mi);
    Ok(success(&out))
}

/// The file part `filename` as Vtiger sees it: none when absent, empty (a 0-byte file is not
/// stored) or over PHP's `upload_max_filesize` (UPLOAD_ERR_INI_SIZE).
fn upload<'c>(ctx: &'c Ctx) -> Option<&'c FilePart> {
    ctx.files.iter().find(|f| {
        f.field == "filename"
            && !f.filename.is_empty()
            && !f.data.is_empty()
            && f.data.len() <= ctx.cfg.upload_max_bytes
    })
}

/// Vtiger's renaming of an uploaded file (Documents::save_module + sanitizeUploadFileName,
/// recording 936): runs of whitespace, `#`, `%`, `&`, `?` become `_`; trailing `\/<>?*:"|`
/// go; every dot-separated part that is a bad extension (`$upload_badext`) gets `file`
/// appended, and then the name gets `.txt`.
pub fn sanitize_file_name(name: &str) -> String {
    const BAD: &[&str] = &[
        "php", "php3", "php4", "php5", "pl", "cgi", "py", "asp", "cfm", "js", "vbs", "html", "htm",
        "exe", "bin", "bat", "sh", "dll", "phps", "phtml", "xhtml", "rb", "msi", "jsp", "shtml",
        "sth", "shtm", "htaccess", "phar",
    ];
    // Two passes, as PHP: `\s+` → `_` (Documents), then `[\s#%&?]+` → `_`.
    let squash = |s: &str, hit: &dyn Fn(char) -> bool| {
        let mut out = String::new();
        let mut run = false;
        for c in s.chars() {
            if hit(c) {
                if !run {
                    out.push('_');
                }
                run = true;
            } else {
                out.push(c);
                run = false;
            }
        }
        out
    };
    let out = squash(name, &|c| c.is_whitespace());
    let out = squash(&out, &|c| matches!(c, '#' | '%' | '&' | '?'));
    let out = out.trim_end_matches(['\\', '/', '<', '>', '?', '*', ':', '"', '|']);
    let mut bad = false;
    let parts: Vec<String> = out
        .split('.')
        .map(|p| {
            if BAD.contains(&p.to_ascii_lowercase().as_str()) {
                bad = true;
                format!("{p}file")
            } else {
                p.to_owned()
            }
        })
        .collect();
    let mut out = parts.join(".");
    if bad {
        out.push_str(".txt");
    }
    match out.rfind(['/', '\\']) {
        Some(i) => out[i + 1..].to_owned(),
        None => out,
    }
}

fn apply_files(ctx: &Ctx, module: &str, rec: &mut Record, m: &crate::schema::Module) {
    if module != "Documents" {
        return;
    }
    let set = |rec: &mut Record, k: &str, v: String| {
        if let Some(fi) = m.fidx(k) {
            rec.set(fi, Some(v));
        }
    };
    let internal = m
        .fidx("filelocationtype")
        .and_then(|fi| rec.get(fi))
        .is_some_and(|t| t == "I");
    // A file is stored only for filelocationtype 'I' (sent, or kept by an update): with ''
    // or 'E' the part is ignored (measured on 8.4.0).
    if let Some(f) = upload(ctx).filter(|_| internal) {
        set(rec, "filename", sanitize_file_name(&f.filename));
        set(rec, "filetype", f.content_type.clone());
        set(rec, "filesize", f.data.len().to_string());
    } else if ctx.mode_edit {
        // An update without a (usable) file keeps the record's file.
    } else if internal {
        // An internal Document sent without a file part (a plain form): success, the claimed
        // filename kept, no file: filesize "0", filetype "", filedownloadcount "0" (923).
        set(rec, "filedownloadcount", "0".into());
    }
}

/// Stores an uploaded file as the Document's one attachment (an update replaces it: the old
/// attachment id is gone, measured on 8.4.0).
fn attach(db: &mut Db, doc: u64, f: FilePart) {
    db.attachments.retain(|_, a| a.doc != doc);
    let aid = db.alloc_crmid();
    db.attachments.insert(
        aid,
        Attachment {
            id: aid,
            doc,
            filename: sanitize_file_name(&f.filename),
            filetype: f.content_type,
            content: f.data,
        },
    );
}

fn finish_new(db: &mut Db, rec: &mut Record, user: u64) {
    let mi = rec.module;
    let schema = db.schema.clone();
    let m = &schema.modules[mi];
    if let Some(fi) = m.fidx("modifiedby") {
        rec.set(fi, Some(format!("19x{user}")));
    }
    if let Some(fi) = m.fidx("source") {
        rec.set(fi, Some("WEBSERVICE".into()));
    }
    let no_field = m
        .fields
        .iter()
        .position(|f| f.name.ends_with("_no") && !f.editable && f.ftype == "string");
    if let Some(fi) = no_field {
        if let Some(no) = db.next_autonum(mi) {
            rec.set(fi, Some(no));
        }
    }
}

fn element_id(el: &[(String, Incoming)]) -> Option<String> {
    el.iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| match v {
            Incoming::Str(s) => Some(s.clone()),
            Incoming::Null => None,
        })
}

fn user_revise(ctx: &mut Ctx, el: &[(String, Incoming)], uid: u64) -> R {
    let u = ctx
        .db
        .users
        .iter_mut()
        .find(|u| u.id == uid)
        .ok_or_else(|| api("ACCESS_DENIED", DENIED))?;
    for (k, v) in el {
        if k == "id" || k == "user_name" {
            continue;
        }
        let s = match v {
            Incoming::Str(s) => s.clone(),
            Incoming::Null => String::new(),
        };
        for (kk, vv) in u.retrieve.iter_mut().chain(u.query.iter_mut()) {
            if kk == k {
                *vv = Value::String(s.clone());
            }
        }
    }
    let u = ctx.db.users.iter().find(|u| u.id == uid).unwrap();
    Ok(success(&ctx.db.user_json(u, Form::Retrieve)))
}

/// update (`partial == false`) and revise (`partial == true`).
pub fn update(ctx: &mut Ctx, p: &Params, partial: bool) -> R {
    let el = parse_element(param(p, "element"))?;
    let id = element_id(&el).ok_or_else(|| api("INVALID_ID_ATTRIBUTE", BAD_ID))?;
    let (pmi, pid) = parse_id(ctx.db, &id)?;
    if ctx.db.schema.modules[pmi].name == "Users" {
        return user_revise(ctx, &el, pid);
    }
    let (mi, crmid) = live(ctx.db, &id)?;
    let schema = ctx.db.schema.clone();
    let m = &schema.modules[mi];
    let get = |k: &str| el.iter().find(|(kk, _)| kk == k).map(|(_, v)| v);
    for f in &m.fields {
        if !(f.mandatory && f.editable) {
            continue;
        }
        let v = get(&f.name);
        let missing = if partial {
            matches!(v, Some(Incoming::Null)) || matches!(v, Some(Incoming::Str(s)) if s.is_empty())
        } else {
            !has_value(v)
        };
        if missing {
            return Err(api(
                "MANDATORY_FIELDS_MISSING",
                format!("{} does not have a value", f.name),
            ));
        }
    }
    let mut changes = Vec::new();
    for (k, v) in &el {
        let Some(fi) = m.fidx(k) else { continue };
        let f = &m.fields[fi];
        if !f.editable || matches!(k.as_str(), "createdtime" | "modifiedtime" | "modifiedby") {
            continue;
        }
        match v {
            Incoming::Null => changes.push((fi, None)),
            Incoming::Str(s) => {
                if f.is_reference() {
                    if s.is_empty() && !partial {
                        continue; // update: a reference sent as "" is ignored
                    }
                    check_ref(ctx.db, mi, fi, s)?;
                }
                changes.push((fi, store_value(ctx.db, mi, fi, s)?));
            }
        }
    }
    let now = ctx.db.now();
    let user = ctx.user;
    let rec = ctx.db.tables[mi].get_mut(&crmid).unwrap();
    for (fi, v) in changes {
        rec.set(fi, v);
    }
    if m.name == "Documents" && upload(ctx).is_some() {
        // update / revise with a new file (multipart): the file is replaced, as on create.
        let mut r = ctx.db.tables[mi][&crmid].clone();
        let edit = std::mem::replace(&mut ctx.mode_edit, true);
        apply_files(ctx, "Documents", &mut r, m);
        ctx.mode_edit = edit;
        let internal = m
            .fidx("filelocationtype")
            .and_then(|fi| r.get(fi))
            .is_some_and(|t| t == "I");
        let f = upload(ctx).cloned().filter(|_| internal);
        ctx.db.tables[mi].insert(crmid, r);
        if let Some(f) = f {
            attach(ctx.db, crmid, f);
        }
    }
    let rec = ctx.db.tables[mi].get_mut(&crmid).unwrap();
    rec.mtime = now;
    if let Some(fi) = m.fidx("modifiedby") {
        rec.set(fi, Some(format!("19x{user}")));
    }
    let mut out = String::new();
    render_retrieve(ctx.db, &mut out, mi, crmid, mi);
    Ok(success(&out))
}

pub fn delete(ctx: &mut Ctx, p: &Params) -> R {
    let id = param(p, "id").unwrap_or("");
    let (mi, crmid) = live(ctx.db, id)?;
    let now = ctx.db.now();
    let rec = ctx.db.tables[mi].get_mut(&crmid).unwrap();
    rec.deleted = true;
    rec.mtime = now;
    Ok(success(r#"{"status":"successful"}"#))
}

// ---------------------------------------------------------------- query

fn qerr(e: VtqlError) -> Fail {
    match e {
        VtqlError::Lexer => api("INTERNAL_SERVER_ERROR", UNKNOWN),
        VtqlError::Syntax(m) => api("QUERY_SYNTAX_ERROR", m),
    }
}

/// Renders a parsed VTQL query into the SQL tail Vtiger would run:
/// `(<conditions>) AND deleted = 0 [ORDER BY …] LIMIT m, n`.
pub fn to_sql(m: &crate::schema::Module, q: &vtql::Query) -> Result<String, Fail> {
    let mut s = String::new();
    if !q.conds.is_empty() {
        s.push('(');
        for c in &q.conds {
            if let Some(g) = c.glue {
                s.push(' ');
                s.push_str(g);
                s.push(' ');
            }
            let is_id = c.field == "id";
            let f = m.field(&c.field);
            let is_ref = f.map(|f| f.is_reference()).unwrap_or(false);
            s.push_str(if is_id { "crmid" } else { &c.field });
            s.push(' ');
            s.push_str(c.op.sql());
            s.push(' ');
            let vals: Vec<String> = c
                .values
                .iter()
                .map(|v| {
                    if is_id || is_ref {
                        let t = vtql::unquote(v);
                        if is_ref && !t.contains('x') {
                            return Err(api("INVALID_ID_ATTRIBUTE", BAD_ID));
                        }
                        let n = t.split('x').nth(1).unwrap_or("").to_string();
                        Ok(if c.op == vtql::Op::Like {
                            format!("'{n}'")
                        } else {
                            n
                        })
                    } else {
                        Ok(v.clone())
                    }
                })
                .collect::<Result<_, _>>()?;
            if c.op == vtql::Op::In {
                s.push('(');
                s.push_str(&vals.join(","));
                s.push(')');
            } else {
                s.push_str(&vals.join(","));
            }
        }
        s.push_str(") AND ");
    }
    s.push_str("deleted = 0");
    if !q.order_by.is_empty() {
        s.push_str(" ORDER BY ");
        let cols: Vec<&str> = q
            .order_by
            .iter()
            .map(|c| if c == "id" { "crmid" } else { c.as_str() })
            .collect();
        s.push_str(&cols.join(", "));
        if q.desc == Some(true) {
            s.push_str(" DESC");
        }
    }
    let (off, n) = match q.limit {
        None => (0, 100),
        Some((o, n)) => (o.unwrap_or(0), n.min(100)),
    };
    s.push_str(&format!(" LIMIT {off},{n}"));
    Ok(s)
}

fn sqlval(db: &Db, m: &crate::schema::Module, rec: &Record, c: Col) -> V {
    match c {
        Col::Crmid => V::Num(rec.crmid as f64),
        Col::Deleted => V::Num(if rec.deleted { 1.0 } else { 0.0 }),
        Col::Field(fi) => {
            let f = &m.fields[fi];
            match db.value(m, rec, fi, Form::Query) {
                None => V::Null,
                Some(v) => {
                    if f.is_reference() {
                        match v.split_once('x').and_then(|(_, n)| n.parse::<f64>().ok()) {
                            Some(n) => V::Num(n),
                            None => V::Null,
                        }
                    } else if f.is_numeric() {
                        V::Num(v.trim().parse().unwrap_or(0.0))
                    } else {
                        V::Str(v.into_owned())
                    }
                }
            }
        }
    }
}

/// Runs a VTQL query (`query`, and `query_related` after its rewrite).
pub fn run_query(ctx: &mut Ctx, text: &str) -> R {
    let Some(mname) = vtql::module_of(text) else {
        return Err(api(
            "ACCESS_DENIED",
            "Permission to perform the operation is denied for query",
        ));
    };
    let schema = ctx.db.schema.clone();
    let mi = schema.module(&mname).ok_or_else(|| {
        api(
            "ACCESS_DENIED",
            format!("Permission to perform the operation is denied for name : {mname}"),
        )
    })?;
    let q = vtql::parse(text).map_err(qerr)?;
    let m = &schema.modules[mi];
    for c in &q.columns {
        if c != "id" && m.fidx(c).is_none() {
            return Err(api(
                "ACCESS_DENIED",
                format!("Permission to access '.{c}.' attribute denied."),
            ));
        }
    }
    for c in &q.conds {
        if c.field != "id" && m.fidx(&c.field).is_none() {
            return Err(api(
                "ACCESS_DENIED",
                format!("Permission to access {} attribute denied.", c.field),
            ));
        }
    }
    if q.count {
        return Ok(success("[]"));
    }
    if matches!(
        m.name.as_str(),
        "Users" | "Groups" | "Currency" | "DocumentFolders"
    ) {
        let rows = if m.name == "Users" {
            vec![ctx.db.user_json(&ctx.db.users[0], Form::Query)]
        } else {
            static_rows(ctx.db, &m.name, "query")
                .iter()
                .map(|r| pairs_json(r))
                .collect()
        };
        let (off, n) = match q.limit {
            None => (0, 100),
            Some((o, n)) => (o.unwrap_or(0) as usize, n.min(100) as usize),
        };
        let rows: Vec<String> = rows.into_iter().skip(off).take(n).collect();
        return Ok(success(&format!("[{}]", rows.join(","))));
    }
    let sqltext = to_sql(m, &q)?;
    let resolve = |w: &str| -> Option<Col> {
        match w {
            "crmid" => Some(Col::Crmid),
            "deleted" => Some(Col::Deleted),
            _ => m.fidx(w).map(Col::Field),
        }
    };
    let Ok(plan) = sql::parse(&sqltext, &resolve) else {
        return Ok(success("[]")); // SQL errors are swallowed (recorded 448, 453)
    };
    let db = &*ctx.db;
    let table = &db.tables[mi];
    let (lo, hi) = sql::crmid_bounds(&plan.expr);
    let (off, n) = plan
        .limit
        .map(|(o, n)| (o as usize, n as usize))
        .unwrap_or((0, usize::MAX));
    let keep = |r: &&Record| sql::matches(&plan.expr, &|c| sqlval(db, m, r, c));
    let rows: Vec<&Record> = if lo > hi {
        Vec::new()
    } else if plan.order.is_empty() || plan.order == [(Col::Crmid, false)] {
        table
            .range(lo..=hi)
            .map(|(_, r)| r)
            .filter(keep)
            .skip(off)
            .take(n)
            .collect()
    } else if plan.order == [(Col::Crmid, true)] {
        table
            .range(lo..=hi)
            .rev()
            .map(|(_, r)| r)
            .filter(keep)
            .skip(off)
            .take(n)
            .collect()
    } else {
        let mut all: Vec<&Record> = table.range(lo..=hi).map(|(_, r)| r).filter(keep).collect();
        all.sort_by(|a, b| {
            for (c, desc) in &plan.order {
                let o =
                    sql::cmp_v(&sqlval(db, m, a, *c), &sqlval(db, m, b, *c)).unwrap_or_else(|| {
                        // NULL sorts first
                        let an = sqlval(db, m, a, *c) == V::Null;
                        let bn = sqlval(db, m, b, *c) == V::Null;
                        bn.cmp(&an)
                    });
                let o = if *desc { o.reverse() } else { o };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        all.into_iter().skip(off).take(n).collect()
    };
    let mut out = String::with_capacity(rows.len() * 128 + 2);
    out.push('[');
    let cols: Vec<Option<usize>> = q.columns.iter().map(|c| m.fidx(c)).collect();
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if q.star {
            db.render_full(&mut out, r, mi, Form::Query);
            if let Some(att) = db.attachments.values().find(|a| a.doc == r.crmid) {
                // Documents with a file: `imageattachmentids` after `id` (recorded through
                // retrieve_related, which is a query: 730).
                out.pop();
                out.push_str(&format!(",\"imageattachmentids\":\"15x{}\"}}", att.id));
            }
        } else {
            db.render_cols(&mut out, r, &cols, &q.columns);
        }
    }
    out.push(']');
    Ok(success(&out))
}

pub fn query(ctx: &mut Ctx, p: &Params) -> R {
    let text = param(p, "query").unwrap_or("").to_string();
    run_query(ctx, &text)
}

// ---------------------------------------------------------------- sync

fn sync_core(ctx: &mut Ctx, mi: usize, since: i64, form: Form) -> R {
    let db = &*ctx.db;
    let m = &db.schema.modules[mi];
    let owner = m.fidx("assigned_user_id");
    let mut rows: Vec<&Record> = db.tables[mi]
        .values()
        .filter(|r| r.mtime > since)
        .filter(|r| {
            owner
                .and_then(|fi| r.get(fi))
                .map(|v| v.starts_with("19x"))
                .unwrap_or(true)
        })
        .collect();
    rows.sort_by_key(|r| (r.mtime, r.crmid));
    let mut take = rows.len().min(100);
    if take == 100 {
        let boundary = rows[99].mtime;
        while take < rows.len() && rows[take].mtime == boundary {
            take += 1;
        }
    }
    let more = take < rows.len();
    let last = rows[..take].last().map(|r| r.mtime).unwrap_or(since);
    let mut upd = String::from("[");
    let mut del = String::from("[");
    for r in &rows[..take] {
        if r.deleted {
            if del.len() > 1 {
                del.push(',');
            }
            push_str(&mut del, &format!("{}x{}", m.prefix, r.crmid));
        } else {
            if upd.len() > 1 {
                upd.push(',');
            }
            db.render_full(&mut upd, r, mi, form);
        }
    }
    upd.push(']');
    del.push(']');
    Ok(success(
        &Obj::new()
            .raw("updated", &upd)
            .raw("deleted", &del)
            .raw("more", if more { "true" } else { "false" })
            .raw("lastModifiedTime", &last.to_string())
            .done(),
    ))
}

pub fn sync(ctx: &mut Ctx, p: &Params) -> R {
    if ctx.cfg.profile != Profile::Patched {
        return Err(http500());
    }
    let Some(et) = param(p, "elementType").filter(|s| !s.is_empty()) else {
        return Err(http500()); // the Emails branch fails (recorded 616)
    };
    let mi = ctx
        .db
        .schema
        .module(et)
        .filter(|&i| ctx.db.schema.modules[i].is_entity && et != "Users")
        .ok_or_else(|| api("ACCESS_DENIED", DENIED))?;
    if et == "Emails" {
        return Err(http500());
    }
    let since: i64 = param(p, "modifiedTime")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    sync_core(ctx, mi, since, Form::Query)
}

pub fn wsapp_register(ctx: &mut Ctx, _p: &Params) -> R {
    let key = ctx.db.uniqid();
    ctx.db.wsapp_keys.insert(key.clone(), 0);
    Ok(success(&Obj::new().str("key", &key).done()))
}

pub fn wsapp_get(ctx: &mut Ctx, p: &Params) -> R {
    let key = param(p, "key").unwrap_or("");
    if !ctx.db.wsapp_keys.contains_key(key) {
        return Err(api("ACCESS_DENIED", DENIED));
    }
    let et = param(p, "module").unwrap_or("");
    let mi = ctx
        .db
        .schema
        .module(et)
        .filter(|&i| ctx.db.schema.modules[i].is_entity)
        .ok_or_else(|| api("ACCESS_DENIED", DENIED))?;
    let since: i64 = param(p, "token")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    sync_core(ctx, mi, since, Form::Wsapp)
}

pub fn wsapp_deregister(ctx: &mut Ctx, p: &Params) -> R {
    let key = param(p, "key").unwrap_or("").to_string();
    let ty = param(p, "type").unwrap_or("").to_string();
    ctx.db.wsapp_keys.remove(&key);
    let mut s = String::from("[");
    push_str(&mut s, &ty);
    s.push(',');
    push_str(&mut s, &key);
    s.push(']');
    Ok(success(&s))
}

// ---------------------------------------------------------------- related

fn related_raw(db: &Db, module: &str) -> Option<String> {
    db.schema.shapes["related"][module]
        .as_str()
        .map(String::from)
}

pub fn relatedtypes(ctx: &mut Ctx, p: &Params) -> R {
    let et = param(p, "elementType").unwrap_or("");
    if ctx.db.schema.module(et).is_none() {
        return Err(api(
            "ACCESS_DENIED",
            format!("Permission to perform the operation is denied for name : {et}"),
        ));
    }
    Ok(success(&related_raw(ctx.db, et).unwrap_or_else(|| {
        r#"{"types":[],"information":[]}"#.into()
    })))
}

fn label_ok(db: &Db, module: &str, label: &str) -> bool {
    match related_raw(db, module) {
        Some(raw) => serde_json::from_str::<Value>(&raw)
            .ok()
            .and_then(|v| v["information"].as_object().map(|o| o.contains_key(label)))
            .unwrap_or(false),
        None => true,
    }
}

pub fn add_related(ctx: &mut Ctx, p: &Params) -> R {
    let src = param(p, "sourceRecordId").unwrap_or("");
    let rel = param(p, "relatedRecordId").unwrap_or("");
    let bad = |_| api("INVALID_ID_ATTRIBUTE", BAD_ID);
    let (smi, s) = parse_id(ctx.db, src).map_err(bad)?;
    let (_, r) = parse_id(ctx.db, rel).map_err(bad)?;
    // Recorded (705): an unknown label still answers "successfull" but links nothing.
    let label = param(p, "relationIdLabel").unwrap_or("");
    let sname = ctx.db.schema.modules[smi].name.clone();
    if label_ok(ctx.db, &sname, label) {
        ctx.db.relations.insert((s, r));
    }
    Ok(success(r#"{"message":"successfull"}"#))
}

/// crmids of `target` records related to `src`. A relation the related module holds as a
/// reference field to the source module (Accounts → Contacts through `account_id`: Vtiger's
/// 1:N "dependents" lists) shows those references only: `add_related` answers success for it
/// but links nothing that the list shows (recordings 930–932). Other relations (M:N, such as
/// Potentials → Contacts, 704) show the explicit links, plus references.
fn related_ids(db: &Db, src: u64, target: usize) -> std::collections::HashSet<u64> {
    let mut out = std::collections::HashSet::new();
    let m = &db.schema.modules[target];
    let direct = db.where_is.get(&src).is_some_and(|&smi| {
        let sname = &db.schema.modules[smi].name;
        m.fields.iter().any(|f| {
            f.ftype == "reference"
                && f.name != "modifiedby"
                && f.refers_to.iter().any(|r| r == sname)
        })
    });
    for &(a, b) in db.relations.iter().filter(|_| !direct) {
        let other = if a == src {
            b
        } else if b == src {
            a
        } else {
            continue;
        };
        if db.where_is.get(&other) == Some(&target) {
            out.insert(other);
        }
    }
    let refs: Vec<usize> = (0..m.fields.len())
        .filter(|&i| m.fields[i].ftype == "reference" && m.fields[i].name != "modifiedby")
        .collect();
    for r in db.tables[target].values() {
        if refs.iter().any(|&fi| {
            r.get(fi)
                .and_then(|v| v.split_once('x'))
                .map(|(_, n)| n == src.to_string())
                .unwrap_or(false)
        }) {
            out.insert(r.crmid);
        }
    }
    out
}

/// `retrieve_related` is `query_related` with `SELECT * FROM <relatedType>` (as in Vtiger's
/// `vtws_retrieve_related`): the same relation check, the same rewrite, the same 100-row cap.
pub fn retrieve_related(ctx: &mut Ctx, p: &Params) -> R {
    let id = param(p, "id").unwrap_or("");
    let rt = param(p, "relatedType").unwrap_or("");
    let label = param(p, "relatedLabel").unwrap_or("");
    related_query(ctx, id, &format!("SELECT * FROM {rt}"), label)
}

pub fn query_related(ctx: &mut Ctx, p: &Params) -> R {
    let id = param(p, "id").unwrap_or("");
    let q = param(p, "query").unwrap_or("");
    let label = param(p, "relatedLabel").unwrap_or("");
    related_query(ctx, id, q, label)
}

/// Vtiger's `vtws_query_related`, step by step (recordings 710–715 and 900–915; the live findings
/// of 2026-12-04, A–C):
/// * the related module is the first `FROM\s+(\S+)` (case-insensitive; a trailing `;` stays part
///   of the name, so `…FROM Contacts;` is an unknown relation: `UNKOWN_ENTITY`);
/// * the label must name a relation of the source module to that module;
/// * no related record: `[]`, the query is not even parsed;
/// * otherwise the TEXT is rewritten: with no `WHERE` anywhere (case-insensitive test) it gets
///   ` WHERE id IN ('…')` appended — after any ORDER BY / LIMIT, hence the syntax errors of 715
///   and 911; else it is split on the exact, case-sensitive string `WHERE` (inside literals
///   too, only the first two parts kept) into `<before> WHERE id IN ('…') AND <after>` — AND
///   binds tighter than OR, so only the first OR group is scoped (900, 901), and a literal holding
///   `WHERE` is cut (912: `INTERNAL_SERVER_ERROR`);
/// * then `;` and a plain `query`, with its implicit LIMIT 100 (905, 906).
fn related_query(ctx: &mut Ctx, id: &str, q: &str, label: &str) -> R {
    let (mi, src) = live(ctx.db, id)?;
    let unknown = || api("UNKOWN_ENTITY", "Relation specified is incorrect");
    let target = related_type(q).ok_or_else(unknown)?;
    let mname = ctx.db.schema.modules[mi].name.clone();
    if !relation_ok(ctx.db, &mname, label, &target) {
        return Err(unknown());
    }
    let ti = ctx.db.schema.module(&target).ok_or_else(unknown)?;
    let mut ids: Vec<u64> = related_ids(ctx.db, src, ti).into_iter().collect();
    if ids.is_empty() {
        return Ok(success("[]"));
    }
    ids.sort_unstable();
    let prefix = ctx.db.schema.modules[ti].prefix;
    let mut clause = String::from("id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            clause.push(',');
        }
        clause.push_str(&format!("'{prefix}x{id}'"));
    }
    clause.push(')');
    let has_where = matches!(find_ci(q, "WHERE"), Some(p) if p > 0); // PHP: stripos(…) == false
    let mut text = if has_where {
        let mut parts = q.split("WHERE");
        let before = parts.next().unwrap_or("");
        let after = parts.next().unwrap_or("");
        format!("{before} WHERE {clause} AND {after}")
    } else {
        format!("{q} WHERE {clause}")
    };
    text.push(';');
    run_query(ctx, &text)
}

/// The first `FROM\s+(\S+)` of the text, case-insensitive (PHP's `preg_match`).
fn related_type(q: &str) -> Option<String> {
    let mut from = 0;
    while let Some(p) = find_ci(&q[from..], "FROM") {
        let at = from + p + 4;
        let rest = &q[at..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\x0b', '\x0c']);
        if trimmed.len() < rest.len() && !trimmed.is_empty() {
            let name: String = trimmed
                .chars()
                .take_while(|c| !matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c'))
                .collect();
            return Some(name);
        }
        from = at;
    }
    None
}

/// Byte position of the first ASCII-case-insensitive occurrence of `needle` (ASCII) in `hay`.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Whether `label` names a relation of `module` to `target` (`relatedtypes` information: the
/// label is the key, `name` the module). Modules without recorded relations accept any label.
fn relation_ok(db: &Db, module: &str, label: &str, target: &str) -> bool {
    match related_raw(db, module) {
        Some(raw) => serde_json::from_str::<Value>(&raw)
            .ok()
            .map(|v| v["information"][label]["name"] == target)
            .unwrap_or(false),
        None => db.schema.module(target).is_some(),
    }
}

// ---------------------------------------------------------------- convertlead, files

pub fn convertlead(ctx: &mut Ctx, p: &Params) -> R {
    if ctx.cfg.profile == Profile::V83 {
        return Err(http500());
    }
    let el: Value = zend_decode(param(p, "element").unwrap_or(""))
        .ok_or_else(|| api("ACCESS_DENIED", DENIED_ID))?;
    let lead = el["leadId"].as_str().unwrap_or("");
    let (lmi, lid) = live(ctx.db, lead).map_err(|_| api("ACCESS_DENIED", DENIED_ID))?;
    if ctx.db.schema.modules[lmi].name != "Leads" {
        return Err(api("ACCESS_DENIED", DENIED_ID));
    }
    if ctx.db.converted.contains(&lid) {
        return Err(api("LEAD_ALREADY_CONVERTED", "Lead is already converted"));
    }
    if patched_without_account(ctx, &el) {
        return Ok(r#"{"success":true}"#.to_owned());
    }
    let owner = el["assignedTo"].as_str().unwrap_or("19x1").to_string();
    let ents = el["entities"].clone();
    let mut out = Obj::new();
    let mut account: Option<String> = None;
    let mk = |ctx: &mut Ctx,
              module: &str,
              vals: &serde_json::Map<String, Value>,
              extra: &[(&str, String)]|
     -> Result<String, Fail> {
        let mut el = serde_json::Map::new();
        for (k, v) in vals {
            if k != "create" && k != "name" {
                el.insert(k.clone(), v.clone());
            }
        }
        el.insert("assigned_user_id".into(), Value::String(owner.clone()));
        for (k, v) in extra {
            el.insert(k.to_string(), Value::String(v.clone()));
        }
        let params: Params = vec![
            ("elementType".into(), module.into()),
            ("element".into(), Value::Object(el).to_string()),
        ];
        let body = create(ctx, &params)?;
        let v: Value =
            serde_json::from_str(&body).map_err(|_| api("INTERNAL_SERVER_ERROR", UNKNOWN))?;
        Ok(v["result"]["id"].as_str().unwrap_or("").to_string())
    };
    if let Some(a) = ents["Accounts"].as_object() {
        let name = a.get("accountname").and_then(|v| v.as_str()).unwrap_or("");
        let ami = ctx.db.m("Accounts");
        let fi = ctx.db.schema.modules[ami].fidx("accountname").unwrap();
        let existing = ctx.db.tables[ami]
            .values()
            .find(|r| {
                !r.deleted
                    && r.get(fi)
                        .map(|v| v.eq_ignore_ascii_case(name))
                        .unwrap_or(false)
            })
            .map(|r| format!("11x{}", r.crmid));
        let id = match existing {
            Some(id) => id,
            None => mk(ctx, "Accounts", a, &[])?,
        };
        out = out.str("Accounts", &id);
        account = Some(id);
    }
    let mut contact: Option<String> = None;
    if let Some(c) = ents["Contacts"].as_object() {
        let extra: Vec<(&str, String)> =
            account.iter().map(|a| ("account_id", a.clone())).collect();
        let id = mk(ctx, "Contacts", c, &extra)?;
        out = out.str("Contacts", &id);
        contact = Some(id);
    }
    if let Some(pt) = ents["Potentials"].as_object() {
        let mut extra: Vec<(&str, String)> =
            account.iter().map(|a| ("related_to", a.clone())).collect();
        extra.extend(contact.iter().map(|c| ("contact_id", c.clone())));
        let id = mk(ctx, "Potentials", pt, &extra)?;
        out = out.str("Potentials", &id);
    }
    ctx.db.converted.insert(lid);
    Ok(success(&out.done()))
}

/// The patched 8.3.0 answers a `convertlead` without an Accounts entity with `{"success":true}`
/// and no `result`, creates nothing and does not mark the Lead converted (so the same call
/// answers the same again): vtiger-8.3.0-patched/930–932.
fn patched_without_account(ctx: &Ctx, el: &Value) -> bool {
    ctx.cfg.profile == Profile::Patched && el["entities"]["Accounts"].as_object().is_none()
}

pub fn files_retrieve(ctx: &mut Ctx, p: &Params) -> R {
    if ctx.cfg.profile == Profile::V83 {
        return Err(http500());
    }
    use base64::Engine;
    let id = param(p, "id").unwrap_or("");
    let nf = || {
        api(
            "RECORD_NOT_FOUND",
            "Record you are trying to access is not found",
        )
    };
    let (_, aid) = parse_id(ctx.db, id).map_err(|_| nf())?;
    let a = ctx.db.attachments.get(&aid).ok_or_else(nf)?;
    let o = Obj::new()
        .str("fileid", &a.id.to_string())
        .str("filename", &a.filename)
        .str("filetype", &a.filetype)
        .raw("filesize", &a.content.len().to_string())
        .str(
            "filecontents",
            &base64::engine::general_purpose::STANDARD.encode(&a.content),
        )
        .done();
    Ok(success(&format!("[{o}]")))
}
