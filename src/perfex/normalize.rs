//! The normalised record view (identical for WON and REST; shape in the module docs).

use super::Resource;
use crate::json::Json;
use crate::prelude::*;

const FLAGS: &[&str] = &[
    "active",
    "is_primary",
    "billable",
    "billed",
    "is_public",
    "visible_to_client",
    "sent",
    "include_shipping",
    "show_shipping_on_invoice",
    "cancel_overdue_reminders",
    "lost",
    "junk",
    "progress_from_tasks",
    "show_primary_contact",
    "registration_confirmed",
    "donotsendwelcomeemail",
    "invoice_emails",
    "estimate_emails",
    "credit_note_emails",
    "contract_emails",
    "task_emails",
    "project_emails",
    "ticket_emails",
    "custom_recurring",
    "deadline_notified",
    "is_added_from_contact",
    "contacted_today",
];

const MONEY: &[&str] = &[
    "subtotal",
    "total",
    "total_tax",
    "adjustment",
    "discount_percent",
    "discount_total",
    "project_cost",
    "project_rate_per_hour",
    "estimated_hours",
    "hourly_rate",
    "lead_value",
    "rate",
    "qty",
];

const DATES: &[&str] = &[
    "date",
    "duedate",
    "start_date",
    "startdate",
    "deadline",
    "project_created",
    "dateassigned",
    "last_overdue_reminder",
    "last_due_reminder",
    "last_recurring_date",
];

const DATETIMES: &[&str] = &[
    "datecreated",
    "dateadded",
    "lastcontact",
    "datefinished",
    "date_finished",
    "last_login",
    "date_converted",
    "last_status_change",
    "datesend",
    "dateupdated",
    "email_verified_at",
    "last_password_change",
    "custom_contact_date",
];

fn text(v: &Json) -> Option<String> {
    match v {
        Json::Str(s) => Some(s.trim().to_owned()),
        Json::Num(n) => Some(n.clone()),
        _ => None,
    }
}

fn is_zero_date(s: &str) -> bool {
    s.starts_with("0000-00-00")
}

/// `YYYY-MM-DD HH:MM[:SS]` → `YYYY-MM-DDTHH:MM:SS`; other text unchanged.
fn iso_datetime(s: &str) -> String {
    let b = s.as_bytes();
    let date_like = b.len() >= 16
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':';
    if !date_like {
        return s.to_owned();
    }
    let mut out = cat!(&s[..10], "T", &s[11..]);
    if out.len() == 16 {
        out.push_str(":00");
    }
    out
}

fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16) || c.is_ascii_digit())
}

fn value(key: &str, v: &Json) -> Json {
    match v {
        Json::Arr(a) => return Json::Arr(a.iter().map(|x| value("", x)).collect()),
        Json::Obj(o) => {
            return Json::Obj(o.iter().map(|(k, x)| (k.clone(), value(k, x))).collect())
        }
        Json::Null => return Json::Null,
        _ => {}
    }
    if FLAGS.contains(&key) {
        return match v {
            Json::Bool(b) => Json::Bool(*b),
            _ => match text(v).as_deref() {
                None | Some("") => Json::Null,
                Some(s) => Json::Bool(
                    !(s == "0" || s.eq_ignore_ascii_case("false") || s.eq_ignore_ascii_case("off")),
                ),
            },
        };
    }
    let Some(s) = text(v) else {
        // booleans outside the flag list become "1"/"0" like every other column
        return match v {
            Json::Bool(b) => Json::Str(if *b { "1" } else { "0" }.to_owned()),
            other => other.clone(),
        };
    };
    if MONEY.contains(&key) {
        return if s.is_empty() {
            Json::Null
        } else {
            Json::Str(s)
        };
    }
    if DATES.contains(&key) {
        return if s.is_empty() || is_zero_date(&s) {
            Json::Null
        } else {
            Json::Str(s[..s.len().min(10)].to_owned())
        };
    }
    if DATETIMES.contains(&key) || looks_like_datetime(&s) {
        return if s.is_empty() || is_zero_date(&s) {
            Json::Null
        } else {
            Json::Str(iso_datetime(&s))
        };
    }
    Json::Str(s)
}

/// One record in the normalised view: `"id"` first (a string), then every column typed as
/// described in the module docs. Non-objects are returned unchanged.
pub fn normalize_record(r: Resource, rec: &Json) -> Json {
    let Json::Obj(o) = rec else {
        return rec.clone();
    };
    let mut out = Vec::with_capacity(o.len() + 1);
    let id = o
        .iter()
        .find(|(k, _)| k == r.primary_key())
        .or_else(|| o.iter().find(|(k, _)| k == "id"));
    let id = id
        .and_then(|(_, v)| text(v))
        .map(Json::Str)
        .unwrap_or(Json::Null);
    out.push(("id".to_owned(), id));
    for (k, v) in o {
        if k == "id" {
            continue;
        }
        out.push((k.clone(), value(k, v)));
    }
    Json::Obj(out)
}

/// Every record normalised.
pub fn normalize_records(r: Resource, recs: &[Json]) -> Vec<Json> {
    recs.iter().map(|x| normalize_record(r, x)).collect()
}
