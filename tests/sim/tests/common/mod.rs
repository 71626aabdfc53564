#![allow(dead_code)]
//! Shared helpers for the simulator tests: a client with login, and an order-preserving JSON reader.

use crmwire_sim::{Config, Profile};
use std::net::SocketAddr;

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub session: String,
    pub key: String,
}

pub fn md5_hex(s: &str) -> String {
    crmwire_sim::ops::md5_hex(s)
}

pub async fn start(profile: Profile, f: impl FnOnce(&mut Config)) -> (SocketAddr, Client) {
    let mut cfg = Config {
        profile,
        ..Config::default()
    };
    f(&mut cfg);
    let key = cfg.access_key.clone();
    let (addr, _app) = crmwire_sim::start(cfg).await;
    let c = Client {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        session: String::new(),
        key,
    };
    (addr, c)
}

pub struct Resp {
    pub status: u16,
    pub ctype: String,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

impl Client {
    pub fn ws(&self) -> String {
        format!("{}/webservice.php", self.base)
    }
    pub async fn get(&self, q: &[(&str, &str)]) -> Resp {
        let r = self.http.get(self.ws()).query(q).send().await.unwrap();
        to_resp(r).await
    }
    pub async fn post(&self, f: &[(&str, &str)]) -> Resp {
        let r = self.http.post(self.ws()).form(f).send().await.unwrap();
        to_resp(r).await
    }
    pub async fn login(&mut self) -> serde_json::Value {
        let c = self
            .get(&[("operation", "getchallenge"), ("username", "admin")])
            .await
            .json();
        let token = c["result"]["token"].as_str().unwrap().to_string();
        let key = md5_hex(&format!("{token}{}", self.key));
        let l = self
            .post(&[
                ("operation", "login"),
                ("username", "admin"),
                ("accessKey", &key),
            ])
            .await
            .json();
        assert_eq!(l["success"], true, "{l}");
        self.session = l["result"]["sessionName"].as_str().unwrap().to_string();
        l
    }
    pub async fn query(&self, q: &str) -> serde_json::Value {
        self.get(&[
            ("operation", "query"),
            ("sessionName", &self.session),
            ("query", q),
        ])
        .await
        .json()
    }
    pub async fn create(&self, module: &str, el: serde_json::Value) -> serde_json::Value {
        self.post(&[
            ("operation", "create"),
            ("sessionName", &self.session),
            ("elementType", module),
            ("element", &el.to_string()),
        ])
        .await
        .json()
    }
    pub async fn stats(&self) -> serde_json::Value {
        let r = self
            .http
            .get(format!("{}/__sim/stats", self.base))
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }
}

pub async fn to_resp(r: reqwest::Response) -> Resp {
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = r.text().await.unwrap();
    Resp {
        status,
        ctype,
        body,
    }
}

/// Order-preserving JSON value (serde_json's map is sorted here).
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

pub fn parse_ordered(s: &str) -> Option<J> {
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    // Re-read keys in textual order by scanning with serde_json's streaming deserializer is not
    // possible without preserve_order; instead walk the text.
    let mut p = OrderedParser {
        b: s.as_bytes(),
        i: 0,
    };
    let j = p.value()?;
    let _ = v;
    Some(j)
}

struct OrderedParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl OrderedParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    let raw = std::str::from_utf8(&self.b[start..self.i]).ok()?;
                    return serde_json::from_str(raw).ok();
                }
                _ => self.i += 1,
            }
        }
        None
    }
    fn value(&mut self) -> Option<J> {
        self.ws();
        let c = *self.b.get(self.i)?;
        match c {
            b'{' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    self.ws();
                    if self.b[self.i] == b'}' {
                        self.i += 1;
                        return Some(J::Obj(out));
                    }
                    let k = self.string()?;
                    self.ws();
                    self.i += 1; // :
                    let v = self.value()?;
                    out.push((k, v));
                    self.ws();
                    if self.b[self.i] == b',' {
                        self.i += 1;
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    self.ws();
                    if self.b[self.i] == b']' {
                        self.i += 1;
                        return Some(J::Arr(out));
                    }
                    out.push(self.value()?);
                    self.ws();
                    if self.b[self.i] == b',' {
                        self.i += 1;
                    }
                }
            }
            b'"' => self.string().map(J::Str),
            b't' => {
                self.i += 4;
                Some(J::Bool(true))
            }
            b'f' => {
                self.i += 5;
                Some(J::Bool(false))
            }
            b'n' => {
                self.i += 4;
                Some(J::Null)
            }
            _ => {
                let st = self.i;
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                Some(J::Num(
                    String::from_utf8_lossy(&self.b[st..self.i]).to_string(),
                ))
            }
        }
    }
}

/// A raw HTTP/1.1 POST of `len` body bytes produced by `chunk` (called with the offset, it fills
/// the buffer), sent with a Content-Length or, when `chunked`, as chunks: nothing is held in
/// memory but one buffer. Returns the status and the body of the answer (the connection may be
/// closed by the server while the client still sends: the answer is read anyway).
pub async fn raw_post(
    addr: SocketAddr,
    ctype: &str,
    len: usize,
    chunked: bool,
    mut chunk: impl FnMut(usize, &mut [u8]),
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {len}")
    };
    let head = format!(
        "POST /webservice.php HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    let (mut rd, mut wr) = s.split();
    let send = async {
        wr.write_all(head.as_bytes()).await?;
        let mut buf = vec![0u8; 64 << 10];
        let mut off = 0;
        while off < len {
            let n = buf.len().min(len - off);
            chunk(off, &mut buf[..n]);
            if chunked {
                wr.write_all(format!("{n:x}\r\n").as_bytes()).await?;
            }
            wr.write_all(&buf[..n]).await?;
            if chunked {
                wr.write_all(b"\r\n").await?;
            }
            off += n;
        }
        if chunked {
            wr.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(())
    };
    let recv = async {
        let mut out = Vec::new();
        let _ = rd.read_to_end(&mut out).await;
        out
    };
    let (_, out) = tokio::join!(send, recv);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
