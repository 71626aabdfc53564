//! Every Vtiger webservice operation as a pure request builder.
//!
//! A builder returns a [`Call`] (operation, method, parameters, whether a session is needed);
//! [`Call::to_request`] turns it into the exact [`HttpRequest`] for an [`Endpoint`].
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
//!   Operations unknown to the client (extensions, sent through [`call`]) are not checked.
//! * A GET whose URL would exceed [`MAX_GET_URL_BYTES`] is refused (INVALID_INPUT naming the
//!   largest parameter), instead of letting the web server answer 414 or cut the request.

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::encode::{encode_component, md5_hex};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{redacted_pairs, HttpRequest, Method};
use crate::json::{self, Json};
use crate::secret::Secret;
use crate::vtiger::id::WsId;
use std::fmt;

/// Longest GET URL this client builds (request-line limits of Apache and nginx are ~8 KB).
pub const MAX_GET_URL_BYTES: usize = 8192;

/// The normalised absolute URL of a CRM's `webservice.php`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
}

impl Endpoint {
    /// Accepts a CRM base URL (`https://crm.example/`, `https://host/vtigercrm`) or the full
    /// `…/webservice.php` URL. Refuses (INVALID_INPUT, field `url`) a scheme other than
    /// http/https, embedded credentials, a missing host, a query string or a fragment.
    /// Scheme and host are lower-cased, trailing slashes dropped, non-ASCII path bytes
    /// percent-encoded. The input is never echoed in an error (it may hold credentials).
    pub fn parse(input: &str) -> Result<Endpoint> {
        let bad = |msg: &str| Error::invalid_input("url", msg.to_owned());
        let s = input.trim();
        let (scheme, rest) = if s
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("http://"))
        {
            ("http", &s[7..])
        } else if s
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
        {
            ("https", &s[8..])
        } else {
            return Err(bad("the CRM URL must start with http:// or https://"));
        };
        if rest.contains('?') {
            return Err(bad("the CRM URL must not contain a query string"));
        }
        if rest.contains('#') {
            return Err(bad("the CRM URL must not contain a fragment"));
        }
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "the CRM URL must not contain spaces or control characters",
            ));
        }
        let (authority, path) = match rest.find(['/', '\\']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.contains('\\') {
            return Err(bad("the CRM URL must not contain a backslash"));
        }
        if authority.contains('@') {
            return Err(bad(
                "the CRM URL must not embed credentials (user:password@host); pass the user name and access key separately",
            ));
        }
        let (host, port) = split_host_port(authority)
            .ok_or_else(|| bad("the CRM URL has an invalid host or port"))?;
        if host.is_empty() {
            return Err(bad("the CRM URL has no host"));
        }
        let mut url = String::with_capacity(s.len() + 16);
        url.push_str(scheme);
        url.push_str("://");
        url.push_str(&host.to_ascii_lowercase());
        if let Some(p) = port {
            url.push(':');
            url.push_str(p);
        }
        let path = path.trim_end_matches('/');
        for &b in path.as_bytes() {
            if b.is_ascii() {
                url.push(char::from(b));
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
        let ends_with_ws = path
            .len()
            .checked_sub("/webservice.php".len())
            .and_then(|i| path.get(i..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case("/webservice.php"));
        if !ends_with_ws {
            url.push_str("/webservice.php");
        }
        Ok(Endpoint { url })
    }

    /// The absolute URL of `webservice.php`, without a query string.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Splits `host[:port]` / `[v6][:port]`; `None` when malformed.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &authority[..end + 2];
        if !rest[..end]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            || end == 0
        {
            return None;
        }
        match &rest[end + 1..] {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        let (h, p) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if !h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return None;
        }
        (h, p)
    };
    if let Some(p) = port {
        if p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().ok()? > 65535
        {
            return None;
        }
    }
    Some((host, port))
}

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
fn php_falsy(v: &str) -> bool {
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
    fn new(operation: &str, params: Vec<(String, String)>) -> Call {
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

    fn check_params(&self) -> Result<()> {
        let known = is_known_operation(&self.operation);
        for (k, v) in &self.params {
            if k.is_empty() {
                return Err(Error::invalid_input("params", "a parameter name is empty"));
            }
            if reserved_param(k) {
                return Err(Error::invalid_input(
                    k.clone(),
                    format!("parameter '{k}' is managed by the client and cannot be set (PHPSESSID is never sent)"),
                ));
            }
            if known && php_falsy(v) {
                return Err(Error::invalid_input(
                    k.clone(),
                    // `v` is "" or "0": quoted by hand (no `{:?}`, whose escaper pulls Unicode tables into the wasm).
                    format!("parameter '{k}' is \"{v}\": the server treats \"\" and \"0\" as a missing value"),
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
                        format!(
                            "operation '{}' needs a session: log in first",
                            self.operation
                        ),
                    ))
                }
            }
        }
        pairs.extend(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        match self.method {
            Method::Get => {
                let mut url = String::with_capacity(ep.url.len() + 64);
                url.push_str(&ep.url);
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
                        format!(
                            "the GET URL would be {} bytes, over the {MAX_GET_URL_BYTES}-byte limit of common web servers; shorten '{field}' (e.g. split a long IN (…) list into several queries)",
                            url.len()
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
                    url: ep.url.clone(),
                    headers,
                    body: Some(body),
                })
            }
            other => Err(Error::invalid_input(
                "method",
                format!("Vtiger webservice calls are GET or POST, not {other}"),
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
                    format!("Vtiger webservice calls are GET or POST, not {m}"),
                ));
            }
            if is_known_operation(operation) && m != c.method {
                return Err(Error::invalid_input(
                    "method",
                    format!(
                        "operation '{operation}' is registered as {}: sent as {m} the server would not see its parameters",
                        c.method
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
            format!("'{shown}' is not a module name ([A-Za-z][A-Za-z0-9_]*)"),
        ))
    }
}

fn require_truthy(value: &str, field: &str) -> Result<()> {
    if php_falsy(value) {
        Err(Error::invalid_input(
            field,
            format!("'{field}' must not be empty or \"0\""),
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

/// What to do with characters outside the Basic Multilingual Plane (emoji…) in an element.
/// Stock Vtiger 8 databases are utf8mb3 and silently store them as `????`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FourBytePolicy {
    /// Refuse with INVALID_INPUT naming the field (default).
    #[default]
    Reject,
    /// Replace each such character by U+FFFD.
    Replace,
    /// Send as is (for utf8mb4 databases).
    Send,
}

/// A record (`element`) to send: a JSON object plus the 4-byte-character policy.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementInput {
    value: Json,
    policy: FourBytePolicy,
}

impl ElementInput {
    /// From JSON text (what `JSON.stringify` gives). INVALID_INPUT (field `element`) when it is
    /// not JSON, holds a lone surrogate escape, or is not an object.
    pub fn parse(text: &str) -> Result<ElementInput> {
        let value = json::parse(text).map_err(|e| {
            Error::invalid_input("element", format!("the element is not valid JSON: {e}"))
        })?;
        ElementInput::new(value)
    }

    /// From a [`Json`] value; it must be an object (INVALID_INPUT, field `element`).
    pub fn new(value: Json) -> Result<ElementInput> {
        if !matches!(value, Json::Obj(_)) {
            return Err(Error::invalid_input(
                "element",
                "the element must be a JSON object",
            ));
        }
        Ok(ElementInput {
            value,
            policy: FourBytePolicy::default(),
        })
    }

    /// Sets the 4-byte-character policy.
    pub fn with_policy(mut self, policy: FourBytePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> FourBytePolicy {
        self.policy
    }

    /// The element object.
    pub fn value(&self) -> &Json {
        &self.value
    }

    /// A member of the element.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.value.get(key)
    }

    /// The wire text of the element (see [`encode_element`]).
    pub fn encode(&self, module: Option<&str>) -> Result<String> {
        encode_element(&self.value, module, self.policy)
    }
}

/// Serialises an element for the wire: compact, raw UTF-8 (never `\uXXXX` for non-ASCII, no
/// surrogate pairs), characters above U+FFFF handled per `policy` (INVALID_INPUT naming the
/// field path for [`FourBytePolicy::Reject`]). A string holding a literal backslash + `u` +
/// 4 hex digits is refused: Vtiger's decoder would turn it into a different character.
/// For `module == Some("Calendar")` a missing, null or empty `activitytype` is set to
/// `"Task"` (otherwise the record becomes unreachable by its own id).
pub fn encode_element(
    element: &Json,
    module: Option<&str>,
    policy: FourBytePolicy,
) -> Result<String> {
    let Json::Obj(members) = element else {
        return Err(Error::invalid_input(
            "element",
            "the element must be a JSON object",
        ));
    };
    let mut members = members.clone();
    for (k, v) in members.iter_mut() {
        clean_value(v, k, policy)?;
    }
    for (k, _) in members.iter_mut() {
        let path = k.clone();
        clean_string(k, &path, policy)?;
    }
    if module == Some("Calendar") {
        match members.iter_mut().find(|(k, _)| k == "activitytype") {
            Some((_, v)) => {
                if matches!(v, Json::Null) || v.as_str() == Some("") {
                    *v = Json::Str("Task".to_owned());
                }
            }
            None => members.push(("activitytype".to_owned(), Json::Str("Task".to_owned()))),
        }
    }
    Ok(Json::Obj(members).to_json())
}

fn clean_value(v: &mut Json, path: &str, policy: FourBytePolicy) -> Result<()> {
    match v {
        Json::Str(s) => clean_string(s, path, policy),
        Json::Num(n) => {
            if json::is_number(n) {
                Ok(())
            } else {
                Err(Error::invalid_input(
                    path,
                    format!("field '{path}' holds an invalid JSON number"),
                ))
            }
        }
        Json::Arr(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                clean_value(x, &format!("{path}.{i}"), policy)?;
            }
            Ok(())
        }
        Json::Obj(m) => {
            for (k, x) in m.iter_mut() {
                let sub = format!("{path}.{k}");
                clean_string(k, &sub, policy)?;
                clean_value(x, &sub, policy)?;
            }
            Ok(())
        }
        Json::Null | Json::Bool(_) => Ok(()),
    }
}

fn clean_string(s: &mut String, path: &str, policy: FourBytePolicy) -> Result<()> {
    if has_backslash_u_hex(s) {
        return Err(Error::invalid_input(
            path,
            format!("field '{path}' contains a backslash followed by 'u' and 4 hex digits, which Vtiger's JSON decoder turns into another character"),
        ));
    }
    // Every 4-byte UTF-8 sequence starts with a byte >= 0xF0.
    if !s.bytes().any(|b| b >= 0xF0) {
        return Ok(());
    }
    match policy {
        FourBytePolicy::Send => Ok(()),
        FourBytePolicy::Replace => {
            *s = s.chars().map(|c| if u32::from(c) > 0xFFFF { '\u{FFFD}' } else { c }).collect();
            Ok(())
        }
        FourBytePolicy::Reject => Err(Error::invalid_input(
            path,
            format!(
                "field '{path}' contains a character outside the Basic Multilingual Plane (such as an emoji); a stock Vtiger database (utf8mb3) silently stores it as '????'. Remove it, or choose the Replace or Send policy"
            ),
        )),
    }
}

fn has_backslash_u_hex(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(6).any(|w| {
        w[0] == b'\\' && (w[1] == b'u' || w[1] == b'U') && w[2..].iter().all(u8::is_ascii_hexdigit)
    })
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

fn element_with_id(op: &str, element: &ElementInput, id_field: &str) -> Result<Call> {
    let run = || -> Result<Call> {
        match element.get(id_field) {
            Some(Json::Str(s)) => {
                WsId::parse_field(s, id_field)?;
            }
            _ => {
                return Err(Error::invalid_input(
                    id_field,
                    format!(
                        "the element needs '{id_field}' as a webservice id string (e.g. \"12x34\")"
                    ),
                ))
            }
        }
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
    Call::new("retrieve", vec![p("id", id.to_string())])
}

/// `delete` (POST): `id`.
pub fn delete(id: WsId) -> Call {
    Call::new("delete", vec![p("id", id.to_string())])
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
        let mut params = vec![p("modifiedTime", modified_time.max(1).to_string())];
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
                p("id", id.to_string()),
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
                p("id", id.to_string()),
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
        p("sourceRecordId", source_id.to_string()),
        p("relatedRecordId", related_id.to_string()),
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
    Ok(Call::new("files_retrieve", vec![p("id", id.to_string())]))
}

/// `retrieve_inventory` (GET): `id` (HTTP 500 on stock 8.3/8.4; `retrieve` already returns
/// line items).
pub fn retrieve_inventory(id: WsId) -> Call {
    Call::new("retrieve_inventory", vec![p("id", id.to_string())])
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
                p("token", token.max(1).to_string()),
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

    fn ep() -> Endpoint {
        Endpoint::parse("https://crm.example/").unwrap()
    }

    #[test]
    fn endpoint_normalises() {
        for (inp, want) in [
            ("https://crm.example/", "https://crm.example/webservice.php"),
            ("https://crm.example", "https://crm.example/webservice.php"),
            (
                "  HTTP://CRM.Example:8080/vtigercrm// ",
                "http://crm.example:8080/vtigercrm/webservice.php",
            ),
            (
                "https://crm.example/vtigercrm/webservice.php",
                "https://crm.example/vtigercrm/webservice.php",
            ),
            (
                "http://127.0.0.1:8082/webservice.php",
                "http://127.0.0.1:8082/webservice.php",
            ),
            (
                "http://[::1]:8080/crm",
                "http://[::1]:8080/crm/webservice.php",
            ),
        ] {
            assert_eq!(Endpoint::parse(inp).unwrap().url(), want, "{inp}");
        }
    }

    #[test]
    fn endpoint_refuses_bad_urls() {
        for bad in [
            "ftp://crm.example/",
            "crm.example",
            "https://user:pass@crm.example/",
            "https:///path",
            "https://crm.example/?a=1",
            "https://crm.example/#x",
            "https://crm.example:99999/",
            "https://crm.example:/",
            "https://cr m.example/",
            "javascript:alert(1)",
        ] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{bad}");
            assert_eq!(e.field.as_deref(), Some("url"), "{bad}");
        }
        let e = Endpoint::parse("https://admin:hunter2@crm.example/").unwrap_err();
        assert!(!format!("{e} {e:?}").contains("hunter2"));
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
