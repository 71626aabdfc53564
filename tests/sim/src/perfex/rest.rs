//! Themesic REST API (v2.0.7 behaviour, v3 opt-in list paging): `/api/...`.

use super::db::{Db, Row};
use super::{header, json_response, like, now_datetime, row_json, token_eq, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Res {
    Customers,
    Contacts,
    Leads,
    Projects,
    Tasks,
    Invoices,
}

impl Res {
    fn parse(s: &str) -> Option<Res> {
        Some(match s {
            "customers" => Res::Customers,
            "contacts" => Res::Contacts,
            "leads" => Res::Leads,
            "projects" => Res::Projects,
            "tasks" => Res::Tasks,
            "invoices" => Res::Invoices,
            _ => return None,
        })
    }
    fn table(self) -> &'static str {
        match self {
            Res::Customers => "clients",
            Res::Contacts => "contacts",
            Res::Leads => "leads",
            Res::Projects => "projects",
            Res::Tasks => "tasks",
            Res::Invoices => "invoices",
        }
    }
    /// (create ok, create fail, update ok, update fail, delete ok, delete fail, invalid id)
    fn messages(self) -> [&'static str; 7] {
        match self {
            Res::Customers => [
                "Client add successful.",
                "Client add fail.",
                "Customers Update Successful.",
                "Customers Update Fail.",
                "Customer Delete Successful.",
                "Customer Delete Fail.",
                "Invalid Customer ID",
            ],
            Res::Contacts => [
                "Contact added successfully.",
                "Contact add fail.",
                "Contact Updated Successfully",
                "Client Update Fail.",
                "Contact Deleted Successfuly.",
                "Contact Delete Fail.",
                "Invalid Contact ID",
            ],
            Res::Leads => [
                "Lead add successful.",
                "Lead add fail.",
                "Lead Update Successful.",
                "Lead Update Fail.",
                "Lead Delete Successful.",
                "Lead Delete Fail.",
                "Invalid Lead ID",
            ],
            Res::Projects => [
                "Project add successful.",
                "Project add failed.",
                "Project Update Successful.",
                "Project Update Fail.",
                "Project Delete Successful.",
                "Project Delete Fail.",
                "Invalid Project ID",
            ],
            Res::Tasks => [
                "Task add successful.",
                "Task add failed.",
                "Task Update Successful.",
                "Task Update Fail.",
                "Task Delete Successful.",
                "Task Delete Fail.",
                "Invalid Task ID",
            ],
            Res::Invoices => [
                "Invoice Added Successfully",
                "Invoice Add Fail",
                "Invoice Updated Successfully",
                "Invoice Update Fail",
                "Invoice Deleted Successfully",
                "Invoice Delete Fail",
                "Invalid Invoice ID",
            ],
        }
    }
    fn validation_status(self) -> StatusCode {
        if self == Res::Contacts {
            StatusCode::CONFLICT
        } else {
            StatusCode::NOT_FOUND
        }
    }
}

fn status_msg(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &json!({"status": status.is_success(), "message": message}),
        &[],
    )
}

fn no_data() -> Response {
    status_msg(StatusCode::NOT_FOUND, "No data were found")
}

/// Auth: `Ok(read_only)`.
fn auth(s: &AppState, h: &HeaderMap) -> Result<bool, Response> {
    let Some(t) = header(h, "authtoken")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(status_msg(StatusCode::NOT_FOUND, "Token is not defined."));
    };
    if token_eq(t, &s.cfg.token) {
        return Ok(false);
    }
    if token_eq(t, &format!("{}-ro", s.cfg.token)) {
        return Ok(true);
    }
    let msg = if t.matches('.').count() != 2 {
        "Wrong number of segments"
    } else {
        "Signature verification failed"
    };
    Err(status_msg(StatusCode::NOT_FOUND, msg))
}

/// Everything under `/api/`.
pub(crate) async fn api(
    State(s): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().strip_prefix("/api").unwrap_or("");
    let segs: Vec<String> = path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| super::pct_decode(p, false))
        .collect();
    if segs.first().map(String::as_str) == Some("won") {
        let rest = format!("/{}", segs[1..].join("/"));
        return super::won::dispatch(&s, method, &rest, uri.query(), &headers, &body, true);
    }
    let (res, args, delete_route) = match segs.first().map(String::as_str) {
        Some("delete") => (
            segs.get(1).and_then(|r| Res::parse(r)),
            segs.get(2..).unwrap_or(&[]).to_vec(),
            true,
        ),
        Some(r) => (Res::parse(r), segs[1..].to_vec(), false),
        None => (None, Vec::new(), false),
    };
    let Some(res) = res else {
        return super::ci_404();
    };
    let read_only = match auth(&s, &headers) {
        Ok(ro) => ro,
        Err(r) => return r,
    };
    if read_only && method != Method::GET {
        return status_msg(
            StatusCode::FORBIDDEN,
            "Your API token does not have the necessay permissions for the requested operation",
        );
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let query = super::form_decode(uri.query().unwrap_or(""));
    let ct = header(&headers, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut db = s.db.lock().unwrap();
    match (method, delete_route, args.as_slice()) {
        (Method::DELETE, _, [id]) => delete(&mut db, res, id),
        (_, true, _) => status_msg(StatusCode::METHOD_NOT_ALLOWED, "Unknown method"),
        (Method::GET, _, []) if res == Res::Contacts => no_data(),
        (Method::GET, _, []) => list(&db, res, &query),
        (Method::GET, _, ["search", term]) => search(&db, res, term),
        (Method::GET, _, [cid]) if res == Res::Contacts => customer_contacts(&db, cid),
        (Method::GET, _, [cid, id]) if res == Res::Contacts => contact(&db, cid, id),
        (Method::GET, _, [id]) => get(&db, res, id),
        (Method::POST, _, _) => {
            let form = if ct.starts_with("application/x-www-form-urlencoded") {
                Form::parse(&String::from_utf8_lossy(&body))
            } else {
                Form::default() // v2 reads PHP's form fields only: a JSON body is ignored
            };
            create(&mut db, res, &form)
        }
        (Method::PUT, _, [id]) => update(&mut db, res, id, &body),
        (Method::PUT, _, _) => status_msg(StatusCode::NOT_FOUND, res.messages()[6]),
        _ => super::ci_404(),
    }
}

fn rest_row(db: &Db, res: Res, row: &Row) -> Value {
    let mut m = row_json(row);
    if res == Res::Invoices {
        let id = row
            .get("id")
            .and_then(|v| v.as_deref())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let items: Vec<Value> = db
            .items_of(id)
            .iter()
            .map(|it| {
                let mut im = row_json(it);
                im.insert("customfields".into(), json!([]));
                Value::Object(im)
            })
            .collect();
        m.insert("items".into(), Value::Array(items));
    }
    m.insert("customfields".into(), json!([]));
    Value::Object(m)
}

fn table(db: &Db, res: Res) -> &super::db::Table {
    match res {
        Res::Customers => &db.clients,
        Res::Contacts => &db.contacts,
        Res::Leads => &db.leads,
        Res::Projects => &db.projects,
        Res::Tasks => &db.tasks,
        Res::Invoices => &db.invoices,
    }
}

fn sorted_rows(db: &Db, res: Res) -> Vec<&Row> {
    let mut rows: Vec<&Row> = table(db, res).rows.values().collect();
    if res == Res::Customers {
        rows.sort_by_key(|r| {
            r.get("company")
                .cloned()
                .flatten()
                .unwrap_or_default()
                .to_lowercase()
        });
    }
    rows
}

fn answer_list(db: &Db, res: Res, rows: Vec<&Row>, query: &[(String, String)]) -> Response {
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if param("page").is_none() && param("per_page").is_none() {
        if rows.is_empty() {
            return no_data();
        }
        let data: Vec<Value> = rows.iter().map(|r| rest_row(db, res, r)).collect();
        return json_response(StatusCode::OK, &Value::Array(data), &[]);
    }
    // v3 opt-in paging
    let page = param("page")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = param("per_page")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let total = rows.len() as u64;
    let last = total.div_ceil(per_page).max(1);
    let data: Vec<Value> = rows
        .iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .map(|r| rest_row(db, res, r))
        .collect();
    let body = json!({
        "data": data,
        "meta": {"page": page, "per_page": per_page, "total": total, "total_pages": last,
                 "has_more": page < last, "current_page": page, "last_page": last},
    });
    json_response(StatusCode::OK, &body, &[])
}

fn list(db: &Db, res: Res, query: &[(String, String)]) -> Response {
    answer_list(db, res, sorted_rows(db, res), query)
}

fn search(db: &Db, res: Res, term: &str) -> Response {
    let term = term.trim();
    let rows: Vec<&Row> = sorted_rows(db, res)
        .into_iter()
        .filter(|r| match res {
            Res::Customers => {
                let active = r.get("active").cloned().flatten().as_deref() == Some("1");
                let uid = r.get("userid").cloned().flatten();
                let contact_hit = db.contacts.rows.values().any(|c| {
                    c.get("userid").cloned().flatten() == uid
                        && (like(c.get("email"), term)
                            || format!(
                                "{} {}",
                                c.get("firstname").cloned().flatten().unwrap_or_default(),
                                c.get("lastname").cloned().flatten().unwrap_or_default()
                            )
                            .to_lowercase()
                            .contains(&term.to_lowercase()))
                });
                active && (like(r.get("company"), term) || contact_hit)
            }
            Res::Contacts => ["firstname", "lastname", "email", "phonenumber"]
                .iter()
                .any(|c| like(r.get(*c), term)),
            Res::Leads => {
                r.get("junk").cloned().flatten().as_deref() != Some("1")
                    && ["name", "email", "company", "phonenumber"]
                        .iter()
                        .any(|c| like(r.get(*c), term))
            }
            Res::Projects | Res::Tasks => ["name", "description"]
                .iter()
                .any(|c| like(r.get(*c), term)),
            Res::Invoices => ["number", "clientnote"]
                .iter()
                .any(|c| like(r.get(*c), term)),
        })
        .collect();
    answer_list(db, res, rows, &[])
}

fn num(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn get(db: &Db, res: Res, id: &str) -> Response {
    match num(id).and_then(|id| table(db, res).rows.get(&id)) {
        Some(row) => json_response(StatusCode::OK, &rest_row(db, res, row), &[]),
        None => no_data(),
    }
}

fn customer_contacts(db: &Db, cid: &str) -> Response {
    let cid = Some(cid.to_owned());
    let mut rows: Vec<&Row> = db
        .contacts
        .rows
        .values()
        .filter(|r| {
            r.get("userid") == Some(&cid)
                && r.get("active").cloned().flatten().as_deref() == Some("1")
        })
        .collect();
    rows.sort_by_key(|r| r.get("is_primary").cloned().flatten().as_deref() != Some("1"));
    answer_list(db, Res::Contacts, rows, &[])
}

fn contact(db: &Db, cid: &str, id: &str) -> Response {
    let cid = Some(cid.to_owned());
    match num(id)
        .and_then(|id| db.contacts.rows.get(&id))
        .filter(|r| r.get("userid") == Some(&cid))
    {
        Some(row) => json_response(StatusCode::OK, &rest_row(db, Res::Contacts, row), &[]),
        None => no_data(),
    }
}

/// A PHP-style form: scalars, `key[]` lists and `newitems[i][field]` lines.
#[derive(Default)]
struct Form {
    scalars: Vec<(String, String)>,
    lists: BTreeMap<String, Vec<String>>,
    items: BTreeMap<usize, BTreeMap<String, String>>,
}

impl Form {
    fn parse(text: &str) -> Form {
        let mut f = Form::default();
        for (k, v) in super::form_decode(text) {
            let Some(open) = k.find('[') else {
                f.scalars.retain(|(n, _)| n != &k);
                f.scalars.push((k, v));
                continue;
            };
            let base = k[..open].to_owned();
            let parts: Vec<&str> = k[open..]
                .split(['[', ']'])
                .filter(|p| !p.is_empty())
                .collect();
            if k[open..] == *"[]" {
                f.lists.entry(base).or_default().push(v);
            } else if base == "newitems" && parts.len() == 2 {
                if let Ok(i) = parts[0].parse::<usize>() {
                    f.items.entry(i).or_default().insert(parts[1].to_owned(), v);
                }
            }
            // other nested keys (custom_fields[...], newitems[i][taxname][]) are accepted and not stored
        }
        f
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.scalars
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn has(&self, k: &str) -> bool {
        self.get(k).is_some() || self.lists.contains_key(k)
    }
    fn filled(&self, k: &str) -> bool {
        match k {
            "newitems" => !self.items.is_empty(),
            _ => {
                self.get(k).is_some_and(|v| !v.trim().is_empty())
                    || self.lists.get(k).is_some_and(|l| !l.is_empty())
            }
        }
    }
}

fn label(field: &str) -> String {
    match field {
        "newitems" => "Items".into(),
        "allowed_payment_modes" => "Allowed Payment Modes".into(),
        _ => field
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn validation_error(status: StatusCode, errors: Vec<(String, String)>) -> Response {
    let message: String = errors
        .iter()
        .map(|(_, m)| format!("<p>{m}</p>\n"))
        .collect();
    let error: Map<String, Value> = errors
        .into_iter()
        .map(|(k, m)| (k, Value::String(m)))
        .collect();
    json_response(
        status,
        &json!({"status": false, "error": error, "message": message}),
        &[],
    )
}

fn is_decimal(s: &str) -> bool {
    let (a, b) = s.split_once('.').unwrap_or((s, "0"));
    !a.is_empty()
        && !b.is_empty()
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
}

/// Perfex's `to_sql_date`: `Y-m-d` passes, else the instance format (`d/m/Y` here).
fn to_sql_date(s: &str) -> String {
    let p: Vec<&str> = s.split('/').collect();
    if p.len() == 3 && p[2].len() == 4 {
        return format!("{}-{:0>2}-{:0>2}", p[2], p[1], p[0]);
    }
    s.to_owned()
}

fn email_in_use(db: &Db, email: &str, except: Option<u64>) -> bool {
    db.contacts.rows.iter().any(|(id, r)| {
        Some(*id) != except
            && r.get("email")
                .cloned()
                .flatten()
                .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()))
    })
}

fn create(db: &mut Db, res: Res, form: &Form) -> Response {
    let required: &[&str] = match res {
        Res::Customers => &["company"],
        Res::Contacts => &["customer_id", "firstname", "lastname", "email", "password"],
        Res::Leads => &["name", "source", "status", "assigned"],
        Res::Projects => &["name", "clientid", "billing_type", "start_date", "status"],
        Res::Tasks => &["name", "startdate"],
        Res::Invoices => &[
            "clientid",
            "number",
            "date",
            "currency",
            "newitems",
            "allowed_payment_modes",
            "billing_street",
            "subtotal",
            "total",
        ],
    };
    let mut errors = Vec::new();
    for f in required {
        if *f == "password" && form.has("send_set_password_email") {
            continue;
        }
        if !form.filled(f) {
            errors.push((
                f.to_string(),
                format!("The {} field is required.", label(f)),
            ));
        }
    }
    if res == Res::Contacts {
        if let Some(c) = form.get("customer_id").filter(|c| !c.is_empty()) {
            if num(c).is_none_or(|id| !db.clients.rows.contains_key(&id)) {
                errors.push(("customer_id".into(), "The Customer Id is Invalid".into()));
            }
        }
        if let Some(e) = form.get("email").filter(|e| !e.is_empty()) {
            if email_in_use(db, e, None) {
                errors.push(("email".into(), "This Email is already exists".into()));
            }
        }
    }
    if res == Res::Invoices {
        for f in ["subtotal", "total"] {
            if let Some(v) = form.get(f).filter(|v| !v.is_empty()) {
                if !is_decimal(v) || v.parse::<f64>().map_or(true, |x| x <= 0.0) {
                    errors.push((
                        f.into(),
                        format!(
                            "The {} field must contain a decimal number greater than 0.",
                            label(f)
                        ),
                    ));
                }
            }
        }
        if let Some(n) = form.get("number").filter(|n| !n.is_empty()) {
            let n = n.trim_start_matches('0');
            let taken = db.invoices.rows.values().any(|r| {
                r.get("number")
                    .cloned()
                    .flatten()
                    .is_some_and(|x| x.trim_start_matches('0') == n)
            });
            if taken {
                errors.push(("number".into(), "Invoice number is already exists".into()));
            }
        }
    }
    if !errors.is_empty() {
        return validation_error(res.validation_status(), errors);
    }
    let now = now_datetime();
    let t = table(db, res);
    let mut cols: Vec<(String, Option<String>)> = Vec::new();
    for (k, v) in &form.scalars {
        let col = if res == Res::Contacts && k == "customer_id" {
            "userid"
        } else {
            k.as_str()
        };
        if !t.has_column(col) || col == t.pk || col == "password" {
            continue; // other keys are not stored by the simulator
        }
        let v = if ["date", "duedate", "start_date", "startdate", "deadline"].contains(&col) {
            to_sql_date(v)
        } else {
            v.clone()
        };
        cols.push((col.to_owned(), Some(v)));
    }
    if let Some(modes) = form.lists.get("allowed_payment_modes") {
        cols.push((
            "allowed_payment_modes".into(),
            Some(serde_json::to_string(modes).unwrap_or_default()),
        ));
    }
    match res {
        Res::Customers => cols.push(("datecreated".into(), Some(now.clone()))),
        Res::Contacts => {
            cols.push(("datecreated".into(), Some(now.clone())));
            cols.push((
                "password".into(),
                Some("$2y$10$simulated.hash.not.a.real.password".into()),
            ));
            for flag in [
                "is_primary",
                "invoice_emails",
                "estimate_emails",
                "credit_note_emails",
                "contract_emails",
                "task_emails",
                "project_emails",
                "ticket_emails",
            ] {
                cols.retain(|(k, _)| k != flag);
                cols.push((
                    flag.into(),
                    Some(if form.has(flag) { "1" } else { "0" }.into()),
                ));
            }
        }
        Res::Leads | Res::Tasks => {
            cols.push(("dateadded".into(), Some(now.clone())));
            cols.push(("addedfrom".into(), Some("1".into())));
        }
        Res::Projects => {
            cols.push(("project_created".into(), Some(now[..10].to_owned())));
            cols.push(("addedfrom".into(), Some("1".into())));
        }
        Res::Invoices => {
            cols.push(("datecreated".into(), Some(now.clone())));
            cols.push((
                "hash".into(),
                Some(format!("{:032x}", db.invoices.next_id * 2_654_435_761)),
            ));
        }
    }
    let new_id = match res {
        Res::Customers => db.clients.insert(&cols),
        Res::Contacts => db.contacts.insert(&cols),
        Res::Leads => db.leads.insert(&cols),
        Res::Projects => db.projects.insert(&cols),
        Res::Tasks => db.tasks.insert(&cols),
        Res::Invoices => db.invoices.insert(&cols),
    };
    if res == Res::Contacts && form.has("is_primary") {
        let owner = db.contacts.rows[&new_id].get("userid").cloned().flatten();
        for (id, r) in db.contacts.rows.iter_mut() {
            if *id != new_id && r.get("userid").cloned().flatten() == owner {
                r.insert("is_primary".into(), Some("0".into()));
            }
        }
    }
    if res == Res::Invoices {
        for (order, item) in form.items.values().enumerate() {
            let mut cols: Vec<(String, Option<String>)> = vec![
                ("rel_id".into(), Some(new_id.to_string())),
                ("rel_type".into(), Some("invoice".into())),
            ];
            for f in ["description", "long_description", "qty", "rate", "unit"] {
                cols.push((f.into(), item.get(f).cloned()));
            }
            cols.push(("item_order".into(), Some((order + 1).to_string())));
            db.items.insert(&cols);
        }
    }
    status_msg(StatusCode::OK, res.messages()[0])
}

fn value_text(v: &Value) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::Bool(b) => Some(Some(if *b { "1" } else { "0" }.into())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::String(s) => Some(Some(s.clone())),
        _ => None,
    }
}

fn update(db: &mut Db, res: Res, id: &str, body: &[u8]) -> Response {
    let msgs = res.messages();
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return status_msg(
            StatusCode::NOT_ACCEPTABLE,
            "Data Not Acceptable OR Not Provided",
        );
    };
    if obj.is_empty() {
        return status_msg(
            StatusCode::NOT_ACCEPTABLE,
            "Data Not Acceptable OR Not Provided",
        );
    }
    let Some(id) = num(id).filter(|id| table(db, res).rows.contains_key(id)) else {
        return match res {
            Res::Contacts => status_msg(StatusCode::CONFLICT, "Contact ID Doesn't Not Exist."),
            Res::Invoices => status_msg(StatusCode::CONFLICT, "Invoice ID Doesn't Not Exist."),
            _ => status_msg(StatusCode::NOT_FOUND, msgs[3]),
        };
    };
    let filled = |k: &str| match obj.get(k) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    };
    let mut errors = Vec::new();
    match res {
        Res::Contacts => match obj
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| !e.trim().is_empty())
        {
            None => errors.push((
                "email".to_owned(),
                "The Email field is required.".to_owned(),
            )),
            Some(e) if email_in_use(db, e, Some(id)) => errors.push((
                "email".to_owned(),
                "This Email is already exists".to_owned(),
            )),
            Some(_) => {}
        },
        Res::Invoices => {
            for f in [
                "number",
                "date",
                "currency",
                "items",
                "allowed_payment_modes",
                "billing_street",
                "subtotal",
                "total",
            ] {
                if !filled(f) {
                    errors.push((f.to_owned(), format!("The {} field is required.", label(f))));
                }
            }
        }
        _ => {}
    }
    if !errors.is_empty() {
        return validation_error(StatusCode::CONFLICT, errors);
    }
    let t = table(db, res);
    let mut cols = Vec::new();
    for (k, v) in &obj {
        let col = if res == Res::Contacts && k == "customer_id" {
            "userid"
        } else {
            k.as_str()
        };
        if !t.has_column(col) || col == t.pk || col == "password" {
            continue;
        }
        let text = match (col, v) {
            ("allowed_payment_modes", Value::Array(_)) => Some(Some(v.to_string())),
            _ => value_text(v),
        };
        if let Some(text) = text {
            cols.push((col.to_owned(), text));
        }
    }
    let changed = match res {
        Res::Customers => db.clients.update(id, &cols),
        Res::Contacts => db.contacts.update(id, &cols),
        Res::Leads => db.leads.update(id, &cols),
        Res::Projects => db.projects.update(id, &cols),
        Res::Tasks => db.tasks.update(id, &cols),
        Res::Invoices => db.invoices.update(id, &cols),
    };
    if !changed && res == Res::Customers {
        // the customers model reports "no update" when no column changed
        return status_msg(StatusCode::NOT_FOUND, msgs[3]);
    }
    status_msg(StatusCode::OK, msgs[2])
}

fn delete(db: &mut Db, res: Res, id: &str) -> Response {
    let msgs = res.messages();
    let Some(id) = num(id) else {
        return status_msg(StatusCode::NOT_FOUND, msgs[6]);
    };
    if db.delete(res.table(), id) {
        status_msg(StatusCode::OK, msgs[4])
    } else {
        status_msg(StatusCode::NOT_FOUND, msgs[5])
    }
}
