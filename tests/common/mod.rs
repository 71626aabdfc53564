//! Fixture loader for the recorded Vtiger exchanges in `tests/fixtures/vtiger/<server>/`.
//!
//! Files are read with crmwire's own JSON parser, because it keeps key order (the recorded
//! query/form parameters are in the order they were sent).
#![allow(dead_code)]

pub mod fake;
pub mod zend;
use crmwire::json::{self, Json};
use crmwire::{HttpResponse, Method};
use std::path::PathBuf;

/// Servers with recorded exchanges.
pub const SERVERS: &[&str] = &["vtiger-8.4.0", "vtiger-8.3.0", "vtiger-8.3.0-patched"];

/// One recorded exchange.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub server: String,
    pub file: String,
    pub name: String,
    pub description: String,
    pub method: Method,
    /// Decoded query parameters, in the order sent.
    pub query: Vec<(String, String)>,
    /// Decoded form parameters, in the order sent (`None`: no body).
    pub form: Option<Vec<(String, String)>>,
    pub content_type: Option<String>,
    pub status: u16,
    pub response_content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Fixture {
    /// The response as the host would hand it to the core.
    pub fn response(&self) -> HttpResponse {
        let mut r = HttpResponse::new(self.status, self.body.clone());
        if let Some(ct) = &self.response_content_type {
            r.headers.push(("Content-Type".into(), ct.clone()));
        }
        r
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The operation parameter, from the query or the form.
    pub fn operation(&self) -> Option<&str> {
        self.param("operation")
    }

    /// A parameter from wherever the request carried it (query first).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(self.form.iter().flatten())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The parameters actually carried by the request (the form for POST, the query for GET).
    pub fn sent_params(&self) -> &[(String, String)] {
        match self.method {
            Method::Post => self.form.as_deref().unwrap_or(&[]),
            _ => &self.query,
        }
    }

    /// The parsed response body, when it is strict JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

pub fn fixtures_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vtiger")
}

fn pairs(v: Option<&Json>) -> Option<Vec<(String, String)>> {
    let m = v?.as_object()?;
    Some(
        m.iter()
            .map(|(k, v)| {
                let val = match v {
                    Json::Str(s) => s.clone(),
                    other => other.to_json(),
                };
                (k.clone(), val)
            })
            .collect(),
    )
}

fn parse_file(path: &std::path::Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let d = json::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let req = d.get("request").expect("request");
    let resp = d.get("response").expect("response");
    let s = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
    let method = match s(req, "method").as_deref() {
        Some("GET") => Method::Get,
        Some("POST") => Method::Post,
        m => panic!("{}: method {m:?}", path.display()),
    };
    let body = match (resp.get("body"), resp.get("body_base64")) {
        (Some(Json::Str(b)), _) => b.clone().into_bytes(),
        (_, Some(Json::Str(b))) => base64_decode(b),
        _ => Vec::new(),
    };
    Fixture {
        server: s(&d, "server").unwrap_or_default(),
        file: path.file_name().unwrap().to_string_lossy().into_owned(),
        name: s(&d, "name").unwrap_or_default(),
        description: s(&d, "description").unwrap_or_default(),
        method,
        query: pairs(req.get("query")).unwrap_or_default(),
        form: pairs(req.get("form")),
        content_type: s(req, "content_type"),
        status: resp.get("status").and_then(Json::as_i64).expect("status") as u16,
        response_content_type: s(resp, "content_type"),
        body,
    }
}

/// Every fixture of a server, in file order.
pub fn all(server: &str) -> Vec<Fixture> {
    let dir = fixtures_root().join(server);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files.iter().map(|p| parse_file(p)).collect()
}

/// Every fixture of every server.
pub fn everything() -> Vec<Fixture> {
    SERVERS.iter().flat_map(|s| all(s)).collect()
}

/// The fixture of `server` whose file name starts with `prefix` (e.g. `"272"` or
/// `"272-create-control-char"`).
pub fn load(server: &str, prefix: &str) -> Fixture {
    let dir = fixtures_root().join(server);
    let mut hits: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    assert_eq!(hits.len(), 1, "fixture {server}/{prefix}*: {hits:?}");
    parse_file(&hits.remove(0))
}

/// The recorded endpoint of each server.
pub fn endpoint_url(server: &str) -> &'static str {
    match server {
        "vtiger-8.4.0" => "http://127.0.0.1:8082/webservice.php",
        "vtiger-8.3.0" => "http://127.0.0.1:8080/webservice.php",
        _ => "http://127.0.0.1:8081/webservice.php",
    }
}

/// crmwire Json → serde_json Value (for comparisons with a strict reference parser).
pub fn to_serde(v: &Json) -> serde_json::Value {
    match v {
        Json::Null => serde_json::Value::Null,
        Json::Bool(b) => serde_json::Value::Bool(*b),
        Json::Num(n) => serde_json::from_str(n).expect("number"),
        Json::Str(s) => serde_json::Value::String(s.clone()),
        Json::Arr(a) => serde_json::Value::Array(a.iter().map(to_serde).collect()),
        Json::Obj(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect())
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_decoder_works() {
    assert_eq!(
        base64_decode("SGVsbG8gZml4dHVyZSBmaWxlCnNlY29uZCBsaW5lIMOpCg=="),
        "Hello fixture file\nsecond line é\n".as_bytes()
    );
}

/// MySQL's LIKE (escape `\`, case-insensitive as the default collation): the reference matcher
/// of the literal and related-records tests.
pub fn mysql_like(value: &str, pattern: &str) -> bool {
    enum P {
        Lit(char),
        One,
        Any,
    }
    let mut ps = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        ps.push(match c {
            '\\' => P::Lit(it.next().unwrap_or('\\')),
            '%' => P::Any,
            '_' => P::One,
            c => P::Lit(c),
        });
    }
    fn go(v: &[char], p: &[P]) -> bool {
        match p.first() {
            None => v.is_empty(),
            Some(P::Any) => (0..=v.len()).any(|i| go(&v[i..], &p[1..])),
            Some(P::One) => !v.is_empty() && go(&v[1..], &p[1..]),
            Some(P::Lit(c)) => {
                v.first()
                    .is_some_and(|x| x.to_lowercase().eq(c.to_lowercase()))
                    && go(&v[1..], &p[1..])
            }
        }
    }
    let v: Vec<char> = value.chars().collect();
    go(&v, &ps)
}
