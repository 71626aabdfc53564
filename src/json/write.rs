//! The writer (compact JSON with raw UTF-8) and the escaper that turns Vtiger's tolerant JSON
//! into strict JSON.

use super::Json;
use crate::prelude::*;
use alloc::borrow::Cow;

impl Json {
    /// Compact JSON text: raw UTF-8, only `"`, `\` and control characters escaped.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Appends the compact JSON text of this value to `out`.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => quote(s, out),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
            Json::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `s` as a JSON string literal: escapes `"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f` and
/// other control characters as `\u00XX`; everything else (all non-ASCII) stays raw UTF-8.
pub fn quote(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if short.is_empty() {
            push_u_escape(c, out);
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn push_u_escape(c: u8, out: &mut String) {
    out.push_str("\\u00");
    out.push(char::from(HEX[usize::from(c >> 4)]));
    out.push(char::from(HEX[usize::from(c & 15)]));
}
/// Returns `text` with every raw control character inside a string literal escaped, so a
/// strict parser (`JSON.parse`) accepts it. `text` must be tolerant JSON (as validated by
/// [`super::parse()`] or [`super::scan`]). Borrowed unchanged when there is nothing to escape.
pub fn escape_raw_controls(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    if !has_control(bytes) {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            } else if c < 0x20 {
                if out.is_empty() {
                    out.reserve(text.len() + 16);
                }
                out.push_str(&text[start..i]);
                match c {
                    b'\n' => out.push_str("\\n"),
                    b'\r' => out.push_str("\\r"),
                    b'\t' => out.push_str("\\t"),
                    _ => push_u_escape(c, &mut out),
                }
                start = i + 1;
            }
        } else if c == b'"' {
            in_string = true;
        }
    }
    if start == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[start..]);
    Cow::Owned(out)
}
/// True when some byte of `b` is below 0x20, tested eight bytes at a time.
pub(super) fn has_control(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or_default());
        // Exact "some byte < 0x20" test (valid for bounds up to 0x80).
        if x.wrapping_sub(ONES * 0x20) & !x & (ONES * 0x80) != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&c| c < 0x20)
}
