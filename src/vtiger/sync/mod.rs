//! Incremental sync of one module: a sans-IO state machine with transparent fallback.
//!
//! # Driving it
//!
//! ```text
//! let mut s = SyncRun::new("Contacts", since)?;        // since: Unix seconds ("1795453976") or a checkpoint
//! while let Some(call) = s.next_call() {
//!     let resp = host_send(call);                     // the host's fetch
//!     if let Some(batch) = s.handle(&resp)? {         // Err: nothing changed, retry the same call
//!         deliver(batch.updated_json, batch.deleted);  // JSON array text; deleted webservice ids
//!         persist(batch.checkpoint);                  // resume point, valid after every batch
//!     }
//! }
//! // abandon early: if let Some(c) = s.close_call() { host_send(c) }   (releases a wsapp key)
//! ```
//!
//! `handle` returns `Some(Batch)` for every response that carried records (possibly an
//! empty batch, whose checkpoint may still have moved), `None` for bookkeeping responses
//! (registration, deregistration, a fallback). An error leaves the machine unchanged, so
//! the host may log in again and resend [`SyncRun::next_call`].
//!
//! # What "since" means
//!
//! `since` = Unix seconds `S`: every record whose `modifiedtime` is `>= S` (UTC, second
//! resolution) is delivered. A checkpoint resumes exactly where a batch left off.
//!
//! # Strategies (tried in this order; [`SyncRun::strategy`] tells which one runs)
//!
//! 1. **`sync`** (the native operation). Pages with `more`/`lastModifiedTime`; sees updates
//!    **and soft deletions** of records **owned by the user** (`syncType` `user`, the stock
//!    default; `userandgroup`/`application` are honoured only by patched servers). It cannot
//!    see records owned by a group, records re-assigned away from the user (they simply
//!    stop appearing), or hard deletions (emptied recycle bin). Stock Vtiger 8.x answers
//!    HTTP 500 here (PHP 8 named-parameter bug).
//! 2. **`wsapp`** (`wsapp_register` → `wsapp_get`… → `wsapp_deregister`), used when the first
//!    `sync` call answers HTTP 500, an empty or non-JSON body, `UNKNOWN_OPERATION` or
//!    `INTERNAL_SERVER_ERROR`. Same data as `sync` (it calls the same server function, with
//!    the same ownership limits) and **sees soft deletions**, but **reference fields come
//!    back as display names** (`"modifiedby":"Admin Administrator"`), not ids;
//!    `assigned_user_id` stays an id. The registration is released with `wsapp_deregister`
//!    at the end (the machine emits it) or by [`SyncRun::close_call`].
//! 3. **`query`** (a `modifiedtime` keyset over VTQL), used when `wsapp` fails the same way
//!    (or with a `WSAPP…` error code). Sees every record the user may read (not only owned
//!    ones) with normal ids, but **never sees deletions** (detect those by diffing id sets).
//!    It pages `modifiedtime = 'T' AND id > 'last' ORDER BY id` through one second (any
//!    number of records), then `modifiedtime > 'T' ORDER BY modifiedtime LIMIT 100`, keeps
//!    only the complete seconds of that page and re-reads its last second by id, so no
//!    record is lost or repeated even when hundreds share one second. Datetimes are the
//!    DB's (`YYYY-MM-DD HH:MM:SS`, UTC on a stock install).
//!
//! A fallback happens only on a strategy's **first** call; later failures are returned as
//! errors (the state is kept, so the call can be retried).
//!
//! # Same-second race and de-duplication
//!
//! The server pages on `modifiedtime > t`, so a change committed in the same second as the
//! last delivered one, after the page was read, would be lost. The machine therefore always
//! re-reads the boundary second (`modifiedTime = lastModifiedTime - 1`, or `= 'T'` for
//! `query`) and drops records it already delivered for that second: it remembers each
//! boundary record as `id` + a 64-bit hash of the record's text, so an unchanged repeat is
//! dropped and a record changed again within that second is delivered again. When a page
//! cannot make progress with the overlap (100+ changes in the boundary second), the next
//! call starts at `lastModifiedTime` itself: `sync`/`wsapp_get` cannot page inside one
//! second, so in that case (only) a change committed in that very second after the read can
//! still be missed. The `query` strategy has no such gap (it pages a second by id). Deleted ids repeated by the overlap are dropped
//! within one run; across runs a deletion in the boundary second may be reported twice
//! (deletions are idempotent).
//!
//! # Checkpoint format
//!
//! `v1:<strategy>:<module>:<unix seconds T>:<id>.<hash>,<id>.<hash>…` — every change with
//! `modifiedtime < T` has been delivered, and of second `T` exactly the listed records (ids
//! plus 16-hex-digit FNV-1a hashes of their text). A run resumed from a checkpoint starts
//! with the strategy it names. It is validated on parse (`INVALID_INPUT`, field `since`):
//! version, strategy, module (must equal the synced module), time, and every entry.
//! It holds no secret (the wsapp key is never stored).
//!
//! `checkpoint.rs` writes and parses this format; `time.rs` converts the database's
//! datetimes to and from Unix seconds.

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use crate::error::{Error, ErrorCode, Result};
use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::secret::Secret;
use crate::set::Set;
use crate::vtiger::envelope;
use crate::vtiger::id::WsId;
use crate::vtiger::ops::{self, Call};
use crate::vtiger::paging::{scan_records, scan_records_at, string_member, RecordSpan};
use crate::vtiger::vtql;
use core::ops::Range;

mod checkpoint;
mod time;

use checkpoint::{fnv1a, Checkpoint, Entry};
pub use time::{datetime_to_unix, unix_to_datetime, MAX_TIME};

/// The `type` sent to `wsapp_register`/`wsapp_deregister`.
pub const WSAPP_TYPE: &str = "vtigerCRM";

/// Which strategy is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The native `sync` operation.
    Sync,
    /// `wsapp_register` / `wsapp_get` / `wsapp_deregister`.
    Wsapp,
    /// A `modifiedtime` keyset over `query`.
    Query,
}

impl Strategy {
    /// `sync`, `wsapp` or `query`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Sync => "sync",
            Strategy::Wsapp => "wsapp",
            Strategy::Query => "query",
        }
    }
    fn parse(s: &str) -> Option<Strategy> {
        match s {
            "sync" => Some(Strategy::Sync),
            "wsapp" => Some(Strategy::Wsapp),
            "query" => Some(Strategy::Query),
            _ => None,
        }
    }
}

/// One delivery of changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The changed records as a JSON array text (`JSON.parse`-safe), in server order.
    pub updated_json: String,
    /// Number of records in `updated_json`.
    pub updated_count: usize,
    /// Webservice ids of soft-deleted records (never filled by the `query` strategy).
    pub deleted: Vec<String>,
    /// Resume point after this batch (see the module docs).
    pub checkpoint: String,
    /// Strategy that produced the batch: `sync`, `wsapp` or `query`.
    pub strategy: &'static str,
}

#[derive(Clone, Debug)]
enum Phase {
    /// Native `sync`; `first` until a call of this strategy succeeded.
    Native {
        first: bool,
    },
    WsappRegister,
    WsappGet {
        key: Secret,
        first: bool,
    },
    /// Release the key, then go on with `then` (`None` = done).
    WsappDeregister {
        key: Secret,
        then: Option<Box<Phase>>,
    },
    /// Records of second `t` with id above `after`.
    QuerySecond {
        t: i64,
        after: Option<WsId>,
    },
    /// Records after second `t`.
    QueryAfter {
        t: i64,
    },
    Done,
}

impl Phase {
    /// The first phase of `strategy` for a run whose cursor is second `t`.
    fn first(strategy: Strategy, t: i64) -> Phase {
        match strategy {
            Strategy::Sync => Phase::Native { first: true },
            Strategy::Wsapp => Phase::WsappRegister,
            Strategy::Query => Phase::QuerySecond { t, after: None },
        }
    }
}

/// The sync state machine (see the module docs).
#[derive(Clone, Debug)]
pub struct SyncRun {
    module: String,
    scope: &'static str,
    phase: Phase,
    /// Cursor second `T`: everything before it was delivered.
    t: i64,
    /// Records of second `T` already delivered.
    boundary: Vec<Entry>,
    /// The `modifiedTime`/`token` the next native or wsapp call sends.
    send: i64,
    /// Deleted ids of the previous page (overlap de-duplication).
    last_deleted: Set<String>,
    /// Strategy a finished run ended with.
    done_strategy: Strategy,
}

impl SyncRun {
    /// A sync of `module` from `since`: Unix seconds as decimal text, or a checkpoint from
    /// an earlier [`Batch`]. Errors: `INVALID_INPUT` (field `module` or `since`).
    pub fn new(module: &str, since: &str) -> Result<SyncRun> {
        vtql::check_ident(module, "module")?;
        ops::validate_module(module, "module")?;
        let s = since.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            let secs: i64 = s
                .parse()
                .map_err(|_| bad_since("the Unix time is out of range"))?;
            return SyncRun::from_time(module, secs);
        }
        let cp = Checkpoint::parse(s)?;
        if cp.module != module {
            return Err(bad_since(&cat!(
                "the checkpoint is for module '",
                cp.module,
                "', not '",
                module,
                "'"
            )));
        }
        let mut sync = SyncRun::start(module, cp.time, cp.entries);
        sync.phase = Phase::first(cp.strategy, cp.time);
        Ok(sync)
    }

    /// [`SyncRun::from_time`] starting with `strategy` instead of the native `sync`: for a
    /// host that already saw the earlier strategies fail on this server. The run is the one
    /// a checkpoint `v1:<strategy>:<module>:<since>:` (no boundary records) resumes.
    pub fn from_time_with(module: &str, since: i64, strategy: Strategy) -> Result<SyncRun> {
        let mut sync = SyncRun::from_time(module, since)?;
        sync.phase = Phase::first(strategy, since);
        Ok(sync)
    }

    /// A sync of `module` delivering every record modified at or after `since` (Unix
    /// seconds, UTC).
    pub fn from_time(module: &str, since: i64) -> Result<SyncRun> {
        vtql::check_ident(module, "module")?;
        ops::validate_module(module, "module")?;
        if !(0..=MAX_TIME).contains(&since) {
            return Err(bad_since(
                "since must be a Unix time in seconds between 0 and year 9999",
            ));
        }
        Ok(SyncRun::start(module, since, Vec::new()))
    }

    fn start(module: &str, t: i64, boundary: Vec<Entry>) -> SyncRun {
        SyncRun {
            module: module.to_owned(),
            scope: "user",
            phase: Phase::Native { first: true },
            t,
            boundary,
            send: (t - 1).max(1),
            last_deleted: Set::new(),
            done_strategy: Strategy::Sync,
        }
    }

    /// Ownership scope for `sync` / `wsapp`: `user` (default), `userandgroup` or
    /// `application` (admin only). Stock servers ignore it for `sync`; `wsapp_register`
    /// honours it (`application` is sent as `app`). The `query` strategy sees every record
    /// the user may read whatever the scope.
    pub fn set_scope(&mut self, scope: &str) -> Result<()> {
        self.scope = match scope {
            "user" => "user",
            "userandgroup" => "userandgroup",
            "application" => "application",
            _ => {
                return Err(Error::invalid_input(
                    "scope",
                    "scope must be user, userandgroup or application",
                ))
            }
        };
        Ok(())
    }

    /// The strategy currently running: `sync`, `wsapp` or `query`.
    pub fn strategy(&self) -> &'static str {
        self.strategy_kind().as_str()
    }

    fn strategy_kind(&self) -> Strategy {
        match &self.phase {
            Phase::Native { .. } => Strategy::Sync,
            Phase::WsappRegister | Phase::WsappGet { .. } => Strategy::Wsapp,
            Phase::WsappDeregister { then: Some(_), .. } => Strategy::Query,
            Phase::WsappDeregister { then: None, .. } => Strategy::Wsapp,
            Phase::QuerySecond { .. } | Phase::QueryAfter { .. } => Strategy::Query,
            // A finished run keeps the strategy it ended with in its checkpoint.
            Phase::Done => self.done_strategy,
        }
    }

    /// True when the run is over (every change delivered and any wsapp key released).
    pub fn done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The module being synced.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The current resume point.
    pub fn checkpoint(&self) -> String {
        checkpoint::format(self.strategy(), &self.module, self.t, &self.boundary)
    }

    /// The next call to send, or `None` when done.
    pub fn next_call(&self) -> Option<Call> {
        match &self.phase {
            Phase::Native { .. } => ops::sync(self.send, Some(&self.module), Some(self.scope)).ok(),
            Phase::WsappRegister => {
                ops::wsapp_register(WSAPP_TYPE, wsapp_synctype(self.scope)).ok()
            }
            Phase::WsappGet { key, .. } => ops::wsapp_get(key, &self.module, self.send).ok(),
            Phase::WsappDeregister { key, .. } => ops::wsapp_deregister(WSAPP_TYPE, key).ok(),
            Phase::QuerySecond { t, after } => ops::query(&self.second_query(*t, *after)).ok(),
            Phase::QueryAfter { t } => ops::query(&cat!(
                "SELECT * FROM ",
                self.module,
                " WHERE modifiedtime > '",
                unix_to_datetime(*t),
                "' ORDER BY modifiedtime LIMIT 100;"
            ))
            .ok(),
            Phase::Done => None,
        }
    }

    fn second_query(&self, t: i64, after: Option<WsId>) -> String {
        let mut q = cat!(
            "SELECT * FROM ",
            self.module,
            " WHERE modifiedtime = '",
            unix_to_datetime(t),
            "'"
        );
        if let Some(id) = after {
            cat_to!(&mut q; " AND id > '", id, "'");
        }
        q.push_str(" ORDER BY id LIMIT 100;");
        q
    }

    /// A call that releases the wsapp registration when the host abandons the run early;
    /// `None` when nothing is registered. The machine is finished afterwards.
    pub fn close_call(&mut self) -> Option<Call> {
        let key = match &self.phase {
            Phase::WsappGet { key, .. } | Phase::WsappDeregister { key, .. } => Some(key.clone()),
            _ => None,
        };
        self.finish();
        key.and_then(|k| ops::wsapp_deregister(WSAPP_TYPE, &k).ok())
    }

    fn finish(&mut self) {
        self.done_strategy = self.strategy_kind();
        self.phase = Phase::Done;
    }

    /// Handles the response to the last [`SyncRun::next_call`].
    pub fn handle(&mut self, resp: &HttpResponse) -> Result<Option<Batch>> {
        match self.phase.clone() {
            Phase::Native { first } => match decode_result(resp, "sync") {
                Err(e) if first && falls_back(&e, false) => {
                    self.phase = Phase::WsappRegister;
                    Ok(None)
                }
                Err(e) => Err(e),
                Ok((text, prescan)) => {
                    let batch = self.sync_page(&text, prescan, "sync", Strategy::Sync)?;
                    if matches!(self.phase, Phase::Native { .. }) {
                        self.phase = Phase::Native { first: false };
                    }
                    Ok(Some(batch))
                }
            },
            Phase::WsappRegister => {
                let key = envelope::decode(resp, "wsapp_register").and_then(|r| {
                    match r.get("key").and_then(Json::as_str) {
                        Some(k) if !k.is_empty() && k != "0" => Ok(Secret::new(k)),
                        _ => Err(Error::new(
                            ErrorCode::InvalidResponse,
                            "wsapp_register returned no key",
                        )
                        .with_operation("wsapp_register")
                        .with_status(resp.status)),
                    }
                });
                match key {
                    Ok(key) => {
                        self.phase = Phase::WsappGet { key, first: true };
                        Ok(None)
                    }
                    Err(e) if falls_back(&e, true) => {
                        self.phase = self.query_start();
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            }
            Phase::WsappGet { key, first } => match decode_result(resp, "wsapp_get") {
                Err(e) if first && falls_back(&e, true) => {
                    let then = Box::new(self.query_start());
                    self.phase = Phase::WsappDeregister {
                        key,
                        then: Some(then),
                    };
                    Ok(None)
                }
                Err(e) => Err(e),
                Ok((text, prescan)) => {
                    let batch = self.sync_page(&text, prescan, "wsapp_get", Strategy::Wsapp)?;
                    if matches!(self.phase, Phase::Done) {
                        // Paging finished: release the key before finishing.
                        self.phase = Phase::WsappDeregister { key, then: None };
                    } else {
                        self.phase = Phase::WsappGet { key, first: false };
                    }
                    Ok(Some(batch))
                }
            },
            Phase::WsappDeregister { then, .. } => {
                // Best effort: a failed release only leaves a row in vtiger_wsapp. A dead
                // session is reported so that the host can log in again and retry.
                if let Err(e) = envelope::decode(resp, "wsapp_deregister") {
                    if e.code.is_session_expiry() {
                        return Err(e);
                    }
                }
                match then {
                    Some(p) => self.phase = *p,
                    None => self.finish(),
                }
                Ok(None)
            }
            Phase::QuerySecond { t, after } => {
                let text = envelope::decode_raw_ref(resp, "query")?;
                self.query_second(&text, t, after).map(Some)
            }
            Phase::QueryAfter { t } => {
                let text = envelope::decode_raw_ref(resp, "query")?;
                self.query_after(&text, t).map(Some)
            }
            Phase::Done => Err(Error::invalid_input(
                "sync",
                "the sync run is already finished",
            )),
        }
    }

    fn query_start(&self) -> Phase {
        Phase::QuerySecond {
            t: self.t,
            after: None,
        }
    }

    /// A `sync`/`wsapp_get` result page.
    /// `prescan`: the result's scan made while the envelope was validated, when it matches
    /// `text`.
    fn sync_page(
        &mut self,
        text: &str,
        prescan: Option<ResultScan>,
        op: &str,
        strategy: Strategy,
    ) -> Result<Batch> {
        let bad = |m: String| invalid(op, m);
        let ResultScan { found, records } = match prescan {
            Some(scan) => scan,
            None => {
                let mut scan = ResultScan::default();
                scan_result(text, 0, &mut scan)
                    .and_then(|end| json::scan::expect_end(text, end))
                    .map_err(|e| bad(cat!("the result is not an object: ", e)))?;
                scan
            }
        };
        let member = |k: usize| found[k].clone().map(|r| &text[r]);
        let more = match member(MORE).map(str::trim) {
            None | Some("false") | Some("null") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => return Err(bad(cat!("'more' is not a boolean: ", short(other)))),
        };
        let last = member(LAST_MODIFIED)
            .map(|raw| raw.trim().trim_matches('"'))
            .and_then(|raw| raw.parse::<i64>().ok())
            .ok_or_else(|| bad("the result has no integer lastModifiedTime".to_owned()))?;
        // A checkpoint at that time could not be resumed (found by fuzzing, tests/fuzz sync).
        if !(0..=MAX_TIME).contains(&last) {
            return Err(bad(cat!(
                "lastModifiedTime ",
                last,
                " is not a Unix time between 0 and year 9999"
            )));
        }
        // Record ranges are in `rec_text`.
        let (recs, rec_text) = match records {
            Some(recs) => (recs, text),
            None => {
                let updated_text = member(UPDATED).unwrap_or("[]");
                let recs = scan_records(updated_text).map_err(|m| bad(cat!("updated: ", m)))?;
                (recs, updated_text)
            }
        };
        let deleted_all = match member(DELETED) {
            None => Vec::new(),
            Some(raw) => match json::parse(raw) {
                Ok(Json::Arr(items)) => items
                    .into_iter()
                    .map(|v| match v {
                        Json::Str(s) => Ok(s),
                        _ => Err(bad("deleted holds a non-string".to_owned())),
                    })
                    .collect::<Result<Vec<_>>>()?,
                Ok(Json::Obj(o)) if o.is_empty() => Vec::new(),
                _ => return Err(bad("deleted is not an array".to_owned())),
            },
        };
        if last < self.send || (more && last == self.send) {
            return Err(bad(cat!(
                "lastModifiedTime ",
                last,
                " does not move past the requested ",
                self.send,
                "; stopping instead of looping"
            )));
        }
        // Validate every record before changing any state.
        let infos = recs
            .iter()
            .map(|r| record_info(rec_text, r).map_err(&bad))
            .collect::<Result<Vec<_>>>()?;
        let old_t = self.t;
        let new_t = last.max(old_t);
        let mut batch = self.collect(rec_text, &recs, &infos, new_t, strategy);
        let mut deleted_now = Set::new();
        for d in deleted_all {
            if deleted_now.insert(d.clone()) && !self.last_deleted.contains(&d) {
                batch.deleted.push(d);
            }
        }
        if new_t == old_t {
            self.last_deleted.extend(deleted_now);
        } else {
            self.last_deleted = deleted_now;
        }
        if more {
            self.send = if last - 1 > self.send { last - 1 } else { last };
        } else {
            self.send = (new_t - 1).max(1);
            self.done_strategy = strategy;
            self.phase = Phase::Done;
        }
        batch.checkpoint = self.checkpoint();
        Ok(batch)
    }

    /// Moves the cursor to `new_t` and emits the records not yet delivered; the boundary
    /// keeps the records of second `new_t`.
    fn collect(
        &mut self,
        text: &str,
        recs: &[RecordSpan],
        infos: &[RecInfo],
        new_t: i64,
        strategy: Strategy,
    ) -> Batch {
        let seen: Set<Entry> = self.boundary.iter().copied().collect();
        let seen_ids: Set<WsId> = self.boundary.iter().map(|(id, _)| *id).collect();
        let mut next_boundary: Vec<Entry> = if new_t == self.t {
            self.boundary.clone()
        } else {
            Vec::new()
        };
        let mut in_boundary: Set<Entry> = next_boundary.iter().copied().collect();
        let mut json_out = String::with_capacity(text.len());
        json_out.push('[');
        let mut count = 0;
        for (r, info) in recs.iter().zip(infos) {
            let boundary = info.second == Some(new_t);
            let maybe_seen = seen_ids.contains(&info.id);
            // The hash is only needed to compare with, or to remember, a boundary entry.
            let hash = if boundary || maybe_seen {
                fnv1a(text[r.range.clone()].as_bytes())
            } else {
                0
            };
            let entry = (info.id, hash);
            let dup = maybe_seen && seen.contains(&entry);
            if boundary && in_boundary.insert(entry) {
                next_boundary.push(entry);
            }
            if dup {
                continue;
            }
            if count > 0 {
                json_out.push(',');
            }
            json_out.push_str(&text[r.range.clone()]);
            count += 1;
        }
        json_out.push(']');
        self.t = new_t;
        self.boundary = next_boundary;
        Batch {
            updated_json: json_out,
            updated_count: count,
            deleted: Vec::new(),
            checkpoint: String::new(),
            strategy: strategy.as_str(),
        }
    }

    /// A page of `modifiedtime = 't' [AND id > after] ORDER BY id`.
    fn query_second(&mut self, text: &str, t: i64, after: Option<WsId>) -> Result<Batch> {
        let bad = |m: String| invalid("query", m);
        let (recs, infos) = scan_page(text).map_err(&bad)?;
        if let Some(i) = infos.iter().find(|i| i.second != Some(t)) {
            return Err(bad(cat!(
                "record ",
                i.id,
                " is not from the requested second"
            )));
        }
        // Ids must increase through the page and past the keyset.
        let mut prev = after.map(|a| a.record);
        for i in &infos {
            if prev.is_some_and(|p| i.id.record <= p) {
                return Err(bad(cat!(
                    "id ",
                    i.id,
                    " does not follow the keyset; stopping instead of looping"
                )));
            }
            prev = Some(i.id.record);
        }
        let batch = self.collect(text, &recs, &infos, t, Strategy::Query);
        self.phase = match infos.last() {
            None => Phase::QueryAfter { t },
            Some(last) => Phase::QuerySecond {
                t,
                after: Some(last.id),
            },
        };
        Ok(Batch {
            checkpoint: self.checkpoint(),
            ..batch
        })
    }

    /// A page of `modifiedtime > 't' ORDER BY modifiedtime`: delivers its complete seconds
    /// and re-reads its last second by id.
    fn query_after(&mut self, text: &str, t: i64) -> Result<Batch> {
        let bad = |m: String| invalid("query", m);
        let (recs, infos) = scan_page(text).map_err(&bad)?;
        let mut tmax = None;
        for i in &infos {
            match i.second {
                Some(s) if s > t => tmax = tmax.max(Some(s)),
                _ => {
                    return Err(bad(cat!(
                        "record ",
                        i.id,
                        " has no modifiedtime after the requested second"
                    )))
                }
            }
        }
        let Some(tmax) = tmax else {
            // Nothing after `t`: the run is complete.
            self.finish_query();
            return Ok(Batch {
                updated_json: "[]".to_owned(),
                updated_count: 0,
                deleted: Vec::new(),
                checkpoint: self.checkpoint(),
                strategy: Strategy::Query.as_str(),
            });
        };
        // Keep the complete seconds (< tmax); second tmax is re-read by id.
        let keep: Vec<(RecordSpan, RecInfo)> = recs
            .into_iter()
            .zip(infos)
            .filter(|(_, i)| i.second.is_some_and(|s| s < tmax))
            .collect();
        let (recs, infos): (Vec<RecordSpan>, Vec<RecInfo>) = keep.into_iter().unzip();
        // Everything before tmax is now delivered; none of second tmax yet.
        self.boundary.clear();
        let batch = self.collect(text, &recs, &infos, tmax, Strategy::Query);
        self.phase = Phase::QuerySecond {
            t: tmax,
            after: None,
        };
        Ok(Batch {
            checkpoint: self.checkpoint(),
            ..batch
        })
    }

    fn finish_query(&mut self) {
        self.done_strategy = Strategy::Query;
        self.phase = Phase::Done;
    }
}

/// What [`scan_result`] finds in a `sync`/`wsapp_get` result object.
#[derive(Default)]
struct ResultScan {
    /// Value ranges of the first `more`, `lastModifiedTime`, `updated` and `deleted`.
    found: [Option<Range<usize>>; 4],
    /// The records of `updated` (ranges in the result text), when it is an array of
    /// records; `None` when it is absent or is not (then `updated` is validated as any
    /// value and split again for the error message).
    records: Option<Vec<RecordSpan>>,
}

/// Keys of [`ResultScan::found`], and their indices.
const RESULT_KEYS: [&str; 4] = ["more", "lastModifiedTime", "updated", "deleted"];
const MORE: usize = 0;
const LAST_MODIFIED: usize = 1;
const UPDATED: usize = 2;
const DELETED: usize = 3;

/// Scans the result object at `start` (nesting depth `depth`), splitting `updated` into
/// records on the way (one pass instead of two). Validation and errors are those of
/// [`json::scan::keys`].
fn scan_result(
    text: &str,
    depth: usize,
    out: &mut ResultScan,
) -> core::result::Result<usize, json::JsonError> {
    let ResultScan { found, records } = out;
    json::scan::keys_with(text, 0, depth, &RESULT_KEYS, found, |k, vs| {
        if k != UPDATED {
            return None;
        }
        let (recs, end) = scan_records_at(text, vs, depth + 1).ok()?;
        *records = Some(recs);
        Some(end)
    })
}

/// [`envelope::decode_raw_ref`] for a `sync`/`wsapp_get` result, scanned as
/// [`scan_result`] while the envelope is validated (when the result text is the body's).
fn decode_result<'r>(
    resp: &'r HttpResponse,
    op: &str,
) -> Result<(alloc::borrow::Cow<'r, str>, Option<ResultScan>)> {
    let mut scan = ResultScan::default();
    let (text, same) = envelope::decode_raw_scan(resp, op, &mut |value| {
        scan = ResultScan::default();
        // The result is a member value of the envelope: depth 1.
        scan_result(value, 1, &mut scan).ok()
    })?;
    Ok((text, same.then_some(scan)))
}

/// What the machine reads from one record.
#[derive(Clone, Copy, Debug)]
struct RecInfo {
    id: WsId,
    /// `modifiedtime` as Unix seconds, when present and well-formed.
    second: Option<i64>,
}

/// The records of a query page and what the machine reads from each.
fn scan_page(text: &str) -> core::result::Result<(Vec<RecordSpan>, Vec<RecInfo>), String> {
    let recs = scan_records(text)?;
    let infos = recs
        .iter()
        .map(|r| record_info(text, r))
        .collect::<core::result::Result<Vec<_>, _>>()?;
    Ok((recs, infos))
}

fn record_info(text: &str, rec: &RecordSpan) -> core::result::Result<RecInfo, String> {
    let id_text = string_member(text, rec.id.as_ref(), "id")?;
    let id = WsId::parse_field(&id_text, "id")
        .map_err(|_| cat!("record id '", short(&id_text), "' is not a webservice id"))?;
    let second = string_member(text, rec.modifiedtime.as_ref(), "modifiedtime")
        .ok()
        .and_then(|m| datetime_to_unix(&m));
    Ok(RecInfo { id, second })
}

/// True when a failure of a strategy's first call means "not available here".
fn falls_back(e: &Error, wsapp: bool) -> bool {
    match &e.code {
        ErrorCode::ServerError
        | ErrorCode::InvalidResponse
        | ErrorCode::UnknownOperation
        | ErrorCode::InternalServerError => true,
        ErrorCode::OperationNotSupported => wsapp,
        ErrorCode::Other(c) => wsapp && c.starts_with("WSAPP"),
        _ => false,
    }
}

fn wsapp_synctype(scope: &str) -> &'static str {
    match scope {
        "userandgroup" => "userandgroup",
        "application" => "app",
        _ => "user",
    }
}

fn invalid(op: &str, msg: String) -> Error {
    Error::new(ErrorCode::InvalidResponse, msg).with_operation(op)
}

fn bad_since(msg: &str) -> Error {
    Error::invalid_input("since", msg.to_owned())
}

fn short(s: &str) -> String {
    s.chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u32, time: &str, extra: &str) -> String {
        format!(r#"{{"id":"12x{id}","lastname":"L{id}","modifiedtime":"{time}"{extra}}}"#)
    }

    /// Bodies of `sync` answers, clean and odd: every one must give the same outcome with and
    /// without the scan made during the envelope's validation.
    fn bodies() -> Vec<Vec<u8>> {
        let r1 = record(1, "2026-11-24 02:16:15", "");
        let r2 = record(
            2,
            "2026-11-24 02:16:16",
            r#","x":{"id":"n","a":["}",null]}"#,
        );
        let r3 = record(3, "2026-11-24 02:16:16", ",\"c\":\"raw\u{1}ctl\"");
        let page = |updated: &str, rest: &str| {
            format!(r#"{{"success":true,"result":{{"updated":{updated},"deleted":[]{rest}}}}}"#)
        };
        let tail = r#","more":false,"lastModifiedTime":1795486576"#;
        let clean = page(&format!("[{r1},{r2}]"), tail);
        let mut v: Vec<String> = vec![
            clean.clone(),
            page(&format!("[ {r1} ,\n{r2} ]"), tail),
            page(&format!("[{r1},{r3}]"), tail),
            page("[]", tail),
            page("{}", tail),
            page("{ }", tail),
            page("[1]", tail),
            page(&format!("[{r1},]"), tail),
            page(&format!("[{r1}]"), &format!(r#"{tail},"updated":[{r2}]"#)),
            page(
                &format!("[{r1}]"),
                r#","more":true,"lastModifiedTime":"1795486576""#,
            ),
            page(
                &format!("[{r1}]"),
                r#","more":"x","lastModifiedTime":1795486576"#,
            ),
            page(&format!("[{r1}]"), r#","more":false"#),
            format!(r#"{{"success":true,"result":{{"upd\u0061ted":[{r1}]{tail}}}}}"#),
            format!(r#"{{"success":true,"result":[{r1}]}}"#),
            format!(r#"{{"success":true,"result":{{"updated":[{r1}]{tail}}},"result":{{}}}}"#),
            format!(r#"{{"result":{{"updated":[{r1}]{tail}}},"success":true}}"#),
            format!("\u{feff} \n{clean}"),
            format!("<b>Notice</b>: {{x}} in a.php\n{clean}"),
            format!("{clean} trailing"),
            format!(
                r#"{{"success":true,"result":{{"updated":[{{"id":"12x1","d":{}1{}}}]{tail}}}}}"#,
                "[".repeat(MAX_NEST),
                "]".repeat(MAX_NEST)
            ),
            r#"{"success":false,"error":{"code":"ACCESS_DENIED","message":"m"}}"#.to_owned(),
        ];
        // Truncated at every byte.
        for n in 0..clean.len() {
            v.push(clean[..n].to_owned());
        }
        let mut out: Vec<Vec<u8>> = v.into_iter().map(String::into_bytes).collect();
        // Invalid UTF-8 in a record (the lossy text is owned).
        let mut bad = clean.into_bytes();
        let at = bad.windows(3).position(|w| w == b"L1\"").unwrap();
        bad[at + 1] = 0xff;
        out.push(bad);
        out
    }

    /// Nesting that reaches exactly past the limit inside a record.
    const MAX_NEST: usize = json::MAX_DEPTH - 3;

    #[test]
    fn the_result_scan_during_validation_changes_nothing() {
        let clean = HttpResponse::new(200, bodies().remove(0));
        assert!(matches!(decode_result(&clean, "sync"), Ok((_, Some(_)))));
        for body in bodies() {
            let resp = HttpResponse::new(200, body.clone());
            let name = String::from_utf8_lossy(&body).into_owned();
            // The scan agrees with a scan of the returned text.
            if let Ok((text, Some(pre))) = decode_result(&resp, "sync") {
                let mut again = ResultScan::default();
                let end = scan_result(&text, 0, &mut again).unwrap();
                json::scan::expect_end(&text, end).unwrap();
                assert_eq!(pre.found, again.found, "{name}");
                let spans = |r: &Option<Vec<RecordSpan>>| {
                    r.as_ref().map(|v| {
                        v.iter()
                            .map(|s| (s.range.clone(), s.id.clone(), s.modifiedtime.clone()))
                            .collect::<Vec<_>>()
                    })
                };
                assert_eq!(spans(&pre.records), spans(&again.records), "{name}");
            }
            // Same outcome with and without it, for a first and a later page.
            for since in ["0", "v1:sync:Contacts:1795486576:12x2.0123456789abcdef"] {
                let run = SyncRun::new("Contacts", since).unwrap();
                let mut with = run.clone();
                let got = with.handle(&resp);
                let mut without = run.clone();
                let want = match envelope::decode_raw_ref(&resp, "sync") {
                    Err(e) => Err(e),
                    Ok(text) => without.sync_page(&text, None, "sync", Strategy::Sync),
                };
                match (&got, &want) {
                    (Ok(Some(g)), Ok(w)) => assert_eq!(g, w, "{name}"),
                    (Err(g), Err(w)) => assert_eq!(format!("{g:?}"), format!("{w:?}"), "{name}"),
                    // A fallback (first call) is a bookkeeping answer.
                    (Ok(None), Err(w)) => assert!(falls_back(w, false), "{name}"),
                    _ => panic!("{name}: {got:?} vs {want:?}"),
                }
                if got.as_ref().is_ok_and(Option::is_some) {
                    assert_eq!(with.checkpoint(), without.checkpoint(), "{name}");
                }
            }
        }
    }

    #[test]
    fn only_boundary_records_are_hashed_and_repeats_are_dropped() {
        let r1 = record(1, "2026-11-24 02:16:15", "");
        let r2 = record(2, "2026-11-24 02:16:16", "");
        let body = format!(
            r#"{{"success":true,"result":{{"updated":[{r1},{r2}],"deleted":[],"more":false,"lastModifiedTime":1795486576}}}}"#
        );
        let mut run = SyncRun::new("Contacts", "0").unwrap();
        let b = run
            .handle(&HttpResponse::new(200, body.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(b.updated_json, format!("[{r1},{r2}]"));
        let h = fnv1a(r2.as_bytes());
        assert_eq!(
            b.checkpoint,
            format!("v1:sync:Contacts:1795486576:12x2.{h:016x}")
        );
        // Resumed: the unchanged boundary record is dropped, the other one delivered.
        let mut again = SyncRun::new("Contacts", &b.checkpoint).unwrap();
        let b2 = again
            .handle(&HttpResponse::new(200, body))
            .unwrap()
            .unwrap();
        assert_eq!(b2.updated_json, format!("[{r1}]"));
        assert_eq!(b2.updated_count, 1);
        assert_eq!(b2.checkpoint, b.checkpoint);
    }
}
