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

#[tokio::test]
async fn challenge_tokens_are_the_clock_in_microseconds_as_phps_uniqid() {
    // The lab's tokens read as its clock (e.g. 693201dd26a69: 0x693201dd seconds, 0x26a69
    // microseconds); the client reads a congested server's pace from two of them.
    let (_a, c) = start(Profile::V84, |_| {}).await;
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let a = challenge_token(
        &c.get(&[("operation", "getchallenge"), ("username", "admin")])
            .await,
    );
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let b = challenge_token(
        &c.get(&[("operation", "getchallenge"), ("username", "admin")])
            .await,
    );
    let us = |t: &str| {
        assert!(
            t.len() == 13 && t.bytes().all(|c| c.is_ascii_hexdigit()),
            "{t}"
        );
        let s = u64::from_str_radix(&t[..8], 16).unwrap();
        let m = u64::from_str_radix(&t[8..], 16).unwrap();
        assert!(m < 1_000_000, "{t}");
        s * 1_000_000 + m
    };
    let (ua, ub) = (us(&a), us(&b));
    assert!(ua >= t0 && ua < t0 + 5_000_000, "{a} vs the clock {t0}");
    assert!(ub - ua >= 50_000 && ub - ua < 5_000_000, "{a} {b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_limit_queues_requests_and_concurrent_logins_collide() {
    // 2 CPUs, 6 ms per request (the lab: about 6 ms a getchallenge or a login, 2 cores): of
    // 16 raw pairs started together, few get in, and the burst takes the CPUs' time.
    async fn burst(c: &std::sync::Arc<Client>) -> usize {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let c = c.clone();
            set.spawn(async move {
                let token = challenge_token(
                    &c.get(&[("operation", "getchallenge"), ("username", "admin")])
                        .await,
                );
                login_with(&c, &token).await["success"] == true
            });
        }
        let mut ok = 0;
        while let Some(r) = set.join_next().await {
            ok += usize::from(r.unwrap());
        }
        ok
    }
    let (_a, c) = start(Profile::V84, |cfg| {
        cfg.service_ms = 6;
        cfg.cpus = 2;
    })
    .await;
    let c = std::sync::Arc::new(c);
    let t = std::time::Instant::now();
    let ok = burst(&c).await;
    // 32 requests on 2 CPUs of 6 ms: at least 96 ms.
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(90),
        "{:?}",
        t.elapsed()
    );
    assert!(ok <= 4, "{ok} of 16 raw pairs got in on a congested server");
    assert!(ok >= 1, "one login at least gets in");
}
