//! Webservice ids: `<module prefix>x<record id>`, e.g. `12x345`.

use crate::error::{Error, Result};
use crate::prelude::*;
use core::fmt;
use core::str::FromStr;

/// A validated webservice id, matching `^[1-9][0-9]*x[1-9][0-9]*$`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WsId {
    /// Module id prefix (e.g. 12 for Contacts on a stock install).
    pub prefix: u32,
    /// Record (crm) id.
    pub record: u64,
}

impl WsId {
    /// Builds an id from its parts; both must be non-zero.
    pub fn new(prefix: u32, record: u64) -> Result<Self> {
        if prefix == 0 || record == 0 {
            return Err(Error::invalid_input(
                "id",
                "webservice id parts must be non-zero",
            ));
        }
        Ok(WsId { prefix, record })
    }

    /// Parses `<prefix>x<record>`; anything else is INVALID_INPUT naming `field`.
    pub fn parse_field(s: &str, field: &str) -> Result<Self> {
        parse_parts(s).ok_or_else(|| {
            Error::invalid_input(
                field,
                cat!(
                    "'",
                    shorten(s),
                    "' is not a webservice id (<prefix>x<record>, e.g. 12x34)"
                ),
            )
        })
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn digits_no_leading_zero(s: &str) -> bool {
    !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
}

fn parse_parts(s: &str) -> Option<WsId> {
    let (p, r) = s.split_once('x')?;
    if !digits_no_leading_zero(p) || !digits_no_leading_zero(r) {
        return None;
    }
    Some(WsId {
        prefix: p.parse().ok()?,
        record: r.parse().ok()?,
    })
}

impl FromStr for WsId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        WsId::parse_field(s, "id")
    }
}

impl Piece for WsId {
    fn push_to(&self, out: &mut String) {
        cat_to!(out; self.prefix, 'x', self.record);
    }
}

impl fmt::Display for WsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// Module name ↔ id prefix, learned from `describe` (`idPrefix`).
#[derive(Clone, Debug, Default)]
pub struct ModulePrefixes {
    entries: Vec<(String, u32)>,
}

impl ModulePrefixes {
    /// Records a module's prefix (replacing an earlier one).
    pub fn insert(&mut self, module: &str, prefix: u32) {
        self.entries.retain(|(m, p)| m != module && *p != prefix);
        self.entries.push((module.to_owned(), prefix));
    }
    /// The prefix of a module, if known.
    pub fn prefix_of(&self, module: &str) -> Option<u32> {
        self.entries
            .iter()
            .find(|(m, _)| m == module)
            .map(|(_, p)| *p)
    }
    /// The module an id belongs to, if its prefix is known.
    pub fn module_of(&self, id: WsId) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, p)| *p == id.prefix)
            .map(|(m, _)| m.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_canonical_form() {
        assert_eq!(
            "12x345".parse::<WsId>().unwrap(),
            WsId {
                prefix: 12,
                record: 345
            }
        );
        for bad in [
            "",
            "12x",
            "x5",
            "0x0",
            "12x0",
            "012x5",
            "12x05",
            "12x268abc",
            "abc",
            "13",
            "12x5 OR 1=1",
            "12X5",
            " 12x5",
            "1x2x3",
        ] {
            let e = bad.parse::<WsId>().unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::InvalidInput, "{bad}");
            assert_eq!(e.field.as_deref(), Some("id"));
        }
        assert_eq!(WsId::new(19, 1).unwrap().to_string(), "19x1");
    }

    #[test]
    fn prefixes_map_both_ways() {
        let mut m = ModulePrefixes::default();
        m.insert("Contacts", 12);
        m.insert("Accounts", 11);
        assert_eq!(m.prefix_of("Contacts"), Some(12));
        assert_eq!(m.module_of(WsId::new(11, 9).unwrap()), Some("Accounts"));
        assert_eq!(m.module_of(WsId::new(99, 9).unwrap()), None);
    }
}
