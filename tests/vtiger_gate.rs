//! The edge proxy's request gate (`crmwire::vtiger::gate`): every attack of issue 15 and the
//! normal operations, read the way the server reads them.

#![allow(clippy::result_large_err)]

mod common;

use common::zend::zend_decode;

use crmwire::vtiger::gate::{http_status, Allow, Answer, Gate, Verdict, NEVER_FORWARDED};
use crmwire::vtiger::WsId;
use crmwire::{ErrorCode, HttpResponse, Method, Secret};

const T0: u64 = 1_000_000;
/// The caller every check is made for (wsapp keys are sealed to it).
const CALLER: &str = "token#0";

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A gate for Contacts and Accounts, every operation but the proxy's own.
fn contacts_gate() -> Gate {
    Gate::new(
        Allow::All,
        Allow::modules(Some(&["Contacts", "Accounts"])).unwrap(),
        true,
    )
}

fn describe_answer(gate: &mut Gate, fixture: &str, module: &str) {
    let f = common::load("vtiger-8.4.0", fixture);
    assert_eq!(
        gate.answer(CALLER, "describe", module, &f.response(), T0),
        Answer::Keep
    );
}

/// A gate that already knows Contacts (12) and Accounts (11) from the recorded describes.
fn learned_gate() -> Gate {
    let mut g = contacts_gate();
    describe_answer(&mut g, "111-describe-Contacts", "Contacts");
    describe_answer(&mut g, "110-describe-Accounts", "Accounts");
    assert_eq!(g.known_prefixes(), 2);
    g
}

/// Checks and expects a forwarded call.
fn forward(g: &Gate, p: &[(&str, &str)]) -> (crmwire::vtiger::ops::Call, String) {
    match g.check(CALLER, &pairs(p), &[], T0) {
        Ok(Verdict::Forward(f)) => (f.call, f.module),
        other => panic!("{p:?}: expected a forward, got {other:?}"),
    }
}

/// Checks and expects an error with this code (and its HTTP status).
fn refused(g: &Gate, p: &[(&str, &str)], code: ErrorCode) -> crmwire::Error {
    match g.check(CALLER, &pairs(p), &[], T0) {
        Err(e) => {
            assert_eq!(e.code, code, "{p:?}: {}", e.message);
            assert_eq!(
                http_status(&e),
                if code == ErrorCode::InvalidInput {
                    400
                } else {
                    403
                }
            );
            e
        }
        Ok(v) => panic!("{p:?}: expected {code}, got {v:?}"),
    }
}

// ------------------------------------------------------------------ Zend_Json, as the server
// (the model itself: tests/common/zend.rs)

/// The standard JSON reading of a text (what `JSON.parse` and the gate see).
fn standard(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

/// The issue's attack, closed with a plain quote (with a final `\u0022` as written in the
/// issue, the server's parse would end on a stray quote and fail).
const ATTACK: &str = r#"{"id":"12x69","lastname":"x\u0022,\u0022id\u0022:\u002219x1\u0022,\u0022email1\u0022:\u0022a@b.c"}"#;
const ATTACK_AS_WRITTEN: &str = r#"{"id":"12x69","lastname":"x\u0022,\u0022id\u0022:\u002219x1\u0022,\u0022email1\u0022:\u0022a@b.c\u0022"}"#;

#[test]
fn zend_model_matches_the_recording_and_the_attack() {
    // Recording 294: `\u0022` inside a string breaks the JSON for the server.
    let f = common::load("vtiger-8.4.0", "294");
    let el = f.param("element").unwrap();
    assert!(zend_decode(el).is_none(), "{el}");
    assert!(f.body_text().contains("INTERNAL_SERVER_ERROR"));
    // The attack: a standard parse sees a Contact id, the server sees the admin user.
    assert_eq!(standard(ATTACK)["id"], "12x69");
    assert_eq!(zend_decode(ATTACK).unwrap()["id"], "19x1");
    assert_eq!(zend_decode(ATTACK).unwrap()["email1"], "a@b.c");
    assert!(zend_decode(ATTACK_AS_WRITTEN).is_none());
    assert_eq!(standard(ATTACK_AS_WRITTEN)["id"], "12x69");
}

#[test]
fn element_is_rebuilt_so_the_server_reads_what_the_gate_checked() {
    let g = learned_gate();
    let attacks = [
        ATTACK.to_owned(),
        ATTACK_AS_WRITTEN.to_owned(),
        // escaped backslash before the escape, \u005c, control escapes
        r#"{"id":"12x69","lastname":"x\\\u0022,\u0022id\u0022:\u002219x1"}"#.to_owned(),
        r#"{"id":"12x69","lastname":"a\u005c\u0022,\u0022id\u0022:\u002219x1\u0022"}"#.to_owned(),
        r#"{"id":"12x69","lastname":"tab\tnl\nvt\u000bnul\u0000q\"b\\s\/"}"#.to_owned(),
        r#"{"id":"12x69","lastname":"Zo\u00eb \u4e2d \ud83d\ude00"}"#.to_owned(),
        // the id itself escaped
        r#"{"\u0069d":"\u0031\u0032x69","lastname":"y"}"#.to_owned(),
    ];
    for op in ["update", "revise"] {
        for a in &attacks {
            let (call, module) = forward(&g, &[("operation", op), ("element", a)]);
            assert_eq!(module, "Contacts", "{a}");
            assert_eq!(call.method, Method::Post);
            let sent = call.param("element").unwrap();
            let server = zend_decode(sent).unwrap_or_else(|| panic!("server fails on {sent}"));
            assert_eq!(server, standard(sent), "{op}: {a} -> {sent}");
            assert_eq!(server, standard(a), "the caller's meaning is kept: {a}");
            assert_eq!(server["id"], "12x69");
            assert!(
                !sent.contains("\\u0022") && !sent.contains("\\u005c"),
                "{sent}"
            );
        }
    }
    // The same for create (the element's id is ignored there; the module is elementType)
    // and convertlead (leadId decides the record).
    let (call, _) = forward(
        &g,
        &[
            ("operation", "create"),
            ("elementType", "Contacts"),
            ("element", ATTACK),
        ],
    );
    let sent = call.param("element").unwrap();
    assert_eq!(zend_decode(sent).unwrap(), standard(ATTACK));
    let mut g2 = Gate::new(
        Allow::All,
        Allow::modules(Some(&["Leads", "Contacts", "Accounts"])).unwrap(),
        true,
    );
    describe_answer(&mut g2, "109-describe-Leads", "Leads");
    describe_answer(&mut g2, "111-describe-Contacts", "Contacts");
    describe_answer(&mut g2, "110-describe-Accounts", "Accounts");
    let lead = r#"{"leadId":"10x5","entities":{"Contacts":{"create":true,"name":"Contacts","lastname":"x\u0022,\u0022name\u0022:\u0022Users"}},"assignedTo":"19x1"}"#;
    let (call, module) = forward(&g2, &[("operation", "convertlead"), ("element", lead)]);
    assert_eq!(module, "Contacts");
    let sent = call.param("element").unwrap();
    let server = zend_decode(sent).unwrap();
    assert_eq!(server, standard(lead));
    assert_eq!(server["entities"]["Contacts"]["name"], "Contacts");
}

#[test]
fn element_attacks_that_are_refused() {
    let g = learned_gate();
    for (el, field) in [
        // not standard JSON (`\U`): the server would decode it, the gate refuses it
        (
            r#"{"id":"12x69","lastname":"x\U0022,\U0022id\U0022:\U002219x1"}"#,
            Some("element"),
        ),
        // the attack's effect written plainly: a Users id
        (r#"{"id":"19x1","lastname":"x"}"#, None),
        // duplicate keys: PHP keeps the last one
        (
            r#"{"id":"12x69","lastname":"x","id":"19x1"}"#,
            Some("element"),
        ),
        (r#"{"id":"12x69","x":{"a":1,"a":2}}"#, Some("element")),
        // a literal backslash-u text in a value (the server would decode it)
        (r#"{"id":"12x69","lastname":"\\u0022"}"#, Some("lastname")),
        // ids must be canonical strings
        (r#"{"id":12,"lastname":"x"}"#, Some("id")),
        (r#"{"id":"012x69","lastname":"x"}"#, Some("id")),
        (r#"{"id":"12x69 OR 1=1"}"#, Some("id")),
        (r#"{"lastname":"x"}"#, Some("id")),
        // not an object, not JSON, a lone surrogate
        (r#"["12x69"]"#, Some("element")),
        (r#"{"id":"12x69""#, Some("element")),
        (r#"{"id":"12x69","lastname":"\ud83d"}"#, Some("element")),
    ] {
        for op in ["update", "revise"] {
            let e = g
                .check(
                    CALLER,
                    &pairs(&[("operation", op), ("element", el)]),
                    &[],
                    T0,
                )
                .unwrap_err();
            match field {
                None => assert_eq!(e.code, ErrorCode::AccessDenied, "{el}"),
                Some(f) => {
                    assert_eq!(e.code, ErrorCode::InvalidInput, "{el}: {}", e.message);
                    assert_eq!(e.field.as_deref(), Some(f), "{el}: {}", e.message);
                }
            }
            assert_eq!(e.operation.as_deref(), Some(op));
        }
    }
    // convertlead: the module the server creates is entities.<M>.name; it must be <M>.
    let mut g2 = Gate::new(
        Allow::All,
        Allow::modules(Some(&["Leads", "Contacts"])).unwrap(),
        true,
    );
    describe_answer(&mut g2, "109-describe-Leads", "Leads");
    describe_answer(&mut g2, "111-describe-Contacts", "Contacts");
    for (lead, code) in [
        (
            r#"{"leadId":"10x5","entities":{"Contacts":{"create":true,"name":"Users"}}}"#,
            ErrorCode::InvalidInput,
        ),
        (
            r#"{"leadId":"10x5","entities":{"Accounts":{"create":true,"name":"Accounts"}}}"#,
            ErrorCode::AccessDenied,
        ),
        (
            r#"{"leadId":"10x5","entities":{"Contacts":{"create":true}},"transferRelatedRecordsTo":"Accounts"}"#,
            ErrorCode::AccessDenied,
        ),
        (
            r#"{"leadId":"10x5","entities":{"Contacts":{"create":true}},"assignedTo":"admin"}"#,
            ErrorCode::InvalidInput,
        ),
        (
            r#"{"leadId":"19x1","entities":{"Contacts":{"create":true}}}"#,
            ErrorCode::AccessDenied,
        ),
        (
            r#"{"entities":{"Contacts":{"create":true}}}"#,
            ErrorCode::InvalidInput,
        ),
        (
            r#"{"leadId":"10x5","entities":["Contacts"]}"#,
            ErrorCode::InvalidInput,
        ),
    ] {
        refused(
            &g2,
            &[("operation", "convertlead"), ("element", lead)],
            code,
        );
    }
    // create: the module comes from elementType and must be allowed
    refused(
        &g,
        &[
            ("operation", "create"),
            ("elementType", "Users"),
            ("element", r#"{"user_name":"x"}"#),
        ],
        ErrorCode::AccessDenied,
    );
}

// ------------------------------------------------------------------ VTQL

#[test]
fn raw_vtql_injections_are_refused() {
    let mut g = Gate::new(
        Allow::All,
        Allow::modules(Some(&["Contacts", "Accounts", "Potentials", "Documents"])).unwrap(),
        true,
    );
    describe_answer(&mut g, "111-describe-Contacts", "Contacts");
    describe_answer(&mut g, "112-describe-Potentials", "Potentials");
    describe_answer(&mut g, "114-describe-Documents", "Documents");
    for q in [
        // the issue's form: the id's numeric part is pasted unquoted
        "SELECT * FROM Contacts WHERE id = '12x0) OR 1=1 OR (1';",
        "SELECT id FROM Contacts WHERE id = '12x0) OR (1=1) OR (1';",
        "SELECT id FROM Contacts WHERE id = '12x0) OR (1=2) OR (1';",
        "SELECT id FROM Contacts WHERE id = '12x0) OR (SELECT 1 FROM vtiger_users WHERE accesskey LIKE ''a%'') OR (1';",
        "SELECT id FROM Contacts WHERE lastname = 'x' OR id IN ('12x1', '12x0) OR 1=1 OR (1');",
        "SELECT id FROM Contacts WHERE id > '12x1 OR 1=1';",
        // reference and owner fields: by name, and by the module's describe
        "SELECT id FROM Contacts WHERE account_id = '11x0) OR 1=1 OR (1';",
        "SELECT id FROM Contacts WHERE assigned_user_id = '19x1 OR 1=1';",
        "SELECT id FROM Contacts WHERE modifiedby = '19x1) OR (1';",
        "SELECT id FROM Potentials WHERE campaignid = '1x0) OR 1=1 OR (1';",
        "SELECT id FROM Potentials WHERE CAMPAIGNID LIKE '1x0) OR 1=1 OR (1';",
        "SELECT id FROM Documents WHERE folderid = '22x1) OR 1=1 OR (1';",
        "SELECT id FROM Documents WHERE folderid IN ('22x1', '22x2) OR (1');",
        "SELECT id FROM Potentials WHERE campaignid = 5;",
        // the backslash/quote desync and other lexer/MySQL disagreements
        "SELECT * FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1=1) -- ';",
        "SELECT * FROM Contacts WHERE lastname = '\\' OR 1=1 -- ';",
        "SELECT * FROM Contacts WHERE lastname = x OR 1=1;",
        "SELECT * FROM Contacts WHERE lastname = 'x' -- ';",
        "SELECT * FROM Contacts WHERE lastname = 'x' # ;",
        "SELECT * FROM Contacts WHERE lastname = 'x'; DELETE FROM vtiger_users;",
        "SELECT * FROM Contacts WHERE (lastname = 'x' OR 1=1);",
        "SELECT * FROM Contacts WHERE lastname = 'a\\0b';",
        "SELECT * FROM Contacts, vtiger_users;",
        "SELECT accesskey FROM Contacts UNION SELECT accesskey FROM vtiger_users;",
        "SELECT * FROM Contacts",
        "DELETE FROM Contacts;",
        "",
    ] {
        let e = refused(&g, &[("operation", "query"), ("query", q)], ErrorCode::InvalidInput);
        assert_eq!(e.operation.as_deref(), Some("query"), "{q}");
        assert!(
            matches!(e.field.as_deref(), Some("query" | "id" | "account_id" | "assigned_user_id" | "modifiedby" | "campaignid" | "CAMPAIGNID" | "folderid")),
            "{q}: {:?}",
            e.field
        );
    }
    // The module allowlist is checked on the parsed FROM module.
    for q in [
        "SELECT * FROM Users;",
        "select user_name from Users where id = '19x1';",
        "select id from Leads where lastname = 'x';",
        "select id from contacts;",
    ] {
        refused(
            &g,
            &[("operation", "query"), ("query", q)],
            ErrorCode::AccessDenied,
        );
    }
}

#[test]
fn raw_vtql_is_re_rendered_with_the_builders_guarantees() {
    let mut g = contacts_gate();
    // Every value checked by name already: no describe needed.
    for (q, want) in [
        ("select * from Contacts;", "SELECT * FROM Contacts;"),
        (
            "SELECT id, lastname FROM Contacts WHERE id > '12x500' ORDER BY id LIMIT 100;",
            "SELECT id, lastname FROM Contacts WHERE id > '12x500' ORDER BY id LIMIT 100;",
        ),
        (
            "select count(*) from Contacts where account_id IN ('11x1','11x2') limit 5, 500;",
            "SELECT count(*) FROM Contacts WHERE account_id IN ('11x1', '11x2') LIMIT 5, 100;",
        ),
        (
            "SELECT * FROM Contacts WHERE lastname > 5 AND modifiedtime >= -1;",
            "SELECT * FROM Contacts WHERE lastname > 5 AND modifiedtime >= -1;",
        ),
    ] {
        let (call, module) = forward(&g, &[("operation", "query"), ("query", q)]);
        assert_eq!(module, "Contacts");
        assert_eq!(call.method, Method::Get);
        assert_eq!(call.param("query"), Some(want), "{q}");
    }
    // A string value on a field the gate cannot classify by name: describe the module first.
    let q = "SELECT id, email FROM Contacts WHERE email = 'o''brien\\\\x@example.com' OR lastname LIKE '%\\%x' ORDER BY lastname DESC;";
    let Ok(Verdict::Learn(l)) = g.check(
        CALLER,
        &pairs(&[("operation", "query"), ("query", q)]),
        &[],
        T0,
    ) else {
        panic!("expected a describe first")
    };
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].module, "Contacts");
    assert_eq!(l[0].call.operation, "describe");
    assert_eq!(l[0].call.param("elementType"), Some("Contacts"));
    describe_answer(&mut g, "111-describe-Contacts", "Contacts");
    let (call, _) = forward(&g, &[("operation", "query"), ("query", q)]);
    assert_eq!(
        call.param("query"),
        Some("SELECT id, email FROM Contacts WHERE email = 'o''brien\\\\x@example.com' OR lastname LIKE '%\\\\%x' ORDER BY lastname DESC;")
    );
    // A FROM inside a literal is not the module; the first bare FROM is.
    let (call, module) = forward(
        &g,
        &[
            ("operation", "query"),
            (
                "query",
                "select id from Contacts where lastname = 'x from Users';",
            ),
        ],
    );
    assert_eq!(module, "Contacts");
    assert_eq!(
        call.param("query"),
        Some("SELECT id FROM Contacts WHERE lastname = 'x from Users';")
    );
}

#[test]
fn query_related_is_re_rendered_without_the_semicolon() {
    let g = learned_gate();
    let (call, module) = forward(
        &g,
        &[
            ("operation", "query_related"),
            (
                "query",
                "select * from Contacts WHERE lastname = 'a' LIMIT 5",
            ),
            ("id", "11x3"),
            ("relatedLabel", "Contacts"),
        ],
    );
    assert_eq!(module, "Contacts");
    assert_eq!(
        call.param("query"),
        Some("SELECT * FROM Contacts WHERE lastname = 'a' LIMIT 5")
    );
    assert_eq!(call.param("id"), Some("11x3"));
    // The server splits the text on WHERE: one inside a value is written WH\ERE, which MySQL
    // reads as WHERE (live findings C, recording 915), and the text holds one WHERE.
    let (call, _) = forward(
        &g,
        &[
            ("operation", "query_related"),
            (
                "query",
                "SELECT * FROM Contacts WHERE lastname = 'aWHEREb' OR lastname LIKE 'WH\\ERE%'",
            ),
            ("id", "11x3"),
            ("relatedLabel", "Contacts"),
        ],
    );
    assert_eq!(
        call.param("query"),
        Some("SELECT * FROM Contacts WHERE lastname = 'aWH\\EREb' OR lastname LIKE 'WH\\ERE%'")
    );
    for (q, id, code) in [
        (
            "SELECT * FROM Contacts WHERE id = '12x0) OR 1=1 OR (1'",
            "11x3",
            ErrorCode::InvalidInput,
        ),
        // ... and one inside a name cannot be escaped: it would cut the text
        (
            "SELECT cf_WHERE FROM Contacts WHERE lastname = 'a'",
            "11x3",
            ErrorCode::InvalidInput,
        ),
        ("SELECT * FROM Users", "11x3", ErrorCode::AccessDenied),
        ("SELECT * FROM Contacts", "19x1", ErrorCode::AccessDenied),
        (
            "SELECT * FROM Contacts",
            "11x3 OR 1",
            ErrorCode::InvalidInput,
        ),
    ] {
        refused(
            &g,
            &[
                ("operation", "query_related"),
                ("query", q),
                ("id", id),
                ("relatedLabel", "Contacts"),
            ],
            code,
        );
    }
}

// ------------------------------------------------------------------ ids, operations, params

#[test]
fn ids_are_attributed_by_learned_prefixes() {
    let mut g = contacts_gate();
    // Unknown prefix: describe every allowed module first.
    let Ok(Verdict::Learn(l)) = g.check(
        CALLER,
        &pairs(&[("operation", "retrieve"), ("id", "19x1")]),
        &[],
        T0,
    ) else {
        panic!()
    };
    let mut mods: Vec<&str> = l.iter().map(|x| x.module.as_str()).collect();
    mods.sort();
    assert_eq!(mods, ["Accounts", "Contacts"]);
    describe_answer(&mut g, "111-describe-Contacts", "Contacts");
    // Accounts cannot be described (an error envelope behind a PHP notice).
    let notice = "<br />\n<b>Notice</b>: x\n{\"success\":false,\"error\":{\"code\":\"ACCESS_DENIED\",\"message\":\"no\"}}";
    let a = g.answer(
        CALLER,
        "describe",
        "Accounts",
        &HttpResponse::new(200, notice),
        T0,
    );
    assert!(
        matches!(a, Answer::Replace(ref t) if t == r#"{"success":false,"error":{"code":"ACCESS_DENIED","message":"no"}}"#),
        "{a:?}"
    );
    refused(
        &g,
        &[("operation", "retrieve"), ("id", "19x1")],
        ErrorCode::AccessDenied,
    );
    let (call, module) = forward(&g, &[("operation", "retrieve"), ("id", "12x5")]);
    assert_eq!((call.method, module.as_str()), (Method::Get, "Contacts"));
    // 30 s later the failed module is tried again.
    match g.check(
        CALLER,
        &pairs(&[("operation", "retrieve"), ("id", "19x1")]),
        &[],
        T0 + 30_001,
    ) {
        Ok(Verdict::Learn(l)) => assert_eq!(l[0].module, "Accounts"),
        other => panic!("{other:?}"),
    }
    for bad in [
        "012x5",
        "12x05",
        "12x",
        "x5",
        "12x5 OR 1=1",
        "12X5",
        "",
        "0x0",
    ] {
        refused(
            &g,
            &[("operation", "retrieve"), ("id", bad)],
            ErrorCode::InvalidInput,
        );
        refused(
            &g,
            &[("operation", "delete"), ("id", bad)],
            ErrorCode::InvalidInput,
        );
    }
    // With every module allowed, ids are validated but need no attribution.
    let all = Gate::new(Allow::All, Allow::All, true);
    let (_, module) = forward(&all, &[("operation", "retrieve"), ("id", "19x1")]);
    assert_eq!(module, "*");
    refused(
        &all,
        &[("operation", "retrieve"), ("id", "19x1) OR (1")],
        ErrorCode::InvalidInput,
    );
}

#[test]
fn operations_table_and_allowlists() {
    let g = learned_gate();
    for (p, method) in [
        (vec![("operation", "listtypes")], Method::Get),
        (
            vec![
                ("operation", "LISTTYPES"),
                ("fieldTypeList", r#"["email"]"#),
            ],
            Method::Get,
        ),
        (
            vec![("operation", "describe"), ("elementType", "Contacts")],
            Method::Get,
        ),
        (
            vec![("operation", "relatedtypes"), ("elementType", "Accounts")],
            Method::Get,
        ),
        (vec![("operation", "retrieve"), ("id", "12x5")], Method::Get),
        (
            vec![("operation", "retrieve_inventory"), ("id", "12x5")],
            Method::Get,
        ),
        (
            vec![("operation", "files_retrieve"), ("id", "12x290")],
            Method::Get,
        ),
        (
            vec![
                ("operation", "retrieve_related"),
                ("id", "11x3"),
                ("relatedType", "Contacts"),
                ("relatedLabel", "Contacts"),
            ],
            Method::Get,
        ),
        (
            vec![
                ("operation", "sync"),
                ("modifiedTime", "0"),
                ("elementType", "Contacts"),
            ],
            Method::Get,
        ),
        (vec![("operation", "delete"), ("id", "12x5")], Method::Post),
        (
            vec![
                ("operation", "create"),
                ("elementType", "Contacts"),
                ("element", r#"{"lastname":"x"}"#),
            ],
            Method::Post,
        ),
        (
            vec![
                ("operation", "add_related"),
                ("sourceRecordId", "11x3"),
                ("relatedRecordId", "12x5"),
                ("relationIdLabel", "Contacts"),
            ],
            Method::Post,
        ),
    ] {
        let (call, _) = forward(&g, &p);
        assert_eq!(call.method, method, "{p:?}");
        assert_eq!(call.operation, p[0].1.to_ascii_lowercase());
    }
    // sync never sends "0"; unknown parameters are dropped (the server reads only its own)
    let (call, _) = forward(
        &g,
        &[
            ("operation", "sync"),
            ("modifiedTime", "0"),
            ("elementType", "Contacts"),
            ("extra", "1"),
        ],
    );
    assert_eq!(
        call.params,
        pairs(&[("modifiedTime", "1"), ("elementType", "Contacts")])
    );
    // never forwarded, whatever the allowlist
    let all = Gate::new(Allow::All, Allow::All, true);
    for op in NEVER_FORWARDED
        .iter()
        .copied()
        .chain(["LOGIN", "changePassword", "deleteUser"])
    {
        let e = refused(
            &all,
            &[("operation", op), ("username", "admin")],
            ErrorCode::AccessDenied,
        );
        assert!(e.message.contains("never forwarded"), "{}", e.message);
    }
    // the operation allowlist
    let ops = Gate::new(
        Allow::operations(Some(&["Query", "describe"])).unwrap(),
        Allow::All,
        true,
    );
    refused(
        &ops,
        &[("operation", "delete"), ("id", "12x1")],
        ErrorCode::AccessDenied,
    );
    forward(
        &ops,
        &[("operation", "QUERY"), ("query", "SELECT * FROM Users;")],
    );
    // operations that cannot be attributed to a module (wsapp_* without the proxy's seal)
    refused(
        &g,
        &[
            ("operation", "wsapp_register"),
            ("type", "x"),
            ("synctype", "user"),
            ("elementType", "Contacts"),
        ],
        ErrorCode::AccessDenied,
    );
    refused(
        &g.clone().seal_with(Secret::new("seal")),
        &[("operation", "wsapp_put"), ("key", "k"), ("element", "[]")],
        ErrorCode::AccessDenied,
    );
    refused(
        &g,
        &[("operation", "mobile.fetchallalerts")],
        ErrorCode::AccessDenied,
    );
    refused(
        &g,
        &[("operation", "sync"), ("modifiedTime", "5")],
        ErrorCode::AccessDenied,
    );
    let (call, module) = forward(&all, &[("operation", "custom_op"), ("a", "1"), ("b", "0")]);
    assert_eq!((call.method, module.as_str()), (Method::Post, "*"));
    assert_eq!(call.params, pairs(&[("a", "1"), ("b", "0")]));
    forward(&all, &[("operation", "sync"), ("modifiedTime", "5")]);
    // malformed requests
    for (p, field) in [
        (vec![], "operation"),
        (vec![("operation", "")], "operation"),
        (vec![("operation", "list types")], "operation"),
        (
            vec![("operation", "describe"), ("operation", "login")],
            "operation",
        ),
        (
            vec![
                ("operation", "describe"),
                ("elementType", "Contacts"),
                ("element Type", "x"),
            ],
            "params",
        ),
        (
            vec![
                ("operation", "describe"),
                ("elementType", "Contacts"),
                ("a[b]", "x"),
            ],
            "params",
        ),
        (vec![("operation", "describe")], "elementType"),
        (
            vec![("operation", "describe"), ("elementType", "Contacts\nX")],
            "elementType",
        ),
        (
            vec![("operation", "listtypes"), ("fieldTypeList", "email")],
            "fieldTypeList",
        ),
        (
            vec![("operation", "listtypes"), ("fieldTypeList", "[1]")],
            "fieldTypeList",
        ),
        (
            vec![
                ("operation", "sync"),
                ("modifiedTime", "-5"),
                ("elementType", "Contacts"),
            ],
            "modifiedTime",
        ),
        (
            vec![
                ("operation", "sync"),
                ("modifiedTime", "1 OR 1"),
                ("elementType", "Contacts"),
            ],
            "modifiedTime",
        ),
    ] {
        let e = g.check(CALLER, &pairs(&p), &[], T0).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{p:?}");
        assert_eq!(e.field.as_deref(), Some(field), "{p:?}: {}", e.message);
    }
    // secrets and format from the caller are dropped, whatever their case
    let (call, _) = forward(
        &g,
        &[
            ("operation", "describe"),
            ("sessionName", "x"),
            ("PHPSESSID", "y"),
            ("phpsessid", "z"),
            ("FORMAT", "xml"),
            ("elementType", "Contacts"),
        ],
    );
    assert_eq!(call.params, pairs(&[("elementType", "Contacts")]));
    // files: only with POST-type operations
    let with_file = |op: &str| {
        g.check(
            CALLER,
            &pairs(&[
                ("operation", op),
                ("elementType", "Contacts"),
                ("element", r#"{"lastname":"x"}"#),
            ]),
            &["filename".to_owned(), "sessionName".to_owned()],
            T0,
        )
    };
    match with_file("create") {
        Ok(Verdict::Forward(f)) => assert_eq!(f.files, ["filename"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        with_file("describe").unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let e = g
        .check(
            CALLER,
            &pairs(&[("operation", "create")]),
            &["a b".to_owned()],
            T0,
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params"));
    // allowlist constructors refuse what they cannot hold
    assert!(Allow::modules(Some(&["Contacts,Users"])).is_err());
    assert!(Allow::operations(Some(&["query;"])).is_err());
}

#[test]
fn forwards_name_what_they_touch() {
    let g = learned_gate();
    let touches = |p: &[(&str, &str)]| match g.check(CALLER, &pairs(p), &[], T0) {
        Ok(Verdict::Forward(f)) => f.touches,
        other => panic!("{other:?}"),
    };
    let t = touches(&[
        ("operation", "query_related"),
        (
            "query",
            "SELECT * FROM Contacts WHERE id > '12x1' AND modifiedtime > 5 ;",
        ),
        ("id", "11x3"),
        ("relatedLabel", "Contacts"),
    ])
    .unwrap();
    assert_eq!(t.modules, ["Contacts"]);
    assert_eq!(t.ids, [WsId::new(11, 3).unwrap()]);
    let t = touches(&[("operation", "revise"), ("element", ATTACK)]).unwrap();
    assert_eq!(t.ids, [WsId::new(12, 69).unwrap()]);
    let all = Gate::new(Allow::All, Allow::All, true);
    // an operation the gate cannot attribute (only with every module allowed)
    match all.check(
        CALLER,
        &pairs(&[("operation", "wsapp_put"), ("key", "k"), ("element", "[]")]),
        &[],
        T0,
    ) {
        Ok(Verdict::Forward(f)) => assert!(f.touches.is_none()),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------ upstream answers

#[test]
fn answers_are_read_tolerantly() {
    let mut g = contacts_gate();
    let notice = "<br />\n<b>Notice</b>: Undefined index: x in /var/www/html/include/x.php on line 3<br />\n";
    // a clean success envelope is passed on untouched
    let clean = r#"{"success":true,"result":[{"id":"12x5"}]}"#;
    assert_eq!(
        g.answer(
            CALLER,
            "query",
            "Contacts",
            &HttpResponse::new(200, clean),
            T0
        ),
        Answer::Keep
    );
    // a notice before it: the same envelope without the notice
    let noisy = format!("{notice}{clean}");
    assert_eq!(
        g.answer(
            CALLER,
            "query",
            "Contacts",
            &HttpResponse::new(200, noisy),
            T0
        ),
        Answer::Replace(clean.to_owned())
    );
    // raw control characters in a value are escaped for the browser's JSON.parse
    let raw = "{\"success\":true,\"result\":{\"a\":\"x\u{b}y\"}}";
    assert_eq!(
        g.answer(
            CALLER,
            "retrieve",
            "Contacts",
            &HttpResponse::new(200, raw),
            T0
        ),
        Answer::Replace("{\"success\":true,\"result\":{\"a\":\"x\\u000by\"}}".to_owned())
    );
    // a refused session only reaches the gate once the driver renewed it and the server
    // refused again: an error envelope like any other, cleaned of the noise
    for code in [
        "INVALID_SESSIONID",
        "AUTHENTICATION_REQUIRED",
        "SESSION_EXPIRED",
        "SESSION_LEFT_IDLE",
    ] {
        let body =
            format!(r#"{notice}{{"success":false,"error":{{"code":"{code}","message":"m"}}}}"#);
        assert_eq!(
            g.answer(
                CALLER,
                "query",
                "Contacts",
                &HttpResponse::new(200, body),
                T0
            ),
            Answer::Replace(format!(
                r#"{{"success":false,"error":{{"code":"{code}","message":"m"}}}}"#
            ))
        );
    }
    let denied =
        r#"{"success":false,"error":{"message":"Permission denied","code":"ACCESS_DENIED"}}"#;
    assert_eq!(
        g.answer(CALLER, "retrieve", "-", &HttpResponse::new(200, denied), T0),
        Answer::Keep
    );
    let dup = format!(
        r#"{notice}{{"success":false,"error":{{"code":0,"message":"Duplicate(s) detected!"}}}}"#
    );
    assert_eq!(
        g.answer(
            CALLER,
            "create",
            "Contacts",
            &HttpResponse::new(200, dup),
            T0
        ),
        Answer::Replace(
            r#"{"success":false,"error":{"code":0,"message":"Duplicate(s) detected!"}}"#.to_owned()
        )
    );
    // not an envelope at all: passed on as sent (the client reports it)
    for body in [
        "",
        "Sorry! Attempt to access restricted file.",
        "<b>Fatal error</b>",
    ] {
        assert_eq!(
            g.answer(
                CALLER,
                "query",
                "Contacts",
                &HttpResponse::new(200, body),
                T0
            ),
            Answer::Keep
        );
        assert_eq!(
            g.answer(
                CALLER,
                "query",
                "Contacts",
                &HttpResponse::new(204, body),
                T0
            ),
            Answer::Keep
        );
    }
    // describe learning and the listtypes filter work behind a notice too
    let f = common::load("vtiger-8.4.0", "111-describe-Contacts");
    let mut body = notice.as_bytes().to_vec();
    body.extend_from_slice(&f.body);
    assert!(matches!(
        g.answer(
            CALLER,
            "describe",
            "Contacts",
            &HttpResponse::new(200, body),
            T0
        ),
        Answer::Replace(_)
    ));
    assert_eq!(g.known_prefixes(), 1);
    let f = common::load("vtiger-8.4.0", "010-listtypes");
    let mut body = notice.as_bytes().to_vec();
    body.extend_from_slice(&f.body);
    let Answer::Replace(text) =
        g.answer(CALLER, "listtypes", "-", &HttpResponse::new(200, body), T0)
    else {
        panic!()
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["success"], true);
    assert_eq!(
        v["result"]["types"],
        serde_json::json!(["Accounts", "Contacts"])
    );
    let info = v["result"]["information"].as_object().unwrap();
    let mut keys: Vec<&String> = info.keys().collect();
    keys.sort();
    assert_eq!(keys, ["Accounts", "Contacts"]);
    // with '*' listtypes passes as sent
    let mut all = Gate::new(Allow::All, Allow::All, true);
    assert_eq!(
        all.answer(CALLER, "listtypes", "*", &f.response(), T0),
        Answer::Keep
    );
}

// ------------------------------------------------------------------ wsapp keys

/// The key in a `wsapp_register` answer the gate passed on.
fn sealed_key(a: &Answer) -> String {
    let Answer::Replace(text) = a else {
        panic!("expected the key sealed, got {a:?}")
    };
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["success"], true);
    v["result"]["key"].as_str().unwrap().to_owned()
}

fn register_answer(key: &str) -> HttpResponse {
    HttpResponse::new(
        200,
        format!(r#"{{"success":true,"result":{{"key":"{key}"}}}}"#),
    )
}

#[test]
fn wsapp_keys_are_sealed_to_their_caller_and_module() {
    let mut g = learned_gate().seal_with(Secret::new("the proxy's seal"));
    // register: elementType names the module (required with a module list), and is not sent
    refused(
        &g,
        &[
            ("operation", "wsapp_register"),
            ("type", "vtigerCRM"),
            ("synctype", "user"),
        ],
        ErrorCode::AccessDenied,
    );
    refused(
        &g,
        &[
            ("operation", "wsapp_register"),
            ("type", "vtigerCRM"),
            ("elementType", "Users"),
        ],
        ErrorCode::AccessDenied,
    );
    refused(
        &g,
        &[
            ("operation", "wsapp_register"),
            ("type", "vtigerCRM"),
            ("synctype", "everyone"),
            ("elementType", "Contacts"),
        ],
        ErrorCode::InvalidInput,
    );
    let (call, module) = forward(
        &g,
        &[
            ("operation", "wsapp_register"),
            ("type", "vtigerCRM"),
            ("synctype", "user"),
            ("elementType", "Contacts"),
        ],
    );
    assert_eq!((call.method, module.as_str()), (Method::Post, "Contacts"));
    assert_eq!(
        call.params,
        pairs(&[("type", "vtigerCRM"), ("synctype", "user")])
    );
    // the answer's key comes back sealed (the raw key stays readable: it is no credential
    // without a session)
    let a = g.answer(
        CALLER,
        "wsapp_register",
        "Contacts",
        &register_answer("5f1a2b3c4d5e6"),
        T0,
    );
    let key = sealed_key(&a);
    assert!(key.starts_with("5f1a2b3c4d5e6.Contacts."), "{key}");
    assert_eq!(key.len(), "5f1a2b3c4d5e6.Contacts.".len() + 32);
    // wsapp_get with it: the raw key goes upstream, attributed to Contacts
    let Ok(Verdict::Forward(f)) = g.check(CALLER, &get(&key, "Contacts"), &[], T0) else {
        panic!("the sealed key was refused")
    };
    let (call, module) = (f.call, f.module);
    assert_eq!(module, "Contacts");
    assert_eq!(
        call.params,
        pairs(&[
            ("key", "5f1a2b3c4d5e6"),
            ("module", "Contacts"),
            ("token", "1")
        ])
    );
    // ... not for another allowed module, not for another caller, not forged, not raw
    let mut forged = key.clone();
    forged.pop();
    forged.push(if key.ends_with('0') { '1' } else { '0' });
    let other_module = key.replace(".Contacts.", ".Accounts.");
    for (k, m, caller) in [
        (key.as_str(), "Accounts", CALLER),
        (key.as_str(), "Contacts", "token#1"),
        (forged.as_str(), "Contacts", CALLER),
        (other_module.as_str(), "Accounts", CALLER),
        ("5f1a2b3c4d5e6", "Contacts", CALLER),
        ("", "Contacts", CALLER),
    ] {
        match g.check(caller, &get(k, m), &[], T0) {
            Err(e) => assert!(
                matches!(e.code, ErrorCode::AccessDenied | ErrorCode::InvalidInput),
                "{k} {m} {caller}: {e:?}"
            ),
            Ok(v) => panic!("{k} {m} {caller}: forwarded {v:?}"),
        }
    }
    // a key for a module outside the list is refused even when sealed for it (the list won)
    let users = g.answer(
        CALLER,
        "wsapp_register",
        "Users",
        &register_answer("77"),
        T0,
    );
    let users = sealed_key(&users);
    refused(
        &g,
        &[
            ("operation", "wsapp_get"),
            ("key", &users),
            ("module", "Users"),
            ("token", "5"),
        ],
        ErrorCode::AccessDenied,
    );
    // deregister: only the caller's own key, attributed to its module
    let (call, module) = forward(
        &g,
        &[
            ("operation", "wsapp_deregister"),
            ("type", "vtigerCRM"),
            ("key", &key),
        ],
    );
    assert_eq!(module, "Contacts");
    assert_eq!(
        call.params,
        pairs(&[("type", "vtigerCRM"), ("key", "5f1a2b3c4d5e6")])
    );
    match g.check(
        "token#1",
        &pairs(&[
            ("operation", "wsapp_deregister"),
            ("type", "vtigerCRM"),
            ("key", &key),
        ]),
        &[],
        T0,
    ) {
        Err(e) => assert_eq!(e.code, ErrorCode::AccessDenied),
        Ok(v) => panic!("another caller's key forwarded: {v:?}"),
    }
    // a gate with another seal (another proxy) does not accept the key
    let other = learned_gate().seal_with(Secret::new("another proxy"));
    assert_eq!(
        other
            .check(CALLER, &get(&key, "Contacts"), &[], T0)
            .unwrap_err()
            .code,
        ErrorCode::AccessDenied
    );
    // a register answer without a key is passed on unchanged
    assert_eq!(
        g.answer(
            CALLER,
            "wsapp_register",
            "Contacts",
            &HttpResponse::new(200, r#"{"success":true,"result":{}}"#),
            T0
        ),
        Answer::Keep
    );
    // with every module allowed the registration may name none: the key then serves any module
    let mut all = Gate::new(Allow::All, Allow::All, true).seal_with(Secret::new("s"));
    let (_, module) = forward(
        &all,
        &[("operation", "wsapp_register"), ("type", "vtigerCRM")],
    );
    assert_eq!(module, "*");
    let any = sealed_key(&all.answer(CALLER, "wsapp_register", "*", &register_answer("99"), T0));
    assert!(any.starts_with("99.*."), "{any}");
    for m in ["Leads", "Users"] {
        assert!(matches!(
            all.check(CALLER, &get(&any, m), &[], T0),
            Ok(Verdict::Forward(_))
        ));
    }
    // but still only for the caller it was issued to
    assert!(all.check("token#1", &get(&any, "Leads"), &[], T0).is_err());
}

/// A `wsapp_get` request.
fn get(key: &str, module: &str) -> Vec<(String, String)> {
    pairs(&[
        ("operation", "wsapp_get"),
        ("key", key),
        ("module", module),
        ("token", "0"),
    ])
}
