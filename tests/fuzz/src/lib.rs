//! Helpers shared by the fuzz targets: how raw fuzz input becomes text, fields and HTTP
//! responses, an independent VTQL literal lexer, and a conversion to serde_json for comparisons.
//! `seed.mjs` writes its seeds in these same formats.

use crmwire::json::Json;
use crmwire::HttpResponse;

/// The statuses a response input can carry: its first byte picks one (`b % len`).
pub const STATUSES: [u16; 10] = [200, 500, 201, 400, 401, 403, 404, 409, 422, 503];

/// The input as text (invalid UTF-8 replaced).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The input as NUL-separated text fields.
pub fn fields(data: &[u8]) -> Vec<String> {
    text(data).split('\0').map(str::to_owned).collect()
}

/// Consecutive fields as `(name, value)` pairs (a lone last field gets an empty value).
pub fn pairs(fields: &[String]) -> Vec<(String, String)> {
    fields
        .chunks(2)
        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
        .collect()
}

/// First byte: the status (see [`STATUSES`]); the rest: the body, as bytes.
pub fn response(data: &[u8]) -> HttpResponse {
    match data.split_first() {
        Some((b, body)) => HttpResponse::new(STATUSES[usize::from(*b) % STATUSES.len()], body),
        None => HttpResponse::new(200, Vec::new()),
    }
}

/// crmwire's JSON tree as a serde_json value (numbers read by serde_json from their raw text;
/// duplicate keys: the last wins, as in serde_json).
pub fn to_serde(v: &Json) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Num(n) => serde_json::from_str(n).expect("a number crmwire accepted"),
        Json::Str(s) => Value::String(s.clone()),
        Json::Arr(a) => Value::Array(a.iter().map(to_serde).collect()),
        Json::Obj(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect()),
    }
}

/// Whether JSON text holds a `\u` escape of a UTF-16 surrogate, which JavaScript's `JSON.parse`
/// reads and serde_json refuses when unpaired: no oracle then.
pub fn has_surrogate_escape(text: &str) -> bool {
    text.as_bytes().windows(4).any(|w| {
        w[0] == b'\\' && w[1] == b'u' && matches!(w[2], b'd' | b'D') && {
            matches!(w[3], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
        }
    })
}

/// Whether serde_json refused JSON text only for what JavaScript's `JSON.parse` reads and
/// serde_json does not: an unpaired surrogate escape, or a number beyond f64 (`1e400`, which
/// `JSON.parse` reads as Infinity). No oracle then.
pub fn beyond_serde(text: &str, e: &serde_json::Error) -> bool {
    has_surrogate_escape(text) || e.to_string().contains("number out of range")
}

/// An independent reading of a VTQL literal, written from the rules rather than from either
/// crmwire's builder or the simulator: Vtiger's lexer takes `'(?:[^']|'')+'` (a backslash means
/// nothing to it), then MySQL unescapes the text (`\` escapes, `''` is `'`; `\%` and `\_` stay
/// two characters). Returns the value when `lit` is exactly one such literal, else `None`.
pub fn read_literal(lit: &str) -> Option<String> {
    let body = lit.strip_prefix('\'')?.strip_suffix('\'')?;
    // The lexer: inside, every `'` comes in pairs (a lone one would have closed the literal).
    let mut chars = body.chars();
    let mut lexed = 0;
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        lexed += 1;
    }
    if lexed == 0 {
        return None;
    }
    // MySQL, over the whole literal: it must end at the last quote, not earlier or later.
    let mut out = String::new();
    let mut chars = lit.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next()?.1 {
                '0' => out.push('\0'),
                'b' => out.push('\u{8}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'Z' => out.push('\u{1a}'),
                '%' => out.push_str("\\%"),
                '_' => out.push_str("\\_"),
                other => out.push(other),
            },
            '\'' if chars.peek().map(|&(_, n)| n) == Some('\'') => {
                chars.next();
                out.push('\'');
            }
            '\'' => return (i + 1 == lit.len()).then_some(out),
            c => out.push(c),
        }
    }
    None
}
