//! crmwire-sim's VTQL lexer, parser, SQL writer and MySQL reader, through its `query` and
//! `query_related` handlers on a seeded database: any text gets a JSON answer (control
//! characters raw, as Vtiger writes them), never a panic (the simulator's release build aborts
//! on panic).
#![no_main]
use crmwire_sim::server::dispatch;
use crmwire_sim::{App, Config};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

fn sim() -> &'static (Arc<App>, String) {
    static SIM: OnceLock<(Arc<App>, String)> = OnceLock::new();
    SIM.get_or_init(|| {
        let app = App::new(Config {
            seed_records: 40,
            session_idle_secs: i64::MAX / 4,
            ..Config::default()
        });
        let p = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let ch = dispatch(
            &app,
            false,
            &p(&[("operation", "getchallenge"), ("username", "admin")]),
            &vec![],
            vec![],
        );
        let token = serde_json::from_str::<serde_json::Value>(&ch.body).unwrap()["result"]["token"]
            .as_str()
            .unwrap()
            .to_string();
        // The server answers getchallenge only after the token's INSERT (ops::CHALLENGE_GAP).
        std::thread::sleep(crmwire_sim::ops::CHALLENGE_GAP);
        let key = crmwire_sim::ops::md5_hex(&format!("{token}{}", crmwire_sim::DEFAULT_ACCESS_KEY));
        let login = dispatch(
            &app,
            true,
            &vec![],
            &p(&[
                ("operation", "login"),
                ("username", "admin"),
                ("accessKey", &key),
            ]),
            vec![],
        );
        let session = serde_json::from_str::<serde_json::Value>(&login.body).unwrap()["result"]
            ["sessionName"]
            .as_str()
            .unwrap()
            .to_string();
        (app, session)
    })
}

fuzz_target!(|data: &[u8]| {
    let (app, session) = sim();
    let text = crmwire_fuzz::text(data);
    for (op, extra) in [
        ("query", vec![]),
        (
            "query_related",
            vec![("id", "11x9"), ("relatedLabel", "Contacts")],
        ),
    ] {
        let mut q = vec![
            ("operation".to_owned(), op.to_owned()),
            ("sessionName".to_owned(), session.clone()),
            ("query".to_owned(), text.clone()),
        ];
        q.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
        let out = dispatch(app, false, &q, &vec![], vec![]);
        assert_eq!(out.status, 200, "{op} {text:?}: {}", out.body);
        // Strings are written as Zend_Json does, control characters raw (recording 272): JSON
        // once those are escaped.
        let body = crmwire::json::escape_raw_controls(&out.body);
        serde_json::from_str::<serde_json::Value>(&body)
            .unwrap_or_else(|e| panic!("{op} {text:?}: {e}: {}", out.body));
    }
});
