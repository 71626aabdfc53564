//! HTTP as plain data: what the core asks the host to send, and what the host hands back.

use crate::prelude::*;
use core::fmt;

/// HTTP method of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET: parameters only in the query string.
    Get,
    /// POST: parameters only in the body.
    Post,
    /// PUT (Perfex REST updates).
    Put,
    /// DELETE (Perfex WON deletes).
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl Piece for Method {
    fn push_to(&self, out: &mut String) {
        out.push_str(self.as_str());
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request the host must send, exactly as built.
///
/// `Debug` redacts secrets in the URL and hides the body and secret headers; use
/// [`HttpRequest::redacted_url`] whenever a URL is reported.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL, including the query string.
    pub url: String,
    /// Header name/value pairs, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (form-encoded or JSON text), if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// The URL with every secret query parameter's value replaced by `[redacted]`.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
    /// The body as UTF-8 text (lossy), or "" when there is none.
    pub fn body_text(&self) -> alloc::borrow::Cow<'_, str> {
        match &self.body {
            Some(b) => String::from_utf8_lossy(b),
            None => alloc::borrow::Cow::Borrowed(""),
        }
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = redacted_pairs(&self.headers);
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &headers)
            .field("body_len", &self.body.as_ref().map(|b| b.len()))
            .finish()
    }
}

/// A response as the host received it.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header name/value pairs.
    pub headers: Vec<(String, String)>,
    /// Raw body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Builds a response with no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Parameter and header names whose values are secrets.
const SECRET_NAMES: &[&str] = &[
    "sessionname",
    "phpsessid",
    "accesskey",
    "authtoken",
    "token",
    "x-api-token",
    "authorization",
    "key",
    "cookie",
];

/// Name/value pairs for `Debug` output, with the value of every secret-named pair replaced by
/// `[redacted]`.
pub fn redacted_pairs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| {
            if is_secret_name(k) {
                (k.as_str(), crate::secret::REDACTED)
            } else {
                (k.as_str(), v.as_str())
            }
        })
        .collect()
}

/// True when a query parameter or header with this name carries a secret.
pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Replaces the value of every secret query parameter (`sessionName`, `accessKey`, …) with
/// `[redacted]`. Everything else in the URL is kept as it was.
pub fn redact_url(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_owned();
    };
    let (base, query) = url.split_at(q + 1);
    let (query, fragment) = match query.find('#') {
        Some(h) => query.split_at(h),
        None => (query, ""),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(base);
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((k, _)) if is_secret_name(k) => {
                out.push_str(k);
                out.push('=');
                out.push_str(crate::secret::REDACTED);
            }
            _ => out.push_str(pair),
        }
    }
    out.push_str(fragment);
    out
}

/// Redirect statuses (the `Location` names the target).
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Most same-origin GET redirects followed for one request.
pub const MAX_REDIRECTS: u8 = 3;

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased, default port dropped;
/// `None` for anything else.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = split_scheme(url)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') || url.chars().any(char::is_control) {
        return None;
    }
    let mut host = authority.to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    if host.ends_with(default) {
        host.truncate(host.len() - default.len());
    }
    Some(cat!(scheme, "://", host))
}

fn split_scheme(url: &str) -> Option<(&'static str, &str)> {
    for scheme in ["https", "http"] {
        if url.len() > scheme.len() + 3
            && url[..scheme.len()].eq_ignore_ascii_case(scheme)
            && &url[scheme.len()..scheme.len() + 3] == "://"
        {
            return Some((scheme, &url[scheme.len() + 3..]));
        }
    }
    None
}

/// What the client does with a redirect answer to `req`: `Ok(url)` to follow it (a GET to
/// the same origin, no https → http, fewer than [`MAX_REDIRECTS`] hops so far), or the
/// REDIRECT error naming the target (secrets masked) for anything else: another origin
/// (never send a `sessionName`, a login digest or a token there), a downgrade, a method other
/// than GET (a 301/302/303 would turn a POST into a GET; a 307/308 would send the body again),
/// a missing `Location`, or a redirect the runtime hides (status 0: a browser's
/// `opaqueredirect`). `location` is the absolute URL the `Location` header names, resolved
/// by the host against the request URL (WHATWG URL parsing); a relative value is refused.
pub fn follow_redirect(
    req: &HttpRequest,
    status: u16,
    location: Option<&str>,
    hops: u8,
) -> crate::Result<String> {
    let from = origin(&req.url).unwrap_or_default();
    let loc = location.map(str::trim).filter(|l| !l.is_empty());
    let to = loc.and_then(origin);
    let why = match (loc, &to) {
        _ if status == 0 => "the runtime hides its target",
        (None, _) => "no Location",
        (Some(_), None) => "not an absolute http(s) URL",
        _ if req.method != Method::Get => "it is not a GET",
        (_, Some(to)) if from.starts_with("https:") && to.starts_with("http:") => "https to http",
        (_, Some(to)) if *to != from => "another origin",
        _ if hops >= MAX_REDIRECTS => "more than 3 redirects",
        (Some(loc), _) => return Ok(loc.to_owned()),
    };
    let target = match loc {
        Some(l) if status != 0 => shown_url(l),
        _ => from,
    };
    Err(crate::error::Error::new(
        crate::error::ErrorCode::Redirect,
        cat!(
            "HTTP ",
            status,
            " redirect to ",
            target,
            " not followed (",
            why,
            "): use the final URL as the CRM URL"
        ),
    )
    .with_status(status))
}

/// A URL for a message: secrets masked, at most 200 characters.
fn shown_url(url: &str) -> String {
    let masked = crate::error::mask_secrets(&redact_url(url));
    let mut out: String = masked.chars().take(200).collect();
    if masked.chars().nth(200).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_session_name_and_keeps_the_rest() {
        let u = "https://crm.example/webservice.php?operation=retrieve&sessionName=abc123&id=12x5";
        assert_eq!(
            redact_url(u),
            "https://crm.example/webservice.php?operation=retrieve&sessionName=[redacted]&id=12x5"
        );
        assert_eq!(redact_url("https://x/y"), "https://x/y");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let r = HttpRequest {
            method: Method::Get,
            url: "http://h/webservice.php?operation=query&sessionName=s3cr3t".into(),
            headers: vec![("authtoken".into(), "tok-9".into())],
            body: Some(b"accessKey=k3y".to_vec()),
        };
        let d = format!("{r:?}");
        assert!(
            !d.contains("s3cr3t") && !d.contains("tok-9") && !d.contains("k3y"),
            "{d}"
        );
    }

    fn get(url: &str) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin("HTTP://Crm.Test:80/x?y").as_deref(),
            Some("http://crm.test")
        );
        assert_eq!(
            origin("https://crm.test:443").as_deref(),
            Some("https://crm.test")
        );
        assert_eq!(
            origin("https://crm.test:8443/").as_deref(),
            Some("https://crm.test:8443")
        );
        for bad in [
            "/relative",
            "ftp://x/",
            "http://",
            "http://u:p@h/",
            "http://h\n/",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn redirect_policy() {
        let r = get("https://crm.test/webservice.php?operation=query&sessionName=s");
        assert_eq!(
            follow_redirect(&r, 302, Some("https://CRM.test:443/b"), 0).unwrap(),
            "https://CRM.test:443/b"
        );
        let refused = |req: &HttpRequest, status, loc: Option<&str>, hops| {
            let e = follow_redirect(req, status, loc, hops).unwrap_err();
            assert_eq!(e.code, crate::error::ErrorCode::Redirect);
            assert_eq!(e.status, Some(status));
            e.message
        };
        assert!(refused(&r, 302, Some("https://crm.test/b"), 3).contains("more than 3"));
        assert!(refused(&r, 301, Some("http://crm.test/b"), 0).contains("https to http"));
        let m = refused(&r, 307, Some("https://evil.test/w?sessionName=s3cr3t"), 0);
        assert!(
            m.contains("https://evil.test/w") && m.contains("another origin"),
            "{m}"
        );
        assert!(!m.contains("s3cr3t"), "{m}");
        assert!(refused(&r, 302, None, 0).contains("no Location"));
        assert!(refused(&r, 302, Some("b"), 0).contains("not an absolute"));
        assert!(refused(&r, 0, None, 0).contains("hides"));
        let post = HttpRequest {
            method: Method::Post,
            ..get("https://crm.test/webservice.php")
        };
        assert!(
            refused(&post, 307, Some("https://crm.test/webservice.php"), 0).contains("not a GET")
        );
    }
}
