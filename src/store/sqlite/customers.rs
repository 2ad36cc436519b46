//! Customers and the addresses that lead to them.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{from_ts, parse_col, to_ts, Result, SqliteStore, StoreError};
use crate::model::{Customer, CustomerId, Formality, Language, NewCustomer};
use crate::store::api::*;
use crate::store::rules::normalize_phone;

/// Named with `AS` (rows are read by name), from `customers c`.
pub(crate) const CUSTOMER_COLUMNS: &str = "c.id AS id, c.name AS name, c.phone AS phone, \
    c.language AS language, c.formality AS formality, c.notes AS notes, \
    c.created_at AS created_at";

pub(crate) fn customer_from_row(conn: &Connection, row: &Row<'_>) -> rusqlite::Result<Customer> {
    let id: CustomerId = row.get("id")?;
    let mut emails = Vec::new();
    let mut handles = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT kind, value FROM customer_addresses WHERE customer_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    for pair in rows {
        let (kind, value) = pair?;
        match kind.as_str() {
            "email" => emails.push(value),
            "handle" => handles.push(value),
            _ => {}
        }
    }
    Ok(Customer {
        id,
        name: row.get("name")?,
        emails,
        handles,
        phone: row.get("phone")?,
        language: parse_col::<Language>(3, row.get("language")?)?,
        formality: parse_col::<Formality>(4, row.get("formality")?)?,
        notes: row.get("notes")?,
        created_at: from_ts(row.get("created_at")?),
    })
}

/// Finds the customer behind any of the given addresses, or creates one. A display
/// name is filled in when we only knew an address before; it is never overwritten.
pub(crate) fn upsert(conn: &Connection, who: &NewCustomer) -> Result<CustomerId> {
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
        found = conn
            .prepare_cached(
                "SELECT customer_id FROM customer_addresses WHERE kind = ?1 AND value = ?2",
            )?
            .query_row(params![kind, value], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            break;
        }
    }
    let name = who.name.trim();
    let id = match found {
        Some(id) => {
            if !name.is_empty() {
                conn.prepare_cached(
                    "UPDATE customers SET name = ?2 WHERE id = ?1 AND (name = '' OR name LIKE '%@%')",
                )?
                .execute(
                    params![id, name],
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
            conn.prepare_cached(
                "INSERT INTO customers(name, phone, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![display, who.phone, to_ts(Utc::now())])?;
            conn.last_insert_rowid()
        }
    };
    for (kind, value) in &keys {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO customer_addresses(kind, value, customer_id) VALUES (?1, ?2, ?3)",
        )?
        .execute(
            params![kind, value, id],
        )?;
    }
    Ok(id)
}

impl CustomerStore for SqliteStore {
    fn customer(&self, id: CustomerId) -> Result<Customer> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = ?1");
        self.conn
            .query_row(&sql, [id], |r| customer_from_row(&self.conn, r))
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "customer",
                id,
            })
    }

    fn set_customer_profile(
        &mut self,
        id: CustomerId,
        language: Language,
        formality: Formality,
    ) -> Result<()> {
        let tx = self.write()?;
        if language != Language::Other {
            tx.execute(
                "UPDATE customers SET language = ?2 WHERE id = ?1",
                params![id, language.as_str()],
            )?;
        }
        if formality != Formality::Unknown {
            tx.execute(
                "UPDATE customers SET formality = ?2 WHERE id = ?1",
                params![id, formality.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_compare_by_digits() {
        assert_eq!(normalize_phone("+380 50 123-45-67"), "+380501234567");
        assert_eq!(normalize_phone("(050) 123 4567"), "0501234567");
    }

    #[test]
    fn same_address_is_the_same_customer_and_name_fills_in_later() {
        let store = SqliteStore::open_in_memory().unwrap();
        let a = upsert(
            &store.conn,
            &NewCustomer {
                email: Some("Olena@Example.com".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let b = upsert(
            &store.conn,
            &NewCustomer {
                name: "Олена Коваль".into(),
                email: Some("olena@example.com".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(a, b);
        let c = store.customer(a).unwrap();
        assert_eq!(c.name, "Олена Коваль");
        assert_eq!(c.emails, vec!["olena@example.com"]);
    }
}
