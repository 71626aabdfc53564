//! The byte cursor that both the tree parser and the scanner read with: whitespace,
//! punctuation, literals, numbers, strings and escapes, with one set of error messages and
//! offsets.

use super::JsonError;
use crate::prelude::*;

/// Offset of the first byte after `i` that is not JSON whitespace.
#[inline(always)]
pub(super) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Offset of the first `"` or `\\` in `b` at or after `i` (`b.len()` when there is none).
#[inline(always)]
pub(super) fn quote_or_backslash(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\\' {
            break;
        }
        i += 1;
    }
    i
}
pub(super) struct Cursor<'a> {
    pub(super) s: &'a str,
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn err(&self, message: &'static str) -> JsonError {
        JsonError {
            offset: self.i,
            message,
        }
    }

    pub(super) fn err_back(&self, message: &'static str) -> JsonError {
        JsonError {
            offset: self.i.saturating_sub(1),
            message,
        }
    }

    #[inline(always)]
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    pub(super) fn next_byte(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    #[inline(always)]
    pub(super) fn ws(&mut self) {
        self.i = skip_ws(self.b, self.i);
    }

    #[inline(always)]
    pub(super) fn expect(&mut self, c: u8, message: &'static str) -> Result<(), JsonError> {
        match self.peek() {
            Some(x) if x == c => {
                self.i += 1;
                Ok(())
            }
            None => Err(self.err("unexpected end of input")),
            Some(_) => Err(self.err(message)),
        }
    }

    pub(super) fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonError> {
        if self.b.len() >= self.i + word.len() && &self.b[self.i..self.i + word.len()] == word {
            self.i += word.len();
            Ok(())
        } else if self.b.len() < self.i + word.len() && word.starts_with(&self.b[self.i..]) {
            self.i = self.b.len();
            Err(self.err("unexpected end of input"))
        } else {
            Err(self.err("invalid literal"))
        }
    }
    pub(super) fn number(&mut self) -> Result<&'a str, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            None => return Err(self.err("unexpected end of input")),
            Some(_) => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.required_digits()?;
        }
        Ok(&self.s[start..self.i])
    }

    pub(super) fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    pub(super) fn required_digits(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            None => Err(self.err("unexpected end of input")),
            Some(_) => Err(self.err("invalid number")),
        }
    }

    /// Reads a string body (the opening quote is consumed) and decodes it.
    pub(super) fn string(&mut self) -> Result<String, JsonError> {
        let start = self.i;
        // Fast path: no escapes.
        self.i = quote_or_backslash(self.b, self.i);
        match self.peek() {
            None => return Err(self.err("unterminated string")),
            Some(b'"') => {
                let s = &self.s[start..self.i];
                self.i += 1;
                return Ok(s.to_owned());
            }
            _ => {}
        }
        let mut out = String::with_capacity(self.i - start + 16);
        out.push_str(&self.s[start..self.i]);
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => {
                    let run = self.i;
                    self.i = quote_or_backslash(self.b, self.i);
                    out.push_str(&self.s[run..self.i]);
                }
            }
        }
    }
    /// Decodes one escape; the backslash is consumed.
    pub(super) fn escape(&mut self) -> Result<char, JsonError> {
        let c = match self.next_byte() {
            None => return Err(self.err("unterminated string")),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let at = self.i - 2;
                let hi = self.hex4()?;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    if self.b.get(self.i) == Some(&b'\\') && self.b.get(self.i + 1) == Some(&b'u') {
                        self.i += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return Err(JsonError {
                                offset: at,
                                message: "lone surrogate escape",
                            });
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        return Err(JsonError {
                            offset: at,
                            message: "lone surrogate escape",
                        });
                    }
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(JsonError {
                        offset: at,
                        message: "lone surrogate escape",
                    });
                } else {
                    hi
                };
                char::from_u32(cp).ok_or(JsonError {
                    offset: at,
                    message: "invalid unicode escape",
                })?
            }
            Some(_) => return Err(self.err_back("invalid escape")),
        };
        Ok(c)
    }

    pub(super) fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                None => return Err(self.err("unexpected end of input")),
                Some(_) => return Err(self.err("invalid unicode escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }
}
