//! The Perfex tables both APIs share (one in-memory "database"), with deterministic seed data.

use std::collections::BTreeMap;

/// A row: column → value; every value a string or null, as MySQL hands them to PHP.
pub(crate) type Row = BTreeMap<String, Option<String>>;

pub(crate) struct Table {
    pub pk: &'static str,
    pub columns: &'static [&'static str],
    pub rows: BTreeMap<u64, Row>,
    pub next_id: u64,
}

const CLIENTS: &[&str] = &[
    "userid",
    "company",
    "vat",
    "phonenumber",
    "country",
    "city",
    "zip",
    "state",
    "address",
    "website",
    "datecreated",
    "active",
    "leadid",
    "billing_street",
    "billing_city",
    "billing_state",
    "billing_zip",
    "billing_country",
    "shipping_street",
    "shipping_city",
    "shipping_state",
    "shipping_zip",
    "shipping_country",
    "default_language",
    "default_currency",
    "show_primary_contact",
    "registration_confirmed",
    "addedfrom",
];
const CONTACTS: &[&str] = &[
    "id",
    "userid",
    "is_primary",
    "firstname",
    "lastname",
    "email",
    "phonenumber",
    "title",
    "datecreated",
    "password",
    "active",
    "direction",
    "invoice_emails",
    "estimate_emails",
    "credit_note_emails",
    "contract_emails",
    "task_emails",
    "project_emails",
    "ticket_emails",
    "last_login",
];
const LEADS: &[&str] = &[
    "id",
    "hash",
    "name",
    "title",
    "company",
    "description",
    "country",
    "zip",
    "city",
    "state",
    "address",
    "assigned",
    "dateadded",
    "status",
    "source",
    "lastcontact",
    "dateassigned",
    "addedfrom",
    "email",
    "website",
    "phonenumber",
    "lost",
    "junk",
    "is_public",
    "default_language",
    "client_id",
    "lead_value",
];
const PROJECTS: &[&str] = &[
    "id",
    "name",
    "description",
    "status",
    "clientid",
    "billing_type",
    "start_date",
    "deadline",
    "project_created",
    "date_finished",
    "progress",
    "progress_from_tasks",
    "project_cost",
    "project_rate_per_hour",
    "estimated_hours",
    "addedfrom",
];
const TASKS: &[&str] = &[
    "id",
    "name",
    "description",
    "priority",
    "dateadded",
    "startdate",
    "duedate",
    "datefinished",
    "addedfrom",
    "status",
    "rel_id",
    "rel_type",
    "is_public",
    "billable",
    "billed",
    "invoice_id",
    "hourly_rate",
    "milestone",
    "visible_to_client",
];
const INVOICES: &[&str] = &[
    "id",
    "sent",
    "datesend",
    "clientid",
    "number",
    "prefix",
    "number_format",
    "datecreated",
    "date",
    "duedate",
    "currency",
    "subtotal",
    "total_tax",
    "total",
    "adjustment",
    "hash",
    "status",
    "clientnote",
    "adminnote",
    "terms",
    "allowed_payment_modes",
    "discount_type",
    "discount_percent",
    "discount_total",
    "billing_street",
    "billing_city",
    "billing_state",
    "billing_zip",
    "billing_country",
    "include_shipping",
    "show_shipping_on_invoice",
    "project_id",
    "sale_agent",
    "recurring",
];
pub(crate) const ITEMS: &[&str] = &[
    "id",
    "rel_id",
    "rel_type",
    "description",
    "long_description",
    "qty",
    "rate",
    "unit",
    "item_order",
];

/// Column default on insert (what MySQL fills in when the column is not given).
fn default_for(col: &str) -> Option<String> {
    const ONE: &[&str] = &[
        "active",
        "registration_confirmed",
        "progress_from_tasks",
        "invoice_emails",
        "estimate_emails",
        "credit_note_emails",
        "contract_emails",
        "task_emails",
        "project_emails",
        "ticket_emails",
        "status",
    ];
    const ZERO: &[&str] = &[
        "country",
        "billing_country",
        "shipping_country",
        "default_currency",
        "show_primary_contact",
        "addedfrom",
        "is_primary",
        "assigned",
        "lost",
        "junk",
        "is_public",
        "client_id",
        "progress",
        "priority",
        "billable",
        "billed",
        "visible_to_client",
        "sent",
        "include_shipping",
        "show_shipping_on_invoice",
        "recurring",
        "milestone",
        "number_format",
        "sale_agent",
        "hourly_rate",
        "source",
        "rel_id",
        "invoice_id",
        "project_id",
        "currency",
        "number",
        "billing_type",
        "clientid",
    ];
    const MONEY: &[&str] = &[
        "subtotal",
        "total",
        "total_tax",
        "adjustment",
        "discount_percent",
        "discount_total",
        "lead_value",
    ];
    if ONE.contains(&col) {
        Some("1".into())
    } else if ZERO.contains(&col) {
        Some("0".into())
    } else if MONEY.contains(&col) {
        Some("0.00".into())
    } else {
        None
    }
}

impl Table {
    fn new(pk: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            pk,
            columns,
            rows: BTreeMap::new(),
            next_id: 1,
        }
    }

    pub fn has_column(&self, c: &str) -> bool {
        self.columns.contains(&c)
    }

    /// Inserts a row from (column, value) pairs; unknown columns are ignored (callers check).
    pub fn insert(&mut self, values: &[(String, Option<String>)]) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut row: Row = self
            .columns
            .iter()
            .map(|c| (c.to_string(), default_for(c)))
            .collect();
        for (k, v) in values {
            if self.has_column(k) && k != self.pk {
                row.insert(k.clone(), v.clone());
            }
        }
        row.insert(self.pk.to_string(), Some(id.to_string()));
        self.rows.insert(id, row);
        id
    }

    /// Sets columns on a row; returns whether any value changed.
    pub fn update(&mut self, id: u64, values: &[(String, Option<String>)]) -> bool {
        let pk = self.pk;
        let Some(row) = self.rows.get_mut(&id) else {
            return false;
        };
        let mut changed = false;
        for (k, v) in values {
            if k != pk && row.contains_key(k) && row.get(k) != Some(v) {
                row.insert(k.clone(), v.clone());
                changed = true;
            }
        }
        changed
    }
}

pub(crate) struct Db {
    pub clients: Table,
    pub contacts: Table,
    pub leads: Table,
    pub projects: Table,
    pub tasks: Table,
    pub invoices: Table,
    pub items: Table,
}

impl Db {
    pub fn table(&mut self, name: &str) -> Option<&mut Table> {
        Some(match name {
            "clients" => &mut self.clients,
            "contacts" => &mut self.contacts,
            "leads" => &mut self.leads,
            "projects" => &mut self.projects,
            "tasks" => &mut self.tasks,
            "invoices" => &mut self.invoices,
            _ => return None,
        })
    }

    /// Deletes a row and what Perfex deletes with it (a customer's contacts, an invoice's lines).
    pub fn delete(&mut self, table: &str, id: u64) -> bool {
        let Some(t) = self.table(table) else {
            return false;
        };
        if t.rows.remove(&id).is_none() {
            return false;
        }
        let ids = Some(id.to_string());
        match table {
            "clients" => self
                .contacts
                .rows
                .retain(|_, r| r.get("userid") != Some(&ids)),
            "invoices" => self.items.rows.retain(|_, r| r.get("rel_id") != Some(&ids)),
            _ => {}
        }
        true
    }

    /// Invoice lines of one invoice, in order.
    pub fn items_of(&self, invoice: u64) -> Vec<Row> {
        let idv = Some(invoice.to_string());
        self.items
            .rows
            .values()
            .filter(|r| r.get("rel_id") == Some(&idv))
            .cloned()
            .collect()
    }

    pub fn seeded() -> Db {
        let mut db = Db {
            clients: Table::new("userid", CLIENTS),
            contacts: Table::new("id", CONTACTS),
            leads: Table::new("id", LEADS),
            projects: Table::new("id", PROJECTS),
            tasks: Table::new("id", TASKS),
            invoices: Table::new("id", INVOICES),
            items: Table::new("id", ITEMS),
        };
        seed(&mut db);
        db
    }
}

fn v(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

const COMPANIES: [&str; 30] = [
    "Acme Ltda",
    "Beta Comércio",
    "Cia Gamma",
    "Delta Serviços",
    "Épsilon Tech",
    "Zeta Agro",
    "Eta Logística",
    "Theta Saúde",
    "Iota Educação",
    "Kappa Engenharia",
    "Lambda Consultoria",
    "Mu Alimentos",
    "Nu Transportes",
    "Xi Imóveis",
    "Omicron Digital",
    "Pi Contábil",
    "Rho Energia",
    "Sigma Varejo",
    "Tau Têxtil",
    "Upsilon Mídia",
    "Phi Farmacêutica",
    "Chi Construções",
    "Psi Design",
    "Ômega Seguros",
    "Alfa Turismo",
    "Bravo Eventos",
    "Charlie Móveis",
    "Dínamo Esportes",
    "Eco Limpeza",
    "Fox Segurança",
];
const FIRST: [&str; 10] = [
    "Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Hugo", "Isabela", "João",
];
const LAST: [&str; 10] = [
    "Silva",
    "Souza",
    "Oliveira",
    "Santos",
    "Lima",
    "Pereira",
    "Costa",
    "Rodrigues",
    "Almeida",
    "Nunes",
];
const CITIES: [&str; 5] = [
    "São Paulo",
    "Rio de Janeiro",
    "Belo Horizonte",
    "Curitiba",
    "Porto Alegre",
];

fn day(n: u64) -> String {
    // 2025-01-01 + n days, n < 365
    let months = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut m, mut d) = (0usize, n);
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    format!("2025-{:02}-{:02}", m + 1, d + 1)
}

fn seed(db: &mut Db) {
    for (i, company) in COMPANIES.iter().enumerate() {
        let i = i as u64 + 1;
        // CNPJ-shaped VAT for even ids, CPF-shaped for odd ones
        let vat = if i.is_multiple_of(2) {
            format!("{:014}", 11_222_333_000_100 + i)
        } else {
            format!("{:011}", 12_345_678_900 + i)
        };
        let city = CITIES[(i as usize) % CITIES.len()];
        let phone = format!("+55 11 9{:04}-{:04}", 1000 + i, 2000 + i);
        let site = format!("https://www.cliente{i}.com.br");
        let created = format!("{} 09:{:02}:00", day(i), i % 60);
        let active = if i.is_multiple_of(10) { "0" } else { "1" };
        db.clients.insert(&v(&[
            ("company", company),
            ("vat", &vat),
            ("phonenumber", &phone),
            ("country", "32"),
            ("city", city),
            ("zip", "01000-000"),
            ("state", "SP"),
            ("address", &format!("Rua {i}, {}", 100 + i)),
            ("website", &site),
            ("datecreated", &created),
            ("active", active),
            ("billing_street", &format!("Rua {i}, {}", 100 + i)),
            ("billing_city", city),
        ]));
    }
    let mut n = 0usize;
    for cid in 1..=30u64 {
        let count = if cid % 3 == 0 { 2 } else { 1 };
        for k in 0..count {
            let (f, l) = (FIRST[n % 10], LAST[(n / 10 + n) % 10]);
            n += 1;
            let email = format!(
                "{}.{}{}@cliente{cid}.com.br",
                f.to_lowercase(),
                l.to_lowercase(),
                k
            )
            .replace('á', "a");
            db.contacts.insert(&v(&[
                ("userid", &cid.to_string()),
                ("is_primary", if k == 0 { "1" } else { "0" }),
                ("firstname", f),
                ("lastname", l),
                ("email", &email),
                (
                    "phonenumber",
                    &format!("+55 21 9{:04}-{:04}", 3000 + n, 4000 + n),
                ),
                ("title", if k == 0 { "Diretor(a)" } else { "Financeiro" }),
                ("datecreated", &format!("{} 10:00:00", day(cid + k))),
                ("password", "$2y$10$simulated.hash.not.a.real.password"),
                ("active", if n.is_multiple_of(11) { "0" } else { "1" }),
            ]));
        }
    }
    for i in 1..=25u64 {
        let (f, l) = (FIRST[(i as usize) % 10], LAST[(i as usize * 3) % 10]);
        db.leads.insert(&v(&[
            ("hash", &format!("{:032x}", i * 7919)),
            ("name", &format!("{f} {l}")),
            ("company", &format!("Prospect {i} Ltda")),
            ("email", &format!("lead{i}@prospect{i}.com.br")),
            ("phonenumber", &format!("+55 31 9{:04}-0000", 5000 + i)),
            ("city", CITIES[(i as usize) % 5]),
            ("status", &(1 + i % 3).to_string()),
            ("source", &(1 + i % 2).to_string()),
            ("assigned", "1"),
            ("addedfrom", "1"),
            ("dateadded", &format!("{} 14:30:00", day(40 + i))),
            (
                "lastcontact",
                if i % 4 == 0 {
                    ""
                } else {
                    "2025-03-01 08:00:00"
                },
            ),
            ("junk", if i == 25 { "1" } else { "0" }),
            ("lead_value", &format!("{}.00", i * 1000)),
            ("description", "Interessado em consultoria"),
        ]));
    }
    for i in 1..=12u64 {
        db.projects.insert(&v(&[
            ("name", &format!("Projeto {i}: Implantação")),
            ("description", "Implantação do CRM"),
            ("status", &(1 + i % 5).to_string()),
            ("clientid", &(1 + (i - 1) % 10).to_string()),
            ("billing_type", &(1 + i % 3).to_string()),
            ("start_date", &day(60 + i)),
            ("deadline", &day(120 + i)),
            ("project_created", &day(59 + i)),
            ("project_cost", &format!("{}.00", 5000 + i * 250)),
            ("addedfrom", "1"),
        ]));
    }
    for i in 1..=30u64 {
        let proj = 1 + (i - 1) % 12;
        db.tasks.insert(&v(&[
            ("name", &format!("Tarefa {i}")),
            ("description", "Acompanhar cliente"),
            ("priority", &(1 + i % 4).to_string()),
            ("dateadded", &format!("{} 11:00:00", day(70 + i))),
            ("startdate", &day(70 + i)),
            ("duedate", &day(80 + i)),
            ("addedfrom", "1"),
            ("status", &(1 + i % 5).to_string()),
            ("rel_id", &proj.to_string()),
            ("rel_type", "project"),
            ("billable", if i.is_multiple_of(2) { "1" } else { "0" }),
            ("hourly_rate", "0.00"),
        ]));
    }
    for i in 1..=20u64 {
        let client = 1 + (i - 1) % 15;
        let (qty, rate) = (1 + i % 3, 100 * i);
        let subtotal = qty * rate;
        let id = db.invoices.insert(&v(&[
            ("clientid", &client.to_string()),
            ("number", &format!("{i:06}")),
            ("prefix", "INV-"),
            ("number_format", "1"),
            ("datecreated", &format!("{} 12:00:00", day(90 + i))),
            ("date", &day(90 + i)),
            ("duedate", &day(120 + i)),
            ("currency", "1"),
            ("subtotal", &format!("{subtotal}.00")),
            ("total_tax", "0.00"),
            ("total", &format!("{subtotal}.00")),
            ("hash", &format!("{:032x}", i * 104_729)),
            ("status", &(1 + i % 6).to_string()),
            ("allowed_payment_modes", "[\"1\"]"),
            ("discount_type", ""),
            ("billing_street", &format!("Rua {client}, {}", 100 + client)),
            ("sent", if i.is_multiple_of(2) { "1" } else { "0" }),
        ]));
        db.items.insert(&v(&[
            ("rel_id", &id.to_string()),
            ("rel_type", "invoice"),
            ("description", &format!("Serviço {i}")),
            ("long_description", ""),
            ("qty", &format!("{qty}.00")),
            ("rate", &format!("{rate}.00")),
            ("unit", "h"),
            ("item_order", "1"),
        ]));
    }
}
