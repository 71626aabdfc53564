//! A scripted Vtiger for the driver, pool and proxy tests: its answers and the request lines
//! a client sends it.
use crmwire::encode::md5_hex;
use crmwire::step::Step;
use crmwire::vtiger::driver::Config;
use crmwire::vtiger::ops::Endpoint;
use crmwire::{HttpResponse, Method};

pub const EP: &str = "http://crm.test/webservice.php";
pub const KEY: &str = "K3yK3yK3y";

pub fn config() -> Config {
    let mut c = Config::login(Endpoint::parse("http://crm.test").unwrap(), "admin", KEY).unwrap();
    c.seed = 42;
    c
}

pub fn ok(result: &str) -> HttpResponse {
    HttpResponse::new(200, format!(r#"{{"success":true,"result":{result}}}"#))
}

pub fn fail(code: &str) -> HttpResponse {
    HttpResponse::new(
        200,
        format!(r#"{{"success":false,"error":{{"code":"{code}","message":"refused: {code}"}}}}"#),
    )
}

pub fn challenge(token: &str) -> HttpResponse {
    ok(&format!(
        r#"{{"token":"{token}","serverTime":1700000000,"expireTime":1700000300}}"#
    ))
}

pub fn logged_in(session: &str) -> HttpResponse {
    ok(&format!(
        r#"{{"sessionName":"{session}","userId":"19x1","version":"0.22","vtigerVersion":"8.4.0","username":"admin","time_zone":"UTC"}}"#
    ))
}

pub fn get_challenge() -> String {
    format!("GET {EP}?operation=getchallenge&username=admin")
}

pub fn post_login(token: &str) -> String {
    format!(
        "POST {EP} operation=login&username=admin&accessKey={}",
        md5_hex(&format!("{token}{KEY}"))
    )
}

pub fn get(op: &str, session: &str, rest: &str) -> String {
    format!("GET {EP}?operation={op}&sessionName={session}{rest}")
}

/// The request a Send step carries, as one line: `GET <url>`, or `<method> <url> <body>`.
pub fn line(step: &Step) -> String {
    match step {
        Step::Send { request, .. } => match request.method {
            Method::Get => format!("GET {}", request.url),
            _ => format!("{} {} {}", request.method, request.url, request.body_text()),
        },
        other => panic!("expected a request, got {other:?}"),
    }
}
