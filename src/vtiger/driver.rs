//! The Vtiger session driver: every operation of a client (or of a proxy's upstream) as a
//! sans-IO exchange of [`Step`]s (see [`crate::step`]).
//!
//! One [`Driver`] holds one CRM endpoint, its credentials and one session; any number of
//! exchanges run on it at once (the host interleaves them). It decides everything the host
//! used to decide:
//!
//! * **Lazy login.** The first exchange that needs a session while none is held *leads* a
//!   login (`getchallenge`, then `login`); exchanges that need a session while a login runs
//!   [`Step::Wait`] for it (single flight: one login for all of them) and share its outcome:
//!   they go on with the new session, or fail with the login's error. When the leader is
//!   closed (its caller aborted), the login is abandoned and a waiting exchange leads a new
//!   one on resume; the host learns that waiters must be resumed from [`Driver::take_wake`].
//! * **The login race** (live findings G). Vtiger keeps one challenge token per user: a
//!   `getchallenge` of any other client of the same user between our `getchallenge` and our
//!   `login` makes that login fail with `INVALID_USER_CREDENTIALS` (or `INVALID_AUTH_TOKEN`
//!   when it lands between the server's DELETE and INSERT of the token). After a fresh
//!   challenge both codes are treated as a lost race: the whole pair is retried, up to
//!   [`LoginPolicy::attempts`] times, after a jittered exponential back-off
//!   ([`LoginPolicy::delay`]; randomness comes from the host's seed), stretched by the
//!   server's pace: Vtiger's challenge token is PHP's `uniqid()`, the server's clock in
//!   microseconds ([`uniqid_micros`]), so two tokens of one login tell how long the pair
//!   and the back-off between them took on the server. Two pairs in a row slower than
//!   [`LoginPolicy::pace_ref_ms`] (a congested server: the contenders' requests queue, and
//!   the window in which another getchallenge spoils a login grows with the queue) stretch
//!   the next back-off by the same factor (the smaller of the two), at most
//!   [`LoginPolicy::max_scale`] times; one slow pair alone (a pause, the first burst) does
//!   not. On the
//!   lab's 2-core servers (`make test-real-lab`), 32 cold clients of one user started
//!   together: 2–12 failed with the fixed schedule (pairs of 100–400 ms in the burst), none
//!   with the stretched one; the simulator with 2 CPUs of 6 ms a request (`--cpus`) shows
//!   the same. The time is the server's, sent in its answers: the core reads
//!   no clock.
//!
//!   *A wrong access key gets the same answer as a lost race* (`INVALID_USER_CREDENTIALS`,
//!   same message): no reply tells them apart, and a lost race leaves no trace that another
//!   `getchallenge` could reveal (it would replace the token again). They are told apart by
//!   repetition only: a race ends once the contenders have spread out, a wrong key fails
//!   every attempt. With the defaults (9 attempts, back-offs of 15, 30, 60, 120, 240, 320,
//!   320, 320 ms, each ×0.5–1.5, unstretched while pairs take under 30 ms), a wrong key is
//!   reported as `INVALID_USER_CREDENTIALS` after about 1.4 s of back-off (at most about
//!   2.1 s, as with the fixed schedule of 8 attempts capped at 480 ms it replaces) plus its 9
//!   pairs; on a congested server the back-offs stretch (at most ×8). The final error says
//!   that the key was refused on every attempt.
//! * **Session expiry**: an answer whose code is [`ErrorCode::is_session_expiry`] (the only
//!   place that set lives) makes the exchange log in again (leading or waiting) and repeat
//!   its request once; a second expiry of the same request is reported. An exchange whose
//!   session was already replaced by another exchange's login just repeats.
//! * **Capability memory**: which optional operations this server answered
//!   ([`Driver::server_info_json`]), and the sync strategies already seen failing, so that a
//!   later sync from a time starts with the one that works ([`SyncRun::from_time_with`]).
//! * **Queries**: a query whose GET URL would be too long is split on its `IN (…)` list
//!   ([`super::split`]) and the parts' answers are merged by `id`; `queryAll`/`count` page by
//!   keyset ([`super::paging`]), over the parts of a split query too.
//! * **Sync** runs [`SyncRun`], with re-login and release of a wsapp registration when the
//!   host closes the exchange early ([`Driver::close`]).
//! * **Proxy mode** ([`Auth::Proxy`]): no login and no `sessionName`; every request carries
//!   `Authorization: Bearer <token>` when a token is set, and the session codes are
//!   reported, never acted on (the proxy owns the session). A sync run's `wsapp_register`
//!   names the module it syncs (`elementType`) for the proxy's key binding.
//! * **The proxy's upstream** ([`Driver::start_forward`], driven by [`super::proxy`]): a
//!   call rebuilt by the proxy's gate runs on the shared session like any other, and its
//!   answer is passed on as received.
//!
//! The host's part for every exchange: send each [`Step::Send`] request (its timeout and the
//! caller's abort are the host's), [`Driver::handle`] the answer or [`Driver::fail`] the
//! transport failure, sleep on [`Step::Sleep`], wait on [`Step::Wait`], and
//! [`Driver::close`] an exchange it abandons.

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

mod records;
mod shared;
pub use records::WriteRun;

use super::envelope;
use super::id::WsId;
use super::ops::{self, Call, Endpoint, FourBytePolicy};
use super::paging::{scan_records, string_member, Count, QueryAll};
use super::related::RelatedPlan;
use super::results::{self, LoginInfo};
use super::split::split_select;
use super::sync::{Strategy, SyncRun};
use super::vtql::{four_byte_text, Select};
use crate::error::{Error, ErrorCode, Result};
use crate::http::HttpResponse;
use crate::json;
use crate::secret::Secret;
use crate::set::Set;
use crate::step::{unknown_exchange, Checked, Read, RetryPolicy, Rng, Slab, Step, Transfer, Value};
use alloc::collections::VecDeque;

/// An exchange's id: valid until the exchange ends (a [`Step::Done`], an error, or
/// [`Driver::close`]); ids of ended exchanges are reused, so a host must not use one after
/// its end.
pub type ExchangeId = u32;

/// How the driver authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// `getchallenge` + `login` with the user's access key; `sessionName` on every call.
    Login {
        /// The Vtiger user name.
        username: String,
        /// The user's access key (never leaves the driver except inside the login digest).
        access_key: Secret,
    },
    /// Behind crmwire/proxy: no login; `Authorization: Bearer <token>` when a token is set.
    Proxy {
        /// The caller's proxy token.
        token: Option<Secret>,
    },
}

/// The login-race policy (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginPolicy {
    /// getchallenge + login pairs tried before a refusal is reported (default 9).
    pub attempts: u32,
    /// First back-off in milliseconds (default 15); doubled per attempt up to `cap_ms`.
    pub base_ms: u32,
    /// Longest back-off before jitter and stretch (default 320).
    pub cap_ms: u32,
    /// The server's time for a getchallenge + login pair under which back-offs are not
    /// stretched (default 30; a pair takes about 13 ms on an idle server).
    pub pace_ref_ms: u32,
    /// The largest stretch of a back-off by a slow server pace (default 8).
    pub max_scale: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            attempts: 9,
            base_ms: 15,
            cap_ms: 320,
            pace_ref_ms: 30,
            max_scale: 8,
        }
    }
}

impl LoginPolicy {
    /// The back-off before pair number `attempt + 1` (`attempt` ≥ 1):
    /// `min(base · 2^(attempt-1), cap) × stretch × (0.5 + unit/1024)`, `unit` uniform in
    /// `0..1024`, `stretch` = `pace_ms / pace_ref_ms` within `1..=max_scale` (`pace_ms`: the
    /// server's time for the last pair, 0 when unknown).
    pub fn delay(&self, attempt: u32, unit: u32, pace_ms: u32) -> u32 {
        let exp = u64::from(self.base_ms) << attempt.saturating_sub(1).min(31);
        let r = u64::from(self.pace_ref_ms.max(1));
        let pace = u64::from(pace_ms).clamp(r, r * u64::from(self.max_scale.max(1)));
        let ms =
            exp.min(u64::from(self.cap_ms)) * pace / r * u64::from(512 + unit.min(1024)) / 1024;
        ms.min(u64::from(crate::step::MAX_SLEEP_MS)) as u32
    }
}

/// The server's clock in microseconds inside a challenge token made by PHP's `uniqid()`
/// (13 hex digits: 8 of seconds, 5 of microseconds), as Vtiger's `getchallenge` makes them;
/// `None` for any other token.
pub fn uniqid_micros(token: &str) -> Option<u64> {
    if token.len() != 13 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let secs = u64::from_str_radix(&token[..8], 16).ok()?;
    let micros = u64::from_str_radix(&token[8..], 16).ok()?;
    (micros < 1_000_000).then_some(secs * 1_000_000 + micros)
}

/// Everything a driver needs, given once.
#[derive(Clone, Debug)]
pub struct Config {
    /// The CRM's `webservice.php`.
    pub endpoint: Endpoint,
    /// Login or proxy mode.
    pub auth: Auth,
    /// What element values with 4-byte characters become.
    pub four_byte: FourBytePolicy,
    /// Retries of GET-type requests.
    pub retry: RetryPolicy,
    /// The login-race policy.
    pub login: LoginPolicy,
    /// Seed of the jitter source (the host's random number).
    pub seed: u64,
    /// Check records against the module's describe before a write (default true; see
    /// [`crate::vtiger::fields`]).
    pub check_fields: bool,
}

impl Config {
    /// A login-mode configuration with the default policies.
    pub fn login(endpoint: Endpoint, username: &str, access_key: &str) -> Result<Config> {
        if username.is_empty() {
            return Err(Error::invalid_input("username", "username is required"));
        }
        if access_key.is_empty() {
            return Err(Error::invalid_input("accessKey", "accessKey is required"));
        }
        Ok(Config::with_auth(
            endpoint,
            Auth::Login {
                username: username.to_owned(),
                access_key: Secret::new(access_key),
            },
        ))
    }

    /// A proxy-mode configuration with the default policies.
    pub fn proxy(endpoint: Endpoint, token: Option<&str>) -> Config {
        Config::with_auth(
            endpoint,
            Auth::Proxy {
                token: token.filter(|t| !t.is_empty()).map(Secret::new),
            },
        )
    }

    fn with_auth(endpoint: Endpoint, auth: Auth) -> Config {
        Config {
            endpoint,
            auth,
            four_byte: FourBytePolicy::Reject,
            retry: RetryPolicy::default(),
            login: LoginPolicy::default(),
            seed: 1,
            check_fields: true,
        }
    }
}

/// Raw VTQL text or the builder's object form (JSON text).
#[derive(Clone, Copy, Debug)]
pub enum QueryText<'a> {
    /// VTQL as the caller wrote it (sent unchanged when it fits in a GET).
    Raw(&'a str),
    /// The builder's object form, as JSON text.
    Spec(&'a str),
}

impl QueryText<'_> {
    /// The query as a [`Select`] (raw text through the core's own parser).
    pub fn select(self) -> Result<Select> {
        match self {
            QueryText::Raw(t) => Select::parse(t),
            QueryText::Spec(t) => Select::from_spec_text(t),
        }
    }
}

/// Operations whose availability varies by server and version (reported by
/// [`Driver::server_info_json`]).
pub const OPTIONAL_OPERATIONS: &[&str] = &[
    "sync",
    "wsapp_register",
    "wsapp_get",
    "convertlead",
    "retrieve_inventory",
    "files_retrieve",
    "relatedtypes",
    "retrieve_related",
    "query_related",
    "add_related",
    "logout",
    "extendsession",
];

/// Bytes a `sessionName` may add to a GET URL (PHP session ids are 26–40 characters).
const SESSION_URL_BUDGET: usize = "&sessionName=".len() + 64;
/// Bytes a keyset page adds over the first page (`AND id > '…'`, encoded).
const KEYSET_URL_BUDGET: usize = 96;

/// One part of a keyset pager.
#[derive(Debug)]
enum Part {
    All(QueryAll),
    Count(Count),
}

impl Part {
    fn next_query(&self) -> Option<String> {
        match self {
            Part::All(q) => q.next_query(),
            Part::Count(c) => c.next_query(),
        }
    }
    fn rows(&self) -> u64 {
        match self {
            Part::All(q) => q.rows(),
            Part::Count(c) => c.total(),
        }
    }
    fn advance(&mut self, rows: usize, last: Option<&str>) -> Result<()> {
        match self {
            Part::All(q) => q.advance(rows, last),
            Part::Count(c) => c.advance(rows, last),
        }
    }
    fn advance_page(&mut self, text: &str) -> Result<usize> {
        match self {
            Part::All(q) => q.advance_page(text),
            Part::Count(c) => c.advance_page(text),
        }
    }
}

/// What an exchange does.
#[derive(Debug)]
enum Task {
    /// One request; its result is the exchange's result.
    Call(Call),
    /// One request passed on for a proxy: its answer is the exchange's result as received.
    Forward(Call),
    /// A query sent as one or more texts (a split query), answers merged by `id`.
    Query {
        texts: Vec<String>,
        next: usize,
        rows: String,
        seen: Set<String>,
    },
    /// Keyset pages (`queryAll`: yields each page; `count`: the total at the end).
    Pages {
        parts: VecDeque<Part>,
        split: bool,
        count: bool,
        seen: Set<String>,
        done_rows: u64,
    },
    /// Related records (`query_related` pages planned by [`RelatedPlan`]); `rows` collects
    /// them for one result (`queryRelated`), `None` yields each batch (`queryRelatedAll`).
    Related {
        plan: Box<RelatedPlan>,
        rows: Option<String>,
    },
    /// A sync run; yields its batches.
    Sync { run: SyncRun, op: String },
    /// The release of an abandoned sync run's wsapp registration (best effort).
    Release,
    /// An explicit login (`login()`); `begun` once it led or joined a login.
    Login { begun: bool },
    /// `logout`.
    Logout,
    /// `extendsession`.
    Extend,
    /// `create`/`update`/`revise` with the field check and file content (records.rs).
    Write(Box<WriteRun>),
    /// `describe`, through the client's cache (records.rs).
    Describe(String),
    /// `filesRetrieve` (records.rs).
    Files(Box<records::FilesRun>),
}

#[derive(Debug)]
enum State {
    /// Build the task's next request (logging in first when needed).
    Next,
    /// A request is on the wire.
    Sent(Transfer),
    /// Sleeping before sending the transfer again.
    Retry(Transfer),
    /// Waiting for login number `n` to settle.
    Waiting(u64),
    /// Leading a login.
    Login(LoginRun),
}

#[derive(Debug)]
struct LoginRun {
    /// Pairs sent so far (1-based).
    attempt: u32,
    stage: Stage,
    /// The server time of the last challenge token, when it is a `uniqid()`.
    token_us: Option<u64>,
    /// Milliseconds slept since that challenge (back-off and retries).
    slept_ms: u32,
    /// The server's time for the last pair, in ms.
    last_pair_ms: Option<u32>,
    /// The smaller of the server's times for the last two pairs, in ms (0 while unknown).
    pace_ms: u32,
}

impl LoginRun {
    fn new(t: Transfer) -> LoginRun {
        LoginRun {
            attempt: 1,
            stage: Stage::Challenge(t),
            token_us: None,
            slept_ms: 0,
            last_pair_ms: None,
            pace_ms: 0,
        }
    }

    /// Learns the server's pace from a new challenge token: the time since the previous
    /// token, less what this run slept in between, is the last pair's; the pace is the
    /// smaller of the last two pairs' times (congestion that lasts).
    fn clock(&mut self, token: &str) {
        let Some(now) = uniqid_micros(token) else {
            self.token_us = None;
            return;
        };
        if let Some(prev) = self.token_us {
            let ms = now.saturating_sub(prev) / 1000;
            let pair = ms
                .saturating_sub(u64::from(self.slept_ms))
                .min(u64::from(u32::MAX)) as u32;
            self.pace_ms = self.last_pair_ms.map_or(0, |p| p.min(pair));
            self.last_pair_ms = Some(pair);
        }
        self.token_us = Some(now);
        self.slept_ms = 0;
    }
}

#[derive(Debug)]
enum Stage {
    /// `getchallenge` on the wire.
    Challenge(Transfer),
    /// `login` on the wire.
    Login(Transfer),
    /// Sleeping before sending a stage's request again (a gateway or network retry).
    Paused { t: Transfer, challenge: bool },
    /// Sleeping before the next getchallenge + login pair (a lost race).
    Backoff,
}

/// What [`Driver::advance`] does next.
enum Plan {
    Send(Call, Read),
    /// Send a call as multipart with this file (records.rs).
    Upload(Call, crate::vtiger::fields::Upload),
    /// Wait for another exchange's describe (records.rs).
    Wait,
    Done(Value),
    Fail(Error),
    Login,
    Logout(Option<Secret>),
}

#[derive(Debug)]
struct Exchange {
    task: Task,
    state: State,
    /// The session generation the last request was built with.
    sent_gen: u64,
    /// The one re-login + repeat of the current request is used up.
    repeated: bool,
}

/// How a login ended (kept for the exchanges that waited on it).
#[derive(Clone, Debug)]
enum Outcome {
    Ok,
    Failed(Error),
    Abandoned,
}

/// The session driver (see the module docs).
#[derive(Debug)]
pub struct Driver {
    cfg: Config,
    rng: Rng,
    session: Option<Secret>,
    /// Bumped by every new session.
    gen: u64,
    /// The running login: its number and its leader.
    login: Option<(u64, ExchangeId)>,
    /// Numbers given to logins so far.
    logins: u64,
    /// The last settled login.
    outcome: Option<(u64, Outcome)>,
    /// Set when a login settled (or was abandoned): waiting exchanges must be resumed.
    wake: bool,
    info: Option<LoginInfo>,
    /// Optional operations this server answered (`true`) or refused (`false`).
    caps: Vec<(&'static str, bool)>,
    exchanges: Slab<Exchange>,
    /// Describes and what they taught (records.rs).
    meta: records::Meta,
}

impl Driver {
    /// A driver for one endpoint and one session (logged in lazily).
    pub fn new(cfg: Config) -> Driver {
        Driver {
            rng: Rng::new(cfg.seed),
            cfg,
            session: None,
            gen: 0,
            login: None,
            logins: 0,
            outcome: None,
            wake: false,
            info: None,
            caps: Vec::new(),
            exchanges: Slab::default(),
            meta: records::Meta::default(),
        }
    }

    // ---- state the host may read ----------------------------------------------------

    /// True in proxy mode.
    pub fn is_proxy(&self) -> bool {
        matches!(self.cfg.auth, Auth::Proxy { .. })
    }
    /// The normalised `webservice.php` URL.
    pub fn endpoint(&self) -> &str {
        self.cfg.endpoint.url()
    }
    /// The element policy for 4-byte characters.
    pub fn four_byte(&self) -> FourBytePolicy {
        self.cfg.four_byte
    }
    /// True while a session is held.
    pub fn has_session(&self) -> bool {
        self.session.is_some()
    }
    /// The session held now (for a proxy that masks every session name it used in what it
    /// passes on; a client never needs it).
    pub fn session(&self) -> Option<&Secret> {
        self.session.as_ref()
    }
    /// Sessions held so far (bumped by every new session: a login, a renewed extendsession).
    pub fn generation(&self) -> u64 {
        self.gen
    }
    /// True while a login runs.
    pub fn logging_in(&self) -> bool {
        self.login.is_some()
    }
    /// Exchanges in progress (a pool's "how busy").
    pub fn in_flight(&self) -> usize {
        self.exchanges.len()
    }
    /// True once after a login settled or was abandoned: the host resumes every exchange
    /// that got [`Step::Wait`].
    pub fn take_wake(&mut self) -> bool {
        core::mem::take(&mut self.wake)
    }
    /// The last login's information (no session name).
    pub fn login_info(&self) -> Option<&LoginInfo> {
        self.info.as_ref()
    }
    /// Whether this server answered an optional operation (`None`: not tried yet).
    pub fn answered(&self, op: &str) -> Option<bool> {
        self.caps.iter().find(|(o, _)| *o == op).map(|(_, v)| *v)
    }

    /// `{"vtigerVersion","apiVersion","userId","endpoint","operations":{op:bool}}`; members
    /// not known yet are absent.
    pub fn server_info_json(&self) -> String {
        server_info_text(self.info.as_ref(), self.endpoint(), &|op| self.answered(op))
    }

    // ---- starting exchanges -----------------------------------------------------------

    fn begin(&mut self, task: Task) -> Result<(ExchangeId, Step)> {
        let id = self.exchanges.insert(Exchange {
            task,
            state: State::Next,
            sent_gen: 0,
            repeated: false,
        });
        let step = self.advance(id)?;
        Ok((id, step))
    }

    /// Any single-request operation (a typed builder of [`super::ops`] or [`ops::call`]).
    /// The result is the envelope's `result` ([`Read::Clean`] for the host).
    pub fn start_call(&mut self, call: Call) -> Result<(ExchangeId, Step)> {
        self.begin(Task::Call(call))
    }

    /// A call passed on by a proxy ([`super::proxy`]): sent with this driver's session
    /// (lazy login, single flight, the login race), repeated once after a fresh login when
    /// the server refused the session. It ends with [`Value::Nothing`] as soon as any other
    /// answer arrives, success or error envelope or no envelope at all: the host passes the
    /// last response on as it is. A second refusal of the session ends it the same way.
    pub fn start_forward(&mut self, call: Call) -> Result<(ExchangeId, Step)> {
        self.begin(Task::Forward(call))
    }

    /// `query()`: one page as the server answers it; a query too long for a GET is split on
    /// its `IN (…)` list and the answers are merged by `id` (INVALID_INPUT, field `query`,
    /// when it cannot be split). Raw text that fits is sent unchanged.
    pub fn start_query(&mut self, q: QueryText<'_>) -> Result<(ExchangeId, Step)> {
        let texts = self.plan_query(q).map_err(|e| e.with_operation("query"))?;
        self.begin(Task::Query {
            texts,
            next: 0,
            rows: String::new(),
            seen: Set::new(),
        })
    }

    /// `queryAll()` (`count = false`: yields each page's rows) or `count()` (`count =
    /// true`: the number of rows when done), paged by keyset on `id`, over the parts of a
    /// split query when its pages would not fit in a GET.
    pub fn start_pages(&mut self, q: QueryText<'_>, count: bool) -> Result<(ExchangeId, Step)> {
        let (parts, split) = self
            .plan_pages(q, count)
            .map_err(|e| e.with_operation("query"))?;
        self.begin(Task::Pages {
            parts: parts.into(),
            split,
            count,
            seen: Set::new(),
            done_rows: 0,
        })
    }

    /// `queryRelated()` (`collect`: the rows as one JSON array when done) or
    /// `queryRelatedAll()` (yields batches of rows): the records related to `source` by
    /// `label` that match the query, planned by [`RelatedPlan`] (one `query_related` per AND
    /// group, each paged by keyset to its end, merged by id; see [`super::related`]).
    pub fn start_related(
        &mut self,
        q: QueryText<'_>,
        source: WsId,
        label: &str,
        collect: bool,
    ) -> Result<(ExchangeId, Step)> {
        let sel = q.select().map_err(|e| e.with_operation("query_related"))?;
        self.start_related_select(sel, source, label, collect)
    }

    /// [`Driver::start_related`] for a parsed select (`retrieveRelated` is
    /// `SELECT * FROM <relatedType>`).
    pub fn start_related_select(
        &mut self,
        mut sel: Select,
        source: WsId,
        label: &str,
        collect: bool,
    ) -> Result<(ExchangeId, Step)> {
        let plan = sel
            .apply_four_byte(self.cfg.four_byte)
            .and_then(|()| RelatedPlan::new(sel, source, label))
            .map_err(|e| e.with_operation("query_related"))?;
        self.begin(Task::Related {
            plan: Box::new(plan),
            rows: collect.then(String::new),
        })
    }

    /// `sync()` of `module` from `since` (Unix seconds as decimal text, or a checkpoint);
    /// `scope`: `user` (default), `userandgroup` or `application`. A run from a time skips
    /// the strategies this driver already saw failing on this server.
    pub fn start_sync(
        &mut self,
        module: &str,
        since: &str,
        scope: Option<&str>,
    ) -> Result<(ExchangeId, Step)> {
        let run = || -> Result<SyncRun> {
            let s = since.trim();
            let from_time = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let mut run = match self.answered("sync") {
                Some(false) if from_time => {
                    let secs: i64 = s.parse().map_err(|_| {
                        Error::invalid_input("since", "the Unix time is out of range")
                    })?;
                    let wsapp_failed = self.answered("wsapp_register") == Some(false)
                        || self.answered("wsapp_get") == Some(false);
                    let strategy = if wsapp_failed {
                        Strategy::Query
                    } else {
                        Strategy::Wsapp
                    };
                    SyncRun::from_time_with(module, secs, strategy)?
                }
                _ => SyncRun::new(module, since)?,
            };
            if let Some(scope) = scope {
                run.set_scope(scope)?;
            }
            Ok(run)
        };
        let run = run().map_err(|e| e.with_operation("sync"))?;
        self.begin(Task::Sync {
            run,
            op: String::new(),
        })
    }

    /// `login()`: a fresh login now (or the one already running). The result is the login
    /// information as JSON text (no session name). UNSUPPORTED in proxy mode.
    pub fn start_login(&mut self) -> Result<(ExchangeId, Step)> {
        self.no_proxy(
            "login",
            "in proxy mode the proxy logs in; the client never does",
        )?;
        self.begin(Task::Login { begun: false })
    }

    /// `logout()`: ends the session (cleared locally at once). `{"message":"no session"}`
    /// without a session or in proxy mode (nothing is sent). A failure is reported.
    pub fn start_logout(&mut self) -> Result<(ExchangeId, Step)> {
        self.begin(Task::Logout)
    }

    /// `extendSession()`: the session's information (JSON text, no session name); the
    /// driver keeps the (possibly new) session. UNSUPPORTED in proxy mode.
    pub fn start_extend_session(&mut self) -> Result<(ExchangeId, Step)> {
        self.no_proxy("extendsession", "in proxy mode the proxy owns the session")?;
        self.begin(Task::Extend)
    }

    fn no_proxy(&self, op: &str, why: &str) -> Result<()> {
        if self.is_proxy() {
            return Err(Error::new(ErrorCode::Unsupported, why).with_operation(op));
        }
        Ok(())
    }

    // ---- the host's inputs ------------------------------------------------------------

    /// Continues an exchange after [`Step::Sleep`], [`Step::Wait`] or [`Step::Yield`].
    pub fn resume(&mut self, id: ExchangeId) -> Result<Step> {
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        match core::mem::replace(&mut ex.state, State::Next) {
            State::Retry(t) => {
                let step = t.send();
                ex.state = State::Sent(t);
                Ok(step)
            }
            State::Waiting(n) => {
                if self.login.is_some_and(|(running, _)| running == n) {
                    ex.state = State::Waiting(n);
                    return Ok(Step::Wait);
                }
                if let Some((no, Outcome::Failed(e))) = &self.outcome {
                    if *no == n {
                        let e = e.clone();
                        return self.finish_err(id, e);
                    }
                }
                self.advance(id)
            }
            State::Login(mut run) => {
                let t = match core::mem::replace(&mut run.stage, Stage::Backoff) {
                    Stage::Paused { t, challenge } => {
                        let step = t.send();
                        run.stage = if challenge {
                            Stage::Challenge(t)
                        } else {
                            Stage::Login(t)
                        };
                        self.set_state(id, State::Login(run));
                        return Ok(step);
                    }
                    Stage::Backoff => self.challenge_transfer(),
                    other => {
                        run.stage = other;
                        self.set_state(id, State::Login(run));
                        return Err(unknown_exchange());
                    }
                };
                match t {
                    Ok(t) => {
                        let step = t.send();
                        run.stage = Stage::Challenge(t);
                        self.set_state(id, State::Login(run));
                        Ok(step)
                    }
                    Err(e) => {
                        self.settle(Outcome::Failed(e.clone()));
                        self.finish_err(id, e)
                    }
                }
            }
            State::Sent(t) => {
                ex.state = State::Sent(t);
                Err(unknown_exchange())
            }
            State::Next => self.advance(id),
        }
    }

    /// The answer to the exchange's last [`Step::Send`]; `location` is its `Location` header
    /// (redirects), status 0 a redirect the runtime hides.
    pub fn handle(
        &mut self,
        id: ExchangeId,
        resp: &HttpResponse,
        location: Option<&str>,
    ) -> Result<Step> {
        let retry = self.cfg.retry;
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        match core::mem::replace(&mut ex.state, State::Next) {
            State::Sent(mut t) => match t.check(resp, location, &retry) {
                Err(e) => self.give_up(id, e),
                Ok(Checked::Again(step)) => {
                    ex.state = if matches!(step, Step::Sleep(_)) {
                        State::Retry(t)
                    } else {
                        State::Sent(t)
                    };
                    Ok(step)
                }
                Ok(Checked::Answer) => self.answer(id, t, resp),
            },
            State::Login(mut run) => {
                let (mut t, challenge) = match core::mem::replace(&mut run.stage, Stage::Backoff) {
                    Stage::Challenge(t) => (t, true),
                    Stage::Login(t) => (t, false),
                    other => {
                        run.stage = other;
                        ex.state = State::Login(run);
                        return Err(unknown_exchange());
                    }
                };
                match t.check(resp, location, &retry) {
                    Err(e) => {
                        self.settle(Outcome::Failed(e.clone()));
                        self.finish_err(id, e)
                    }
                    Ok(Checked::Again(step)) => {
                        run.stage = match step {
                            Step::Sleep(ms) => {
                                run.slept_ms = run.slept_ms.saturating_add(ms);
                                Stage::Paused { t, challenge }
                            }
                            _ if challenge => Stage::Challenge(t),
                            _ => Stage::Login(t),
                        };
                        ex.state = State::Login(run);
                        Ok(step)
                    }
                    Ok(Checked::Answer) if challenge => self.on_challenge(id, run, resp),
                    Ok(Checked::Answer) => self.on_login(id, run, resp),
                }
            }
            other => {
                ex.state = other;
                Err(unknown_exchange())
            }
        }
    }

    /// The host parsed the last answer itself (a clean success envelope, [`Read::Clean`]);
    /// for [`Read::CleanRows`], `rows` is the result array's length and `last_id` its last
    /// row's `id`.
    #[inline(never)]
    pub fn clean(&mut self, id: ExchangeId, rows: usize, last_id: Option<&str>) -> Result<Step> {
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        let t = match core::mem::replace(&mut ex.state, State::Next) {
            State::Sent(t) if t.read != Read::Core => t,
            other => {
                ex.state = other;
                return Err(unknown_exchange());
            }
        };
        // Pages: `Some(yield the rows?)`; anything else: `None`, the result is the value.
        let paged: Result<Option<bool>> = match &mut ex.task {
            Task::Pages {
                parts,
                count,
                done_rows,
                ..
            } => (|| {
                let part = parts.front_mut().ok_or_else(unknown_exchange)?;
                part.advance(rows, last_id)?;
                if part.next_query().is_none() {
                    if let Some(p) = parts.pop_front() {
                        *done_rows += p.rows();
                    }
                }
                Ok(Some(!*count && rows > 0))
            })(),
            _ => Ok(None),
        };
        ex.repeated = false;
        self.note(&t.operation, true);
        match paged {
            Err(e) => self.finish_err(id, e),
            Ok(None) => {
                self.exchanges.remove(id);
                Ok(Step::Done(Value::Clean))
            }
            Ok(Some(true)) => Ok(Step::Yield(Value::Clean)),
            Ok(Some(false)) => self.advance(id),
        }
    }

    /// The last [`Step::Send`] failed in transport (`error`: TRANSPORT, TIMEOUT,
    /// RESPONSE_TOO_LARGE, ABORTED…). `Ok(Step::Sleep)` to retry it (a GET after a network
    /// failure, while retries are left); `Err(error)` to give up (the host reports its own
    /// error). A login led by this exchange fails with it (ABORTED abandons it instead).
    pub fn fail(&mut self, id: ExchangeId, error: Error) -> Result<Step> {
        let retry = self.cfg.retry;
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        let error = match (&error.operation, &ex.state) {
            (None, State::Sent(t))
            | (
                None,
                State::Login(LoginRun {
                    stage: Stage::Challenge(t) | Stage::Login(t),
                    ..
                }),
            ) => error.with_operation(t.operation.clone()),
            _ => error,
        };
        match core::mem::replace(&mut ex.state, State::Next) {
            State::Sent(mut t) => {
                if let Some(ms) = t.failed(&error, &retry) {
                    ex.state = State::Retry(t);
                    return Ok(Step::Sleep(ms));
                }
                if matches!(ex.task, Task::Release) {
                    self.exchanges.remove(id);
                    return Ok(Step::Done(Value::Nothing));
                }
            }
            State::Login(mut run) => {
                if let Stage::Challenge(mut t) = core::mem::replace(&mut run.stage, Stage::Backoff)
                {
                    if let Some(ms) = t.failed(&error, &retry) {
                        run.slept_ms = run.slept_ms.saturating_add(ms);
                        run.stage = Stage::Paused { t, challenge: true };
                        ex.state = State::Login(run);
                        return Ok(Step::Sleep(ms));
                    }
                }
            }
            _ => {}
        }
        if matches!(self.exchanges.get(id).map(|x| &x.task), Some(Task::Logout))
            && error.code != ErrorCode::Aborted
        {
            return Ok(self.logout_failed(id, &error));
        }
        if self.login.is_some_and(|(_, leader)| leader == id) {
            self.settle(if error.code == ErrorCode::Aborted {
                Outcome::Abandoned
            } else {
                Outcome::Failed(error.clone())
            });
        }
        self.finish_err(id, error)
    }

    /// The host abandons an exchange (its caller aborted, or left an iterator early). A
    /// login it leads is abandoned (waiters are woken and one of them leads the next). An
    /// unfinished sync run with a wsapp registration returns the request that releases it
    /// (send it and hand its answer back; failures are ignored); otherwise `None`.
    pub fn close(&mut self, id: ExchangeId) -> Option<Step> {
        self.end_describe_lead(id);
        if self.login.is_some_and(|(_, leader)| leader == id) {
            self.settle(Outcome::Abandoned);
        }
        let can_send = self.is_proxy() || self.session.is_some();
        let ex = self.exchanges.get_mut(id)?;
        let release = match &mut ex.task {
            Task::Sync { run, .. } => run.close_call().filter(|_| can_send),
            _ => None,
        };
        if let Some(req) = release.as_ref().and_then(|c| self.request(c).ok()) {
            let t = Transfer::new("wsapp_deregister", req, Read::Core);
            let step = t.send();
            let ex = ex_task(&mut self.exchanges, id);
            ex.task = Task::Release;
            ex.state = State::Sent(t);
            return Some(step);
        }
        self.exchanges.remove(id);
        None
    }

    // ---- internals --------------------------------------------------------------------

    fn set_state(&mut self, id: ExchangeId, state: State) {
        if let Some(ex) = self.exchanges.get_mut(id) {
            ex.state = state;
        }
    }

    fn finish_err(&mut self, id: ExchangeId, e: Error) -> Result<Step> {
        self.end_describe_lead(id);
        self.exchanges.remove(id);
        Err(e)
    }

    /// An HTTP-level failure of the exchange's own request (a refused redirect).
    fn give_up(&mut self, id: ExchangeId, e: Error) -> Result<Step> {
        if matches!(self.exchanges.get(id).map(|x| &x.task), Some(Task::Release)) {
            self.exchanges.remove(id);
            return Ok(Step::Done(Value::Nothing));
        }
        self.finish_err(id, e)
    }

    /// Records whether an optional operation answered.
    fn note(&mut self, op: &str, ok: bool) {
        let Some(name) = OPTIONAL_OPERATIONS.iter().find(|o| **o == op) else {
            return;
        };
        match self.caps.iter_mut().find(|(o, _)| o == name) {
            Some(slot) => slot.1 = ok,
            None => self.caps.push((name, ok)),
        }
    }

    /// Records a failure: an operation the server does not have.
    fn note_failure(&mut self, op: &str, e: &Error) {
        if e.code == ErrorCode::UnknownOperation
            || (e.status.is_some_and(|s| s >= 500) && e.code != ErrorCode::Timeout)
        {
            self.note(op, false);
        }
    }

    /// The request for a call: the session (or the proxy's bearer token) added.
    fn request(&self, call: &Call) -> Result<crate::http::HttpRequest> {
        match &self.cfg.auth {
            Auth::Login { .. } => call.to_request(&self.cfg.endpoint, self.session.as_ref()),
            Auth::Proxy { token } => {
                let mut c = call.clone();
                c.needs_session = false;
                let mut r = c.to_request(&self.cfg.endpoint, None)?;
                if let Some(t) = token {
                    r.headers
                        .push(("Authorization".to_owned(), cat!("Bearer ", t.expose())));
                }
                Ok(r)
            }
        }
    }

    fn challenge_transfer(&self) -> Result<Transfer> {
        let Auth::Login { username, .. } = &self.cfg.auth else {
            return Err(Error::new(
                ErrorCode::Unsupported,
                "proxy mode has no login",
            ));
        };
        let call = ops::getchallenge(username)?;
        let req = call.to_request(&self.cfg.endpoint, None)?;
        Ok(Transfer::new("getchallenge", req, Read::Core))
    }

    /// Makes exchange `id` lead a new login, or wait for the running one.
    fn need_login(&mut self, id: ExchangeId) -> Result<Step> {
        if let Some((n, leader)) = self.login {
            if leader != id {
                self.set_state(id, State::Waiting(n));
                return Ok(Step::Wait);
            }
        }
        self.logins += 1;
        self.login = Some((self.logins, id));
        match self.challenge_transfer() {
            Ok(t) => {
                let step = t.send();
                self.set_state(id, State::Login(LoginRun::new(t)));
                Ok(step)
            }
            Err(e) => {
                self.settle(Outcome::Failed(e.clone()));
                self.finish_err(id, e)
            }
        }
    }

    fn settle(&mut self, outcome: Outcome) {
        if let Some((n, _)) = self.login.take() {
            self.outcome = Some((n, outcome));
            self.wake = true;
        }
    }

    #[inline(never)]
    fn on_challenge(
        &mut self,
        id: ExchangeId,
        mut run: LoginRun,
        resp: &HttpResponse,
    ) -> Result<Step> {
        let req = match &self.cfg.auth {
            Auth::Login {
                username,
                access_key,
            } => results::parse_challenge(resp)
                .and_then(|ch| {
                    run.clock(ch.token.expose());
                    ops::login(username, &ch.token, access_key)
                })
                .and_then(|c| c.to_request(&self.cfg.endpoint, None)),
            Auth::Proxy { .. } => Err(unknown_exchange()),
        };
        match req {
            Ok(req) => {
                let t = Transfer::new("login", req, Read::Core);
                let step = t.send();
                run.stage = Stage::Login(t);
                self.set_state(id, State::Login(run));
                Ok(step)
            }
            Err(e) => {
                self.settle(Outcome::Failed(e.clone()));
                self.finish_err(id, e)
            }
        }
    }

    #[inline(never)]
    fn on_login(&mut self, id: ExchangeId, mut run: LoginRun, resp: &HttpResponse) -> Result<Step> {
        let lost_race = |e: &Error| {
            matches!(
                e.code,
                ErrorCode::InvalidUserCredentials | ErrorCode::InvalidAuthToken
            )
        };
        match results::parse_login(resp) {
            Ok(info) => {
                self.session = Some(info.session.clone());
                self.gen += 1;
                self.info = Some(info);
                self.settle(Outcome::Ok);
                if let Some(Task::Login { .. }) = self.exchanges.get(id).map(|e| &e.task) {
                    let text = self.info.as_ref().map(login_info_json).unwrap_or_default();
                    self.exchanges.remove(id);
                    return Ok(Step::Done(Value::Text(text)));
                }
                self.advance(id)
            }
            Err(e) if lost_race(&e) && run.attempt < self.cfg.login.attempts => {
                let ms = self
                    .cfg
                    .login
                    .delay(run.attempt, self.rng.unit(), run.pace_ms);
                run.slept_ms = run.slept_ms.saturating_add(ms);
                run.attempt += 1;
                run.stage = Stage::Backoff;
                self.set_state(id, State::Login(run));
                Ok(Step::Sleep(ms))
            }
            Err(mut e) => {
                if lost_race(&e) {
                    e.message.push_str(" (refused ");
                    e.message.push_str(&run.attempt.text());
                    e.message.push_str(" times after fresh challenges: a wrong access key, or a login race that did not end)");
                }
                self.settle(Outcome::Failed(e.clone()));
                self.finish_err(id, e)
            }
        }
    }

    /// Builds and sends the exchange's next request, logging in first when needed; or ends
    /// the exchange.
    fn advance(&mut self, id: ExchangeId) -> Result<Step> {
        let proxy = self.is_proxy();
        let has_session = self.session.is_some();
        let login_running = self.login.is_some();
        let ex = self.exchanges.get_mut(id).ok_or_else(unknown_exchange)?;
        ex.state = State::Next;
        let plan = match &mut ex.task {
            Task::Write(_) | Task::Describe(_) | Task::Files(_) => self.plan_records(id),
            Task::Call(c) => Plan::Send(c.clone(), Read::Clean),
            Task::Forward(c) => Plan::Send(c.clone(), Read::Core),
            Task::Query {
                texts, next, rows, ..
            } => query_plan(texts, *next, rows),
            Task::Pages {
                parts,
                split,
                count,
                seen,
                done_rows,
            } => pages_plan(parts, *split, *count, seen.len(), done_rows),
            Task::Related { plan, rows } => related_plan(plan, rows.as_deref()),
            Task::Sync { run, op } => sync_plan(run, op, proxy),
            Task::Release => Plan::Done(Value::Nothing),
            Task::Login { begun } => {
                if *begun && has_session && !login_running {
                    Plan::Done(Value::Text(
                        self.info.as_ref().map(login_info_json).unwrap_or_default(),
                    ))
                } else {
                    if !*begun && !login_running {
                        // A fresh login, even with a session held.
                        self.session = None;
                    }
                    *begun = true;
                    Plan::Login
                }
            }
            Task::Logout if proxy || !has_session => {
                Plan::Done(Value::Text("{\"message\":\"no session\"}".to_owned()))
            }
            // The session is gone locally whatever the server answers.
            Task::Logout => Plan::Logout(self.session.take()),
            Task::Extend => Plan::Send(ops::extendsession(), Read::Core),
        };
        let (call, read, upload) = match plan {
            Plan::Send(call, read) => (call, read, None),
            Plan::Upload(call, file) => (call, Read::Core, Some(file)),
            Plan::Wait => {
                self.set_state(id, State::Waiting(records::AWAIT_DESCRIBE));
                return Ok(Step::Wait);
            }
            Plan::Done(v) => {
                self.exchanges.remove(id);
                return Ok(Step::Done(v));
            }
            Plan::Fail(e) => return self.finish_err(id, e),
            Plan::Login => return self.need_login(id),
            Plan::Logout(session) => return self.send_logout(id, session),
        };
        if call.needs_session && !proxy && !has_session {
            return self.need_login(id);
        }
        let built = match &upload {
            None => self.request(&call).map(|r| (r, None)),
            Some(f) => self.upload_request(&call, f).map(|(r, at)| (r, Some(at))),
        };
        match built {
            Ok((req, at)) => {
                let gen = self.gen;
                let mut t = Transfer::new(call.operation.clone(), req, read);
                t.upload = at;
                let step = t.send();
                let ex = ex_task(&mut self.exchanges, id);
                ex.sent_gen = gen;
                ex.state = State::Sent(t);
                Ok(step)
            }
            Err(e) => self.finish_err(id, e),
        }
    }

    /// Sends `logout` with the session just dropped.
    #[inline(never)]
    fn send_logout(&mut self, id: ExchangeId, session: Option<Secret>) -> Result<Step> {
        let req = ops::logout().to_request(&self.cfg.endpoint, session.as_ref());
        match req {
            Ok(req) => {
                let t = Transfer::new("logout", req, Read::Core);
                let step = t.send();
                self.set_state(id, State::Sent(t));
                Ok(step)
            }
            Err(e) => self.finish_err(id, e),
        }
    }

    /// An answer the protocol reads (after [`Transfer::check`]).
    #[inline(never)]
    fn answer(&mut self, id: ExchangeId, t: Transfer, resp: &HttpResponse) -> Result<Step> {
        let op = t.operation.as_str();
        let proxy = self.is_proxy();
        let led = self.end_describe_lead(id);
        let ex = ex_task(&mut self.exchanges, id);
        let repeated = ex.repeated;
        // `Ok(Some(step))`: hand this to the host; `Ok(None)`: go on with the next request.
        let mut sync_note = None;
        let mut new_session = None;
        let mut learned = None;
        let result: Result<Option<Step>> = match &mut ex.task {
            task @ (Task::Write(_) | Task::Describe(_) | Task::Files(_)) => {
                records::answer(task, op, resp).map(|l| match l {
                    records::Learned::Step(s) => Some(s),
                    l => {
                        learned = Some(l);
                        None
                    }
                })
            }
            Task::Call(_) => envelope::decode_raw_ref(resp, op)
                .map(|text| Some(Step::Done(Value::Text(text.into_owned())))),
            // Only a refused session is the driver's business (the first one: re-login and
            // repeat below); any other answer is the result, as received.
            // (Every error envelope says `false`: a body without it is decoded by the host's
            // reader only, not twice.)
            Task::Forward(_) if repeated || !contains(&resp.body, b"false") => {
                Ok(Some(Step::Done(Value::Nothing)))
            }
            Task::Forward(_) => match envelope::decode_raw_ref(resp, op) {
                Err(e) if e.code.is_session_expiry() => Err(e),
                _ => Ok(Some(Step::Done(Value::Nothing))),
            },
            Task::Query {
                next, rows, seen, ..
            } => query_answer(resp, op, next, rows, seen),
            Task::Pages {
                parts,
                split,
                count,
                seen,
                done_rows,
            } => pages_answer(resp, op, parts, *split, *count, seen, done_rows),
            Task::Related { plan, rows } => related_answer(resp, op, plan, rows.as_mut()),
            Task::Sync { run, op: sop } => sync_answer(resp, run, sop, &mut sync_note),
            // Best effort: whatever the answer, the release is over.
            Task::Release => Ok(Some(Step::Done(Value::Nothing))),
            Task::Login { .. } => Err(unknown_exchange()),
            Task::Logout => logout_answer(resp, op),
            Task::Extend => extend_answer(resp, &mut new_session),
        };
        let release = matches!(ex.task, Task::Release);
        let is_sync = matches!(ex.task, Task::Sync { .. });
        if let Some(l) = learned {
            self.learn(l, led);
        }
        if let Some(s) = new_session {
            if self.session.as_ref() != Some(&s) {
                self.session = Some(s);
                self.gen += 1;
            }
        }
        if let Some((sop, before, after, got)) = sync_note {
            self.note_sync(&sop, before, after, got);
        }
        match result {
            Ok(step) => {
                if !release && !is_sync {
                    self.note(op, true);
                }
                match step {
                    Some(Step::Done(v)) => {
                        self.exchanges.remove(id);
                        Ok(Step::Done(v))
                    }
                    Some(step) => {
                        // A yield: the next request is built on resume.
                        let ex = ex_task(&mut self.exchanges, id);
                        ex.repeated = false;
                        ex.state = State::Next;
                        Ok(step)
                    }
                    None => {
                        ex_task(&mut self.exchanges, id).repeated = false;
                        self.advance(id)
                    }
                }
            }
            Err(e) => {
                let gen = self.gen;
                let ex = ex_task(&mut self.exchanges, id);
                let logout = matches!(ex.task, Task::Logout);
                if e.code.is_session_expiry() && !proxy && !logout && !ex.repeated {
                    ex.repeated = true;
                    if ex.sent_gen == gen {
                        self.session = None;
                    }
                    return self.advance(id);
                }
                if !is_sync {
                    self.note_failure(op, &e);
                }
                if logout {
                    return Ok(self.logout_failed(id, &e));
                }
                self.finish_err(id, e)
            }
        }
    }

    /// Which sync strategies this server answers (read by later runs).
    fn note_sync(&mut self, op: &str, before: &str, after: &str, got_batch: bool) {
        if before == "sync" {
            let ok = after == "sync" && (got_batch || self.answered("sync") == Some(true));
            self.note("sync", ok);
        } else if before == "wsapp" && (op == "wsapp_register" || op == "wsapp_get") {
            self.note(op, after != "query");
        }
    }

    // ---- query planning ---------------------------------------------------------------

    /// Length of the GET URL of `query(vtql)`, with room for the session name.
    fn get_url_len(&self, vtql: &str) -> usize {
        let mut enc = String::with_capacity(vtql.len() * 2);
        crate::encode::encode_component(vtql, &mut enc);
        let session = if self.is_proxy() {
            0
        } else {
            SESSION_URL_BUDGET
                .max("&sessionName=".len() + self.session.as_ref().map_or(0, |s| s.expose().len()))
        };
        self.endpoint().len() + "?operation=query&query=".len() + enc.len() + session
    }

    fn plan_query(&self, q: QueryText<'_>) -> Result<Vec<String>> {
        if let QueryText::Raw(text) = q {
            // Raw text that fits is sent as written (4-byte policy applied).
            let text = four_byte_text(text, self.cfg.four_byte)?;
            if self.get_url_len(&text) <= ops::MAX_GET_URL_BYTES {
                return Ok(vec![text.into_owned()]);
            }
        }
        let sel = match q {
            QueryText::Raw(text) => Select::parse(text).map_err(|e| {
                Error::invalid_input(
                    "query",
                    cat!(
                        "the query's GET URL would exceed ",
                        ops::MAX_GET_URL_BYTES,
                        " bytes and the text cannot be split into several queries (",
                        e.message,
                        ")"
                    ),
                )
            })?,
            QueryText::Spec(_) => q.select()?,
        };
        let mut sel = sel;
        sel.apply_four_byte(self.cfg.four_byte)?;
        let fits = |s: &Select| -> Result<bool> {
            Ok(self.get_url_len(&s.render()?) <= ops::MAX_GET_URL_BYTES)
        };
        match split_select(&sel, &fits)? {
            None => Ok(vec![sel.render()?]),
            Some(parts) => {
                let mut texts = Vec::with_capacity(parts.len());
                for p in parts {
                    texts.push(with_id(p).render()?);
                }
                Ok(texts)
            }
        }
    }

    fn plan_pages(&self, q: QueryText<'_>, count: bool) -> Result<(Vec<Part>, bool)> {
        let mut sel = q.select()?;
        sel.apply_four_byte(self.cfg.four_byte)?;
        let fits = |s: &Select| -> Result<bool> {
            let first = if count {
                Count::new(s.clone())?.next_query()
            } else {
                QueryAll::new(s.clone())?.next_query()
            };
            Ok(
                first.map_or(0, |q| self.get_url_len(&q)) + KEYSET_URL_BUDGET
                    <= ops::MAX_GET_URL_BYTES,
            )
        };
        Ok(match split_select(&sel, &fits)? {
            None => (
                vec![if count {
                    Part::Count(Count::new(sel)?)
                } else {
                    Part::All(QueryAll::new(sel)?)
                }],
                false,
            ),
            // Split: every part pages ids too, so that rows can be merged by id.
            Some(parts) => {
                let mut all = Vec::with_capacity(parts.len());
                for p in parts {
                    all.push(Part::All(QueryAll::new(if count {
                        ids_only(p)
                    } else {
                        with_id(p)
                    })?));
                }
                (all, true)
            }
        })
    }
}

// The per-task arms of `Driver::advance` and `Driver::answer`, kept out of line: V8 compiles a
// wasm function whole on its first call (Liftoff), so a first login or retrieve must not pay
// for the query, paging, related and sync code inlined into the functions it runs.

#[inline(never)]
fn query_plan(texts: &[String], next: usize, rows: &str) -> Plan {
    match texts.get(next) {
        Some(t) => {
            let read = if texts.len() == 1 {
                Read::Clean
            } else {
                Read::Core
            };
            match ops::query(t) {
                Ok(c) => Plan::Send(c, read),
                Err(e) => Plan::Fail(e),
            }
        }
        None => Plan::Done(Value::Text(bracket(rows))),
    }
}

#[inline(never)]
fn pages_plan(
    parts: &mut VecDeque<Part>,
    split: bool,
    count: bool,
    seen: usize,
    done_rows: &mut u64,
) -> Plan {
    let mut q = None;
    while let Some(p) = parts.front() {
        if let Some(text) = p.next_query() {
            q = Some(text);
            break;
        }
        if let Some(p) = parts.pop_front() {
            *done_rows += p.rows();
        }
    }
    match q {
        Some(text) => match ops::query(&text) {
            Ok(c) => Plan::Send(c, if split { Read::Core } else { Read::CleanRows }),
            Err(e) => Plan::Fail(e),
        },
        None if count => Plan::Done(Value::Text(
            if split { seen as u64 } else { *done_rows }.text(),
        )),
        None => Plan::Done(Value::Nothing),
    }
}

#[inline(never)]
fn related_plan(plan: &mut RelatedPlan, rows: Option<&str>) -> Plan {
    match plan.next_query() {
        Some(text) => match ops::query_related(&text, plan.source(), plan.label()) {
            Ok(c) => Plan::Send(c, Read::Core),
            Err(e) => Plan::Fail(e),
        },
        None => Plan::Done(rows.map_or(Value::Nothing, |r| Value::Text(bracket(r)))),
    }
}

#[inline(never)]
fn sync_plan(run: &mut SyncRun, op: &mut String, proxy: bool) -> Plan {
    match run.next_call() {
        Some(mut c) => {
            if proxy && c.operation == "wsapp_register" {
                // crmwire/proxy binds the key it hands out to this module (a proxy
                // with a module allowlist refuses a registration without it); the
                // server reads only `type` and `synctype`, and the proxy drops it.
                c.params
                    .push(("elementType".to_owned(), run.module().to_owned()));
            }
            op.clone_from(&c.operation);
            Plan::Send(c, Read::Core)
        }
        None => Plan::Done(Value::Nothing),
    }
}

#[inline(never)]
fn query_answer(
    resp: &HttpResponse,
    op: &str,
    next: &mut usize,
    rows: &mut String,
    seen: &mut Set<String>,
) -> Result<Option<Step>> {
    let text = envelope::decode_raw_ref(resp, op)?;
    merge_rows(&text, rows, seen)?;
    *next += 1;
    Ok(None)
}

#[inline(never)]
fn pages_answer(
    resp: &HttpResponse,
    op: &str,
    parts: &mut VecDeque<Part>,
    split: bool,
    count: bool,
    seen: &mut Set<String>,
    done_rows: &mut u64,
) -> Result<Option<Step>> {
    let text = envelope::decode_raw_ref(resp, op)?;
    let part = parts.front_mut().ok_or_else(unknown_exchange)?;
    part.advance_page(&text)?;
    if part.next_query().is_none() {
        if let Some(p) = parts.pop_front() {
            *done_rows += p.rows();
        }
    }
    let mut fresh = String::new();
    if split {
        merge_rows(&text, &mut fresh, seen)?;
    } else if !count {
        // Only PHP's `{}` for an empty list, or text the host could not parse.
        append_rows(&text, &mut fresh)?;
    }
    Ok(if count || fresh.is_empty() {
        None
    } else {
        Some(Step::Yield(Value::Text(bracket(&fresh))))
    })
}

#[inline(never)]
fn related_answer(
    resp: &HttpResponse,
    op: &str,
    plan: &mut RelatedPlan,
    rows: Option<&mut String>,
) -> Result<Option<Step>> {
    let text = envelope::decode_raw_ref(resp, op)?;
    let fresh = plan.advance_page(&text)?;
    Ok(match rows {
        Some(all) => {
            if !fresh.is_empty() {
                if !all.is_empty() {
                    all.push(',');
                }
                all.push_str(&fresh);
            }
            None
        }
        None if fresh.is_empty() => None,
        None => Some(Step::Yield(Value::Text(bracket(&fresh)))),
    })
}

type SyncNote = Option<(String, &'static str, &'static str, bool)>;

#[inline(never)]
fn sync_answer(
    resp: &HttpResponse,
    run: &mut SyncRun,
    sop: &str,
    note: &mut SyncNote,
) -> Result<Option<Step>> {
    let before = run.strategy();
    run.handle(resp).map(|batch| {
        *note = Some((sop.to_owned(), before, run.strategy(), batch.is_some()));
        batch.map(|b| Step::Yield(Value::Text(batch_json(&b))))
    })
}

#[inline(never)]
fn logout_answer(resp: &HttpResponse, op: &str) -> Result<Option<Step>> {
    envelope::decode_raw(resp, op).map(|text| {
        let text = if text == "null" {
            "{}".to_owned()
        } else {
            text
        };
        Some(Step::Done(Value::Text(text)))
    })
}

#[inline(never)]
fn extend_answer(resp: &HttpResponse, new_session: &mut Option<Secret>) -> Result<Option<Step>> {
    results::parse_extendsession(resp).map(|info| {
        let text = login_info_json(&info);
        *new_session = Some(info.session);
        Some(Step::Done(Value::Text(text)))
    })
}

/// True when `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    hay.windows(needle.len())
        .any(|w| w[0] == first && w == needle)
}

fn ex_task(slab: &mut Slab<Exchange>, id: ExchangeId) -> &mut Exchange {
    slab.get_mut(id).expect("the exchange exists")
}

/// Makes sure `id` is selected (a split query's rows are merged by id).
fn with_id(mut s: Select) -> Select {
    if !s.fields.is_empty() && !s.fields.iter().any(|f| f.eq_ignore_ascii_case("id")) {
        s.fields.push("id".to_owned());
    }
    s
}

/// `SELECT id` (counting a split query pages ids and counts the distinct ones).
fn ids_only(mut s: Select) -> Select {
    s.fields = vec!["id".to_owned()];
    s
}

/// `[` + comma-separated rows + `]`.
fn bracket(rows: &str) -> String {
    let mut out = String::with_capacity(rows.len() + 2);
    out.push('[');
    out.push_str(rows);
    out.push(']');
    out
}

fn bad_rows(msg: String) -> Error {
    Error::new(ErrorCode::InvalidResponse, msg).with_operation("query")
}

/// Appends the rows of a page (comma-separated record texts) to `out`.
fn append_rows(text: &str, out: &mut String) -> Result<()> {
    for r in scan_records(text).map_err(bad_rows)? {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&text[r.range]);
    }
    Ok(())
}

/// Appends the rows of a page to `out`, skipping rows whose `id` is already in `seen` (rows
/// without an id are always kept).
fn merge_rows(text: &str, out: &mut String, seen: &mut Set<String>) -> Result<()> {
    for r in scan_records(text).map_err(bad_rows)? {
        if let Ok(id) = string_member(text, r.id.as_ref(), "id") {
            if !seen.insert(id.into_owned()) {
                continue;
            }
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&text[r.range]);
    }
    Ok(())
}

/// `{"updated":[…],"deleted":[…],"checkpoint":"…","strategy":"…"}`
fn batch_json(b: &super::sync::Batch) -> String {
    let mut out = String::with_capacity(b.updated_json.len() + 64 + b.checkpoint.len());
    out.push_str("{\"updated\":");
    out.push_str(&b.updated_json);
    out.push_str(",\"deleted\":[");
    for (i, d) in b.deleted.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::quote(d, &mut out);
    }
    out.push_str("],\"checkpoint\":");
    json::quote(&b.checkpoint, &mut out);
    out.push_str(",\"strategy\":");
    json::quote(b.strategy, &mut out);
    out.push('}');
    out
}

/// The login information as JSON text, without the session name:
/// `{"userId","version","vtigerVersion","username"?,"profile":{…}}`.
pub fn login_info_json(info: &LoginInfo) -> String {
    let mut out = String::from("{");
    let mut push = |k: &str, v: &str| {
        if out.len() > 1 {
            out.push(',');
        }
        json::quote(k, &mut out);
        out.push(':');
        json::quote(v, &mut out);
    };
    push("userId", &info.user_id);
    push("version", &info.version);
    push("vtigerVersion", &info.vtiger_version);
    if let Some(u) = &info.username {
        push("username", u);
    }
    out.push_str(",\"profile\":");
    info.profile.write_json(&mut out);
    out.push('}');
    out
}

/// The server information text of [`Driver::server_info_json`] (and of the session pool's):
/// the login information, the endpoint, and each optional operation `answered` knows
/// (`None`: not tried yet).
pub(crate) fn server_info_text(
    info: Option<&LoginInfo>,
    endpoint: &str,
    answered: &dyn Fn(&str) -> Option<bool>,
) -> String {
    let mut out = String::from("{");
    if let Some(i) = info {
        for (k, v) in [
            ("vtigerVersion", &i.vtiger_version),
            ("apiVersion", &i.version),
            ("userId", &i.user_id),
        ] {
            json::quote(k, &mut out);
            out.push(':');
            json::quote(v, &mut out);
            out.push(',');
        }
    }
    out.push_str("\"endpoint\":");
    json::quote(endpoint, &mut out);
    out.push_str(",\"operations\":{");
    let mut first = true;
    for op in OPTIONAL_OPERATIONS {
        if let Some(v) = answered(op) {
            if !first {
                out.push(',');
            }
            first = false;
            json::quote(op, &mut out);
            out.push_str(if v { ":true" } else { ":false" });
        }
    }
    out.push_str("}}");
    out
}
