//! The upstream of the edge proxy (`crmwire/proxy`), sans-IO: the request [`Gate`] in front
//! of one session [`Driver`].
//!
//! The proxy lends one CRM session to callers it does not trust. [`Upstream`] is everything
//! it does past the HTTP edge (caller authentication, CORS, rate limits and body limits stay
//! in pkg/proxy.js):
//!
//! * [`Upstream::check`] reads a caller's request with the gate. A refusal is an [`Error`]
//!   whose `status` is the HTTP status to answer (400, 403). When the gate first needs to
//!   know some modules, the host describes each ([`Upstream::learn`], single-flight per module
//!   on the host's side) and checks again. Otherwise the rebuilt call starts as a forward
//!   exchange of the driver ([`Driver::start_forward`]).
//! * The driver runs it on the **one shared session**: lazy login, one login for every
//!   caller waiting (single flight), the login race retried with a jittered back-off, a
//!   refused session renewed once and the call repeated, redirects refused (a different
//!   origin, a method change) and every request built by the core. The host drives the
//!   exchange like any other (pkg/transport.js `Drive`): [`Upstream::handle`],
//!   [`Upstream::fail`], [`Upstream::resume`], [`Upstream::close`].
//! * Its answer is read by the gate ([`Gate::answer`]: tolerant decoding, describe learning,
//!   the listtypes filter, wsapp keys sealed) and **masked**: the access key and every session
//!   name this upstream held (the last [`MAX_SESSIONS`]) never leave in a body. The exchange
//!   ends with [`Value::Nothing`] (pass the response on as received) or [`Value::Text`] (pass
//!   this body on instead, `application/json`), with the upstream's status either way.
//! * An upstream failure becomes the proxy's answer ([`Upstream::failure`]): 504
//!   `UPSTREAM_TIMEOUT`, 502 `UPSTREAM_UNAVAILABLE`, 502 `UPSTREAM_LOGIN_FAILED`, 502
//!   `REDIRECT`, 502 `RESPONSE_TOO_LARGE`; none names the CRM's address.
//!
//! Time is an input: the clock of the latest [`Upstream::check`] or [`Upstream::learn`].

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::driver::{Config, Driver, ExchangeId};
use super::gate::{http_status, Answer, Gate, Verdict};
use super::ops::{self, Endpoint};
use crate::error::{Error, ErrorCode, Result};
use crate::http::HttpResponse;
use crate::secret::{Secret, REDACTED};
use crate::step::{RetryPolicy, Step, Value};
use alloc::borrow::Cow;

/// Session names remembered for masking (a re-login does not unmask the previous one).
pub const MAX_SESSIONS: usize = 16;

/// A forward exchange in flight.
#[derive(Debug)]
struct Pending {
    id: ExchangeId,
    op: String,
    module: String,
    caller: String,
}

/// A request the gate let through, now running upstream.
#[derive(Debug)]
pub struct Started {
    /// The exchange to drive.
    pub id: ExchangeId,
    /// Its first step.
    pub step: Result<Step>,
    /// The operation as forwarded (for the log, and the multipart host: the file parts go
    /// with this operation's request only).
    pub op: String,
    /// The module the request touches, for the log (see [`super::gate::Forward::module`]).
    pub module: String,
    /// The multipart file parts to pass on, by name.
    pub files: Vec<String>,
}

/// What [`Upstream::check`] decided.
#[derive(Debug)]
pub enum Start {
    /// The request runs upstream.
    Forward(Box<Started>),
    /// Describe these modules first ([`Upstream::learn`]), then check again.
    Learn(Vec<String>),
}

/// The proxy's upstream (see the module docs).
#[derive(Debug)]
pub struct Upstream {
    gate: Gate,
    driver: Driver,
    pending: Vec<Pending>,
    /// The access key, then every session name held (oldest first).
    secrets: Vec<Secret>,
    seen_gen: u64,
    logins: u64,
    now_ms: u64,
}

impl Upstream {
    /// An upstream for `endpoint`, logging in as `username` with `access_key`; `gate` holds
    /// the allowlists. Its wsapp keys are sealed with a secret derived from the access key,
    /// the user and the endpoint (every instance of one proxy agrees). `seed`: the host's
    /// random number for the login back-off's jitter. GET-type requests are not retried
    /// (the caller decides; a client in proxy mode retries gateway statuses itself).
    pub fn new(
        endpoint: Endpoint,
        username: &str,
        access_key: &str,
        gate: Gate,
        seed: u64,
    ) -> Result<Upstream> {
        let seal = Secret::new([access_key, "\n", username, "\n", endpoint.url()].concat());
        let mut cfg = Config::login(endpoint, username, access_key)?;
        cfg.retry = RetryPolicy {
            retries: 0,
            base_ms: 0,
        };
        cfg.seed = seed;
        let secrets = vec![Secret::new(access_key)];
        Ok(Upstream {
            gate: gate.seal_with(seal),
            driver: Driver::new(cfg),
            pending: Vec::new(),
            secrets,
            seen_gen: 0,
            logins: 0,
            now_ms: 0,
        })
    }

    /// Upstream logins so far.
    pub fn logins(&self) -> u64 {
        self.logins
    }

    /// Id prefixes the gate learned so far.
    pub fn known_prefixes(&self) -> usize {
        self.gate.known_prefixes()
    }

    /// True once after a login settled: the host resumes every exchange that got
    /// [`Step::Wait`] (see [`Driver::take_wake`]).
    pub fn take_wake(&mut self) -> bool {
        self.driver.take_wake()
    }

    /// Checks a caller's request (every parameter of the query string and the body in order,
    /// the names of the multipart file parts) for caller `caller`; when it passes, starts it.
    /// `Err`: the refusal, its `status` the HTTP status to answer.
    pub fn check(
        &mut self,
        caller: &str,
        pairs: &[(String, String)],
        files: &[String],
        now_ms: u64,
    ) -> Result<Start> {
        self.now_ms = now_ms;
        match self.gate.check(caller, pairs, files, now_ms) {
            Err(e) => {
                let status = http_status(&e);
                Err(e.with_status(status))
            }
            Ok(Verdict::Learn(list)) => {
                Ok(Start::Learn(list.into_iter().map(|l| l.module).collect()))
            }
            Ok(Verdict::Forward(f)) => {
                let op = f.call.operation.clone();
                let r = self.driver.start_forward(f.call);
                let (id, step) = match r {
                    Ok((id, step)) => (id, Ok(step)),
                    Err(e) => (0, Err(self.failure(e))),
                };
                if step.is_ok() {
                    self.track(id, &op, &f.module, caller);
                }
                Ok(Start::Forward(Box::new(Started {
                    id,
                    step,
                    op,
                    module: f.module,
                    files: f.files,
                })))
            }
        }
    }

    /// Starts the describe of a module the gate asked for ([`Start::Learn`]); its answer
    /// teaches the gate. The exchange's value is of no use to the host.
    pub fn learn(&mut self, module: &str, now_ms: u64) -> Result<(ExchangeId, Step)> {
        self.now_ms = now_ms;
        let call = ops::describe(module).map_err(|e| e.with_status(400))?;
        match self.driver.start_forward(call) {
            Ok((id, step)) => {
                self.track(id, "describe", module, "");
                Ok((id, step))
            }
            Err(e) => Err(self.failure(e)),
        }
    }

    fn track(&mut self, id: ExchangeId, op: &str, module: &str, caller: &str) {
        self.pending.retain(|p| p.id != id);
        self.pending.push(Pending {
            id,
            op: op.to_owned(),
            module: module.to_owned(),
            caller: caller.to_owned(),
        });
        self.note_session();
    }

    /// Continues an exchange after a sleep or a wait.
    pub fn resume(&mut self, id: ExchangeId) -> Result<Step> {
        let r = self.driver.resume(id);
        self.after(id, r, None)
    }

    /// The answer to the exchange's last request (`location`: its `Location` header).
    pub fn handle(
        &mut self,
        id: ExchangeId,
        resp: &HttpResponse,
        location: Option<&str>,
    ) -> Result<Step> {
        let r = self.driver.handle(id, resp, location);
        self.after(id, r, Some(resp))
    }

    /// A transport failure of the exchange's last request: the proxy's answer for it (the
    /// driver retries nothing here: GET retries are off).
    pub fn fail(&mut self, id: ExchangeId, e: Error) -> Result<Step> {
        let r = self.driver.fail(id, e);
        self.after(id, r, None)
    }

    /// The host abandons an exchange.
    pub fn close(&mut self, id: ExchangeId) -> Option<Step> {
        self.pending.retain(|p| p.id != id);
        self.driver.close(id)
    }

    fn after(
        &mut self,
        id: ExchangeId,
        r: Result<Step>,
        resp: Option<&HttpResponse>,
    ) -> Result<Step> {
        self.note_session();
        match r {
            Ok(Step::Done(v)) => {
                let p = self
                    .pending
                    .iter()
                    .position(|p| p.id == id)
                    .map(|i| self.pending.swap_remove(i));
                match (p, resp, v) {
                    (Some(p), Some(resp), Value::Nothing) => Ok(Step::Done(self.finish(&p, resp))),
                    (_, _, v) => Ok(Step::Done(v)),
                }
            }
            Ok(step) => Ok(step),
            Err(e) => {
                self.pending.retain(|p| p.id != id);
                Err(self.failure(e))
            }
        }
    }

    /// The body to pass on for a forwarded call's answer.
    fn finish(&mut self, p: &Pending, resp: &HttpResponse) -> Value {
        match self
            .gate
            .answer(&p.caller, &p.op, &p.module, resp, self.now_ms)
        {
            Answer::Replace(text) => Value::Text(self.scrub(&text).into_owned()),
            Answer::Keep => {
                let b = &resp.body;
                if !self
                    .secrets
                    .iter()
                    .any(|s| find(b, s.expose().as_bytes()).is_some())
                {
                    return Value::Nothing;
                }
                Value::Text(self.scrub(&String::from_utf8_lossy(b)).into_owned())
            }
        }
    }

    /// Remembers a new session name for masking.
    fn note_session(&mut self) {
        let gen = self.driver.generation();
        if gen == self.seen_gen {
            return;
        }
        self.seen_gen = gen;
        if let Some(s) = self.driver.session() {
            self.logins += 1;
            if !self.secrets.contains(s) {
                if self.secrets.len() > MAX_SESSIONS {
                    self.secrets.remove(1); // the oldest session; the access key stays first
                }
                self.secrets.push(s.clone());
            }
        }
    }

    /// `text` with the access key and every session name held so far replaced by
    /// `[redacted]` (borrowed when none occurs).
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.secrets {
            if let Some(masked) = mask(&out, s.expose()) {
                out = Cow::Owned(masked);
            }
        }
        out
    }

    /// The proxy's answer for a failed upstream exchange: an error whose `status` is the HTTP
    /// status to answer, whose code and message name nothing of the CRM (its address, a
    /// redirect's target). INVALID_INPUT (a request the core would not build, e.g. a GET URL
    /// over the web servers' limit) is the caller's: 400 with the core's message.
    pub fn failure(&self, e: Error) -> Error {
        let (status, code, message) = match &e.code {
            ErrorCode::InvalidInput => (400, ErrorCode::InvalidInput, e.message.clone()),
            ErrorCode::Timeout => (
                504,
                ErrorCode::Other("UPSTREAM_TIMEOUT".to_owned()),
                "the CRM did not answer in time".to_owned(),
            ),
            ErrorCode::Redirect => (
                502,
                ErrorCode::Redirect,
                "the CRM answered with a redirect; the proxy follows none to another origin or with another method".to_owned(),
            ),
            ErrorCode::ResponseTooLarge => (
                502,
                ErrorCode::ResponseTooLarge,
                "the CRM's answer is larger than the proxy's maxResponseBytes".to_owned(),
            ),
            c if matches!(e.operation.as_deref(), Some("getchallenge" | "login"))
                && *c != ErrorCode::Transport =>
            {
                let op = e.operation.as_deref().unwrap_or("login");
                (
                    502,
                    ErrorCode::Other("UPSTREAM_LOGIN_FAILED".to_owned()),
                    [op, " failed (", c.as_str(), ")"].concat(),
                )
            }
            _ => (
                502,
                ErrorCode::Other("UPSTREAM_UNAVAILABLE".to_owned()),
                "the CRM could not be reached".to_owned(),
            ),
        };
        Error::new(code, message).with_status(status)
    }
}

/// `text` with every occurrence of `secret` replaced by [`REDACTED`]; `None` when there is
/// none. A plain byte search: it keeps the core's string searchers out of the wasm.
fn mask(text: &str, secret: &str) -> Option<String> {
    let n = secret.len();
    let mut at = find(text.as_bytes(), secret.as_bytes())?;
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    loop {
        // `secret` is whole UTF-8, so `at` and `at + n` are char boundaries.
        out.push_str(&text[copied..at]);
        out.push_str(REDACTED);
        copied = at + n;
        match find(&text.as_bytes()[copied..], secret.as_bytes()) {
            Some(i) => at = copied + i,
            None => break,
        }
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// The first position of `needle` (non-empty) in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    loop {
        let at = from + hay.get(from..)?.iter().position(|&b| b == first)?;
        if hay.get(at..at + needle.len())? == needle {
            return Some(at);
        }
        from = at + 1;
    }
}
