//! Core ↔ simulator agreement: crmwire's Perfex core builds every request, reqwest sends it to
//! the Perfex routes served in-test on 127.0.0.1:0, and the core parses the answers.

// The module itself (not the crate's `perfex` re-export), so these tests exercise this code.
#[path = "../src/perfex/mod.rs"]
#[allow(dead_code)]
mod perfex;

use crmwire::json::{self, Json};
use crmwire::perfex::{
    normalize_record, Config, ListOptions, Op, PagerStep, Perfex, Profile, RecordOptions, Resource,
};
use crmwire::{ErrorCode, HttpRequest, HttpResponse};

const TOKEN: &str = "sim-token-0123456789abcdef";

async fn start(won_defects: bool) -> String {
    let app = perfex::router(perfex::PerfexConfig {
        token: TOKEN.into(),
        won_defects,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn send(req: &HttpRequest) -> HttpResponse {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes()).unwrap();
    let mut b = client.request(method, &req.url);
    for (k, v) in &req.headers {
        b = b.header(k, v);
    }
    if let Some(body) = &req.body {
        b = b.body(body.clone());
    }
    let r = b.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: r.bytes().await.unwrap().to_vec(),
    }
}

fn core(p: Profile, base: &str) -> Perfex {
    Perfex::new(Config::new(p, base, TOKEN)).unwrap()
}

fn j(s: &str) -> Json {
    json::parse(s).unwrap()
}

fn s(rec: &Json, k: &str) -> String {
    rec.get(k)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("no {k} in {}", rec.to_json()))
        .to_owned()
}

async fn all(pager: &mut crmwire::perfex::ListPager) -> (Vec<Json>, usize) {
    let (mut out, mut requests) = (Vec::new(), 0);
    loop {
        let page = match pager.step() {
            PagerStep::Done => return (out, requests),
            PagerStep::Send(req) => {
                requests += 1;
                pager.feed(&send(&req).await).unwrap()
            }
            PagerStep::Page(p) => p,
        };
        out.extend(page.records);
    }
}

#[tokio::test]
async fn won_crud_paging_search_join() {
    let base = start(false).await;
    let p = core(Profile::Won, &base);
    let r = Resource::Customers;

    let (rows, requests) = all(&mut p
        .list(
            r,
            ListOptions {
                page_size: Some(7),
                ..Default::default()
            },
        )
        .unwrap())
    .await;
    assert_eq!((rows.len(), requests), (30, 5));
    let ids: Vec<String> = rows.iter().map(|x| s(x, "userid")).collect();
    assert_eq!(ids[0], "1");
    assert_eq!(ids[29], "30");

    let fields = j(
        r#"{"company":"Nova Empresa Ltda","vat":"11.222.333/0001-99","city":"Recife","active":true}"#,
    );
    let w = p
        .parse_write(r, Op::Create, &send(&p.create(r, &fields).unwrap()).await)
        .unwrap();
    assert_eq!(w.message, "Registro criado");
    let id = w.id.clone().unwrap();
    assert_eq!(id, "31");
    let row = w.record.unwrap();
    assert_eq!(
        (s(&row, "vat"), s(&row, "active")),
        ("11222333000199".into(), "1".into())
    );
    assert!(s(&row, "datecreated").len() == 19);

    let got = p
        .parse_record(
            r,
            Op::Get,
            &send(&p.get(r, &id, &RecordOptions::default()).unwrap()).await,
        )
        .unwrap();
    assert_eq!(s(&got, "company"), "Nova Empresa Ltda");

    let w = p
        .parse_write(
            r,
            Op::Update,
            &send(&p.update(r, &id, &j(r#"{"city":"Olinda"}"#)).unwrap()).await,
        )
        .unwrap();
    assert_eq!(
        (w.message.as_str(), s(w.record.as_ref().unwrap(), "city")),
        ("Registro atualizado", "Olinda".into())
    );

    let (found, _) = all(&mut p.search(r, "nova emp", ListOptions::default()).unwrap()).await;
    assert_eq!(
        found.iter().map(|x| s(x, "userid")).collect::<Vec<_>>(),
        vec![id.clone()]
    );

    let joined = p
        .parse_record(
            r,
            Op::Join,
            &send(&p.join_by_vat("11222333000199").unwrap()).await,
        )
        .unwrap();
    assert_eq!(s(&joined, "userid"), id);
    let e = p
        .parse_record(
            r,
            Op::Join,
            &send(&p.join_by_vat("00000000000").unwrap()).await,
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::RecordNotFound, "Cliente não encontrado")
    );

    // customer contacts via the userid filter
    let (contacts, _) = all(&mut p.customer_contacts("3", ListOptions::default()).unwrap()).await;
    assert_eq!(contacts.len(), 2);
    assert!(contacts.iter().all(|c| s(c, "userid") == "3"));

    let w = p
        .parse_write(r, Op::Delete, &send(&p.delete(r, &id).unwrap()).await)
        .unwrap();
    assert_eq!((w.message.as_str(), w.record), ("Registro excluído", None));
    let e = p
        .parse_record(
            r,
            Op::Get,
            &send(&p.get(r, &id, &RecordOptions::default()).unwrap()).await,
        )
        .unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::RecordNotFound, Some(404)));
    let e = p
        .parse_write(r, Op::Delete, &send(&p.delete(r, &id).unwrap()).await)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RecordNotFound);

    // every resource lists, creates with its required fields, and answers 201 with the row
    for (res, body) in [
        (
            Resource::Contacts,
            r#"{"customer_id":"2","firstname":"Rita","lastname":"Melo","email":"rita@x.io"}"#,
        ),
        (
            Resource::Leads,
            r#"{"name":"Lead novo","status":"1","source":"1"}"#,
        ),
        (
            Resource::Projects,
            r#"{"name":"Projeto X","clientid":"2","start_date":"2025-07-01"}"#,
        ),
        (
            Resource::Tasks,
            r#"{"name":"Ligar","startdate":"2025-07-01","duedate":"2025-07-02"}"#,
        ),
        (
            Resource::Invoices,
            r#"{"clientid":"2","number":"99","date":"2025-07-01","total":"10.00"}"#,
        ),
    ] {
        let resp = send(&p.create(res, &j(body)).unwrap()).await;
        assert_eq!(resp.status, 201, "{res:?}");
        let w = p.parse_write(res, Op::Create, &resp).unwrap();
        assert!(w.id.is_some(), "{res:?}");
        let (rows, _) = all(&mut p
            .list(
                res,
                ListOptions {
                    page_size: Some(100),
                    ..Default::default()
                },
            )
            .unwrap())
        .await;
        assert!(
            rows.iter()
                .any(|x| x.get("id").and_then(Json::as_str) == w.id.as_deref()),
            "{res:?}"
        );
    }
}

#[tokio::test]
async fn won_errors_from_the_server() {
    let base = start(false).await;
    let p = core(Profile::Won, &base);
    let bad = Perfex::new(Config::new(Profile::Won, &base, "wrong")).unwrap();
    let req = bad
        .get(Resource::Leads, "1", &RecordOptions::default())
        .unwrap();
    let e = bad
        .parse_record(Resource::Leads, Op::Get, &send(&req).await)
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str(), e.status),
        (ErrorCode::InvalidAuthToken, "Token inválido", Some(401))
    );
    let mut req = p
        .get(Resource::Leads, "1", &RecordOptions::default())
        .unwrap();
    req.headers.retain(|(k, _)| k != "X-API-TOKEN");
    let e = p
        .parse_record(Resource::Leads, Op::Get, &send(&req).await)
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::InvalidAuthToken, "Token X-API-TOKEN obrigatório")
    );

    // server-side checks behind the client's: send raw bodies the core would refuse
    let mut req = p
        .create(Resource::Customers, &j(r#"{"company":"x"}"#))
        .unwrap();
    req.body = Some(br#"{"city":"Recife"}"#.to_vec());
    let e = p
        .parse_write(Resource::Customers, Op::Create, &send(&req).await)
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::ValidationFailed, Some("company"))
    );
    req.body = Some(b"company=x".to_vec());
    let e = p
        .parse_write(Resource::Customers, Op::Create, &send(&req).await)
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::ValidationFailed, "Dados JSON inválidos")
    );
    // unknown column: the raw insert fails
    let req = p
        .create(Resource::Tasks, &j(r#"{"name":"t","project_id":"3"}"#))
        .unwrap();
    let e = p
        .parse_write(Resource::Tasks, Op::Create, &send(&req).await)
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::ServerError, "Erro interno do servidor")
    );
    // unknown table
    let mut req = p
        .get(Resource::Leads, "1", &RecordOptions::default())
        .unwrap();
    req.url = format!("{base}/won_api/won/api/staff/1");
    let e = p
        .parse_record(Resource::Leads, Op::Get, &send(&req).await)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported);
    // status is public
    let r = reqwest::get(format!("{base}/won_api/won/status"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["data"]["api_version"], "2.1.1");
}

#[tokio::test]
async fn won_defects_are_reproduced() {
    let base = start(true).await;
    let p = core(Profile::Won, &base);
    let req = p
        .create(Resource::Customers, &j(r#"{"company":"x"}"#))
        .unwrap();
    let resp = send(&req).await;
    assert_eq!(resp.status, 403);
    let e = p
        .parse_write(Resource::Customers, Op::Create, &resp)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccessDenied);
    assert!(e.message.contains("CSRF"));
    let mut pager = p.list(Resource::Customers, ListOptions::default()).unwrap();
    let PagerStep::Send(req) = pager.step() else {
        panic!()
    };
    let e = pager.feed(&send(&req).await).unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::ServerError, Some(500)));
    assert!(e.snippet.unwrap().contains("Fatal error"));
    // join uses the right table name and keeps working
    let rec = p
        .parse_record(
            Resource::Customers,
            Op::Join,
            &send(&p.join_by_vat("11222333000102").unwrap()).await,
        )
        .unwrap();
    assert_eq!(s(&rec, "userid"), "2");
}

#[tokio::test]
async fn rest_crud_lookup_and_paging() {
    let base = start(false).await;
    let p = core(Profile::Rest, &base);

    // v3 paging learned from the first answer
    let mut pager = p
        .list(
            Resource::Customers,
            ListOptions {
                page_size: Some(8),
                ..Default::default()
            },
        )
        .unwrap();
    let (rows, requests) = all(&mut pager).await;
    assert_eq!(
        (rows.len(), requests, pager.server_paging()),
        (30, 4, Some(true))
    );
    let companies: Vec<String> = rows.iter().map(|r| s(r, "company")).collect();
    let mut sorted = companies.clone();
    sorted.sort_by_key(|c| c.to_lowercase());
    assert_eq!(companies, sorted); // ordered by company
                                   // v2-style: one request, sliced client-side
    let mut cfg = Config::new(Profile::Rest, &base, TOKEN);
    cfg.rest_server_paging = Some(false);
    let v2 = Perfex::new(cfg).unwrap();
    let (rows2, requests) = all(&mut v2
        .list(
            Resource::Leads,
            ListOptions {
                page_size: Some(10),
                ..Default::default()
            },
        )
        .unwrap())
    .await;
    assert_eq!((rows2.len(), requests), (25, 1));

    // contacts under their customer; active ones, primary first
    let (contacts, _) = all(&mut p.customer_contacts("3", ListOptions::default()).unwrap()).await;
    assert_eq!(
        contacts
            .iter()
            .map(|c| s(c, "is_primary"))
            .collect::<Vec<_>>(),
        vec!["1", "0"]
    );
    let cid = s(&contacts[1], "id");
    let opts = RecordOptions {
        customer_id: Some("3".into()),
    };
    let got = p
        .parse_record(
            Resource::Contacts,
            Op::Get,
            &send(&p.get(Resource::Contacts, &cid, &opts).unwrap()).await,
        )
        .unwrap();
    assert_eq!(s(&got, "id"), cid);

    // create (form), then find the new id by email
    let fields = j(
        r#"{"userid":"3","firstname":"Nina","lastname":"Rocha","email":"nina.rocha@x.io","password":"Senha#123","is_primary":true}"#,
    );
    let w = p
        .parse_write(
            Resource::Contacts,
            Op::Create,
            &send(&p.create(Resource::Contacts, &fields).unwrap()).await,
        )
        .unwrap();
    assert_eq!(
        (w.message.as_str(), w.id),
        ("Contact added successfully.", None)
    );
    let look = p.lookup_created(Resource::Contacts, &fields).unwrap();
    let created = p
        .pick_created(Resource::Contacts, &fields, &send(&look).await)
        .unwrap()
        .unwrap();
    let new_id = s(&created, "id");
    assert_eq!(
        (s(&created, "userid"), s(&created, "is_primary")),
        ("3".into(), "1".into())
    );
    assert!(!created.to_json().contains("Senha#123"));
    // the duplicate is refused by the server (409 + error object)
    let e = p
        .parse_write(
            Resource::Contacts,
            Op::Create,
            &send(&p.create(Resource::Contacts, &fields).unwrap()).await,
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.status, e.field.as_deref()),
        (ErrorCode::ValidationFailed, Some(409), Some("email"))
    );
    assert_eq!(
        e.field_errors,
        vec![(
            "email".to_owned(),
            "This Email is already exists".to_owned()
        )]
    );

    // update (JSON PUT) and delete
    let req = p
        .update(
            Resource::Contacts,
            &new_id,
            &j(r#"{"email":"nina@x.io","title":"CEO"}"#),
        )
        .unwrap();
    let w = p
        .parse_write(Resource::Contacts, Op::Update, &send(&req).await)
        .unwrap();
    assert_eq!(w.message, "Contact Updated Successfully");
    let got = p
        .parse_record(
            Resource::Contacts,
            Op::Get,
            &send(&p.get(Resource::Contacts, &new_id, &opts).unwrap()).await,
        )
        .unwrap();
    assert_eq!(
        (s(&got, "email"), s(&got, "title")),
        ("nina@x.io".into(), "CEO".into())
    );
    let w = p
        .parse_write(
            Resource::Contacts,
            Op::Delete,
            &send(&p.delete(Resource::Contacts, &new_id).unwrap()).await,
        )
        .unwrap();
    assert_eq!(w.message, "Contact Deleted Successfuly.");
    let e = p
        .parse_record(
            Resource::Contacts,
            Op::Get,
            &send(&p.get(Resource::Contacts, &new_id, &opts).unwrap()).await,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RecordNotFound);
    let e = p
        .parse_write(Resource::Contacts, Op::Update, &send(&req).await)
        .unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::RecordNotFound, Some(409)));

    // an invoice with lines, found again by its number
    let inv = j(
        r#"{"clientid":"4","number":"777","date":"2025-08-01","currency":"1","billing_street":"Rua 4",
                    "subtotal":"300.00","total":"300.00","allowed_payment_modes":["1"],
                    "items":[{"description":"Licença","qty":"3","rate":"100.00","unit":"un"}]}"#,
    );
    let w = p
        .parse_write(
            Resource::Invoices,
            Op::Create,
            &send(&p.create(Resource::Invoices, &inv).unwrap()).await,
        )
        .unwrap();
    assert_eq!(w.message, "Invoice Added Successfully");
    let found = p
        .pick_created(
            Resource::Invoices,
            &inv,
            &send(&p.lookup_created(Resource::Invoices, &inv).unwrap()).await,
        )
        .unwrap()
        .unwrap();
    let got = p
        .parse_record(
            Resource::Invoices,
            Op::Get,
            &send(
                &p.get(
                    Resource::Invoices,
                    &s(&found, "id"),
                    &RecordOptions::default(),
                )
                .unwrap(),
            )
            .await,
        )
        .unwrap();
    let items = got.get("items").and_then(Json::as_array).unwrap();
    assert_eq!(
        (items.len(), s(&items[0], "description")),
        (1, "Licença".into())
    );

    // an empty search is an empty list; a missing record is RECORD_NOT_FOUND
    let (none, _) = all(&mut p
        .search(Resource::Leads, "no such lead zzz", ListOptions::default())
        .unwrap())
    .await;
    assert!(none.is_empty());
    let e = p
        .parse_record(
            Resource::Leads,
            Op::Get,
            &send(
                &p.get(Resource::Leads, "9999", &RecordOptions::default())
                    .unwrap(),
            )
            .await,
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::RecordNotFound, "No data were found")
    );
    let e = p
        .parse_write(
            Resource::Leads,
            Op::Delete,
            &send(&p.delete(Resource::Leads, "9999").unwrap()).await,
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::RecordNotFound, "Lead Delete Fail.")
    );
}

#[tokio::test]
async fn rest_auth_permissions_and_server_validation() {
    let base = start(false).await;
    let p = core(Profile::Rest, &base);
    let mut req = p
        .get(Resource::Leads, "1", &RecordOptions::default())
        .unwrap();
    req.headers.retain(|(k, _)| k != "authtoken");
    let e = p
        .parse_record(Resource::Leads, Op::Get, &send(&req).await)
        .unwrap_err();
    assert_eq!(
        (e.code, e.status, e.message.as_str()),
        (
            ErrorCode::InvalidAuthToken,
            Some(404),
            "Token is not defined."
        )
    );
    // on a list, the auth 404 is an error, not an empty list
    let bad = Perfex::new(Config::new(Profile::Rest, &base, "a.b.c")).unwrap();
    let mut pager = bad.list(Resource::Leads, ListOptions::default()).unwrap();
    let PagerStep::Send(req) = pager.step() else {
        panic!()
    };
    let e = pager.feed(&send(&req).await).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::InvalidAuthToken, "Signature verification failed")
    );

    let ro = Perfex::new(Config::new(Profile::Rest, &base, format!("{TOKEN}-ro"))).unwrap();
    assert!(ro
        .parse_record(
            Resource::Leads,
            Op::Get,
            &send(
                &ro.get(Resource::Leads, "1", &RecordOptions::default())
                    .unwrap()
            )
            .await
        )
        .is_ok());
    let e = ro
        .parse_write(
            Resource::Leads,
            Op::Delete,
            &send(&ro.delete(Resource::Leads, "1").unwrap()).await,
        )
        .unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::AccessDenied, Some(403)));

    // a JSON POST is ignored by v2: every required field is "missing"
    let mut req = p
        .create(Resource::Customers, &j(r#"{"company":"x"}"#))
        .unwrap();
    req.headers.retain(|(k, _)| k != "Content-Type");
    req.headers
        .push(("Content-Type".into(), "application/json".into()));
    req.body = Some(br#"{"company":"x"}"#.to_vec());
    let e = p
        .parse_write(Resource::Customers, Op::Create, &send(&req).await)
        .unwrap_err();
    assert_eq!(
        (e.code, e.status, e.message.as_str()),
        (
            ErrorCode::ValidationFailed,
            Some(404),
            "The Company field is required."
        )
    );
    // a form PUT is not acceptable
    let mut req = p
        .update(Resource::Leads, "1", &j(r#"{"name":"x"}"#))
        .unwrap();
    req.body = Some(b"name=x".to_vec());
    let e = p
        .parse_write(Resource::Leads, Op::Update, &send(&req).await)
        .unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::ValidationFailed, Some(406)));
}

#[tokio::test]
async fn both_apis_share_one_database_and_one_normalised_view() {
    let base = start(false).await;
    let (won, rest) = (core(Profile::Won, &base), core(Profile::Rest, &base));
    let w = won
        .parse_write(
            Resource::Leads,
            Op::Create,
            &send(
                &won.create(
                    Resource::Leads,
                    &j(r#"{"name":"Cruzado","email":"c@x.io","status":"2","source":"1"}"#),
                )
                .unwrap(),
            )
            .await,
        )
        .unwrap();
    let id = w.id.unwrap();
    let a = won
        .parse_record(
            Resource::Leads,
            Op::Get,
            &send(
                &won.get(Resource::Leads, &id, &RecordOptions::default())
                    .unwrap(),
            )
            .await,
        )
        .unwrap();
    let b = rest
        .parse_record(
            Resource::Leads,
            Op::Get,
            &send(
                &rest
                    .get(Resource::Leads, &id, &RecordOptions::default())
                    .unwrap(),
            )
            .await,
        )
        .unwrap();
    let strip = |j: Json| match j {
        Json::Obj(o) => Json::Obj(o.into_iter().filter(|(k, _)| k != "customfields").collect()),
        other => other,
    };
    let (na, nb) = (
        normalize_record(Resource::Leads, &a),
        strip(normalize_record(Resource::Leads, &b)),
    );
    assert_eq!(na, nb);
    assert_eq!(na.get("junk"), Some(&Json::Bool(false)));
    assert!(na
        .get("dateadded")
        .and_then(Json::as_str)
        .unwrap()
        .contains('T'));
}
