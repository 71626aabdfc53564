//! One challenge token per user (live findings G): a getchallenge replaces the user's token,
//! so another client's getchallenge between a client's getchallenge and its login makes that
//! login fail with INVALID_USER_CREDENTIALS; a login landing between the DELETE of the old
//! token and the INSERT of the new one gets INVALID_AUTH_TOKEN.

mod common;
use common::*;
use crmwire_sim::Profile;

fn challenge_token(r: &Resp) -> String {
    r.json()["result"]["token"].as_str().unwrap().to_string()
}

async fn login_with(c: &Client, token: &str) -> serde_json::Value {
    let key = md5_hex(&format!("{token}{}", c.key));
    c.post(&[
        ("operation", "login"),
        ("username", "admin"),
        ("accessKey", &key),
    ])
    .await
    .json()
}

#[tokio::test]
async fn another_getchallenge_spoils_a_login_in_flight() {
    let (_a, c) = start(Profile::V84, |_| {}).await;
    let mine = challenge_token(
        &c.get(&[("operation", "getchallenge"), ("username", "admin")])
            .await,
    );
    // Another client of the same user asks for a challenge before our login.
    let theirs = challenge_token(
        &c.get(&[("operation", "getchallenge"), ("username", "admin")])
            .await,
    );
    assert_ne!(mine, theirs);
    let l = login_with(&c, &mine).await;
    assert_eq!(l["success"], false, "{l}");
    assert_eq!(l["error"]["code"], "INVALID_USER_CREDENTIALS");
    // The other client's login works: its token is the current one.
    let l = login_with(&c, &theirs).await;
    assert_eq!(l["success"], true, "{l}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_between_delete_and_insert_finds_no_token() {
    let (_a, c) = start(Profile::V84, |_| {}).await;
    // Logins sent one after the other while another client's getchallenge runs: before it
    // (success), between its DELETE and INSERT (INVALID_AUTH_TOKEN), after it
    // (INVALID_USER_CREDENTIALS). The gap is short (2 ms): try a few rounds.
    let mut codes = Vec::new();
    for _ in 0..50 {
        let mine = challenge_token(
            &c.get(&[("operation", "getchallenge"), ("username", "admin")])
                .await,
        );
        let (http, url) = (c.http.clone(), c.ws());
        let other = tokio::spawn(async move {
            http.get(url)
                .query(&[("operation", "getchallenge"), ("username", "admin")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        loop {
            let l = login_with(&c, &mine).await;
            codes.push(if l["success"] == true {
                "ok".to_owned()
            } else {
                l["error"]["code"].as_str().unwrap().to_owned()
            });
            if other.is_finished() {
                break;
            }
        }
        other.await.unwrap();
        if codes.iter().any(|c| c == "INVALID_AUTH_TOKEN") {
            break;
        }
    }
    assert!(
        codes.iter().any(|c| c == "INVALID_AUTH_TOKEN"),
        "never between DELETE and INSERT: {codes:?}"
    );
    assert!(codes
        .iter()
        .all(|c| ["ok", "INVALID_AUTH_TOKEN", "INVALID_USER_CREDENTIALS"].contains(&c.as_str())));
    // A getchallenge's answer is only sent once its token exists: the own login works.
    let t = challenge_token(
        &c.get(&[("operation", "getchallenge"), ("username", "admin")])
            .await,
    );
    assert_eq!(login_with(&c, &t).await["success"], true);
}
