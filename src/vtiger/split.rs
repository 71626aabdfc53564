//! Splitting a query whose GET URL would be too long (a long `IN (…)` list) into several.
//!
//! Every `query` is a GET, and common web servers refuse URLs over 8 KB
//! ([`crate::vtiger::ops::MAX_GET_URL_BYTES`]). When a query would exceed that and it is a
//! *plain* select whose condition is **one AND group holding an `IN (…)` list**, the list is
//! cut into consecutive parts and one query is sent per part; the caller concatenates the
//! answers. Every other term of the group is kept in every part, so the parts are exactly the
//! original condition restricted to a slice of the list.
//!
//! Refused (`INVALID_INPUT`, field `query`), because concatenating parts would change the
//! answer: `count(*)`, `ORDER BY` (each part would be ordered on its own), `LIMIT`/offset
//! (they would apply per part), conditions with `OR` between groups (rows matching another
//! group would come back once per part), and a query still too long with one list value.
//!
//! Values equal for MySQL's case-insensitive collation (`'Paris'`, `'PARIS'`) may land in
//! different parts; the driver therefore merges the answers by `id` ([`super::driver`]).
//!
//! `fits` decides whether a candidate select is short enough (the driver measures the GET URL).

use crate::error::{Error, Result};
use crate::prelude::*;
use crate::vtiger::vtql::{Cond, Select, Term, Value};

/// Why a too-long query cannot be split (appended to the INVALID_INPUT message).
const HOW: &str = "only a SELECT without count(*), ORDER BY or LIMIT whose condition is a single AND group holding an IN (…) list is split into several queries";

fn refuse(why: &str) -> Error {
    Error::invalid_input(
        "query",
        cat!(
            "the query's GET URL would exceed ",
            crate::vtiger::ops::MAX_GET_URL_BYTES,
            " bytes and cannot be split (",
            why,
            "); ",
            HOW
        ),
    )
}

/// `None` when `sel` fits as is; otherwise the parts (each fits), or INVALID_INPUT.
pub fn split_select(
    sel: &Select,
    fits: &dyn Fn(&Select) -> Result<bool>,
) -> Result<Option<Vec<Select>>> {
    if fits(sel)? {
        return Ok(None);
    }
    if sel.count {
        return Err(refuse("count(*)"));
    }
    if !sel.order_by.is_empty() {
        return Err(refuse("ORDER BY"));
    }
    if sel.limit.is_some() {
        return Err(refuse("LIMIT"));
    }
    let Some(cond) = &sel.where_ else {
        return Err(refuse("no IN list"));
    };
    let dnf = cond.dnf()?;
    let [group] = dnf.as_slice() else {
        return Err(refuse("OR between groups"));
    };
    // The longest IN list is the one to cut.
    let (idx, items) = group
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match &t.value {
            Value::List(items) if items.len() > 1 => Some((i, items)),
            _ => None,
        })
        .max_by_key(|(_, items)| items.iter().map(value_len).sum::<usize>())
        .ok_or_else(|| refuse("no IN list with two or more values"))?;
    // Exact duplicates only cost length.
    let mut uniq: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        if !uniq.contains(v) {
            uniq.push(v.clone());
        }
    }
    let with = |part: &[Value]| -> Select {
        let terms = group
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Cond::Term(if i == idx {
                    Term {
                        field: t.field.clone(),
                        op: t.op,
                        value: Value::List(part.to_vec()),
                    }
                } else {
                    t.clone()
                })
            })
            .collect();
        Select {
            where_: Some(Cond::And(terms)),
            ..sel.clone()
        }
    };
    let mut parts = Vec::new();
    let mut start = 0;
    while start < uniq.len() {
        // Largest n with uniq[start..start+n] fitting: grow by doubling, then bisect.
        if !fits(&with(&uniq[start..start + 1]))? {
            return Err(refuse("too long even with one IN value"));
        }
        let rest = uniq.len() - start;
        let (mut lo, mut hi) = (1usize, 2usize);
        while hi <= rest && fits(&with(&uniq[start..start + hi]))? {
            lo = hi;
            hi *= 2;
        }
        let mut hi = hi.min(rest + 1); // first size known (or assumed) not to fit
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(&with(&uniq[start..start + mid]))? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        parts.push(with(&uniq[start..start + lo]));
        start += lo;
    }
    Ok(Some(parts))
}

fn value_len(v: &Value) -> usize {
    match v {
        Value::Str(s) | Value::Num(s) | Value::Int(s) => s.len() + 4,
        Value::Id(_) => 16,
        Value::List(items) => items.iter().map(value_len).sum(),
    }
}
