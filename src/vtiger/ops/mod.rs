//! Every Vtiger webservice operation as a pure request builder.
//!
//! A builder returns a [`Call`] (operation, method, parameters, whether a session is needed);
//! [`Call::to_request`] turns it into the exact [`HttpRequest`](crate::http::HttpRequest) for an [`Endpoint`].
//!
//! Wire rules enforced here (spec §1, live findings):
//! * GET-type operations carry `operation`, `sessionName` and every parameter **only in the
//!   query string**; POST-type operations carry them **only in an
//!   `application/x-www-form-urlencoded` body** (the server reads GET-type params from `$_GET`
//!   and POST-type params from `$_POST`; the other place is silently ignored).
//! * `PHPSESSID` is never sent (any `PHPSESSID` parameter breaks the call) and `sessionName`
//!   only comes from the session argument.
//! * **PHP-falsy values**: the server replaces a registered parameter whose value is `""` or
//!   `"0"` by its default (as if missing). For every operation this client knows, such a value
//!   is refused with INVALID_INPUT naming the parameter ([`Call::to_request`] checks every
//!   param; the typed builders already avoid it, e.g. `sync` maps modifiedTime 0 to 1).
//!   Operations unknown to the client (extensions, sent through [`call()`]) are not checked.
//! * A GET whose URL would exceed [`MAX_GET_URL_BYTES`] is refused (INVALID_INPUT naming the
//!   largest parameter), instead of letting the web server answer 414 or cut the request.
//!
//! Layout: `endpoint.rs` ([`Endpoint`]), `call.rs` ([`Call`], the operation table, the
//! generic [`call()`]), `element.rs` ([`ElementInput`], [`encode_element`]); this file holds
//! the typed builder of each operation.

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

mod call;
mod element;
mod endpoint;
mod multipart;

pub use call::{call, is_get_operation, is_known_operation, Call, MAX_GET_URL_BYTES};
pub use element::{encode_element, ElementInput, FourBytePolicy};
pub(crate) use element::{has_four_byte, replace_four_byte};
pub use endpoint::Endpoint;
pub use multipart::multipart_request;

use crate::encode::md5_hex;
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::secret::Secret;
use crate::vtiger::id::WsId;
use call::php_falsy;

fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

/// Checks a module name (`^[A-Za-z][A-Za-z0-9_]*$`); INVALID_INPUT naming `field`.
pub fn validate_module(name: &str, field: &str) -> Result<()> {
    let ok = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 64;
    if ok {
        Ok(())
    } else {
        let shown: String = name.chars().take(40).collect();
        Err(Error::invalid_input(
            field,
            cat!("'", shown, "' is not a module name ([A-Za-z][A-Za-z0-9_]*)"),
        ))
    }
}

fn require_truthy(value: &str, field: &str) -> Result<()> {
    if php_falsy(value) {
        Err(Error::invalid_input(
            field,
            cat!("'", field, "' must not be empty or \"0\""),
        ))
    } else {
        Ok(())
    }
}

fn with_op<T>(op: &str, r: Result<T>) -> Result<T> {
    r.map_err(|e| e.with_operation(op))
}

/// `getchallenge` (GET, no session): `username`.
pub fn getchallenge(username: &str) -> Result<Call> {
    with_op("getchallenge", require_truthy(username, "username"))?;
    Ok(Call::new("getchallenge", vec![p("username", username)]))
}

/// `login` (POST, no session): `username` and `accessKey = md5hex(token + accessKey)`.
pub fn login(username: &str, token: &Secret, access_key: &Secret) -> Result<Call> {
    with_op("login", require_truthy(username, "username"))?;
    if token.is_empty() {
        return Err(
            Error::invalid_input("token", "the challenge token is empty").with_operation("login"),
        );
    }
    if access_key.is_empty() {
        return Err(
            Error::invalid_input("accessKey", "the access key is empty").with_operation("login")
        );
    }
    let mut joined = String::with_capacity(token.expose().len() + access_key.expose().len());
    joined.push_str(token.expose());
    joined.push_str(access_key.expose());
    Ok(Call::new(
        "login",
        vec![p("username", username), p("accessKey", md5_hex(&joined))],
    ))
}

/// `logout` (POST; `sessionName` in the body).
pub fn logout() -> Call {
    Call::new("logout", Vec::new())
}

/// `extendsession` (POST; `sessionName` in the body).
pub fn extendsession() -> Call {
    Call::new("extendsession", Vec::new())
}

/// `listtypes` (GET): all types, or only modules with fields of the given types
/// (`fieldTypeList`, a JSON array; omitted for `None`).
pub fn listtypes(field_types: Option<&[&str]>) -> Call {
    let mut params = Vec::new();
    if let Some(types) = field_types {
        let mut arr = String::from("[");
        for (i, t) in types.iter().enumerate() {
            if i > 0 {
                arr.push(',');
            }
            json::quote(t, &mut arr);
        }
        arr.push(']');
        params.push(p("fieldTypeList", arr));
    }
    Call::new("listtypes", params)
}

/// `describe` (GET): `elementType`.
pub fn describe(module: &str) -> Result<Call> {
    with_op("describe", validate_module(module, "elementType"))?;
    Ok(Call::new("describe", vec![p("elementType", module)]))
}

/// `create` (POST): `elementType`, `element`.
pub fn create(module: &str, element: &ElementInput) -> Result<Call> {
    let run = || -> Result<Call> {
        validate_module(module, "elementType")?;
        let el = element.encode(Some(module))?;
        Ok(Call::new(
            "create",
            vec![p("elementType", module), p("element", el)],
        ))
    };
    with_op("create", run())
}

/// What [`create`] (`Some(module)`), [`update`] or [`revise`] (`None`, with `op`) would
/// refuse, the same error, without building the request.
pub fn check_write(op: &str, module: Option<&str>, element: &ElementInput) -> Result<()> {
    let run = || -> Result<()> {
        match module {
            Some(m) => validate_module(m, "elementType")?,
            None => check_id(element, "id")?,
        }
        element.check()
    };
    with_op(op, run())
}

fn check_id(element: &ElementInput, id_field: &str) -> Result<()> {
    match element.get(id_field) {
        Some(Json::Str(s)) => WsId::parse_field(s, id_field).map(drop),
        _ => Err(Error::invalid_input(
            id_field,
            cat!(
                "the element needs '",
                id_field,
                "' as a webservice id string (e.g. \"12x34\")"
            ),
        )),
    }
}

fn element_with_id(op: &str, element: &ElementInput, id_field: &str) -> Result<Call> {
    let run = || -> Result<Call> {
        check_id(element, id_field)?;
        let el = element.encode(None)?;
        Ok(Call::new(op, vec![p("element", el)]))
    };
    with_op(op, run())
}

/// `update` (POST): `element` (must hold `id`; all mandatory fields are required by the server).
pub fn update(element: &ElementInput) -> Result<Call> {
    element_with_id("update", element, "id")
}

/// `revise` (POST): `element` (must hold `id`; only the fields sent change).
pub fn revise(element: &ElementInput) -> Result<Call> {
    element_with_id("revise", element, "id")
}

/// `retrieve` (GET): `id`.
pub fn retrieve(id: WsId) -> Call {
    Call::new("retrieve", vec![p("id", id.text())])
}

/// `delete` (POST): `id`.
pub fn delete(id: WsId) -> Call {
    Call::new("delete", vec![p("id", id.text())])
}

/// `query` (GET): `query` (VTQL text, sent as is).
pub fn query(vtql: &str) -> Result<Call> {
    if vtql.trim().is_empty() || vtql == "0" {
        return Err(Error::invalid_input("query", "the query is empty").with_operation("query"));
    }
    Ok(Call::new("query", vec![p("query", vtql)]))
}

/// `sync` (GET): `modifiedTime` (Unix seconds; 0 is sent as 1, because the server reads `"0"`
/// as missing), optional `elementType`, optional `syncType` (`user`, `userandgroup`,
/// `application`; ignored by stock servers, honoured by patched ones).
pub fn sync(
    modified_time: i64,
    element_type: Option<&str>,
    sync_type: Option<&str>,
) -> Result<Call> {
    let run = || -> Result<Call> {
        if modified_time < 0 {
            return Err(Error::invalid_input(
                "modifiedTime",
                "modifiedTime must be a Unix time in seconds (>= 0)",
            ));
        }
        let mut params = vec![p("modifiedTime", modified_time.max(1).text())];
        if let Some(m) = element_type {
            validate_module(m, "elementType")?;
            params.push(p("elementType", m));
        }
        if let Some(t) = sync_type {
            if !matches!(t, "user" | "userandgroup" | "application") {
                return Err(Error::invalid_input(
                    "syncType",
                    "syncType must be user, userandgroup or application",
                ));
            }
            params.push(p("syncType", t));
        }
        Ok(Call::new("sync", params))
    };
    with_op("sync", run())
}

/// `relatedtypes` (GET): `elementType`.
pub fn relatedtypes(module: &str) -> Result<Call> {
    with_op("relatedtypes", validate_module(module, "elementType"))?;
    Ok(Call::new("relatedtypes", vec![p("elementType", module)]))
}

/// `retrieve_related` (GET): `id`, `relatedType` (module), `relatedLabel` (exact label from
/// `relatedtypes`). At most 100 rows, no paging (server limitation).
pub fn retrieve_related(id: WsId, related_label: &str, related_type: &str) -> Result<Call> {
    let run = || -> Result<Call> {
        validate_module(related_type, "relatedType")?;
        require_truthy(related_label, "relatedLabel")?;
        Ok(Call::new(
            "retrieve_related",
            vec![
                p("id", id.text()),
                p("relatedType", related_type),
                p("relatedLabel", related_label),
            ],
        ))
    };
    with_op("retrieve_related", run())
}

/// `query_related` (GET): `query`, `id`, `relatedLabel`. Trailing `;` and whitespace are
/// removed from the query (with a trailing `;` the server answers UNKOWN_ENTITY).
pub fn query_related(query: &str, id: WsId, related_label: &str) -> Result<Call> {
    let run = || -> Result<Call> {
        let q = query.trim_end_matches(|c: char| c == ';' || c.is_whitespace());
        if q.trim().is_empty() {
            return Err(Error::invalid_input("query", "the query is empty"));
        }
        require_truthy(related_label, "relatedLabel")?;
        Ok(Call::new(
            "query_related",
            vec![
                p("query", q),
                p("id", id.text()),
                p("relatedLabel", related_label),
            ],
        ))
    };
    with_op("query_related", run())
}

/// `add_related` (POST): `sourceRecordId`, `relatedRecordId`, optional `relationIdLabel`
/// (a relation label or numeric relation id). The server answers success even when no
/// relation matches the label.
pub fn add_related(
    source_id: WsId,
    related_id: WsId,
    relation_label: Option<&str>,
) -> Result<Call> {
    let mut params = vec![
        p("sourceRecordId", source_id.text()),
        p("relatedRecordId", related_id.text()),
    ];
    if let Some(l) = relation_label {
        with_op("add_related", require_truthy(l, "relationIdLabel"))?;
        params.push(p("relationIdLabel", l));
    }
    Ok(Call::new("add_related", params))
}

/// `convertlead` (POST, 8.4 element format): `element` must hold `leadId` (a webservice id)
/// and `entities`.
pub fn convertlead(element: &ElementInput) -> Result<Call> {
    element_with_id("convertlead", element, "leadId")
}

/// `files_retrieve` (GET): `id` = `<record module prefix>x<attachment id>` (from the record's
/// `imageattachmentids`), e.g. `15x290`.
pub fn files_retrieve(id: &str) -> Result<Call> {
    let id = with_op("files_retrieve", WsId::parse_field(id, "id"))?;
    Ok(Call::new("files_retrieve", vec![p("id", id.text())]))
}

/// `retrieve_inventory` (GET): `id` (HTTP 500 on stock 8.3/8.4; `retrieve` already returns
/// line items).
pub fn retrieve_inventory(id: WsId) -> Call {
    Call::new("retrieve_inventory", vec![p("id", id.text())])
}

/// `wsapp_register` (POST): `type` (e.g. `vtigerCRM`), `synctype` (`user`, `app`,
/// `userandgroup`). Result: `{key}`.
pub fn wsapp_register(type_: &str, synctype: &str) -> Result<Call> {
    let run = || -> Result<Call> {
        require_truthy(type_, "type")?;
        if !matches!(synctype, "user" | "app" | "userandgroup") {
            return Err(Error::invalid_input(
                "synctype",
                "synctype must be user, app or userandgroup",
            ));
        }
        Ok(Call::new(
            "wsapp_register",
            vec![p("type", type_), p("synctype", synctype)],
        ))
    };
    with_op("wsapp_register", run())
}

/// `wsapp_get` (POST): `key` (from `wsapp_register`), `module`, `token` (Unix seconds; 0 is
/// sent as 1).
pub fn wsapp_get(key: &Secret, module: &str, token: i64) -> Result<Call> {
    let run = || -> Result<Call> {
        if key.is_empty() {
            return Err(Error::invalid_input("key", "the wsapp key is empty"));
        }
        validate_module(module, "module")?;
        if token < 0 {
            return Err(Error::invalid_input(
                "token",
                "token must be a Unix time in seconds (>= 0)",
            ));
        }
        Ok(Call::new(
            "wsapp_get",
            vec![
                p("key", key.expose()),
                p("module", module),
                p("token", token.max(1).text()),
            ],
        ))
    };
    with_op("wsapp_get", run())
}

/// `wsapp_deregister` (POST): `type`, `key`. Result: `[type, key]`.
pub fn wsapp_deregister(type_: &str, key: &Secret) -> Result<Call> {
    let run = || -> Result<Call> {
        require_truthy(type_, "type")?;
        if key.is_empty() {
            return Err(Error::invalid_input("key", "the wsapp key is empty"));
        }
        Ok(Call::new(
            "wsapp_deregister",
            vec![p("type", type_), p("key", key.expose())],
        ))
    };
    with_op("wsapp_deregister", run())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::http::Method;

    fn ep() -> Endpoint {
        Endpoint::parse("https://crm.example/").unwrap()
    }

    #[test]
    fn get_and_post_placement() {
        let s = Secret::new("sess1");
        let r = retrieve(WsId::new(12, 5).unwrap())
            .to_request(&ep(), Some(&s))
            .unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            r.url,
            "https://crm.example/webservice.php?operation=retrieve&sessionName=sess1&id=12x5"
        );
        assert!(r.body.is_none());
        assert_eq!(r.header("accept"), Some("application/json"));
        let r = delete(WsId::new(12, 5).unwrap())
            .to_request(&ep(), Some(&s))
            .unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.url, "https://crm.example/webservice.php");
        assert_eq!(r.body_text(), "operation=delete&sessionName=sess1&id=12x5");
        assert_eq!(
            r.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn session_required() {
        let e = logout().to_request(&ep(), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::AuthenticationRequired);
        assert_eq!(e.operation.as_deref(), Some("logout"));
        let e = logout()
            .to_request(&ep(), Some(&Secret::new("")))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::AuthenticationRequired);
        // getchallenge never sends a session, even when one is given
        let r = getchallenge("admin")
            .unwrap()
            .to_request(&ep(), Some(&Secret::new("zz")))
            .unwrap();
        assert!(!r.url.contains("sessionName"), "{}", r.url);
    }

    #[test]
    fn generic_call_checks() {
        assert!(call("listtypes", vec![], None).unwrap().method == Method::Get);
        assert!(call("mobile.fetchallalerts", vec![], None).unwrap().method == Method::Post);
        for (op, params, field) in [
            ("list types", vec![], "operation"),
            ("", vec![], "operation"),
            ("listtypes", vec![p("PHPSESSID", "x")], "PHPSESSID"),
            ("listtypes", vec![p("sessionname", "x")], "sessionname"),
            ("retrieve", vec![p("id", "0")], "id"),
            ("retrieve", vec![p("id", "")], "id"),
        ] {
            let e = call(op, params, None).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput);
            assert_eq!(e.field.as_deref(), Some(field), "{op}");
        }
        let e = call("retrieve", vec![p("id", "12x1")], Some(Method::Post)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("method"));
        // unknown operations may choose their method and send falsy values
        let c = call("custom_op", vec![p("flag", "0")], Some(Method::Get)).unwrap();
        assert_eq!(c.method, Method::Get);
        assert!(c.to_request(&ep(), Some(&Secret::new("s"))).is_ok());
    }

    #[test]
    fn long_get_urls_are_refused() {
        let q = format!(
            "SELECT * FROM Contacts WHERE lastname IN ({});",
            vec!["'abcdefgh'"; 1000].join(",")
        );
        let e = query(&q)
            .unwrap()
            .to_request(&ep(), Some(&Secret::new("s")))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("query"));
        assert!(e.message.contains("8192"), "{}", e.message);
        // the same text is fine in a POST body
        let el = ElementInput::new(Json::Obj(vec![("description".into(), Json::Str(q))])).unwrap();
        assert!(create("Contacts", &el)
            .unwrap()
            .to_request(&ep(), Some(&Secret::new("s")))
            .is_ok());
    }

    #[test]
    fn sync_never_sends_zero() {
        assert_eq!(
            sync(0, None, None).unwrap().param("modifiedTime"),
            Some("1")
        );
        assert_eq!(
            sync(1795453982, Some("Accounts"), None)
                .unwrap()
                .param("modifiedTime"),
            Some("1795453982")
        );
        assert_eq!(
            sync(-1, None, None).unwrap_err().field.as_deref(),
            Some("modifiedTime")
        );
        assert_eq!(
            sync(5, Some("bad name"), None)
                .unwrap_err()
                .field
                .as_deref(),
            Some("elementType")
        );
        assert_eq!(
            sync(5, None, Some("all")).unwrap_err().field.as_deref(),
            Some("syncType")
        );
        assert_eq!(
            wsapp_get(&Secret::new("k"), "Accounts", 0)
                .unwrap()
                .param("token"),
            Some("1")
        );
    }

    #[test]
    fn call_debug_redacts_secrets() {
        let c = login("admin", &Secret::new("tok123"), &Secret::new("KEYxyz")).unwrap();
        let digest = md5_hex("tok123KEYxyz");
        assert_eq!(c.param("accessKey"), Some(digest.as_str()));
        let d = format!("{c:?}");
        assert!(
            !d.contains(&digest) && !d.contains("KEYxyz") && !d.contains("tok123"),
            "{d}"
        );
        let c = wsapp_get(&Secret::new("wskey99"), "Accounts", 5).unwrap();
        assert!(!format!("{c:?}").contains("wskey99"));
    }
}
