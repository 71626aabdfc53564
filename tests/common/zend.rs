//! Zend_Json, as the server: an independent model of how Vtiger reads a request's `element`.
//! One copy for the gate's tests (`tests/vtiger_gate.rs`, through `common`) and the `proxy_gate`
//! fuzz target (`tests/fuzz/src/lib.rs` includes this file by path).

/// An independent model of how Vtiger reads `element`: Zend_Json_Decoder first runs
/// `decodeUnicodeString` over the whole text (each `\uXXXX`, `u` in any case, becomes the raw
/// character; raw bytes below 0x20 are dropped), then tokenizes (escapes `\" \\ \/ \b \f \n
/// \r \t \'`; raw control characters inside strings are kept). PHP arrays keep the last of
/// duplicate keys. Returns `None` where Zend throws.
pub fn zend_decode(text: &str) -> Option<serde_json::Value> {
    let b: Vec<char> = text.chars().collect();
    let mut pre = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\\'
            && i + 5 < b.len()
            && (b[i + 1] == 'u' || b[i + 1] == 'U')
            && b[i + 2..i + 6].iter().all(char::is_ascii_hexdigit)
        {
            let hex: String = b[i + 2..i + 6].iter().collect();
            let n = u32::from_str_radix(&hex, 16).ok()?;
            pre.push(char::from_u32(n).unwrap_or('?'));
            i += 6;
            continue;
        }
        if (c as u32) >= 0x20 {
            pre.push(c);
        }
        i += 1;
    }
    // Tokenize: rewrite to strict JSON (raw controls inside strings escaped, \' -> ').
    let mut out = String::new();
    let mut in_str = false;
    let mut it = pre.chars();
    while let Some(c) = it.next() {
        if !in_str {
            if c == '"' {
                in_str = true;
            }
            out.push(c);
            continue;
        }
        match c {
            '"' => {
                in_str = false;
                out.push(c);
            }
            '\\' => match it.next()? {
                '\'' => out.push('\''),
                e @ ('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => {
                    out.push('\\');
                    out.push(e);
                }
                _ => return None,
            },
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    serde_json::from_str(&out).ok()
}
