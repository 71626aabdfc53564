//! Exact requests per resource × operation × profile.

use crmwire::json::{self, Json};
use crmwire::perfex::{Config, ListOptions, PagerStep, Perfex, Profile, RecordOptions, Resource};
use crmwire::{ErrorCode, HttpRequest, Method};

const BASE: &str = "https://crm.example/";

fn won() -> Perfex {
    Perfex::new(Config::new(Profile::Won, BASE, "won-token-64hex")).unwrap()
}
fn rest() -> Perfex {
    Perfex::new(Config::new(Profile::Rest, BASE, "eyJ.rest.jwt")).unwrap()
}
fn j(s: &str) -> Json {
    json::parse(s).unwrap()
}
fn first_request(p: &Perfex, r: Resource, opts: ListOptions, search: Option<&str>) -> HttpRequest {
    let mut pager = match search {
        Some(t) => p.search(r, t, opts).unwrap(),
        None => p.list(r, opts).unwrap(),
    };
    match pager.step() {
        PagerStep::Send(req) => req,
        other => panic!("expected a request, got {other:?}"),
    }
}
fn assert_won_headers(req: &HttpRequest, body: bool) {
    assert_eq!(req.header("X-API-TOKEN"), Some("won-token-64hex"));
    assert_eq!(req.header("authtoken"), None);
    assert_eq!(req.header("Accept"), Some("application/json"));
    assert_eq!(
        req.header("Content-Type"),
        if body { Some("application/json") } else { None }
    );
}
fn assert_rest_headers(req: &HttpRequest, ct: Option<&str>) {
    assert_eq!(req.header("authtoken"), Some("eyJ.rest.jwt"));
    assert_eq!(req.header("X-API-TOKEN"), None);
    assert_eq!(req.header("Content-Type"), ct);
}

const WON_TABLES: [(Resource, &str); 6] = [
    (Resource::Customers, "clients"),
    (Resource::Contacts, "contacts"),
    (Resource::Leads, "leads"),
    (Resource::Projects, "projects"),
    (Resource::Tasks, "tasks"),
    (Resource::Invoices, "invoices"),
];

#[test]
fn won_list_get_delete_per_resource() {
    let p = won();
    for (r, t) in WON_TABLES {
        let req = first_request(&p, r, ListOptions::default(), None);
        assert_eq!(req.method, Method::Get);
        assert_eq!(
            req.url,
            format!("https://crm.example/won_api/won/api/{t}?page=1&limit=20")
        );
        assert_eq!(req.body, None);
        assert_won_headers(&req, false);

        let req = p.get(r, "12", &RecordOptions::default()).unwrap();
        assert_eq!(
            (req.method, req.url.as_str()),
            (
                Method::Get,
                &*format!("https://crm.example/won_api/won/api/{t}/12")
            )
        );
        assert_won_headers(&req, false);

        let req = p.delete(r, "12").unwrap();
        assert_eq!(
            (req.method, req.url.as_str()),
            (
                Method::Delete,
                &*format!("https://crm.example/won_api/won/api/{t}/12")
            )
        );
        assert_eq!(req.body, None);
    }
}

#[test]
fn won_search_filters_and_customer_contacts() {
    let p = won();
    let opts = ListOptions {
        page_size: Some(50),
        start_page: Some(3),
        filters: vec![("status".into(), "2".into())],
        ..Default::default()
    };
    let req = first_request(&p, Resource::Leads, opts, Some("João & Cia"));
    assert_eq!(
        req.url,
        "https://crm.example/won_api/won/api/leads?search=Jo%C3%A3o+%26+Cia&status=2&page=3&limit=50"
    );
    let req = first_request(
        &p,
        Resource::Contacts,
        ListOptions {
            page_size: Some(500),
            ..Default::default()
        },
        None,
    );
    assert_eq!(
        req.url,
        "https://crm.example/won_api/won/api/contacts?page=1&limit=100"
    );
    let mut pager = p.customer_contacts("7", ListOptions::default()).unwrap();
    let PagerStep::Send(req) = pager.step() else {
        panic!()
    };
    assert_eq!(
        req.url,
        "https://crm.example/won_api/won/api/contacts?userid=7&page=1&limit=20"
    );
}

#[test]
fn won_create_update_bodies_are_json() {
    let p = won();
    let req = p
        .create(
            Resource::Customers,
            &j(r#"{"company":"Acme Ltda","vat":"11.222.333/0001-81","active":true,"userid":"9"}"#),
        )
        .unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Post, "https://crm.example/won_api/won/api/clients")
    );
    assert_won_headers(&req, true);
    // vat cleaned to digits, the primary key dropped (read-only in WON)
    assert_eq!(
        req.body_text(),
        r#"{"company":"Acme Ltda","vat":"11222333000181","active":true}"#
    );

    // a contact's customer is `userid` in WON even when given as customer_id
    let req = p
        .create(
            Resource::Contacts,
            &j(r#"{"customer_id":"3","firstname":"Ana","lastname":"Lima","email":"ana@x.io"}"#),
        )
        .unwrap();
    assert_eq!(req.url, "https://crm.example/won_api/won/api/contacts");
    assert_eq!(
        req.body_text(),
        r#"{"userid":"3","firstname":"Ana","lastname":"Lima","email":"ana@x.io"}"#
    );

    let req = p
        .update(
            Resource::Tasks,
            "44",
            &j(r#"{"status":5,"duedate":"2025-07-01"}"#),
        )
        .unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Put, "https://crm.example/won_api/won/api/tasks/44")
    );
    assert_won_headers(&req, true);
    assert_eq!(req.body_text(), r#"{"status":5,"duedate":"2025-07-01"}"#);

    for (r, t, body) in [
        (Resource::Leads, "leads", r#"{"name":"L"}"#),
        (
            Resource::Projects,
            "projects",
            r#"{"name":"P","clientid":"1"}"#,
        ),
        (Resource::Tasks, "tasks", r#"{"name":"T"}"#),
        (
            Resource::Invoices,
            "invoices",
            r#"{"clientid":"1","items":[{"description":"x"}]}"#,
        ),
    ] {
        let req = p.create(r, &j(body)).unwrap();
        assert_eq!(req.url, format!("https://crm.example/won_api/won/api/{t}"));
        assert_eq!(req.body_text(), body);
    }
}

#[test]
fn won_join_by_vat() {
    let req = won().join_by_vat("112.223.330-00").unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (
            Method::Get,
            "https://crm.example/won_api/won/join?vat=11222333000"
        )
    );
    assert_won_headers(&req, false);
    let e = rest().join_by_vat("11222333000").unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported);
}

const REST_RES: [(Resource, &str); 6] = [
    (Resource::Customers, "customers"),
    (Resource::Contacts, "contacts"),
    (Resource::Leads, "leads"),
    (Resource::Projects, "projects"),
    (Resource::Tasks, "tasks"),
    (Resource::Invoices, "invoices"),
];

#[test]
fn rest_list_get_search_delete_per_resource() {
    let p = rest();
    for (r, seg) in REST_RES {
        if r != Resource::Contacts {
            let req = first_request(&p, r, ListOptions::default(), None);
            // v3 page params are sent until the server shows it ignores them
            assert_eq!(
                req.url,
                format!("https://crm.example/api/{seg}?page=1&per_page=20")
            );
            assert_rest_headers(&req, None);
            let req = p.get(r, "5", &RecordOptions::default()).unwrap();
            assert_eq!(req.url, format!("https://crm.example/api/{seg}/5"));
        }
        let req = first_request(&p, r, ListOptions::default(), Some("ana maria"));
        assert_eq!(
            (req.method, req.url.as_str()),
            (
                Method::Get,
                &*format!("https://crm.example/api/{seg}/search/ana%20maria")
            )
        );
        let req = p.delete(r, "5").unwrap();
        assert_eq!(
            (req.method, req.url.as_str()),
            (
                Method::Delete,
                &*format!("https://crm.example/api/delete/{seg}/5")
            )
        );
        assert_rest_headers(&req, None);
    }
}

#[test]
fn rest_contacts_are_addressed_under_their_customer() {
    let p = rest();
    let opts = RecordOptions {
        customer_id: Some("3".into()),
    };
    assert_eq!(
        p.get(Resource::Contacts, "8", &opts).unwrap().url,
        "https://crm.example/api/contacts/3/8"
    );
    let e = p
        .get(Resource::Contacts, "8", &RecordOptions::default())
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("customer_id"))
    );
    let e = p
        .list(Resource::Contacts, ListOptions::default())
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("customer_id"))
    );
    let mut pager = p.customer_contacts("3", ListOptions::default()).unwrap();
    let PagerStep::Send(req) = pager.step() else {
        panic!()
    };
    assert_eq!(req.url, "https://crm.example/api/contacts/3");
    // WON ignores the option: one call shape for both
    assert_eq!(
        won().get(Resource::Contacts, "8", &opts).unwrap().url,
        "https://crm.example/won_api/won/api/contacts/8"
    );
}

#[test]
fn rest_create_is_form_encoded_with_bracket_arrays() {
    let p = rest();
    let req = p
        .create(
            Resource::Customers,
            &j(r#"{"company":"Acme & Co","groups_in":[1,2],"custom_fields":{"customers":{"5":"gold"}},"vat":"DE123456789"}"#),
        )
        .unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Post, "https://crm.example/api/customers")
    );
    assert_rest_headers(&req, Some("application/x-www-form-urlencoded"));
    assert_eq!(
        req.body_text(),
        "company=Acme+%26+Co&groups_in%5B%5D=1&groups_in%5B%5D=2&custom_fields%5Bcustomers%5D%5B5%5D=gold&vat=DE123456789"
    );

    let req = p
        .create(
            Resource::Invoices,
            &j(r#"{"clientid":"2","number":"15","date":"2025-01-31","currency":1,"billing_street":"Rua A",
                   "subtotal":"200.00","total":"220.00","allowed_payment_modes":["1"],
                   "items":[{"description":"Consulting","qty":2,"rate":"100.00","taxname":["VAT|10.00"]}]}"#),
        )
        .unwrap();
    let pairs = crmwire::encode::form_decode(&req.body_text());
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("clientid", "2"),
            ("number", "15"),
            ("date", "2025-01-31"),
            ("currency", "1"),
            ("billing_street", "Rua A"),
            ("subtotal", "200.00"),
            ("total", "220.00"),
            ("allowed_payment_modes[]", "1"),
            ("newitems[0][description]", "Consulting"),
            ("newitems[0][qty]", "2"),
            ("newitems[0][rate]", "100.00"),
            ("newitems[0][taxname][]", "VAT|10.00"),
        ]
    );

    // contact: userid becomes customer_id, presence flags: true → 1, false omitted
    let req = p
        .create(
            Resource::Contacts,
            &j(r#"{"userid":"3","firstname":"Ana","lastname":"Lima","email":"ana@x.io","password":"s3cret!",
                   "is_primary":true,"donotsendwelcomeemail":false,"permissions":[1,2]}"#),
        )
        .unwrap();
    assert_eq!(
        req.body_text(),
        "customer_id=3&firstname=Ana&lastname=Lima&email=ana%40x.io&password=s3cret%21&is_primary=1&permissions%5B%5D=1&permissions%5B%5D=2"
    );
}

#[test]
fn rest_update_is_json_put() {
    let p = rest();
    let req = p
        .update(
            Resource::Leads,
            "4",
            &j(r#"{"name":"Renamed","lastcontact":"2025-01-02 10:30"}"#),
        )
        .unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Put, "https://crm.example/api/leads/4")
    );
    assert_rest_headers(&req, Some("application/json"));
    assert_eq!(
        req.body_text(),
        r#"{"name":"Renamed","lastcontact":"2025-01-02 10:30"}"#
    );
    let req = p
        .update(
            Resource::Contacts,
            "8",
            &j(r#"{"email":"new@x.io","userid":"3"}"#),
        )
        .unwrap();
    assert_eq!(req.url, "https://crm.example/api/contacts/8");
    assert_eq!(req.body_text(), r#"{"email":"new@x.io","userid":"3"}"#);
}

#[test]
fn rest_post_create_lookup_requests() {
    let p = rest();
    let cases = [
        (
            Resource::Contacts,
            r#"{"email":"ana+1@x.io","firstname":"Ana"}"#,
            "https://crm.example/api/contacts/search/ana%2B1%40x.io",
        ),
        (
            Resource::Leads,
            r#"{"name":"Big deal","email":"lead@x.io"}"#,
            "https://crm.example/api/leads/search/lead%40x.io",
        ),
        (
            Resource::Leads,
            r#"{"name":"Big deal"}"#,
            "https://crm.example/api/leads/search/Big%20deal",
        ),
        (
            Resource::Customers,
            r#"{"company":"Acme"}"#,
            "https://crm.example/api/customers/search/Acme",
        ),
        (
            Resource::Invoices,
            r#"{"number":"15"}"#,
            "https://crm.example/api/invoices/search/15",
        ),
        (
            Resource::Projects,
            r#"{"name":"Site"}"#,
            "https://crm.example/api/projects/search/Site",
        ),
        (
            Resource::Tasks,
            r#"{"name":"Call"}"#,
            "https://crm.example/api/tasks/search/Call",
        ),
    ];
    for (r, fields, url) in cases {
        let req = p.lookup_created(r, &j(fields)).unwrap();
        assert_eq!((req.method, req.url.as_str()), (Method::Get, url));
        assert_rest_headers(&req, None);
    }
    assert!(p
        .lookup_created(Resource::Contacts, &j(r#"{"firstname":"Ana"}"#))
        .is_none());
    assert!(won()
        .lookup_created(Resource::Contacts, &j(r#"{"email":"a@b.co"}"#))
        .is_none());
}

#[test]
fn rest_paging_mode_settings() {
    let mut cfg = Config::new(Profile::Rest, BASE, "t");
    cfg.rest_server_paging = Some(false);
    let p = Perfex::new(cfg).unwrap();
    assert_eq!(
        first_request(&p, Resource::Leads, ListOptions::default(), None).url,
        "https://crm.example/api/leads"
    );
    // client-side filters force one whole-list request
    let opts = ListOptions {
        filters: vec![("status".into(), "1".into())],
        ..Default::default()
    };
    assert_eq!(
        first_request(&rest(), Resource::Leads, opts, None).url,
        "https://crm.example/api/leads"
    );
}

#[test]
fn token_never_in_debug() {
    let req = won()
        .get(Resource::Leads, "1", &RecordOptions::default())
        .unwrap();
    assert!(!format!("{req:?}").contains("won-token-64hex"));
    let p = rest();
    assert!(!format!("{p:?}").contains("eyJ.rest.jwt"));
}
