//! The protocol decisions of bulk writes (`createMany`, `updateMany`, `reviseMany`,
//! `deleteMany`, `upsert`); the host runs the records' exchanges with a concurrency bound
//! over the session pool ([`super::pool`]).
//!
//! * **What a failed write tells** ([`unconfirmed`]). A write is never repeated blindly: the
//!   driver repeats a request only after the server refused the *session* (the operation did
//!   not run; [`crate::error::ErrorCode::is_session_expiry`]). Any other failure is reported.
//!   When the failure leaves open whether the server executed the write (the write request
//!   itself broke off in transport, timed out, or got an answer that is not an envelope: a
//!   5xx page, a cut body), the record's error becomes `OUTCOME_UNKNOWN` (the original error
//!   as its cause): after a create, *the record may exist*. A failure before the write
//!   request was sent (its login, its describe) or a refusal by the server says it did not.
//! * **Upsert** ([`UpsertPlan`]): look the record up by its match fields
//!   (`SELECT id FROM <module> WHERE f1 = 'v1' AND … LIMIT 2`, values escaped by the VTQL
//!   builder), create it when nothing matches, revise the one match, and report
//!   `MULTIPLE_MATCHES` (naming the ids) when several do. Records of one batch with the same
//!   key ([`UpsertPlan::key`]: the match values lower-cased, trailing spaces dropped, as
//!   MySQL's default collation compares them) must run one after the other, in input order:
//!   two lookups of the same new key at once would both find nothing and both create.

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::vtql::{Select, Value};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Json};

/// The write operations whose failures [`unconfirmed`] reads.
const WRITES: &[&str] = &["create", "update", "revise", "delete"];

/// The error a bulk result reports for a write that failed with `e`: `OUTCOME_UNKNOWN` (with a
/// message saying what may have happened; the host keeps `e` as its cause) when the failure
/// leaves open whether the server executed the write, else `None` (report `e` as it is).
///
/// `write_op` is the write (`create`, `update`, `revise`, `delete`); `e.operation` the
/// request that failed (a login's `getchallenge`, a `describe`, or the write itself).
pub fn unconfirmed(write_op: &str, e: &Error) -> Option<Error> {
    if !WRITES.contains(&write_op) || e.operation.as_deref() != Some(write_op) {
        return None;
    }
    let unknown = match e.code {
        ErrorCode::Transport
        | ErrorCode::Timeout
        | ErrorCode::Aborted
        | ErrorCode::InvalidResponse
        | ErrorCode::ResponseTooLarge
        | ErrorCode::ServerError => true,
        // A server code is the server's own answer: the operation ran and failed.
        _ => e.crm_code.is_none() && e.status.is_some_and(|s| s >= 500),
    };
    if !unknown {
        return None;
    }
    let what = match write_op {
        "create" => "the record may exist: look it up before creating it again",
        "delete" => "the record may be deleted",
        _ => "the change may have been saved",
    };
    let mut out = Error::new(
        ErrorCode::OutcomeUnknown,
        cat!(
            write_op,
            " sent, outcome unknown (",
            e.code_str(),
            ": ",
            e.message,
            "): ",
            what
        ),
    )
    .with_operation(write_op);
    out.status = e.status;
    Some(out)
}

/// One record's upsert: its lookup query and its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsertPlan {
    /// `SELECT id FROM <module> WHERE … LIMIT 2;`
    pub query: String,
    /// The match values as the server compares them (JSON text of an array): records of a
    /// batch with equal keys run one after the other.
    pub key: String,
}

impl UpsertPlan {
    /// The plan for `element` (a JSON object) matched on `fields` in `module`. INVALID_INPUT
    /// naming the match field when the record has no usable value for it (absent, empty,
    /// `null`, not a string or a number: the lookup would match records it should not).
    pub fn new(module: &str, element: &Json, fields: &[String]) -> Result<UpsertPlan> {
        if fields.is_empty() {
            return Err(Error::invalid_input(
                "match",
                "match must name at least one field",
            ));
        }
        let mut sel = Select::from(module)?.fields(&["id"])?.limit(2);
        let mut key = String::from("[");
        for (i, f) in fields.iter().enumerate() {
            let (value, text) = match element.get(f) {
                Some(Json::Str(s)) if !s.trim().is_empty() => (Value::str(s.as_str()), s.as_str()),
                Some(Json::Num(n)) => (Value::num(n).map_err(|e| at(f, e))?, n.as_str()),
                _ => {
                    return Err(Error::invalid_input(
                        f.as_str(),
                        cat!(
                            "the record has no value for the match field '",
                            f,
                            "' (a non-empty string or a number)"
                        ),
                    ))
                }
            };
            sel = sel.where_eq(f, value).map_err(|e| at(f, e))?;
            if i > 0 {
                key.push(',');
            }
            json::quote(&fold(text.trim_end_matches(' ')), &mut key);
        }
        key.push(']');
        let query = sel.render().map_err(|e| at("match", e))?;
        Ok(UpsertPlan { query, key })
    }

    /// What the lookup's rows (`[{"id":…}, …]`, JSON text) decide: `None` create, `Some(id)`
    /// revise that record; MULTIPLE_MATCHES (naming the ids) when several match.
    pub fn decide(rows_json: &str, module: &str) -> Result<Option<String>> {
        let rows = json::parse(rows_json)
            .ok()
            .and_then(|v| match v {
                Json::Arr(a) => Some(a),
                _ => None,
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidResponse,
                    "the lookup's answer is not a list of rows",
                )
                .with_operation("query")
            })?;
        let ids: Vec<String> = rows
            .iter()
            .filter_map(|r| match r.get("id") {
                Some(Json::Str(s)) => Some(s.clone()),
                Some(Json::Num(n)) => Some(n.clone()),
                _ => None,
            })
            .collect();
        if ids.len() != rows.len() {
            return Err(
                Error::new(ErrorCode::InvalidResponse, "a row of the lookup has no id")
                    .with_operation("query"),
            );
        }
        match ids.len() {
            0 => Ok(None),
            1 => Ok(ids.into_iter().next()),
            _ => Err(Error::new(
                ErrorCode::MultipleMatches,
                cat!("several ", module, " records match (", ids.join(", "), ", perhaps more): nothing was written; make the match fields unique or narrow them"),
            )
            .with_operation("upsert")),
        }
    }
}

/// Case folding for batch keys: ASCII and Latin-1 letters (`A`–`Z`, `À`–`Þ` but `×`) as
/// lower case. MySQL's default collations fold more (all of Unicode, and accents: `é` = `e`);
/// full Unicode tables would cost the wasm module about 10 KB gzip. Keys that the server
/// equates but this fold does not run concurrently (the README's race note covers them).
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'A'..='Z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{DE}' => {
                char::from_u32(c as u32 + 0x20).unwrap_or(c)
            }
            c => c,
        })
        .collect()
}

/// `e` naming the match field `f`.
fn at(f: &str, mut e: Error) -> Error {
    e.field = Some(f.to_owned());
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(t: &str) -> Json {
        json::parse(t).unwrap()
    }

    #[test]
    fn plan_escapes_values_and_keys_like_the_server_compares() {
        let p = UpsertPlan::new(
            "Contacts",
            &el(r#"{"email":"O'Neil@Example.com  ","lastname":"x"}"#),
            &["email".to_owned()],
        )
        .unwrap();
        assert_eq!(
            p.query,
            "SELECT id FROM Contacts WHERE email = 'O''Neil@Example.com  ' LIMIT 2;"
        );
        assert_eq!(p.key, r#"["o'neil@example.com"]"#);
        let q = UpsertPlan::new(
            "Contacts",
            &el(r#"{"email":"o'neil@example.com","x":1}"#),
            &["email".to_owned()],
        )
        .unwrap();
        assert_eq!(p.key, q.key);
        assert_eq!(fold("ÀÉÎÕÜ×Þß Zz"), "àéîõü×þß zz");
    }

    #[test]
    fn plan_refuses_a_record_without_a_usable_match_value() {
        for rec in [
            r#"{"lastname":"x"}"#,
            r#"{"email":""}"#,
            r#"{"email":"  "}"#,
            r#"{"email":null}"#,
            r#"{"email":true}"#,
            r#"{"email":{"a":1}}"#,
        ] {
            let e = UpsertPlan::new("Contacts", &el(rec), &["email".to_owned()]).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{rec}");
            assert_eq!(e.field.as_deref(), Some("email"), "{rec}");
        }
        let e = UpsertPlan::new("Contacts", &el("{}"), &[]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("match"));
        let e = UpsertPlan::new("Contacts", &el(r#"{"a b":"x"}"#), &["a b".to_owned()]);
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidInput);
    }

    #[test]
    fn two_fields_and_numbers() {
        let p = UpsertPlan::new(
            "Accounts",
            &el(r#"{"accountname":"ACME","employees":12}"#),
            &["accountname".to_owned(), "employees".to_owned()],
        )
        .unwrap();
        assert_eq!(
            p.query,
            "SELECT id FROM Accounts WHERE accountname = 'ACME' AND employees = '12' LIMIT 2;"
        );
        assert_eq!(p.key, r#"["acme","12"]"#);
    }

    #[test]
    fn decide_create_revise_or_several() {
        assert_eq!(UpsertPlan::decide("[]", "Contacts").unwrap(), None);
        assert_eq!(
            UpsertPlan::decide(r#"[{"id":"12x5"}]"#, "Contacts").unwrap(),
            Some("12x5".to_owned())
        );
        let e = UpsertPlan::decide(r#"[{"id":"12x5"},{"id":"12x9"}]"#, "Contacts").unwrap_err();
        assert_eq!(e.code, ErrorCode::MultipleMatches);
        assert!(e.message.contains("12x5, 12x9"), "{}", e.message);
        for bad in ["{}", "[{}]", "nope"] {
            assert_eq!(
                UpsertPlan::decide(bad, "Contacts").unwrap_err().code,
                ErrorCode::InvalidResponse
            );
        }
    }

    fn failed(code: ErrorCode, op: &str) -> Error {
        Error::new(code, "boom").with_operation(op)
    }

    #[test]
    fn a_write_that_broke_off_may_have_run() {
        for code in [
            ErrorCode::Transport,
            ErrorCode::Timeout,
            ErrorCode::InvalidResponse,
            ErrorCode::ResponseTooLarge,
            ErrorCode::ServerError,
        ] {
            let e = unconfirmed("create", &failed(code.clone(), "create")).unwrap();
            assert_eq!(e.code, ErrorCode::OutcomeUnknown);
            assert!(e.message.contains("may exist"), "{}", e.message);
            assert!(unconfirmed("revise", &failed(code, "revise")).is_some());
        }
        let mut e = failed(ErrorCode::Other("X".into()), "update");
        e.status = Some(502);
        assert_eq!(unconfirmed("update", &e).unwrap().status, Some(502));
    }

    #[test]
    fn a_write_that_was_refused_or_never_sent_did_not_run() {
        // The login or the describe broke off: the write was never sent.
        assert!(unconfirmed("create", &failed(ErrorCode::Transport, "getchallenge")).is_none());
        assert!(unconfirmed("create", &failed(ErrorCode::Timeout, "describe")).is_none());
        // The server refused it.
        let mut e = Error::from_server(crate::error::CrmCode::Str("ACCESS_DENIED".into()), "no")
            .with_operation("create");
        e.status = Some(500);
        assert!(unconfirmed("create", &e).is_none());
        assert!(unconfirmed("create", &failed(ErrorCode::InvalidInput, "create")).is_none());
        assert!(unconfirmed("create", &failed(ErrorCode::InvalidSessionId, "create")).is_none());
        assert!(unconfirmed("query", &failed(ErrorCode::Timeout, "query")).is_none());
    }
}
