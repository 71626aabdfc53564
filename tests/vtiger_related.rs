//! Related records through `query_related` (issue 17 items 2, 3, 6, 8; live findings A–C).
//!
//! The planner ([`RelatedPlan`]) runs against a model of the server's `vtws_query_related`,
//! step by step as in `include/Webservices/QueryRelated.php` (recordings 900–915, 715): the
//! related ids are collected, the **text** is split on the exact string `WHERE` (only the
//! first two parts kept) and rebuilt as `<before> WHERE id IN (…) AND <after>`, or gets
//! ` WHERE id IN (…)` appended when it has none (after any ORDER BY / LIMIT: a syntax error),
//! then runs as a query with its cap of 100 rows. AND binds tighter than OR, so the model
//! scopes only the first OR group, as the server does. A naive client (the text sent as is)
//! gets unrelated rows, 100 of 130, server errors; the planner must get exactly the related
//! records that match, every time.

// `crmwire::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

mod common;

use crmwire::step::{Step, Value};
use crmwire::vtiger::driver::{Config, Driver, QueryText};
use crmwire::vtiger::ops::{Endpoint, FourBytePolicy};
use crmwire::vtiger::related::RelatedPlan;
use crmwire::vtiger::vtql::{Cond, Dir, Op, Select, Term, Value as V};
use crmwire::vtiger::WsId;
use crmwire::{ErrorCode, HttpResponse, Method};
use std::collections::BTreeSet;

const ACC: &str = "11x5";

/// A Contact of the model: record id and lastname.
#[derive(Clone, Debug)]
struct Rec {
    id: u64,
    lastname: String,
}

/// The server's `query_related`, modelled (see the module docs).
struct Server {
    recs: Vec<Rec>,
    related: BTreeSet<u64>,
    sent: Vec<String>,
}

fn num(v: &V) -> u64 {
    match v {
        V::Id(id) => id.record,
        other => panic!("an id is compared with {other:?}"),
    }
}

fn term_holds(r: &Rec, t: &Term) -> bool {
    match t.field.as_str() {
        "id" => match (&t.op, &t.value) {
            (Op::Gt, v) => r.id > num(v),
            (Op::Ge, v) => r.id >= num(v),
            (Op::Lt, v) => r.id < num(v),
            (Op::Eq, v) => r.id == num(v),
            (Op::In, V::List(items)) => items.iter().any(|v| num(v) == r.id),
            other => panic!("id {other:?}"),
        },
        "lastname" => {
            let s = |v: &V| match v {
                V::Str(s) => s.clone(),
                other => panic!("lastname compared with {other:?}"),
            };
            match (&t.op, &t.value) {
                (Op::Eq, v) => r.lastname.eq_ignore_ascii_case(&s(v)),
                (Op::Like, v) => common::mysql_like(&r.lastname, &s(v)),
                (Op::In, V::List(items)) => {
                    items.iter().any(|v| r.lastname.eq_ignore_ascii_case(&s(v)))
                }
                other => panic!("lastname {other:?}"),
            }
        }
        f => panic!("field {f}"),
    }
}

impl Server {
    fn new(n: u64, related: impl Fn(u64) -> bool, name: impl Fn(u64) -> String) -> Server {
        let recs: Vec<Rec> = (1..=n)
            .map(|i| Rec {
                id: 100 + i,
                lastname: name(i),
            })
            .collect();
        let related = recs
            .iter()
            .filter(|r| related(r.id - 100))
            .map(|r| r.id)
            .collect();
        Server {
            recs,
            related,
            sent: Vec::new(),
        }
    }

    /// The related records that match `cond`: what the client must answer.
    fn truth(&self, cond: Option<&Cond>) -> Vec<u64> {
        let dnf = cond.map(|c| c.dnf().unwrap());
        self.recs
            .iter()
            .filter(|r| self.related.contains(&r.id))
            .filter(|r| match &dnf {
                None => true,
                Some(d) => d
                    .iter()
                    .any(|g| g.iter().all(|t| term_holds(r, &t.check().unwrap()))),
            })
            .map(|r| r.id)
            .collect()
    }

    /// Answers one `query_related` text as the server would: the JSON page or an error code.
    fn query_related(&mut self, text: &str) -> Result<String, &'static str> {
        self.sent.push(text.to_owned());
        if self.related.is_empty() {
            return Ok("[]".into());
        }
        let ids: Vec<String> = self.related.iter().map(|i| format!("'12x{i}'")).collect();
        let clause = format!("id IN ({})", ids.join(","));
        let parts: Vec<&str> = text.split("WHERE").collect();
        let rewritten = if text.to_ascii_uppercase().contains("WHERE") {
            format!(
                "{} WHERE {clause} AND {};",
                parts[0],
                parts.get(1).unwrap_or(&"")
            )
        } else {
            format!("{text} WHERE {clause};")
        };
        // The rewritten text through the server's parser (ours reads it the same way).
        let Ok(sel) = Select::parse(&rewritten) else {
            return Err(if parts.len() > 2 {
                "INTERNAL_SERVER_ERROR"
            } else {
                "QUERY_SYNTAX_ERROR"
            });
        };
        let dnf = sel.where_.as_ref().unwrap().dnf().unwrap();
        let mut rows: Vec<&Rec> = self
            .recs
            .iter()
            .filter(|r| dnf.iter().any(|g| g.iter().all(|t| term_holds(r, t))))
            .collect();
        match sel.order_by.as_slice() {
            [] => {}
            [(f, d)] if f == "id" => {
                if *d == Dir::Desc {
                    rows.reverse();
                }
            }
            [(f, d)] if f == "lastname" => {
                rows.sort_by(|a, b| {
                    a.lastname
                        .to_lowercase()
                        .cmp(&b.lastname.to_lowercase())
                        .then(a.id.cmp(&b.id))
                });
                if *d == Dir::Desc {
                    rows.reverse();
                }
            }
            other => panic!("ORDER BY {other:?}"),
        }
        let (skip, take) = match sel.limit {
            Some(l) => (l.offset.unwrap_or(0) as usize, l.count.min(100) as usize),
            None => (0, 100),
        };
        let page: Vec<String> = rows
            .iter()
            .skip(skip)
            .take(take)
            .map(|r| {
                format!(
                    r#"{{"id":"12x{}","lastname":"{}"}}"#,
                    r.id,
                    r.lastname.replace('\\', "\\\\")
                )
            })
            .collect();
        Ok(format!("[{}]", page.join(",")))
    }
}

/// Runs a plan against the model: every record handed out, in order.
fn run(server: &mut Server, sel: Select) -> crmwire::Result<Vec<u64>> {
    let mut plan = RelatedPlan::new(sel, WsId::parse_field(ACC, "id").unwrap(), "Contacts")?;
    let mut out = Vec::new();
    let mut requests = 0;
    while let Some(text) = plan.next_query() {
        requests += 1;
        assert!(requests < 1000, "the plan does not end");
        let page = server
            .query_related(&text)
            .unwrap_or_else(|code| panic!("the server answered {code} to {text}"));
        let rows = plan.advance_page(&page)?;
        if !rows.is_empty() {
            let json = crmwire::json::parse(&format!("[{rows}]")).unwrap();
            for r in json.as_array().unwrap() {
                let id = r.get("id").and_then(|v| v.as_str()).unwrap();
                out.push(id.split_once('x').unwrap().1.parse().unwrap());
            }
        }
    }
    assert!(plan.is_done());
    Ok(out)
}

fn contacts() -> Select {
    Select::from("Contacts")
        .unwrap()
        .fields(&["id", "lastname"])
        .unwrap()
}

/// The naive client: the caller's text sent once, as is.
fn naive(server: &mut Server, text: &str) -> Result<Vec<u64>, &'static str> {
    let page = server.query_related(text)?;
    let json = crmwire::json::parse(&page).unwrap();
    Ok(json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.get("id")
                .and_then(|v| v.as_str())
                .unwrap()
                .split_once('x')
                .unwrap()
                .1
                .parse()
                .unwrap()
        })
        .collect())
}

/// OrA/OrB: each group matches one related and one unrelated Contact (recordings 900–902).
fn or_server() -> Server {
    Server::new(
        6,
        |i| i % 2 == 1 || i == 6,
        |i| {
            [
                "OrA rel",
                "OrA unrel",
                "OrB rel",
                "OrB unrel",
                "Up WHERE Down",
                "Low where x",
            ][i as usize - 1]
                .to_owned()
        },
    )
}

#[test]
fn or_groups_each_scoped_never_an_unrelated_record() {
    let mut s = or_server();
    // The naive text leaks the second group's unrelated Contact (900, 901).
    let leak = naive(
        &mut s,
        "SELECT id, lastname FROM Contacts WHERE lastname LIKE 'OrA%' OR lastname LIKE 'OrB%'",
    )
    .unwrap();
    assert_eq!(leak, vec![101, 103, 104]);
    for (a, b) in [("OrA%", "OrB%"), ("OrB%", "OrA%")] {
        let cond = Cond::term("lastname", Op::Like, a).or(Cond::term("lastname", Op::Like, b));
        let want = s.truth(Some(&cond));
        assert_eq!(want, vec![101, 103]);
        s.sent.clear();
        let got = run(&mut s, contacts().and(cond).unwrap()).unwrap();
        assert_eq!(got, want, "{a} OR {b}");
        // One text per group, none with OR; each ended by an empty page.
        assert!(s.sent.iter().all(|t| !t.contains(" OR ")), "{:?}", s.sent);
        assert_eq!(s.sent.len(), 4, "{:?}", s.sent);
    }
    // Raw text, swapped groups, an IN list and a group matching a record twice.
    let raw = "SELECT id, lastname FROM Contacts WHERE lastname = 'OrB rel' OR lastname IN ('OrA rel', 'OrA unrel') OR lastname LIKE 'Or%';";
    let sel = Select::parse(raw).unwrap();
    let want = s.truth(sel.where_.as_ref());
    assert_eq!(run(&mut s, sel).unwrap(), want);
    assert_eq!(want, vec![101, 103]);
}

#[test]
fn every_related_record_past_100_by_keyset_never_a_short_or_full_page_taken_for_the_end() {
    // 140 Contacts, 130 related (every 14th unrelated), names alike (905–909).
    let mut s = Server::new(140, |i| i % 14 != 0, |i| format!("Big {i:03}"));
    assert_eq!(
        naive(&mut s, "SELECT id, lastname FROM Contacts")
            .unwrap()
            .len(),
        100,
        "the server's cap (906)"
    );
    s.sent.clear();
    let got = run(&mut s, contacts()).unwrap();
    assert_eq!(got.len(), 130);
    assert_eq!(got, s.truth(None));
    assert_eq!(
        s.sent,
        vec![
            "SELECT id, lastname FROM Contacts WHERE id >= '11x1' ORDER BY id LIMIT 100".to_owned(),
            format!(
                "SELECT id, lastname FROM Contacts WHERE id > '12x{}' ORDER BY id LIMIT 100",
                got[99]
            ),
            format!(
                "SELECT id, lastname FROM Contacts WHERE id > '12x{}' ORDER BY id LIMIT 100",
                got[129]
            ),
        ]
    );
    // With a condition: the group, then the keyset term.
    s.sent.clear();
    let cond = Cond::term("lastname", Op::Like, "Big%");
    let got = run(&mut s, contacts().and(cond.clone()).unwrap()).unwrap();
    assert_eq!(got, s.truth(Some(&cond)));
    assert_eq!(
        s.sent[0],
        "SELECT id, lastname FROM Contacts WHERE lastname LIKE 'Big%' ORDER BY id LIMIT 100"
    );
    assert!(s.sent[1]
        .starts_with("SELECT id, lastname FROM Contacts WHERE lastname LIKE 'Big%' AND id > '12x"));
    // Fields without id: id is added (the key, and the merge).
    s.sent.clear();
    let sel = Select::from("Contacts")
        .unwrap()
        .fields(&["lastname"])
        .unwrap();
    assert_eq!(run(&mut s, sel).unwrap().len(), 130);
    assert!(
        s.sent[0].starts_with("SELECT lastname, id FROM"),
        "{}",
        s.sent[0]
    );
    // SELECT * (retrieveRelated).
    s.sent.clear();
    assert_eq!(
        run(&mut s, Select::from("Contacts").unwrap())
            .unwrap()
            .len(),
        130
    );
    assert!(
        s.sent[0].starts_with("SELECT * FROM Contacts WHERE id >= "),
        "{}",
        s.sent[0]
    );
}

#[test]
fn a_short_page_is_not_the_end_and_pages_that_do_not_move_are_refused() {
    let src = WsId::parse_field(ACC, "id").unwrap();
    let mut plan = RelatedPlan::new(contacts(), src, "Contacts").unwrap();
    // A short page (rows dropped by record permissions after the SQL LIMIT) goes on.
    let rows = plan
        .advance_page(r#"[{"id":"12x7","lastname":"a"},{"id":"12x9","lastname":"b"}]"#)
        .unwrap();
    assert_eq!(
        rows,
        r#"{"id":"12x7","lastname":"a"},{"id":"12x9","lastname":"b"}"#
    );
    assert_eq!(
        plan.next_query().unwrap(),
        "SELECT id, lastname FROM Contacts WHERE id > '12x9' ORDER BY id LIMIT 100"
    );
    let e = plan.advance_page(r#"[{"id":"12x9"}]"#).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
    for bad in [
        r#"[{"lastname":"no id"}]"#,
        r#"[{"id":"abc"}]"#,
        r#"{"a":1}"#,
        "[1]",
    ] {
        let mut plan = RelatedPlan::new(contacts(), src, "Contacts").unwrap();
        assert_eq!(
            plan.advance_page(bad).unwrap_err().code,
            ErrorCode::InvalidResponse,
            "{bad}"
        );
    }
    // More rows than asked.
    let mut plan = RelatedPlan::new(contacts().limit(2), src, "Contacts").unwrap();
    assert!(plan.next_query().unwrap().ends_with("LIMIT 2"));
    let e = plan
        .advance_page(r#"[{"id":"12x1"},{"id":"12x2"},{"id":"12x3"}]"#)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
    // PHP's `{}` for an empty list ends the plan.
    let mut plan = RelatedPlan::new(contacts(), src, "Contacts").unwrap();
    assert_eq!(plan.advance_page("{}").unwrap(), "");
    assert!(plan.is_done() && plan.next_query().is_none());
}

#[test]
fn limit_is_a_total_cap_and_offset_skips_the_merged_order_asc_and_desc() {
    let mut s = Server::new(
        300,
        |i| i % 3 != 0,
        |i| format!("{} {i:03}", if i % 2 == 0 { "Even" } else { "Odd" }),
    );
    let cond = Cond::term("lastname", Op::Like, "Even%").or(Cond::term("lastname", Op::Like, "%5"));
    let all = s.truth(Some(&cond));
    assert!(all.len() > 100, "{}", all.len());
    for (offset, count) in [
        (None, 150u32),
        (Some(7), 120),
        (Some(0), 1),
        (Some(190), 50),
        (None, 0),
    ] {
        let mut sel = contacts().and(cond.clone()).unwrap().limit(count);
        if let Some(o) = offset {
            sel = sel.offset(o);
        }
        let want: Vec<u64> = all
            .iter()
            .copied()
            .skip(offset.unwrap_or(0) as usize)
            .take(count as usize)
            .collect();
        assert_eq!(
            run(&mut s, sel.clone()).unwrap(),
            want,
            "{offset:?} {count}"
        );
        let desc = sel.order_by("id", Dir::Desc).unwrap();
        let want: Vec<u64> = all
            .iter()
            .rev()
            .copied()
            .skip(offset.unwrap_or(0) as usize)
            .take(count as usize)
            .collect();
        assert_eq!(run(&mut s, desc).unwrap(), want, "DESC {offset:?} {count}");
    }
    // A page never asks for more than the cap still needs.
    s.sent.clear();
    run(&mut s, contacts().limit(3).offset(2)).unwrap();
    assert!(s.sent[0].ends_with("ORDER BY id LIMIT 5"), "{}", s.sent[0]);
    // DESC keyset moves down.
    s.sent.clear();
    let got = run(&mut s, contacts().order_by("id", Dir::Desc).unwrap()).unwrap();
    assert_eq!(got.len(), 200);
    assert!(
        s.sent[1].contains("AND id < '12x") || s.sent[1].contains("WHERE id < '12x"),
        "{}",
        s.sent[1]
    );
}

#[test]
fn order_by_another_column_is_sorted_by_the_server_without_a_where_error() {
    let mut s = or_server();
    // 715: ORDER BY (or LIMIT) without WHERE is a syntax error on the server.
    assert_eq!(
        naive(
            &mut s,
            "SELECT id, lastname FROM Contacts ORDER BY lastname LIMIT 1"
        ),
        Err("QUERY_SYNTAX_ERROR")
    );
    assert_eq!(
        naive(&mut s, "SELECT id, lastname FROM Contacts LIMIT 100,100"),
        Err("QUERY_SYNTAX_ERROR")
    );
    let name = |s: &Server, id: u64| s.recs.iter().find(|r| r.id == id).unwrap().lastname.clone();
    // No LIMIT: the ids first, then one sorted query over them.
    s.sent.clear();
    let got = run(&mut s, contacts().order_by("lastname", Dir::Desc).unwrap()).unwrap();
    let names: Vec<String> = got.iter().map(|i| name(&s, *i)).collect();
    assert_eq!(
        names,
        ["Up WHERE Down", "OrB rel", "OrA rel", "Low where x"]
    );
    assert_eq!(
        s.sent[0],
        "SELECT id FROM Contacts WHERE id >= '11x1' ORDER BY id LIMIT 100"
    );
    assert_eq!(
        s.sent.last().unwrap(),
        "SELECT id, lastname FROM Contacts WHERE id IN ('12x101', '12x103', '12x105', '12x106') ORDER BY lastname DESC"
    );
    // One group and a LIMIT: the server sorts and cuts directly (any relation size).
    s.sent.clear();
    let got = run(
        &mut s,
        contacts().order_by("lastname", Dir::Asc).unwrap().limit(2),
    )
    .unwrap();
    assert_eq!(
        got.iter().map(|i| name(&s, *i)).collect::<Vec<_>>(),
        ["Low where x", "OrA rel"]
    );
    assert_eq!(
        s.sent,
        ["SELECT id, lastname FROM Contacts WHERE id >= '11x1' ORDER BY lastname LIMIT 2"]
    );
    // OR groups and ORDER BY: merged ids, one sorted query, offset and limit applied by it.
    let cond =
        Cond::term("lastname", Op::Like, "OrB%").or(Cond::term("lastname", Op::Like, "OrA%"));
    let got = run(
        &mut s,
        contacts()
            .and(cond)
            .unwrap()
            .order_by("lastname", Dir::Desc)
            .unwrap()
            .limit(1)
            .offset(1),
    )
    .unwrap();
    assert_eq!(
        got.iter().map(|i| name(&s, *i)).collect::<Vec<_>>(),
        ["OrA rel"]
    );
    // More than 100 matching records cannot be sorted exactly in one query: refused.
    let mut big = Server::new(140, |_| true, |i| format!("Big {i:03}"));
    let e = run(&mut big, contacts().order_by("lastname", Dir::Asc).unwrap()).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("orderBy"))
    );
    assert!(e.message.contains("more than 100"), "{}", e.message);
    // …but with one group and a LIMIT it is exact.
    let got = run(
        &mut big,
        contacts().order_by("lastname", Dir::Desc).unwrap().limit(3),
    )
    .unwrap();
    assert_eq!(got, vec![240, 239, 238]);
}

#[test]
fn a_literal_holding_where_is_written_so_that_the_split_cannot_cut_it() {
    let mut s = or_server();
    // 912: the naive text is cut in the literal.
    assert_eq!(
        naive(
            &mut s,
            "SELECT id, lastname FROM Contacts WHERE lastname = 'Up WHERE Down'"
        ),
        Err("INTERNAL_SERVER_ERROR")
    );
    for value in ["Up WHERE Down", "Low where x"] {
        let cond = Cond::eq("lastname", value);
        s.sent.clear();
        let got = run(&mut s, contacts().and(cond.clone()).unwrap()).unwrap();
        assert_eq!(got, s.truth(Some(&cond)), "{value}");
        assert_eq!(got.len(), 1, "{value}");
    }
    assert_eq!(
        s.sent[0],
        "SELECT id, lastname FROM Contacts WHERE lastname = 'Low where x' ORDER BY id LIMIT 100",
        "lower case is left alone (913)"
    );
    // Raw text and LIKE: the same rewrite (915).
    let sel = Select::parse("SELECT id, lastname FROM Contacts WHERE lastname LIKE '%WHERE%' OR lastname = 'WHEREWHERE';").unwrap();
    s.sent.clear();
    assert_eq!(
        run(&mut s, sel).unwrap(),
        vec![105, 106],
        "LIKE is case-insensitive"
    );
    assert_eq!(
        s.sent[0],
        "SELECT id, lastname FROM Contacts WHERE lastname LIKE '%WH\\ERE%' ORDER BY id LIMIT 100"
    );
    assert!(
        s.sent.iter().any(|t| t.contains("'WH\\EREWH\\ERE'")),
        "{:?}",
        s.sent
    );
    // A name holding WHERE cannot be escaped: refused before sending.
    let src = WsId::parse_field(ACC, "id").unwrap();
    for sel in [
        Select::from("Contacts")
            .unwrap()
            .fields(&["cf_WHERE"])
            .unwrap(),
        contacts().and(Cond::eq("WHEREabouts", "x")).unwrap(),
        contacts().order_by("cfWHERE", Dir::Asc).unwrap(),
    ] {
        let e = RelatedPlan::new(sel, src, "Contacts").unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidInput, Some("query"))
        );
    }
}

#[test]
fn every_text_is_one_scoped_and_group_with_its_own_where() {
    // Whatever the condition, each text the plan sends: one WHERE (the plan's), the server's
    // rewrite leaves one AND group (so the relation scopes all of it), ORDER BY after WHERE.
    let conds = [
        Cond::eq("lastname", "a")
            .or(Cond::eq("lastname", "b"))
            .and(Cond::term("lastname", Op::Like, "x%").or(Cond::eq("lastname", "WHERE OR 1"))),
        Cond::term("lastname", Op::In, V::list(["a".into(), "b".into()])).or(Cond::term(
            "id",
            Op::Gt,
            WsId::new(12, 3).unwrap(),
        )),
        Cond::And(vec![]).or(Cond::eq("lastname", "z")),
    ];
    let src = WsId::parse_field(ACC, "id").unwrap();
    for c in conds {
        for sel in [
            contacts().and(c.clone()).unwrap(),
            contacts()
                .and(c.clone())
                .unwrap()
                .order_by("lastname", Dir::Desc)
                .unwrap(),
        ] {
            let mut plan = RelatedPlan::new(sel, src, "Contacts").unwrap();
            let mut n = 0;
            while let Some(t) = plan.next_query() {
                n += 1;
                assert_eq!(t.matches("WHERE").count(), 1, "{t}");
                assert!(!t.ends_with(';'));
                let after = t.split("WHERE").nth(1).unwrap();
                let rewritten =
                    format!("SELECT id FROM Contacts WHERE id IN ('12x1') AND {after};");
                let p = Select::parse(&rewritten).unwrap_or_else(|e| panic!("{rewritten}: {e}"));
                assert_eq!(p.where_.unwrap().dnf().unwrap().len(), 1, "{t}");
                plan.advance_page("[]").unwrap();
            }
            assert!(n >= 1);
        }
    }
}

#[test]
fn refused_before_sending() {
    let src = WsId::parse_field(ACC, "id").unwrap();
    let e = RelatedPlan::new(contacts().count(), src, "Contacts").unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = RelatedPlan::new(contacts(), src, "").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("relatedLabel"));
    let e =
        RelatedPlan::new(contacts().and(Cond::Or(vec![])).unwrap(), src, "Contacts").unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("where"))
    );
    // What VTQL cannot express is refused as for query (a DESC before the last column).
    let e = RelatedPlan::new(
        contacts()
            .order_by("lastname", Dir::Desc)
            .unwrap()
            .order_by("id", Dir::Asc)
            .unwrap(),
        src,
        "Contacts",
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("orderBy"));
}

// ---- through the driver -------------------------------------------------------------------

const EP: &str = "http://crm.test/webservice.php";

fn ok(result: &str) -> HttpResponse {
    HttpResponse::new(200, format!(r#"{{"success":true,"result":{result}}}"#))
}

fn logged_in_driver(policy: FourBytePolicy) -> Driver {
    let mut c = Config::login(Endpoint::parse("http://crm.test").unwrap(), "admin", "K3y").unwrap();
    c.four_byte = policy;
    let mut d = Driver::new(c);
    let (id, _) = d.start_login().unwrap();
    d.handle(
        id,
        &ok(r#"{"token":"t","serverTime":1,"expireTime":2}"#),
        None,
    )
    .unwrap();
    d.handle(
        id,
        &ok(r#"{"sessionName":"S1","userId":"19x1","version":"0.22","vtigerVersion":"8.4.0"}"#),
        None,
    )
    .unwrap();
    d
}

fn url(step: &Step) -> String {
    match step {
        Step::Send { request, .. } => {
            assert_eq!(request.method, Method::Get);
            request.url.clone()
        }
        other => panic!("expected a request, got {other:?}"),
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    crmwire::encode::encode_component(s, &mut out);
    out
}

#[test]
fn the_driver_collects_or_yields_the_planned_pages() {
    let mut d = logged_in_driver(FourBytePolicy::Reject);
    let spec = r#"{"module":"Contacts","fields":["lastname"],"where":[[{"field":"lastname","value":"A"}],[{"field":"lastname","op":"like","value":"B%"}]]}"#;
    let src = WsId::parse_field(ACC, "id").unwrap();
    let text = |q: &str| {
        format!(
            "{EP}?operation=query_related&sessionName=S1&query={}&id={ACC}&relatedLabel=Contacts",
            enc(q)
        )
    };
    for collect in [true, false] {
        let (id, s) = d
            .start_related(QueryText::Spec(spec), src, "Contacts", collect)
            .unwrap();
        assert_eq!(
            url(&s),
            text("SELECT lastname, id FROM Contacts WHERE lastname = 'A' ORDER BY id LIMIT 100")
        );
        let s = d
            .handle(id, &ok(r#"[{"lastname":"A","id":"12x3"}]"#), None)
            .unwrap();
        // Nothing is handed out before every group has a page: 12x3 may come after a 12x2.
        assert_eq!(
            url(&s),
            text(
                "SELECT lastname, id FROM Contacts WHERE lastname LIKE 'B%' ORDER BY id LIMIT 100"
            )
        );
        let s = d
            .handle(
                id,
                &ok(r#"[{"lastname":"Bo","id":"12x2"},{"lastname":"A","id":"12x3"}]"#),
                None,
            )
            .unwrap();
        let s = if collect {
            s
        } else {
            // 12x2, then 12x3, which both groups answered: handed out once, in id order.
            assert_eq!(
                s,
                Step::Yield(Value::Text(
                    r#"[{"lastname":"Bo","id":"12x2"},{"lastname":"A","id":"12x3"}]"#.into()
                ))
            );
            d.resume(id).unwrap()
        };
        assert_eq!(url(&s), text("SELECT lastname, id FROM Contacts WHERE lastname = 'A' AND id > '12x3' ORDER BY id LIMIT 100"));
        let s = d.handle(id, &ok("[]"), None).unwrap();
        assert_eq!(url(&s), text("SELECT lastname, id FROM Contacts WHERE lastname LIKE 'B%' AND id > '12x3' ORDER BY id LIMIT 100"));
        let s = d.handle(id, &ok("[]"), None).unwrap();
        if collect {
            assert_eq!(
                s,
                Step::Done(Value::Text(
                    r#"[{"lastname":"Bo","id":"12x2"},{"lastname":"A","id":"12x3"}]"#.into()
                ))
            );
        } else {
            assert_eq!(s, Step::Done(Value::Nothing));
        }
    }
    // Server errors are reported with the operation.
    let (id, _) = d
        .start_related(QueryText::Raw("SELECT * FROM Contacts;"), src, "Nope", true)
        .unwrap();
    let refused = HttpResponse::new(
        200,
        r#"{"success":false,"error":{"code":"UNKOWN_ENTITY","message":"Relation specified is incorrect"}}"#,
    );
    let e = d.handle(id, &refused, None).unwrap_err();
    assert_eq!(e.code.as_str(), "UNKOWN_ENTITY");
    assert_eq!(e.operation.as_deref(), Some("query_related"));
    // Raw text that the parser cannot read is refused before sending.
    let e = d
        .start_related(
            QueryText::Raw("SELECT * FROM Contacts WHERE lastname = x;"),
            src,
            "Contacts",
            true,
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.operation.as_deref()),
        (ErrorCode::InvalidInput, Some("query_related"))
    );
    assert_eq!(d.in_flight(), 0);
}
