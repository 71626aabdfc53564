//! crmwire's JSON reader against serde_json on every text serde_json accepts, and its writer
//! against its reader on every text it accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = crmwire::json::parse(text);
    if let Ok(v) = &ours {
        assert_eq!(
            crmwire::json::parse(&v.to_json()).as_ref(),
            Ok(v),
            "write/read"
        );
    }
    if let Ok(reference) = serde_json::from_str::<serde_json::Value>(text) {
        let v = ours.expect("valid JSON refused");
        assert_eq!(crmwire_fuzz::to_serde(&v), reference);
    }
});
