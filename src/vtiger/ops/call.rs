//! One operation as a [`Call`] (operation, method, parameters, whether a session is
//! needed) and its exact HTTP request; the stock GET/POST operation table; the generic
//! [`call`] for any operation.

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::Endpoint;
use crate::encode::encode_component;
use crate::error::{Error, ErrorCode, Result};
use crate::http::{redacted_pairs, HttpRequest, Method};
use crate::secret::Secret;
use core::fmt;

/// Longest GET URL this client builds (request-line limits of Apache and nginx are ~8 KB).
pub const MAX_GET_URL_BYTES: usize = 8192;
/// Operations registered as GET on stock 8.x (spec §6.1, confirmed by the fixtures).
const GET_OPERATIONS: &[&str] = &[
    "getchallenge",
    "listtypes",
    "describe",
    "retrieve",
    "query",
    "sync",
    "retrieve_inventory",
    "relatedtypes",
    "retrieve_related",
    "query_related",
    "files_retrieve",
];

/// Operations registered as POST on stock 8.x.
const POST_OPERATIONS: &[&str] = &[
    "login",
    "logout",
    "extendsession",
    "create",
    "update",
    "revise",
    "delete",
    "convertlead",
    "changepassword",
    "deleteuser",
    "add_related",
    "wsapp_register",
    "wsapp_deregister",
    "wsapp_get",
    "wsapp_put",
    "wsapp_map",
];

/// True when the operation is registered as GET (its parameters are read from the query
/// string). Case-insensitive, like the server's lookup.
pub fn is_get_operation(op: &str) -> bool {
    GET_OPERATIONS.iter().any(|o| o.eq_ignore_ascii_case(op))
}

/// True when the operation is one of the registered stock operations (GET or POST type,
/// including `mobile.*`).
pub fn is_known_operation(op: &str) -> bool {
    is_get_operation(op)
        || POST_OPERATIONS.iter().any(|o| o.eq_ignore_ascii_case(op))
        || op
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("mobile."))
}

/// Parameter names a caller may never set: the client owns them.
fn reserved_param(name: &str) -> bool {
    ["phpsessid", "sessionname", "operation"]
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
}

/// True for the values PHP treats as "missing" (`""` and `"0"`).
pub(super) fn php_falsy(v: &str) -> bool {
    v.is_empty() || v == "0"
}

/// One operation, ready to be turned into an HTTP request.
#[derive(Clone, PartialEq, Eq)]
pub struct Call {
    /// Operation name as sent (`operation=`).
    pub operation: String,
    /// GET (params in the query string) or POST (params in a form body).
    pub method: Method,
    /// Parameters, in the order they are sent (after `operation` and `sessionName`).
    pub params: Vec<(String, String)>,
    /// Whether `sessionName` is sent (every operation except `getchallenge` and `login`).
    pub needs_session: bool,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = redacted_pairs(&self.params);
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("params", &params)
            .field("needs_session", &self.needs_session)
            .finish()
    }
}

impl Call {
    pub(super) fn new(operation: &str, params: Vec<(String, String)>) -> Call {
        let lower = operation.to_ascii_lowercase();
        Call {
            operation: operation.to_owned(),
            method: if is_get_operation(&lower) {
                Method::Get
            } else {
                Method::Post
            },
            params,
            needs_session: !matches!(lower.as_str(), "getchallenge" | "login"),
        }
    }

    /// The value of a parameter, if set.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn check_params(&self) -> Result<()> {
        let known = is_known_operation(&self.operation);
        for (k, v) in &self.params {
            if k.is_empty() {
                return Err(Error::invalid_input("params", "a parameter name is empty"));
            }
            if reserved_param(k) {
                return Err(Error::invalid_input(
                    k.clone(),
                    cat!(
                        "parameter '",
                        k,
                        "' is managed by the client and cannot be set (PHPSESSID is never sent)"
                    ),
                ));
            }
            if known && php_falsy(v) {
                return Err(Error::invalid_input(
                    k.clone(),
                    // `v` is "" or "0": quoted by hand (no `{:?}`, whose escaper pulls Unicode tables into the wasm).
                    cat!(
                        "parameter '",
                        k,
                        "' is \"",
                        v,
                        "\": the server treats \"\" and \"0\" as a missing value"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Builds the exact HTTP request. `session` is required (non-empty) when
    /// [`Call::needs_session`]; without it the error is AUTHENTICATION_REQUIRED (nothing is
    /// sent; log in first). Errors carry the operation name.
    pub fn to_request(&self, ep: &Endpoint, session: Option<&Secret>) -> Result<HttpRequest> {
        self.build(ep, session)
            .map_err(|e| e.with_operation(self.operation.clone()))
    }

    fn build(&self, ep: &Endpoint, session: Option<&Secret>) -> Result<HttpRequest> {
        if !valid_operation_name(&self.operation) {
            return Err(Error::invalid_input(
                "operation",
                "operation names are made of [A-Za-z0-9_.]",
            ));
        }
        self.check_params()?;
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(self.params.len() + 2);
        pairs.push(("operation", &self.operation));
        if self.needs_session {
            match session {
                Some(s) if !s.is_empty() => pairs.push(("sessionName", s.expose())),
                _ => {
                    return Err(Error::new(
                        ErrorCode::AuthenticationRequired,
                        cat!(
                            "operation '",
                            self.operation,
                            "' needs a session: log in first"
                        ),
                    ))
                }
            }
        }
        pairs.extend(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        match self.method {
            Method::Get => {
                let mut url = String::with_capacity(ep.url().len() + 64);
                url.push_str(ep.url());
                for (i, (k, v)) in pairs.iter().enumerate() {
                    url.push(if i == 0 { '?' } else { '&' });
                    encode_component(k, &mut url);
                    url.push('=');
                    encode_component(v, &mut url);
                }
                if url.len() > MAX_GET_URL_BYTES {
                    let field = self
                        .params
                        .iter()
                        .max_by_key(|(_, v)| v.len())
                        .map(|(k, _)| k.clone())
                        .unwrap_or_else(|| "url".to_owned());
                    return Err(Error::invalid_input(
                        field.clone(),
                        cat!(
                            "the GET URL would be ",
                            url.len(),
                            " bytes, over the ",
                            MAX_GET_URL_BYTES,
                            "-byte limit of common web servers; shorten '",
                            field,
                            "' (e.g. split a long IN (…) list into several queries)"
                        ),
                    ));
                }
                Ok(HttpRequest {
                    method: Method::Get,
                    url,
                    headers,
                    body: None,
                })
            }
            Method::Post => {
                headers.push((
                    "Content-Type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                ));
                let body = crate::encode::form_encode(&pairs).into_bytes();
                Ok(HttpRequest {
                    method: Method::Post,
                    url: ep.url().to_owned(),
                    headers,
                    body: Some(body),
                })
            }
            other => Err(Error::invalid_input(
                "method",
                cat!("Vtiger webservice calls are GET or POST, not ", other),
            )),
        }
    }
}

fn valid_operation_name(op: &str) -> bool {
    !op.is_empty()
        && op
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// A generic call. `method` defaults to the operation's registered type; for a known
/// operation it must match it (the server would not see the parameters otherwise). Refuses
/// malformed operation names, `PHPSESSID`/`sessionName`/`operation` parameters and (for
/// known operations) PHP-falsy values, all as INVALID_INPUT.
pub fn call(
    operation: &str,
    params: Vec<(String, String)>,
    method: Option<Method>,
) -> Result<Call> {
    let run = || -> Result<Call> {
        if !valid_operation_name(operation) {
            return Err(Error::invalid_input(
                "operation",
                "operation names are made of [A-Za-z0-9_.]",
            ));
        }
        let mut c = Call::new(operation, params);
        if let Some(m) = method {
            if !matches!(m, Method::Get | Method::Post) {
                return Err(Error::invalid_input(
                    "method",
                    cat!("Vtiger webservice calls are GET or POST, not ", m),
                ));
            }
            if is_known_operation(operation) && m != c.method {
                return Err(Error::invalid_input(
                    "method",
                    cat!(
                        "operation '",
                        operation,
                        "' is registered as ",
                        c.method,
                        ": sent as ",
                        m,
                        " the server would not see its parameters"
                    ),
                ));
            }
            c.method = m;
        }
        c.check_params()?;
        Ok(c)
    };
    run().map_err(|e| e.with_operation(operation))
}
