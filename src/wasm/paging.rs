//! `Pager`: the core's keyset paging ([`crate::vtiger::paging::QueryAll`]) and row counting
//! ([`crate::vtiger::paging::Count`]) for the JS `queryAll`/`count`. JS sends each
//! `nextQuery()` text and feeds the page's JSON text back with `advancePage`.

use super::errors::to_js;
use crate::error::Result;
use crate::vtiger::paging::{Count, QueryAll};
use crate::vtiger::vtql::Select;
use wasm_bindgen::prelude::*;

enum Kind {
    All(QueryAll),
    Count(Count),
}

/// Keyset pager over one query.
#[wasm_bindgen]
pub struct Pager {
    kind: Kind,
}

fn select(query: &str, raw: bool) -> Result<Select> {
    if raw {
        Select::parse(query)
    } else {
        Select::from_spec_text(query)
    }
}

#[wasm_bindgen]
impl Pager {
    /// `query`: raw VTQL (`raw = true`) or the builder's object form as JSON text. `count`:
    /// count rows instead of returning them. Throws INVALID_INPUT for queries that cannot be
    /// paged by id (ORDER BY another column, count(*) in queryAll…).
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
            .map(|kind| Pager { kind })
            .map_err(|e| to_js(&e.with_operation("query")))
    }

    /// The next page's VTQL, or `undefined` when done.
    #[wasm_bindgen(js_name = nextQuery)]
    pub fn next_query(&self) -> Option<String> {
        match &self.kind {
            Kind::All(q) => q.next_query(),
            Kind::Count(c) => c.next_query(),
        }
    }

    /// Feeds the page (JSON array text, as decoded); returns its row count.
    #[wasm_bindgen(js_name = advancePage)]
    pub fn advance_page(&mut self, page_json: &str) -> std::result::Result<usize, JsValue> {
        match &mut self.kind {
            Kind::All(q) => q.advance_page(page_json),
            Kind::Count(c) => c.advance_page(page_json),
        }
        .map_err(|e| to_js(&e.with_operation("query")))
    }

    /// Rows seen (queryAll) or counted (count) so far.
    #[wasm_bindgen(getter)]
    pub fn total(&self) -> f64 {
        match &self.kind {
            Kind::All(q) => q.rows() as f64,
            Kind::Count(c) => c.total() as f64,
        }
    }
}
