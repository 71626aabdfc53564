//! Documents with file content beyond the recordings, as measured on the lab (8.4.0,
//! 2026-12-04; issue 17 item 4): update and revise with a multipart file replace the file
//! (a new attachment id; the old one is gone), a file part is stored only with
//! `filelocationtype` `I`, an empty file is not stored, and a file over PHP's
//! `upload_max_filesize` is dropped while the record is saved.

mod common;
use common::*;
use crmwire_sim::Profile;
use serde_json::{json, Value};

async fn multipart(c: &Client, op: &str, texts: &[(&str, &str)], file: (&str, &[u8])) -> Value {
    let b = "----simdocs";
    let mut body = Vec::new();
    let mut parts = vec![("operation", op), ("sessionName", c.session.as_str())];
    parts.extend_from_slice(texts);
    for (k, v) in parts {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"{}\"\r\nContent-Type: text/plain\r\n\r\n", file.0).as_bytes());
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let r = c
        .http
        .post(c.ws())
        .header("content-type", format!("multipart/form-data; boundary={b}"))
        .body(body)
        .send()
        .await
        .unwrap();
    to_resp(r).await.json()
}

async fn fresh() -> Client {
    let (_a, mut c) = start(Profile::V84, |c| {
        c.empty = true;
        c.upload_max_bytes = 1000;
    })
    .await;
    c.login().await;
    c
}

async fn files(c: &Client, id: &str) -> Value {
    c.get(&[
        ("operation", "files_retrieve"),
        ("sessionName", &c.session),
        ("id", id),
    ])
    .await
    .json()
}

#[tokio::test]
async fn update_and_revise_with_a_file_replace_it() {
    let c = fresh().await;
    let el = r#"{"notes_title":"D","assigned_user_id":"19x1","filelocationtype":"I"}"#;
    let made = multipart(
        &c,
        "create",
        &[("elementType", "Documents"), ("element", el)],
        ("first.txt", b"first\n"),
    )
    .await;
    let doc = made["result"].clone();
    let first = doc["imageattachmentids"].as_str().unwrap().to_owned();
    let mut upd = doc.clone();
    upd.as_object_mut().unwrap().remove("imageattachmentids");
    let upd = multipart(
        &c,
        "update",
        &[("element", &upd.to_string())],
        ("second file.txt", b"second,content\n"),
    )
    .await;
    let r = &upd["result"];
    assert_eq!(
        (&r["filename"], &r["filesize"]),
        (&json!("second_file.txt"), &json!("15")),
        "{upd}"
    );
    let second = r["imageattachmentids"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(files(&c, &first).await["error"]["code"], "RECORD_NOT_FOUND");
    assert_eq!(
        files(&c, &second).await["result"][0]["filecontents"],
        "c2Vjb25kLGNvbnRlbnQK"
    );
    let id = doc["id"].as_str().unwrap();
    let rev = multipart(
        &c,
        "revise",
        &[("element", &format!(r#"{{"id":"{id}"}}"#))],
        ("third.txt", b"third\n"),
    )
    .await;
    assert_eq!(rev["result"]["filename"], "third.txt", "{rev}");
    // A revise without a file keeps it.
    let kept = c
        .post(&[
            ("operation", "revise"),
            ("sessionName", &c.session),
            ("element", &format!(r#"{{"id":"{id}","notecontent":"x"}}"#)),
        ])
        .await
        .json();
    assert_eq!(
        (&kept["result"]["filename"], &kept["result"]["filesize"]),
        (&json!("third.txt"), &json!("6"))
    );
}

#[tokio::test]
async fn a_file_is_stored_only_with_filelocationtype_i_and_within_the_upload_limit() {
    let c = fresh().await;
    for (el, content, stored) in [
        // No filelocationtype: the part is ignored (filelocationtype stays "").
        (
            r#"{"notes_title":"D","assigned_user_id":"19x1"}"#,
            &b"abc"[..],
            false,
        ),
        // 'E' with a file: a link, the part ignored.
        (
            r#"{"notes_title":"D","assigned_user_id":"19x1","filelocationtype":"E","filename":"https://e.test/x"}"#,
            b"abc",
            false,
        ),
        // An empty file is not stored.
        (
            r#"{"notes_title":"D","assigned_user_id":"19x1","filelocationtype":"I"}"#,
            b"",
            false,
        ),
        // Over upload_max_filesize (1000 here): PHP drops it, the record is saved without it.
        (
            r#"{"notes_title":"D","assigned_user_id":"19x1","filelocationtype":"I"}"#,
            &[b'x'; 1001][..],
            false,
        ),
        (
            r#"{"notes_title":"D","assigned_user_id":"19x1","filelocationtype":"I"}"#,
            &[b'x'; 1000][..],
            true,
        ),
    ] {
        let r = multipart(
            &c,
            "create",
            &[("elementType", "Documents"), ("element", el)],
            ("a.txt", content),
        )
        .await;
        let r = &r["result"];
        assert_eq!(r.get("imageattachmentids").is_some(), stored, "{el} {r}");
        let size = if stored {
            content.len().to_string()
        } else {
            "0".into()
        };
        assert_eq!(r["filesize"], json!(size), "{r}");
    }
}
