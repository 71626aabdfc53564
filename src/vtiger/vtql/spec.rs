//! The object form of a query: the JSON the JavaScript layer passes, read into a [`Select`].

use super::ast::{Cond, Dir, Op, Select, Term, Value};
use super::literal::shorten;
use crate::error::{Error, Result};
use crate::json::Json;
use crate::prelude::*;

impl Select {
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
    /// (case-insensitive), or `contains`, `startsWith`, `endsWith`, which take plain text and
    /// match it literally (`LIKE '%text%'`, `'text%'`, `'%text'` with `%`, `_` and `\`
    /// escaped). A `like` value is a pattern in the syntax of [`Op::Like`]. `value` is a
    /// string, a number (sent quoted), a boolean (`'1'`/`'0'`, Vtiger's checkbox values) or,
    /// for `in`, a non-empty array of those. `null` is
    /// rejected (VTQL has no `IS NULL`). Strings on `id` and reference/owner fields must be
    /// webservice ids.
    pub fn from_spec(spec: &Json) -> Result<Select> {
        from_spec(spec)
    }

    /// [`Select::from_spec`] on JSON text.
    pub fn from_spec_text(text: &str) -> Result<Select> {
        let json = crate::json::parse(text).map_err(|e| {
            Error::invalid_input("spec", cat!("the query spec is not valid JSON: ", e))
        })?;
        Select::from_spec(&json)
    }
}

fn bad(field: &str, msg: impl Into<String>) -> Error {
    Error::invalid_input(field, msg)
}

fn get<'a>(obj: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    obj.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn from_spec(spec: &Json) -> Result<Select> {
    let Json::Obj(obj) = spec else {
        return Err(bad("spec", "the query spec must be a JSON object"));
    };
    for (k, _) in obj {
        if !matches!(
            k.as_str(),
            "module" | "fields" | "count" | "where" | "orderBy" | "limit" | "offset"
        ) {
            return Err(bad(k, cat!("unknown query spec key '", shorten(k), "'")));
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
                            _ => return Err(bad("orderBy", "an orderBy entry needs a field name")),
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
                    _ => return Err(bad("orderBy", "orderBy entries are names or {field, dir}")),
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
            .map_err(|_| bad(field, cat!(field, " must be a non-negative integer"))),
        Some(_) => Err(bad(field, cat!(field, " must be a non-negative integer"))),
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
                cat!("unknown condition key '", shorten(k), "'"),
            ));
        }
    }
    let field = match get(o, "field") {
        Some(Json::Str(f)) => f.clone(),
        _ => return Err(bad("where", "a condition needs a field name")),
    };
    let op = match get(o, "op") {
        None | Some(Json::Null) => Op::Eq,
        Some(Json::Str(s)) => match text_op(s) {
            Some(make) => return text_term(&field, get(o, "value"), make),
            None => Op::parse(s)?,
        },
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

type TextOp = fn(String, &str) -> Cond;

/// `contains`, `startsWith`, `endsWith` (case-insensitive): LIKE over plain text.
fn text_op(op: &str) -> Option<TextOp> {
    let op = op.trim();
    if op.eq_ignore_ascii_case("contains") {
        Some(Cond::contains)
    } else if op.eq_ignore_ascii_case("startswith") {
        Some(Cond::starts_with)
    } else if op.eq_ignore_ascii_case("endswith") {
        Some(Cond::ends_with)
    } else {
        None
    }
}

/// A `contains`/`startsWith`/`endsWith` condition: the value is text (a number is taken as
/// its digits), escaped so that `%`, `_` and `\` match themselves.
fn text_term(field: &str, value: Option<&Json>, make: TextOp) -> Result<Cond> {
    let text = match value {
        Some(Json::Str(s)) => s.as_str(),
        Some(Json::Num(n)) => n.as_str(),
        _ => {
            return Err(bad(
                field,
                "contains, startsWith and endsWith take a text value (a string or a number)",
            ))
        }
    };
    let c = make(field.to_owned(), text);
    if let Cond::Term(t) = &c {
        t.check()?;
    }
    Ok(c)
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
