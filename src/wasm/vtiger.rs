//! `VtigerCore`: the Vtiger protocol state behind the JS `VtigerClient` (pkg/vtiger.js).
//!
//! Division of labour (sans-IO): this object owns the endpoint, the credentials, the
//! challenge token and the session name, builds every request and decodes every response;
//! the JS side only moves bytes through `fetch` (timeouts, aborts, retries, single-flight
//! login, async iterators). Secrets therefore never become JS strings except inside the
//! request URL/body handed to `fetch`; they are never in an error or a returned value.
//!
//! Proxy mode (`VtigerCore.proxy(url, token)`, for `crmwire/proxy`): no login and no
//! `sessionName` (the proxy owns the session); every request carries
//! `Authorization: Bearer <token>` when a token is given.
//!
//! Requests cross to JS as `{ operation, method, url, headers, body, redactedUrl, get }`;
//! successful results cross back as clean JSON text (`envelope::decode_raw`) for a single
//! `JSON.parse` on the JS side (no per-value conversion).

use super::errors::{string_pairs, to_js};
use super::paging::{self, Kind, Pager};
use super::request_to_js;
use super::split::split_select;
use super::sync::SyncState;
use crate::error::{Error, Result};
use crate::http::{HttpResponse, Method};
use crate::secret::Secret;
use crate::vtiger::ops::{self, Call, ElementInput, Endpoint, FourBytePolicy};
use crate::vtiger::paging::{Count, QueryAll};
use crate::vtiger::vtql::Select;
use crate::vtiger::{auth, envelope, WsId};
use js_sys::Array;
use wasm_bindgen::prelude::*;

/// Protocol state of one Vtiger client (endpoint, credentials, session).
#[wasm_bindgen]
pub struct VtigerCore {
    ep: Endpoint,
    username: String,
    access_key: Secret,
    session: Option<Secret>,
    policy: FourBytePolicy,
    login_json: Option<String>,
    /// Proxy mode: `Some(token)` (possibly empty = no Authorization header).
    proxy: Option<Secret>,
}

/// Bytes a `sessionName` may add to a GET URL (PHP session ids are 26–40 characters).
const SESSION_URL_BUDGET: usize = "&sessionName=".len() + 64;
/// Bytes a keyset page adds over the first page (`AND id > '…'`, encoded).
const KEYSET_URL_BUDGET: usize = 96;

fn js_err(e: Error) -> JsValue {
    to_js(&e)
}

fn id(s: &str, field: &str) -> Result<WsId> {
    WsId::parse_field(s, field)
}

fn arg<'a>(a: &'a Option<String>, field: &str, op: &str) -> Result<&'a str> {
    a.as_deref().ok_or_else(|| {
        Error::invalid_input(field, format!("'{field}' is required")).with_operation(op)
    })
}

#[wasm_bindgen]
impl VtigerCore {
    /// `url`: CRM base URL or the full `webservice.php` URL. `four_byte_chars`: `reject`
    /// (default), `replace` or `send`. Errors: INVALID_INPUT naming the field.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: &str,
        username: &str,
        access_key: &str,
        four_byte_chars: Option<String>,
    ) -> Result<VtigerCore, JsValue> {
        let ep = Endpoint::parse(url).map_err(js_err)?;
        if username.is_empty() {
            return Err(js_err(Error::invalid_input(
                "username",
                "username is required",
            )));
        }
        if access_key.is_empty() {
            return Err(js_err(Error::invalid_input(
                "accessKey",
                "accessKey is required",
            )));
        }
        let policy = match four_byte_chars.as_deref() {
            None | Some("reject") => FourBytePolicy::Reject,
            Some("replace") => FourBytePolicy::Replace,
            Some("send") => FourBytePolicy::Send,
            Some(_) => {
                return Err(js_err(Error::invalid_input(
                    "fourByteChars",
                    "fourByteChars must be 'reject', 'replace' or 'send'",
                )))
            }
        };
        Ok(VtigerCore {
            ep,
            username: username.to_owned(),
            access_key: Secret::new(access_key),
            session: None,
            policy,
            login_json: None,
            proxy: None,
        })
    }

    /// Proxy mode: requests go to `url` (a `crmwire/proxy` endpoint) without login or
    /// `sessionName`; `token`, when given, is sent as `Authorization: Bearer <token>`.
    pub fn proxy(
        url: &str,
        token: Option<String>,
        four_byte_chars: Option<String>,
    ) -> Result<VtigerCore, JsValue> {
        let mut core = VtigerCore::new(url, "proxy", "proxy", four_byte_chars)?;
        core.username.clear();
        core.access_key = Secret::new("");
        core.proxy = Some(Secret::new(token.unwrap_or_default()));
        Ok(core)
    }

    /// True in proxy mode.
    #[wasm_bindgen(getter, js_name = isProxy)]
    pub fn is_proxy(&self) -> bool {
        self.proxy.is_some()
    }

    /// The normalised `webservice.php` URL.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.ep.url().to_owned()
    }

    /// True while a session is held.
    #[wasm_bindgen(js_name = hasSession)]
    pub fn has_session(&self) -> bool {
        self.session.is_some()
    }

    /// Forgets the session (after INVALID_SESSIONID, logout…).
    #[wasm_bindgen(js_name = clearSession)]
    pub fn clear_session(&mut self) {
        self.session = None;
    }

    /// The `getchallenge` request.
    #[wasm_bindgen(js_name = challengeRequest)]
    pub fn challenge_request(&self) -> Result<JsValue, JsValue> {
        self.no_proxy("login")?;
        let c = ops::getchallenge(&self.username).map_err(js_err)?;
        self.to_req(&c)
    }

    /// Parses the `getchallenge` response and returns the `login` request (the digest
    /// `md5(token + accessKey)` is computed here; the token never reaches JS).
    #[wasm_bindgen(js_name = loginRequest)]
    pub fn login_request(&self, status: u16, body: &[u8]) -> Result<JsValue, JsValue> {
        self.no_proxy("login")?;
        let ch = auth::parse_challenge(&HttpResponse::new(status, body)).map_err(js_err)?;
        let c = ops::login(&self.username, &ch.token, &self.access_key).map_err(js_err)?;
        self.to_req(&c)
    }

    /// Parses the `login` (or `extendsession`) response, keeps the session and returns the
    /// login information (profile, versions) as JSON text, without the session name.
    #[wasm_bindgen(js_name = acceptLogin)]
    pub fn accept_login(
        &mut self,
        operation: &str,
        status: u16,
        body: &[u8],
    ) -> Result<String, JsValue> {
        let resp = HttpResponse::new(status, body);
        let info = if operation == "extendsession" {
            auth::parse_extendsession(&resp)
        } else {
            auth::parse_login(&resp)
        }
        .map_err(js_err)?;
        let mut out = String::from("{");
        let mut push = |k: &str, v: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            crate::json::quote(k, &mut out);
            out.push(':');
            crate::json::quote(v, &mut out);
        };
        push("userId", &info.user_id);
        push("version", &info.version);
        push("vtigerVersion", &info.vtiger_version);
        if let Some(u) = &info.username {
            push("username", u);
        }
        out.push_str(",\"profile\":");
        out.push_str(&info.profile.to_json());
        out.push('}');
        self.session = Some(info.session);
        self.login_json = Some(out.clone());
        Ok(out)
    }

    /// Builds the request of a typed operation. Positional string arguments per operation:
    /// `describe|relatedtypes(module)`, `create(module, elementJson)`,
    /// `update|revise|convertlead(elementJson)`, `retrieve|delete|retrieve_inventory|files_retrieve(id)`,
    /// `query(vtql)`, `sync(modifiedTime, module?, syncType?)`,
    /// `retrieve_related(id, label, relatedType)`, `query_related(query, id, label)`,
    /// `add_related(sourceId, relatedId, label?)`, `wsapp_register(type, synctype)`,
    /// `wsapp_get(key, module, token)`, `wsapp_deregister(type, key)`, `listtypes`,
    /// `logout`, `extendsession`.
    pub fn build(
        &self,
        op: &str,
        a: Option<String>,
        b: Option<String>,
        c: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let call = self
            .typed(op, &a, &b, &c)
            .map_err(|e| js_err(e.with_operation(op)))?;
        self.to_req(&call)
    }

    /// Builds a generic call: `params` is a plain object of strings; `method` `GET`/`POST`
    /// or undefined for the operation's registered type.
    #[wasm_bindgen(js_name = buildCall)]
    pub fn build_call(
        &self,
        op: &str,
        params: JsValue,
        method: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let m = match method.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None => None,
            Some("GET") => Some(Method::Get),
            Some("POST") => Some(Method::Post),
            Some(_) => {
                return Err(js_err(
                    Error::invalid_input("method", "method must be GET or POST").with_operation(op),
                ))
            }
        };
        let call = ops::call(op, string_pairs(&params), m).map_err(js_err)?;
        self.to_req(&call)
    }

    /// Decodes a response envelope: the `result` as clean JSON text (`"null"` when absent),
    /// or throws the CrmError the server reported.
    pub fn decode(&self, op: &str, status: u16, body: &[u8]) -> Result<String, JsValue> {
        envelope::decode_raw(&HttpResponse::new(status, body), op).map_err(js_err)
    }

    /// Plans `query()`: the VTQL text(s) to send. One text when the GET fits (raw text is
    /// sent unchanged); several when the query is too long for a GET and can be split on
    /// its `IN (…)` list (the answers are concatenated; see `split.rs`); INVALID_INPUT
    /// (field `query`) when it is too long and cannot be split.
    #[wasm_bindgen(js_name = planQuery)]
    pub fn plan_query(&self, query: &str, raw: bool) -> Result<Array, JsValue> {
        let out = Array::new();
        let run = || -> Result<Vec<String>> {
            if raw && self.get_url_len(query) <= ops::MAX_GET_URL_BYTES {
                return Ok(vec![query.to_owned()]);
            }
            let sel = if raw {
                Select::parse(query).map_err(|e| {
                    Error::invalid_input(
                        "query",
                        format!(
                            "the query's GET URL would exceed {} bytes and the text cannot be split into several queries ({})",
                            ops::MAX_GET_URL_BYTES,
                            e.message
                        ),
                    )
                })?
            } else {
                Select::from_spec_text(query)?
            };
            let fits = |s: &Select| -> Result<bool> {
                Ok(self.get_url_len(&s.render()?) <= ops::MAX_GET_URL_BYTES)
            };
            match split_select(&sel, &fits)? {
                None => Ok(vec![sel.render()?]),
                Some(parts) => parts.into_iter().map(|p| with_id(p).render()).collect(),
            }
        };
        for q in run().map_err(|e| js_err(e.with_operation("query")))? {
            out.push(&JsValue::from_str(&q));
        }
        Ok(out)
    }

    /// A keyset pager for `queryAll` (`count = false`) or `count` (`count = true`) over raw
    /// VTQL (`raw`) or the builder's object form (JSON text), split on a long `IN (…)` list
    /// when its pages would not fit in a GET (`pager.split`).
    pub fn pager(&self, query: &str, raw: bool, count: bool) -> Result<Pager, JsValue> {
        let run = || -> Result<Pager> {
            let sel = paging::select(query, raw)?;
            let fits = |s: &Select| -> Result<bool> {
                let first = if count {
                    Count::new(s.clone())?.next_query()
                } else {
                    QueryAll::new(s.clone())?.next_query()
                };
                Ok(
                    first.map_or(0, |q| self.get_url_len(&q)) + KEYSET_URL_BUDGET
                        <= ops::MAX_GET_URL_BYTES,
                )
            };
            Ok(match split_select(&sel, &fits)? {
                None => Pager::from_parts(
                    vec![if count {
                        Kind::Count(Count::new(sel)?)
                    } else {
                        Kind::All(QueryAll::new(sel)?)
                    }],
                    false,
                ),
                // Split: every part pages ids too, so that the client can de-duplicate.
                Some(parts) => Pager::from_parts(
                    parts
                        .into_iter()
                        .map(|p| {
                            QueryAll::new(if count { ids_only(p) } else { with_id(p) })
                                .map(Kind::All)
                        })
                        .collect::<Result<Vec<_>>>()?,
                    true,
                ),
            })
        };
        run().map_err(|e| js_err(e.with_operation("query")))
    }

    /// The next request of a sync run, or `undefined` when it is over.
    #[wasm_bindgen(js_name = syncRequest)]
    pub fn sync_request(&self, state: &SyncState) -> Result<JsValue, JsValue> {
        match state.run.next_call() {
            None => Ok(JsValue::UNDEFINED),
            Some(c) => self.to_req(&c),
        }
    }

    /// Ends a sync run early; returns the request releasing its wsapp registration, or
    /// `undefined` when nothing is registered (the run is finished either way).
    #[wasm_bindgen(js_name = syncClose)]
    pub fn sync_close(&self, state: &mut SyncState) -> Result<JsValue, JsValue> {
        match state.run.close_call() {
            None => Ok(JsValue::UNDEFINED),
            Some(c) => self.to_req(&c),
        }
    }

    /// The element JSON as it would be sent (4-byte policy, Calendar default applied).
    #[wasm_bindgen(js_name = encodeElement)]
    pub fn encode_element(
        &self,
        element_json: &str,
        module: Option<String>,
    ) -> Result<String, JsValue> {
        ops::encode_element_text(element_json, module.as_deref(), self.policy).map_err(js_err)
    }
}

impl VtigerCore {
    fn to_req(&self, c: &Call) -> Result<JsValue, JsValue> {
        let r = match &self.proxy {
            None => c.to_request(&self.ep, self.session.as_ref()),
            Some(token) => {
                let mut c = c.clone();
                c.needs_session = false;
                c.to_request(&self.ep, None).map(|mut r| {
                    if !token.is_empty() {
                        r.headers.push((
                            "Authorization".to_owned(),
                            format!("Bearer {}", token.expose()),
                        ));
                    }
                    r
                })
            }
        }
        .map_err(js_err)?;
        Ok(request_to_js(&c.operation, &r))
    }

    fn no_proxy(&self, op: &str) -> Result<(), JsValue> {
        if self.proxy.is_some() {
            return Err(js_err(
                Error::new(
                    crate::error::ErrorCode::Unsupported,
                    "in proxy mode the proxy logs in; the client never does",
                )
                .with_operation(op),
            ));
        }
        Ok(())
    }

    /// Length of the GET URL of `query(vtql)`, with room for the session name.
    fn get_url_len(&self, vtql: &str) -> usize {
        let mut enc = String::with_capacity(vtql.len() * 2);
        crate::encode::encode_component(vtql, &mut enc);
        let session = if self.proxy.is_some() {
            0
        } else {
            SESSION_URL_BUDGET
                .max("&sessionName=".len() + self.session.as_ref().map_or(0, |s| s.expose().len()))
        };
        self.ep.url().len() + "?operation=query&query=".len() + enc.len() + session
    }

    fn element(&self, json: &str) -> Result<ElementInput> {
        Ok(ElementInput::parse(json)?.with_policy(self.policy))
    }

    fn typed(
        &self,
        op: &str,
        a: &Option<String>,
        b: &Option<String>,
        c: &Option<String>,
    ) -> Result<Call> {
        Ok(match op {
            "listtypes" => ops::listtypes(None),
            "logout" => ops::logout(),
            "extendsession" => ops::extendsession(),
            "describe" => ops::describe(arg(a, "module", op)?)?,
            "relatedtypes" => ops::relatedtypes(arg(a, "module", op)?)?,
            "create" => ops::create(
                arg(a, "module", op)?,
                &self.element(arg(b, "element", op)?)?,
            )?,
            "update" => ops::update(&self.element(arg(a, "element", op)?)?)?,
            "revise" => ops::revise(&self.element(arg(a, "element", op)?)?)?,
            "convertlead" => ops::convertlead(&self.element(arg(a, "element", op)?)?)?,
            "retrieve" => ops::retrieve(id(arg(a, "id", op)?, "id")?),
            "delete" => ops::delete(id(arg(a, "id", op)?, "id")?),
            "retrieve_inventory" => ops::retrieve_inventory(id(arg(a, "id", op)?, "id")?),
            "files_retrieve" => ops::files_retrieve(arg(a, "id", op)?)?,
            "query" => ops::query(arg(a, "query", op)?)?,
            "sync" => {
                let t: i64 = arg(a, "since", op)?
                    .parse()
                    .map_err(|_| Error::invalid_input("since", "since must be Unix seconds"))?;
                ops::sync(t, b.as_deref(), c.as_deref())?
            }
            "retrieve_related" => ops::retrieve_related(
                id(arg(a, "id", op)?, "id")?,
                arg(b, "relatedLabel", op)?,
                arg(c, "relatedType", op)?,
            )?,
            "query_related" => ops::query_related(
                arg(a, "query", op)?,
                id(arg(b, "id", op)?, "id")?,
                arg(c, "relatedLabel", op)?,
            )?,
            "add_related" => ops::add_related(
                id(arg(a, "sourceId", op)?, "sourceId")?,
                id(arg(b, "relatedId", op)?, "relatedId")?,
                c.as_deref(),
            )?,
            "wsapp_register" => ops::wsapp_register(arg(a, "type", op)?, arg(b, "synctype", op)?)?,
            "wsapp_get" => {
                let t: i64 = arg(c, "token", op)?
                    .parse()
                    .map_err(|_| Error::invalid_input("token", "token must be Unix seconds"))?;
                ops::wsapp_get(&Secret::new(arg(a, "key", op)?), arg(b, "module", op)?, t)?
            }
            "wsapp_deregister" => {
                ops::wsapp_deregister(arg(a, "type", op)?, &Secret::new(arg(b, "key", op)?))?
            }
            other => {
                return Err(Error::invalid_input(
                    "operation",
                    format!("unknown typed operation '{other}'; use call()"),
                ))
            }
        })
    }
}

/// Makes sure `id` is selected (a split query's rows are de-duplicated by id).
fn with_id(mut s: Select) -> Select {
    if !s.fields.is_empty() && !s.fields.iter().any(|f| f.eq_ignore_ascii_case("id")) {
        s.fields.push("id".to_owned());
    }
    s
}

/// `SELECT id` (counting a split query pages ids and counts the distinct ones).
fn ids_only(mut s: Select) -> Select {
    s.fields = vec!["id".to_owned()];
    s
}
