//! Customers and every address they are known by (SQLite's `customers.rs`).

use chrono::Utc;
use postgres::{GenericClient, Row};

use super::{from_ts, parse_col, to_ts, PgStore, Result};
use crate::model::{Customer, CustomerId, Formality, Language, NewCustomer};
use crate::store::api::*;
use crate::store::rules::normalize_phone;
use crate::store::StoreError;

pub(crate) const CUSTOMER_COLUMNS: &str =
    "c.id, c.name, c.phone, c.language, c.formality, c.notes, c.created_at";

/// One customer from a row selected with [`CUSTOMER_COLUMNS`], addresses read after.
pub(crate) fn customer_from_row(c: &mut impl GenericClient, row: &Row) -> Result<Customer> {
    let id: CustomerId = row.get("id");
    let mut emails = Vec::new();
    let mut handles = Vec::new();
    for r in c.query(
        "SELECT kind, value FROM customer_addresses WHERE customer_id = $1 ORDER BY pos",
        &[&id],
    )? {
        let (kind, value): (String, String) = (r.get(0), r.get(1));
        match kind.as_str() {
            "email" => emails.push(value),
            "handle" => handles.push(value),
            _ => {}
        }
    }
    Ok(Customer {
        id,
        name: row.get("name"),
        emails,
        handles,
        phone: row.get("phone"),
        language: parse_col::<Language>("language", row.get("language"))?,
        formality: parse_col::<Formality>("formality", row.get("formality"))?,
        notes: row.get("notes"),
        created_at: from_ts(row.get("created_at")),
    })
}

pub(crate) fn load_customer(c: &mut impl GenericClient, id: CustomerId) -> Result<Customer> {
    let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1");
    match c.query_opt(&sql, &[&id])? {
        Some(row) => customer_from_row(c, &row),
        None => Err(StoreError::NotFound {
            what: "customer",
            id,
        }),
    }
}

/// Finds the customer by any address they gave, or adds them; records every new
/// address. The same rules as SQLite's `upsert`.
pub(crate) fn upsert(c: &mut impl GenericClient, who: &NewCustomer) -> Result<CustomerId> {
    let keys: Vec<(&str, String)> = [
        ("email", who.email.as_ref().map(|e| e.trim().to_lowercase())),
        ("handle", who.handle.as_ref().map(|h| h.trim().to_string())),
        ("phone", who.phone.as_ref().map(|p| normalize_phone(p))),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();

    let mut found: Option<CustomerId> = None;
    for (kind, value) in &keys {
        found = c
            .query_opt(
                "SELECT customer_id FROM customer_addresses WHERE kind = $1 AND value = $2",
                &[kind, value],
            )?
            .map(|r| r.get(0));
        if found.is_some() {
            break;
        }
    }
    let name = who.name.trim();
    let id = match found {
        Some(id) => {
            if !name.is_empty() {
                c.execute(
                    "UPDATE customers SET name = $2 WHERE id = $1 AND (name = '' OR name LIKE '%@%')",
                    &[&id, &name],
                )?;
            }
            id
        }
        None => {
            let display = if name.is_empty() {
                keys.first()
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "Unknown".into())
            } else {
                name.to_string()
            };
            c.query_one(
                "INSERT INTO customers(name, phone, created_at) VALUES ($1, $2, $3) RETURNING id",
                &[&display, &who.phone, &to_ts(Utc::now())],
            )?
            .get(0)
        }
    };
    for (kind, value) in &keys {
        c.execute(
            "INSERT INTO customer_addresses(kind, value, customer_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[kind, value, &id],
        )?;
    }
    Ok(id)
}

impl CustomerStore for PgStore {
    fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.read(|c| load_customer(c, id))
    }

    fn set_customer_profile(
        &mut self,
        id: CustomerId,
        language: Language,
        formality: Formality,
    ) -> Result<()> {
        self.write(|tx, _| {
            if language != Language::Other {
                tx.execute(
                    "UPDATE customers SET language = $2 WHERE id = $1",
                    &[&id, &language.as_str()],
                )?;
            }
            if formality != Formality::Unknown {
                tx.execute(
                    "UPDATE customers SET formality = $2 WHERE id = $1",
                    &[&id, &formality.as_str()],
                )?;
            }
            Ok(())
        })
    }
}
