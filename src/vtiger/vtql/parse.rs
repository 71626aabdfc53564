//! Raw VTQL text read back into a [`Select`] with the server's own token rules.

use super::ast::{Cond, Dir, Limit, Op, Select, Term, Value};
use super::like;
use super::literal::{check_ident, shorten};
use crate::error::{Error, ErrorCode, Result};
use crate::prelude::*;

impl Select {
    /// Parses raw VTQL text of the shape
    /// `SELECT <fields|*|count(*)> FROM <Module> [WHERE …] [ORDER BY …] [LIMIT …];`
    /// with the server's own token rules, so that raw queries can be paged by keyset too.
    ///
    /// Literals are read as MySQL reads them (its string escapes); a LIKE literal is then read
    /// as MySQL's LIKE reads a pattern and kept in the pattern syntax of [`Op::Like`], so that
    /// re-rendered text means what the caller's text meant.
    ///
    /// Anything this client would not itself render is an error (`INVALID_INPUT`, field
    /// `query`): bare-word values, literals whose backslashes would make MySQL and the VTQL
    /// lexer disagree, unknown tokens, text after `;`, a missing `;`. Such text can still be
    /// sent as is with `ops::query`, as a single page.
    pub fn parse(raw: &str) -> Result<Select> {
        parse(raw)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    /// A literal's value as MySQL reads it.
    Lit(String),
    Int(String),
    Sym(&'static str),
}

fn err(msg: impl Into<String>) -> Error {
    Error::invalid_input("query", msg)
}

/// The server's tokenizer: words `\w+` (ASCII), single-quoted literals with `''`,
/// `( ) , * ;`, signed integers, `= < > <= >= !=`; whitespace is space, tab, CR, LF.
fn lex(s: &str) -> Result<Vec<Tok>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'\'' => {
                // Lexer: '(?:[^']|'')+'
                let start = i + 1;
                let mut j = start;
                loop {
                    match b.get(j) {
                        None => return Err(err("unterminated string literal")),
                        Some(b'\'') if b.get(j + 1) == Some(&b'\'') => j += 2,
                        Some(b'\'') => break,
                        Some(_) => j += 1,
                    }
                }
                if j == start {
                    return Err(err("the empty literal '' cannot be written in VTQL"));
                }
                out.push(Tok::Lit(mysql_unescape(&s[start..j])?));
                i = j + 1;
            }
            b'(' | b')' | b',' | b'*' | b';' | b'=' => {
                out.push(Tok::Sym(match c {
                    b'(' => "(",
                    b')' => ")",
                    b',' => ",",
                    b'*' => "*",
                    b';' => ";",
                    _ => "=",
                }));
                i += 1;
            }
            b'<' | b'>' => {
                if b.get(i + 1) == Some(&b'=') {
                    out.push(Tok::Sym(if c == b'<' { "<=" } else { ">=" }));
                    i += 2;
                } else {
                    out.push(Tok::Sym(if c == b'<' { "<" } else { ">" }));
                    i += 1;
                }
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Sym("!="));
                i += 2;
            }
            b'+' | b'-' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let st = i;
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                out.push(Tok::Int(s[st..i].trim_start_matches('+').to_owned()));
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let st = i;
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                let w = &s[st..i];
                if w.bytes().all(|c| c.is_ascii_digit()) {
                    out.push(Tok::Int(w.to_owned()));
                } else {
                    out.push(Tok::Word(w.to_owned()));
                }
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or(' ');
                return Err(err(cat!(
                    "unexpected character '",
                    ch.escape_default().collect::<String>(),
                    "' in VTQL"
                )));
            }
        }
    }
    Ok(out)
}

/// Reads a literal's inner text (between the lexer's quotes) as MySQL would and checks
/// that MySQL's end of string is the lexer's: a backslash before a quote would desync.
fn mysql_unescape(inner: &str) -> Result<String> {
    let mut out = String::with_capacity(inner.len());
    let mut it = inner.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\'' => {
                // The lexer only lets '' through here.
                if it.next() != Some('\'') {
                    return Err(err("malformed literal"));
                }
                out.push('\'');
            }
            '\\' => match it.next() {
                None | Some('\'') => {
                    return Err(err(
                        "a backslash before a quote makes MySQL and the VTQL lexer disagree on where the literal ends; double the backslash",
                    ))
                }
                Some('0') => return Err(err("a VTQL value cannot contain the NUL character")),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\u{8}'),
                Some('Z') => out.push('\u{1a}'),
                // MySQL keeps the backslash for the LIKE escapes \% and \_.
                Some('%') => out.push_str("\\%"),
                Some('_') => out.push_str("\\_"),
                Some(o) => out.push(o),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return Err(err("the empty literal cannot be written in VTQL"));
    }
    Ok(out)
}

struct P {
    toks: Vec<Tok>,
    pos: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn kw(&mut self, kw: &str) -> Result<()> {
        if self.is_kw(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(cat!("expected ", kw.to_ascii_uppercase())))
        }
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }
    fn sym(&mut self, s: &str) -> Result<()> {
        if self.is_sym(s) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(cat!("expected '", s, "'")))
        }
    }
    fn ident(&mut self, field: &str) -> Result<String> {
        match self.next() {
            Some(Tok::Word(w)) => {
                check_ident(&w, field).map_err(|e| err(e.message))?;
                Ok(w)
            }
            _ => Err(err(cat!("expected a name (", field, ")"))),
        }
    }
    fn uint(&mut self) -> Result<u32> {
        match self.next() {
            Some(Tok::Int(n)) if !n.starts_with('-') => {
                n.parse().map_err(|_| err("LIMIT number out of range"))
            }
            _ => Err(err("expected a number after LIMIT")),
        }
    }
}

fn parse(raw: &str) -> Result<Select> {
    let mut p = P {
        toks: lex(raw)?,
        pos: 0,
    };
    p.kw("select")?;
    let mut fields = Vec::new();
    let mut count = false;
    if p.is_sym("*") {
        p.pos += 1;
    } else if p.is_kw("count") && p.toks.get(p.pos + 1) == Some(&Tok::Sym("(")) {
        p.pos += 1;
        p.sym("(")?;
        p.sym("*")?;
        p.sym(")")?;
        count = true;
        if p.is_sym(",") {
            return Err(err("count(*) cannot be combined with fields"));
        }
    } else {
        loop {
            let f = p.ident("fields")?;
            if !fields.iter().any(|g: &String| g.eq_ignore_ascii_case(&f)) {
                fields.push(f);
            }
            if p.is_sym(",") {
                p.pos += 1;
            } else {
                break;
            }
        }
    }
    p.kw("from")?;
    let module = p.ident("module")?;
    let mut sel = Select {
        module,
        fields,
        count,
        where_: None,
        order_by: Vec::new(),
        limit: None,
    };
    if p.is_kw("where") {
        p.pos += 1;
        sel.where_ = Some(parse_cond(&mut p)?);
    }
    if p.is_kw("orderby") || p.is_kw("order") {
        if p.is_kw("order") {
            p.pos += 1;
            p.kw("by")?;
        } else {
            p.pos += 1;
        }
        let mut cols = Vec::new();
        loop {
            cols.push(p.ident("orderBy")?);
            if p.is_sym(",") {
                p.pos += 1;
            } else {
                break;
            }
        }
        let dir = if p.is_kw("asc") {
            p.pos += 1;
            Dir::Asc
        } else if p.is_kw("desc") {
            p.pos += 1;
            Dir::Desc
        } else {
            Dir::Asc
        };
        let n = cols.len();
        sel.order_by = cols
            .into_iter()
            .enumerate()
            .map(|(i, c)| (c, if i + 1 == n { dir } else { Dir::Asc }))
            .collect();
    }
    if p.is_kw("limit") {
        p.pos += 1;
        let a = p.uint()?;
        if p.is_sym(",") {
            p.pos += 1;
            let b = p.uint()?;
            sel.limit = Some(Limit {
                offset: Some(a),
                count: b,
            });
        } else {
            sel.limit = Some(Limit {
                offset: None,
                count: a,
            });
        }
    }
    p.sym(";").map_err(|_| {
        err("expected ';' (VTQL statements end with a semicolon; nothing may follow the clauses)")
    })?;
    if p.peek().is_some() {
        return Err(err("nothing may follow the ';'"));
    }
    sel.validate().map_err(|e| {
        if e.code == ErrorCode::InvalidInput {
            err(e.message)
        } else {
            e
        }
    })?;
    Ok(sel)
}

fn parse_cond(p: &mut P) -> Result<Cond> {
    let mut ors: Vec<Cond> = Vec::new();
    let mut ands: Vec<Cond> = Vec::new();
    loop {
        ands.push(Cond::Term(parse_term(p)?));
        if p.is_kw("and") {
            p.pos += 1;
        } else if p.is_kw("or") {
            p.pos += 1;
            ors.push(group(core::mem::take(&mut ands)));
        } else {
            break;
        }
    }
    ors.push(group(ands));
    Ok(if ors.len() == 1 {
        ors.pop().unwrap_or(Cond::And(Vec::new()))
    } else {
        Cond::Or(ors)
    })
}

fn group(mut ands: Vec<Cond>) -> Cond {
    if ands.len() == 1 {
        ands.pop().unwrap_or(Cond::And(Vec::new()))
    } else {
        Cond::And(ands)
    }
}

fn parse_term(p: &mut P) -> Result<Term> {
    let field = p.ident("field")?;
    let op = match p.next() {
        Some(Tok::Sym(s)) if !matches!(s, "(" | ")" | "," | "*" | ";") => Op::parse(s)?,
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in") => Op::In,
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("like") => Op::Like,
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") || w.eq_ignore_ascii_case("is") => {
            return Err(err("VTQL has no NOT / IS NULL"))
        }
        _ => return Err(err(cat!("expected an operator after '", field, "'"))),
    };
    let mut values = Vec::new();
    let paren = p.is_sym("(");
    if paren {
        p.pos += 1;
    }
    loop {
        values.push(match p.next() {
            // A LIKE literal is a pattern for MySQL's LIKE: read as it reads it.
            Some(Tok::Lit(s)) if op == Op::Like => Value::Str(like::from_mysql(&s)),
            Some(Tok::Lit(s)) => Value::Str(s),
            Some(Tok::Int(n)) => Value::Int(n),
            Some(Tok::Word(w)) => {
                return Err(err(cat!(
                    "bare word '",
                    shorten(&w),
                    "' as a value: MySQL would read it as a column name; quote it"
                )))
            }
            _ => return Err(err(cat!("expected a value for '", field, "'"))),
        });
        if p.is_sym(",") {
            p.pos += 1;
        } else {
            break;
        }
    }
    if paren {
        p.sym(")")?;
    }
    let value = if op == Op::In {
        if paren || values.len() > 1 {
            Value::List(values)
        } else {
            values.pop().unwrap_or(Value::List(Vec::new()))
        }
    } else {
        if paren || values.len() != 1 {
            return Err(err(cat!(
                "several values are only allowed with IN ('",
                field,
                "')"
            )));
        }
        values.pop().unwrap_or(Value::List(Vec::new()))
    };
    Term { field, op, value }
        .check()
        .map_err(|e| err(e.message))
}
