//! WON API ("won-2.1.1-fixed"): `/won_api/won/{status,join,api/...}`.

use super::{
    header, html_response, json_response, like, now_datetime, row_json, token_eq, unix_now,
    AppState,
};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

const TABLES: [&str; 6] = [
    "clients", "contacts", "leads", "projects", "tasks", "invoices",
];

fn cors() -> [(&'static str, &'static str); 8] {
    [
        ("X-WON-API-Version", "2.1.1"),
        ("X-Robots-Tag", "noindex"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Access-Control-Allow-Origin", "*"),
        (
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, DELETE, OPTIONS",
        ),
        (
            "Access-Control-Allow-Headers",
            "X-API-TOKEN, Content-Type, Accept",
        ),
        ("Vary", "Origin"),
    ]
}

fn envelope(status: StatusCode, data: Value, message: &str, meta: Option<Value>) -> Response {
    let mut body = json!({
        "success": status.is_success(),
        "data": data,
        "message": message,
        "timestamp": unix_now(),
    });
    if let Some(m) = meta {
        body["meta"] = m;
    }
    json_response(status, &body, &cors())
}

fn fail(status: StatusCode, message: &str) -> Response {
    envelope(status, Value::Null, message, None)
}

fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    for (k, v) in cors() {
        r.headers_mut()
            .insert(k, axum::http::HeaderValue::from_static(v));
    }
    r
}

const CSRF_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>403 Forbidden</title></head>\
<body><div id=\"container\"><h1>An Error Was Encountered</h1><p>The action you have requested is not allowed.</p>\
</div></body></html>";

fn fatal(table: &str) -> Response {
    html_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!(
            "<br />\n<b>Fatal error</b>:  Uncaught Error: Call to a member function result_array() on bool in \
             /var/www/html/modules/won_api/controllers/Won.php:212\nStack trace:\n#0 [internal function]: \
             Won-&gt;api('{table}')\n  thrown in <b>/var/www/html/modules/won_api/controllers/Won.php</b> on line \
             <b>212</b><br />\n<!-- Table 'perfex.tbltbl{table}' doesn't exist -->"
        ),
    )
}

fn check_token(s: &AppState, h: &HeaderMap) -> Result<(), Response> {
    match header(h, "x-api-token").map(str::trim) {
        None | Some("") => Err(fail(
            StatusCode::UNAUTHORIZED,
            "Token X-API-TOKEN obrigatório",
        )),
        Some(t) if token_eq(t, &s.cfg.token) => Ok(()),
        Some(_) => Err(fail(StatusCode::UNAUTHORIZED, "Token inválido")),
    }
}

/// `GET /won_api/won/status` (public).
pub(crate) async fn status(method: Method) -> Response {
    if method == Method::OPTIONS {
        return preflight();
    }
    envelope(
        StatusCode::OK,
        json!({
            "api_version": "2.1.1",
            "status": "online",
            "timestamp": unix_now(),
            "authentication": "X-API-TOKEN",
            "endpoints": TABLES,
            "features": {"cors": true, "easy_install": true, "join_operation": true},
        }),
        "WON API Online",
        None,
    )
}

/// `GET /won_api/won/join?vat=`.
pub(crate) async fn join(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if method == Method::OPTIONS {
        return preflight();
    }
    if s.cfg.won_defects && method == Method::POST {
        return html_response(StatusCode::FORBIDDEN, CSRF_PAGE);
    }
    if let Err(r) = check_token(&s, &headers) {
        return r;
    }
    let query = super::form_decode(q.as_deref().unwrap_or(""));
    let vat: String = query
        .iter()
        .find(|(k, _)| k == "vat")
        .map(|(_, v)| v.chars().filter(char::is_ascii_digit).collect())
        .unwrap_or_default();
    if vat.is_empty() {
        return fail(StatusCode::BAD_REQUEST, "Parâmetro vat obrigatório");
    }
    let db = s.db.lock().unwrap();
    let found = db.clients.rows.values().find(|r| {
        let have: String = r
            .get("vat")
            .and_then(|v| v.as_deref())
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        have == vat
    });
    match found {
        Some(row) => envelope(
            StatusCode::OK,
            Value::Object(row_json(row)),
            "Cliente encontrado",
            None,
        ),
        None => fail(StatusCode::NOT_FOUND, "Cliente não encontrado"),
    }
}

/// `/won_api/won/api[/{table}[/{id}]]`.
pub(crate) async fn api(
    State(s): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rest = uri.path().strip_prefix("/won_api/won/api").unwrap_or("");
    dispatch(&s, method, rest, uri.query(), &headers, &body, false)
}

/// Shared by `/won_api/won/api/...` and the CSRF-exempt alias `/api/won/...` (`rest` is the
/// part after the prefix, e.g. `/clients/3`).
pub(crate) fn dispatch(
    s: &AppState,
    method: Method,
    rest: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    alias: bool,
) -> Response {
    if method == Method::OPTIONS {
        return preflight();
    }
    if s.cfg.won_defects && method == Method::POST && !alias {
        return html_response(StatusCode::FORBIDDEN, CSRF_PAGE);
    }
    let segs: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    if segs.len() > 2 {
        return super::ci_404();
    }
    let table = segs.first().copied().unwrap_or("");
    let id = match segs.get(1) {
        Some(x) if !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()) => {
            Some(x.parse::<u64>().unwrap_or(0))
        }
        Some(_) => return super::ci_404(), // routes only match (:num)
        None => None,
    };
    if let Err(r) = check_token(s, headers) {
        return r;
    }
    if !TABLES.contains(&table) {
        return fail(StatusCode::BAD_REQUEST, "Tabela não suportada");
    }
    if s.cfg.won_defects {
        return fatal(table);
    }
    match (method, id) {
        (Method::GET, None) => list(s, table, query),
        (Method::GET, Some(id)) => get(s, table, id),
        (Method::POST, _) => create(s, table, body),
        (Method::PUT, None) => fail(StatusCode::BAD_REQUEST, "ID obrigatório para atualização"),
        (Method::PUT, Some(id)) => update(s, table, id, body),
        (Method::DELETE, None) => fail(StatusCode::BAD_REQUEST, "ID obrigatório para exclusão"),
        (Method::DELETE, Some(id)) => delete(s, table, id),
        _ => fail(StatusCode::METHOD_NOT_ALLOWED, "Método não suportado"),
    }
}

fn search_columns(table: &str) -> &'static [&'static str] {
    match table {
        "clients" => &["company", "vat"],
        "contacts" => &["firstname", "lastname", "email"],
        "projects" | "tasks" => &["name", "description"],
        "invoices" => &["number", "clientnote"],
        "leads" => &["name", "company", "email"],
        _ => &[],
    }
}

fn filter_columns(table: &str) -> &'static [&'static str] {
    match table {
        "clients" => &["active", "country"],
        "contacts" => &["active", "userid"],
        "projects" => &["status", "clientid"],
        "tasks" => &["status", "priority", "rel_type"],
        "invoices" => &["status", "clientid"],
        "leads" => &["status", "source"],
        _ => &[],
    }
}

fn required(table: &str) -> &'static [&'static str] {
    match table {
        "clients" => &["company"],
        "contacts" => &["userid", "firstname", "lastname"],
        "projects" => &["name", "clientid"],
        "tasks" | "leads" => &["name"],
        "invoices" => &["clientid"],
        _ => &[],
    }
}

fn list(s: &AppState, table: &str, query: Option<&str>) -> Response {
    let q = super::form_decode(query.unwrap_or(""));
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let page = param("page")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let limit = param("limit")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let search: Option<String> = param("search")
        .map(|t| {
            t.chars()
                .filter(|c| !matches!(c, '<' | '>' | '"' | '\''))
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .filter(|t| t.chars().count() >= 2);
    let mut db = s.db.lock().unwrap();
    let t = db.table(table).expect("known table");
    let rows: Vec<&super::db::Row> = t
        .rows
        .values()
        .filter(|r| {
            search
                .as_ref()
                .is_none_or(|term| search_columns(table).iter().any(|c| like(r.get(*c), term)))
        })
        .filter(|r| {
            filter_columns(table).iter().all(|c| match param(c) {
                Some(want) => r.get(*c).and_then(|v| v.as_deref()) == Some(want.as_str()),
                None => true,
            })
        })
        .collect();
    let total = rows.len() as u64;
    let data: Vec<Value> = rows
        .into_iter()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .map(|r| Value::Object(row_json(r)))
        .collect();
    let meta =
        json!({"page": page, "limit": limit, "total": total, "total_pages": total.div_ceil(limit)});
    envelope(
        StatusCode::OK,
        Value::Array(data),
        "Registros recuperados",
        Some(meta),
    )
}

fn get(s: &AppState, table: &str, id: u64) -> Response {
    let mut db = s.db.lock().unwrap();
    match db.table(table).and_then(|t| t.rows.get(&id)) {
        Some(row) => envelope(
            StatusCode::OK,
            Value::Object(row_json(row)),
            "Registro encontrado",
            None,
        ),
        None => fail(StatusCode::NOT_FOUND, "Registro não encontrado"),
    }
}

fn php_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty() || s == "0",
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(true) => false,
    }
}

/// The JSON body as raw column values; `Err` = not a non-empty object (400), `Ok(Err)` = a
/// value no column can hold (500).
#[allow(clippy::type_complexity)]
fn body_columns(body: &[u8], pk: &str) -> Result<Result<Vec<(String, Option<String>)>, ()>, ()> {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(());
    };
    if obj.is_empty() {
        return Err(());
    }
    let mut out = Vec::new();
    for (k, v) in obj {
        if k == pk || k == "datecreated" {
            continue; // read-only, silently dropped
        }
        let v = match v {
            Value::Null => None,
            Value::Bool(b) => Some(if b { "1" } else { "0" }.to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) => Some(s),
            Value::Array(_) | Value::Object(_) => return Ok(Err(())),
        };
        out.push((k, v));
    }
    Ok(Ok(out))
}

fn create(s: &AppState, table: &str, body: &[u8]) -> Response {
    let mut db = s.db.lock().unwrap();
    let t = db.table(table).expect("known table");
    let raw: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let cols = match body_columns(body, t.pk) {
        Err(()) => return fail(StatusCode::BAD_REQUEST, "Dados JSON inválidos"),
        Ok(Err(())) => {
            return fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erro interno do servidor",
            )
        }
        Ok(Ok(c)) => c,
    };
    for f in required(table) {
        if raw.get(*f).is_none_or(php_empty) {
            return fail(StatusCode::BAD_REQUEST, &format!("Campo obrigatório: {f}"));
        }
    }
    if cols.iter().any(|(k, _)| !t.has_column(k)) {
        // the raw insert names a column the table does not have: SQL error
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erro interno do servidor",
        );
    }
    let mut cols = cols;
    let now = now_datetime();
    let created = match table {
        "leads" | "tasks" => ("dateadded", now.clone()),
        "projects" => ("project_created", now[..10].to_owned()),
        _ => ("datecreated", now.clone()),
    };
    cols.push((created.0.to_owned(), Some(created.1)));
    let id = t.insert(&cols);
    let row = Value::Object(row_json(&t.rows[&id]));
    envelope(StatusCode::CREATED, row, "Registro criado", None)
}

fn update(s: &AppState, table: &str, id: u64, body: &[u8]) -> Response {
    let mut db = s.db.lock().unwrap();
    let t = db.table(table).expect("known table");
    if !t.rows.contains_key(&id) {
        return fail(StatusCode::NOT_FOUND, "Registro não encontrado");
    }
    let cols = match body_columns(body, t.pk) {
        Err(()) => return fail(StatusCode::BAD_REQUEST, "Dados JSON inválidos"),
        Ok(Err(())) => {
            return fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erro interno do servidor",
            )
        }
        Ok(Ok(c)) => c,
    };
    if cols.iter().any(|(k, _)| !t.has_column(k)) {
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erro interno do servidor",
        );
    }
    t.update(id, &cols);
    let row = Value::Object(row_json(&t.rows[&id]));
    envelope(StatusCode::OK, row, "Registro atualizado", None)
}

fn delete(s: &AppState, table: &str, id: u64) -> Response {
    let mut db = s.db.lock().unwrap();
    if db.delete(table, id) {
        envelope(StatusCode::OK, Value::Null, "Registro excluído", None)
    } else {
        fail(StatusCode::NOT_FOUND, "Registro não encontrado")
    }
}
