//! A huge upload costs the simulator no memory (issue 15, item 12: one 250 MiB POST peaked at
//! 716 MiB): the body is read up to the cap (8 MiB by default), then read and discarded, and the
//! answer is 413. Its own test binary, so that the process's peak RSS is the simulator's.

mod common;
use common::*;
use crmwire_sim::Profile;

fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_250_mib_upload_is_refused_with_flat_memory() {
    let (addr, mut c) = start(Profile::V84, |c| c.empty = true).await;
    c.login().await;
    let before = peak_rss_kib();
    let prefix = format!(
        "operation=create&sessionName={}&elementType=Contacts&element=",
        c.session
    );
    let mut answers = Vec::new();
    for chunked in [false, true] {
        let (status, body) = raw_post(
            addr,
            "application/x-www-form-urlencoded",
            250 << 20,
            chunked,
            |off, buf| {
                buf.fill(b'x');
                if off == 0 {
                    buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
                }
            },
        )
        .await;
        answers.push((chunked, status, body));
    }
    let grew = peak_rss_kib().saturating_sub(before);
    eprintln!("peak RSS grew by {grew} KiB over two 250 MiB uploads");
    assert!(grew < 50 << 10, "peak RSS grew by {} MiB", grew >> 10);
    for (chunked, status, body) in answers {
        assert_eq!(status, 413, "chunked={chunked}: {body}");
    }
    // Still serving.
    assert_eq!(c.query("SELECT id FROM Contacts;").await["success"], true);
}
