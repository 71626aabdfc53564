//! VTQL rendering, escaping, validation and raw parsing.

use crmwire::json;
use crmwire::vtiger::vtql::{literal, Cond, Dir, Limit, Op, Select, Value, MAX_DNF_TERMS};
use crmwire::vtiger::WsId;
use crmwire::ErrorCode;

/// An independent model of the server's path for a literal: the VTQL lexer's literal
/// regex `'(?:[^']|'')+'` picks the token, then MySQL reads the token as a string literal
/// (backslash escapes, `''` for a quote). Returns the value MySQL sees, and checks that
/// MySQL's end of string is exactly where the lexer's token ended.
fn server_reads(token_text: &str) -> String {
    let b = token_text.as_bytes();
    assert_eq!(b[0], b'\'', "literal must start with a quote: {token_text}");
    // VTQL lexer: greedy '(?:[^']|'')+'
    let mut j = 1;
    loop {
        match b.get(j) {
            None => panic!("lexer: unterminated literal {token_text}"),
            Some(b'\'') if b.get(j + 1) == Some(&b'\'') => j += 2,
            Some(b'\'') => break,
            Some(_) => j += 1,
        }
    }
    assert!(j > 1, "lexer: empty literal");
    assert_eq!(
        j + 1,
        b.len(),
        "lexer token must cover the whole literal: {token_text}"
    );
    // MySQL: reads from the opening quote until an unescaped lone quote.
    let mut out = Vec::new();
    let mut k = 1;
    loop {
        match b[k] {
            b'\\' => {
                let n = b[k + 1];
                out.push(match n {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'0' => 0,
                    other => other,
                });
                k += 2;
            }
            b'\'' if b.get(k + 1) == Some(&b'\'') => {
                out.push(b'\'');
                k += 2;
            }
            b'\'' => break,
            c => {
                out.push(c);
                k += 1;
            }
        }
    }
    assert_eq!(
        k, j,
        "MySQL and the lexer disagree on where {token_text} ends"
    );
    String::from_utf8(out).unwrap()
}

#[test]
fn literal_escapes_quotes_and_backslashes() {
    assert_eq!(literal("O'Brien").unwrap(), "'O''Brien'");
    assert_eq!(literal("Back\\slash").unwrap(), "'Back\\\\slash'");
    assert_eq!(literal("plain").unwrap(), "'plain'");
    assert_eq!(literal("\\'").unwrap(), "'\\\\'''");
}

#[test]
fn hostile_literals_read_back_exactly() {
    let hostile = [
        "O'Brien",
        "'",
        "''",
        "'''",
        "\\",
        "\\\\",
        "abc\\",
        "\\'",
        "x\\' OR 1=1) -- ",
        "x\\' AND lastname = ' OR 1=1) -- ",
        "a;b",
        "this or that where limit",
        "' OR '1'='1",
        "line1\nline2\r\n\ttab",
        "中文 Ünïcödé 😀",
        "50\\% off",
        "%_%",
        "; DROP TABLE vtiger_crmentity; --",
        "\"double\"",
        "\u{b}\u{1f}control",
        " leading and trailing ",
        "end with quote'",
        "'start with quote",
    ];
    for h in hostile {
        let lit = literal(h).unwrap();
        assert_eq!(server_reads(&lit), h, "{h:?} -> {lit}");
        // And inside a whole statement, the token stays one value.
        let q = Select::from("Contacts")
            .unwrap()
            .where_eq("lastname", h)
            .unwrap()
            .render()
            .unwrap();
        assert!(q.ends_with(&format!("{lit};")), "{q}");
        let back = Select::parse(&q).unwrap();
        assert_eq!(
            back.where_,
            Some(Cond::Term(crmwire::vtiger::vtql::Term::new(
                "lastname",
                Op::Eq,
                h
            ))),
            "{q}"
        );
    }
}

#[test]
fn literal_rejects_empty_and_nul() {
    for bad in ["", "a\0b", "\0"] {
        let e = literal(bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{bad:?}");
        assert_eq!(e.field.as_deref(), Some("value"));
    }
    let e = Select::from("Contacts")
        .unwrap()
        .where_eq("lastname", "")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn renders_a_full_statement() {
    let q = Select::from("Contacts")
        .unwrap()
        .fields(&["firstname", "lastname"])
        .unwrap()
        .where_eq("lastname", "Smith")
        .unwrap()
        .where_op(
            "mailingcity",
            Op::In,
            Value::list(["Paris".into(), "Berlin".into()]),
        )
        .unwrap()
        .order_by("lastname", Dir::Desc)
        .unwrap()
        .limit(50)
        .render()
        .unwrap();
    assert_eq!(
        q,
        "SELECT firstname, lastname FROM Contacts WHERE lastname = 'Smith' AND mailingcity IN ('Paris', 'Berlin') ORDER BY lastname DESC LIMIT 50;"
    );
    assert_eq!(
        Select::from("Accounts").unwrap().render().unwrap(),
        "SELECT * FROM Accounts;"
    );
    assert_eq!(
        Select::from("Accounts").unwrap().count().render().unwrap(),
        "SELECT count(*) FROM Accounts;"
    );
    assert_eq!(
        Select::from("Accounts")
            .unwrap()
            .offset(200)
            .limit(30)
            .render()
            .unwrap(),
        "SELECT * FROM Accounts LIMIT 200, 30;"
    );
}

#[test]
fn every_operator_renders() {
    let cases = [
        (Op::Eq, "="),
        (Op::Ne, "!="),
        (Op::Lt, "<"),
        (Op::Gt, ">"),
        (Op::Le, "<="),
        (Op::Ge, ">="),
        (Op::Like, "LIKE"),
        (Op::In, "IN"),
    ];
    for (op, s) in cases {
        let q = Select::from("Products")
            .unwrap()
            .where_op("unit_price", op, Value::int(5))
            .unwrap()
            .render()
            .unwrap();
        let want = if op == Op::In {
            "SELECT * FROM Products WHERE unit_price IN '5';".to_string()
        } else {
            format!("SELECT * FROM Products WHERE unit_price {s} '5';")
        };
        assert_eq!(q, want);
        assert_eq!(Op::parse(&s.to_lowercase()).unwrap(), op);
    }
    for bad in ["<>", "not like", "NOT IN", "is null", "between", "==", ""] {
        assert_eq!(
            Op::parse(bad).unwrap_err().code,
            ErrorCode::InvalidInput,
            "{bad}"
        );
    }
}

#[test]
fn numbers_are_quoted_and_strict() {
    let q = Select::from("Products")
        .unwrap()
        .where_op("unit_price", Op::Ge, Value::num("1.5").unwrap())
        .unwrap();
    assert_eq!(
        q.render().unwrap(),
        "SELECT * FROM Products WHERE unit_price >= '1.5';"
    );
    let q = Select::from("Products")
        .unwrap()
        .where_op("qtyinstock", Op::Lt, -5i64)
        .unwrap();
    assert_eq!(
        q.render().unwrap(),
        "SELECT * FROM Products WHERE qtyinstock < '-5';"
    );
    for bad in ["1.", ".5", "1e5", "1 OR 1=1", "", "--1", "0x10", "NaN"] {
        assert_eq!(
            Value::num(bad).unwrap_err().code,
            ErrorCode::InvalidInput,
            "{bad}"
        );
    }
    // A hand-built Num is re-checked at render time.
    let s = Select {
        where_: Some(Cond::eq("unit_price", Value::Num("1 OR 1=1".into()))),
        ..Select::from("Products").unwrap()
    };
    assert_eq!(s.render().unwrap_err().code, ErrorCode::InvalidInput);
}

#[test]
fn ids_are_validated_and_quoted() {
    let id: WsId = "12x5".parse().unwrap();
    let q = Select::from("Contacts")
        .unwrap()
        .where_eq("id", id)
        .unwrap()
        .render()
        .unwrap();
    assert_eq!(q, "SELECT * FROM Contacts WHERE id = '12x5';");
    // A valid id given as a string is accepted.
    let q = Select::from("Contacts")
        .unwrap()
        .where_eq("account_id", "11x239")
        .unwrap()
        .render()
        .unwrap();
    assert_eq!(q, "SELECT * FROM Contacts WHERE account_id = '11x239';");
    // The unanchored-id injection and friends are refused on id-valued fields.
    for (field, bad) in [
        ("id", "12x1 OR 1=1"),
        ("id", "13"),
        ("id", "12x"),
        ("id", "012x5"),
        ("assigned_user_id", "admin"),
        ("account_id", "1x1) OR (1=1"),
        ("modifiedby", "Admin Administrator"),
        ("related_to", "x5"),
    ] {
        let e = Select::from("Contacts")
            .unwrap()
            .where_eq(field, bad)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{field} {bad}");
        assert_eq!(e.field.as_deref(), Some(field));
    }
    let e = Select::from("Contacts")
        .unwrap()
        .where_eq("id", 13i64)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    // IN lists of ids.
    let q = Select::from("Contacts")
        .unwrap()
        .where_op(
            "id",
            Op::In,
            Value::list(["12x1".into(), WsId::new(12, 2).unwrap().into()]),
        )
        .unwrap()
        .render()
        .unwrap();
    assert_eq!(q, "SELECT * FROM Contacts WHERE id IN ('12x1', '12x2');");
    // Ordinary fields accept id-looking and arbitrary text.
    assert!(Select::from("Contacts")
        .unwrap()
        .where_eq("lastname", "12x1 OR 1=1")
        .unwrap()
        .render()
        .is_ok());
}

#[test]
fn identifiers_are_validated() {
    for bad in [
        "",
        "1abc",
        "Con tacts",
        "Contacts;",
        "a.b",
        "a-b",
        "ä",
        "where",
        "LIMIT",
        "order",
        "from",
        "select",
    ] {
        let e = Select::from(bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{bad:?}");
        assert_eq!(e.field.as_deref(), Some("module"));
        let e = Select::from("Contacts")
            .unwrap()
            .fields(&[bad])
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("fields"), "{bad:?}");
        let e = Select::from("Contacts")
            .unwrap()
            .where_eq(bad, "x")
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{bad:?}");
        let e = Select::from("Contacts")
            .unwrap()
            .order_by(bad, Dir::Asc)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("orderBy"), "{bad:?}");
    }
    assert!(Select::from("_x1").is_ok());
    assert!(Select::from("Contacts")
        .unwrap()
        .fields(&["cf_853", "id"])
        .is_ok());
    // Fields set directly are validated at render time too.
    let mut s = Select::from("Contacts").unwrap();
    s.fields = vec!["lastname; DROP".into()];
    assert_eq!(s.render().unwrap_err().field.as_deref(), Some("fields"));
    s.fields.clear();
    s.module = "Contacts WHERE 1".into();
    assert_eq!(s.render().unwrap_err().field.as_deref(), Some("module"));
}

#[test]
fn and_binds_tighter_so_conditions_render_as_dnf() {
    let a = Cond::eq("firstname", "A");
    let b = Cond::eq("firstname", "B");
    let c = Cond::eq("mailingcity", "Paris");
    // (a OR b) AND c  ==>  a AND c OR b AND c
    let s = Select::from("Contacts")
        .unwrap()
        .and(a.clone().or(b.clone()))
        .unwrap()
        .and(c.clone())
        .unwrap();
    assert_eq!(
        s.render().unwrap(),
        "SELECT * FROM Contacts WHERE firstname = 'A' AND mailingcity = 'Paris' OR firstname = 'B' AND mailingcity = 'Paris';"
    );
    // Fluent left-to-right: a.and(b).or(c) = (a AND b) OR c, which needs no rewriting.
    let s = Select::from("Contacts")
        .unwrap()
        .and(a.clone())
        .unwrap()
        .and(c.clone())
        .unwrap()
        .or(b.clone())
        .unwrap();
    assert_eq!(
        s.render().unwrap(),
        "SELECT * FROM Contacts WHERE firstname = 'A' AND mailingcity = 'Paris' OR firstname = 'B';"
    );
    // (a OR b) AND (c OR d): four groups.
    let d = Cond::eq("mailingcity", "Tokyo");
    let dnf = Cond::And(vec![a.clone().or(b.clone()), c.clone().or(d.clone())])
        .dnf()
        .unwrap();
    assert_eq!(dnf.len(), 4);
    assert!(dnf.iter().all(|g| g.len() == 2));
    // Empty AND is "true": no WHERE at all.
    let s = Select {
        where_: Some(Cond::And(vec![])),
        ..Select::from("Contacts").unwrap()
    };
    assert_eq!(s.render().unwrap(), "SELECT * FROM Contacts;");
    // Empty OR is "false": cannot be expressed.
    let s = Select {
        where_: Some(Cond::Or(vec![])),
        ..Select::from("Contacts").unwrap()
    };
    assert_eq!(s.render().unwrap_err().field.as_deref(), Some("where"));
}

/// Evaluates a condition on a record: tree semantics.
fn eval(c: &Cond, rec: &[(&str, &str)]) -> bool {
    match c {
        Cond::Term(t) => {
            let v = rec
                .iter()
                .find(|(k, _)| *k == t.field)
                .map(|(_, v)| *v)
                .unwrap_or("");
            match &t.value {
                Value::Str(s) => v == s,
                _ => unreachable!(),
            }
        }
        Cond::And(cs) => cs.iter().all(|c| eval(c, rec)),
        Cond::Or(cs) => cs.iter().any(|c| eval(c, rec)),
    }
}

#[test]
fn dnf_is_equivalent_to_the_tree() {
    // Exhaustive check over all assignments of 4 boolean fields.
    let t = |f: &'static str| Cond::eq(f, "1");
    let trees = vec![
        Cond::And(vec![t("a").or(t("b")), t("c").or(t("d"))]),
        Cond::Or(vec![Cond::And(vec![t("a"), t("b").or(t("c"))]), t("d")]),
        Cond::And(vec![
            t("a"),
            Cond::Or(vec![t("b"), Cond::And(vec![t("c"), t("d").or(t("a"))])]),
        ]),
    ];
    for tree in trees {
        let dnf = tree.dnf().unwrap();
        for bits in 0..16u32 {
            let vals: Vec<(&str, &str)> = ["a", "b", "c", "d"]
                .iter()
                .enumerate()
                .map(|(i, f)| (*f, if bits & (1 << i) != 0 { "1" } else { "0" }))
                .collect();
            let flat = dnf
                .iter()
                .any(|g| g.iter().all(|term| eval(&Cond::Term(term.clone()), &vals)));
            assert_eq!(flat, eval(&tree, &vals), "{tree:?} {bits:b}");
        }
    }
}

#[test]
fn rejects_conditions_that_expand_too_far() {
    // (a1 OR b1) AND (a2 OR b2) AND … : 2^n groups.
    let mut c = Cond::And(vec![]);
    for i in 0..7 {
        c = c.and(Cond::eq(format!("f{i}"), "x").or(Cond::eq(format!("g{i}"), "y")));
    }
    let e = c.dnf().unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("where"));
    assert!(e.message.contains("parentheses"), "{}", e.message);
    // A long flat OR within the limit is fine; one past it is not.
    let ok = Cond::Or(
        (0..MAX_DNF_TERMS)
            .map(|i| Cond::eq("lastname", format!("n{i}")))
            .collect(),
    );
    assert!(ok.dnf().is_ok());
    let too_many = Cond::Or(
        (0..=MAX_DNF_TERMS)
            .map(|i| Cond::eq("lastname", format!("n{i}")))
            .collect(),
    );
    assert!(too_many.dnf().is_err());
    // Huge products are refused without being built.
    let mut big = Cond::And(vec![]);
    for i in 0..40 {
        big = big.and(Cond::Or(
            (0..50)
                .map(|j| Cond::eq(format!("f{i}"), format!("{j}")))
                .collect(),
        ));
    }
    assert!(big.dnf().is_err());
}

#[test]
fn in_lists_and_lists_elsewhere() {
    let e = Select::from("Contacts")
        .unwrap()
        .where_op("lastname", Op::In, Value::list([]))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = Select::from("Contacts")
        .unwrap()
        .where_op("lastname", Op::Eq, Value::list(["a".into()]))
        .unwrap_err();
    assert!(e.message.contains("IN"), "{}", e.message);
    let e = Select::from("Contacts")
        .unwrap()
        .where_op("lastname", Op::In, Value::list([Value::list(["a".into()])]))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn limit_cap_and_order_rules() {
    let e = Select::from("Contacts")
        .unwrap()
        .limit(101)
        .render()
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("limit"));
    assert!(e.message.contains("100"), "{}", e.message);
    assert!(Select::from("Contacts")
        .unwrap()
        .limit(100)
        .render()
        .is_ok());
    assert_eq!(
        Select::from("Contacts").unwrap().limit(0).render().unwrap(),
        "SELECT * FROM Contacts LIMIT 0;"
    );
    // Only the last ORDER BY column may be DESC.
    let s = Select::from("Contacts")
        .unwrap()
        .order_by("firstname", Dir::Desc)
        .unwrap()
        .order_by("lastname", Dir::Asc)
        .unwrap();
    assert_eq!(s.render().unwrap_err().field.as_deref(), Some("orderBy"));
    let s = Select::from("Contacts")
        .unwrap()
        .order_by("firstname", Dir::Asc)
        .unwrap()
        .order_by("lastname", Dir::Desc)
        .unwrap();
    assert_eq!(
        s.render().unwrap(),
        "SELECT * FROM Contacts ORDER BY firstname, lastname DESC;"
    );
    // count(*) and fields do not mix.
    let mut s = Select::from("Contacts").unwrap().count();
    s.fields = vec!["lastname".into()];
    assert!(s.render().is_err());
}

#[test]
fn a_last_field_ending_in_from_is_not_mistaken_for_from() {
    // The server finds the module with /from\s+(\S+)/: "validfrom FROM" would match early.
    let q = Select::from("Contacts")
        .unwrap()
        .fields(&["lastname", "validfrom"])
        .unwrap()
        .render()
        .unwrap();
    assert_eq!(q, "SELECT validfrom, lastname FROM Contacts;");
    let q = Select::from("Contacts")
        .unwrap()
        .fields(&["datefrom"])
        .unwrap()
        .render()
        .unwrap();
    assert_eq!(q, "SELECT datefrom, id FROM Contacts;");
    let lower = q.to_ascii_lowercase();
    let first = lower.find("from ").unwrap();
    assert_eq!(&q[first..first + 13], "FROM Contacts");
}

#[test]
fn every_statement_ends_with_one_semicolon() {
    let qs = [
        Select::from("Contacts").unwrap(),
        Select::from("Contacts")
            .unwrap()
            .where_eq("lastname", "a;b;")
            .unwrap(),
        Select::from("Contacts").unwrap().limit(3),
    ];
    for s in qs {
        let q = s.render().unwrap();
        assert!(q.ends_with(';'));
        assert!(!q.ends_with(";;"));
    }
}

#[test]
fn parse_round_trips_rendered_statements() {
    let built = [
        Select::from("Contacts").unwrap(),
        Select::from("Contacts").unwrap().count(),
        Select::from("Contacts")
            .unwrap()
            .fields(&["firstname", "lastname"])
            .unwrap()
            .limit(5),
        Select::from("Contacts")
            .unwrap()
            .and(Cond::eq("firstname", "A").or(Cond::eq("firstname", "B")))
            .unwrap()
            .where_op("lastname", Op::Like, "Fix%")
            .unwrap()
            .where_op("id", Op::Gt, WsId::new(12, 108).unwrap())
            .unwrap()
            .order_by("id", Dir::Desc)
            .unwrap()
            .offset(10)
            .limit(20),
        Select::from("Products")
            .unwrap()
            .where_op(
                "qtyinstock",
                Op::In,
                Value::list([Value::int(-10), Value::int(0), "5".into()]),
            )
            .unwrap(),
    ];
    for s in built {
        let q = s.render().unwrap();
        let p = Select::parse(&q).unwrap();
        assert_eq!(p.render().unwrap(), q);
    }
}

#[test]
fn parse_accepts_the_server_s_spellings() {
    let fixtures = [
        "SELECT id, lastname FROM Contacts WHERE id > '12x108' ORDER BY id LIMIT 5;",
        "select id, lastname from Contacts where lastname = 'Fixture0001' order by lastname limit 1;",
        "  SELECT   id ,\n\tlastname\nFROM   Contacts\n  WHERE  lastname  =  'Fixture0001'\n ORDER BY  lastname\n LIMIT  1 ;",
        "SELECT id, lastname FROM Contacts WHERE lastname IN 'Fixture0007';",
        "SELECT id, lastname FROM Contacts WHERE lastname IN ('Fixture0001', 'Fixture0005', 'Fixture0009');",
        "SELECT id, firstname, lastname FROM Contacts WHERE lastname LIKE 'Fixture001%' ORDER BY firstname, lastname DESC LIMIT 8;",
        "SELECT id FROM Contacts ORDERBY id LIMIT 10, 5;",
        "SELECT * FROM Products WHERE qtyinstock > -5;",
        "SELECT id, lastname FROM Contacts WHERE lastname = 'Back\\\\slash';",
        "SELECT count(*) FROM Contacts WHERE lastname LIKE 'Fix%';",
    ];
    for f in fixtures {
        let s = Select::parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        // Rendering is a fixed point: parse(render(s)) renders the same text.
        let q = s.render().unwrap();
        assert_eq!(Select::parse(&q).unwrap().render().unwrap(), q, "{f}");
    }
    let s = Select::parse(fixtures[0]).unwrap();
    assert_eq!(s.module, "Contacts");
    assert_eq!(s.fields, vec!["id", "lastname"]);
    assert_eq!(
        s.where_,
        Some(Cond::term("id", Op::Gt, WsId::new(12, 108).unwrap()))
    );
    assert_eq!(s.order_by, vec![("id".to_string(), Dir::Asc)]);
    assert_eq!(
        s.limit,
        Some(Limit {
            offset: None,
            count: 5
        })
    );
    let s = Select::parse(fixtures[5]).unwrap();
    assert_eq!(
        s.order_by,
        vec![
            ("firstname".to_string(), Dir::Asc),
            ("lastname".to_string(), Dir::Desc)
        ]
    );
    let s = Select::parse(fixtures[8]).unwrap();
    assert_eq!(s.where_, Some(Cond::eq("lastname", "Back\\slash")));
    let s = Select::parse("SELECT * FROM Contacts WHERE a = '1' OR b = '2' AND c = '3';").unwrap();
    assert_eq!(s.where_.unwrap().dnf().unwrap().len(), 2);
    // LIMIT above 100 parses (a total cap for queryAll) but does not render as one query.
    let s = Select::parse("SELECT * FROM Contacts LIMIT 500;").unwrap();
    assert_eq!(
        s.limit,
        Some(Limit {
            offset: None,
            count: 500
        })
    );
    assert!(s.render().is_err());
}

#[test]
fn parse_rejects_what_it_cannot_page_safely() {
    let bad = [
        "SELECT id FROM Contacts WHERE lastname = 'Fixture0001'",
        "SELECT id FROM Contacts; SELECT id FROM Leads;",
        "SELECT id FROM Contacts WHERE lastname = 'O\\'Brien';",
        "SELECT id FROM Contacts WHERE lastname = 'x\\' AND lastname = ' OR 1=1) -- ';",
        "SELECT id FROM Contacts WHERE lastname = \"x\";",
        "SELECT id FROM Contacts WHERE lastname = '';",
        "SELECT id FROM Contacts WHERE lastname = Fixture0001;",
        "SELECT id FROM Contacts WHERE lastname <> 'x';",
        "SELECT id FROM Contacts WHERE lastname NOT LIKE 'x';",
        "SELECT id FROM Contacts WHERE lastname IS NULL;",
        "SELECT id FROM Contacts WHERE (lastname = 'a' OR lastname = 'b');",
        "SELECT count(*), lastname FROM Contacts;",
        "SELECT id, lastname;",
        "SELECT id FROM Contacts WHERE id = '12x1 OR 1=1';",
        "SELECT id FROM Contacts WHERE unit_price = 1.5;",
        "SELECT id FROM Contacts WHERE lastname = 'a', 'b';",
        "SELECT id FROM Contacts ORDER BY lastname DESC, firstname;",
        "",
        "DELETE FROM Contacts;",
    ];
    for b in bad {
        let e = Select::parse(b).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{b}");
        assert_eq!(e.field.as_deref(), Some("query"), "{b}");
    }
}

#[test]
fn from_spec_builds_or_of_and_groups() {
    let spec = r#"{"module":"Contacts","fields":["firstname","lastname"],
        "where":[[{"field":"lastname","op":"like","value":"Fix%"},{"field":"mailingcity","value":"Paris"}],
                 [{"field":"id","op":">","value":"12x100"}]],
        "orderBy":["firstname",{"field":"lastname","dir":"desc"}],"limit":10,"offset":20}"#;
    let s = Select::from_spec_text(spec).unwrap();
    assert_eq!(
        s.render().unwrap(),
        "SELECT firstname, lastname FROM Contacts WHERE lastname LIKE 'Fix%' AND mailingcity = 'Paris' OR id > '12x100' ORDER BY firstname, lastname DESC LIMIT 20, 10;"
    );
    let nested = r#"{"module":"Products","where":{"and":[{"or":[{"field":"a","value":"1"},{"field":"b","value":2}]},
        {"field":"c","op":"IN","value":["x",3,true]}]}}"#;
    assert_eq!(
        Select::from_spec_text(nested).unwrap().render().unwrap(),
        "SELECT * FROM Products WHERE a = '1' AND c IN ('x', '3', '1') OR b = '2' AND c IN ('x', '3', '1');"
    );
    let single = r#"{"module":"Contacts","where":{"field":"lastname","value":"O'Brien"},"orderBy":"lastname"}"#;
    assert_eq!(
        Select::from_spec_text(single).unwrap().render().unwrap(),
        "SELECT * FROM Contacts WHERE lastname = 'O''Brien' ORDER BY lastname;"
    );
    let empty = r#"{"module":"Contacts","where":[]}"#;
    assert_eq!(
        Select::from_spec_text(empty).unwrap().render().unwrap(),
        "SELECT * FROM Contacts;"
    );
    let count = r#"{"module":"Contacts","count":true}"#;
    assert_eq!(
        Select::from_spec(&json::parse(count).unwrap())
            .unwrap()
            .render()
            .unwrap(),
        "SELECT count(*) FROM Contacts;"
    );
}

#[test]
fn from_spec_rejections_name_the_field() {
    let cases = [
        (r#"[]"#, "spec"),
        (r#"{"fields":["a"]}"#, "module"),
        (r#"{"module":"Con tacts"}"#, "module"),
        (r#"{"module":"Contacts","fields":"lastname"}"#, "fields"),
        (r#"{"module":"Contacts","fields":["last name"]}"#, "fields"),
        (
            r#"{"module":"Contacts","where":[{"field":"a","value":"1"}]}"#,
            "where",
        ),
        (r#"{"module":"Contacts","where":[[]]}"#, "where"),
        (
            r#"{"module":"Contacts","where":{"field":"a","op":"<>","value":"1"}}"#,
            "op",
        ),
        (
            r#"{"module":"Contacts","where":{"field":"a","value":null}}"#,
            "a",
        ),
        (r#"{"module":"Contacts","where":{"field":"a"}}"#, "a"),
        (
            r#"{"module":"Contacts","where":{"field":"id","value":"13"}}"#,
            "id",
        ),
        (
            r#"{"module":"Contacts","where":{"field":"a","value":""}}"#,
            "value",
        ),
        (
            r#"{"module":"Contacts","where":{"field":"a","value":{"x":1}}}"#,
            "a",
        ),
        (r#"{"module":"Contacts","where":{"and":[]}}"#, "where"),
        (
            r#"{"module":"Contacts","orderBy":[{"field":"a","dir":"up"}]}"#,
            "orderBy",
        ),
        (r#"{"module":"Contacts","limit":-1}"#, "limit"),
        (r#"{"module":"Contacts","limit":1.5}"#, "limit"),
        (r#"{"module":"Contacts","offset":"3"}"#, "offset"),
        (r#"{"module":"Contacts","bogus":1}"#, "bogus"),
        (r#"{"module":"#, "spec"),
    ];
    for (spec, field) in cases {
        let e = Select::from_spec_text(spec).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{spec}");
        assert_eq!(e.field.as_deref(), Some(field), "{spec}: {}", e.message);
    }
    // A LIMIT above the cap builds (queryAll uses it as a total) but does not render.
    let s = Select::from_spec_text(r#"{"module":"Contacts","limit":1000}"#).unwrap();
    assert_eq!(s.render().unwrap_err().field.as_deref(), Some("limit"));
}

/// Issue 15, item 11: what the builder renders, the raw parser reads back; and numbers the
/// raw text wrote unquoted stay unquoted when the core re-renders it (queryAll, count, the
/// proxy), so the re-rendered query returns the rows the caller's text asked for.
#[test]
fn builder_and_raw_parser_agree_on_numbers() {
    use crmwire::vtiger::paging::{Count, QueryAll};
    // A number on a reference/owner field: the server splits the value on `x` and pastes the
    // second part into SQL, so neither the builder nor the raw parser accepts it.
    for field in [
        "account_id",
        "assigned_user_id",
        "related_to",
        "modifiedby",
        "id",
    ] {
        for op in [Op::Eq, Op::Like, Op::Gt] {
            let e = Select::from("Contacts")
                .unwrap()
                .where_op(field, op, Value::int(1))
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{field} {op:?}");
            assert_eq!(e.field.as_deref(), Some(field), "{field}");
            for raw in [
                format!("SELECT * FROM Contacts WHERE {field} {} '1';", op.as_str()),
                format!("SELECT * FROM Contacts WHERE {field} {} 1;", op.as_str()),
            ] {
                let e = Select::parse(&raw).unwrap_err();
                assert_eq!(e.code, ErrorCode::InvalidInput, "{raw}");
            }
        }
    }
    let e = Select::from_spec_text(
        r#"{"module":"Contacts","where":{"field":"account_id","op":"like","value":1}}"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("account_id"));
    // Whatever the builder renders, the raw parser accepts and renders identically.
    let built = [
        Select::from("Contacts")
            .unwrap()
            .where_op("lastname", Op::Gt, 5)
            .unwrap(),
        Select::from("Contacts")
            .unwrap()
            .where_op("account_id", Op::Like, WsId::new(11, 1).unwrap())
            .unwrap(),
        Select::from("Potentials")
            .unwrap()
            .where_op("amount", Op::Ge, Value::num("-1.5").unwrap())
            .unwrap()
            .where_op(
                "related_to",
                Op::In,
                Value::list([Value::str("11x1"), Value::str("12x2")]),
            )
            .unwrap(),
    ];
    for s in built {
        let text = s.render().unwrap();
        assert_eq!(Select::parse(&text).unwrap().render().unwrap(), text);
    }
    // Unquoted integers of raw text stay numbers (MySQL compares `lastname > 5` numerically,
    // `lastname > '5'` as text: they select different rows).
    let raw =
        "SELECT id, lastname FROM Contacts WHERE lastname > 5 AND age >= -3 OR code IN (1, '2');";
    let sel = Select::parse(raw).unwrap();
    assert_eq!(
        sel.render().unwrap(),
        "SELECT id, lastname FROM Contacts WHERE lastname > 5 AND age >= -3 OR code IN (1, '2');"
    );
    let q = QueryAll::from_vtql("SELECT * FROM Contacts WHERE lastname > 5;").unwrap();
    let first = q.next_query().unwrap();
    assert!(
        first.contains("WHERE lastname > 5 ") && !first.contains("'5'"),
        "{first}"
    );
    let c = Count::from_vtql("SELECT count(*) FROM Contacts WHERE lastname > 5;").unwrap();
    let first = c.next_query().unwrap();
    assert!(
        first.contains("WHERE lastname > 5 ") && !first.contains("'5'"),
        "{first}"
    );
    // The builder keeps writing its numbers quoted.
    assert_eq!(
        Select::from("Contacts")
            .unwrap()
            .where_op("lastname", Op::Gt, 5)
            .unwrap()
            .render()
            .unwrap(),
        "SELECT * FROM Contacts WHERE lastname > '5';"
    );
    assert!(Value::Int("5 OR 1=1".into()) != Value::Int("5".into()));
    let e = Select::from("Contacts")
        .unwrap()
        .where_op("lastname", Op::Gt, Value::Int("5 OR 1=1".into()))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}
