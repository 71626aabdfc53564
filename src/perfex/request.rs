//! Request builders: paths, headers and body encodings per profile.

use super::validate::{self, check_id, scalar_text};
use super::{unsupported, Config, Op, Profile, Resource};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, Method};
use crate::json::Json;
use crate::prelude::*;

/// Options of a single-record call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordOptions {
    /// The contact's customer: needed by REST contact gets (`/api/contacts/{customer}/{id}`),
    /// ignored by WON.
    pub customer_id: Option<String>,
}

pub(crate) const JSON_CT: &str = "application/json";
pub(crate) const FORM_CT: &str = "application/x-www-form-urlencoded";

pub(crate) fn base(cfg: &Config) -> &str {
    cfg.base_url.trim().trim_end_matches('/')
}

/// `{base}/won_api/won/api/{table}` or `{base}/api/{resource}`.
pub(crate) fn collection_url(cfg: &Config, r: Resource) -> String {
    match cfg.profile {
        Profile::Won => cat!(base(cfg), "/won_api/won/api/", r.segment(Profile::Won)),
        Profile::Rest => cat!(base(cfg), "/api/", r.segment(Profile::Rest)),
    }
}

pub(crate) fn headers(cfg: &Config, content_type: Option<&str>) -> Vec<(String, String)> {
    let auth = match cfg.profile {
        Profile::Won => "X-API-TOKEN",
        Profile::Rest => "authtoken",
    };
    let mut h = vec![
        ("Accept".to_owned(), JSON_CT.to_owned()),
        (auth.to_owned(), cfg.token.expose().to_owned()),
    ];
    if let Some(ct) = content_type {
        h.push(("Content-Type".to_owned(), ct.to_owned()));
    }
    h
}

pub(crate) fn request(
    cfg: &Config,
    method: Method,
    url: String,
    body: Option<(&str, String)>,
) -> HttpRequest {
    let ct = body.as_ref().map(|(ct, _)| *ct);
    HttpRequest {
        method,
        url,
        headers: headers(cfg, ct),
        body: body.map(|(_, b)| b.into_bytes()),
    }
}

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => cat_to!(&mut out; "%", crate::text::HexUpper(u64::from(b), 2)),
        }
    }
    out
}

pub(crate) fn get(
    cfg: &Config,
    r: Resource,
    id: &str,
    opts: &RecordOptions,
) -> Result<HttpRequest> {
    let l = cfg.locale;
    let id = check_id(l, "id", id).map_err(|e| e.with_operation(Op::Get.name(r)))?;
    let url = match (cfg.profile, r) {
        (Profile::Rest, Resource::Contacts) => {
            let Some(c) = opts.customer_id.as_deref().filter(|c| !c.trim().is_empty()) else {
                return Err(Error::invalid_input(
                    "customer_id",
                    validate::msg_contacts_need_customer(l),
                )
                .with_operation(Op::Get.name(r)));
            };
            let c = check_id(l, "customer_id", c).map_err(|e| e.with_operation(Op::Get.name(r)))?;
            cat!(base(cfg), "/api/contacts/", c, "/", id)
        }
        _ => cat!(collection_url(cfg, r), "/", id),
    };
    Ok(request(cfg, Method::Get, url, None))
}

pub(crate) fn delete(cfg: &Config, r: Resource, id: &str) -> Result<HttpRequest> {
    let id = check_id(cfg.locale, "id", id).map_err(|e| e.with_operation(Op::Delete.name(r)))?;
    let url = match cfg.profile {
        Profile::Won => cat!(collection_url(cfg, r), "/", id),
        Profile::Rest => cat!(base(cfg), "/api/delete/", r.segment(Profile::Rest), "/", id),
    };
    Ok(request(cfg, Method::Delete, url, None))
}

pub(crate) fn join(cfg: &Config, vat: &str) -> Result<HttpRequest> {
    let r = Resource::Customers;
    if cfg.profile == Profile::Rest {
        return Err(unsupported(
            "join by VAT exists only in the WON API",
            Op::Join,
            r,
        ));
    }
    let vat = validate::check_vat(cfg.locale, "vat", vat)
        .map_err(|e| e.with_operation(Op::Join.name(r)))?;
    let url = cat!(
        base(cfg),
        "/won_api/won/join?",
        crate::encode::form_encode(&[("vat", &vat)])
    );
    Ok(request(cfg, Method::Get, url, None))
}

/// The fields object as pairs, renamed for the profile (a contact's customer is `userid` in
/// WON and `customer_id` in REST; invoice lines `items` become REST's `newitems` on create),
/// then validated.
fn prepare(cfg: &Config, r: Resource, op: Op, fields: &Json) -> Result<Vec<(String, Json)>> {
    let l = cfg.locale;
    let Json::Obj(pairs) = fields else {
        return Err(Error::invalid_input(
            "fields",
            validate::msg_fields_object(l),
        ));
    };
    let mut out: Vec<(String, Json)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let k = k.trim();
        let name = match (cfg.profile, r, op, k) {
            (Profile::Won, Resource::Contacts, _, "customer_id") => "userid",
            (Profile::Rest, Resource::Contacts, Op::Create, "userid") => "customer_id",
            (Profile::Rest, Resource::Invoices, Op::Create, "items") => "newitems",
            _ => k,
        };
        // WON silently drops the primary key and datecreated: drop them here too, and never
        // send a primary key in a REST body either.
        if name == r.primary_key() || (cfg.profile == Profile::Won && name == "datecreated") {
            continue;
        }
        if name.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = v.clone(),
            None => out.push((name.to_owned(), v.clone())),
        }
    }
    if op == Op::Update && out.is_empty() {
        return Err(Error::invalid_input(
            "fields",
            validate::msg_nothing_to_update(l),
        ));
    }
    validate::check_fields(cfg.profile, r, op, l, cfg.check_vat_cpf_cnpj, &mut out)?;
    Ok(out)
}

pub(crate) fn create(cfg: &Config, r: Resource, fields: &Json) -> Result<HttpRequest> {
    let fields =
        prepare(cfg, r, Op::Create, fields).map_err(|e| e.with_operation(Op::Create.name(r)))?;
    let url = collection_url(cfg, r);
    let body = match cfg.profile {
        Profile::Won => (JSON_CT, Json::Obj(fields).to_json()),
        Profile::Rest => (FORM_CT, form_body(&fields)),
    };
    Ok(request(cfg, Method::Post, url, Some(body)))
}

pub(crate) fn update(cfg: &Config, r: Resource, id: &str, fields: &Json) -> Result<HttpRequest> {
    let op = Op::Update.name(r);
    let id = check_id(cfg.locale, "id", id).map_err(|e| e.with_operation(op.clone()))?;
    let fields = prepare(cfg, r, Op::Update, fields).map_err(|e| e.with_operation(op))?;
    let url = cat!(collection_url(cfg, r), "/", id);
    Ok(request(
        cfg,
        Method::Put,
        url,
        Some((JSON_CT, Json::Obj(fields).to_json())),
    ))
}

/// Flattens fields into form pairs with PHP bracket syntax: arrays of scalars as
/// `key[]=v`, arrays of objects as `key[0][sub]=v`, objects as `key[sub]=v`. `true` is sent
/// as `1`; `false` and `null` are omitted (Perfex reads many flags by presence).
pub(crate) fn form_pairs(fields: &[(String, Json)]) -> Vec<(String, String)> {
    fn walk(key: &str, v: &Json, out: &mut Vec<(String, String)>) {
        match v {
            Json::Null | Json::Bool(false) => {}
            Json::Bool(true) => out.push((key.to_owned(), "1".to_owned())),
            Json::Num(n) => out.push((key.to_owned(), n.clone())),
            Json::Str(s) => out.push((key.to_owned(), s.clone())),
            Json::Arr(a) => {
                let nested = a.iter().any(|x| matches!(x, Json::Arr(_) | Json::Obj(_)));
                for (i, x) in a.iter().enumerate() {
                    let k = if nested {
                        cat!(key, "[", i, "]")
                    } else {
                        cat!(key, "[]")
                    };
                    walk(&k, x, out);
                }
            }
            Json::Obj(o) => {
                for (k, x) in o {
                    walk(&cat!(key, "[", k, "]"), x, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (k, v) in fields {
        walk(k, v, &mut out);
    }
    out
}

fn form_body(fields: &[(String, Json)]) -> String {
    let pairs = form_pairs(fields);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    crate::encode::form_encode(&refs)
}

/// The field a created record is looked up by, per resource (first present wins).
fn lookup_keys(r: Resource) -> &'static [&'static str] {
    match r {
        Resource::Customers => &["company"],
        Resource::Contacts => &["email"],
        Resource::Leads => &["email", "name"],
        Resource::Projects | Resource::Tasks => &["name"],
        Resource::Invoices => &["number"],
    }
}

fn lookup_key(r: Resource, fields: &Json) -> Option<(&'static str, String)> {
    lookup_keys(r).iter().find_map(|k| {
        let v = fields.get(k).and_then(scalar_text)?;
        let v = v.trim().to_owned();
        (!v.is_empty()).then_some((*k, v))
    })
}

pub(crate) fn lookup_created(cfg: &Config, r: Resource, fields: &Json) -> Option<HttpRequest> {
    if cfg.profile != Profile::Rest {
        return None;
    }
    let (_, v) = lookup_key(r, fields)?;
    let url = cat!(
        base(cfg),
        "/api/",
        r.segment(Profile::Rest),
        "/search/",
        encode_segment(&v)
    );
    Some(request(cfg, Method::Get, url, None))
}

fn same_number(a: &str, b: &str) -> bool {
    let a = a.trim().trim_start_matches('0');
    let b = b.trim().trim_start_matches('0');
    a == b
}

fn id_of(r: Resource, rec: &Json) -> u64 {
    rec.get(r.primary_key())
        .and_then(scalar_text)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn pick_created(r: Resource, fields: &Json, records: Vec<Json>) -> Option<Json> {
    let (key, want) = lookup_key(r, fields)?;
    let owner_in = ["customer_id", "userid", "clientid"]
        .iter()
        .find_map(|k| fields.get(k).and_then(scalar_text));
    let owner_cols: &[&str] = match r {
        Resource::Contacts => &["userid"],
        Resource::Projects | Resource::Invoices => &["clientid"],
        _ => &[],
    };
    records
        .into_iter()
        .filter(|rec| {
            let Some(have) = rec.get(key).and_then(scalar_text) else {
                return false;
            };
            let key_ok = if key == "number" {
                same_number(&have, &want)
            } else {
                have.trim().eq_ignore_ascii_case(&want)
            };
            let owner_ok = match &owner_in {
                Some(o) => owner_cols.iter().all(|c| {
                    rec.get(c)
                        .and_then(scalar_text)
                        .map_or(true, |v| v.trim() == o.trim())
                }),
                None => true,
            };
            key_ok && owner_ok
        })
        .max_by_key(|rec| id_of(r, rec))
}
