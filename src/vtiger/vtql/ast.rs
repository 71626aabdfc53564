//! The VTQL syntax tree ([`Select`], [`Cond`], [`Term`], [`Value`]), its builders and
//! validation, and the disjunctive normal form VTQL's parenthesis-free conditions need.

use super::like::like_escape;
use super::literal::{
    check_ident, is_id_valued, is_strict_int, is_strict_number, literal, shorten,
};
use crate::error::{Error, Result};
use crate::prelude::*;
use crate::vtiger::id::WsId;

/// The server's row cap per `query` call.
pub const MAX_ROWS: u32 = 100;

/// Largest number of terms a condition may have once written in disjunctive normal form.
pub const MAX_DNF_TERMS: usize = 64;
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
        Value::Num(n.text())
    }
    /// A number given as text; must match `-?[0-9]+(\.[0-9]+)?`.
    pub fn num(s: &str) -> Result<Value> {
        if !is_strict_number(s) {
            return Err(Error::invalid_input(
                "value",
                cat!("'", shorten(s), "' is not a number"),
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
    /// `LIKE`: the value is a pattern (`%` any run, `_` any one character; `\%`, `\_`, `\\`
    /// a literal `%`, `_`, `\`; any other `\` a literal backslash). See [`like_escape`] and
    /// [`Cond::contains`] for plain text.
    ///
    /// [`like_escape`]: super::like_escape
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
                    cat!("'", shorten(t), "' is not a VTQL operator (supported: = != < > <= >= IN LIKE, and contains, startsWith, endsWith in the object form; there is no NOT, NOT LIKE, NOT IN, IS NULL or BETWEEN)"),
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
                        cat!("IN on '", self.field, "' needs at least one value"),
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
                    cat!(
                        "a list of values is only allowed with IN, not with ",
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
}

fn check_scalar(field: &str, id_valued: bool, v: &Value) -> Result<Value> {
    match v {
        Value::Str(s) if id_valued => match WsId::parse_field(s, field) {
            Ok(id) => Ok(Value::Id(id)),
            Err(_) => Err(Error::invalid_input(
                field,
                cat!(
                    "'",
                    shorten(s),
                    "' is not a webservice id (<prefix>x<record>, e.g. 12x34); '",
                    field,
                    "' takes ids only"
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
            cat!(
                "'",
                field,
                "' takes webservice ids (<prefix>x<record>), not bare numbers"
            ),
        )),
        Value::Num(n) => Value::num(n),
        Value::Int(n) => {
            if is_strict_int(n) {
                Ok(v.clone())
            } else {
                Err(Error::invalid_input(
                    "value",
                    cat!("'", shorten(n), "' is not an integer"),
                ))
            }
        }
        Value::Id(_) => Ok(v.clone()),
        Value::List(_) => Err(Error::invalid_input("value", "unexpected list")),
    }
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
    /// `field LIKE '%text%'` with `text` taken literally (`%`, `_` and `\` escaped).
    pub fn contains(field: impl Into<String>, text: &str) -> Cond {
        Cond::term(field, Op::Like, cat!("%", like_escape(text), "%"))
    }
    /// `field LIKE 'text%'` with `text` taken literally.
    pub fn starts_with(field: impl Into<String>, text: &str) -> Cond {
        Cond::term(field, Op::Like, cat!(like_escape(text), "%"))
    }
    /// `field LIKE '%text'` with `text` taken literally.
    pub fn ends_with(field: impl Into<String>, text: &str) -> Cond {
        Cond::term(field, Op::Like, cat!("%", like_escape(text)))
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
        cat!("VTQL has no parentheses, so the condition must be written as an OR of AND groups; this one expands to ", n, " terms (limit ", MAX_DNF_TERMS, "). Simplify it (an IN list can replace ORs on one field)"),
    )
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
                cat!("'", shorten(s), "' is not a direction (asc or desc)"),
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
}
