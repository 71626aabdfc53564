//! Perfex response parsing (both APIs, every resource and operation, the list pager) on any
//! status and body: never a panic; pages render as strict JSON.
//! Input: profile byte, resource byte, operation byte, then a response (see `response`).
#![no_main]
use crmwire::perfex::{Config, ListOptions, Op, Perfex, Profile, Resource};
use libfuzzer_sys::fuzz_target;

const RESOURCES: [&str; 6] = [
    "customers",
    "contacts",
    "leads",
    "projects",
    "tasks",
    "invoices",
];
const OPS: [Op; 8] = [
    Op::List,
    Op::Search,
    Op::Get,
    Op::Create,
    Op::Update,
    Op::Delete,
    Op::Join,
    Op::Lookup,
];

fuzz_target!(|data: &[u8]| {
    let [p, r, o, rest @ ..] = data else { return };
    let profile = if p % 2 == 0 {
        Profile::Won
    } else {
        Profile::Rest
    };
    let r = Resource::parse(RESOURCES[usize::from(*r) % RESOURCES.len()]).unwrap();
    let op = OPS[usize::from(*o) % OPS.len()];
    let resp = crmwire_fuzz::response(rest);
    let perfex = Perfex::new(Config::new(profile, "https://crm.example", "token")).unwrap();
    let _ = perfex.parse_record(r, op, &resp);
    let _ = perfex.parse_write(r, op, &resp);
    let mut pages = vec![perfex.parse_list(r, op, &resp)];
    if let Ok(mut pager) = perfex.list(r, ListOptions::default()) {
        let _ = pager.step();
        pages.push(pager.feed(&resp));
    }
    for page in pages.into_iter().flatten() {
        for text in [page.raw_json(), page.normalized_json(r)] {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
                assert!(
                    crmwire_fuzz::beyond_serde(&text, &e),
                    "not strict JSON: {e}"
                );
            }
        }
    }
});
