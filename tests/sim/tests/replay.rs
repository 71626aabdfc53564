//! Replays every recorded 8.4.0 exchange (tests/fixtures/vtiger/vtiger-8.4.0) against a fresh
//! simulator and checks each answer against the recording in STRUCTURE: HTTP status, content type,
//! `success`, error code AND message, key sequences and value types of the result, array lengths.
//! Sessions, tokens and ids are substituted; the unrecorded setup of the capture (the other 229
//! batch Contacts, the query-group records, the related-group records) is recreated first.

mod common;
use common::*;
use crmwire_sim::Profile;
use serde_json::Value;
use std::collections::HashMap;

/// Fixtures not replayed, with the reason (also listed in tests/sim/README.md).
const SKIP: &[(&str, &str)] = &[
    ("219", "Potentials update: the recording shows contact_id \"\" after update (a server-side rewrite the sim does not model; it keeps null)"),
    ("220", "follows 219 (contact_id \"\" vs null)"),
    ("224", "HelpDesk update: contact_id \"\" after update, as 219"),
    ("225", "follows 224"),
    ("319", "revise of the Users record returns extra user-preference keys the sim does not store"),
    ("323", "as 319"),
    ("405", "utf8_general_ci ordering of non-ASCII/HTML last names against 'Fixture0227' (2 rows differ)"),
    ("407", "as 405"),
    ("478", "depends on the unrecorded order of the capture's Events setup (LIMIT 2 shows 1 row)"),
    ("939", "Vtiger sniffs an upload's content (finfo: the bytes 0..255 read as image/x-tga) and does not store an invalid image; the simulator does not sniff contents (the client's check of the answer is tested on the recording itself)"),
];

fn fixtures(dir: &str) -> Vec<(String, Value)> {
    let d = format!("{}/../fixtures/vtiger/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(format!("{d}/{n}")).unwrap())
                    .unwrap();
            (n.trim_end_matches(".json").to_string(), v)
        })
        .collect()
}

/// Replaces `<p>x<crmid>` occurrences whose crmid is mapped.
fn map_ids(s: &str, ids: &HashMap<u64, u64>) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let st = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'x' && b[i + 1].is_ascii_digit() {
                let px = &s[st..i];
                let nst = i + 1;
                let mut j = nst;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let n: u64 = s[nst..j].parse().unwrap();
                let boundary = j == b.len() || !b[j].is_ascii_alphanumeric();
                match ids.get(&n) {
                    Some(m) if boundary => out.push_str(&format!("{px}x{m}")),
                    _ => out.push_str(&s[st..j]),
                }
                i = j;
            } else {
                out.push_str(&s[st..i]);
            }
        } else {
            let c = s[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn id_num(v: &str) -> Option<u64> {
    v.split_once('x').and_then(|(_, n)| n.parse().ok())
}

fn shape(path: &str, rec: &J, live: &J, out: &mut Vec<String>) {
    match (rec, live) {
        (J::Obj(a), J::Obj(b)) => {
            let ka: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
            let kb: Vec<&str> = b.iter().map(|(k, _)| k.as_str()).collect();
            if ka != kb {
                out.push(format!(
                    "{path}: keys differ\n   recorded {ka:?}\n   live     {kb:?}"
                ));
                return;
            }
            for ((k, x), (_, y)) in a.iter().zip(b) {
                shape(&format!("{path}.{k}"), x, y, out);
            }
        }
        (J::Arr(a), J::Arr(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: {} items recorded, {} live",
                    a.len(),
                    b.len()
                ));
            }
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                shape(&format!("{path}[0]"), x, y, out);
            }
        }
        (J::Str(_), J::Str(_))
        | (J::Null, J::Null)
        | (J::Bool(_), J::Bool(_))
        | (J::Num(_), J::Num(_)) => {}
        (x, y) => out.push(format!("{path}: type differs: recorded {x:?}, live {y:?}")),
    }
}

struct Replayer {
    c: Client,
    sessions: HashMap<String, String>,
    ids: HashMap<u64, u64>,
    token: String,
}

impl Replayer {
    async fn send(&mut self, name: &str, req: &Value) -> Resp {
        let subst = |s: &str, me: &Replayer| -> String {
            let mut s = map_ids(s, &me.ids);
            if let Some(live) = me.sessions.get(&s) {
                s = live.clone();
            }
            s
        };
        // Unknown session names of the capture: the logout group's extra logins.
        for part in ["query", "form"] {
            if let Some(sn) = req[part]["sessionName"].as_str() {
                if !self.sessions.contains_key(sn) && sn.len() > 16 && sn != "0123456789abcdef01234"
                {
                    let mut extra = Client {
                        base: self.c.base.clone(),
                        http: self.c.http.clone(),
                        session: String::new(),
                        key: self.c.key.clone(),
                    };
                    extra.login().await;
                    if name.contains("session-file-removed") {
                        let r = extra
                            .post(&[("operation", "logout"), ("sessionName", &extra.session)])
                            .await;
                        assert!(r.body.contains("successfull"));
                    }
                    self.sessions.insert(sn.to_string(), extra.session.clone());
                }
            }
        }
        let pairs = |part: &str, me: &Replayer| -> Vec<(String, String)> {
            req[part]
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(_, v)| v.is_string())
                        .map(|(k, v)| {
                            let v = v.as_str().unwrap();
                            let v = if k == "accessKey" && v == "MD5(TOKEN+ACCESS_KEY)" {
                                md5_hex(&format!("{}{}", me.token, me.c.key))
                            } else {
                                subst(v, me)
                            };
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let query = pairs("query", self);
        let form = pairs("form", self);
        let method = req["method"].as_str().unwrap();
        let url = self.c.ws();
        let mut rb = if method == "GET" {
            self.c.http.get(&url)
        } else {
            self.c.http.post(&url)
        };
        rb = rb.query(&query);
        let ctype = req["content_type"].as_str().unwrap_or("");
        if method == "POST" {
            if ctype.starts_with("multipart/form-data") {
                let boundary = "----simreplayboundary";
                let mut body = Vec::new();
                for (k, v) in &form {
                    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
                }
                for (k, v) in req["form"].as_object().unwrap() {
                    if let Some(f) = v.get("file") {
                        body.extend_from_slice(
                            format!(
                                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                                f["filename"].as_str().unwrap(),
                                f["content_type"].as_str().unwrap()
                            )
                            .as_bytes(),
                        );
                        match f["content_base64"].as_str() {
                            Some(b64) => {
                                use base64::Engine;
                                body.extend_from_slice(
                                    &base64::engine::general_purpose::STANDARD
                                        .decode(b64)
                                        .unwrap(),
                                );
                            }
                            None => {
                                body.extend_from_slice(f["content"].as_str().unwrap().as_bytes())
                            }
                        }
                        body.extend_from_slice(b"\r\n");
                    }
                }
                body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
                rb = rb
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body);
            } else if let Some(raw) = req["body"].as_str() {
                rb = rb.header("content-type", ctype).body(raw.to_string());
            } else if req["form"].is_object() {
                rb = rb.form(&form);
            }
        }
        to_resp(rb.send().await.unwrap()).await
    }
}

/// Sends one recorded request and compares the answer with the recorded one (see the module doc);
/// learns the id, session and key mappings from successful answers. From the second capture on
/// (`9xx`) the values are compared too, ids mapped, only the variable fields skipped.
async fn replay_one(r: &mut Replayer, name: &str, req: &Value, rec: &Value) -> Vec<String> {
    let live = r.send(name, req).await;
    let mut diffs = Vec::new();
    let rstatus = rec["status"].as_u64().unwrap() as u16;
    if live.status != rstatus {
        diffs.push(format!("status: recorded {rstatus}, live {}", live.status));
    }
    if live.ctype != rec["content_type"].as_str().unwrap() {
        diffs.push(format!(
            "content-type: recorded {:?}, live {:?}",
            rec["content_type"], live.ctype
        ));
    }
    let rbody = rec["body"].as_str().unwrap_or("");
    match (parse_ordered(rbody), parse_ordered(&live.body)) {
        (None, None) => {
            // Non-JSON bodies: equal when the recording is empty or plain text; control-char
            // bodies (272) just have to be invalid JSON too.
            if !name.starts_with("272") && rbody != live.body {
                diffs.push(format!("body: recorded {rbody:?}, live {:?}", live.body));
            }
        }
        (Some(a), Some(b)) => {
            let (va, vb): (Value, Value) = (
                serde_json::from_str(rbody).unwrap(),
                serde_json::from_str(&live.body).unwrap(),
            );
            if va["success"] != vb["success"] {
                diffs.push(format!(
                    "success: recorded {}, live {}",
                    va["success"], vb["success"]
                ));
            }
            if va["error"] != vb["error"] {
                diffs.push(format!(
                    "error: recorded {}, live {}",
                    va["error"], vb["error"]
                ));
            }
            if va["success"] == true && vb["success"] == true {
                if let (J::Obj(x), J::Obj(y)) = (&a, &b) {
                    // A success without `result` exists (patched convertlead, 930).
                    match (
                        x.iter().find(|(k, _)| k == "result"),
                        y.iter().find(|(k, _)| k == "result"),
                    ) {
                        (Some((_, rx)), Some((_, ry))) => shape("result", rx, ry, &mut diffs),
                        (None, None) => {}
                        (rx, ry) => diffs.push(format!(
                            "result: recorded {}, live {}",
                            if rx.is_some() { "present" } else { "absent" },
                            if ry.is_some() { "present" } else { "absent" }
                        )),
                    }
                }
            }
            // Learn mappings.
            if va["success"] == true && vb["success"] == true {
                let (ra, rb2) = (&va["result"], &vb["result"]);
                if let (Some(x), Some(y)) = (ra["id"].as_str(), rb2["id"].as_str()) {
                    if let (Some(x), Some(y)) = (id_num(x), id_num(y)) {
                        r.ids.insert(x, y);
                    }
                }
                if let (Some(x), Some(y)) = (
                    ra["imageattachmentids"].as_str(),
                    rb2["imageattachmentids"].as_str(),
                ) {
                    r.ids.insert(id_num(x).unwrap(), id_num(y).unwrap());
                }
                for k in ["Accounts", "Contacts", "Potentials"] {
                    if let (Some(x), Some(y)) = (ra[k].as_str(), rb2[k].as_str()) {
                        r.ids.insert(id_num(x).unwrap(), id_num(y).unwrap());
                    }
                }
                if let (Some(x), Some(y)) =
                    (ra["sessionName"].as_str(), rb2["sessionName"].as_str())
                {
                    r.sessions.insert(x.to_string(), y.to_string());
                    if r.c.session.is_empty() {
                        r.c.session = y.to_string();
                    }
                }
                if let (Some(_), Some(y)) = (ra["token"].as_str(), rb2["token"].as_str()) {
                    r.token = y.to_string();
                }
                if let (Some(_), Some(y)) = (ra["key"].as_str(), rb2["key"].as_str()) {
                    r.sessions
                        .insert(ra["key"].as_str().unwrap().to_string(), y.to_string());
                }
            }
        }
        (x, y) => diffs.push(format!(
            "JSON-ness differs: recorded {} live {} body {:?}",
            x.is_some(),
            y.is_some(),
            &live.body[..live.body.len().min(300)]
        )),
    }
    if name >= "900" {
        if let (Ok(a), Ok(b)) = (
            serde_json::from_str::<Value>(rec["body"].as_str().unwrap_or("")),
            serde_json::from_str::<Value>(&live.body),
        ) {
            values("result", &a["result"], &b["result"], &r.ids, &mut diffs);
        }
    }
    diffs
}

/// Fields whose values depend on the server's history or clock (tests/fixtures/vtiger/README.md).
const VARIABLE: &[&str] = &[
    "createdtime",
    "modifiedtime",
    "contact_no",
    "note_no",
    "fileid",
];

/// Equal values, recorded ids mapped to live ones.
fn values(path: &str, rec: &Value, live: &Value, ids: &HashMap<u64, u64>, out: &mut Vec<String>) {
    match (rec, live) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in a {
                if !VARIABLE.contains(&k.as_str()) {
                    values(&format!("{path}.{k}"), x, &b[k], ids, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                values(&format!("{path}[{i}]"), x, y, ids, out);
            }
        }
        (Value::String(x), Value::String(y)) => {
            let want = map_ids(x, ids);
            if &want != y {
                out.push(format!("{path}: recorded {want:?} (mapped), live {y:?}"));
            }
        }
        (x, y) if x != y => out.push(format!("{path}: recorded {x}, live {y}")),
        _ => {}
    }
}

async fn setup_contacts(r: &mut Replayer, range: std::ops::RangeInclusive<u32>) {
    let names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"];
    let cities = ["Paris", "Berlin", "Tokyo"];
    let sources = ["Cold Call", "Web Site", "Existing Customer", "Partner"];
    for n in range {
        let el = serde_json::json!({
            "lastname": format!("Fixture{n:04}"), "firstname": names[(n % 5) as usize],
            "mailingcity": cities[(n % 3) as usize], "leadsource": sources[(n % 4) as usize],
            "email": format!("fixture{n:04}@example.com"), "title": format!("T{}", n % 10),
            "assigned_user_id": "19x1"});
        let v = r.c.create("Contacts", el).await;
        let id = id_num(v["result"]["id"].as_str().unwrap()).unwrap();
        r.ids.insert(8 + n as u64, id);
    }
}

async fn mk(r: &mut Replayer, fixture_crmid: u64, module: &str, el: Value) {
    let v = r.c.create(module, el).await;
    assert_eq!(v["success"], true, "{module}: {v}");
    r.ids.insert(
        fixture_crmid,
        id_num(v["result"]["id"].as_str().unwrap()).unwrap(),
    );
}

/// The unrecorded setup of the second capture (2026-12-04, run tag `re6076`; tests/fixtures/vtiger/
/// README.md "Second capture"), created in the capture's order so the fixture crmids map in order:
/// 633 Account `Or scope`, 634–639 its OrA/OrB/WHERE Contacts (related through `account_id`, the
/// two `unrelated` ones not), 640–642 the backslash and emoji Contacts, 643 Account `Big related`,
/// 644–783 Contacts `Big re6076 000…139` (every 14th, `013`, `027`, …, unrelated).
async fn setup_9xx(r: &mut Replayer) {
    let owner = "19x1";
    mk(
        r,
        633,
        "Accounts",
        serde_json::json!({"accountname": "Or scope re6076", "assigned_user_id": owner}),
    )
    .await;
    let or_scope = format!("11x{}", r.ids[&633]);
    for (crmid, name, related) in [
        (634, "OrA re6076 related", true),
        (635, "OrA re6076 unrelated", false),
        (636, "OrB re6076 related", true),
        (637, "OrB re6076 unrelated", false),
        (638, "Up WHERE re6076", true),
        (639, "Low where re6076", true),
        (640, "Back\\slash re6076", false),
        (641, "Backslash re6076", false),
        (642, "Emoji \u{1F600} re6076", false),
    ] {
        let mut el = serde_json::json!({"lastname": name, "assigned_user_id": owner});
        if related {
            el["account_id"] = Value::String(or_scope.clone());
        }
        mk(r, crmid, "Contacts", el).await;
    }
    mk(
        r,
        643,
        "Accounts",
        serde_json::json!({"accountname": "Big related re6076", "assigned_user_id": owner}),
    )
    .await;
    let big = format!("11x{}", r.ids[&643]);
    for i in 0..140u64 {
        let mut el = serde_json::json!({"lastname": format!("Big re6076 {i:03}"), "assigned_user_id": owner});
        if i % 14 != 13 {
            el["account_id"] = Value::String(big.clone());
        }
        mk(r, 644 + i, "Contacts", el).await;
    }
}

/// The third capture (2026-12-04, by tests/js/real/record-fixtures.mjs; tests/real/FIXTURES.md):
/// its session name is masked as `SESSION_NAME` (the replay's own session stands in), and its
/// unrecorded setup is an Account (crmid 800) and a Contact (801) before 930.
async fn setup_930(r: &mut Replayer) {
    let live = r.c.session.clone();
    r.sessions.insert("SESSION_NAME".into(), live);
    mk(
        r,
        800,
        "Accounts",
        serde_json::json!({"accountname": "Fixture930 Account", "assigned_user_id": "19x1", "description": "crmwire-real:fixtures"}),
    )
    .await;
    mk(
        r,
        801,
        "Contacts",
        serde_json::json!({"lastname": "Fixture930 Contact", "assigned_user_id": "19x1", "description": "crmwire-real:fixtures"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_vtiger_84() {
    let (_addr, c) = start(Profile::V84, |c| c.empty = true).await;
    let mut r = Replayer {
        c,
        sessions: HashMap::new(),
        ids: HashMap::new(),
        token: String::new(),
    };
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, fx) in fixtures("vtiger-8.4.0") {
        if SKIP.iter().any(|(s, _)| name.starts_with(s)) {
            continue;
        }
        // Unrecorded setup steps of the capture, recreated at the same point.
        if name.starts_with("020") {
            let resp =
                r.c.http
                    .post(format!("{}/__sim/clock", r.c.base))
                    .body(r#"{"advance_secs":305}"#)
                    .send()
                    .await
                    .unwrap();
            assert!(resp.status().is_success());
        }
        if name.starts_with("201-") {
            setup_contacts(&mut r, 2..=230).await;
        }
        if name.starts_with("400-") {
            for (i, (price, qty)) in [("1.25", "-10"), ("1.50", "0"), ("10.00", "5")]
                .iter()
                .enumerate()
            {
                mk(&mut r, 269 + i as u64, "Products", serde_json::json!({"productname": format!("Fixture Product {}", ["A","B","C"][i]), "unit_price": price, "qtyinstock": qty, "assigned_user_id": "19x1"})).await;
            }
            mk(
                &mut r,
                272,
                "Contacts",
                serde_json::json!({"lastname": "a;b", "assigned_user_id": "19x1"}),
            )
            .await;
            mk(&mut r, 273, "Contacts", serde_json::json!({"lastname": "this or that where limit", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 274, "Leads", serde_json::json!({"lastname": "Shape Lead", "company": "Shape Co", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 275, "Potentials", serde_json::json!({"potentialname": "Shape Deal", "amount": "100", "related_to": "11x239", "closingdate": "2027-04-30", "sales_stage": "Prospecting", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 276, "HelpDesk", serde_json::json!({"ticket_title": "Shape ticket", "ticketstatus": "Open", "ticketpriorities": "Low", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 277, "Calendar", serde_json::json!({"subject": "Shape task", "date_start": "2027-01-10", "time_start": "09:30:00", "due_date": "2027-01-12", "taskstatus": "Not Started", "activitytype": "Task", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 278, "Events", serde_json::json!({"subject": "Shape meeting", "date_start": "2027-01-20", "time_start": "14:00:00", "due_date": "2027-01-20", "time_end": "15:00:00", "duration_hours": "1", "eventstatus": "Planned", "activitytype": "Meeting", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 279, "Documents", serde_json::json!({"notes_title": "Shape doc", "filelocationtype": "E", "filename": "https://example.com/a.pdf", "assigned_user_id": "19x1"})).await;
        }
        if name.starts_with("700-") {
            mk(&mut r, 280, "Potentials", serde_json::json!({"potentialname": "Relation deal", "closingdate": "2027-05-31", "sales_stage": "Prospecting", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 281, "Contacts", serde_json::json!({"lastname": "Relatee", "account_id": "11x239", "assigned_user_id": "19x1"})).await;
            mk(&mut r, 282, "Contacts", serde_json::json!({"lastname": "Relatee2", "account_id": "11x239", "assigned_user_id": "19x1"})).await;
        }
        if name.starts_with("900-") {
            setup_9xx(&mut r).await;
        }
        if name.starts_with("930-") {
            setup_930(&mut r).await;
        }
        if name.starts_with("724-") {
            mk(&mut r, 287, "Leads", serde_json::json!({"lastname": "Convertee2", "company": "Fixture Account Ltd", "assigned_user_id": "19x1"})).await;
        }
        let diffs = replay_one(&mut r, &name, &fx["request"], &fx["response"]).await;
        replayed += 1;
        if !diffs.is_empty() {
            failures.push(format!("{name}:\n  {}", diffs.join("\n  ")));
        }
    }
    eprintln!("replayed {replayed} fixtures, {} differ", failures.len());
    assert!(replayed > 300, "replayed only {replayed}");
    assert!(
        failures.is_empty(),
        "{} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The second capture on stock 8.3.0: the same exchanges answered the same, except `files_retrieve`
/// (HTTP 500, `vtiger-8.3.0/924`, `926`). Replayed against the `vtiger-8.3` profile: the 8.4.0
/// requests, each checked against the 8.3.0 recording where there is one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_second_capture_on_vtiger_83() {
    let (_addr, mut c) = start(Profile::V83, |c| c.empty = true).await;
    c.login().await;
    let mut r = Replayer {
        c,
        sessions: HashMap::new(),
        ids: HashMap::new(),
        token: String::new(),
    };
    setup_9xx(&mut r).await;
    let own: HashMap<String, Value> = fixtures("vtiger-8.3.0")
        .into_iter()
        .filter(|(n, _)| ("900".."930").contains(&n.as_str()))
        .map(|(n, v)| (n[..3].to_string(), v))
        .collect();
    assert_eq!(
        own.len(),
        2,
        "vtiger-8.3.0 has 924 and 926 from the second capture"
    );
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, fx) in fixtures("vtiger-8.4.0") {
        if !("900".."930").contains(&name.as_str()) {
            continue;
        }
        let rec = own.get(&name[..3]).unwrap_or(&fx);
        let diffs = replay_one(&mut r, &name, &fx["request"], &rec["response"]).await;
        replayed += 1;
        if !diffs.is_empty() {
            failures.push(format!("{name}:\n  {}", diffs.join("\n  ")));
        }
    }
    assert_eq!(replayed, 27);
    assert!(
        failures.is_empty(),
        "{} fixtures differ on 8.3:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The third capture on stock 8.3.0 (`wsapp_register` is HTTP 500: 930) and on the patched
/// 8.3.0 (`convertlead` with a Contacts entity only: success without a result, nothing created,
/// the same again: 930–932), each against its profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_third_capture_on_83_and_patched() {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for (profile, dir) in [
        (Profile::V83, "vtiger-8.3.0"),
        (Profile::Patched, "vtiger-8.3.0-patched"),
    ] {
        let (_addr, mut c) = start(profile, |c| c.empty = true).await;
        c.login().await;
        let mut r = Replayer {
            c,
            sessions: HashMap::new(),
            ids: HashMap::new(),
            token: String::new(),
        };
        let live = r.c.session.clone();
        r.sessions.insert("SESSION_NAME".into(), live);
        if profile == Profile::Patched {
            mk(
                &mut r,
                659,
                "Leads",
                serde_json::json!({"lastname": "Fixture930 Lead", "company": "Fixture930 Co", "assigned_user_id": "19x1"}),
            )
            .await;
        }
        for (name, fx) in fixtures(dir) {
            if name.as_str() < "930" {
                continue;
            }
            let diffs = replay_one(&mut r, &name, &fx["request"], &fx["response"]).await;
            replayed += 1;
            if !diffs.is_empty() {
                failures.push(format!("{dir}/{name}:\n  {}", diffs.join("\n  ")));
            }
        }
    }
    assert_eq!(replayed, 4, "8.3.0: 930; patched: 930-932");
    assert!(
        failures.is_empty(),
        "{} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
