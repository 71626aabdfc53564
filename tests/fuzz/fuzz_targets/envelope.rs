//! The tolerant envelope decoder on any status and body: never a panic; the tree and the raw
//! text of a result agree, and the raw text is strict JSON.
#![no_main]
use crmwire::vtiger::envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let resp = crmwire_fuzz::response(data);
    match (
        envelope::decode(&resp, "query"),
        envelope::decode_raw(&resp, "query"),
    ) {
        (Ok(tree), Ok(raw)) => match serde_json::from_str::<serde_json::Value>(&raw) {
            Ok(strict) => assert_eq!(crmwire_fuzz::to_serde(&tree), strict),
            Err(e) => assert!(crmwire_fuzz::beyond_serde(&raw, &e), "not strict JSON: {e}"),
        },
        (Err(a), Err(b)) => assert_eq!(a.code, b.code),
        (a, b) => panic!("decode and decode_raw disagree: {a:?} / {b:?}"),
    }
});
