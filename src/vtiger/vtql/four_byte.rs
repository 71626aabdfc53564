//! The `fourByteChars` policy for query literals (live findings E, recordings 920–922).
//!
//! On a stock Vtiger database (utf8mb3) a literal holding a character outside the Basic
//! Multilingual Plane (an emoji…) matches nothing, with `=` and inside a LIKE pattern alike,
//! and the query still succeeds with `[]`: the answer cannot be told from "no such record".
//! The policy that guards record fields ([`FourBytePolicy`]) therefore guards query literals
//! too:
//! * `Reject` (default): `INVALID_INPUT` naming the field, before anything is sent;
//! * `Replace`: each such character becomes U+FFFD, the replacement a create or update under
//!   `Replace` wrote, so that the value written under the policy is found under it;
//! * `Send`: sent as is (utf8mb4 databases).

use super::ast::{Cond, Select, Value};
use crate::error::{Error, Result};
use crate::vtiger::ops::{has_four_byte, replace_four_byte, FourBytePolicy};
use alloc::borrow::Cow;

fn refused(field: &str, what: &str) -> Error {
    Error::invalid_input(
        field,
        cat!(what, " contains a character outside the Basic Multilingual Plane (such as an emoji); a stock Vtiger database (utf8mb3) never matches it and the query would silently answer nothing. Remove it, or choose fourByteChars 'replace' (finds what a create under 'replace' stored) or 'send' (utf8mb4 databases)"),
    )
}

impl Select {
    /// Applies the 4-byte-character policy to every string value of the condition (see the
    /// module docs). Errors: `INVALID_INPUT` naming the field under [`FourBytePolicy::Reject`].
    pub fn apply_four_byte(&mut self, policy: FourBytePolicy) -> Result<()> {
        if policy == FourBytePolicy::Send {
            return Ok(());
        }
        match &mut self.where_ {
            Some(c) => cond(c, policy),
            None => Ok(()),
        }
    }
}

fn cond(c: &mut Cond, policy: FourBytePolicy) -> Result<()> {
    match c {
        Cond::Term(t) => value(&t.field, &mut t.value, policy),
        Cond::And(v) | Cond::Or(v) => v.iter_mut().try_for_each(|c| cond(c, policy)),
    }
}

fn value(field: &str, v: &mut Value, policy: FourBytePolicy) -> Result<()> {
    match v {
        Value::Str(s) if has_four_byte(s) => match policy {
            FourBytePolicy::Reject => Err(refused(
                field,
                &cat!("the value compared with '", field, "'"),
            )),
            FourBytePolicy::Replace => {
                *s = replace_four_byte(s);
                Ok(())
            }
            FourBytePolicy::Send => Ok(()),
        },
        Value::List(items) => items.iter_mut().try_for_each(|x| value(field, x, policy)),
        _ => Ok(()),
    }
}

/// The policy applied to raw VTQL sent as written: outside literals the server accepts ASCII
/// only, so a 4-byte character is in a literal. Errors: `INVALID_INPUT` (field `query`) under
/// [`FourBytePolicy::Reject`].
pub fn four_byte_text(text: &str, policy: FourBytePolicy) -> Result<Cow<'_, str>> {
    if !has_four_byte(text) {
        return Ok(Cow::Borrowed(text));
    }
    match policy {
        FourBytePolicy::Reject => Err(refused("query", "a literal of the query")),
        FourBytePolicy::Replace => Ok(Cow::Owned(replace_four_byte(text))),
        FourBytePolicy::Send => Ok(Cow::Borrowed(text)),
    }
}
