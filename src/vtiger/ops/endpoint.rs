//! The CRM's `webservice.php` URL, parsed and normalised from what the user gives.

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use crate::error::{Error, Result};

/// The normalised absolute URL of a CRM's `webservice.php`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
}

impl Endpoint {
    /// Accepts a CRM base URL (`https://crm.example/`, `https://host/vtigercrm`) or the full
    /// `…/webservice.php` URL. Refuses (INVALID_INPUT, field `url`) a scheme other than
    /// http/https, embedded credentials, a missing host, a query string or a fragment.
    /// Scheme and host are lower-cased, trailing slashes dropped, non-ASCII path bytes
    /// percent-encoded. The input is never echoed in an error (it may hold credentials).
    pub fn parse(input: &str) -> Result<Endpoint> {
        let bad = |msg: &str| Error::invalid_input("url", msg.to_owned());
        let s = input.trim();
        let (scheme, rest) = if s
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("http://"))
        {
            ("http", &s[7..])
        } else if s
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
        {
            ("https", &s[8..])
        } else {
            return Err(bad("the CRM URL must start with http:// or https://"));
        };
        if rest.contains('?') {
            return Err(bad("the CRM URL must not contain a query string"));
        }
        if rest.contains('#') {
            return Err(bad("the CRM URL must not contain a fragment"));
        }
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "the CRM URL must not contain spaces or control characters",
            ));
        }
        let (authority, path) = match rest.find(['/', '\\']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.contains('\\') {
            return Err(bad("the CRM URL must not contain a backslash"));
        }
        if authority.contains('@') {
            return Err(bad(
                "the CRM URL must not embed credentials (user:password@host); pass the user name and access key separately",
            ));
        }
        let (host, port) = split_host_port(authority)
            .ok_or_else(|| bad("the CRM URL has an invalid host or port"))?;
        if host.is_empty() {
            return Err(bad("the CRM URL has no host"));
        }
        let mut url = String::with_capacity(s.len() + 16);
        url.push_str(scheme);
        url.push_str("://");
        url.push_str(&host.to_ascii_lowercase());
        if let Some(p) = port {
            url.push(':');
            url.push_str(p);
        }
        let path = path.trim_end_matches('/');
        for &b in path.as_bytes() {
            if b.is_ascii() {
                url.push(char::from(b));
            } else {
                cat_to!(&mut url; "%", crate::text::HexUpper(u64::from(b), 2));
            }
        }
        let ends_with_ws = path
            .len()
            .checked_sub("/webservice.php".len())
            .and_then(|i| path.get(i..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case("/webservice.php"));
        if !ends_with_ws {
            url.push_str("/webservice.php");
        }
        Ok(Endpoint { url })
    }

    /// The absolute URL of `webservice.php`, without a query string.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Splits `host[:port]` / `[v6][:port]`; `None` when malformed.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &authority[..end + 2];
        if !rest[..end]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            || end == 0
        {
            return None;
        }
        match &rest[end + 1..] {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        let (h, p) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if !h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return None;
        }
        (h, p)
    };
    if let Some(p) = port {
        if p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().ok()? > 65535
        {
            return None;
        }
    }
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn endpoint_normalises() {
        for (inp, want) in [
            ("https://crm.example/", "https://crm.example/webservice.php"),
            ("https://crm.example", "https://crm.example/webservice.php"),
            (
                "  HTTP://CRM.Example:8080/vtigercrm// ",
                "http://crm.example:8080/vtigercrm/webservice.php",
            ),
            (
                "https://crm.example/vtigercrm/webservice.php",
                "https://crm.example/vtigercrm/webservice.php",
            ),
            (
                "http://127.0.0.1:8082/webservice.php",
                "http://127.0.0.1:8082/webservice.php",
            ),
            (
                "http://[::1]:8080/crm",
                "http://[::1]:8080/crm/webservice.php",
            ),
        ] {
            assert_eq!(Endpoint::parse(inp).unwrap().url(), want, "{inp}");
        }
    }

    #[test]
    fn endpoint_refuses_bad_urls() {
        for bad in [
            "ftp://crm.example/",
            "crm.example",
            "https://user:pass@crm.example/",
            "https:///path",
            "https://crm.example/?a=1",
            "https://crm.example/#x",
            "https://crm.example:99999/",
            "https://crm.example:/",
            "https://cr m.example/",
            "javascript:alert(1)",
        ] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{bad}");
            assert_eq!(e.field.as_deref(), Some("url"), "{bad}");
        }
        let e = Endpoint::parse("https://admin:hunter2@crm.example/").unwrap_err();
        assert!(!format!("{e} {e:?}").contains("hunter2"));
    }
}
