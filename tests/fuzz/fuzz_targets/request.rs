//! Request building: for any endpoint, operation and parameters the core accepts, the request
//! carries exactly `operation`, `sessionName` (when needed) and the parameters, in order,
//! as the `url` crate's form_urlencoded reads them.
//! Input: URL \0 operation \0 then (name, value) pairs.
#![no_main]
use crmwire::vtiger::ops::{self, Endpoint};
use crmwire::{Method, Secret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = crmwire_fuzz::fields(data);
    let [url, op, rest @ ..] = f.as_slice() else {
        return;
    };
    let Ok(ep) = Endpoint::parse(url) else { return };
    let params = crmwire_fuzz::pairs(rest);
    let Ok(call) = ops::call(op, params.clone(), None) else {
        return;
    };
    let Ok(req) = call.to_request(&ep, Some(&Secret::new("sess0123456789abc"))) else {
        return;
    };
    let mut want = vec![("operation".to_owned(), op.clone())];
    if call.needs_session {
        want.push(("sessionName".to_owned(), "sess0123456789abc".to_owned()));
    }
    want.extend(params);
    let sent = match req.method {
        Method::Get => {
            let q = req
                .url
                .strip_prefix(ep.url())
                .expect("the endpoint URL first");
            q.strip_prefix('?')
                .expect("then the query")
                .as_bytes()
                .to_vec()
        }
        _ => req.body.clone().expect("a POST body"),
    };
    let got: Vec<(String, String)> = form_urlencoded::parse(&sent).into_owned().collect();
    assert_eq!(got, want);
});
