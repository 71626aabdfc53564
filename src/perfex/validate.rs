//! Client-side checks and their messages (English, or the seed n8n node's Portuguese).

use super::{Locale, Op, Profile, Resource};
use crate::error::{Error, ErrorCode, Result};
use crate::json::Json;
use crate::prelude::*;

fn t(l: Locale, en: &str, pt: &str) -> String {
    match l {
        Locale::En => en.to_owned(),
        Locale::PtBr => pt.to_owned(),
    }
}

pub(crate) fn msg_token_empty(l: Locale) -> String {
    t(l, "the API token is empty", "Token da API não informado")
}
pub(crate) fn msg_base_url(l: Locale) -> String {
    t(
        l,
        "baseUrl must start with http:// or https://",
        "A URL base deve começar com http:// ou https://",
    )
}
pub(crate) fn msg_required(l: Locale, f: &str) -> String {
    match l {
        Locale::En => cat!(f, " is required"),
        Locale::PtBr => cat!("Campo obrigatório: ", f),
    }
}
pub(crate) fn msg_fields_object(l: Locale) -> String {
    t(
        l,
        "fields must be a JSON object",
        "Os dados devem ser um objeto JSON",
    )
}
pub(crate) fn msg_nothing_to_update(l: Locale) -> String {
    t(
        l,
        "nothing to update: no fields given",
        "Nenhum campo para atualizar",
    )
}
pub(crate) fn msg_id(l: Locale, f: &str) -> String {
    match l {
        Locale::En => cat!(f, " must be a positive integer id"),
        Locale::PtBr => cat!(f, " deve ser um ID numérico positivo"),
    }
}
pub(crate) fn msg_search_short(l: Locale) -> String {
    t(
        l,
        "the search term must have at least 2 characters",
        "O termo de busca deve ter pelo menos 2 caracteres",
    )
}
pub(crate) fn msg_contacts_need_customer(l: Locale) -> String {
    t(
        l,
        "customer_id is required: the REST API addresses contacts under their customer",
        "customer_id é obrigatório: a REST API acessa contatos pelo cliente",
    )
}
pub(crate) fn msg_filters_value(l: Locale) -> String {
    t(
        l,
        "filter names must be column names (letters, digits, _)",
        "Nomes de filtro devem ser nomes de coluna",
    )
}
fn msg_email(l: Locale) -> String {
    t(l, "invalid email address", "Email inválido")
}
fn msg_vat(l: Locale) -> String {
    t(
        l,
        "invalid CPF/CNPJ: must have 11 digits (CPF) or 14 digits (CNPJ)",
        "CPF/CNPJ inválido. Deve ter 11 dígitos (CPF) ou 14 dígitos (CNPJ)",
    )
}
fn msg_date(l: Locale, r: Resource, f: &str) -> String {
    match l {
        Locale::En => cat!(f, " must be a date in the format YYYY-MM-DD"),
        Locale::PtBr if r == Resource::Tasks && f == "duedate" => {
            "Data de vencimento deve estar no formato YYYY-MM-DD".to_owned()
        }
        Locale::PtBr => "Data deve estar no formato YYYY-MM-DD".to_owned(),
    }
}
fn msg_datetime(l: Locale, f: &str) -> String {
    match l {
        Locale::En => cat!(f, " must be YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]"),
        Locale::PtBr => cat!(
            f,
            " deve estar no formato YYYY-MM-DD ou YYYY-MM-DD HH:MM[:SS]"
        ),
    }
}
fn msg_items(l: Locale) -> String {
    t(
        l,
        "items must be a JSON array of item objects (description, qty, rate)",
        "Items deve ser um JSON válido",
    )
}
fn msg_item_field(l: Locale, i: usize, f: &str) -> String {
    match l {
        Locale::En => cat!("items[", i, "].", f, " is missing or invalid"),
        Locale::PtBr => cat!("Item ", i, ": campo ", f, " ausente ou inválido"),
    }
}
fn msg_positive_decimal(l: Locale, f: &str) -> String {
    match l {
        Locale::En => cat!(f, " must be a decimal number greater than 0"),
        Locale::PtBr => cat!(f, " deve ser um número decimal maior que 0"),
    }
}
fn msg_scalar(l: Locale, f: &str) -> String {
    match l {
        Locale::En => cat!(f, " must be a string, number or boolean"),
        Locale::PtBr => cat!(f, " deve ser texto, número ou booleano"),
    }
}

/// True for `something@something.something` with no whitespace (the seed node's rule).
pub fn is_valid_email(s: &str) -> bool {
    if s.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') {
        return false;
    }
    match domain.rfind('.') {
        Some(dot) => dot > 0 && dot + 1 < domain.len(),
        None => false,
    }
}

/// Strips non-digits from a CPF/CNPJ; `None` unless 11 or 14 digits remain.
pub fn clean_vat(s: &str) -> Option<String> {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    matches!(d.len(), 11 | 14).then_some(d)
}

/// True for a real calendar date written exactly `YYYY-MM-DD`.
pub fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: core::ops::Range<usize>| -> Option<u32> {
        let p = &s[r];
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1 && (1..=days).contains(&d)
}

/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS`.
fn is_valid_datetime(s: &str) -> bool {
    if s.len() == 10 {
        return is_valid_date(s);
    }
    let Some((d, tm)) = s.split_once(' ') else {
        return false;
    };
    if !is_valid_date(d) {
        return false;
    }
    let parts: Vec<&str> = tm.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return false;
    }
    parts.iter().zip([24u32, 60, 60]).all(|(p, max)| {
        p.len() == 2
            && p.bytes().all(|c| c.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|v| v < max)
    })
}

/// A positive integer id (digits only, no leading zero).
pub(crate) fn check_id(l: Locale, field: &str, id: &str) -> Result<String> {
    let id = id.trim();
    if !id.is_empty()
        && id.len() <= 19
        && id.bytes().all(|b| b.is_ascii_digit())
        && !id.starts_with('0')
    {
        Ok(id.to_owned())
    } else {
        Err(Error::invalid_input(field, msg_id(l, field)))
    }
}

pub(crate) fn check_vat(l: Locale, field: &str, v: &str) -> Result<String> {
    clean_vat(v).ok_or_else(|| Error::invalid_input(field, msg_vat(l)))
}

/// A scalar as text: strings as they are, numbers as written, booleans as `1`/`0`.
pub(crate) fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::Str(s) => Some(s.clone()),
        Json::Num(n) => Some(n.clone()),
        Json::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        _ => None,
    }
}

/// PHP's `empty()` (WON's "required"): absent, null, "", "0", 0, false, [].
fn php_empty(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) | Some(Json::Bool(false)) => true,
        Some(Json::Str(s)) => s.is_empty() || s == "0",
        Some(Json::Num(n)) => super::num::is_zero(n),
        Some(Json::Arr(a)) => a.is_empty(),
        Some(Json::Obj(o)) => o.is_empty(),
        Some(Json::Bool(true)) => false,
    }
}

/// CodeIgniter's `required` (REST): absent, null, blank string, empty array.
fn ci_empty(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => true,
        Some(Json::Str(s)) => s.trim().is_empty(),
        Some(Json::Arr(a)) => a.is_empty(),
        Some(Json::Obj(o)) => o.is_empty(),
        _ => false,
    }
}

pub(crate) fn get<'a>(fields: &'a [(String, Json)], k: &str) -> Option<&'a Json> {
    fields.iter().find(|(n, _)| n == k).map(|(_, v)| v)
}

/// Required fields per profile, resource and operation (after profile renames: the
/// contact's customer is `userid` in WON and `customer_id` in REST; REST invoice lines are
/// `newitems` on create and `items` on update).
fn required(p: Profile, r: Resource, op: Op) -> &'static [&'static str] {
    use Resource::*;
    match (p, op, r) {
        (Profile::Won, Op::Create, Customers) => &["company"],
        (Profile::Won, Op::Create, Contacts) => &["userid", "firstname", "lastname"],
        (Profile::Won, Op::Create, Leads) => &["name"],
        (Profile::Won, Op::Create, Projects) => &["name", "clientid"],
        (Profile::Won, Op::Create, Tasks) => &["name"],
        (Profile::Won, Op::Create, Invoices) => &["clientid"],
        (Profile::Rest, Op::Create, Customers) => &["company"],
        (Profile::Rest, Op::Create, Contacts) => {
            &["customer_id", "firstname", "lastname", "email", "password"]
        }
        (Profile::Rest, Op::Create, Leads) => &["name", "source", "status", "assigned"],
        (Profile::Rest, Op::Create, Projects) => {
            &["name", "clientid", "billing_type", "start_date", "status"]
        }
        (Profile::Rest, Op::Create, Tasks) => &["name", "startdate"],
        (Profile::Rest, Op::Create, Invoices) => &[
            "clientid",
            "number",
            "date",
            "currency",
            "newitems",
            "allowed_payment_modes",
            "billing_street",
            "subtotal",
            "total",
        ],
        (Profile::Rest, Op::Update, Contacts) => &["email"],
        (Profile::Rest, Op::Update, Invoices) => &[
            "number",
            "date",
            "currency",
            "items",
            "allowed_payment_modes",
            "billing_street",
            "subtotal",
            "total",
        ],
        _ => &[],
    }
}

const DATE_FIELDS: &[&str] = &[
    "date",
    "duedate",
    "startdate",
    "start_date",
    "deadline",
    "dateassigned",
];
const DATETIME_FIELDS: &[&str] = &["lastcontact", "custom_contact_date"];
const ID_FIELDS: &[&str] = &[
    "userid",
    "customer_id",
    "clientid",
    "client_id",
    "project_id",
    "rel_id",
];

/// Checks prepared fields (already renamed for the profile) before a create or update.
pub(crate) fn check_fields(
    p: Profile,
    r: Resource,
    op: Op,
    l: Locale,
    vat_cpf_cnpj: bool,
    fields: &mut [(String, Json)],
) -> Result<()> {
    // required fields, in the server's order
    for f in required(p, r, op) {
        let v = get(fields, f);
        let missing = match p {
            Profile::Won => php_empty(v),
            Profile::Rest => ci_empty(v),
        };
        let exempt = p == Profile::Rest
            && r == Resource::Contacts
            && *f == "password"
            && !php_empty(get(fields, "send_set_password_email"));
        if missing && !exempt {
            return Err(Error::invalid_input(*f, msg_required(l, f)));
        }
    }
    for (k, v) in fields.iter_mut() {
        let k = k.as_str();
        if k == "email" {
            if let Some(s) = scalar_text(v) {
                if !s.is_empty() && !is_valid_email(&s) {
                    return Err(Error::invalid_input(k, msg_email(l)));
                }
            }
        } else if k == "vat" && r == Resource::Customers && vat_cpf_cnpj {
            if let Some(s) = scalar_text(v) {
                if !s.is_empty() {
                    *v = Json::Str(check_vat(l, k, &s)?);
                }
            }
        } else if DATE_FIELDS.contains(&k) {
            check_text(v, k, is_valid_date, || msg_date(l, r, k))?;
        } else if DATETIME_FIELDS.contains(&k) {
            check_text(v, k, is_valid_datetime, || msg_datetime(l, k))?;
        } else if ID_FIELDS.contains(&k) {
            if let Some(s) = scalar_text(v) {
                if !s.is_empty() {
                    check_id(l, k, &s)?;
                }
            }
        } else if (k == "items" || k == "newitems") && r == Resource::Invoices {
            *v = check_items(p, l, v)?;
        } else if (k == "subtotal" || k == "total") && r == Resource::Invoices && p == Profile::Rest
        {
            let ok = scalar_text(v).is_some_and(|s| is_decimal(&s) && super::num::is_positive(&s));
            if !ok {
                return Err(Error::invalid_input(k, msg_positive_decimal(l, k)));
            }
        }
        if matches!(v, Json::Arr(_) | Json::Obj(_))
            && p == Profile::Won
            && !(r == Resource::Invoices && k == "items")
        {
            // WON writes raw columns: a list or object cannot be a column value.
            return Err(Error::invalid_input(k, msg_scalar(l, k)));
        }
    }
    Ok(())
}

fn check_text(
    v: &Json,
    k: &str,
    ok: impl Fn(&str) -> bool,
    msg: impl Fn() -> String,
) -> Result<()> {
    match v {
        Json::Null => Ok(()),
        Json::Str(s) if s.is_empty() || ok(s) => Ok(()),
        _ => Err(Error::invalid_input(k, msg())),
    }
}

/// A decimal number as text: optional `-`, digits, optional `.digits`.
pub(crate) fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Invoice lines: a JSON array (or a string holding one) of objects. REST lines need a
/// description and decimal `qty`/`rate`.
fn check_items(p: Profile, l: Locale, v: &Json) -> Result<Json> {
    let parsed;
    let arr = match v {
        Json::Arr(a) => a,
        Json::Str(s) => {
            parsed =
                crate::json::parse(s).map_err(|_| Error::invalid_input("items", msg_items(l)))?;
            match &parsed {
                Json::Arr(a) => a,
                _ => return Err(Error::invalid_input("items", msg_items(l))),
            }
        }
        _ => return Err(Error::invalid_input("items", msg_items(l))),
    };
    for (i, item) in arr.iter().enumerate() {
        let Json::Obj(o) = item else {
            return Err(Error::invalid_input("items", msg_items(l)));
        };
        if p == Profile::Rest {
            if ci_empty(get(o, "description")) {
                return Err(Error::invalid_input(
                    "items",
                    msg_item_field(l, i, "description"),
                ));
            }
            for f in ["qty", "rate"] {
                if !get(o, f)
                    .and_then(scalar_text)
                    .is_some_and(|s| is_decimal(&s))
                {
                    return Err(Error::invalid_input("items", msg_item_field(l, i, f)));
                }
            }
        }
    }
    Ok(Json::Arr(arr.clone()))
}

/// Renders an error the way the seed n8n node words it (`PtBr`), or a plain English line.
/// Client-side (`INVALID_INPUT`) messages are already in the configured locale and are
/// returned as they are.
pub fn localized_message(e: &Error, l: Locale) -> String {
    let msg = if e.message.is_empty() {
        None
    } else {
        Some(e.message.as_str())
    };
    match (l, &e.code) {
        (_, ErrorCode::InvalidInput) => e.message.clone(),
        (Locale::PtBr, ErrorCode::InvalidAuthToken) => {
            "Erro de autenticação: Token inválido ou não fornecido".into()
        }
        (Locale::PtBr, ErrorCode::Transport | ErrorCode::Timeout) => {
            "Erro de conexão com o servidor".into()
        }
        (Locale::PtBr, ErrorCode::RecordNotFound) => "Recurso não encontrado".into(),
        (Locale::PtBr, ErrorCode::ValidationFailed) => {
            cat!("Dados inválidos: ", msg.unwrap_or("Erro desconhecido"))
        }
        (Locale::PtBr, _) => match e.status {
            Some(s) => cat!("Erro ", s, ": ", msg.unwrap_or("Erro desconhecido")),
            None => cat!("Erro: ", msg.unwrap_or("Erro desconhecido")),
        },
        (Locale::En, ErrorCode::InvalidAuthToken) => {
            cat!(
                "Authentication error: invalid or missing token (",
                msg.unwrap_or("no message"),
                ")"
            )
        }
        (Locale::En, ErrorCode::Transport | ErrorCode::Timeout) => {
            "Could not reach the server".into()
        }
        (Locale::En, ErrorCode::RecordNotFound) => {
            cat!("Not found: ", msg.unwrap_or("no message"))
        }
        (Locale::En, ErrorCode::ValidationFailed) => {
            cat!("Invalid data: ", msg.unwrap_or("no message"))
        }
        (Locale::En, _) => match e.status {
            Some(s) => cat!("Error ", s, ": ", msg.unwrap_or("unknown error")),
            None => cat!("Error: ", msg.unwrap_or("unknown error")),
        },
    }
}
