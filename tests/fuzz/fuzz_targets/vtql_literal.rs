//! Every VTQL literal the builder makes is one literal to Vtiger's lexer and reads back as
//! exactly its value in MySQL, by two readings written apart from the builder: the one in
//! `crmwire_fuzz::read_literal` and the simulator's own lexer and MySQL string reader.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let value = crmwire_fuzz::text(data);
    let Ok(lit) = crmwire::vtiger::vtql::literal(&value) else {
        assert!(value.is_empty() || value.contains('\0'));
        return;
    };
    assert_eq!(
        crmwire_fuzz::read_literal(&lit).as_deref(),
        Some(value.as_str())
    );
    assert_eq!(crmwire_sim::vtql::literal_len(&lit), Some(lit.len()));
    assert_eq!(
        crmwire_sim::sql::mysql_string(&lit),
        Some((value, lit.len()))
    );
});
