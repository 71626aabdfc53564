//! A JSON writer that encodes strings the way Vtiger's Zend_Json encoder does on the recorded servers:
//! `"` and `\` escaped, `\n` `\r` `\t` `\b` `\f` escaped, every other control character written RAW
//! (so a record holding U+000B makes the response invalid JSON, as recorded in 272), non-ASCII raw,
//! and `/` not escaped.

use serde_json::Value;

pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(esc);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes a serde_json value with the recorded string encoding (objects keep serde's order).
pub fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => push_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_value(out, x);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, k);
                out.push(':');
                push_value(out, x);
            }
            out.push('}');
        }
    }
}

/// Ordered object builder, for results whose key order matters.
#[derive(Default)]
pub struct Obj {
    buf: String,
    n: usize,
}

impl Obj {
    pub fn new() -> Obj {
        Obj {
            buf: String::from("{"),
            n: 0,
        }
    }
    fn key(&mut self, k: &str) {
        if self.n > 0 {
            self.buf.push(',');
        }
        self.n += 1;
        push_str(&mut self.buf, k);
        self.buf.push(':');
    }
    pub fn str(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        push_str(&mut self.buf, v);
        self
    }
    pub fn raw(mut self, k: &str, raw: &str) -> Obj {
        self.key(k);
        self.buf.push_str(raw);
        self
    }
    pub fn val(mut self, k: &str, v: &Value) -> Obj {
        self.key(k);
        push_value(&mut self.buf, v);
        self
    }
    pub fn done(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

pub fn success(result_raw: &str) -> String {
    let mut s = String::with_capacity(result_raw.len() + 32);
    s.push_str("{\"success\":true,\"result\":");
    s.push_str(result_raw);
    s.push('}');
    s
}

pub fn error(code: &str, message: &str) -> String {
    let mut s = String::from("{\"success\":false,\"error\":{\"message\":");
    push_str(&mut s, message);
    s.push_str(",\"code\":");
    push_str(&mut s, code);
    s.push_str("}}");
    s
}
