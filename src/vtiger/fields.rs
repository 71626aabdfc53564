//! What a record (`element`) may hold before it is sent: its keys against the module's
//! `describe`, JS `Date` values written in the field's format, strict picklists, and the
//! Documents rules for file content. Pure functions over a [`ModuleInfo`]; the session driver
//! ([`super::driver`]) fetches and caches the describe and calls [`prepare`].
//!
//! Why (live findings of 2026-12-04, issue 17 item 10): the server drops an unknown field
//! without a word (`emial` → success, no email), stores an ISO timestamp in a date field as
//! `""` (recording 935), and accepts any picklist value. Each of these loses the caller's data
//! silently; here they are refused with INVALID_INPUT naming the field, before sending.
//!
//! Rules:
//! * **Keys**: every key must be a field of the module's describe, or one of
//!   [`SERVER_KEYS`], the members the server itself adds to the records it returns (so that
//!   `update(await retrieve(id))` passes). An unknown key is refused, naming the closest
//!   field (a field whose label is the key, else the smallest edit distance).
//! * **Dates**: a JS `Date` (an instant, handed over as epoch milliseconds) is written as its
//!   **UTC** calendar day `YYYY-MM-DD` in a `date` field, `YYYY-MM-DD HH:MM:SS` (UTC) in a
//!   `datetime` field and `HH:MM:SS` (UTC) in a `time` field; anywhere else it is refused. The
//!   server converts nothing (live findings §4), so UTC is the one rule that gives the same
//!   text in every runtime whatever its local zone. A string holding an ISO timestamp
//!   (`1990-01-02T00:00:00Z`) in a `date` field is refused: the server would store `""`.
//! * **Picklists**: a `picklist` (or each part of a `multipicklist`, ` |##| `-separated)
//!   whose describe lists values takes only those values (exactly, case included) or `""`;
//!   Calendar's `activitytype` also takes `Task` (the value a Task needs, not in the list).
//! * **Documents**: a file is sent only with a Documents record; it makes the record internal
//!   (`filelocationtype` `I`, set when absent; `E` with a file is refused); an empty file is
//!   refused (the server would store no file); a file larger than the `file` field's
//!   `maxUploadFileSize` is refused. A create with `filelocationtype` `I`, or with a
//!   `filename` but no `filelocationtype` `E`, and no file is refused: the server would
//!   create a Document without its file (923).

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::ops::ElementInput;
use super::results::{FieldInfo, ModuleInfo};
use crate::error::{Error, Result};
use crate::json::Json;

/// Members the server adds to the records it returns, accepted in an element although no
/// describe lists them: `id`, `label`, `imageattachmentids` (files), `currency_id`
/// (Products), `update_log` (HelpDesk), `LineItems` and `LineItems_FinalDetails` (inventory).
pub const SERVER_KEYS: &[&str] = &[
    "id",
    "label",
    "imageattachmentids",
    "currency_id",
    "update_log",
    "LineItems",
    "LineItems_FinalDetails",
];

const OFF: &str = " (checkFields: false turns this check off)";

/// A JS `Date` found in the element: its key, its time (epoch milliseconds; `None` for an
/// invalid Date) and whether it sat below the top level (inside another field's value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateValue {
    /// The top-level key (or, when `nested`, the key of the member holding it).
    pub key: String,
    /// Milliseconds since 1970-01-01T00:00:00Z; `None` for an invalid Date.
    pub ms: Option<i64>,
    /// True when the Date is not a top-level member.
    pub nested: bool,
}

/// File content that goes with a record: its name, media type and size in bytes. The bytes
/// stay with the host, which inserts them into the request body the core built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// The file name sent in the part's `Content-Disposition` (the server sanitises it).
    pub name: String,
    /// The part's `Content-Type`.
    pub content_type: String,
    /// The size in bytes.
    pub size: u64,
}

impl Upload {
    /// A checked upload. INVALID_INPUT (field `file`): an empty name, a path (`/` or `\`:
    /// PHP keeps only the last segment), a control character in the name, a media type that
    /// is not printable ASCII. `content_type` `None` or empty means
    /// `application/octet-stream`.
    pub fn new(name: &str, content_type: Option<&str>, size: u64) -> Result<Upload> {
        let bad = |m: &str| Error::invalid_input("file", m.to_owned());
        if name.is_empty() {
            return Err(bad(
                "the file needs a name (e.g. { data, name: 'report.pdf' })",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(bad("the file name must not contain control characters"));
        }
        if name.contains(['/', '\\']) {
            return Err(bad(
                "the file name must be a name, not a path (no '/' or '\\')",
            ));
        }
        let ct = content_type.unwrap_or("").trim();
        if !ct.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(bad(
                "the file's type must be printable ASCII (a media type such as text/plain)",
            ));
        }
        Ok(Upload {
            name: name.to_owned(),
            content_type: if ct.is_empty() {
                "application/octet-stream".to_owned()
            } else {
                ct.to_owned()
            },
            size,
        })
    }
}

/// Which write an element is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    /// `create`.
    Create,
    /// `update` (every field).
    Update,
    /// `revise` (the fields given).
    Revise,
}

/// Checks and converts an element before it is sent (see the module docs). `info` is the
/// module's describe (required when `dates` is not empty; without it only the Documents rules
/// apply); `check` turns the key and picklist checks on. Dates are replaced by their text.
pub fn prepare(
    el: &mut ElementInput,
    kind: WriteKind,
    module: Option<&str>,
    info: Option<&ModuleInfo>,
    check: bool,
    dates: &[DateValue],
    file: Option<&Upload>,
) -> Result<()> {
    for d in dates {
        let text = date_text(d, info)?;
        el.set(&d.key, Json::Str(text));
    }
    if let (true, Some(info)) = (check, info) {
        check_element(el, info)?;
    }
    documents(el, kind, module, info, file)
}

fn date_text(d: &DateValue, info: Option<&ModuleInfo>) -> Result<String> {
    let k = &d.key;
    if d.nested {
        return Err(Error::invalid_input(
            k.clone(),
            cat!("'", k, "' holds a Date inside its value: only a top-level field can take a Date; write it as text"),
        ));
    }
    let ms =
        d.ms.ok_or_else(|| Error::invalid_input(k.clone(), cat!("'", k, "' is an invalid Date")))?;
    let ty = info
        .and_then(|i| i.field(k))
        .map_or("", |f| f.type_name.as_str());
    let (day, secs) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000) / 1000);
    let (y, m, dd) = civil(day);
    let hms = cat!(
        crate::text::Zero(secs / 3600, 2),
        ":",
        crate::text::Zero(secs / 60 % 60, 2),
        ":",
        crate::text::Zero(secs % 60, 2)
    );
    if !(1..=9999).contains(&y) && ty != "time" {
        return Err(Error::invalid_input(
            k.clone(),
            cat!("'", k, "' is a Date outside the years 1–9999"),
        ));
    }
    let ymd = cat!(
        crate::text::Zero(y, 4),
        "-",
        crate::text::Zero(m, 2),
        "-",
        crate::text::Zero(dd, 2)
    );
    Ok(match ty {
        "date" => ymd,
        "datetime" => cat!(ymd, " ", hms),
        "time" => hms,
        "" => {
            return Err(Error::invalid_input(
                k.clone(),
                cat!(
                    "'",
                    k,
                    "' holds a Date, but the module has no field '",
                    k,
                    "' to say its format"
                ),
            ))
        }
        other => {
            return Err(Error::invalid_input(
                k.clone(),
                cat!(
                    "'",
                    k,
                    "' holds a Date, but it is a ",
                    other,
                    " field: a Date can be written to date, datetime and time fields only"
                ),
            ))
        }
    })
}

/// Year, month, day of a day number (days since 1970-01-01; H. Hinnant's `civil_from_days`).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The key and picklist checks.
pub fn check_element(el: &ElementInput, info: &ModuleInfo) -> Result<()> {
    let Some(members) = el.value().as_object() else {
        return Ok(());
    };
    for (k, v) in members {
        let Some(f) = info.field(k) else {
            if SERVER_KEYS.contains(&k.as_str()) {
                continue;
            }
            let near = closest_field(k, info)
                .map_or(String::new(), |c| cat!(" (closest field: '", c, "')"));
            return Err(Error::invalid_input(
                k.clone(),
                cat!(
                    info.name,
                    " has no field '",
                    k,
                    "': the server would drop its value without a word",
                    near,
                    ". Field names are case-sensitive",
                    OFF
                ),
            ));
        };
        let text = match v {
            Json::Str(s) => s.as_str(),
            Json::Num(n) => n.as_str(),
            _ => continue,
        };
        match f.type_name.as_str() {
            "date" if iso_timestamp(text) => {
                return Err(Error::invalid_input(
                    k.clone(),
                    cat!("'", k, "' is a date field and '", text, "' an ISO timestamp, which the server stores as \"\": give YYYY-MM-DD or a Date", OFF),
                ))
            }
            "picklist" => check_pick(&info.name, f, text)?,
            "multipicklist" => {
                // Values are joined by " |##| ".
                let mut rest = text;
                loop {
                    let cut = rest.as_bytes().windows(4).position(|w| w == b"|##|");
                    let (part, next) = match cut {
                        Some(i) => (&rest[..i], Some(&rest[i + 4..])),
                        None => (rest, None),
                    };
                    check_pick(&info.name, f, part.trim())?;
                    match next {
                        Some(n) => rest = n,
                        None => break,
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `YYYY-MM-DDT…`: an ISO 8601 timestamp (what `JSON.stringify` makes of a Date).
fn iso_timestamp(s: &str) -> bool {
    let b = s.trim_start().as_bytes();
    b.len() > 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && matches!(b[10], b'T' | b't')
}

fn check_pick(module: &str, f: &FieldInfo, v: &str) -> Result<()> {
    let values = &f.picklist_values;
    if v.is_empty()
        || values.is_empty()
        || values.iter().any(|p| p == v)
        || (module == "Calendar" && f.name == "activitytype" && v == "Task")
    {
        return Ok(());
    }
    let lower = v.to_ascii_lowercase();
    let near = values
        .iter()
        .find(|p| p.eq_ignore_ascii_case(v))
        .or_else(|| {
            f.picklist_labels
                .iter()
                .position(|l| l.eq_ignore_ascii_case(v))
                .and_then(|i| values.get(i))
        })
        .or_else(|| {
            values
                .iter()
                .min_by_key(|p| distance(&lower, &p.to_ascii_lowercase()))
        });
    let mut shown: String = values
        .iter()
        .take(12)
        .map(|s| cat!("'", s, "'"))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > 12 {
        shown.push_str(", …");
    }
    Err(Error::invalid_input(
        f.name.clone(),
        cat!(
            "'",
            v,
            "' is not a value of the picklist '",
            f.name,
            "' of ",
            module,
            " (the server would store it anyway)",
            near.map_or(String::new(), |n| cat!(": did you mean '", n, "'?")),
            "; its values: ",
            shown,
            OFF
        ),
    ))
}

/// The field a mistyped key most likely meant: one whose label is the key (any case, spaces
/// ignored), else the one at the smallest edit distance.
pub fn closest_field<'a>(key: &str, info: &'a ModuleInfo) -> Option<&'a str> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '_' | '\t'))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let k = squash(key);
    info.fields
        .iter()
        .find(|f| squash(&f.label) == k || squash(&f.name) == k)
        .or_else(|| {
            info.fields
                .iter()
                .min_by_key(|f| distance(&key.to_ascii_lowercase(), &f.name.to_ascii_lowercase()))
        })
        .map(|f| f.name.as_str())
}

/// Levenshtein distance over characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn documents(
    el: &mut ElementInput,
    kind: WriteKind,
    module: Option<&str>,
    info: Option<&ModuleInfo>,
    file: Option<&Upload>,
) -> Result<()> {
    let is_doc = module == Some("Documents");
    let location = el
        .get("filelocationtype")
        .and_then(Json::as_str)
        .map(str::to_owned);
    let Some(file) = file else {
        if !is_doc || kind != WriteKind::Create {
            return Ok(());
        }
        let claims_file = el
            .get("filename")
            .and_then(Json::as_str)
            .is_some_and(|s| !s.is_empty());
        return match location.as_deref() {
            Some("I") => Err(Error::invalid_input(
                "file",
                "an internal Document (filelocationtype 'I') needs its file content: pass { file } (bytes, a Blob or a File); sent without it, the server creates the Document with no file",
            )),
            Some("E") => Ok(()),
            _ if claims_file => Err(Error::invalid_input(
                "file",
                "a Document with a 'filename' needs the file content ({ file }) or filelocationtype 'E' for a link; sent as is, the server drops the name and stores no file",
            )),
            _ => Ok(()),
        };
    };
    if !is_doc {
        return Err(Error::invalid_input(
            "file",
            cat!(
                "file content can be sent with Documents records only (not ",
                module.unwrap_or("this record"),
                ")"
            ),
        ));
    }
    if file.size == 0 {
        return Err(Error::invalid_input(
            "file",
            "the file is empty: the server stores no file for an empty upload",
        ));
    }
    if let Some(max) = info
        .and_then(|i| i.fields.iter().find(|f| f.type_name == "file"))
        .and_then(|f| f.max_upload_size)
    {
        if file.size > max {
            return Err(Error::invalid_input(
                "file",
                cat!("the file is ", file.size, " bytes, over this server's upload limit of ", max, " bytes (describe: maxUploadFileSize); the server would store the Document without it"),
            ));
        }
    }
    match location.as_deref() {
        None | Some("") => {
            el.set("filelocationtype", Json::Str("I".to_owned()));
            Ok(())
        }
        Some("I") => Ok(()),
        Some(other) => Err(Error::invalid_input(
            "filelocationtype",
            cat!(
                "filelocationtype '",
                other,
                "' with file content: a file makes the Document internal ('I')"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(7306), (1990, 1, 2));
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("emial", "email"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("mailingcitty", "mailingcity"), 1);
    }
}
