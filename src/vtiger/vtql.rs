//! VTQL (the `query` operation's language) as a typed syntax tree rendered to safe text.
//!
//! # What VTQL can express
//!
//! ```text
//! SELECT * | count(*) | f1, f2 … FROM Module [WHERE cond] [ORDER BY a, b [ASC|DESC]] [LIMIT [m,] n];
//! ```
//!
//! * `cond` is a flat list of `field op value` terms joined by `AND`/`OR`. There are **no
//!   parentheses**, and `AND` binds tighter than `OR` (the server pastes the list into one SQL
//!   group). [`Select::render`] therefore writes every condition in disjunctive normal form:
//!   `(a OR b) AND c` becomes `a AND c OR b AND c`, which is exact. A condition whose normal
//!   form would hold more than [`MAX_DNF_TERMS`] terms is rejected with `INVALID_INPUT`.
//! * Operators: `= != < > <= >= IN LIKE`. `NOT LIKE`, `NOT IN`, `<>`, `IS NULL` and
//!   `BETWEEN` do not exist (the server answers `QUERY_SYNTAX_ERROR`).
//! * `ORDER BY` takes one direction, written once at the end and applied to the last column
//!   only; a `DESC` on any other column cannot be expressed and is rejected.
//! * At most [`MAX_ROWS`] (100) rows come back per call, whatever `LIMIT` says; a `LIMIT`
//!   count above 100 is rejected by [`Select::render`] (use
//!   [`crate::vtiger::paging::QueryAll`] for more rows).
//! * The trailing `;` is mandatory and always written.
//!
//! # Literals and injection
//!
//! The server's lexer reads a literal as `'(?:[^']|'')+'` and then hands the text verbatim to
//! MySQL, which also treats `\` as an escape character. [`literal`] therefore doubles every
//! `'` **and** every `\`, so the lexer and MySQL agree on where the literal ends and MySQL
//! reads back exactly the input. Newlines, tabs, `;`, ` or `, `where`, `limit` and any
//! Unicode are carried as-is (the lexer's `[^']` matches them). Two inputs are rejected
//! with `INVALID_INPUT`:
//! * the empty string: the lexer needs at least one character, so `''` cannot be written
//!   (the server would answer `INTERNAL_SERVER_ERROR`), and no other spelling means "empty";
//! * a NUL character: MySQL client paths may cut the statement at NUL, leaving a broken or
//!   truncated condition.
//!
//! Values are always quoted, numbers included (`'1.5'`; an unquoted decimal is a lexer
//! error and a bare word is read by MySQL as a column name), except an integer that raw
//! VTQL wrote unquoted ([`Value::Int`], kept unquoted so that a re-rendered query compares
//! the way the caller's text did). Webservice ids are validated
//! ([`WsId`]) and written quoted (`'12x5'`). Because the server inserts the numeric part of
//! an id, reference or owner value **unquoted** into SQL, a string compared with `id`,
//! `assigned_user_id`, `modifiedby`, `created_user_id`, `related_to` or any field whose
//! name ends in `_id` must be a valid webservice id; anything else is rejected
//! (`id = '12x1 OR 1=1'` would otherwise inject). Callers comparing other reference fields
//! should pass [`Value::Id`].
//!
//! Identifiers (module and field names) must match `^[A-Za-z_][A-Za-z0-9_]*$` and must not
//! be a VTQL keyword (the server's lexer switches clauses on bare `where`, `order`, `by`,
//! `limit`…).
//!
//! # Caveat
//!
//! On a MySQL server running with `NO_BACKSLASH_ESCAPES` a doubled backslash would match two
//! backslashes; stock Vtiger installs do not use that mode.

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::error::{Error, ErrorCode, Result};
use crate::json::Json;
use crate::vtiger::id::WsId;
use std::fmt::Write as _;

/// The server's row cap per `query` call.
pub const MAX_ROWS: u32 = 100;

/// Largest number of terms a condition may have once written in disjunctive normal form.
pub const MAX_DNF_TERMS: usize = 64;

/// Longest identifier accepted (MySQL's column-name limit).
const MAX_IDENT_LEN: usize = 64;

/// Words the server's lexer or parser treats specially; never valid as identifiers.
const KEYWORDS: &[&str] = &[
    "select", "from", "where", "and", "or", "in", "like", "order", "by", "orderby", "limit", "asc",
    "desc", "count",
];

/// Fields (besides any `*_id`) whose values the server splits on `x` and inserts unquoted.
const ID_VALUED_FIELDS: &[&str] = &[
    "id",
    "assigned_user_id",
    "modifiedby",
    "created_user_id",
    "related_to",
];

/// Renders a string as a VTQL literal: single-quoted, with `'` and `\` doubled.
///
/// Errors: `INVALID_INPUT` (field `value`) for the empty string (VTQL cannot express it) and
/// for a string holding NUL.
pub fn literal(s: &str) -> Result<String> {
    if s.is_empty() {
        return Err(Error::invalid_input(
            "value",
            "VTQL cannot express the empty string (the server's lexer rejects '')",
        ));
    }
    if s.contains('\0') {
        return Err(Error::invalid_input(
            "value",
            "a VTQL value cannot contain the NUL character",
        ));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// Checks a module or field name; errors name `field`.
pub fn check_ident(name: &str, field: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_IDENT_LEN
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(Error::invalid_input(
            field,
            format!(
                "'{}' is not a valid VTQL name (letters, digits and _, not starting with a digit)",
                shorten(name)
            ),
        ));
    }
    if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
        return Err(Error::invalid_input(
            field,
            format!("'{name}' is a VTQL keyword and cannot be used as a name"),
        ));
    }
    Ok(())
}

fn shorten(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// True for fields whose string values the server treats as webservice ids.
fn is_id_valued(field: &str) -> bool {
    ID_VALUED_FIELDS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(field))
        || (field.len() > 3 && field.as_bytes()[field.len() - 3..].eq_ignore_ascii_case(b"_id"))
}

fn ends_with_from(f: &str) -> bool {
    f.len() >= 4 && f.as_bytes()[f.len() - 4..].eq_ignore_ascii_case(b"from")
}

fn is_strict_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    s.len() <= 40
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && match frac {
            None => true,
            Some(f) => !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()),
        }
}

/// `-?digits`, at most 40 characters: what the server's lexer reads as a signed integer.
fn is_strict_int(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    s.len() <= 40 && !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit())
}

/// A comparison value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string, rendered with [`literal`].
    Str(String),
    /// A webservice id, rendered quoted (`'12x5'`).
    Id(WsId),
    /// A number as text (`-?digits[.digits]`), rendered quoted.
    Num(String),
    /// An integer written unquoted in raw VTQL (`lastname > 5`), rendered unquoted again: the
    /// server pastes it into SQL as is, so MySQL compares numerically, and a re-rendered query
    /// must mean what the caller's text meant. [`Select::parse`] makes these; the builder
    /// writes numbers quoted ([`Value::Num`]).
    Int(String),
    /// A non-empty list of scalar values, only for `IN`.
    List(Vec<Value>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }
    /// An integer value.
    pub fn int(n: i64) -> Value {
        Value::Num(n.to_string())
    }
    /// A number given as text; must match `-?[0-9]+(\.[0-9]+)?`.
    pub fn num(s: &str) -> Result<Value> {
        if !is_strict_number(s) {
            return Err(Error::invalid_input(
                "value",
                format!("'{}' is not a number", shorten(s)),
            ));
        }
        Ok(Value::Num(s.to_owned()))
    }
    /// A list of values for `IN`.
    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<WsId> for Value {
    fn from(id: WsId) -> Self {
        Value::Id(id)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::int(n)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::int(n.into())
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::int(n.into())
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `IN` (list or single value)
    In,
    /// `LIKE` (MySQL patterns: `%`, `_`; `\%` for a literal percent)
    Like,
}

impl Op {
    /// The operator as written in VTQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::In => "IN",
            Op::Like => "LIKE",
        }
    }

    /// Parses `= != < > <= >= in like` (case-insensitive; `==` and `eq`-style names are
    /// not accepted). `<>`, `not like` and the like are rejected with an explanation.
    pub fn parse(s: &str) -> Result<Op> {
        let t = s.trim();
        Ok(match t.to_ascii_lowercase().as_str() {
            "=" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            ">" => Op::Gt,
            "<=" => Op::Le,
            ">=" => Op::Ge,
            "in" => Op::In,
            "like" => Op::Like,
            "<>" => return Err(Error::invalid_input("op", "VTQL has no '<>'; use '!='")),
            _ => {
                return Err(Error::invalid_input(
                    "op",
                    format!(
                        "'{}' is not a VTQL operator (supported: = != < > <= >= IN LIKE; there is no NOT, NOT LIKE, NOT IN, IS NULL or BETWEEN)",
                        shorten(t)
                    ),
                ))
            }
        })
    }
}

/// One comparison `field op value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Field name.
    pub field: String,
    /// Operator.
    pub op: Op,
    /// Value (a list only with `IN`).
    pub value: Value,
}

impl Term {
    /// A term (validated by [`Term::check`] and at render time).
    pub fn new(field: impl Into<String>, op: Op, value: impl Into<Value>) -> Term {
        Term {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    /// Validates the field name, the operator/value pairing and id-valued fields. String
    /// values of id-valued fields that are valid ids are turned into [`Value::Id`].
    pub fn check(&self) -> Result<Term> {
        check_ident(&self.field, "field")?;
        let id_valued = is_id_valued(&self.field);
        let value = match (&self.value, self.op) {
            (Value::List(items), Op::In) => {
                if items.is_empty() {
                    return Err(Error::invalid_input(
                        "value",
                        format!("IN on '{}' needs at least one value", self.field),
                    ));
                }
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    if matches!(v, Value::List(_)) {
                        return Err(Error::invalid_input("value", "IN lists cannot be nested"));
                    }
                    out.push(check_scalar(&self.field, id_valued, v)?);
                }
                Value::List(out)
            }
            (Value::List(_), op) => {
                return Err(Error::invalid_input(
                    "value",
                    format!(
                        "a list of values is only allowed with IN, not with {}",
                        op.as_str()
                    ),
                ))
            }
            (v, _) => check_scalar(&self.field, id_valued, v)?,
        };
        Ok(Term {
            field: self.field.clone(),
            op: self.op,
            value,
        })
    }

    fn render_into(&self, out: &mut String) -> Result<()> {
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
                    render_scalar(v, out)?;
                }
                out.push(')');
            }
            v => render_scalar(v, out)?,
        }
        Ok(())
    }
}

fn check_scalar(field: &str, id_valued: bool, v: &Value) -> Result<Value> {
    match v {
        Value::Str(s) if id_valued => match WsId::parse_field(s, field) {
            Ok(id) => Ok(Value::Id(id)),
            Err(_) => Err(Error::invalid_input(
                field,
                format!(
                    "'{}' is not a webservice id (<prefix>x<record>, e.g. 12x34); '{field}' takes ids only",
                    shorten(s)
                ),
            )),
        },
        Value::Str(s) => {
            literal(s)?;
            Ok(v.clone())
        }
        // The server splits an id, owner or reference value on `x` and pastes the second part
        // into SQL: a number there is broken SQL at best, so the builder refuses it just as
        // the raw parser does (`account_id LIKE '1'` is not an id either).
        Value::Num(_) | Value::Int(_) if id_valued => Err(Error::invalid_input(
            field,
            format!("'{field}' takes webservice ids (<prefix>x<record>), not bare numbers"),
        )),
        Value::Num(n) => Value::num(n),
        Value::Int(n) => {
            if is_strict_int(n) {
                Ok(v.clone())
            } else {
                Err(Error::invalid_input(
                    "value",
                    format!("'{}' is not an integer", shorten(n)),
                ))
            }
        }
        Value::Id(_) => Ok(v.clone()),
        Value::List(_) => Err(Error::invalid_input("value", "unexpected list")),
    }
}

fn render_scalar(v: &Value, out: &mut String) -> Result<()> {
    match v {
        Value::Str(s) => out.push_str(&literal(s)?),
        Value::Id(id) => {
            let _ = write!(out, "'{id}'");
        }
        Value::Num(n) => {
            if !is_strict_number(n) {
                return Err(Error::invalid_input(
                    "value",
                    format!("'{}' is not a number", shorten(n)),
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
                    format!("'{}' is not an integer", shorten(n)),
                ));
            }
            out.push_str(n);
        }
        Value::List(_) => return Err(Error::invalid_input("value", "unexpected list")),
    }
    Ok(())
}

/// A condition tree. [`Cond::dnf`] flattens it into VTQL's `AND`-over-`OR` form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    /// One comparison.
    Term(Term),
    /// All must hold (an empty list is true).
    And(Vec<Cond>),
    /// Any must hold (an empty list is false, which VTQL cannot express).
    Or(Vec<Cond>),
}

/// A condition in disjunctive normal form: an OR of AND groups. `[]` is false; a group
/// `[]` is true.
pub type Dnf = Vec<Vec<Term>>;

impl Cond {
    /// `field op value`.
    pub fn term(field: impl Into<String>, op: Op, value: impl Into<Value>) -> Cond {
        Cond::Term(Term::new(field, op, value))
    }
    /// `field = value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Cond {
        Cond::term(field, Op::Eq, value)
    }
    /// `self AND other`.
    pub fn and(self, other: Cond) -> Cond {
        match self {
            Cond::And(mut v) => {
                v.push(other);
                Cond::And(v)
            }
            c => Cond::And(vec![c, other]),
        }
    }
    /// `self OR other`.
    pub fn or(self, other: Cond) -> Cond {
        match self {
            Cond::Or(mut v) => {
                v.push(other);
                Cond::Or(v)
            }
            c => Cond::Or(vec![c, other]),
        }
    }

    /// The condition in disjunctive normal form, with every term validated. Errors with
    /// `INVALID_INPUT` (field `where`) when the form would exceed [`MAX_DNF_TERMS`] terms.
    pub fn dnf(&self) -> Result<Dnf> {
        let d = self.dnf_inner()?;
        let terms: usize = d.iter().map(|g| g.len().max(1)).sum();
        if terms > MAX_DNF_TERMS {
            return Err(too_complex(terms));
        }
        Ok(d)
    }

    fn dnf_inner(&self) -> Result<Dnf> {
        match self {
            Cond::Term(t) => Ok(vec![vec![t.check()?]]),
            Cond::Or(items) => {
                let mut out = Vec::new();
                for c in items {
                    out.extend(c.dnf_inner()?);
                    let terms: usize = out.iter().map(|g: &Vec<Term>| g.len().max(1)).sum();
                    if terms > MAX_DNF_TERMS {
                        return Err(too_complex(terms));
                    }
                }
                Ok(out)
            }
            Cond::And(items) => {
                let mut acc: Dnf = vec![Vec::new()];
                for c in items {
                    let d = c.dnf_inner()?;
                    // Size of the product before building it.
                    let groups = acc.len().saturating_mul(d.len());
                    let terms = acc
                        .iter()
                        .map(|g| g.len())
                        .sum::<usize>()
                        .saturating_mul(d.len())
                        + d.iter()
                            .map(|g| g.len())
                            .sum::<usize>()
                            .saturating_mul(acc.len());
                    if groups > MAX_DNF_TERMS || terms > MAX_DNF_TERMS {
                        return Err(too_complex(terms.max(groups)));
                    }
                    let mut next = Vec::with_capacity(groups);
                    for a in &acc {
                        for b in &d {
                            let mut g = a.clone();
                            g.extend(b.iter().cloned());
                            next.push(g);
                        }
                    }
                    acc = next;
                }
                Ok(acc)
            }
        }
    }
}

fn too_complex(n: usize) -> Error {
    Error::invalid_input(
        "where",
        format!(
            "VTQL has no parentheses, so the condition must be written as an OR of AND groups; this one expands to {n} terms (limit {MAX_DNF_TERMS}). Simplify it (an IN list can replace ORs on one field)"
        ),
    )
}

/// Renders a normal form; `extra` is appended to every AND group. Returns `None` for "true"
/// (no WHERE needed). Errors when the form is "false".
pub(crate) fn render_dnf(dnf: &Dnf, extra: Option<&Term>) -> Result<Option<String>> {
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
            t.render_into(&mut out)?;
        }
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Dir {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

impl Dir {
    /// Parses `asc`/`desc` (case-insensitive).
    pub fn parse(s: &str) -> Result<Dir> {
        if s.eq_ignore_ascii_case("asc") {
            Ok(Dir::Asc)
        } else if s.eq_ignore_ascii_case("desc") {
            Ok(Dir::Desc)
        } else {
            Err(Error::invalid_input(
                "orderBy",
                format!("'{}' is not a direction (asc or desc)", shorten(s)),
            ))
        }
    }
}

/// `LIMIT [offset,] count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limit {
    /// Rows to skip.
    pub offset: Option<u32>,
    /// Rows to return: at most [`MAX_ROWS`] in a rendered query; a total cap in
    /// [`crate::vtiger::paging::QueryAll`].
    pub count: u32,
}

/// A `SELECT` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    /// Module name (e.g. `Contacts`).
    pub module: String,
    /// Selected fields; empty means `*`.
    pub fields: Vec<String>,
    /// `SELECT count(*)` (note: returns `[]` on Vtiger 8.3+; use
    /// [`crate::vtiger::paging::Count`]).
    pub count: bool,
    /// Condition.
    pub where_: Option<Cond>,
    /// ORDER BY columns; only the last may be `Desc`.
    pub order_by: Vec<(String, Dir)>,
    /// LIMIT.
    pub limit: Option<Limit>,
}

impl Select {
    /// `SELECT * FROM module`.
    pub fn from(module: &str) -> Result<Select> {
        check_ident(module, "module")?;
        Ok(Select {
            module: module.to_owned(),
            fields: Vec::new(),
            count: false,
            where_: None,
            order_by: Vec::new(),
            limit: None,
        })
    }

    /// Selects these fields (replacing earlier ones; empty means `*`).
    pub fn fields<S: AsRef<str>>(mut self, fields: &[S]) -> Result<Select> {
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            let f = f.as_ref();
            check_ident(f, "fields")?;
            if !out.iter().any(|g: &String| g.eq_ignore_ascii_case(f)) {
                out.push(f.to_owned());
            }
        }
        self.fields = out;
        Ok(self)
    }

    /// `SELECT count(*)`.
    pub fn count(mut self) -> Select {
        self.count = true;
        self
    }

    /// ANDs a condition onto the current one (validating it now).
    pub fn and(mut self, cond: Cond) -> Result<Select> {
        cond.dnf()?;
        self.where_ = Some(match self.where_.take() {
            Some(c) => c.and(cond),
            None => cond,
        });
        Ok(self)
    }

    /// ORs a condition onto the current one: `where_eq(a).and(b).or(c)` is `(a AND b) OR c`.
    pub fn or(mut self, cond: Cond) -> Result<Select> {
        cond.dnf()?;
        self.where_ = Some(match self.where_.take() {
            Some(c) => c.or(cond),
            None => cond,
        });
        Ok(self)
    }

    /// ANDs `field op value`.
    pub fn where_op(self, field: &str, op: Op, value: impl Into<Value>) -> Result<Select> {
        self.and(Cond::term(field, op, value))
    }

    /// ANDs `field = value`.
    pub fn where_eq(self, field: &str, value: impl Into<Value>) -> Result<Select> {
        self.and(Cond::eq(field, value))
    }

    /// Appends an ORDER BY column.
    pub fn order_by(mut self, field: &str, dir: Dir) -> Result<Select> {
        check_ident(field, "orderBy")?;
        self.order_by.push((field.to_owned(), dir));
        Ok(self)
    }

    /// Sets `LIMIT count` (checked against the 100-row cap by [`Select::render`]).
    pub fn limit(mut self, count: u32) -> Select {
        let offset = self.limit.and_then(|l| l.offset);
        self.limit = Some(Limit { offset, count });
        self
    }

    /// Sets the LIMIT offset (with a count of 100 when no count was set).
    pub fn offset(mut self, offset: u32) -> Select {
        let count = self.limit.map_or(MAX_ROWS, |l| l.count);
        self.limit = Some(Limit {
            offset: Some(offset),
            count,
        });
        self
    }

    /// Validates everything except the LIMIT cap; returns the condition's normal form.
    pub(crate) fn validate(&self) -> Result<Option<Dnf>> {
        check_ident(&self.module, "module")?;
        for f in &self.fields {
            check_ident(f, "fields")?;
        }
        if self.count && !self.fields.is_empty() {
            return Err(Error::invalid_input(
                "fields",
                "count(*) cannot be combined with fields",
            ));
        }
        let n = self.order_by.len();
        for (i, (f, d)) in self.order_by.iter().enumerate() {
            check_ident(f, "orderBy")?;
            if *d == Dir::Desc && i + 1 != n {
                return Err(Error::invalid_input(
                    "orderBy",
                    "VTQL writes one direction at the end of ORDER BY and applies it to the last column only; only the last column can be DESC",
                ));
            }
        }
        self.where_.as_ref().map(Cond::dnf).transpose()
    }

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
    /// cannot be written without parentheses within [`MAX_DNF_TERMS`] terms; a `DESC` on a
    /// non-last ORDER BY column; a LIMIT count above 100 (the server returns at most 100
    /// rows per call).
    pub fn render(&self) -> Result<String> {
        let dnf = self.validate()?;
        if let Some(l) = self.limit {
            if l.count > MAX_ROWS {
                return Err(Error::invalid_input(
                    "limit",
                    format!(
                        "LIMIT {} exceeds the server's cap of {MAX_ROWS} rows per query (it would silently return 100); use queryAll to page through more",
                        l.count
                    ),
                ));
            }
        }
        let where_ = match &dnf {
            Some(d) => render_dnf(d, None)?,
            None => None,
        };
        let mut out = String::with_capacity(64);
        let _ = write!(
            out,
            "SELECT {} FROM {}",
            self.select_list(false),
            self.module
        );
        if let Some(w) = where_ {
            out.push_str(" WHERE ");
            out.push_str(&w);
        }
        self.render_order(&mut out);
        if let Some(l) = self.limit {
            match l.offset {
                Some(o) => {
                    let _ = write!(out, " LIMIT {o}, {}", l.count);
                }
                None => {
                    let _ = write!(out, " LIMIT {}", l.count);
                }
            }
        }
        out.push(';');
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

    /// Builds a statement from its JSON object form (what the JavaScript layer passes):
    ///
    /// ```json
    /// { "module": "Contacts",
    ///   "fields": ["firstname", "lastname"],          // optional; omitted or [] = *
    ///   "count": false,                               // optional; SELECT count(*)
    ///   "where": <where>,                             // optional
    ///   "orderBy": "lastname" | ["a", {"field": "b", "dir": "desc"}],  // optional
    ///   "limit": 50, "offset": 100 }                  // optional
    /// ```
    ///
    /// `<where>` is one of
    /// * an array of AND groups, OR-ed together: `[[c1, c2], [c3]]` = `c1 AND c2 OR c3`;
    ///   every element must itself be an array (a flat `[c1, c2]` is rejected as ambiguous);
    ///   `[]` means no condition;
    /// * `{"and": [<where-item>…]}` or `{"or": [<where-item>…]}`, nested freely; VTQL's
    ///   missing parentheses are handled by [`Cond::dnf`];
    /// * a single condition `{"field": "lastname", "op": "=", "value": "Smith"}`.
    ///
    /// A condition's `op` defaults to `=` and is one of `= != < > <= >= in like`
    /// (case-insensitive). `value` is a string, a number (sent quoted), a boolean (`'1'`/
    /// `'0'`, Vtiger's checkbox values) or, for `in`, a non-empty array of those. `null` is
    /// rejected (VTQL has no `IS NULL`). Strings on `id` and reference/owner fields must be
    /// webservice ids.
    pub fn from_spec(spec: &Json) -> Result<Select> {
        spec::from_spec(spec)
    }

    /// [`Select::from_spec`] on JSON text.
    pub fn from_spec_text(text: &str) -> Result<Select> {
        let json = crate::json::parse(text).map_err(|e| {
            Error::invalid_input("spec", format!("the query spec is not valid JSON: {e}"))
        })?;
        Select::from_spec(&json)
    }

    /// Parses raw VTQL text of the shape
    /// `SELECT <fields|*|count(*)> FROM <Module> [WHERE …] [ORDER BY …] [LIMIT …];`
    /// with the server's own token rules, so that raw queries can be paged by keyset too.
    ///
    /// Anything this client would not itself render is an error (`INVALID_INPUT`, field
    /// `query`): bare-word values, literals whose backslashes would make MySQL and the VTQL
    /// lexer disagree, unknown tokens, text after `;`, a missing `;`. Such text can still be
    /// sent as is with `ops::query`, as a single page.
    pub fn parse(raw: &str) -> Result<Select> {
        parse::parse(raw)
    }
}

mod spec {
    use super::*;

    fn bad(field: &str, msg: impl Into<String>) -> Error {
        Error::invalid_input(field, msg)
    }

    fn get<'a>(obj: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
        obj.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(super) fn from_spec(spec: &Json) -> Result<Select> {
        let Json::Obj(obj) = spec else {
            return Err(bad("spec", "the query spec must be a JSON object"));
        };
        for (k, _) in obj {
            if !matches!(
                k.as_str(),
                "module" | "fields" | "count" | "where" | "orderBy" | "limit" | "offset"
            ) {
                return Err(bad(k, format!("unknown query spec key '{}'", shorten(k))));
            }
        }
        let module = match get(obj, "module") {
            Some(Json::Str(m)) => m,
            _ => return Err(bad("module", "the query spec needs a module name (string)")),
        };
        let mut sel = Select::from(module)?;
        match get(obj, "fields") {
            None | Some(Json::Null) => {}
            Some(Json::Arr(items)) => {
                let mut names = Vec::with_capacity(items.len());
                for it in items {
                    match it {
                        Json::Str(s) => names.push(s.as_str()),
                        _ => return Err(bad("fields", "fields must be an array of names")),
                    }
                }
                sel = sel.fields(&names)?;
            }
            Some(_) => return Err(bad("fields", "fields must be an array of names")),
        }
        match get(obj, "count") {
            None | Some(Json::Null) | Some(Json::Bool(false)) => {}
            Some(Json::Bool(true)) => sel.count = true,
            Some(_) => return Err(bad("count", "count must be a boolean")),
        }
        match get(obj, "where") {
            None | Some(Json::Null) => {}
            Some(w) => {
                if let Some(c) = where_top(w)? {
                    sel = sel.and(c)?;
                }
            }
        }
        match get(obj, "orderBy") {
            None | Some(Json::Null) => {}
            Some(Json::Str(f)) => sel = sel.order_by(f, Dir::Asc)?,
            Some(Json::Arr(items)) => {
                for it in items {
                    match it {
                        Json::Str(f) => sel = sel.order_by(f, Dir::Asc)?,
                        Json::Obj(o) => {
                            let f = match get(o, "field") {
                                Some(Json::Str(f)) => f,
                                _ => {
                                    return Err(bad(
                                        "orderBy",
                                        "an orderBy entry needs a field name",
                                    ))
                                }
                            };
                            let d = match get(o, "dir") {
                                None | Some(Json::Null) => Dir::Asc,
                                Some(Json::Str(d)) => Dir::parse(d)?,
                                Some(_) => {
                                    return Err(bad("orderBy", "dir must be \"asc\" or \"desc\""))
                                }
                            };
                            sel = sel.order_by(f, d)?;
                        }
                        _ => {
                            return Err(bad("orderBy", "orderBy entries are names or {field, dir}"))
                        }
                    }
                }
            }
            Some(_) => return Err(bad("orderBy", "orderBy must be a name or an array")),
        }
        if let Some(n) = opt_u32(get(obj, "limit"), "limit")? {
            sel = sel.limit(n);
        }
        if let Some(n) = opt_u32(get(obj, "offset"), "offset")? {
            sel = sel.offset(n);
        }
        Ok(sel)
    }

    fn opt_u32(v: Option<&Json>, field: &str) -> Result<Option<u32>> {
        match v {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Num(n)) => n
                .parse::<u32>()
                .map(Some)
                .map_err(|_| bad(field, format!("{field} must be a non-negative integer"))),
            Some(_) => Err(bad(
                field,
                format!("{field} must be a non-negative integer"),
            )),
        }
    }

    fn where_top(w: &Json) -> Result<Option<Cond>> {
        match w {
            Json::Arr(groups) => {
                if groups.is_empty() {
                    return Ok(None);
                }
                let mut ors = Vec::with_capacity(groups.len());
                for g in groups {
                    let Json::Arr(items) = g else {
                        return Err(bad(
                            "where",
                            "a where array is an OR of AND groups: each element must be an array of conditions ([[a, b], [c]] = a AND b OR c); use {\"and\": [...]} for one group",
                        ));
                    };
                    if items.is_empty() {
                        return Err(bad("where", "an AND group cannot be empty"));
                    }
                    let ands = items.iter().map(where_item).collect::<Result<Vec<_>>>()?;
                    ors.push(Cond::And(ands));
                }
                Ok(Some(if ors.len() == 1 {
                    ors.pop().unwrap_or(Cond::And(Vec::new()))
                } else {
                    Cond::Or(ors)
                }))
            }
            other => where_item(other).map(Some),
        }
    }

    fn where_item(w: &Json) -> Result<Cond> {
        let Json::Obj(o) = w else {
            return Err(bad(
                "where",
                "a condition must be an object {field, op, value}, {and: [...]} or {or: [...]}",
            ));
        };
        if let Some(items) = get(o, "and").or_else(|| get(o, "or")) {
            let is_and = get(o, "and").is_some();
            if o.len() != 1 {
                return Err(bad(
                    "where",
                    "an {and}/{or} object must have exactly one key",
                ));
            }
            let Json::Arr(items) = items else {
                return Err(bad("where", "and/or take an array of conditions"));
            };
            if items.is_empty() {
                return Err(bad("where", "and/or need at least one condition"));
            }
            let cs = items.iter().map(where_item).collect::<Result<Vec<_>>>()?;
            return Ok(if is_and { Cond::And(cs) } else { Cond::Or(cs) });
        }
        for (k, _) in o {
            if !matches!(k.as_str(), "field" | "op" | "value") {
                return Err(bad(
                    "where",
                    format!("unknown condition key '{}'", shorten(k)),
                ));
            }
        }
        let field = match get(o, "field") {
            Some(Json::Str(f)) => f.clone(),
            _ => return Err(bad("where", "a condition needs a field name")),
        };
        let op = match get(o, "op") {
            None | Some(Json::Null) => Op::Eq,
            Some(Json::Str(s)) => Op::parse(s)?,
            Some(_) => return Err(bad("op", "op must be a string")),
        };
        let value = match get(o, "value") {
            None | Some(Json::Null) => {
                return Err(bad(
                    &field,
                    "a condition needs a value (VTQL has no IS NULL)",
                ));
            }
            Some(Json::Arr(items)) => Value::List(
                items
                    .iter()
                    .map(|v| scalar(&field, v))
                    .collect::<Result<_>>()?,
            ),
            Some(v) => scalar(&field, v)?,
        };
        let t = Term { field, op, value };
        t.check()?;
        Ok(Cond::Term(t))
    }

    fn scalar(field: &str, v: &Json) -> Result<Value> {
        match v {
            Json::Str(s) => Ok(Value::Str(s.clone())),
            Json::Num(n) => Value::num(n),
            Json::Bool(b) => Ok(Value::Num(if *b { "1" } else { "0" }.to_owned())),
            Json::Null => Err(bad(
                field,
                "null values are not supported (VTQL has no IS NULL)",
            )),
            _ => Err(bad(field, "a value must be a string, number or boolean")),
        }
    }
}

mod parse {
    use super::*;

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
                    return Err(err(format!(
                        "unexpected character '{}' in VTQL",
                        ch.escape_default()
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
                Err(err(format!("expected {}", kw.to_ascii_uppercase())))
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
                Err(err(format!("expected '{s}'")))
            }
        }
        fn ident(&mut self, field: &str) -> Result<String> {
            match self.next() {
                Some(Tok::Word(w)) => {
                    check_ident(&w, field).map_err(|e| err(e.message))?;
                    Ok(w)
                }
                _ => Err(err(format!("expected a name ({field})"))),
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

    pub(super) fn parse(raw: &str) -> Result<Select> {
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
        p.sym(";").map_err(|_| err("expected ';' (VTQL statements end with a semicolon; nothing may follow the clauses)"))?;
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
                ors.push(group(std::mem::take(&mut ands)));
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
            _ => return Err(err(format!("expected an operator after '{field}'"))),
        };
        let mut values = Vec::new();
        let paren = p.is_sym("(");
        if paren {
            p.pos += 1;
        }
        loop {
            values.push(match p.next() {
                Some(Tok::Lit(s)) => Value::Str(s),
                Some(Tok::Int(n)) => Value::Int(n),
                Some(Tok::Word(w)) => {
                    return Err(err(format!(
                        "bare word '{}' as a value: MySQL would read it as a column name; quote it",
                        shorten(&w)
                    )))
                }
                _ => return Err(err(format!("expected a value for '{field}'"))),
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
                return Err(err(format!(
                    "several values are only allowed with IN ('{field}')"
                )));
            }
            values.pop().unwrap_or(Value::List(Vec::new()))
        };
        Term { field, op, value }
            .check()
            .map_err(|e| err(e.message))
    }
}
