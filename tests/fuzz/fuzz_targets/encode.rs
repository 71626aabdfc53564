//! Form encoding against the `url` crate's form_urlencoded (the WHATWG serializer): the same
//! text, and both decoders read the pairs back; on any text the two decoders agree.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let owned = crmwire_fuzz::pairs(&crmwire_fuzz::fields(data));
    let pairs: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let ours = crmwire::encode::form_encode(&pairs);
    let reference = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    assert_eq!(ours, reference);
    let theirs: Vec<(String, String)> = form_urlencoded::parse(ours.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(theirs, owned);
    assert_eq!(crmwire::encode::form_decode(&ours), owned);
    let text = crmwire_fuzz::text(data);
    let theirs: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(crmwire::encode::form_decode(&text), theirs);
});
