//! A pool of Vtiger sessions: up to N [`Driver`]s on one endpoint with one user, behind the
//! same exchange interface as one driver.
//!
//! Real Vtiger serialises the requests of one session (PHP holds the session file's lock for
//! the whole request, live findings H): on one session, parallel calls gain nothing and a fast
//! call waits behind a slow one. Real parallelism needs several sessions. The pool decides:
//!
//! * **How many sessions exist.** Slot 0 exists from the start; a new slot (a new session,
//!   logged in lazily by its first exchange) is opened only when every open slot is busy and
//!   fewer than [`Pool::max_sessions`] are open. With one session the pool is exactly one
//!   driver: same requests, same order.
//! * **Which session an exchange goes to**: the open slot with the fewest exchanges in
//!   progress (the lowest slot on a tie). An exchange stays on its slot for its whole life
//!   (its pages, its re-login and repeat). [`Pool::start_on`] pins an exchange to a slot:
//!   `sync` runs on slot 0, whose driver remembers which sync strategy this server answers,
//!   and so do `login()` and `extendSession()`.
//! * **One login at a time** (live findings G: Vtiger keeps one challenge token per user, so
//!   two logins of the same user at once make each other fail). While one slot runs a login
//!   (its `getchallenge` + `login` pairs, back-offs included), the `getchallenge` another slot
//!   asks for is held: the host gets [`Step::Wait`] and, once the running login settled (the
//!   wake flag, [`Pool::take_wake`]), resumes the exchange and gets the held request.
//! * **A session that expires is renewed alone**: each slot's driver handles its own expiry
//!   (one re-login, one repeat); exchanges on the other slots keep their sessions and go on.
//! * **Module metadata is shared**: a describe one slot learned is handed to the others (and to
//!   a slot opened later), so the field check describes a module once per pool.
//!
//! Exchange ids are the driver's id with the slot in the high bits ([`SLOT_SHIFT`]).

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::driver::{server_info_text, Config, Driver, ExchangeId};
use super::ops::FourBytePolicy;
use crate::error::{Error, Result};
use crate::http::HttpResponse;
use crate::step::{unknown_exchange, Step};

/// Largest number of sessions a pool may hold.
pub const MAX_SESSIONS: usize = 64;
/// Bits of an exchange id that are the driver's own id; the slot is above them.
pub const SLOT_SHIFT: u32 = 24;
const LOCAL_MASK: u32 = (1 << SLOT_SHIFT) - 1;

/// A pool of sessions (see the module docs).
#[derive(Debug)]
pub struct Pool {
    cfg: Config,
    max: usize,
    slots: Vec<Driver>,
    /// The slot whose login is running (the only slot allowed to send `getchallenge`).
    login_slot: Option<usize>,
    /// Exchanges whose `getchallenge` waits for another slot's login: (pool id, request).
    held: Vec<(ExchangeId, Step)>,
    /// Exchanges waiting for a login (in any slot) must be resumed.
    wake: bool,
    /// Describes each slot had when its metadata was last shared.
    described: Vec<usize>,
}

impl Pool {
    /// A pool of at most `sessions` sessions (1 to [`MAX_SESSIONS`]); INVALID_INPUT (field
    /// `sessions`) otherwise, and for more than one session in proxy mode (the proxy owns the
    /// session).
    pub fn new(cfg: Config, sessions: usize) -> Result<Pool> {
        if !(1..=MAX_SESSIONS).contains(&sessions) {
            return Err(Error::invalid_input(
                "sessions",
                cat!("sessions must be an integer from 1 to ", MAX_SESSIONS),
            ));
        }
        let first = Driver::new(cfg.clone());
        if first.is_proxy() && sessions > 1 {
            return Err(Error::invalid_input(
                "sessions",
                "in proxy mode the proxy owns the session: sessions must be 1",
            ));
        }
        Ok(Pool {
            cfg,
            max: sessions,
            slots: vec![first],
            login_slot: None,
            held: Vec::new(),
            wake: false,
            described: vec![0],
        })
    }

    // ---- state the host may read ----------------------------------------------------

    /// The most sessions this pool opens.
    pub fn max_sessions(&self) -> usize {
        self.max
    }
    /// Slots opened so far (1 at first; each holds a session once its first exchange logged in).
    pub fn open_slots(&self) -> usize {
        self.slots.len()
    }
    /// Exchanges in progress on each open slot.
    pub fn loads(&self) -> Vec<usize> {
        self.slots.iter().map(Driver::in_flight).collect()
    }
    /// The driver of a slot (read-only).
    pub fn slot(&self, slot: usize) -> Option<&Driver> {
        self.slots.get(slot)
    }
    /// The slot of a pool exchange id.
    pub fn slot_of(id: ExchangeId) -> usize {
        (id >> SLOT_SHIFT) as usize
    }
    /// The slot whose login is running.
    pub fn logging_in(&self) -> Option<usize> {
        self.login_slot
    }
    /// The element policy for 4-byte characters.
    pub fn four_byte(&self) -> FourBytePolicy {
        self.cfg.four_byte
    }
    /// True once after a login (in any slot) settled, or another wake-up of a driver: the host
    /// resumes every exchange that got [`Step::Wait`].
    pub fn take_wake(&mut self) -> bool {
        for d in &mut self.slots {
            self.wake |= d.take_wake();
        }
        core::mem::take(&mut self.wake)
    }

    /// The server information (see [`Driver::server_info_json`]): the login information of the
    /// first slot that logged in, and the optional operations as any slot learned them (an
    /// operation one slot saw answered counts as answered).
    pub fn server_info_json(&self) -> String {
        server_info_text(
            self.slots.iter().find_map(Driver::login_info),
            self.slots[0].endpoint(),
            &|op| {
                let mut seen = None;
                for d in &self.slots {
                    match d.answered(op) {
                        Some(true) => return Some(true),
                        Some(false) => seen = Some(false),
                        None => {}
                    }
                }
                seen
            },
        )
    }

    // ---- starting exchanges -----------------------------------------------------------

    /// The slot a new exchange goes to: the least busy open slot, or a new slot when every
    /// open slot is busy and the pool may grow.
    pub fn pick(&mut self) -> usize {
        let (best, load) = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, d)| (i, d.in_flight()))
            .min_by_key(|&(i, n)| (n, i))
            .unwrap_or((0, 0));
        if load > 0 && self.slots.len() < self.max {
            let mut cfg = self.cfg.clone();
            // Each session's login back-off has its own jitter.
            cfg.seed = cfg
                .seed
                .wrapping_add((self.slots.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut d = Driver::new(cfg);
            for other in &self.slots {
                d.adopt_meta(other);
            }
            self.described.push(d.described_count());
            self.slots.push(d);
            return self.slots.len() - 1;
        }
        best
    }

    /// Starts an exchange on the least busy session ([`Pool::pick`]): `f` is any of the
    /// driver's `start_*` methods.
    pub fn start(
        &mut self,
        f: impl FnOnce(&mut Driver) -> Result<(ExchangeId, Step)>,
    ) -> Result<(ExchangeId, Step)> {
        let slot = self.pick();
        self.start_on(slot, f)
    }

    /// Starts an exchange on a given open slot (slot 0 always exists).
    pub fn start_on(
        &mut self,
        slot: usize,
        f: impl FnOnce(&mut Driver) -> Result<(ExchangeId, Step)>,
    ) -> Result<(ExchangeId, Step)> {
        let r = f(self.driver_mut(slot));
        self.started(slot, r)
    }

    /// The driver of an open slot (slot 0 always exists; else slot 0), to start an exchange on
    /// it; hand what its `start_*` method returned to [`Pool::started`]. (The non-generic
    /// form of [`Pool::start_on`]: one copy of the code in the wasm module.)
    pub fn driver_mut(&mut self, slot: usize) -> &mut Driver {
        let slot = if slot < self.slots.len() { slot } else { 0 };
        &mut self.slots[slot]
    }

    /// What a slot's `start_*` method returned, as a pool exchange.
    pub fn started(
        &mut self,
        slot: usize,
        r: Result<(ExchangeId, Step)>,
    ) -> Result<(ExchangeId, Step)> {
        let slot = if slot < self.slots.len() { slot } else { 0 };
        match r {
            Ok((local, step)) => {
                let id = pool_id(slot, local)?;
                let step = self.after(slot, id, Ok(step))?;
                Ok((id, step))
            }
            Err(e) => {
                self.settle_login();
                Err(e)
            }
        }
    }

    // ---- the host's inputs ------------------------------------------------------------

    /// [`Driver::resume`]; a held `getchallenge` is handed out once no other slot logs in.
    pub fn resume(&mut self, id: ExchangeId) -> Result<Step> {
        let slot = Pool::slot_of(id);
        if let Some(at) = self.held.iter().position(|(h, _)| *h == id) {
            if self.login_slot.is_some_and(|s| s != slot) {
                return Ok(Step::Wait);
            }
            let (_, step) = self.held.swap_remove(at);
            self.login_slot = Some(slot);
            return Ok(step);
        }
        let (slot, d) = self.of(id)?;
        let r = d.resume(id & LOCAL_MASK);
        self.after(slot, id, r)
    }

    /// [`Driver::handle`].
    pub fn handle(
        &mut self,
        id: ExchangeId,
        resp: &HttpResponse,
        location: Option<&str>,
    ) -> Result<Step> {
        let (slot, d) = self.of(id)?;
        let r = d.handle(id & LOCAL_MASK, resp, location);
        self.after(slot, id, r)
    }

    /// [`Driver::clean`].
    pub fn clean(&mut self, id: ExchangeId, rows: usize, last_id: Option<&str>) -> Result<Step> {
        let (slot, d) = self.of(id)?;
        let r = d.clean(id & LOCAL_MASK, rows, last_id);
        self.after(slot, id, r)
    }

    /// [`Driver::fail`].
    pub fn fail(&mut self, id: ExchangeId, error: Error) -> Result<Step> {
        let (slot, d) = self.of(id)?;
        let r = d.fail(id & LOCAL_MASK, error);
        self.after(slot, id, r)
    }

    /// [`Driver::close`] (a held `getchallenge` is dropped: its login is abandoned).
    pub fn close(&mut self, id: ExchangeId) -> Option<Step> {
        self.held.retain(|(h, _)| *h != id);
        let slot = Pool::slot_of(id);
        let d = self.slots.get_mut(slot)?;
        let step = d.close(id & LOCAL_MASK);
        self.settle_login();
        step
    }

    // ---- internals --------------------------------------------------------------------

    fn of(&mut self, id: ExchangeId) -> Result<(usize, &mut Driver)> {
        let slot = Pool::slot_of(id);
        let d = self.slots.get_mut(slot).ok_or_else(unknown_exchange)?;
        Ok((slot, d))
    }

    /// What a slot's driver answered: a `getchallenge` while another slot logs in is held
    /// (the host waits); the end of the running login wakes the waiters.
    fn after(&mut self, slot: usize, id: ExchangeId, r: Result<Step>) -> Result<Step> {
        let r = match r {
            Ok(step @ Step::Send { .. }) if is_challenge(&step) => match self.login_slot {
                Some(s) if s != slot => {
                    self.held.push((id, step));
                    Ok(Step::Wait)
                }
                _ => {
                    self.login_slot = Some(slot);
                    Ok(step)
                }
            },
            r => r,
        };
        self.settle_login();
        self.share(slot);
        r
    }

    /// Hands the module metadata a slot just learned to the other slots (one describe per
    /// module per pool).
    fn share(&mut self, slot: usize) {
        let Some(n) = self.slots.get(slot).map(Driver::described_count) else {
            return;
        };
        if self.described.get(slot) == Some(&n) {
            return;
        }
        let (before, rest) = self.slots.split_at_mut(slot);
        if let Some((src, after)) = rest.split_first_mut() {
            for d in before.iter_mut().chain(after.iter_mut()) {
                d.adopt_meta(src);
            }
        }
        self.described = self.slots.iter().map(Driver::described_count).collect();
    }

    /// Clears the running login once its slot's driver no longer logs in.
    fn settle_login(&mut self) {
        if let Some(s) = self.login_slot {
            if !self.slots[s].logging_in() {
                self.login_slot = None;
                self.wake = true;
            }
        }
        for d in &mut self.slots {
            self.wake |= d.take_wake();
        }
    }
}

fn is_challenge(step: &Step) -> bool {
    matches!(step, Step::Send { operation, .. } if operation == "getchallenge")
}

fn pool_id(slot: usize, local: ExchangeId) -> Result<ExchangeId> {
    if local > LOCAL_MASK {
        return Err(Error::new(
            crate::error::ErrorCode::InvalidInput,
            "too many exchanges in progress on one session",
        ));
    }
    Ok(((slot as u32) << SLOT_SHIFT) | local)
}
