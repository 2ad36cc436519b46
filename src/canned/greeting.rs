//! The one greeting of every reply firstline writes itself ("still working on it",
//! "it is solved"): the library's greeting snippet for the customer's language and
//! register, rendered like any canned reply, so the customer's name takes the form a
//! greeting needs ("Вітаю, Ігоре!" through the `vocative` filter) and changing how
//! Ukrainian customers are greeted stays one edit in the library.

use chrono::{DateTime, Utc};

use super::{greeting_for, render, starter_items, RenderContext};
use crate::config::AgentConfig;
use crate::model::{CannedResponse, Customer, Formality, Language};

/// The greeting line that opens a generated reply to `customer`: their language and
/// register's greeting from `items` (the user's library), else from the starter
/// library (the user deleted theirs), else the English one (a language the library
/// has no greeting for).
pub fn greeting_line(
    items: &[CannedResponse],
    customer: &Customer,
    agent: &AgentConfig,
    now: DateTime<Utc>,
) -> String {
    let starter: Vec<CannedResponse> = starter_items()
        .unwrap_or_default()
        .into_iter()
        .map(CannedResponse::unsaved)
        .collect();
    let body = greeting_for(items, customer.language, customer.formality)
        .or_else(|| greeting_for(&starter, customer.language, customer.formality))
        .or_else(|| greeting_for(&starter, Language::En, Formality::Unknown))
        .map(|g| g.body.as_str())
        .unwrap_or_default();
    let ctx = RenderContext {
        customer: Some(customer),
        ticket: None,
        agent,
        now,
    };
    render(body, &ctx).text.trim().to_string()
}
