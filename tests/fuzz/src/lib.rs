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

/// A `proxy_gate` input: the gate's configuration, what it learned, the caller's request and
/// an upstream answer. NUL-separated fields: operation allowlist (`*`, or names separated by
/// `,`; a leading `!` turns the listtypes filter off), module allowlist (the same), describes
/// (`Module=idPrefix=ref1,ref2`, separated by `;`; a leading `?`: told only when the gate asks
/// for it), file part names (`,`), the upstream
/// response (see [`response`]), then the caller's (name, value) pairs.
pub struct GateInput {
    pub operations: Option<Vec<String>>,
    pub modules: Option<Vec<String>>,
    pub filter_listtypes: bool,
    pub describes: Vec<Describe>,
    pub files: Vec<String>,
    pub answer: HttpResponse,
    pub pairs: Vec<(String, String)>,
}

/// A module's describe as the gate is told it: `idPrefix` (as the server writes it, a string)
/// and the names of its reference/owner fields.
pub struct Describe {
    /// Told only when the gate asks (else before the request).
    pub on_request: bool,
    pub module: String,
    pub prefix: String,
    pub refs: Vec<String>,
}

impl Describe {
    /// The describe response body (the shape of the recorded ones, reduced).
    pub fn body(&self) -> String {
        let mut b = String::from(r#"{"success":true,"result":{"label":"x","name":"#);
        crmwire::json::quote(&self.module, &mut b);
        b.push_str(r#","fields":[{"name":"id","type":{"name":"autogenerated"}}"#);
        for (i, r) in self.refs.iter().enumerate() {
            b.push_str(r#",{"name":"#);
            crmwire::json::quote(r, &mut b);
            b.push_str(if i % 2 == 0 {
                r#","type":{"name":"reference","refersTo":["Accounts"]}}"#
            } else {
                r#","type":{"name":"owner"}}"#
            });
        }
        b.push_str(r#"],"idPrefix":"#);
        crmwire::json::quote(&self.prefix, &mut b);
        b.push_str("}}");
        b
    }
}

fn list(field: &str) -> Vec<String> {
    field
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a [`GateInput`]; `None` when the input has fewer than five fields.
pub fn gate_input(data: &[u8]) -> Option<GateInput> {
    // The response field keeps raw bytes: split the input itself on NUL.
    let raw: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let [ops, mods, desc, files, answer, rest @ ..] = raw.as_slice() else {
        return None;
    };
    let ops = text(ops);
    let (filter_listtypes, ops) = match ops.strip_prefix('!') {
        Some(o) => (false, o.to_owned()),
        None => (true, ops),
    };
    let allow = |s: String| (s != "*").then(|| list(&s));
    let describes = text(desc)
        .split(';')
        .filter(|d| !d.is_empty())
        .map(|d| {
            let (on_request, d) = match d.strip_prefix('?') {
                Some(d) => (true, d),
                None => (false, d),
            };
            let mut p = d.splitn(3, '=');
            Describe {
                on_request,
                module: p.next().unwrap_or_default().to_owned(),
                prefix: p.next().unwrap_or_default().to_owned(),
                refs: list(p.next().unwrap_or_default()),
            }
        })
        .collect();
    let rest: Vec<String> = rest.iter().map(|f| text(f)).collect();
    Some(GateInput {
        operations: allow(ops),
        modules: allow(text(mods)),
        filter_listtypes,
        describes,
        files: list(&text(files)),
        answer: response(answer),
        pairs: pairs(&rest),
    })
}

// The model of how Vtiger reads `element`, shared with tests/vtiger_gate.rs.
#[path = "../../common/zend.rs"]
mod zend;
pub use zend::zend_decode;

/// Whether a JSON tree holds an object with a key twice (at any depth).
pub fn has_duplicate_key(v: &Json) -> bool {
    match v {
        Json::Obj(m) => {
            m.iter()
                .enumerate()
                .any(|(i, (k, _))| m[..i].iter().any(|(j, _)| j == k))
                || m.iter().any(|(_, x)| has_duplicate_key(x))
        }
        Json::Arr(a) => a.iter().any(has_duplicate_key),
        _ => false,
    }
}
