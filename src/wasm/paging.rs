//! `Pager`: the core's keyset paging ([`crate::vtiger::paging::QueryAll`]) and row counting
//! ([`crate::vtiger::paging::Count`]) for the JS `queryAll`/`count`. JS sends each
//! `nextQuery()` text and feeds the page's JSON text back with `advancePage`.
//!
//! A pager is made by `VtigerCore.pager(...)`, which knows the endpoint and so the URL
//! budget: a query whose GET URL would be too long is split on its `IN (…)` list
//! ([`super::split`]) and the pager runs the parts one after the other (`split` is then
//! true and the JS side de-duplicates rows by `id`).

use super::errors::to_js;
use crate::error::Result;
use crate::vtiger::paging::{Count, QueryAll};
use crate::vtiger::vtql::Select;
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;

pub(crate) enum Kind {
    All(QueryAll),
    Count(Count),
}

impl Kind {
    fn next_query(&self) -> Option<String> {
        match self {
            Kind::All(q) => q.next_query(),
            Kind::Count(c) => c.next_query(),
        }
    }
    fn rows(&self) -> u64 {
        match self {
            Kind::All(q) => q.rows(),
            Kind::Count(c) => c.total(),
        }
    }
}

/// Keyset pager over one query (or over the parts of a split one, in order).
#[wasm_bindgen]
pub struct Pager {
    parts: VecDeque<Kind>,
    split: bool,
    /// Rows of the parts already finished.
    done_rows: u64,
}

pub(crate) fn select(query: &str, raw: bool) -> Result<Select> {
    if raw {
        Select::parse(query)
    } else {
        Select::from_spec_text(query)
    }
}

impl Pager {
    pub(crate) fn from_parts(parts: Vec<Kind>, split: bool) -> Pager {
        Pager {
            parts: parts.into(),
            split,
            done_rows: 0,
        }
    }
}

#[wasm_bindgen]
impl Pager {
    /// A pager without a URL budget (no splitting): `query` is raw VTQL (`raw = true`) or the
    /// builder's object form as JSON text; `count` counts rows instead of returning them.
    /// Throws INVALID_INPUT for queries that cannot be paged by id (ORDER BY another column,
    /// count(*) in queryAll…).
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str, raw: bool, count: bool) -> std::result::Result<Pager, JsValue> {
        let run = || -> Result<Kind> {
            let s = select(query, raw)?;
            Ok(if count {
                Kind::Count(Count::new(s)?)
            } else {
                Kind::All(QueryAll::new(s)?)
            })
        };
        run()
            .map(|k| Pager::from_parts(vec![k], false))
            .map_err(|e| to_js(&e.with_operation("query")))
    }

    /// The next page's VTQL, or `undefined` when done.
    #[wasm_bindgen(js_name = nextQuery)]
    pub fn next_query(&mut self) -> Option<String> {
        loop {
            let q = self.parts.front()?.next_query();
            if q.is_some() {
                return q;
            }
            if let Some(k) = self.parts.pop_front() {
                self.done_rows += k.rows();
            }
        }
    }

    /// Feeds the page (JSON array text, as decoded); returns its row count.
    #[wasm_bindgen(js_name = advancePage)]
    pub fn advance_page(&mut self, page_json: &str) -> std::result::Result<usize, JsValue> {
        match self.parts.front_mut() {
            Some(Kind::All(q)) => q.advance_page(page_json),
            Some(Kind::Count(c)) => c.advance_page(page_json),
            None => Ok(0),
        }
        .map_err(|e| to_js(&e.with_operation("query")))
    }

    /// Records a page the host has already parsed: its row count and the last row's `id`
    /// (so the page text does not cross into wasm a second time).
    #[wasm_bindgen(js_name = advanceRows)]
    pub fn advance_rows(
        &mut self,
        rows: usize,
        last_id: Option<String>,
    ) -> std::result::Result<(), JsValue> {
        match self.parts.front_mut() {
            Some(Kind::All(q)) => q.advance(rows, last_id.as_deref()),
            Some(Kind::Count(c)) => c.advance(rows, last_id.as_deref()),
            None => Ok(()),
        }
        .map_err(|e| to_js(&e.with_operation("query")))
    }

    /// True when the query was split into several (rows may then repeat across parts when
    /// values differ only by case; the client de-duplicates by id).
    #[wasm_bindgen(getter)]
    pub fn split(&self) -> bool {
        self.split
    }

    /// Number of queries still to run (1 for an unsplit query until it is done).
    #[wasm_bindgen(getter)]
    pub fn parts(&self) -> usize {
        self.parts.len()
    }

    /// Rows seen (queryAll) or counted (count) so far, over every part.
    #[wasm_bindgen(getter)]
    pub fn total(&self) -> f64 {
        (self.done_rows + self.parts.iter().map(Kind::rows).sum::<u64>()) as f64
    }
}
