//! Client-side validation: every path, English and pt-BR messages; nothing is built on failure.

use crmwire::json::{self, Json};
use crmwire::perfex::{
    clean_vat, is_valid_date, is_valid_email, Config, ListOptions, Locale, Perfex, Profile,
    RecordOptions, Resource,
};
use crmwire::{Error, ErrorCode};

fn core(p: Profile, l: Locale) -> Perfex {
    let mut c = Config::new(p, "http://h", "tok");
    c.locale = l;
    Perfex::new(c).unwrap()
}
fn j(s: &str) -> Json {
    json::parse(s).unwrap()
}
fn bad(r: Result<crmwire::HttpRequest, Error>) -> (String, String) {
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
    (e.field.unwrap(), e.message)
}

#[test]
fn helpers() {
    for ok in ["a@b.co", "ana.lima+x@mail.example.com.br"] {
        assert!(is_valid_email(ok), "{ok}");
    }
    for no in [
        "", "a@b", "a b@c.de", "@b.co", "a@.co", "a@b.", "a@b@c.de", "plain",
    ] {
        assert!(!is_valid_email(no), "{no}");
    }
    assert_eq!(clean_vat("123.456.789-09").as_deref(), Some("12345678909"));
    assert_eq!(
        clean_vat("11.222.333/0001-81").as_deref(),
        Some("11222333000181")
    );
    assert_eq!(clean_vat("1234567890"), None);
    assert_eq!(clean_vat("123456789012"), None);
    for ok in ["2024-02-29", "2025-12-31", "2000-02-29"] {
        assert!(is_valid_date(ok), "{ok}");
    }
    for no in [
        "2025-02-29",
        "1900-02-29",
        "2025-13-01",
        "2025-1-01",
        "01/02/2025",
        "2025-06-10T00:00:00",
        "2025-04-31",
    ] {
        assert!(!is_valid_date(no), "{no}");
    }
}

#[test]
fn email_messages() {
    for (l, msg) in [
        (Locale::En, "invalid email address"),
        (Locale::PtBr, "Email inválido"),
    ] {
        let p = core(Profile::Won, l);
        assert_eq!(
            bad(p.create(
                Resource::Contacts,
                &j(r#"{"userid":"1","firstname":"a","lastname":"b","email":"x@y"}"#)
            )),
            ("email".into(), msg.into())
        );
        assert_eq!(
            bad(p.update(Resource::Leads, "3", &j(r#"{"email":"no spaces@x.io"}"#))),
            ("email".into(), msg.into())
        );
    }
    // empty email is not checked (the node checks non-empty values only)
    assert!(core(Profile::Won, Locale::En)
        .update(Resource::Leads, "3", &j(r#"{"email":""}"#))
        .is_ok());
}

#[test]
fn vat_cpf_cnpj() {
    let pt = "CPF/CNPJ inválido. Deve ter 11 dígitos (CPF) ou 14 dígitos (CNPJ)";
    let p = core(Profile::Won, Locale::PtBr);
    assert_eq!(
        bad(p.create(Resource::Customers, &j(r#"{"company":"X","vat":"123"}"#))),
        ("vat".into(), pt.into())
    );
    assert_eq!(bad(p.join_by_vat("12.345")), ("vat".into(), pt.into()));
    let e = core(Profile::Won, Locale::En).join_by_vat("").unwrap_err();
    assert!(
        e.message.contains("11 digits (CPF) or 14 digits (CNPJ)"),
        "{}",
        e.message
    );
    // REST: off by default (any country's VAT), on when asked
    let r = core(Profile::Rest, Locale::En);
    assert!(r
        .create(
            Resource::Customers,
            &j(r#"{"company":"X","vat":"DE123456789"}"#)
        )
        .is_ok());
    let mut c = Config::new(Profile::Rest, "http://h", "t");
    c.check_vat_cpf_cnpj = true;
    let r = Perfex::new(c).unwrap();
    assert_eq!(
        bad(r.update(Resource::Customers, "1", &j(r#"{"vat":"DE123456789"}"#))).0,
        "vat"
    );
    let req = r
        .update(Resource::Customers, "1", &j(r#"{"vat":"123.456.789-09"}"#))
        .unwrap();
    assert_eq!(req.body_text(), r#"{"vat":"12345678909"}"#);
}

#[test]
fn dates_and_datetimes() {
    let p = core(Profile::Won, Locale::PtBr);
    assert_eq!(
        bad(p.update(
            Resource::Tasks,
            "1",
            &j(r#"{"duedate":"2025-06-10T00:00:00.000Z"}"#)
        )),
        (
            "duedate".into(),
            "Data de vencimento deve estar no formato YYYY-MM-DD".into()
        )
    );
    assert_eq!(
        bad(p.update(Resource::Invoices, "1", &j(r#"{"date":"10/06/2025"}"#))),
        (
            "date".into(),
            "Data deve estar no formato YYYY-MM-DD".into()
        )
    );
    assert_eq!(
        bad(p.update(
            Resource::Projects,
            "1",
            &j(r#"{"start_date":"2025-02-30"}"#)
        ))
        .0,
        "start_date"
    );
    let en = core(Profile::Rest, Locale::En);
    assert_eq!(
        bad(en.update(Resource::Tasks, "1", &j(r#"{"startdate":20250101}"#))),
        (
            "startdate".into(),
            "startdate must be a date in the format YYYY-MM-DD".into()
        )
    );
    assert!(en
        .update(
            Resource::Leads,
            "1",
            &j(r#"{"lastcontact":"2025-01-02 10:30:59"}"#)
        )
        .is_ok());
    assert_eq!(
        bad(en.update(
            Resource::Leads,
            "1",
            &j(r#"{"lastcontact":"2025-01-02 25:00"}"#)
        ))
        .0,
        "lastcontact"
    );
}

#[test]
fn invoice_items() {
    let pt = "Items deve ser um JSON válido";
    let p = core(Profile::Won, Locale::PtBr);
    for items in [r#""[not json""#, r#""{\"a\":1}""#, r#"{"a":1}"#, "[1,2]"] {
        let body = format!(r#"{{"clientid":"1","items":{items}}}"#);
        assert_eq!(
            bad(p.create(Resource::Invoices, &j(&body))),
            ("items".into(), pt.into()),
            "{items}"
        );
    }
    // a JSON string holding an array is accepted and sent as an array
    let req = p
        .create(
            Resource::Invoices,
            &j(r#"{"clientid":"1","items":"[{\"description\":\"x\"}]"}"#),
        )
        .unwrap();
    assert_eq!(
        req.body_text(),
        r#"{"clientid":"1","items":[{"description":"x"}]}"#
    );
    // REST lines need description, qty, rate
    let r = core(Profile::Rest, Locale::En);
    let base = r#""clientid":"1","number":"2","date":"2025-01-01","currency":"1","allowed_payment_modes":["1"],"billing_street":"s","subtotal":"10","total":"10""#;
    let e = bad(r.create(
        Resource::Invoices,
        &j(&format!(
            r#"{{{base},"items":[{{"description":"x","qty":"a","rate":"1"}}]}}"#
        )),
    ));
    assert_eq!(
        e,
        ("items".into(), "items[0].qty is missing or invalid".into())
    );
    let e = bad(r.create(Resource::Invoices, &j(&format!(r#"{{{base},"items":[]}}"#))));
    assert_eq!(e, ("newitems".into(), "newitems is required".into()));
    let e = bad(r.create(
        Resource::Invoices,
        &j(&format!(
            r#"{{{base},"items":[{{"description":"x","qty":1,"rate":1}}],"total":"0"}}"#
        )),
    ));
    assert_eq!(
        e,
        (
            "total".into(),
            "total must be a decimal number greater than 0".into()
        )
    );
    assert!(r
        .create(
            Resource::Invoices,
            &j(&format!(
                r#"{{{base},"items":[{{"description":"x","qty":1,"rate":"10.00"}}]}}"#
            ))
        )
        .is_ok());
}

#[test]
fn required_fields_per_profile() {
    let won = core(Profile::Won, Locale::PtBr);
    let cases = [
        (Resource::Customers, "{}", "company"),
        (Resource::Customers, r#"{"company":"0"}"#, "company"), // PHP empty()
        (
            Resource::Contacts,
            r#"{"firstname":"a","lastname":"b"}"#,
            "userid",
        ),
        (
            Resource::Contacts,
            r#"{"userid":"1","lastname":"b"}"#,
            "firstname",
        ),
        (Resource::Leads, r#"{"email":"a@b.co"}"#, "name"),
        (Resource::Projects, r#"{"name":"p"}"#, "clientid"),
        (Resource::Tasks, r#"{"name":""}"#, "name"),
        (Resource::Invoices, r#"{"number":"1"}"#, "clientid"),
    ];
    for (r, body, field) in cases {
        assert_eq!(
            bad(won.create(r, &j(body))),
            (field.into(), format!("Campo obrigatório: {field}")),
            "{body}"
        );
    }
    let rest = core(Profile::Rest, Locale::En);
    let cases = [
        (Resource::Customers, r#"{"vat":"1"}"#, "company"),
        (
            Resource::Contacts,
            r#"{"userid":"1","firstname":"a","lastname":"b","email":"a@b.co"}"#,
            "password",
        ),
        (
            Resource::Contacts,
            r#"{"firstname":"a","lastname":"b","email":"a@b.co","password":"x"}"#,
            "customer_id",
        ),
        (
            Resource::Leads,
            r#"{"name":"n","source":"1","status":"1"}"#,
            "assigned",
        ),
        (
            Resource::Projects,
            r#"{"name":"n","clientid":"1","billing_type":"1","status":"2"}"#,
            "start_date",
        ),
        (Resource::Tasks, r#"{"name":"n"}"#, "startdate"),
        (Resource::Invoices, r#"{"clientid":"1"}"#, "number"),
    ];
    for (r, body, field) in cases {
        assert_eq!(
            bad(rest.create(r, &j(body))),
            (field.into(), format!("{field} is required")),
            "{body}"
        );
    }
    // send_set_password_email replaces the password
    assert!(rest
        .create(Resource::Contacts, &j(r#"{"customer_id":"1","firstname":"a","lastname":"b","email":"a@b.co","send_set_password_email":true}"#))
        .is_ok());
    // REST updates: contact email, invoice full set
    assert_eq!(
        bad(rest.update(Resource::Contacts, "1", &j(r#"{"firstname":"z"}"#))).0,
        "email"
    );
    assert_eq!(
        bad(rest.update(Resource::Invoices, "1", &j(r#"{"clientnote":"z"}"#))).0,
        "number"
    );
    // "0" passes CodeIgniter's required (REST) but not PHP empty() (WON)
    assert!(rest
        .create(Resource::Customers, &j(r#"{"company":"0"}"#))
        .is_ok());
}

#[test]
fn ids_fields_search_and_config() {
    let p = core(Profile::Won, Locale::En);
    for id in ["", "0", "012", "12x3", "-1", "1.5"] {
        assert_eq!(
            bad(p.get(Resource::Leads, id, &RecordOptions::default())).0,
            "id",
            "{id:?}"
        );
        assert_eq!(bad(p.delete(Resource::Leads, id)).0, "id");
    }
    assert_eq!(
        bad(p.update(Resource::Leads, "1", &j("{}"))),
        ("fields".into(), "nothing to update: no fields given".into())
    );
    assert_eq!(
        bad(p.update(Resource::Leads, "1", &j(r#"{"id":"9"}"#))).0,
        "fields"
    );
    assert_eq!(
        bad(p.create(Resource::Leads, &j("[]"))),
        ("fields".into(), "fields must be a JSON object".into())
    );
    assert_eq!(
        bad(p.create(Resource::Projects, &j(r#"{"name":"p","clientid":"abc"}"#))).0,
        "clientid"
    );
    // WON stores raw columns: no lists (the node's `members`, `assignees`)
    assert_eq!(
        bad(p.create(Resource::Tasks, &j(r#"{"name":"t","assignees":[1,2]}"#))),
        (
            "assignees".into(),
            "assignees must be a string, number or boolean".into()
        )
    );
    let e = p
        .search(Resource::Leads, " a ", ListOptions::default())
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("search"))
    );
    let pt = core(Profile::Won, Locale::PtBr);
    let e = pt
        .search(Resource::Leads, "a", ListOptions::default())
        .unwrap_err();
    assert_eq!(
        e.message,
        "O termo de busca deve ter pelo menos 2 caracteres"
    );
    let e = p
        .list(
            Resource::Leads,
            ListOptions {
                filters: vec![("a b".into(), "1".into())],
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("filters"));
    let e = p
        .list(
            Resource::Contacts,
            ListOptions {
                customer_id: Some("x".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("customer_id"));
    assert_eq!(e.operation.as_deref(), Some("contacts.list"));
    let e = Perfex::new(Config::new(Profile::Won, "http://h", " ")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("token"));
    let e = Perfex::new(Config::new(Profile::Rest, "crm.example", "t")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("baseUrl"));
    assert_eq!(Locale::parse("pt-BR"), Some(Locale::PtBr));
    assert_eq!(Profile::parse("themesic"), Some(Profile::Rest));
    assert_eq!(Resource::parse("client"), Some(Resource::Customers));
}
