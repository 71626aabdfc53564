//! Keyset paging (`QueryAll`) and counting (`Count`) against a simulated server.

use crmwire::vtiger::paging::{Count, QueryAll};
use crmwire::vtiger::vtql::{Cond, Dir, Op, Select, Term, Value};
use crmwire::vtiger::WsId;
use crmwire::ErrorCode;

#[derive(Clone, Debug)]
struct Row {
    id: u64,
    lastname: String,
    city: &'static str,
}

/// A simulated Vtiger `query`: evaluates the statement like the server (keyset on the
/// numeric record id, AND before OR, LIMIT capped at 100), then drops rows that fail a
/// record-level permission check *after* the LIMIT, so pages come back short.
struct Server {
    rows: Vec<Row>,
    hidden: fn(u64) -> bool,
    calls: usize,
    queries: Vec<String>,
    pages: Vec<Vec<u64>>,
}

fn term_holds(t: &Term, r: &Row) -> bool {
    let cmp = |v: &Value| -> std::cmp::Ordering {
        match (t.field.as_str(), v) {
            ("id", Value::Id(id)) => r.id.cmp(&id.record),
            ("lastname", Value::Str(s)) => r.lastname.as_str().cmp(s.as_str()),
            ("mailingcity", Value::Str(s)) => r.city.cmp(s.as_str()),
            other => panic!("simulator: unsupported term {other:?}"),
        }
    };
    use std::cmp::Ordering::*;
    match (&t.value, t.op) {
        (Value::List(items), Op::In) => items.iter().any(|v| cmp(v) == Equal),
        (v, Op::Eq) | (v, Op::In) => cmp(v) == Equal,
        (v, Op::Ne) => cmp(v) != Equal,
        (v, Op::Lt) => cmp(v) == Less,
        (v, Op::Gt) => cmp(v) == Greater,
        (v, Op::Le) => cmp(v) != Greater,
        (v, Op::Ge) => cmp(v) != Less,
        (Value::Str(p), Op::Like) => {
            let p = p.trim_end_matches('%');
            r.lastname.starts_with(p)
        }
        other => panic!("simulator: unsupported {other:?}"),
    }
}

impl Server {
    fn new(n: u64, hidden: fn(u64) -> bool) -> Server {
        // Ids with gaps, not starting at 1, cities cycling.
        let rows = (0..n)
            .map(|i| Row {
                id: 1000 + i * 3 + (i % 5),
                lastname: format!("Fixture{i:04}"),
                city: ["Paris", "Berlin", "Tokyo"][(i % 3) as usize],
            })
            .collect::<Vec<Row>>();
        let mut rows = rows;
        rows.sort_by_key(|r| r.id);
        assert!(rows.windows(2).all(|w| w[0].id < w[1].id), "unique ids");
        Server {
            rows,
            hidden,
            calls: 0,
            queries: Vec::new(),
            pages: Vec::new(),
        }
    }

    /// Answers a query with the ids of the rows it returns.
    fn answer(&mut self, vtql: &str) -> Vec<u64> {
        self.calls += 1;
        self.queries.push(vtql.to_owned());
        assert!(self.calls < 10_000, "runaway paging");
        let s =
            Select::parse(vtql).unwrap_or_else(|e| panic!("simulator cannot parse {vtql}: {e}"));
        let dnf = s.where_.as_ref().map(|c| c.dnf().unwrap());
        let mut hits: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| match &dnf {
                None => true,
                Some(d) => d.iter().any(|g| g.iter().all(|t| term_holds(t, r))),
            })
            .collect();
        match s.order_by.as_slice() {
            [(f, Dir::Asc)] if f == "id" => hits.sort_by_key(|r| r.id),
            [(f, Dir::Desc)] if f == "id" => hits.sort_by_key(|r| std::cmp::Reverse(r.id)),
            other => panic!("unexpected order {other:?}"),
        }
        let l = s.limit.expect("paging always sends LIMIT");
        let n = l.count.min(100) as usize;
        let page: Vec<u64> = hits
            .into_iter()
            .skip(l.offset.unwrap_or(0) as usize)
            .take(n)
            .filter(|r| !(self.hidden)(r.id))
            .map(|r| r.id)
            .collect();
        self.pages.push(page.clone());
        page
    }

    fn visible(&self, pred: impl Fn(&Row) -> bool) -> Vec<u64> {
        self.rows
            .iter()
            .filter(|r| !(self.hidden)(r.id) && pred(r))
            .map(|r| r.id)
            .collect()
    }
}

fn drive(q: &mut QueryAll, server: &mut Server) -> Vec<u64> {
    let mut got = Vec::new();
    while let Some(vtql) = q.next_query() {
        let page = server.answer(&vtql);
        let last = page.last().map(|r| format!("12x{r}"));
        q.advance(page.len(), last.as_deref()).unwrap();
        got.extend(page);
    }
    got
}

fn hide_some(id: u64) -> bool {
    id % 7 == 0 || id % 11 == 0
}

#[test]
fn pages_through_thousands_of_rows_with_short_pages() {
    let mut server = Server::new(1500, hide_some);
    let mut q = QueryAll::new(Select::from("Contacts").unwrap()).unwrap();
    let got = drive(&mut q, &mut server);
    let want = server.visible(|_| true);
    assert!(want.len() > 1000);
    assert_eq!(got, want, "no loss, no duplicate, in id order");
    assert_eq!(q.rows(), want.len() as u64);
    // Pages were short (permission-dropped rows) and paging went on anyway.
    assert!(server.calls > 13, "{}", server.calls);
    assert_eq!(
        server.queries[0],
        "SELECT * FROM Contacts ORDER BY id LIMIT 100;"
    );
    assert!(
        server.queries[1].starts_with("SELECT * FROM Contacts WHERE id > '12x"),
        "{}",
        server.queries[1]
    );
    // The last call is the one that came back empty.
    assert!(q.is_done());
    assert_eq!(q.next_query(), None);
}

#[test]
fn never_stops_on_a_short_page() {
    let mut q = QueryAll::new(Select::from("Contacts").unwrap()).unwrap();
    q.advance(3, Some("12x10")).unwrap();
    assert!(!q.is_done());
    assert_eq!(
        q.next_query().unwrap(),
        "SELECT * FROM Contacts WHERE id > '12x10' ORDER BY id LIMIT 100;"
    );
    q.advance(1, Some("12x11")).unwrap();
    assert!(!q.is_done());
    q.advance(0, None).unwrap();
    assert!(q.is_done());
    assert_eq!(q.next_query(), None);
    assert_eq!(q.rows(), 4);
}

#[test]
fn or_conditions_get_the_keyset_in_every_group() {
    let sel = Select::from("Contacts")
        .unwrap()
        .fields(&["lastname"])
        .unwrap()
        .and(Cond::eq("mailingcity", "Paris").or(Cond::eq("mailingcity", "Tokyo")))
        .unwrap()
        .where_op("lastname", Op::Ge, "Fixture0100")
        .unwrap();
    let mut server = Server::new(1500, hide_some);
    let mut q = QueryAll::new(sel).unwrap();
    let got = drive(&mut q, &mut server);
    let want = server.visible(|r| {
        (r.city == "Paris" || r.city == "Tokyo") && r.lastname.as_str() >= "Fixture0100"
    });
    assert!(want.len() > 500);
    assert_eq!(got, want);
    assert_eq!(
        server.queries[1],
        format!(
            "SELECT lastname, id FROM Contacts WHERE mailingcity = 'Paris' AND lastname >= 'Fixture0100' AND id > '12x{0}' OR mailingcity = 'Tokyo' AND lastname >= 'Fixture0100' AND id > '12x{0}' ORDER BY id LIMIT 100;",
            server.pages[0].last().unwrap()
        )
    );
}

#[test]
fn a_limit_caps_the_total_and_an_offset_skips_the_first_rows() {
    let mut server = Server::new(1000, |_| false);
    let mut q = QueryAll::new(Select::from("Contacts").unwrap().limit(250)).unwrap();
    let got = drive(&mut q, &mut server);
    assert_eq!(got.len(), 250);
    assert_eq!(got, server.visible(|_| true)[..250]);
    assert!(
        server.queries[2].ends_with("LIMIT 50;"),
        "{}",
        server.queries[2]
    );
    assert_eq!(server.calls, 3, "stops at the cap without an extra call");

    let mut server = Server::new(1000, |_| false);
    let mut q = QueryAll::new(Select::from("Contacts").unwrap().offset(120).limit(130)).unwrap();
    let got = drive(&mut q, &mut server);
    assert_eq!(got, server.visible(|_| true)[120..250]);
    assert_eq!(
        server.queries[0],
        "SELECT * FROM Contacts ORDER BY id LIMIT 120, 100;"
    );
    assert!(
        !server.queries[1].contains("LIMIT 120"),
        "offset only on the first page"
    );

    let q = QueryAll::new(Select::from("Contacts").unwrap().limit(0)).unwrap();
    assert!(q.is_done());
    assert_eq!(q.next_query(), None);
}

#[test]
fn descending_id_order_pages_backwards() {
    let mut server = Server::new(777, hide_some);
    let sel = Select::from("Contacts")
        .unwrap()
        .order_by("id", Dir::Desc)
        .unwrap();
    let mut q = QueryAll::new(sel).unwrap();
    let got = drive(&mut q, &mut server);
    let mut want = server.visible(|_| true);
    want.reverse();
    assert_eq!(got, want);
    assert!(
        server.queries[1].contains("WHERE id < '12x"),
        "{}",
        server.queries[1]
    );
    assert!(server.queries[1].ends_with("ORDER BY id DESC LIMIT 100;"));
}

#[test]
fn raw_vtql_pages_by_keyset_too() {
    let mut server = Server::new(600, |_| false);
    let mut q = QueryAll::from_vtql(
        "select id, lastname from Contacts where mailingcity = 'Berlin' limit 150;",
    )
    .unwrap();
    let got = drive(&mut q, &mut server);
    assert_eq!(got, server.visible(|r| r.city == "Berlin")[..150]);
    // Unpageable raw text is refused (the caller sends it once instead).
    assert!(QueryAll::from_vtql("SELECT * FROM Contacts WHERE lastname = Smith;").is_err());
    let e = QueryAll::from_vtql("SELECT * FROM Contacts ORDER BY lastname LIMIT 10;").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("orderBy"));
}

#[test]
fn stuck_or_bogus_pages_are_invalid_responses() {
    let mut q = QueryAll::new(Select::from("Contacts").unwrap()).unwrap();
    q.advance(100, Some("12x200")).unwrap();
    // The same last id again would loop forever.
    let e = q.advance(100, Some("12x200")).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
    let e = q.advance(5, Some("12x150")).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
    // Rows without an id, garbage ids, and more rows than asked.
    assert_eq!(
        q.advance(5, None).unwrap_err().code,
        ErrorCode::InvalidResponse
    );
    assert_eq!(
        q.advance(5, Some("12x")).unwrap_err().code,
        ErrorCode::InvalidResponse
    );
    assert_eq!(
        q.advance(101, Some("12x999")).unwrap_err().code,
        ErrorCode::InvalidResponse
    );
    // A stuck server (ignores the keyset) is caught, not looped on.
    let mut q = QueryAll::new(Select::from("Contacts").unwrap()).unwrap();
    let mut err = None;
    for _ in 0..5 {
        if let Err(e) = q.advance(100, Some("12x100")) {
            err = Some(e);
            break;
        }
    }
    assert_eq!(err.unwrap().code, ErrorCode::InvalidResponse);
    // Prefix changes do not matter; the record number is what the server compares.
    let mut q = QueryAll::new(Select::from("Contacts").unwrap()).unwrap();
    q.advance(1, Some("12x5")).unwrap();
    q.advance(1, Some("12x6")).unwrap();
    assert_eq!(q.last_id(), Some(WsId::new(12, 6).unwrap()));
}

#[test]
fn refuses_what_cannot_be_keyset_paged() {
    let e = QueryAll::new(Select::from("Contacts").unwrap().count()).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("fields"));
    let e = QueryAll::new(
        Select::from("Contacts")
            .unwrap()
            .order_by("lastname", Dir::Asc)
            .unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("orderBy"));
    let e = QueryAll::new(
        Select::from("Contacts")
            .unwrap()
            .order_by("id", Dir::Asc)
            .unwrap()
            .order_by("lastname", Dir::Asc)
            .unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("orderBy"));
    // Explicit ORDER BY id is fine; id is appended to the field list.
    let q = QueryAll::new(
        Select::from("Contacts")
            .unwrap()
            .fields(&["lastname"])
            .unwrap()
            .order_by("id", Dir::Asc)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        q.next_query().unwrap(),
        "SELECT lastname, id FROM Contacts ORDER BY id LIMIT 100;"
    );
}

#[test]
fn advance_page_reads_the_json_page() {
    let mut q = QueryAll::new(Select::from("Contacts").unwrap()).unwrap();
    let page = r#"[{"id":"12x109","lastname":"Fixture0101"},{"lastname":"x\"y","id":"12x113"}]"#;
    assert_eq!(q.advance_page(page).unwrap(), 2);
    assert_eq!(q.last_id(), Some(WsId::new(12, 113).unwrap()));
    assert!(q.next_query().unwrap().contains("id > '12x113'"));
    assert_eq!(q.advance_page(" [ ] ").unwrap(), 0);
    assert!(q.is_done());
    let mut q = QueryAll::new(Select::from("Contacts").unwrap()).unwrap();
    assert_eq!(
        q.advance_page("[{\"lastname\":\"no id\"}]")
            .unwrap_err()
            .code,
        ErrorCode::InvalidResponse
    );
    assert_eq!(
        q.advance_page("{\"a\":1}").unwrap_err().code,
        ErrorCode::InvalidResponse
    );
    assert_eq!(
        q.advance_page("[1,2]").unwrap_err().code,
        ErrorCode::InvalidResponse
    );
}

#[test]
fn count_pages_ids() {
    let mut server = Server::new(1234, hide_some);
    let sel = Select::from("Contacts")
        .unwrap()
        .where_eq("mailingcity", "Tokyo")
        .unwrap()
        .count();
    let mut c = Count::new(sel).unwrap();
    let first = c.next_query().unwrap();
    assert_eq!(
        first,
        "SELECT id FROM Contacts WHERE mailingcity = 'Tokyo' ORDER BY id LIMIT 100;"
    );
    while let Some(vtql) = c.next_query() {
        let page = server.answer(&vtql);
        let last = page.last().map(|r| format!("12x{r}"));
        c.advance(page.len(), last.as_deref()).unwrap();
    }
    assert!(c.is_done());
    assert_eq!(
        c.total(),
        server.visible(|r| r.city == "Tokyo").len() as u64
    );
    assert!(c.total() > 300);
    let c = Count::from_vtql("SELECT count(*) FROM Contacts;").unwrap();
    assert_eq!(
        c.next_query().unwrap(),
        "SELECT id FROM Contacts ORDER BY id LIMIT 100;"
    );
}
