//! A small, tolerant JSON reader and writer (kept instead of serde_json for wasm size).
//!
//! * [`parse()`] is strict JSON with one tolerance: raw control characters (0x00–0x1F) inside
//!   strings are accepted as literal characters, because Vtiger's encoder writes them raw.
//! * Numbers keep their raw text ([`Json::Num`]), so nothing loses precision.
//! * Writing ([`Json::to_json`], [`quote`]) is compact and raw UTF-8: only `"`, `\` and
//!   control characters are escaped; non-ASCII text is never written as `\uXXXX` (Vtiger's
//!   request decoder corrupts surrogate pairs and `\u0022`/`\u005c`).
//! * Nesting is capped at [`MAX_DEPTH`] containers, so hostile input cannot overflow the stack.
//!
//! Two readers share one byte cursor (`cursor.rs`), so they accept, reject and report
//! exactly the same texts:
//! * the tree parser ([`parse()`], `parse.rs`) builds a [`Json`];
//! * the scanner ([`scan`]) walks the text without building a tree and hands back byte
//!   ranges: an object's members ([`scan::object`]), the first value of given keys
//!   ([`scan::keys`], [`scan::keys_with`]), a value's end ([`scan::value`]), a scanned
//!   string's text ([`scan::string`]).
//!
//! `write.rs` holds the writer ([`quote`], [`Json::to_json`]) and [`escape_raw_controls`].

use crate::prelude::*;
use core::fmt;

mod cursor;
mod parse;
pub mod scan;
mod write;

pub use parse::{is_number, parse};
pub use write::{escape_raw_controls, quote};

/// Deepest nesting of arrays/objects accepted by the parser.
pub const MAX_DEPTH: usize = 128;

/// A JSON value. Object keys keep their order (and duplicates, as sent).
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as its raw text (e.g. `"1795453964"`, `"-1.5e3"`).
    Num(String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, in document order.
    Obj(Vec<(String, Json)>),
}

/// Why a text is not (tolerant) JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem in the input.
    pub offset: usize,
    /// What is wrong.
    pub message: &'static str,
}

impl Piece for JsonError {
    fn push_to(&self, out: &mut String) {
        cat_to!(out; "invalid JSON at byte ", self.offset, ": ", self.message);
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl core::error::Error for JsonError {}

impl Json {
    /// The value of `key` in an object (first match); `None` for non-objects.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, for [`Json::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, for [`Json::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An integer from a JSON integer number or from a string of digits (optionally
    /// negative), since Vtiger sends most numbers as strings.
    pub fn as_i64(&self) -> Option<i64> {
        let s = match self {
            Json::Num(s) | Json::Str(s) => s.as_str(),
            _ => return None,
        };
        let digits = s.strip_prefix('-').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }

    /// The elements, for [`Json::Arr`].
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// The members, for [`Json::Obj`].
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(m) => Some(m),
            _ => None,
        }
    }

    /// The members of an object, treating `[]` as the empty object (PHP encodes an empty map
    /// as `[]`). `None` for anything else, including non-empty arrays.
    pub fn as_object_or_empty(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(m) => Some(m),
            Json::Arr(a) if a.is_empty() => Some(&[]),
            _ => None,
        }
    }

    /// True for `[]` and `{}`.
    pub fn is_empty_container(&self) -> bool {
        match self {
            Json::Arr(a) => a.is_empty(),
            Json::Obj(m) => m.is_empty(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
