//! Profiles, fault switches, control routes, sessions and transport rules.

mod common;
use common::*;
use crmwire_sim::Profile;

async fn fault(c: &Client, body: &str) {
    let r = c
        .http
        .post(format!("{}/__sim/faults", c.base))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{body}");
}

async fn listtypes_with_header(c: &Client, h: &str) -> Result<Resp, reqwest::Error> {
    let r = c
        .http
        .get(c.ws())
        .query(&[
            ("operation", "listtypes"),
            ("sessionName", c.session.as_str()),
        ])
        .header("X-Sim-Fault", h)
        .send()
        .await?;
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = r.text().await?;
    Ok(Resp {
        status,
        ctype,
        body,
    })
}

fn is_500_empty(r: &Resp) {
    assert_eq!(
        (r.status, r.ctype.as_str(), r.body.as_str()),
        (500, "text/html; charset=UTF-8", "")
    );
}

#[tokio::test]
async fn profile_84() {
    let (_a, mut c) = start(Profile::V84, |_| {}).await;
    c.login().await;
    let s = c.session.clone();
    is_500_empty(
        &c.get(&[
            ("operation", "sync"),
            ("sessionName", &s),
            ("modifiedTime", "0"),
            ("elementType", "Contacts"),
        ])
        .await,
    );
    is_500_empty(
        &c.get(&[
            ("operation", "retrieve_inventory"),
            ("sessionName", &s),
            ("id", "12x9"),
        ])
        .await,
    );
    let k = c
        .post(&[
            ("operation", "wsapp_register"),
            ("sessionName", &s),
            ("type", "vtigerCRM"),
            ("synctype", "user"),
        ])
        .await
        .json();
    let key = k["result"]["key"].as_str().unwrap().to_string();
    let g = c
        .post(&[
            ("operation", "wsapp_get"),
            ("sessionName", &s),
            ("key", &key),
            ("module", "Contacts"),
            ("token", "0"),
        ])
        .await
        .json();
    let upd = g["result"]["updated"].as_array().unwrap();
    assert!(
        upd.len() >= 100 && upd.len() <= 125,
        "boundary-second page: {}",
        upd.len()
    );
    assert_eq!(g["result"]["more"], true);
    assert_eq!(upd[0]["modifiedby"], "Admin Administrator");
    let l = c
        .post(&[("operation", "logout"), ("sessionName", &s)])
        .await
        .json();
    assert_eq!(l["result"]["message"], "successfull");
    let after = c
        .get(&[("operation", "listtypes"), ("sessionName", &s)])
        .await
        .json();
    assert_eq!(after["error"]["code"], "INVALID_SESSIONID");
}

#[tokio::test]
async fn profile_83() {
    let (_a, mut c) = start(Profile::V83, |_| {}).await;
    let l = c.login().await;
    assert_eq!(l["result"]["vtigerVersion"], "8.3.0");
    let s = c.session.clone();
    is_500_empty(
        &c.get(&[
            ("operation", "sync"),
            ("sessionName", &s),
            ("modifiedTime", "0"),
            ("elementType", "Contacts"),
        ])
        .await,
    );
    is_500_empty(
        &c.get(&[
            ("operation", "files_retrieve"),
            ("sessionName", &s),
            ("id", "15x1"),
        ])
        .await,
    );
    is_500_empty(
        &c.get(&[
            ("operation", "retrieve_inventory"),
            ("sessionName", &s),
            ("id", "12x9"),
        ])
        .await,
    );
    is_500_empty(
        &c.post(&[
            ("operation", "convertlead"),
            ("sessionName", &s),
            ("element", "{}"),
        ])
        .await,
    );
    is_500_empty(
        &c.post(&[("operation", "logout"), ("sessionName", &s)])
            .await,
    );
    // The failed logout leaves the session valid (recorded 803/804).
    let after = c
        .get(&[("operation", "listtypes"), ("sessionName", &s)])
        .await
        .json();
    assert_eq!(after["success"], true);
}

#[tokio::test]
async fn profile_patched_sync() {
    let (_a, mut c) = start(Profile::Patched, |c| c.seed_records = 300).await;
    c.login().await;
    let s = c.session.clone();
    let mut since = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    loop {
        let r = c
            .get(&[
                ("operation", "sync"),
                ("sessionName", &s),
                ("modifiedTime", &since),
                ("elementType", "Contacts"),
            ])
            .await
            .json();
        let res = &r["result"];
        for u in res["updated"].as_array().unwrap() {
            assert!(u.get("label").is_none());
            seen.insert(u["id"].as_str().unwrap().to_string());
        }
        since = res["lastModifiedTime"].to_string();
        if res["more"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
    // A delete shows up in `deleted`; a group-owned record is never reported.
    let id = seen.iter().next().unwrap().clone();
    c.http
        .post(format!("{}/__sim/clock", c.base))
        .body(r#"{"advance_secs":5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.post(&[("operation", "delete"), ("sessionName", &s), ("id", &id)])
            .await
            .json()["success"],
        true
    );
    let g = c
        .create(
            "Contacts",
            serde_json::json!({"lastname": "GroupOwned", "assigned_user_id": "20x2"}),
        )
        .await;
    assert_eq!(g["success"], true);
    let r = c
        .get(&[
            ("operation", "sync"),
            ("sessionName", &s),
            ("modifiedTime", &since),
            ("elementType", "Contacts"),
        ])
        .await
        .json();
    assert_eq!(r["result"]["deleted"], serde_json::json!([id]));
    assert_eq!(r["result"]["updated"], serde_json::json!([]));
    is_500_empty(
        &c.get(&[
            ("operation", "sync"),
            ("sessionName", &s),
            ("modifiedTime", "0"),
        ])
        .await,
    );
    let e = c
        .get(&[
            ("operation", "sync"),
            ("sessionName", &s),
            ("modifiedTime", "0"),
            ("elementType", "Groups"),
        ])
        .await
        .json();
    assert_eq!(e["error"]["code"], "ACCESS_DENIED");
}

#[tokio::test]
async fn faults_each() {
    let (_a, mut c) = start(Profile::V84, |_| {}).await;
    c.login().await;
    let ok = listtypes_with_header(&c, "none").await.unwrap();
    assert!(ok.body.starts_with("{\"success\":true"));
    let r = listtypes_with_header(&c, "php_notice").await.unwrap();
    assert!(r.body.starts_with("<br />\n<b>Notice</b>") && r.body.ends_with(&ok.body));
    let r = listtypes_with_header(&c, "bom").await.unwrap();
    assert!(r.body.starts_with('\u{feff}') && r.body.ends_with(&ok.body));
    let r = listtypes_with_header(&c, "control_char").await.unwrap();
    assert!(
        r.body.contains('\u{b}') && serde_json::from_str::<serde_json::Value>(&r.body).is_err()
    );
    let r = listtypes_with_header(&c, "html_fatal").await.unwrap();
    assert_eq!(
        (r.status, r.ctype.as_str()),
        (200, "text/html; charset=UTF-8")
    );
    assert!(r.body.contains("<b>Fatal error</b>"));
    is_500_empty(&listtypes_with_header(&c, "empty_500").await.unwrap());
    let r = listtypes_with_header(&c, "truncated").await.unwrap();
    assert!(r.body.len() < ok.body.len() && ok.body.starts_with(&r.body) && !r.body.is_empty());
    let t = std::time::Instant::now();
    let r = listtypes_with_header(&c, "delay_headers_ms=300")
        .await
        .unwrap();
    assert!(t.elapsed().as_millis() >= 300 && r.body == ok.body);
    // delay_body: the head arrives before the delay ends, the body after it.
    let t = std::time::Instant::now();
    let resp = c
        .http
        .get(c.ws())
        .query(&[
            ("operation", "listtypes"),
            ("sessionName", c.session.as_str()),
        ])
        .header("X-Sim-Fault", "delay_body_ms=400")
        .send()
        .await
        .unwrap();
    let head = t.elapsed().as_millis();
    let body = resp.text().await.unwrap();
    assert!(head < 350, "head after {head} ms");
    assert!(t.elapsed().as_millis() >= 400 && body == ok.body);
    assert!(
        listtypes_with_header(&c, "reset").await.is_err(),
        "reset must fail at the transport level"
    );
    let r = listtypes_with_header(&c, "expire_sessions").await.unwrap();
    assert_eq!(r.json()["error"]["code"], "INVALID_SESSIONID");
}

#[tokio::test]
async fn fault_rules_by_route() {
    let (_a, mut c) = start(Profile::V84, |_| {}).await;
    c.login().await;
    fault(&c, r#"{"fault":"empty_500","count":2,"operation":"query"}"#).await;
    // Other operations are untouched; exactly two queries fail.
    assert_eq!(
        c.get(&[("operation", "listtypes"), ("sessionName", &c.session)])
            .await
            .status,
        200
    );
    is_500_empty(
        &c.get(&[
            ("operation", "query"),
            ("sessionName", &c.session),
            ("query", "SELECT id FROM Contacts LIMIT 1;"),
        ])
        .await,
    );
    is_500_empty(
        &c.get(&[
            ("operation", "query"),
            ("sessionName", &c.session),
            ("query", "SELECT id FROM Contacts LIMIT 1;"),
        ])
        .await,
    );
    assert_eq!(
        c.query("SELECT id FROM Contacts LIMIT 1;").await["success"],
        true
    );
    fault(&c, r#"{"fault":"php_notice"}"#).await;
    assert!(c
        .get(&[("operation", "listtypes"), ("sessionName", &c.session)])
        .await
        .body
        .starts_with("<br />"));
    assert!(c
        .get(&[("operation", "listtypes"), ("sessionName", &c.session)])
        .await
        .body
        .starts_with("<br />"));
    c.http
        .delete(format!("{}/__sim/faults", c.base))
        .send()
        .await
        .unwrap();
    assert!(c
        .get(&[("operation", "listtypes"), ("sessionName", &c.session)])
        .await
        .body
        .starts_with("{"));
    fault(&c, r#"{"fault":"expire_sessions","count":1}"#).await;
    assert_eq!(
        c.get(&[("operation", "listtypes"), ("sessionName", &c.session)])
            .await
            .json()["error"]["code"],
        "INVALID_SESSIONID"
    );
}

#[tokio::test]
async fn stats_and_clock() {
    let (_a, mut c) = start(Profile::V84, |c| c.session_idle_secs = 60).await;
    c.login().await;
    for _ in 0..3 {
        c.query("SELECT id FROM Contacts LIMIT 1;").await;
    }
    let st = c.stats().await;
    assert_eq!(st["logins"], 1);
    assert_eq!(st["requests"]["query"], 3);
    assert_eq!(st["records"]["Contacts"], 250);
    assert_eq!(st["records"]["Accounts"], 60);
    // Challenge expiry: a token older than 300 s is refused.
    let ch = c
        .get(&[("operation", "getchallenge"), ("username", "ADMIN")])
        .await
        .json();
    let tok = ch["result"]["token"].as_str().unwrap().to_string();
    assert_eq!(
        ch["result"]["expireTime"].as_i64().unwrap() - ch["result"]["serverTime"].as_i64().unwrap(),
        300
    );
    c.http
        .post(format!("{}/__sim/clock", c.base))
        .body(r#"{"advance_secs":301}"#)
        .send()
        .await
        .unwrap();
    let key = md5_hex(&format!("{tok}{}", c.key));
    let l = c
        .post(&[
            ("operation", "login"),
            ("username", "admin"),
            ("accessKey", &key),
        ])
        .await
        .json();
    assert_eq!(l["error"]["code"], "INVALID_AUTH_TOKEN");
    // Session idle expiry (60 s here): the 301 s jump killed it.
    let r = c
        .get(&[("operation", "listtypes"), ("sessionName", &c.session)])
        .await
        .json();
    assert_eq!(
        r["error"]["message"],
        "Session Identifier provided is Invalid"
    );
    assert_eq!(c.stats().await["logins"], 1);
}

#[tokio::test]
async fn sessions_and_transport() {
    let (_a, mut c) = start(Profile::V84, |_| {}).await;
    // a new challenge replaces the previous token
    let t1 = c
        .get(&[("operation", "getchallenge"), ("username", "admin")])
        .await
        .json()["result"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let _t2 = c
        .get(&[("operation", "getchallenge"), ("username", "admin")])
        .await
        .json();
    let key = md5_hex(&format!("{t1}{}", c.key));
    let l = c
        .post(&[
            ("operation", "login"),
            ("username", "admin"),
            ("accessKey", &key),
        ])
        .await
        .json();
    assert_eq!(l["error"]["code"], "INVALID_USER_CREDENTIALS");
    c.login().await;
    let s = c.session.clone();
    let r = c
        .get(&[
            ("operation", "listtypes"),
            ("sessionName", &s),
            ("PHPSESSID", "abc"),
        ])
        .await
        .json();
    assert_eq!(r["error"]["code"], "INVALID_SESSIONID");
    let r = c.get(&[("operation", "listtypes")]).await.json();
    assert_eq!(r["error"]["code"], "AUTHENTICATION_REQUIRED");
    let e = c
        .post(&[("operation", "extendsession"), ("sessionName", &s)])
        .await
        .json();
    assert_eq!(e["result"]["sessionName"], s.as_str());
    // GET-type op as POST with params in the body sees no params.
    let r = c
        .post(&[
            ("operation", "retrieve"),
            ("sessionName", &s),
            ("id", "19x1"),
        ])
        .await
        .json();
    assert_eq!(
        r["error"]["message"],
        "Permission to perform the operation is denied for id"
    );
    // JSON body → 500 empty; unknown op → 500 empty.
    let r = to_resp(
        c.http
            .post(c.ws())
            .header("content-type", "application/json")
            .body("{\"operation\":\"listtypes\"}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (500, ""));
    is_500_empty(&c.get(&[("operation", "me"), ("sessionName", &s)]).await);
    // Content type without charset, no CORS headers by default, prefixed path accepted.
    let resp = c
        .http
        .get(format!("{}/vtigercrm/webservice.php", c.base))
        .query(&[("operation", "listtypes"), ("sessionName", s.as_str())])
        .header("Origin", "http://x.test")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // Calendar without activitytype becomes unreachable by its 9x id.
    let cal = c.create("Calendar", serde_json::json!({"subject": "T", "date_start": "2027-01-10", "time_start": "09:30:00", "due_date": "2027-01-12", "taskstatus": "Not Started", "assigned_user_id": "19x1"})).await;
    let id = cal["result"]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("9x"));
    let r = c
        .get(&[("operation", "retrieve"), ("sessionName", &s), ("id", &id)])
        .await
        .json();
    assert_eq!(r["error"]["code"], "INVALID_ID_ATTRIBUTE");
    let r = c
        .get(&[
            ("operation", "retrieve"),
            ("sessionName", &s),
            ("id", &id.replace("9x", "18x")),
        ])
        .await
        .json();
    assert_eq!(r["result"]["activitytype"], "");
}

#[tokio::test]
async fn cors_flag() {
    let (_a, c) = start(Profile::V84, |c| c.cors = true).await;
    let resp = c
        .http
        .get(c.ws())
        .query(&[("operation", "listtypes")])
        .header("Origin", "http://app.test")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://app.test"
    );
    let pre = c
        .http
        .request(reqwest::Method::OPTIONS, c.ws())
        .header("Origin", "http://app.test")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status().as_u16(), 204);
    assert_eq!(
        pre.headers()["access-control-allow-origin"],
        "http://app.test"
    );
    assert!(pre.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
}

#[tokio::test]
async fn query_semantics() {
    let (_a, mut c) = start(Profile::V84, |_| {}).await;
    c.login().await;
    let all = c.query("SELECT id FROM Contacts;").await;
    assert_eq!(
        all["result"].as_array().unwrap().len(),
        100,
        "no LIMIT → 100"
    );
    let capped = c.query("SELECT id FROM Contacts LIMIT 0, 200;").await;
    assert_eq!(capped["result"].as_array().unwrap().len(), 100);
    assert_eq!(
        c.query("SELECT count(*) FROM Contacts;").await["result"],
        serde_json::json!([])
    );
    // AND binds tighter than OR.
    let r = c
        .query(
            "SELECT id FROM Contacts WHERE title = 'T1' OR title = 'T2' AND firstname = 'nobody';",
        )
        .await;
    let t1 = c.query("SELECT id FROM Contacts WHERE title = 'T1';").await;
    assert_eq!(r["result"], t1["result"]);
    let r = c
        .query("SELECT id FROM Contacts WHERE lastname = 'O'Brien';")
        .await;
    assert_eq!(r["error"]["code"], "QUERY_SYNTAX_ERROR");
    let r = c
        .query("SELECT id FROM Contacts WHERE lastname = \"x\";")
        .await;
    assert_eq!(r["error"]["code"], "INTERNAL_SERVER_ERROR");
    let r = c
        .query("SELECT id FROM Contacts WHERE lastname = 'x'")
        .await;
    assert_eq!(r["error"]["code"], "QUERY_SYNTAX_ERROR");
    let r = c.query("SELECT id FROM Contacts ORDER BY nosuch;").await;
    assert_eq!(r["result"], serde_json::json!([]));
    let r = c.query("SELECT nosuch FROM Contacts;").await;
    assert_eq!(
        r["error"]["message"],
        "Permission to access '.nosuch.' attribute denied."
    );
    let r = c.query("SELECT id, lastname FROM Contacts WHERE lastname LIKE 'Smith%' ORDER BY lastname DESC LIMIT 3;").await;
    let names: Vec<&str> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["lastname"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(names, sorted);
    assert!(names.iter().all(|n| n.starts_with("Smith")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_paging_100k() {
    let t0 = std::time::Instant::now();
    let (_a, mut c) = start(Profile::V84, |c| c.seed_records = 100_000).await;
    let load = t0.elapsed();
    c.login().await;
    // Seeded modified times: at most 25 records share one second.
    let mut last = "0x0".to_string();
    let mut n = 0usize;
    let t = std::time::Instant::now();
    loop {
        let r = c.query(&format!("SELECT id, lastname, modifiedtime FROM Contacts WHERE id > '{last}' ORDER BY id LIMIT 100;")).await;
        let rows = r["result"].as_array().unwrap();
        if rows.is_empty() {
            break;
        }
        n += rows.len();
        last = rows.last().unwrap()["id"].as_str().unwrap().to_string();
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "seeded 100k in {load:?}; paged {n} records in {secs:.2}s = {:.0} records/s",
        n as f64 / secs
    );
    assert_eq!(n, 100_000);
    let per_sec = c
        .query("SELECT modifiedtime FROM Contacts WHERE id > '12x5000' ORDER BY id LIMIT 100;")
        .await;
    let mut counts = std::collections::HashMap::new();
    for r in per_sec["result"].as_array().unwrap() {
        *counts
            .entry(r["modifiedtime"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    assert!(counts.values().all(|&v| v <= 25));
}
