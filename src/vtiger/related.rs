//! Related records through `query_related`, planned so that the server's rewrite of the text
//! cannot change the answer (live findings A–C, recordings 900–915 and 715).
//!
//! The server collects the ids of every related record, then edits the VTQL **text**: it
//! splits it on the exact string `WHERE` and rebuilds `<before> WHERE id IN (…) AND <after>`
//! (or appends ` WHERE id IN (…)` when there is no WHERE), adds `;` and runs a plain query,
//! with its cap of 100 rows. Three hazards follow, and this planner avoids each:
//!
//! * **OR** (A): AND binds tighter, so only the first OR group is scoped to the relation and
//!   later groups search the whole module. Here every AND group of the condition's
//!   disjunctive normal form is sent **on its own** (one `query_related` each, so each is
//!   scoped), and the groups' rows are merged by id, a record matching several groups once.
//! * **100 rows** (B): every group is paged by keyset on id until a page comes back
//!   **empty** (a full page of 100 does not mean the end; a short one neither, since
//!   record-level permissions drop rows after the SQL LIMIT):
//!   `SELECT <fields, id> FROM <M> WHERE [<group> AND] id > '<last>' ORDER BY id LIMIT 100`.
//!   The keyset term also supplies the WHERE that ORDER BY and LIMIT need (715, 911); a
//!   group's first page has no key, or `id >= '<p>x1'` when the group is empty (the server
//!   compares the numeric part of an id only).
//! * **`WHERE` in a literal** (C): the text is rendered with every upper-case `WHERE` inside a
//!   literal written `WH\ERE` (MySQL reads `WHERE`, 915); a name holding `WHERE` cannot be
//!   escaped and is refused (`INVALID_INPUT`). Each text is checked to hold exactly one
//!   `WHERE`, the planner's own.
//!
//! # Order and LIMIT over several groups
//!
//! * Without ORDER BY, or with `ORDER BY id [ASC|DESC]`: the groups' pages are merged in id
//!   order (a k-way merge that holds at most one page per group: memory stays bounded however
//!   many records there are). The rows come in ascending id order (descending with `DESC`);
//!   `LIMIT n` caps the total, and an offset skips that many rows of the merged order, exactly
//!   as a query over the relation would.
//! * With an ORDER BY on other columns, the server must sort (its collation, its types):
//!   * one AND group and `LIMIT [m,] n` with `n <= 100`: one `query_related`,
//!     `WHERE <group> ORDER BY … LIMIT [m,] n`, answered as a query is (whatever the size of
//!     the relation);
//!   * otherwise the matching ids are collected first (keyset pages of `SELECT id`, all
//!     groups, merged), then one `query_related` fetches those records sorted,
//!     `WHERE id IN (…) ORDER BY … [LIMIT m, n]`. That query returns at most 100 rows, so more
//!     than 100 matching records is refused (`INVALID_INPUT`, field `orderBy`) rather than
//!     answered in part: order by id instead and sort in your code, or add a LIMIT (one AND
//!     group).
//! * `count(*)` is refused: count the rows.
//!
//! # Driving it (sans-IO)
//!
//! ```text
//! let mut plan = RelatedPlan::new(select, source_id, label)?;
//! while let Some(vtql) = plan.next_query() {
//!     // host: send ops::query_related(&vtql, plan.source(), plan.label()), decode the page
//!     let rows = plan.advance_page(&page_json_text)?; // comma-separated records to hand out
//! }
//! ```

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use crate::error::{Error, ErrorCode, Result};
use crate::vtiger::id::WsId;
use crate::vtiger::paging::{scan_records, string_member};
use crate::vtiger::vtql::{count_where, render_terms, Dir, Limit, Select, Style, Term, MAX_ROWS};

/// One AND group, paged on its own.
#[derive(Clone, Debug)]
struct Group {
    /// The group's terms as text (empty: the true group).
    terms: String,
    /// Last id of the last page.
    last: Option<WsId>,
    /// An empty page came back.
    done: bool,
    /// The last page's rows, in paging order; those before `pos` are handed out.
    buf: Vec<(WsId, String)>,
    pos: usize,
}

impl Group {
    fn head(&self) -> Option<&(WsId, String)> {
        self.buf.get(self.pos)
    }
}

/// An ORDER BY on other columns than id: sorted by the server in one last query.
#[derive(Clone, Debug)]
struct Sorted {
    /// The caller's select list (with id).
    list: String,
    /// ` ORDER BY …` as the caller wrote it.
    order: String,
    /// The caller's LIMIT.
    limit: Option<Limit>,
    /// The matching ids collected so far (at most [`MAX_ROWS`]).
    ids: Vec<WsId>,
    /// Every group is paged: the sorting query is next (or was sent).
    collected: bool,
    /// One AND group and a LIMIT: the sorting query carries the group's condition itself
    /// (this text, after WHERE) instead of collected ids.
    direct: Option<String>,
}

/// The plan of one `queryRelated` / `retrieveRelated` (see the module docs).
#[derive(Clone, Debug)]
pub struct RelatedPlan {
    source: WsId,
    label: String,
    module: String,
    /// The select list of the keyset pages.
    list: String,
    dir: Dir,
    groups: Vec<Group>,
    /// The group whose page is asked for next.
    next: usize,
    /// Rows of the merged order still to skip (the offset).
    skip: u64,
    /// Rows still to hand out (the LIMIT count); `None`: no cap.
    left: Option<u64>,
    /// Last id taken from the merge (duplicates follow it directly).
    last_out: Option<WsId>,
    sorted: Option<Sorted>,
    done: bool,
}

fn refuse(field: &str, msg: impl Into<String>) -> Error {
    Error::invalid_input(field, msg).with_operation("query_related")
}

fn bad_page(msg: String) -> Error {
    Error::new(ErrorCode::InvalidResponse, msg).with_operation("query_related")
}

/// Checks that the text holds one `WHERE`, the planner's own (a name cannot be escaped).
fn one_where(text: &str) -> Result<()> {
    if count_where(text) != 1 {
        return Err(refuse(
            "query",
            "query_related splits the query text on the word WHERE (upper case), and a module or field name holding it would cut the query; it cannot be sent through query_related",
        ));
    }
    Ok(())
}

impl RelatedPlan {
    /// Plans `select` over the records related to `source` by the relation `label`.
    ///
    /// Errors (`INVALID_INPUT`, before anything is sent): `count(*)`; invalid names, values,
    /// operators; a name holding `WHERE`; an empty `label`. (A text too long for a GET URL
    /// is refused when its request is built, see [`crate::vtiger::ops::MAX_GET_URL_BYTES`].)
    pub fn new(select: Select, source: WsId, label: &str) -> Result<RelatedPlan> {
        if label.is_empty() {
            return Err(refuse("relatedLabel", "relatedLabel is required"));
        }
        if select.count {
            return Err(refuse(
                "fields",
                "count(*) through query_related is not supported: count the rows of queryRelated or queryRelatedAll",
            ));
        }
        let dnf = select.validate()?;
        let by_id = match select.order_by.as_slice() {
            [] => Some(Dir::Asc),
            [(f, d)] if f.eq_ignore_ascii_case("id") => Some(*d),
            _ => None,
        };
        // A true group makes the whole condition true.
        let groups: Vec<Vec<Term>> = match dnf {
            Some(d) if d.is_empty() => {
                return Err(refuse(
                    "where",
                    "the condition can never match (an empty OR)",
                ))
            }
            Some(d) if !d.iter().any(Vec::is_empty) => d,
            _ => vec![Vec::new()],
        };
        let mut plan = RelatedPlan {
            source,
            label: label.to_owned(),
            list: if by_id.is_some() {
                select.select_list(true)
            } else {
                "id".to_owned()
            },
            module: select.module.clone(),
            dir: by_id.unwrap_or(Dir::Asc),
            groups: Vec::new(),
            next: 0,
            skip: 0,
            left: None,
            last_out: None,
            sorted: None,
            done: false,
        };
        match by_id {
            Some(_) => {
                if let Some(l) = select.limit {
                    plan.skip = u64::from(l.offset.unwrap_or(0));
                    plan.left = Some(u64::from(l.count));
                    plan.done = l.count == 0;
                }
            }
            None => {
                let mut order = String::from(" ORDER BY ");
                for (i, (f, _)) in select.order_by.iter().enumerate() {
                    if i > 0 {
                        order.push_str(", ");
                    }
                    order.push_str(f);
                }
                if let Some((_, Dir::Desc)) = select.order_by.last() {
                    order.push_str(" DESC");
                }
                plan.done = select.limit.is_some_and(|l| l.count == 0);
                plan.sorted = Some(Sorted {
                    list: select.select_list(true),
                    order,
                    limit: select.limit,
                    ids: Vec::new(),
                    collected: false,
                    direct: None,
                });
            }
        }
        for terms in groups {
            let g = Group {
                terms: render_terms(&terms, Style::Related)?,
                last: None,
                done: false,
                buf: Vec::new(),
                pos: 0,
            };
            one_where(&plan.page_text(&g, MAX_ROWS))?;
            plan.groups.push(g);
        }
        // One AND group and a LIMIT of at most 100: the server sorts and cuts that group
        // directly (no ids to collect first, and no limit on the relation's size).
        if let (Some(s), [g]) = (&mut plan.sorted, plan.groups.as_slice()) {
            if s.limit.is_some_and(|l| l.count <= MAX_ROWS) {
                let mut w = g.terms.clone();
                if w.is_empty() {
                    cat_to!(&mut w; "id >= '", plan.source.prefix, "x1'");
                }
                s.direct = Some(w);
                s.collected = true;
            }
        }
        // The sorting query's text is checked now (an ORDER BY name holding WHERE).
        if let Some(s) = &plan.sorted {
            one_where(&plan.sorted_query(s, &[source]))?;
        }
        Ok(plan)
    }

    /// The record the relation starts from.
    pub fn source(&self) -> WsId {
        self.source
    }
    /// The relation's label.
    pub fn label(&self) -> &str {
        &self.label
    }
    /// True when the plan is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Rows the next page of a group asks for: 100, fewer when the LIMIT is near.
    fn page_size(&self) -> u32 {
        match self.left {
            Some(n) => u32::try_from((self.skip + n).min(u64::from(MAX_ROWS))).unwrap_or(MAX_ROWS),
            None => MAX_ROWS,
        }
    }

    fn page_text(&self, g: &Group, size: u32) -> String {
        let mut q = String::with_capacity(96 + g.terms.len());
        cat_to!(&mut q; "SELECT ", self.list, " FROM ", self.module, " WHERE ", g.terms);
        let key = match (g.last, self.dir) {
            (Some(l), Dir::Asc) => Some(cat!("id > '", l, "'")),
            (Some(l), Dir::Desc) => Some(cat!("id < '", l, "'")),
            // ORDER BY and LIMIT need a WHERE (715, 911); the server compares the numeric
            // part of an id only.
            (None, _) if g.terms.is_empty() => Some(cat!("id >= '", self.source.prefix, "x1'")),
            (None, _) => None,
        };
        if let Some(k) = key {
            if !g.terms.is_empty() {
                q.push_str(" AND ");
            }
            q.push_str(&k);
        }
        q.push_str(" ORDER BY id");
        if self.dir == Dir::Desc {
            q.push_str(" DESC");
        }
        cat_to!(&mut q; " LIMIT ", size);
        q
    }

    fn sorted_query(&self, s: &Sorted, ids: &[WsId]) -> String {
        let mut q = String::with_capacity(64 + ids.len() * 12);
        cat_to!(&mut q; "SELECT ", s.list, " FROM ", self.module, " WHERE ");
        if let Some(w) = &s.direct {
            q.push_str(w);
        } else {
            q.push_str("id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    q.push_str(", ");
                }
                cat_to!(&mut q; "'", id, "'");
            }
            q.push(')');
        }
        q.push_str(&s.order);
        match s.limit {
            Some(Limit {
                offset: Some(o),
                count,
            }) => {
                cat_to!(&mut q; " LIMIT ", o, ", ", count.min(MAX_ROWS));
            }
            Some(Limit {
                offset: None,
                count,
            }) => {
                cat_to!(&mut q; " LIMIT ", count.min(MAX_ROWS));
            }
            None => {}
        }
        q
    }

    /// The next `query_related` text (no `;`), or `None` when the plan is over.
    pub fn next_query(&self) -> Option<String> {
        if self.done {
            return None;
        }
        if let Some(s) = self.sorted.as_ref().filter(|s| s.collected) {
            return Some(self.sorted_query(s, &s.ids));
        }
        let g = self.groups.get(self.next)?;
        Some(self.page_text(g, self.page_size()))
    }

    /// Takes the answer (the `result` array's JSON text) to the last [`next_query`]; returns
    /// the rows to hand out now, comma-separated record texts (possibly none).
    ///
    /// Errors: `INVALID_RESPONSE` for a page that is not an array of records with ids, holds
    /// more rows than asked, or whose ids do not move on in paging order (instead of looping);
    /// `INVALID_INPUT` (field `orderBy`) when an ORDER BY on other columns than id meets more
    /// than 100 matching records.
    ///
    /// [`next_query`]: RelatedPlan::next_query
    pub fn advance_page(&mut self, page_json: &str) -> Result<String> {
        if self.done {
            return Err(Error::invalid_input(
                "advance",
                "the related query is already finished",
            ));
        }
        let recs = scan_records(page_json).map_err(bad_page)?;
        if let Some(s) = self.sorted.as_ref().filter(|s| s.collected) {
            // The sorting query: its rows are the answer, in the server's order.
            let rows = recs.len();
            if rows > MAX_ROWS as usize || (s.direct.is_none() && rows > s.ids.len()) {
                return Err(bad_page(cat!(
                    "the sorting query answered ",
                    rows,
                    " rows for ",
                    s.ids.len(),
                    " ids"
                )));
            }
            let mut out = String::new();
            for r in &recs {
                let id = record_id(page_json, r.id.as_ref())?;
                if s.direct.is_none() && !s.ids.contains(&id) {
                    return Err(bad_page(cat!(
                        "the sorting query answered record ",
                        id,
                        ", which is not among the related records asked for"
                    )));
                }
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(&page_json[r.range.clone()]);
            }
            self.done = true;
            return Ok(out);
        }
        let size = self.page_size();
        let dir = self.dir;
        let g = self
            .groups
            .get_mut(self.next)
            .ok_or_else(|| Error::invalid_input("advance", "no page was asked for"))?;
        g.buf.clear();
        g.pos = 0;
        if recs.is_empty() {
            g.done = true;
        } else {
            if recs.len() > size as usize {
                return Err(bad_page(cat!(
                    "the page holds ",
                    recs.len(),
                    " rows but only ",
                    size,
                    " were asked for"
                )));
            }
            for r in &recs {
                let id = record_id(page_json, r.id.as_ref())?;
                if let Some(prev) = g.last {
                    let moved = match dir {
                        Dir::Asc => id.record > prev.record,
                        Dir::Desc => id.record < prev.record,
                    };
                    if !moved {
                        return Err(bad_page(cat!(
                            "the id ",
                            id,
                            " does not move past ",
                            prev,
                            "; stopping instead of looping forever"
                        )));
                    }
                }
                g.last = Some(id);
                g.buf.push((id, page_json[r.range.clone()].to_owned()));
            }
        }
        self.merge()
    }

    /// Hands out rows in merged order while every group that may still hold rows has one
    /// buffered; sets the group to page next, or ends.
    fn merge(&mut self) -> Result<String> {
        let mut out = String::new();
        loop {
            if self.left == Some(0) {
                self.done = true;
                break;
            }
            if let Some(i) = self
                .groups
                .iter()
                .position(|g| !g.done && g.head().is_none())
            {
                self.next = i;
                break;
            }
            let heads = self
                .groups
                .iter()
                .enumerate()
                .filter_map(|(i, g)| g.head().map(|(id, _)| (i, id.record)));
            let best = match self.dir {
                Dir::Asc => heads.min_by_key(|(_, r)| *r),
                Dir::Desc => heads.max_by_key(|(_, r)| *r),
            };
            let Some((i, _)) = best else {
                // Every group is paged to its end.
                match &mut self.sorted {
                    Some(s) => {
                        s.collected = true;
                        self.done = s.ids.is_empty();
                    }
                    None => self.done = true,
                }
                break;
            };
            let g = &mut self.groups[i];
            let Some((id, row)) = g
                .buf
                .get_mut(g.pos)
                .map(|(id, row)| (*id, core::mem::take(row)))
            else {
                break;
            };
            g.pos += 1;
            if self.last_out.is_some_and(|l| l.record == id.record) {
                continue; // the same record through another group
            }
            self.last_out = Some(id);
            if let Some(s) = &mut self.sorted {
                if s.ids.len() >= MAX_ROWS as usize {
                    self.done = true;
                    return Err(refuse(
                        "orderBy",
                        cat!("an ORDER BY on other columns than id is sorted by the server in one query of at most ", MAX_ROWS, " rows, and more than ", MAX_ROWS, " related records match; order by id (or not at all) and sort in your code, or narrow the condition"),
                    ));
                }
                s.ids.push(id);
                continue;
            }
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&row);
            if let Some(n) = &mut self.left {
                *n -= 1;
            }
        }
        Ok(out)
    }
}

fn record_id(text: &str, range: Option<&core::ops::Range<usize>>) -> Result<WsId> {
    let raw = string_member(text, range, "id").map_err(bad_page)?;
    WsId::parse_field(&raw, "id").map_err(|_| {
        bad_page(cat!(
            "a related record's id '",
            raw.chars().take(40).collect::<String>(),
            "' is not a webservice id"
        ))
    })
}
