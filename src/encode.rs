//! Form/query encoding exactly like the WHATWG `URLSearchParams` serializer, and MD5 hex.

use crate::prelude::*;
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Appends one component in `application/x-www-form-urlencoded` form: ASCII alphanumerics and
/// `*-._` are kept, space becomes `+`, every other UTF-8 byte becomes `%XX` (upper case).
pub fn encode_component(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            continue;
        }
        // Kept runs are ASCII, so `start..i` is on char boundaries whenever it is non-empty.
        if start < i {
            out.push_str(&s[start..i]);
        }
        if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 15)]));
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// `name=value&…` in `application/x-www-form-urlencoded` form, in the given order.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(k, &mut out);
        out.push('=');
        encode_component(v, &mut out);
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is space, `%XX` bytes, invalid UTF-8
/// replaced by U+FFFD, a malformed `%` kept literally). For tests and tools.
pub fn form_decode(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len()
                && hex_val(b[i + 1]).is_some()
                && hex_val(b[i + 2]).is_some() =>
            {
                out.push(hex_val(b[i + 1]).unwrap_or(0) * 16 + hex_val(b[i + 2]).unwrap_or(0));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lower-case hex MD5 of the UTF-8 bytes of `s`.
pub fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    let d = Md5::digest(s.as_bytes());
    let mut out = String::with_capacity(32);
    for b in d.iter() {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_url_search_params() {
        // URLSearchParams([["a b","x+y&z=w%"],["k","é中😀"],["safe","*-._~!'()"]]).toString()
        assert_eq!(
            form_encode(&[("a b", "x+y&z=w%"), ("k", "é中😀"), ("safe", "*-._~!'()")]),
            "a+b=x%2By%26z%3Dw%25&k=%C3%A9%E4%B8%AD%F0%9F%98%80&safe=*-._%7E%21%27%28%29"
        );
        assert_eq!(
            form_encode(&[("q", "SELECT * FROM Contacts;")]),
            "q=SELECT+*+FROM+Contacts%3B"
        );
        assert_eq!(
            form_encode(&[("e", ""), ("n", "\n\r\t/?#")]),
            "e=&n=%0A%0D%09%2F%3F%23"
        );
        assert_eq!(form_encode(&[]), "");
    }

    #[test]
    fn decode_round_trips() {
        let pairs = [
            ("a b", "x+y&z=w%"),
            ("k", "é中😀"),
            ("", ""),
            ("q", "'%41'"),
        ];
        let text = form_encode(&pairs);
        let back = form_decode(&text);
        let want: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(back, want);
        assert_eq!(
            form_decode("a=%zz&b=%4&c=%41"),
            vec![
                ("a".into(), "%zz".into()),
                ("b".into(), "%4".into()),
                ("c".into(), "A".into())
            ]
        );
        assert_eq!(form_decode("flag"), vec![("flag".into(), String::new())]);
    }

    #[test]
    fn md5_is_lowercase_hex() {
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex("é"), "66ddcd97cfdeabb2f6fb8a999b4bc76f");
        assert_eq!(
            md5_hex("6b04740cd4e47secretKEY"),
            "15e02d8f3b228f62b3690b201fb362bb"
        );
    }
}
