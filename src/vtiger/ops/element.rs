//! A record (`element`) to send and its wire encoding: raw UTF-8, the 4-byte-character
//! policy, the `\\uXXXX` refusal, Calendar's default `activitytype`.

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use crate::error::{Error, Result};
use crate::json::{self, Json};

/// What to do with characters outside the Basic Multilingual Plane (emoji…) in an element.
/// Stock Vtiger 8 databases are utf8mb3 and silently store them as `????`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FourBytePolicy {
    /// Refuse with INVALID_INPUT naming the field (default).
    #[default]
    Reject,
    /// Replace each such character by U+FFFD.
    Replace,
    /// Send as is (for utf8mb4 databases).
    Send,
}

/// A record (`element`) to send: a JSON object plus the 4-byte-character policy.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementInput {
    value: Json,
    policy: FourBytePolicy,
}

impl ElementInput {
    /// From JSON text (what `JSON.stringify` gives). INVALID_INPUT (field `element`) when it is
    /// not JSON, holds a lone surrogate escape, or is not an object.
    pub fn parse(text: &str) -> Result<ElementInput> {
        let value = json::parse(text).map_err(|e| {
            Error::invalid_input("element", cat!("the element is not valid JSON: ", e))
        })?;
        ElementInput::new(value)
    }

    /// From a [`Json`] value; it must be an object (INVALID_INPUT, field `element`).
    pub fn new(value: Json) -> Result<ElementInput> {
        if !matches!(value, Json::Obj(_)) {
            return Err(Error::invalid_input(
                "element",
                "the element must be a JSON object",
            ));
        }
        Ok(ElementInput {
            value,
            policy: FourBytePolicy::default(),
        })
    }

    /// Sets the 4-byte-character policy.
    pub fn with_policy(mut self, policy: FourBytePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> FourBytePolicy {
        self.policy
    }

    /// The element object.
    pub fn value(&self) -> &Json {
        &self.value
    }

    /// A member of the element.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.value.get(key)
    }

    /// Sets a member (replacing the first one with this key, else appending it).
    pub fn set(&mut self, key: &str, v: Json) {
        if let Json::Obj(m) = &mut self.value {
            match m.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = v,
                None => m.push((key.to_owned(), v)),
            }
        }
    }

    /// The wire text of the element (see [`encode_element`]).
    pub fn encode(&self, module: Option<&str>) -> Result<String> {
        encode_element(&self.value, module, self.policy)
    }

    /// What [`ElementInput::encode`] would refuse, without building the text (unless there
    /// is something to refuse or replace).
    pub fn check(&self) -> Result<()> {
        if matches!(self.value, Json::Obj(_)) && plain(&self.value) {
            return Ok(());
        }
        self.encode(None).map(drop)
    }
}

/// Serialises an element for the wire: compact, raw UTF-8 (never `\uXXXX` for non-ASCII, no
/// surrogate pairs), characters above U+FFFF handled per `policy` (INVALID_INPUT naming the
/// field path for [`FourBytePolicy::Reject`]). A string holding a literal backslash + `u` +
/// 4 hex digits is refused: Vtiger's decoder would turn it into a different character.
/// For `module == Some("Calendar")` a missing, null or empty `activitytype` is set to
/// `"Task"` (otherwise the record becomes unreachable by its own id).
pub fn encode_element(
    element: &Json,
    module: Option<&str>,
    policy: FourBytePolicy,
) -> Result<String> {
    let Json::Obj(members) = element else {
        return Err(Error::invalid_input(
            "element",
            "the element must be a JSON object",
        ));
    };
    // Most elements go out as they are: checked in place, written without a copy.
    if module != Some("Calendar") && plain(element) {
        return Ok(element.to_json());
    }
    let mut members = members.clone();
    for (k, v) in members.iter_mut() {
        clean_value(v, k, policy)?;
    }
    for (k, _) in members.iter_mut() {
        let path = k.clone();
        clean_string(k, &path, policy)?;
    }
    if module == Some("Calendar") {
        match members.iter_mut().find(|(k, _)| k == "activitytype") {
            Some((_, v)) => {
                if matches!(v, Json::Null) || v.as_str() == Some("") {
                    *v = Json::Str("Task".to_owned());
                }
            }
            None => members.push(("activitytype".to_owned(), Json::Str("Task".to_owned()))),
        }
    }
    Ok(Json::Obj(members).to_json())
}

/// True when nothing in `v` needs [`encode_element`]'s cleaning: no character outside the BMP,
/// no backslash-u-hex text, only valid numbers (keys included). Anything else takes the copying
/// path, which also words every error.
fn plain(v: &Json) -> bool {
    match v {
        Json::Str(s) => plain_str(s),
        Json::Num(n) => json::is_number(n),
        Json::Arr(a) => a.iter().all(plain),
        Json::Obj(m) => m.iter().all(|(k, x)| plain_str(k) && plain(x)),
        Json::Null | Json::Bool(_) => true,
    }
}

fn plain_str(s: &str) -> bool {
    !has_four_byte(s) && !has_backslash_u_hex(s)
}

fn clean_value(v: &mut Json, path: &str, policy: FourBytePolicy) -> Result<()> {
    match v {
        Json::Str(s) => clean_string(s, path, policy),
        Json::Num(n) => {
            if json::is_number(n) {
                Ok(())
            } else {
                Err(Error::invalid_input(
                    path,
                    cat!("field '", path, "' holds an invalid JSON number"),
                ))
            }
        }
        Json::Arr(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                clean_value(x, &cat!(path, ".", i), policy)?;
            }
            Ok(())
        }
        Json::Obj(m) => {
            for (k, x) in m.iter_mut() {
                let sub = cat!(path, ".", k);
                clean_string(k, &sub, policy)?;
                clean_value(x, &sub, policy)?;
            }
            Ok(())
        }
        Json::Null | Json::Bool(_) => Ok(()),
    }
}

fn clean_string(s: &mut String, path: &str, policy: FourBytePolicy) -> Result<()> {
    if has_backslash_u_hex(s) {
        return Err(Error::invalid_input(
            path,
            cat!("field '", path, "' contains a backslash followed by 'u' and 4 hex digits, which Vtiger's JSON decoder turns into another character"),
        ));
    }
    if !has_four_byte(s) {
        return Ok(());
    }
    match policy {
        FourBytePolicy::Send => Ok(()),
        FourBytePolicy::Replace => {
            *s = replace_four_byte(s);
            Ok(())
        }
        FourBytePolicy::Reject => Err(Error::invalid_input(
            path,
            cat!("field '", path, "' contains a character outside the Basic Multilingual Plane (such as an emoji); a stock Vtiger database (utf8mb3) silently stores it as '????'. Remove it, or choose the Replace or Send policy"),
        )),
    }
}

/// True when `s` holds a character outside the Basic Multilingual Plane.
pub(crate) fn has_four_byte(s: &str) -> bool {
    // Every 4-byte UTF-8 sequence starts with a byte >= 0xF0.
    s.bytes().any(|b| b >= 0xF0)
}

/// [`FourBytePolicy::Replace`]: every character outside the BMP becomes U+FFFD. Query literals
/// use the same replacement (`crate::vtiger::vtql`), so that a value written under the policy
/// is found under it.
pub(crate) fn replace_four_byte(s: &str) -> String {
    s.chars()
        .map(|c| if u32::from(c) > 0xFFFF { '\u{FFFD}' } else { c })
        .collect()
}

fn has_backslash_u_hex(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(6).any(|w| {
        w[0] == b'\\' && (w[1] == b'u' || w[1] == b'U') && w[2..].iter().all(u8::is_ascii_hexdigit)
    })
}
