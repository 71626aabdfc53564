//! What a driver asks its host to do next (str0m's shape), shared by the Vtiger session
//! driver ([`crate::vtiger::driver`]) and the Perfex driver ([`crate::perfex::driver`]).
//!
//! A driver never performs I/O, never reads a clock and never draws a random number: it
//! answers every input with the next [`Step`] — send this request, sleep this long, wait for
//! another exchange's login, here is a value — and the host does exactly that. The host's
//! loop (pkg/drive.js) is therefore protocol-free:
//!
//! ```text
//! let mut step = driver.start(op)?;
//! loop {
//!     match step {
//!         Step::Send { request, .. } => match host_fetch(&request) {     // timeout, abort
//!             Ok(resp) => step = driver.handle(id, resp)?,
//!             Err(e) => step = driver.fail(id, e)?,                      // Err: give up
//!         },
//!         Step::Sleep(ms) => { host_sleep(ms); step = driver.resume(id)? }
//!         Step::Wait => { wait_for_login_to_settle(); step = driver.resume(id)? }
//!         Step::Yield(v) => { deliver(v); step = driver.resume(id)? }
//!         Step::Done(v) => return v,
//!     }
//! }
//! ```
//!
//! [`Transfer`] is the HTTP part every request shares: same-origin GET redirects followed
//! (at most [`crate::http::MAX_REDIRECTS`]), every other redirect a typed REDIRECT error, and
//! GET-type requests retried with exponential back-off after a network failure or a gateway
//! status (502, 503, 504). A POST, PUT or DELETE is never sent twice.

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use crate::error::{Error, ErrorCode, Result};
use crate::http::{follow_redirect, is_redirect, HttpRequest, HttpResponse, Method};

/// How the host may read the answer to a sent request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// Hand the response to the driver ([`Step`] `handle`).
    Core,
    /// The host may parse a clean success envelope (`{"success":true,"result":…}`, strict
    /// JSON) itself and report it with `clean`; anything else goes to the driver. The
    /// driver's decoder gives the same value for such a body: this only saves a second
    /// parse of large answers.
    Clean,
    /// As [`Read::Clean`], only when the result is an array (a page of rows): the host
    /// reports the row count and the last row's `id`.
    CleanRows,
}

/// A value a [`Step::Yield`] or [`Step::Done`] carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// JSON text for the host to parse once.
    Text(String),
    /// The value the host parsed itself from the last answer ([`Read::Clean`]).
    Clean,
    /// Nothing (`undefined`).
    Nothing,
}

/// The next thing the host does for one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this request, then hand the answer (or the transport failure) back.
    Send {
        /// The operation, for errors and request hooks.
        operation: String,
        /// The request, exactly as built.
        request: HttpRequest,
        /// How the host may read the answer.
        read: Read,
        /// A file upload: the host inserts the file's bytes (which it holds; they never pass
        /// through the core) into the body at this byte offset
        /// ([`crate::vtiger::ops::multipart_request`]).
        upload: Option<usize>,
    },
    /// Sleep this many milliseconds, then resume the exchange.
    Sleep(u32),
    /// Another exchange is logging in: resume this one once that login settled.
    Wait,
    /// Deliver this value (an iterator's item), then resume the exchange.
    Yield(Value),
    /// The exchange is over; this is its result.
    Done(Value),
}

/// Retries of GET-type requests after a network failure or a gateway status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub retries: u32,
    /// First back-off in milliseconds; doubled for every retry (default 200).
    pub base_ms: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 2,
            base_ms: 200,
        }
    }
}

/// Longest sleep a driver asks for: hosts fire a timer over 2^31-1 ms at once.
pub const MAX_SLEEP_MS: u32 = 0x7fff_ffff;

impl RetryPolicy {
    /// The back-off before retry number `attempt + 1` (`base · 2^attempt`, capped).
    pub fn delay(&self, attempt: u32) -> u32 {
        let ms = u64::from(self.base_ms) << attempt.min(31);
        ms.min(u64::from(MAX_SLEEP_MS)) as u32
    }
}

/// A small deterministic pseudo-random source (xorshift64*), seeded by the host: the driver
/// draws jitter from it and never reads a random source itself.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from the host's seed (any value; 0 is replaced by a fixed constant).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }
    /// The next value, uniform in `0..1024` (a fraction in 1/1024ths: no float code).
    pub fn unit(&mut self) -> u32 {
        (self.next_u64() >> 54) as u32
    }
    /// The next 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// One request on the wire and its HTTP-level fate (redirects, gateway retries).
#[derive(Clone, Debug)]
pub struct Transfer {
    /// The operation, for errors and request hooks.
    pub operation: String,
    /// The request as it is sent now (after any followed redirect).
    pub request: HttpRequest,
    /// How the host may read the answer.
    pub read: Read,
    /// Where the host inserts a file's bytes into the body ([`Step::Send`] `upload`).
    pub upload: Option<usize>,
    attempt: u32,
    hops: u8,
}

/// What [`Transfer::check`] makes of an answer.
#[derive(Debug)]
pub enum Checked {
    /// An answer for the protocol to read.
    Answer,
    /// Not an answer: take this step (send again after a redirect, or sleep before a retry).
    Again(Step),
}

impl Transfer {
    /// A transfer of `request`.
    pub fn new(operation: impl Into<String>, request: HttpRequest, read: Read) -> Transfer {
        Transfer {
            operation: operation.into(),
            request,
            read,
            upload: None,
            attempt: 0,
            hops: 0,
        }
    }

    /// The step that sends the request (again).
    pub fn send(&self) -> Step {
        Step::Send {
            operation: self.operation.clone(),
            request: self.request.clone(),
            read: self.read,
            upload: self.upload,
        }
    }

    fn retryable(&self) -> bool {
        self.request.method == Method::Get
    }

    /// Looks at an answer before the protocol does: a redirect is followed (same origin, GET)
    /// or refused (REDIRECT, naming the target); a gateway status on a GET is retried after a
    /// back-off while retries are left. `location` is the answer's `Location` header; status
    /// 0 means a redirect the runtime hides.
    pub fn check(
        &mut self,
        resp: &HttpResponse,
        location: Option<&str>,
        retry: &RetryPolicy,
    ) -> Result<Checked> {
        if resp.status == 0 || is_redirect(resp.status) {
            let url = follow_redirect(&self.request, resp.status, location, self.hops)
                .map_err(|e| e.with_operation(self.operation.clone()))?;
            self.hops += 1;
            self.request.url = url;
            return Ok(Checked::Again(self.send()));
        }
        if matches!(resp.status, 502..=504) && self.retryable() && self.attempt < retry.retries {
            let ms = retry.delay(self.attempt);
            self.attempt += 1;
            return Ok(Checked::Again(Step::Sleep(ms)));
        }
        Ok(Checked::Answer)
    }

    /// A transport failure of the last send: `Some(ms)` to retry after that back-off (a GET
    /// after a network failure, while retries are left), `None` to give up.
    pub fn failed(&mut self, e: &Error, retry: &RetryPolicy) -> Option<u32> {
        if e.code == ErrorCode::Transport && self.retryable() && self.attempt < retry.retries {
            let ms = retry.delay(self.attempt);
            self.attempt += 1;
            return Some(ms);
        }
        None
    }
}

/// A table of exchanges addressed by small integer ids (freed ids are reused).
#[derive(Debug)]
pub struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `v`; returns its id.
    pub fn insert(&mut self, v: T) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.items[id as usize] = Some(v);
                id
            }
            None => {
                self.items.push(Some(v));
                (self.items.len() - 1) as u32
            }
        }
    }
    /// The item with this id.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.items.get_mut(id as usize).and_then(Option::as_mut)
    }
    /// The item with this id.
    pub fn get(&self, id: u32) -> Option<&T> {
        self.items.get(id as usize).and_then(Option::as_ref)
    }
    /// Removes and returns the item with this id.
    pub fn remove(&mut self, id: u32) -> Option<T> {
        let v = self.items.get_mut(id as usize)?.take();
        if v.is_some() {
            self.free.push(id);
        }
        v
    }
    /// Number of stored items.
    pub fn len(&self) -> usize {
        self.items.len() - self.free.len()
    }
    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Ids and items.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|v| (i as u32, v)))
    }
}

/// An input an exchange cannot take: an unknown or finished id, or an input that does not
/// fit its state (a host bug).
pub fn unknown_exchange() -> Error {
    Error::invalid_input(
        "exchange",
        "unknown or finished exchange, or an input it does not expect now",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_is_capped() {
        let p = RetryPolicy {
            retries: 40,
            base_ms: 200,
        };
        assert_eq!((p.delay(0), p.delay(1), p.delay(2)), (200, 400, 800));
        assert_eq!(p.delay(35), MAX_SLEEP_MS);
    }

    #[test]
    fn jitter_is_seeded_and_spread() {
        let draws = |seed| {
            let mut r = Rng::new(seed);
            (0..1000).map(|_| r.unit()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let d = draws(0);
        assert!(d.iter().all(|&u| u < 1024));
        let low = d.iter().filter(|&&u| u < 512).count();
        assert!((400..600).contains(&low), "{low}");
    }

    #[test]
    fn slab_reuses_ids_and_refuses_stale_ones() {
        let mut s = Slab::default();
        let a = s.insert("a");
        let b = s.insert("b");
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None);
        assert_eq!(s.len(), 1);
        let c = s.insert("c");
        assert_eq!(c, a, "freed ids are reused");
        assert_eq!(s.get(b), Some(&"b"));
        assert!(s.get_mut(99).is_none());
    }
}
