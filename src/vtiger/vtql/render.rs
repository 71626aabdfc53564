//! The syntax tree as VTQL text: values quoted with [`literal`] (LIKE patterns through
//! [`like::to_mysql`](super::like) first), conditions written in disjunctive normal form, the
//! select list, ORDER BY and LIMIT.
//!
//! Text for `query_related` ([`Style::Related`]) differs in one way: the server splits it on
//! the exact string `WHERE` (live findings C), so an upper-case `WHERE` inside a literal is
//! written `WH\ERE`, which MySQL reads as `WHERE` (`\E` is an unknown escape: `E`; recording
//! 915). The inserted backslash follows an `H`, never another backslash, so it pairs with the
//! `E` and nothing else; in a LIKE literal the string reader consumes it before the pattern
//! reader runs.

use super::ast::{Dir, Dnf, Op, Select, Term, Value, MAX_ROWS};
use super::like;
use super::literal::{ends_with_from, is_strict_int, is_strict_number, literal, shorten};
use crate::error::{Error, Result};
use crate::prelude::*;

/// Where rendered text goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `query`: literals as [`literal`] writes them.
    Query,
    /// `query_related`: an upper-case `WHERE` inside a literal is written `WH\ERE`.
    Related,
}

impl Term {
    fn render_into(&self, out: &mut String, style: Style) -> Result<()> {
        out.push_str(&self.field);
        out.push(' ');
        out.push_str(self.op.as_str());
        out.push(' ');
        match &self.value {
            Value::List(items) => {
                out.push('(');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    render_scalar(v, out, style)?;
                }
                out.push(')');
            }
            // A LIKE pattern: escaped for MySQL's pattern reader, then quoted.
            Value::Str(p) if self.op == Op::Like => quote(&like::to_mysql(p), out, style)?,
            v => render_scalar(v, out, style)?,
        }
        Ok(())
    }
}

/// `s` as a literal; in [`Style::Related`] with every `WHERE` written `WH\ERE`.
fn quote(s: &str, out: &mut String, style: Style) -> Result<()> {
    let lit = literal(s)?;
    if style == Style::Query {
        out.push_str(&lit);
        return Ok(());
    }
    let mut rest = lit.as_str();
    while let Some(i) = find_where(rest) {
        out.push_str(&rest[..i + 2]);
        out.push('\\');
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    Ok(())
}

/// Byte offset of the first `WHERE` (exact case, as the server's split) in `s`.
fn find_where(s: &str) -> Option<usize> {
    s.as_bytes().windows(5).position(|w| w == b"WHERE")
}

/// How many times `WHERE` (exact case) occurs in `s`: the server cuts `query_related` text at
/// each.
pub(crate) fn count_where(s: &str) -> usize {
    s.as_bytes().windows(5).filter(|w| w == b"WHERE").count()
}

fn render_scalar(v: &Value, out: &mut String, style: Style) -> Result<()> {
    match v {
        Value::Str(s) => quote(s, out, style)?,
        Value::Id(id) => {
            cat_to!(out; "'", id, "'");
        }
        Value::Num(n) => {
            if !is_strict_number(n) {
                return Err(Error::invalid_input(
                    "value",
                    cat!("'", shorten(n), "' is not a number"),
                ));
            }
            out.push('\'');
            out.push_str(n);
            out.push('\'');
        }
        Value::Int(n) => {
            if !is_strict_int(n) {
                return Err(Error::invalid_input(
                    "value",
                    cat!("'", shorten(n), "' is not an integer"),
                ));
            }
            out.push_str(n);
        }
        Value::List(_) => return Err(Error::invalid_input("value", "unexpected list")),
    }
    Ok(())
}
/// An AND group as text (`""` for the empty, true group).
pub(crate) fn render_terms(terms: &[Term], style: Style) -> Result<String> {
    let mut out = String::new();
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            out.push_str(" AND ");
        }
        t.render_into(&mut out, style)?;
    }
    Ok(out)
}

/// Renders a normal form; `extra` is appended to every AND group. Returns `None` for "true"
/// (no WHERE needed). Errors when the form is "false".
pub(crate) fn render_dnf(dnf: &Dnf, extra: Option<&Term>) -> Result<Option<String>> {
    render_dnf_styled(dnf, extra, Style::Query)
}

fn render_dnf_styled(dnf: &Dnf, extra: Option<&Term>, style: Style) -> Result<Option<String>> {
    if dnf.is_empty() {
        return Err(Error::invalid_input(
            "where",
            "the condition can never match (an empty OR)",
        ));
    }
    // A true group makes the whole condition true.
    let dnf_true = dnf.iter().any(|g| g.is_empty());
    let groups: Vec<&[Term]> = if dnf_true {
        vec![&[]]
    } else {
        dnf.iter().map(|g| g.as_slice()).collect()
    };
    let mut out = String::new();
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push_str(" OR ");
        }
        let mut first = true;
        for t in g.iter().chain(extra) {
            if !first {
                out.push_str(" AND ");
            }
            first = false;
            t.render_into(&mut out, style)?;
        }
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}
impl Select {
    /// The select list as VTQL text.
    pub(crate) fn select_list(&self, ensure_id: bool) -> String {
        if self.count {
            return "count(*)".to_owned();
        }
        if self.fields.is_empty() {
            return "*".to_owned();
        }
        let mut fields: Vec<&str> = self.fields.iter().map(String::as_str).collect();
        if ensure_id && !fields.iter().any(|f| f.eq_ignore_ascii_case("id")) {
            fields.push("id");
        }
        // The server finds the module with the regex `from\s+(\S+)` over the whole text; a
        // last field ending in "from" followed by a space would be taken for FROM.
        if fields.last().is_some_and(|f| ends_with_from(f)) {
            if let Some(pos) = fields.iter().position(|f| !ends_with_from(f)) {
                let f = fields.remove(pos);
                fields.push(f);
            } else {
                fields.push("id");
            }
        }
        fields.join(", ")
    }

    /// The statement as VTQL text, ending with `;`.
    ///
    /// Errors (`INVALID_INPUT`): invalid names, values or operators; a condition that
    /// cannot be written without parentheses within [`MAX_DNF_TERMS`](super::MAX_DNF_TERMS) terms; a `DESC` on a
    /// non-last ORDER BY column; a LIMIT count above 100 (the server returns at most 100
    /// rows per call).
    pub fn render(&self) -> Result<String> {
        let mut out = self.render_styled(Style::Query)?;
        out.push(';');
        Ok(out)
    }

    /// The statement as `query_related` text: no `;` (the server adds it) and an upper-case
    /// `WHERE` inside a literal written `WH\ERE` (the server splits the text on `WHERE`; MySQL
    /// reads `WH\ERE` as `WHERE`). Errors as [`Select::render`], and `INVALID_INPUT` (field
    /// `query`) when a name holds `WHERE` (it would cut the text, and cannot be escaped).
    ///
    /// This renders the caller's statement as it stands (the proxy forwards it); the client
    /// itself plans related queries with [`crate::vtiger::related::RelatedPlan`].
    pub fn render_related(&self) -> Result<String> {
        let out = self.render_styled(Style::Related)?;
        if count_where(&out) > 1 {
            return Err(Error::invalid_input(
                "query",
                "query_related splits the query text on the word WHERE (upper case), and a module or field name holding it would cut the query",
            ));
        }
        Ok(out)
    }

    fn render_styled(&self, style: Style) -> Result<String> {
        let dnf = self.validate()?;
        if let Some(l) = self.limit {
            if l.count > MAX_ROWS {
                return Err(Error::invalid_input(
                    "limit",
                    cat!("LIMIT ", l.count, " exceeds the server's cap of ", MAX_ROWS, " rows per query (it would silently return 100); use queryAll to page through more"),
                ));
            }
        }
        let where_ = match &dnf {
            Some(d) => render_dnf_styled(d, None, style)?,
            None => None,
        };
        let mut out = String::with_capacity(64);
        cat_to!(&mut out; "SELECT ", self.select_list(false), " FROM ", self.module);
        if let Some(w) = where_ {
            out.push_str(" WHERE ");
            out.push_str(&w);
        }
        self.render_order(&mut out);
        if let Some(l) = self.limit {
            match l.offset {
                Some(o) => {
                    cat_to!(&mut out; " LIMIT ", o, ", ", l.count);
                }
                None => {
                    cat_to!(&mut out; " LIMIT ", l.count);
                }
            }
        }
        Ok(out)
    }

    fn render_order(&self, out: &mut String) {
        if self.order_by.is_empty() {
            return;
        }
        out.push_str(" ORDER BY ");
        for (i, (f, _)) in self.order_by.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(f);
        }
        if let Some((_, Dir::Desc)) = self.order_by.last() {
            out.push_str(" DESC");
        }
    }
}
