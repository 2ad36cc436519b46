//! Queue-wide numbers for the console's tabs and status bar: how many tickets each
//! view holds, how many are overdue, and the follow-ups coming due. The console's
//! worker thread computes them (or the console inline when there is none); they
//! live here, beside the SLA rules they apply, so the worker need not reach into
//! the console's state.

use chrono::{DateTime, Utc};

use super::promises;
use crate::model::Priority;
use crate::store::{SortOrder, Store, StoreError, TicketFilter, View};

/// Queue-wide numbers for the tabs and the status bar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub per_view: [i64; 6],
    pub overdue: i64,
    /// Since when the longest-waiting customer has waited for a reply.
    pub oldest_waiting: Option<DateTime<Utc>>,
    /// Follow-ups due or within a warning mark and not settled (see
    /// `sla::promises::due_followups`).
    pub followups_due: i64,
    /// How many of those are past due.
    pub followups_overdue: i64,
    /// The soonest due follow-up per ticket, for the inbox marker.
    pub followup_tickets: std::collections::BTreeMap<crate::model::TicketId, DateTime<Utc>>,
}

/// Counts every view, the overdue tickets and the due follow-ups. Overdue is found
/// per priority by binary search over the due-ordered list (overdue tickets come
/// first within one priority), so it costs a few small queries instead of reading
/// the queue. Follow-ups are those recorded so far: see [`scan_then_count`].
pub fn compute_counts(
    store: &Store,
    sla: &crate::config::SlaConfig,
    now: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    for (i, v) in View::ALL.iter().enumerate() {
        counts.per_view[i] = store.count_tickets(&TicketFilter {
            view: Some(*v),
            ..Default::default()
        })?;
    }
    for p in Priority::ALL {
        let filter = TicketFilter {
            view: Some(View::NeedsReply),
            priority: Some(*p),
            sort: SortOrder::Due,
            ..Default::default()
        };
        let (mut lo, mut hi) = (0usize, store.count_tickets(&filter)?.max(0) as usize);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let row = store.list_tickets(&TicketFilter {
                limit: Some(1),
                offset: mid,
                ..filter.clone()
            })?;
            let late = row
                .first()
                .is_some_and(|r| super::reply_due(sla, &r.ticket).is_some_and(|d| d < now));
            if late {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        counts.overdue += lo as i64;
    }
    counts.oldest_waiting = store.oldest_waiting(now)?;
    for due in promises::due_followups(store, sla, now)? {
        counts.followups_due += 1;
        if due.followup.due_at < now {
            counts.followups_overdue += 1;
        }
        counts
            .followup_tickets
            .entry(due.followup.ticket_id)
            .or_insert(due.followup.due_at);
    }
    Ok(counts)
}

/// Reads replies sent since the last count for promises (recording follow-ups),
/// then counts. What the console does when there is no worker.
pub fn scan_then_count(
    store: &mut Store,
    sla: &crate::config::SlaConfig,
    now: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    promises::scan_replies(store, sla, now)?;
    compute_counts(store, sla, now)
}
