//! The sync state machine fed any answers: never a panic, never more than one call at a time,
//! and every checkpoint it hands out starts a new run.
//! Input: NUL-separated responses (see `response`), answered in turn to the machine's calls.
#![no_main]
use crmwire::vtiger::sync::SyncRun;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut run) = SyncRun::new("Contacts", "0") else {
        return;
    };
    for body in data.split(|b| *b == 0).take(24) {
        if run.done() || run.next_call().is_none() {
            break;
        }
        if let Ok(Some(batch)) = run.handle(&crmwire_fuzz::response(body)) {
            SyncRun::new("Contacts", &batch.checkpoint).expect("checkpoint of a batch");
            let text = &batch.updated_json;
            if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
                assert!(crmwire_fuzz::beyond_serde(text, &e), "not strict JSON: {e}");
            }
        }
        SyncRun::new("Contacts", &run.checkpoint()).expect("checkpoint of the run");
    }
});
