//! The query builder: whatever it renders, its own raw parser reads back to the same text, and
//! the simulator's independent VTQL parser accepts it.
//! Input: module \0 fields (comma-separated) \0 order-by field \0 limit \0 then terms as
//! (field, op, value) triples; a field starting with `|` is OR-ed, else AND-ed.
#![no_main]
// crmwire::Error is deliberately rich (the core allows this lint too).
#![allow(clippy::result_large_err)]
use crmwire::vtiger::vtql::{Cond, Dir, Op, Select, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = crmwire_fuzz::fields(data);
    let build = || -> crmwire::Result<String> {
        let mut s = Select::from(f.first().map_or("", |s| s))?;
        if let Some(cols) = f.get(1).filter(|c| !c.is_empty()) {
            s = s.fields(&cols.split(',').collect::<Vec<_>>())?;
        }
        for t in f.get(4..).unwrap_or_default().chunks(3) {
            let (field, or) = match t[0].strip_prefix('|') {
                Some(x) => (x, true),
                None => (t[0].as_str(), false),
            };
            let op = Op::parse(t.get(1).map_or("=", |s| s))?;
            let cond = Cond::term(field, op, Value::str(t.get(2).cloned().unwrap_or_default()));
            s = if or { s.or(cond)? } else { s.and(cond)? };
        }
        if let Some(o) = f.get(2).filter(|o| !o.is_empty()) {
            s = s.order_by(o, Dir::Asc)?;
        }
        if let Some(n) = f.get(3).and_then(|n| n.parse().ok()) {
            s = s.limit(n);
        }
        s.render()
    };
    let Ok(text) = build() else { return };
    let again = Select::parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(again.render().as_deref(), Ok(text.as_str()));
    crmwire_sim::vtql::parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
});
