//! The tree parser: a whole text read into a [`Json`].

use super::cursor::Cursor;
use super::scan::expect_end;
use super::{Json, JsonError, MAX_DEPTH};
use crate::prelude::*;

/// True when `s` is a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
pub fn is_number(s: &str) -> bool {
    let mut p = Cursor {
        s,
        b: s.as_bytes(),
        i: 0,
    };
    p.number().is_ok() && p.i == s.len()
}

/// Parses a whole text as one JSON value (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let (v, end) = parse_prefix(text, 0)?;
    expect_end(text, end)?;
    Ok(v)
}

/// Parses one JSON value starting at byte `start` (leading whitespace skipped) and returns it
/// with the offset just after it; whatever follows is not looked at.
pub(super) fn parse_prefix(text: &str, start: usize) -> Result<(Json, usize), JsonError> {
    let mut p = Cursor {
        s: text,
        b: text.as_bytes(),
        i: start,
    };
    let v = p.value(0)?;
    Ok((v, p.i))
}
impl Cursor<'_> {
    /// Reads one value into a tree.
    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("nesting too deep"));
                }
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(m));
                }
                loop {
                    self.ws();
                    self.expect(b'"', "expected a string key")?;
                    let k = self.string()?;
                    self.ws();
                    self.expect(b':', "expected ':'")?;
                    let v = self.value(depth + 1)?;
                    m.push((k, v));
                    self.ws();
                    match self.next_byte() {
                        Some(b',') => continue,
                        Some(b'}') => return Ok(Json::Obj(m)),
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
                let mut a = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Json::Arr(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    match self.next_byte() {
                        Some(b',') => continue,
                        Some(b']') => return Ok(Json::Arr(a)),
                        None => return Err(self.err("unexpected end of input")),
                        Some(_) => return Err(self.err_back("expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => {
                self.i += 1;
                Ok(Json::Str(self.string()?))
            }
            Some(b't') => self.literal(b"true").map(|_| Json::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|_| Json::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|_| Json::Null),
            Some(b'-' | b'0'..=b'9') => Ok(Json::Num(self.number()?.to_owned())),
            Some(_) => Err(self.err("unexpected character")),
        }
    }
}
