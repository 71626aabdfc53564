//! VTQL literals and names: escaping a string value, checking identifiers, and the lexical
//! checks (numbers, id-valued fields) the tree and the parser share.

use crate::error::{Error, Result};
use crate::prelude::*;

/// Longest identifier accepted (MySQL's column-name limit).
const MAX_IDENT_LEN: usize = 64;

/// Words the server's lexer or parser treats specially; never valid as identifiers.
const KEYWORDS: &[&str] = &[
    "select", "from", "where", "and", "or", "in", "like", "order", "by", "orderby", "limit", "asc",
    "desc", "count",
];

/// Fields (besides any `*_id`) whose values the server splits on `x` and inserts unquoted.
const ID_VALUED_FIELDS: &[&str] = &[
    "id",
    "assigned_user_id",
    "modifiedby",
    "created_user_id",
    "related_to",
];

/// Renders a string as a VTQL literal: single-quoted, with `'` and `\` doubled.
///
/// Errors: `INVALID_INPUT` (field `value`) for the empty string (VTQL cannot express it) and
/// for a string holding NUL.
pub fn literal(s: &str) -> Result<String> {
    if s.is_empty() {
        return Err(Error::invalid_input(
            "value",
            "VTQL cannot express the empty string (the server's lexer rejects '')",
        ));
    }
    if s.contains('\0') {
        return Err(Error::invalid_input(
            "value",
            "a VTQL value cannot contain the NUL character",
        ));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// Checks a module or field name; errors name `field`.
pub fn check_ident(name: &str, field: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_IDENT_LEN
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(Error::invalid_input(
            field,
            cat!(
                "'",
                shorten(name),
                "' is not a valid VTQL name (letters, digits and _, not starting with a digit)"
            ),
        ));
    }
    if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
        return Err(Error::invalid_input(
            field,
            cat!(
                "'",
                name,
                "' is a VTQL keyword and cannot be used as a name"
            ),
        ));
    }
    Ok(())
}

pub(super) fn shorten(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// True for fields whose string values the server treats as webservice ids.
pub(super) fn is_id_valued(field: &str) -> bool {
    ID_VALUED_FIELDS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(field))
        || (field.len() > 3 && field.as_bytes()[field.len() - 3..].eq_ignore_ascii_case(b"_id"))
}

pub(super) fn ends_with_from(f: &str) -> bool {
    f.len() >= 4 && f.as_bytes()[f.len() - 4..].eq_ignore_ascii_case(b"from")
}

pub(super) fn is_strict_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    s.len() <= 40
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && match frac {
            None => true,
            Some(f) => !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()),
        }
}

/// `-?digits`, at most 40 characters: what the server's lexer reads as a signed integer.
pub(super) fn is_strict_int(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    s.len() <= 40 && !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit())
}
