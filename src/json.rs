//! A small, tolerant JSON reader and writer (kept instead of serde_json for wasm size).
//!
//! * [`parse`] is strict JSON with one tolerance: raw control characters (0x00–0x1F) inside
//!   strings are accepted as literal characters, because Vtiger's encoder writes them raw.
//! * Numbers keep their raw text ([`Json::Num`]), so nothing loses precision.
//! * Writing ([`Json::to_json`], [`quote`]) is compact and raw UTF-8: only `"`, `\` and
//!   control characters are escaped; non-ASCII text is never written as `\uXXXX` (Vtiger's
//!   request decoder corrupts surrogate pairs and `\u0022`/`\u005c`).
//! * Nesting is capped at [`MAX_DEPTH`] containers, so hostile input cannot overflow the stack.

use std::fmt;
use std::ops::Range;

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

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for JsonError {}

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

    /// Compact JSON text: raw UTF-8, only `"`, `\` and control characters escaped.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Appends the compact JSON text of this value to `out`.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => quote(s, out),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
            Json::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `s` as a JSON string literal: escapes `"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f` and
/// other control characters as `\u00XX`; everything else (all non-ASCII) stays raw UTF-8.
pub fn quote(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if short.is_empty() {
            push_u_escape(c, out);
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn push_u_escape(c: u8, out: &mut String) {
    out.push_str("\\u00");
    out.push(char::from(HEX[usize::from(c >> 4)]));
    out.push(char::from(HEX[usize::from(c & 15)]));
}

/// True when `s` is a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
pub fn is_number(s: &str) -> bool {
    let mut p = Parser {
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

/// Checks that only whitespace follows offset `end` (an error names the first other byte).
pub fn expect_end(text: &str, end: usize) -> Result<(), JsonError> {
    let mut p = Parser {
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

/// Parses one JSON value starting at byte `start` (leading whitespace skipped) and returns it
/// with the offset just after it; whatever follows is not looked at.
pub fn parse_prefix(text: &str, start: usize) -> Result<(Json, usize), JsonError> {
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: start,
    };
    let v = p.value(0)?;
    Ok((v, p.i))
}

/// Object members found by [`scan_object`]: key and byte range of the value.
pub type Members = Vec<(String, Range<usize>)>;

/// Fast scan of a top-level object without building a tree: each member's key (decoded) and
/// the byte range of its value in `text`. The whole text must be one object (whitespace
/// around it allowed); values are fully validated with the same tolerance as [`parse`].
pub fn scan_object(text: &str) -> Result<Members, JsonError> {
    let (members, end) = scan_object_at(text, 0)?;
    expect_end(text, end)?;
    Ok(members)
}

/// Like [`scan_object`], for an object starting at `start` (after optional whitespace);
/// returns the members and the offset just after the closing `}`.
pub fn scan_object_at(text: &str, start: usize) -> Result<(Members, usize), JsonError> {
    let mut members = Vec::new();
    let end = scan_object_with(text, start, 0, |key, vs| {
        let end = skip_value_at(text, vs, 1)?;
        members.push((key.to_owned(), vs..end));
        Ok(end)
    })?;
    Ok((members, end))
}

/// [`scan_object_keys_at`] for a whole text, which must be one object (whitespace around
/// it allowed), as [`scan_object`].
pub fn scan_object_keys(
    text: &str,
    keys: &[&str],
    found: &mut [Option<Range<usize>>],
) -> Result<(), JsonError> {
    let end = scan_object_keys_at(text, 0, 0, keys, found)?;
    expect_end(text, end)
}

/// Like [`scan_object_at`] without collecting anything: for each `keys[k]`, `found[k]` gets
/// the value range of the **first** member with that (decoded) key, and is left alone when
/// there is none. Allocates only for keys written with escapes. `depth` is the object's
/// nesting depth (0 for a top-level object), as in [`scan_object_with`]. Returns the offset
/// just after the closing `}`; validation and errors are exactly those of
/// [`scan_object_at`] (at depth 0).
pub fn scan_object_keys_at(
    text: &str,
    start: usize,
    depth: usize,
    keys: &[&str],
    found: &mut [Option<Range<usize>>],
) -> Result<usize, JsonError> {
    scan_object_with(text, start, depth, |key, vs| {
        let end = skip_value_at(text, vs, depth + 1)?;
        if let Some(slot) = key_slot(keys, found, key) {
            *slot = Some(vs..end);
        }
        Ok(end)
    })
}

/// The slot of `found` for `key` when `key` is one of `keys` (same index) and that slot is
/// still empty.
#[inline(always)]
pub fn key_slot<'f>(
    keys: &[&str],
    found: &'f mut [Option<Range<usize>>],
    key: &str,
) -> Option<&'f mut Option<Range<usize>>> {
    for (k, slot) in keys.iter().zip(found.iter_mut()) {
        if slot.is_none() && same_bytes(k.as_bytes(), key.as_bytes()) {
            return Some(slot);
        }
    }
    None
}

/// `a == b` for short slices, without a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The member loop of [`scan_object_at`] for an object starting at `start` (after optional
/// whitespace) at nesting depth `depth` (0 for a top-level object; its members are at
/// `depth + 1`). Calls `value` with each member's decoded key (borrowed from `text` when it
/// has no escapes) and the offset where its value starts; `value` must validate the value
/// (normally with [`skip_value_at`] at `depth + 1`) and return the offset just after it.
/// Returns the offset just after the closing `}`.
pub fn scan_object_with(
    text: &str,
    start: usize,
    depth: usize,
    mut value: impl FnMut(&str, usize) -> Result<usize, JsonError>,
) -> Result<usize, JsonError> {
    let mut p = Parser {
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
/// `depth` (1 for a member of a top-level object) with the tolerance, errors and nesting
/// limit of [`parse`], and returns the offset just after it.
#[inline(always)]
pub fn skip_value_at(text: &str, start: usize, depth: usize) -> Result<usize, JsonError> {
    // Fast path: a string without escapes (most values).
    let b = text.as_bytes();
    if b.get(start) == Some(&b'"') {
        let end = quote_or_backslash(b, start + 1);
        if b.get(end) == Some(&b'"') {
            return Ok(end + 1);
        }
    }
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: start,
    };
    p.skip_value(depth)?;
    Ok(p.i)
}

/// Returns `text` with every raw control character inside a string literal escaped, so a
/// strict parser (`JSON.parse`) accepts it. `text` must be tolerant JSON (as validated by
/// [`parse`] or [`scan_object`]). Borrowed unchanged when there is nothing to escape.
pub fn escape_raw_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    if !has_control(bytes) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            } else if c < 0x20 {
                if out.is_empty() {
                    out.reserve(text.len() + 16);
                }
                out.push_str(&text[start..i]);
                match c {
                    b'\n' => out.push_str("\\n"),
                    b'\r' => out.push_str("\\r"),
                    b'\t' => out.push_str("\\t"),
                    _ => push_u_escape(c, &mut out),
                }
                start = i + 1;
            }
        } else if c == b'"' {
            in_string = true;
        }
    }
    if start == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(&text[start..]);
    std::borrow::Cow::Owned(out)
}

/// Offset of the first `"` or `\\` in `b` at or after `i` (`b.len()` when there is none).
#[inline(always)]
fn quote_or_backslash(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\\' {
            break;
        }
        i += 1;
    }
    i
}

/// True when some byte of `b` is below 0x20, tested eight bytes at a time.
fn has_control(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or_default());
        // Exact "some byte < 0x20" test (valid for bounds up to 0x80).
        if x.wrapping_sub(ONES * 0x20) & !x & (ONES * 0x80) != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&c| c < 0x20)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, message: &'static str) -> JsonError {
        JsonError {
            offset: self.i,
            message,
        }
    }

    fn err_back(&self, message: &'static str) -> JsonError {
        JsonError {
            offset: self.i.saturating_sub(1),
            message,
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn next_byte(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn expect(&mut self, c: u8, message: &'static str) -> Result<(), JsonError> {
        match self.peek() {
            Some(x) if x == c => {
                self.i += 1;
                Ok(())
            }
            None => Err(self.err("unexpected end of input")),
            Some(_) => Err(self.err(message)),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonError> {
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

    fn number(&mut self) -> Result<&'a str, JsonError> {
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

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), JsonError> {
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
    fn string(&mut self) -> Result<String, JsonError> {
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

    /// Decodes one escape; the backslash is consumed.
    fn escape(&mut self) -> Result<char, JsonError> {
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

    fn hex4(&mut self) -> Result<u32, JsonError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Json {
        Json::Str(v.to_owned())
    }

    #[test]
    fn parses_every_kind_of_value() {
        let v = parse(r#" {"a":[1,-2.5e3,true,false,null],"b":{"c":"d"},"e":"","f":0} "#).unwrap();
        assert_eq!(v.get("a").unwrap().as_array().unwrap().len(), 5);
        assert_eq!(
            v.get("a").unwrap().as_array().unwrap()[1],
            Json::Num("-2.5e3".into())
        );
        assert_eq!(v.get("b").unwrap().get("c"), Some(&s("d")));
        assert_eq!(v.get("f").unwrap().as_i64(), Some(0));
        assert_eq!(v.get("zz"), None);
        assert_eq!(parse("[]").unwrap(), Json::Arr(vec![]));
        assert!(parse("{}").unwrap().is_empty_container());
        assert!(parse("[]").unwrap().is_empty_container());
        assert!(!parse("[0]").unwrap().is_empty_container());
    }

    #[test]
    fn first_duplicate_key_wins_in_get() {
        let v = parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(v.get("a").unwrap().as_i64(), Some(1));
        assert_eq!(v.as_object().unwrap().len(), 2);
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let v = parse(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00""#).unwrap();
        assert_eq!(v, s("a\"b\\c/d\u{8}\u{c}\n\r\té中😀"));
    }

    #[test]
    fn rejects_lone_surrogates() {
        for bad in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.message, "lone surrogate escape", "{bad}");
        }
    }

    #[test]
    fn accepts_raw_control_characters_inside_strings() {
        let text = "{\"d\":\"a\u{b}b\u{1}c\"}";
        assert_eq!(parse(text).unwrap().get("d"), Some(&s("a\u{b}b\u{1}c")));
        // but not outside strings
        assert!(parse("{\"d\":\u{1}1}").is_err());
    }

    #[test]
    fn rejects_malformed_input_with_offsets() {
        for (bad, off) in [
            ("", 0),
            ("{", 1),
            ("{\"a\":}", 5),
            ("[1,]", 3),
            ("[1 2]", 3),
            ("01", 1),
            ("1.", 2),
            ("-", 1),
            ("tru", 3),
            ("nul x", 0),
            ("\"abc", 4),
            ("{\"a\":1} x", 8),
            ("\"\\x\"", 2),
            ("{'a':1}", 1),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.offset, off, "{bad}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(200_000);
        assert_eq!(parse(&deep).unwrap_err().message, "nesting too deep");
        let deep_obj = "{\"a\":".repeat(200_000);
        assert_eq!(parse(&deep_obj).unwrap_err().message, "nesting too deep");
        assert_eq!(
            scan_object(&deep_obj).unwrap_err().message,
            "nesting too deep"
        );
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(&too_deep).is_err());
    }

    #[test]
    fn as_i64_accepts_digit_strings_only() {
        assert_eq!(s("123").as_i64(), Some(123));
        assert_eq!(s("-7").as_i64(), Some(-7));
        assert_eq!(s("+7").as_i64(), None);
        assert_eq!(s("1.5").as_i64(), None);
        assert_eq!(s("").as_i64(), None);
        assert_eq!(Json::Num("1795453964".into()).as_i64(), Some(1_795_453_964));
        assert_eq!(Json::Num("1e3".into()).as_i64(), None);
        assert_eq!(Json::Bool(true).as_i64(), None);
        assert_eq!(s("99999999999999999999").as_i64(), None);
    }

    #[test]
    fn object_or_empty_treats_php_empty_array_as_map() {
        assert_eq!(parse("[]").unwrap().as_object_or_empty(), Some(&[][..]));
        assert_eq!(
            parse("{\"a\":1}")
                .unwrap()
                .as_object_or_empty()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(parse("[1]").unwrap().as_object_or_empty(), None);
        assert_eq!(parse("\"x\"").unwrap().as_object_or_empty(), None);
    }

    #[test]
    fn writes_raw_utf8_and_minimal_escapes() {
        let v = Json::Obj(vec![
            ("name".into(), s("é中😀 \"q\" \\ /")),
            ("ctl".into(), s("\n\r\t\u{8}\u{c}\u{b}\u{1}\u{1f}\u{7f}")),
            ("n".into(), Json::Num("12".into())),
            (
                "a".into(),
                Json::Arr(vec![Json::Null, Json::Bool(true), Json::Bool(false)]),
            ),
        ]);
        let text = v.to_json();
        assert_eq!(
            text,
            "{\"name\":\"é中😀 \\\"q\\\" \\\\ /\",\"ctl\":\"\\n\\r\\t\\b\\f\\u000b\\u0001\\u001f\u{7f}\",\"n\":12,\"a\":[null,true,false]}"
        );
        assert!(!text.contains("\\ud"), "no surrogate escapes");
        assert_eq!(parse(&text).unwrap(), v);
    }

    #[test]
    fn scan_object_gives_value_ranges() {
        let text = r#" {"success":true,"result":{"a":[1,{"b":"}"}]},"x":"\u00e9"} "#;
        let m = scan_object(text).unwrap();
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["success", "result", "x"]);
        assert_eq!(&text[m[0].1.clone()], "true");
        assert_eq!(&text[m[1].1.clone()], r#"{"a":[1,{"b":"}"}]}"#);
        assert_eq!(&text[m[2].1.clone()], r#""\u00e9""#);
        assert!(scan_object("[1]").is_err());
        assert!(scan_object(r#"{"a":1} {"#).is_err());
        assert!(scan_object(r#"{"a":[1,}"#).is_err());
        assert_eq!(scan_object("{}").unwrap(), vec![]);
    }

    /// Texts for comparing the scanners: valid objects with escaped keys, nested values,
    /// strings holding braces/quotes/backslashes, raw control characters, and broken ones.
    fn scan_corpus() -> Vec<String> {
        let mut v: Vec<String> = [
            r#"{}"#,
            r#" { } "#,
            r#"{"id":"12x1","modifiedtime":"2026-01-02 03:04:05"}"#,
            r#"{"i\u0064":"esc","id":"second","modifiedtime":null}"#,
            r#"{"id":"a\"b}","x":{"id":"nested","y":[{"}":"{"},"\\"]},"modifiedtime":"m"}"#,
            "{\"id\":\"raw\u{1}ctl\u{1f}\",\"modifiedtime\":\"t\ta\"}",
            "{\n\t\"a\" : [ 1 , -2.5e3 , true , false , null ] ,\r\n\"id\":\"x\"}",
            r#"{"modifiedtime":"first","modifiedtime":"second","id":1}"#,
            r#"{"\ud83d\ude00":"emoji key","id":"\u00e9"}"#,
            r#"{"a":"é中😀","id":"12x9"}"#,
            r#"{"id":"x"} trailing"#,
            r#"[1]"#,
            r#""str""#,
            r#"{"a":[1,}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":1 "b":2}"#,
            r#"{'a':1}"#,
            r#"{"a":"\x"}"#,
            r#"{"\x":1}"#,
            r#"{"a":"\ud83d"}"#,
            r#"{"a":tru}"#,
            r#"{"a":01}"#,
            "{\"a\":\u{1}}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every prefix of a valid object (truncation at each byte).
        let full = r#"{"i\u0064":"1","x":{"y":["}",2.5e-1,null]},"modifiedtime":"a\"b"}"#;
        for n in 0..full.len() {
            v.push(full[..n].to_owned());
        }
        v.push(format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200)));
        v
    }

    #[test]
    fn scan_object_keys_matches_scan_object() {
        let keys = ["id", "modifiedtime", "a", "😀"];
        for text in scan_corpus() {
            let full = scan_object(&text);
            let mut found = [None, None, None, None];
            let quick = scan_object_keys(&text, &keys, &mut found);
            assert_eq!(quick.is_ok(), full.is_ok(), "{text:?}");
            match full {
                Err(e) => assert_eq!(quick.unwrap_err(), e, "{text:?}"),
                Ok(members) => {
                    for (k, f) in keys.iter().zip(&found) {
                        let first = members.iter().find(|(n, _)| n == k).map(|(_, r)| r);
                        assert_eq!(f.as_ref(), first, "{text:?} {k}");
                    }
                }
            }
            // The `_at` forms agree with each other on where the object ends.
            let at = scan_object_at(&text, 0).map(|(_, end)| end);
            let keys_at = scan_object_keys_at(&text, 0, 0, &keys, &mut [None, None, None, None]);
            assert_eq!(keys_at, at, "{text:?}");
        }
    }

    #[test]
    fn scan_object_keys_takes_the_first_decoded_key() {
        let text = r#"{"i\u0064":"esc","id":"plain","x":{"id":"nested"},"modifiedtime":"t"}"#;
        let mut found = [None, None, None];
        scan_object_keys(text, &["id", "modifiedtime", "absent"], &mut found).unwrap();
        assert_eq!(&text[found[0].clone().unwrap()], r#""esc""#);
        assert_eq!(&text[found[1].clone().unwrap()], r#""t""#);
        assert_eq!(found[2], None);
    }

    #[test]
    fn skip_value_at_validates_like_parse() {
        for v in [
            r#""plain""#,
            r#""esc\"aped\\""#,
            "\"raw\u{1}ctl\"",
            r#""\ud83d""#,
            r#""unterminated"#,
            r#""bad \x escape""#,
            r#"{"a":["}",{"b":"]"}]}"#,
            "  [1, 2]",
            "nul",
            "-1.5e3",
            "1.",
            "{",
        ] {
            let text = format!("{v} ,");
            let got = skip_value_at(&text, 0, 1);
            match parse_prefix(&text, 0) {
                Ok((_, end)) => assert_eq!(got, Ok(end), "{v:?}"),
                Err(e) => assert_eq!(got, Err(e), "{v:?}"),
            }
        }
        let deep = "[".repeat(MAX_DEPTH);
        assert_eq!(
            skip_value_at(&deep, 0, 1).unwrap_err().message,
            "nesting too deep"
        );
        assert_eq!(
            scan_object_with(r#"{"a":1}"#, 0, MAX_DEPTH, |_, vs| Ok(vs + 1))
                .unwrap_err()
                .message,
            "nesting too deep"
        );
    }

    #[test]
    fn has_control_checks_every_byte() {
        for len in 0..24 {
            let clean = vec![b'a'; len];
            assert!(!has_control(&clean));
            for at in 0..len {
                for c in [0u8, 0x09, 0x1f] {
                    let mut b = clean.clone();
                    b[at] = c;
                    assert!(has_control(&b), "{len} {at} {c}");
                }
                let mut b = clean.clone();
                b[at] = 0x20;
                b[len - 1 - at] = 0xff;
                assert!(!has_control(&b));
            }
        }
    }

    #[test]
    fn escape_raw_controls_makes_strict_json() {
        let text = "{\"d\":\"a\u{b}b\u{1}c\\\"\u{9}\",\n\t\"e\":1}";
        let fixed = escape_raw_controls(text);
        assert!(!fixed.bytes().any(|b| b < 0x20 && b != b'\n' && b != b'\t'));
        assert!(fixed.contains("a\\u000bb\\u0001c\\\"\\t\""), "{fixed}");
        assert_eq!(parse(&fixed).unwrap(), parse(text).unwrap());
        // whitespace between tokens is kept; clean text is borrowed
        assert!(fixed.contains(",\n\t\"e\""));
        let clean = "{\n\"a\": \"b\"\n}";
        assert!(matches!(
            escape_raw_controls(clean),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn is_number_matches_the_grammar() {
        for ok in ["0", "-0", "12", "1.5", "1e5", "1E-5", "-1.25e+3"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["", "01", "+1", "1.", ".5", "1e", "abc", "1 ", "NaN"] {
            assert!(!is_number(bad), "{bad}");
        }
    }
}
