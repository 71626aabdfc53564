//! The raw VTQL parser on any text: never a panic; what it accepts renders (or is refused as
//! INVALID_INPUT), and the rendering is a fixed point that the simulator's independent VTQL
//! parser accepts too.
#![no_main]
use crmwire::vtiger::vtql::Select;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = crmwire_fuzz::text(data);
    let Ok(sel) = Select::parse(&text) else {
        return;
    };
    // Rendering may refuse what the server would mangle (e.g. LIMIT over its 100-row cap), but
    // only as INVALID_INPUT.
    let out = match sel.render() {
        Ok(out) => out,
        Err(e) if e.code == crmwire::ErrorCode::InvalidInput => return,
        Err(e) => panic!("{text:?} parsed but does not render: {e}"),
    };
    let again = match Select::parse(&out) {
        Ok(again) => again,
        Err(e) => panic!("{out:?}: {e}"),
    };
    assert_eq!(again.render().as_deref(), Ok(out.as_str()));
    crmwire_sim::vtql::parse(&out).unwrap_or_else(|e| panic!("{out:?}: {e:?}"));
});
