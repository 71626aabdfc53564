//! The checkpoint format (see the module docs of [`super`]): written after every batch,
//! parsed and validated when a run resumes, and the hash of a boundary record's text.

use super::time::MAX_TIME;
use super::{bad_since, Strategy};
use crate::error::Result;
use crate::prelude::*;
use crate::vtiger::id::WsId;
use crate::vtiger::vtql;

/// Most boundary entries a checkpoint may hold when parsed.
const MAX_CHECKPOINT_ENTRIES: usize = 100_000;

/// A record delivered in the boundary second: record id and hash of its text.
pub(super) type Entry = (WsId, u64);

/// `v1:<strategy>:<module>:<unix seconds T>:<id>.<hash>,<id>.<hash>…`
pub(super) fn format(strategy: &str, module: &str, t: i64, boundary: &[Entry]) -> String {
    let mut out = cat!("v1:", strategy, ":", module, ":", t, ":");
    for (i, (id, h)) in boundary.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cat_to!(&mut out; id, ".", crate::text::Hex(*h, 16));
    }
    out
}

/// A parsed checkpoint.
pub(super) struct Checkpoint {
    pub(super) strategy: Strategy,
    pub(super) module: String,
    pub(super) time: i64,
    pub(super) entries: Vec<Entry>,
}

impl Checkpoint {
    pub(super) fn parse(s: &str) -> Result<Checkpoint> {
        let mut parts = s.splitn(5, ':');
        let (Some(v), Some(st), Some(module), Some(time), Some(entries)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad_since("since must be Unix seconds or a checkpoint 'v1:<strategy>:<module>:<time>:<entries>'"));
        };
        if v != "v1" {
            return Err(bad_since("unsupported checkpoint version (expected v1)"));
        }
        let strategy = Strategy::parse(st)
            .ok_or_else(|| bad_since("the checkpoint names an unknown strategy"))?;
        vtql::check_ident(module, "since")
            .map_err(|_| bad_since("the checkpoint's module name is invalid"))?;
        if time.is_empty() || time.len() > 12 || !time.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_since("the checkpoint's time is not Unix seconds"));
        }
        let time: i64 = time
            .parse()
            .map_err(|_| bad_since("the checkpoint's time is out of range"))?;
        if time > MAX_TIME {
            return Err(bad_since("the checkpoint's time is out of range"));
        }
        let mut list = Vec::new();
        if !entries.is_empty() {
            for e in entries.split(',') {
                if list.len() >= MAX_CHECKPOINT_ENTRIES {
                    return Err(bad_since("the checkpoint holds too many entries"));
                }
                let (id, h) = e
                    .split_once('.')
                    .ok_or_else(|| bad_since("malformed checkpoint entry"))?;
                let id = WsId::parse_field(id, "since")
                    .map_err(|_| bad_since("malformed checkpoint entry id"))?;
                if h.len() != 16 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(bad_since("malformed checkpoint entry hash"));
                }
                let h = u64::from_str_radix(h, 16)
                    .map_err(|_| bad_since("malformed checkpoint entry hash"))?;
                list.push((id, h));
            }
        }
        Ok(Checkpoint {
            strategy,
            module: module.to_owned(),
            time,
            entries: list,
        })
    }
}

/// 64-bit FNV-1a.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
