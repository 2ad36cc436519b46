//! Queue-wide numbers for the tabs and the status bar, computed by the worker
//! thread (or inline when there is none).

use chrono::{DateTime, Utc};

use super::Counts;
use crate::model::Priority;
use crate::sla::promises;
use crate::store::{SortOrder, Store, StoreError, TicketFilter, View};

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
                .is_some_and(|r| crate::sla::reply_due(sla, &r.ticket).is_some_and(|d| d < now));
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
