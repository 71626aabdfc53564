//! The scanner: JSON text read without building a tree. Every function validates what it
//! passes over exactly as the tree parser ([`super::parse()`]) would (same tolerance, errors,
//! offsets and nesting limit) and answers with byte ranges into the text.
//!
//! `depth` is the nesting depth of the value or object being read: 0 for a top-level value,
//! 1 for a member of a top-level object, and so on; nothing deeper than
//! [`super::MAX_DEPTH`] containers is accepted.

use super::cursor::{quote_or_backslash, skip_ws, Cursor};
use super::{Json, JsonError, MAX_DEPTH};
use alloc::borrow::Cow;
use core::ops::Range;

/// The member loop for an object starting at `start` (after optional whitespace) at nesting
/// depth `depth` (its members are at `depth + 1`). Calls `value` with each member's decoded
/// key (borrowed from `text` when it has no escapes) and the offset where its value starts;
/// `value` must validate the value (normally with [`value`] at `depth + 1`) and return the
/// offset just after it. Returns the offset just after the closing `}`.
pub fn object(
    text: &str,
    start: usize,
    depth: usize,
    mut value: impl FnMut(&str, usize) -> Result<usize, JsonError>,
) -> Result<usize, JsonError> {
    let mut p = Cursor {
        s: text,
        b: text.as_bytes(),
        i: start,
    };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(p.err("expected an object"));
    }
    if depth >= MAX_DEPTH {
        return Err(p.err("nesting too deep"));
    }
    p.i += 1;
    p.ws();
    if p.peek() == Some(b'}') {
        return Ok(p.i + 1);
    }
    loop {
        p.ws();
        p.expect(b'"', "expected a string key")?;
        let ks = p.i;
        p.i = quote_or_backslash(p.b, ks);
        let decoded;
        let key = if p.peek() == Some(b'"') {
            p.i += 1;
            &text[ks..p.i - 1]
        } else {
            p.i = ks;
            decoded = p.string()?;
            decoded.as_str()
        };
        p.ws();
        p.expect(b':', "expected ':'")?;
        p.ws();
        p.i = value(key, p.i)?;
        p.ws();
        match p.next_byte() {
            Some(b',') => continue,
            Some(b'}') => return Ok(p.i),
            None => return Err(p.err("unexpected end of input")),
            Some(_) => return Err(p.err_back("expected ',' or '}'")),
        }
    }
}

/// Validates the value that starts at `start` (after optional whitespace) at nesting depth
/// `depth` and returns the offset just after it.
#[inline(always)]
pub fn value(text: &str, start: usize, depth: usize) -> Result<usize, JsonError> {
    // Fast path: a string without escapes (most values).
    let b = text.as_bytes();
    if b.get(start) == Some(&b'"') {
        let end = quote_or_backslash(b, start + 1);
        if b.get(end) == Some(&b'"') {
            return Ok(end + 1);
        }
    }
    let mut p = Cursor {
        s: text,
        b: text.as_bytes(),
        i: start,
    };
    p.skip_value(depth)?;
    Ok(p.i)
}

/// For each `keys[k]`, `found[k]` gets the value range of the **first** member with that
/// (decoded) key of the object at `start` (nesting depth `depth`), and is left alone when
/// there is none. Allocates only for keys written with escapes. Returns the offset just
/// after the closing `}`; validation and errors are those of [`object`] with [`value`].
pub fn keys(
    text: &str,
    start: usize,
    depth: usize,
    keys: &[&str],
    found: &mut [Option<Range<usize>>],
) -> Result<usize, JsonError> {
    keys_with(text, start, depth, keys, found, |_, _| None)
}

/// [`keys`], first offering the value of each wanted member (index `k` into `keys`, the
/// offset where its value starts) to `read`, which returns the offset just after the value
/// when it read and validated it the way [`value`] would, or `None` to let [`value`] do it.
#[inline(always)]
pub fn keys_with(
    text: &str,
    start: usize,
    depth: usize,
    keys: &[&str],
    found: &mut [Option<Range<usize>>],
    mut read: impl FnMut(usize, usize) -> Option<usize>,
) -> Result<usize, JsonError> {
    object(text, start, depth, |key, vs| {
        let Some(k) = wanted(keys, found, key) else {
            return value(text, vs, depth + 1);
        };
        let end = match read(k, vs) {
            Some(end) => end,
            None => value(text, vs, depth + 1)?,
        };
        found[k] = Some(vs..end);
        Ok(end)
    })
}

/// The index of `key` in `keys` when its slot in `found` is still empty.
#[inline(always)]
fn wanted(keys: &[&str], found: &[Option<Range<usize>>], key: &str) -> Option<usize> {
    for (k, (name, slot)) in keys.iter().zip(found).enumerate() {
        if slot.is_none() && same_bytes(name.as_bytes(), key.as_bytes()) {
            return Some(k);
        }
    }
    None
}

/// `a == b` for short slices, without a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Checks that only whitespace follows offset `end` (an error names the first other byte).
pub fn expect_end(text: &str, end: usize) -> Result<(), JsonError> {
    let mut p = Cursor {
        s: text,
        b: text.as_bytes(),
        i: end,
    };
    p.ws();
    if p.i != text.len() {
        return Err(p.err("unexpected characters after the JSON value"));
    }
    Ok(())
}

/// Offset of the first byte at or after `i` that is not JSON whitespace.
#[inline(always)]
pub fn ws(text: &str, i: usize) -> usize {
    skip_ws(text.as_bytes(), i)
}

/// The decoded string of a scanned value's text (`raw`, e.g. a range found by [`keys`]),
/// borrowed when it has no escapes; `None` when the value is not a string.
pub fn string(raw: &str) -> Option<Cow<'_, str>> {
    // Fast path: a plain string without escapes.
    if raw.len() >= 2
        && raw.starts_with('"')
        && raw.ends_with('"')
        && quote_or_backslash(raw.as_bytes(), 1) == raw.len() - 1
    {
        return Some(Cow::Borrowed(&raw[1..raw.len() - 1]));
    }
    match super::parse(raw) {
        Ok(Json::Str(s)) => Some(Cow::Owned(s)),
        _ => None,
    }
}

impl Cursor<'_> {
    /// Validates one value without building it.
    fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("nesting too deep"));
                }
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.expect(b'"', "expected a string key")?;
                    self.skip_string()?;
                    self.ws();
                    self.expect(b':', "expected ':'")?;
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next_byte() {
                        Some(b',') => continue,
                        Some(b'}') => return Ok(()),
                        None => return Err(self.err("unexpected end of input")),
                        Some(_) => return Err(self.err_back("expected ',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("nesting too deep"));
                }
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next_byte() {
                        Some(b',') => continue,
                        Some(b']') => return Ok(()),
                        None => return Err(self.err("unexpected end of input")),
                        Some(_) => return Err(self.err_back("expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => {
                self.i += 1;
                self.skip_string()
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    /// Validates a string body without decoding it.
    fn skip_string(&mut self) -> Result<(), JsonError> {
        loop {
            self.i = quote_or_backslash(self.b, self.i);
            match self.next_byte() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => return Ok(()),
                _ => {
                    self.escape()?;
                }
            }
        }
    }
}
