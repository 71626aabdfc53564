//! Reading more than 100 rows: keyset paging on `id`.
//!
//! The server returns at most 100 rows per `query`, and a page may come back **shorter than
//! asked** although more rows follow (rows failing a record-level permission check are
//! dropped after the SQL `LIMIT`). Existing clients stop at 100 rows, or at the first short
//! page. [`QueryAll`] pages by keyset instead:
//!
//! ```text
//! SELECT <fields, id> FROM M WHERE <user condition, each AND group> AND id > '<last>' ORDER BY id LIMIT 100;
//! ```
//!
//! The server compares `id > '12x108'` on the numeric record id (it strips the prefix), so
//! the order is total and stable under concurrent inserts, and paging ends only when a page
//! comes back **empty**. A user `LIMIT n` becomes a total cap of `n` rows (pages shrink to
//! fit), and a user offset applies to the first page only (`LIMIT m, 100`, then keyset).
//!
//! # Driving it (sans-IO)
//!
//! ```text
//! let mut q = QueryAll::new(select)?;
//! while let Some(vtql) = q.next_query() {
//!     // host: send ops::query(&vtql), decode the page (JSON array of records)
//!     q.advance(rows_in_page, last_row_id)?;      // or q.advance_page(&page_json_text)?
//! }
//! ```
//!
//! [`Count`] has the same shape and counts rows by paging `SELECT id` (on Vtiger 8.3+,
//! `SELECT count(*)` returns `[]`).

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use crate::error::{Error, ErrorCode, Result};
use crate::json;
use crate::vtiger::id::WsId;
use crate::vtiger::vtql::{render_dnf, Dir, Dnf, Op, Select, Term, Value, MAX_ROWS};
use core::ops::Range;

/// Pages through every row of a [`Select`] by keyset on `id`.
#[derive(Clone, Debug)]
pub struct QueryAll {
    module: String,
    select_list: String,
    dnf: Option<Dnf>,
    dir: Dir,
    cap: Option<u64>,
    offset: Option<u32>,
    last: Option<WsId>,
    rows: u64,
    pages: u64,
    done: bool,
}

impl QueryAll {
    /// Prepares keyset paging for `select`.
    ///
    /// * `count(*)` is refused (`INVALID_INPUT`, field `fields`): use [`Count`].
    /// * ORDER BY must be absent or exactly `id` (ASC or DESC): keyset paging needs a total
    ///   order on the key; any other ORDER BY is refused (`INVALID_INPUT`, field
    ///   `orderBy`). Run such a query as one page (at most 100 rows) instead.
    /// * `LIMIT [m,] n`: `n` caps the total number of rows (any size); `m` skips rows on the
    ///   first page.
    /// * Selected fields without `id` get `id` appended (it is the key).
    pub fn new(select: Select) -> Result<QueryAll> {
        if select.count {
            return Err(Error::invalid_input(
                "fields",
                "count(*) cannot be paged; use Count, which counts by paging ids",
            ));
        }
        let dir = match select.order_by.as_slice() {
            [] => Dir::Asc,
            [(f, d)] if f.eq_ignore_ascii_case("id") => *d,
            _ => {
                return Err(Error::invalid_input(
                    "orderBy",
                    "paging past 100 rows uses a keyset on id, so the only ORDER BY it supports is id (ASC or DESC); run other orderings as a single query of at most 100 rows",
                ))
            }
        };
        let dnf = select.validate()?;
        let (cap, offset) = match select.limit {
            Some(l) => (Some(u64::from(l.count)), l.offset.filter(|o| *o > 0)),
            None => (None, None),
        };
        Ok(QueryAll {
            select_list: select.select_list(true),
            module: select.module,
            dnf,
            dir,
            cap,
            offset,
            last: None,
            rows: 0,
            pages: 0,
            done: cap == Some(0),
        })
    }

    /// [`Select::parse`] then [`QueryAll::new`]: raw VTQL paged by keyset. When this fails,
    /// the raw text can still be sent once as a single page.
    pub fn from_vtql(raw: &str) -> Result<QueryAll> {
        QueryAll::new(Select::parse(raw)?)
    }

    /// Rows the next page asks for.
    fn page_size(&self) -> u32 {
        match self.cap {
            Some(c) => u32::try_from(c.saturating_sub(self.rows).min(u64::from(MAX_ROWS)))
                .unwrap_or(MAX_ROWS),
            None => MAX_ROWS,
        }
    }

    /// The next page's VTQL, or `None` when paging is over.
    pub fn next_query(&self) -> Option<String> {
        if self.done {
            return None;
        }
        let key = self.last.map(|id| Term {
            field: "id".to_owned(),
            op: if self.dir == Dir::Desc {
                Op::Lt
            } else {
                Op::Gt
            },
            value: Value::Id(id),
        });
        let cond = match &self.dnf {
            Some(d) => render_dnf(d, key.as_ref()).ok()?,
            None => match &key {
                Some(k) => render_dnf(&vec![vec![]], Some(k)).ok()?,
                None => None,
            },
        };
        let mut q = String::with_capacity(96);
        q.push_str("SELECT ");
        q.push_str(&self.select_list);
        q.push_str(" FROM ");
        q.push_str(&self.module);
        if let Some(c) = cond {
            q.push_str(" WHERE ");
            q.push_str(&c);
        }
        q.push_str(" ORDER BY id");
        if self.dir == Dir::Desc {
            q.push_str(" DESC");
        }
        match self.offset {
            Some(o) => cat_to!(&mut q; " LIMIT ", o, ", ", self.page_size(), ";"),
            None => cat_to!(&mut q; " LIMIT ", self.page_size(), ";"),
        }
        Some(q)
    }

    /// Records a page: how many rows it held and the id of its **last** row.
    ///
    /// Paging ends only on an empty page (or when the LIMIT cap is reached), never on a
    /// short one. Errors with `INVALID_RESPONSE` when a non-empty page has no (valid) last
    /// id, holds more rows than asked, or when the last id does not move past the previous
    /// one in the paging direction (which would loop forever).
    pub fn advance(&mut self, rows: usize, last_id: Option<&str>) -> Result<()> {
        if self.done {
            return Err(Error::invalid_input(
                "advance",
                "paging is already finished",
            ));
        }
        if rows == 0 {
            self.done = true;
            return Ok(());
        }
        let asked = self.page_size() as usize;
        if rows > asked {
            return Err(bad_page(cat!(
                "the page holds ",
                rows,
                " rows but only ",
                asked,
                " were asked for"
            )));
        }
        let Some(last) = last_id else {
            return Err(bad_page(
                "a non-empty page has no id on its last row".to_owned(),
            ));
        };
        let id = WsId::parse_field(last, "id").map_err(|_| {
            bad_page(cat!(
                "the last row's id '",
                short(last),
                "' is not a webservice id"
            ))
        })?;
        if let Some(prev) = self.last {
            let moved = match self.dir {
                Dir::Asc => id.record > prev.record,
                Dir::Desc => id.record < prev.record,
            };
            if !moved {
                return Err(bad_page(cat!(
                    "the last id ",
                    id,
                    " does not move past ",
                    prev,
                    "; stopping instead of looping forever"
                )));
            }
        }
        self.last = Some(id);
        self.rows += rows as u64;
        self.pages += 1;
        self.offset = None;
        if self.cap.is_some_and(|c| self.rows >= c) {
            self.done = true;
        }
        Ok(())
    }

    /// [`QueryAll::advance`] from a page's JSON text (the `result` array of a `query`): counts
    /// the records and reads the last one's `id` without building a tree. Returns the row
    /// count.
    pub fn advance_page(&mut self, page_json: &str) -> Result<usize> {
        let recs = scan_records(page_json).map_err(bad_page)?;
        let last_id = match recs.last() {
            Some(r) => Some(string_member(page_json, r.id.as_ref(), "id").map_err(bad_page)?),
            None => None,
        };
        self.advance(recs.len(), last_id.as_deref())?;
        Ok(recs.len())
    }

    /// True when paging is over.
    pub fn is_done(&self) -> bool {
        self.done
    }
    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }
    /// Non-empty pages seen so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }
    /// The last id seen (the keyset position).
    pub fn last_id(&self) -> Option<WsId> {
        self.last
    }
}

/// Counts the rows matching a [`Select`]'s module and condition by paging `SELECT id`
/// (100 ids per call). Fields and ORDER BY are ignored; a LIMIT caps the count.
#[derive(Clone, Debug)]
pub struct Count {
    inner: QueryAll,
}

impl Count {
    /// Prepares the count (a `count(*)` select is accepted and counted the same way).
    pub fn new(select: Select) -> Result<Count> {
        let sel = Select {
            fields: vec!["id".to_owned()],
            count: false,
            order_by: Vec::new(),
            ..select
        };
        Ok(Count {
            inner: QueryAll::new(sel)?,
        })
    }
    /// [`Select::parse`] then [`Count::new`].
    pub fn from_vtql(raw: &str) -> Result<Count> {
        Count::new(Select::parse(raw)?)
    }
    /// The next page's VTQL, or `None` when counting is over.
    pub fn next_query(&self) -> Option<String> {
        self.inner.next_query()
    }
    /// As [`QueryAll::advance`].
    pub fn advance(&mut self, rows: usize, last_id: Option<&str>) -> Result<()> {
        self.inner.advance(rows, last_id)
    }
    /// As [`QueryAll::advance_page`].
    pub fn advance_page(&mut self, page_json: &str) -> Result<usize> {
        self.inner.advance_page(page_json)
    }
    /// True when counting is over.
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }
    /// Rows counted so far (the total once [`Count::is_done`]).
    pub fn total(&self) -> u64 {
        self.inner.rows()
    }
}

fn bad_page(msg: String) -> Error {
    Error::new(ErrorCode::InvalidResponse, msg).with_operation("query")
}

fn short(s: &str) -> String {
    s.chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One record of a JSON array of objects: its byte range and the value ranges of its `id`
/// and `modifiedtime` members (first occurrence; `None` when absent).
pub(crate) struct RecordSpan {
    /// The record's text range.
    pub range: Range<usize>,
    /// Value range of `id`.
    pub id: Option<Range<usize>>,
    /// Value range of `modifiedtime`.
    pub modifiedtime: Option<Range<usize>>,
}

/// Splits a JSON array of objects into records without building trees (values are
/// validated). `[]` and PHP's `{}`-for-empty are both an empty list.
pub(crate) fn scan_records(text: &str) -> core::result::Result<Vec<RecordSpan>, String> {
    let i = json::scan::ws(text, 0);
    if text.as_bytes().get(i) == Some(&b'{') {
        let t = text[i..].trim();
        if t == "{}" {
            return Ok(Vec::new());
        }
        return Err("expected a JSON array of records".to_owned());
    }
    let (out, end) = scan_records_at(text, i, 0)?;
    if json::scan::ws(text, end) != text.len() {
        return Err("unexpected text after the array".to_owned());
    }
    Ok(out)
}

/// [`scan_records`] for the JSON value that starts at `start` (after optional whitespace)
/// and goes on with other text, at nesting depth `depth` (0 for a top-level value; records
/// are at `depth + 1`, see [`json::scan`]): the records (ranges in `text`) and
/// the offset just after the value. Exactly `{}` is PHP's empty list. Whatever it accepts is
/// valid JSON at that depth.
pub(crate) fn scan_records_at(
    text: &str,
    start: usize,
    depth: usize,
) -> core::result::Result<(Vec<RecordSpan>, usize), String> {
    let b = text.as_bytes();
    let mut i = json::scan::ws(text, start);
    if depth >= json::MAX_DEPTH {
        return Err("nesting too deep".to_owned());
    }
    if b[i..].starts_with(b"{}") {
        return Ok((Vec::new(), i + 2));
    }
    if b.get(i) != Some(&b'[') {
        return Err("expected a JSON array of records".to_owned());
    }
    i = json::scan::ws(text, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        return Ok((out, i + 1));
    }
    loop {
        let start = json::scan::ws(text, i);
        let mut found = [None, None];
        let end = json::scan::keys(text, start, depth + 1, &["id", "modifiedtime"], &mut found)
            .map_err(|e| cat!("record ", out.len(), ": ", e))?;
        let [id, modifiedtime] = found;
        out.push(RecordSpan {
            range: start..end,
            id,
            modifiedtime,
        });
        i = json::scan::ws(text, end);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b']') => return Ok((out, i + 1)),
            _ => return Err(cat!("expected ',' or ']' after record ", out.len() - 1)),
        }
    }
}

/// The decoded string value of member `key` of a scanned record, whose value range is
/// `range` (`None`: the record has no such member). Borrowed when it has no escapes.
pub(crate) fn string_member<'t>(
    text: &'t str,
    range: Option<&Range<usize>>,
    key: &str,
) -> core::result::Result<alloc::borrow::Cow<'t, str>, String> {
    let r = range.ok_or_else(|| cat!("a record has no '", key, "'"))?;
    json::scan::string(&text[r.clone()]).ok_or_else(|| cat!("'", key, "' is not a string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Span = (Range<usize>, Option<Range<usize>>, Option<Range<usize>>);

    fn spans(recs: &[RecordSpan]) -> Vec<Span> {
        recs.iter()
            .map(|r| (r.range.clone(), r.id.clone(), r.modifiedtime.clone()))
            .collect()
    }

    #[test]
    fn scan_records_finds_id_and_modifiedtime() {
        let text = concat!(
            r#" [ {"i\u0064":"12x1","id":"dup","x":{"id":"n","modifiedtime":"n"},"#,
            r#""s":"}{\"\\","modifiedtime":"2026-01-02 03:04:05"} ,"#,
            "{\"modifiedtime\":null,\"c\":\"raw\u{1}\"},{}] "
        );
        let recs = scan_records(text).unwrap();
        assert_eq!(recs.len(), 3);
        let val = |r: &Option<Range<usize>>| r.clone().map(|r| &text[r]);
        assert_eq!(val(&recs[0].id), Some(r#""12x1""#));
        assert_eq!(
            string_member(text, recs[0].id.as_ref(), "id").unwrap(),
            "12x1"
        );
        assert_eq!(val(&recs[0].modifiedtime), Some(r#""2026-01-02 03:04:05""#));
        assert_eq!(val(&recs[1].id), None);
        assert_eq!(val(&recs[1].modifiedtime), Some("null"));
        assert_eq!(&text[recs[2].range.clone()], "{}");
        assert_eq!(
            string_member(text, recs[1].id.as_ref(), "id").unwrap_err(),
            "a record has no 'id'"
        );
        assert_eq!(
            string_member(text, recs[1].modifiedtime.as_ref(), "modifiedtime").unwrap_err(),
            "'modifiedtime' is not a string"
        );
        let esc = r#"[{"id":"a\"b\u00e9"}]"#;
        let r = scan_records(esc).unwrap();
        assert_eq!(string_member(esc, r[0].id.as_ref(), "id").unwrap(), "a\"bé");
    }

    #[test]
    fn scan_records_at_agrees_with_scan_records() {
        for v in [
            "[]",
            "{}",
            "[ ]",
            "{ }",
            r#"[{"id":"1"}]"#,
            r#"[{"id":"1"},{"id":"2","x":[1,{"y":"]"}]}]"#,
            r#"[{"id":"1"},]"#,
            r#"[{"id":"1"} {"id":"2"}]"#,
            r#"[1]"#,
            r#"[{"id":}]"#,
            r#"{"a":1}"#,
            r#""x""#,
            r#"[{"id":"1"}"#,
        ] {
            let whole = scan_records(v);
            // The same value followed by more text, as inside a result object.
            let text = format!(" {v},\"more\":true}}");
            let at = scan_records_at(&text, 0, 0);
            match (&whole, &at) {
                (Ok(w), Ok((a, end))) => {
                    let shifted: Vec<_> = spans(w)
                        .into_iter()
                        .map(|(r, i, m)| {
                            let s = |r: Range<usize>| r.start + 1..r.end + 1;
                            (s(r), i.map(s), m.map(s))
                        })
                        .collect();
                    assert_eq!(spans(a), shifted, "{v}");
                    assert_eq!(&text[1..*end], v);
                }
                (Err(_), Err(_)) => {}
                _ => panic!("{v}: {:?} vs {:?}", whole.is_ok(), at.is_ok()),
            }
        }
    }
}
