//! The store's API: what the rest of firstline asks of a ticket queue, as traits
//! by area joined in [`QueueStore`]. Backend-neutral: arguments and results are
//! `model` types and the plain types of `store::types` / `store::query`, errors are
//! [`StoreError`]s. SQLite (`store::sqlite`) and PostgreSQL (`store::postgres`)
//! implement them and pass the same conformance suite (`tests/store_conformance.rs`,
//! `tests/store_conformance_pg.rs`).
//!
//! The contract every backend keeps: each write is one transaction that also writes
//! its audit event and keeps search in step; a ticket write checks the ticket's
//! version and refuses a stale one with [`StoreError::Conflict`]; ids are never
//! reused; an outbox claim is exclusive across handles.
//!
//! Backend-only operations (SQLite's backup, restore, bulk mode, dry run) are not
//! here: they are reached through the backend itself, see `Store::sqlite`.

use chrono::{DateTime, Utc};
use std::path::Path;

use super::blobs::{BlobStore, Bucket};
pub use super::presence::PresenceStore;
use super::query::{SearchHit, SearchQuery, SearchResults};
use super::types::*;
use super::{Result, StoreError};
use crate::model::{
    CannedResponse, Customer, CustomerId, Draft, Event, Formality, Language, Message, MessageId,
    NewCanned, NewMessage, NewTicket, Ticket, TicketChange, TicketDetail, TicketId, TicketSummary,
};

/// Everything a queue backend provides; what `Store` holds. Implemented for every
/// type that implements all the area traits, so a backend implements those.
pub trait QueueStore:
    QueueMeta
    + TicketStore
    + MessageStore
    + CustomerStore
    + DraftStore
    + CannedStore
    + SearchStore
    + IngestStore
    + ChatStore
    + OutboxStore
    + FollowupStore
    + ReportStore
    + WatchStore
    + DemoStore
    + DumpStore
    + PresenceStore
    + Send
    + std::any::Any
{
}

impl<T> QueueStore for T where
    T: QueueMeta
        + TicketStore
        + MessageStore
        + CustomerStore
        + DraftStore
        + CannedStore
        + SearchStore
        + IngestStore
        + ChatStore
        + OutboxStore
        + FollowupStore
        + ReportStore
        + WatchStore
        + DemoStore
        + DumpStore
        + PresenceStore
        + Send
        + 'static
{
}

/// The handle itself: where the queue lives, who is writing, and the small settings
/// table that lives with the data.
pub trait QueueMeta {
    /// Whether this open created the schema, i.e. the queue was new or empty. First-run
    /// seeding keys off this, never off "has no tickets", so an emptied queue stays empty.
    fn was_created(&self) -> bool;

    /// The file this queue lives in, when it is one (`None` in memory or on a server).
    fn path(&self) -> Option<&Path>;

    /// Where another handle on this queue can be opened (`None` in memory): what
    /// background threads open their own connection from, on a file or a server.
    fn location(&self) -> Option<super::Location>;

    /// A number that changes whenever another handle (another console, an import in
    /// another shell, this process's courier) commits to the queue, and not for this
    /// handle's own writes. Cheap: the console asks it every tick.
    fn data_version(&self) -> Result<i64>;

    /// Names who the audit log says made the following changes.
    fn set_actor(&mut self, actor: &str);

    /// Reads a value from the key/value table (settings that live with the data).
    fn meta(&self, key: &str) -> Result<Option<String>>;

    /// Writes a value to the key/value table.
    fn set_meta(&mut self, key: &str, value: &str) -> Result<()>;

    /// Where this queue keeps `bucket`'s files (attachments, saved replies); `None`
    /// when it keeps none (a queue in memory).
    fn blobs(&self, bucket: Bucket) -> Option<Box<dyn BlobStore>>;
}

/// Tickets: opening, reading, listing for the inbox, and audited changes with
/// optimistic concurrency (a stale version is refused with `StoreError::Conflict`).
pub trait TicketStore {
    /// Opens a ticket with its customer and first message, all or nothing.
    fn create_ticket(&mut self, new: &NewTicket) -> Result<TicketId>;

    /// Opens many tickets, each with its whole thread, in one transaction: the fast
    /// path for generators and bulk loads (one fsync instead of one per message).
    /// Each ticket ends in the status its `NewTicket` names (a solved thread stays
    /// solved even though its messages would have reopened it one by one).
    fn create_threads(&mut self, threads: &[(NewTicket, Vec<NewMessage>)])
        -> Result<Vec<TicketId>>;

    /// One ticket.
    fn ticket(&self, id: TicketId) -> Result<Ticket>;

    /// A ticket with its customer, thread, draft and audit log.
    fn ticket_detail(&self, id: TicketId) -> Result<TicketDetail>;

    /// The inbox: tickets matching `filter`, with what a list row shows.
    fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketSummary>>;

    /// How many tickets match `filter` (ignoring limit/offset), for scroll bars and tabs.
    fn count_tickets(&self, filter: &TicketFilter) -> Result<i64>;

    /// Where ticket `id` sits in the list `filter` gives (0-based, ignoring
    /// limit/offset), or `None` when it is not in it: the console keeps its cursor on
    /// a ticket a reload moved outside the rows it holds (a big import ahead of it).
    fn ticket_position(&self, filter: &TicketFilter, id: TicketId) -> Result<Option<usize>>;

    /// Other tickets of the same customer, newest first: the "history" sidebar.
    fn customer_tickets(&self, customer: i64) -> Result<Vec<TicketSummary>>;

    /// Applies one change to a ticket. With `expected_version`, a ticket changed by
    /// someone else since it was read is refused with [`StoreError::Conflict`].
    fn change_ticket(
        &mut self,
        id: TicketId,
        change: &TicketChange,
        expected_version: Option<i64>,
    ) -> Result<Ticket>;

    /// Moves every message of ticket `from` into `into` and removes `from`: the same
    /// customer wrote twice about one problem. The target's reply ledger is recomputed
    /// from the combined thread, a draft of `from` is appended to the target's, and
    /// both ids are recorded in the audit log.
    fn merge_tickets(&mut self, from: TicketId, into: TicketId) -> Result<Ticket>;

    /// Since when the longest-waiting customer has waited for a reply (the "never
    /// ignore a message" figure in the status bar); `None` when nobody waits.
    fn oldest_waiting(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>>;

    /// How many customers have waited for a reply since before `before`, and since
    /// when the longest-waiting one has: after an import, the sign of an old archive
    /// that would bury today's customers in Needs reply.
    fn waiting_since_before(&self, before: DateTime<Utc>)
        -> Result<(usize, Option<DateTime<Utc>>)>;

    /// Closes live tickets whose newest message is older than `before`: after
    /// importing years of mail, the ones nobody will answer now go to the archive
    /// instead of burying today's customers in Needs reply. Each gets an audit event.
    fn archive_idle(&mut self, before: DateTime<Utc>) -> Result<usize>;

    /// The audit log, oldest first; `None` for every ticket.
    fn events(&self, ticket: Option<TicketId>) -> Result<Vec<Event>>;

    /// Every customer, for export.
    fn customers(&self) -> Result<Vec<Customer>>;

    /// Every ticket, for export.
    fn tickets(&self) -> Result<Vec<Ticket>>;
}

/// Messages in a ticket's thread.
pub trait MessageStore {
    /// Adds a message to a ticket's thread (an import, a reply, a note).
    fn add_message(&mut self, ticket: TicketId, message: &NewMessage) -> Result<MessageId>;

    /// A ticket's thread, oldest first.
    fn messages(&self, ticket: TicketId) -> Result<Vec<Message>>;

    /// The ticket a Message-ID belongs to, for threading replies and skipping duplicates.
    fn ticket_by_message_id(&self, message_id: &str) -> Result<Option<TicketId>>;
}

/// Customers and what is known of them.
pub trait CustomerStore {
    /// One customer with all their addresses.
    fn customer(&self, id: CustomerId) -> Result<Customer>;

    /// Records what intake learned about how a customer writes. `Unknown`/`Other`
    /// never overwrite a known value: one short "ok" must not erase what we knew.
    fn set_customer_profile(
        &mut self,
        id: CustomerId,
        language: Language,
        formality: Formality,
    ) -> Result<()>;
}

/// The canned-reply library, its usage counts and suggestion scores.
pub trait CannedStore {
    /// Every canned response that is not deleted, by language and title.
    fn canned_list(&self) -> Result<Vec<CannedResponse>>;

    /// One canned response by id; a deleted one is `NotFound`.
    fn canned_get(&self, id: i64) -> Result<CannedResponse>;

    /// One canned response by its slug, if it exists and is not deleted.
    fn canned_by_slug(&self, slug: &str) -> Result<Option<CannedResponse>>;

    /// Whether any response, deleted ones included, holds `slug`.
    fn canned_slug_taken(&self, slug: &str) -> Result<bool>;

    /// Adds a response written by the user. A slug already taken is refused, saying
    /// whether the holder is deleted (and so can be restored instead).
    fn canned_add(&mut self, item: &NewCanned) -> Result<i64>;

    /// Replaces a response's text and fields. A starter reply edited this way is marked
    /// as the user's, so library updates never overwrite it.
    fn canned_update(&mut self, id: i64, item: &NewCanned) -> Result<()>;

    /// Deletes a response, returning it so the caller can offer undo
    /// ([`Self::canned_restore`]). Its usage history stays for the statistics.
    fn canned_delete(&mut self, id: i64) -> Result<CannedResponse>;

    /// Undoes [`Self::canned_delete`].
    fn canned_restore(&mut self, id: i64) -> Result<CannedResponse>;

    /// Records that outbound `message` came from response `canned_id` (edited or not):
    /// links the message for the tone checker, counts the use, and remembers the
    /// customer message it answered so future suggestions learn from it.
    fn canned_record_sent(
        &mut self,
        message: MessageId,
        canned_id: i64,
        edited: bool,
    ) -> Result<()>;

    /// Which response, if any, an outbound message came from, and whether it was edited.
    fn canned_origin(&self, message: MessageId) -> Result<Option<(i64, bool)>>;

    /// Relevance of every response to a customer message, best first, as
    /// `(response id, score)`: BM25 over the messages each response answered before,
    /// plus BM25 over the responses' own title, keywords, tags and body (so a new
    /// library suggests something on day one). Deleted responses are left out.
    fn canned_suggestion_scores(&self, message: &str) -> Result<Vec<(i64, f64)>>;

    /// Brings the starter library up to date: adds new replies, updates the ones the
    /// user never touched whose wording changed (`builtin_hash` differs), and keeps
    /// every reply the user edited or deleted exactly as it is.
    fn canned_sync_starter(&mut self, items: &[(NewCanned, String)]) -> Result<StarterSync>;
}

/// What chat channels need beyond mail intake: edits, customer facts, away replies.
pub trait ChatStore {
    /// Stores new chat messages, edits and customer facts with the channel's position,
    /// all in one transaction.
    fn ingest_chat_batch(
        &mut self,
        items: &[IngestMessage],
        edits: &[MessageEdit],
        facts: &[CustomerFacts],
        progress: &SourceProgress,
    ) -> Result<ChatBatchOutcome>;

    /// The ticket holding the message with this Message-ID, if it is stored.
    fn ticket_of_message_id(&self, message_id: &str) -> Result<Option<TicketId>>;

    /// Records that the ticket's away reply is being sent; `false` when it already
    /// was (at most one per ticket, even across a crash: recorded before sending).
    fn claim_away_reply(&mut self, ticket: TicketId) -> Result<bool>;

    /// Replaces the bytes a queued reply will be sent as (a multi-part chat reply
    /// records which parts went out, so a retry never sends one twice).
    fn set_outbound_raw(&mut self, outbox_id: i64, raw: &[u8]) -> Result<()>;
}

/// The demo queue a first run shows, and its removal.
pub trait DemoStore {
    /// Records `ids` as welcome-queue tickets (added to those already recorded).
    fn mark_demo(&mut self, ids: &[TicketId]) -> Result<()>;

    /// The welcome-queue tickets still in the queue.
    fn demo_ticket_ids(&self) -> Result<Vec<TicketId>>;

    /// Deletes the welcome tickets with everything hanging off them (messages,
    /// drafts, outbox entries, follow-ups, events, index rows) and their customers
    /// when no other ticket is theirs, in one transaction. A welcome ticket that a
    /// real ticket was merged into holds real mail and is kept (and stays marked).
    /// Returns how many tickets went.
    fn remove_demo(&mut self) -> Result<usize>;
}

/// Drafts, one per ticket, with the console that writes each (see `store::holders`).
pub trait DraftStore {
    /// Names the console that writes drafts through this connection from now on.
    fn set_draft_holder(&mut self, holder: Option<String>);

    /// This connection's holder id, if it is a console's.
    fn draft_holder(&self) -> Option<&str>;

    /// Saves the reply being written. Called on every pause in typing, so it is a
    /// single upsert; an empty body deletes the draft. A console's write also claims
    /// the draft, and is refused while another running console holds it.
    fn save_draft(&mut self, ticket: TicketId, body: &str) -> Result<DraftSave>;

    /// Makes this console the draft's writer whoever held it (the user said so).
    fn take_over_draft(&mut self, ticket: TicketId) -> Result<()>;

    /// Lets go of ticket `ticket`'s draft if this console holds it: it is kept, and
    /// anyone may continue it.
    fn release_draft(&mut self, ticket: TicketId) -> Result<()>;

    /// The saved draft of a ticket, if any.
    fn draft(&self, ticket: TicketId) -> Result<Option<Draft>>;

    /// Every draft, for export.
    fn drafts(&self) -> Result<Vec<Draft>>;
}

/// The whole queue as one document: export, and import into an empty store.
pub trait DumpStore {
    /// Reads the whole queue into memory. Fine for the sizes one person handles; a
    /// million-message archive wants `backup` instead.
    fn export(&self) -> Result<Dump>;

    /// Loads a dump into an empty store, keeping every id and timestamp, in one
    /// transaction: a failure leaves the store as it was.
    fn import_dump(&mut self, dump: &Dump) -> Result<()>;

    /// The raw bytes kept beside messages (as they came, or as sent), a page at a
    /// time in message-id order after `after`. They stay out of the in-memory
    /// [`Dump`] — a mailbox's worth of bytes — so `copy` moves them page by page.
    fn raw_messages_after(&self, after: MessageId, limit: usize) -> Result<Vec<RawMessageRecord>>;

    /// Stores a page of raw bytes for messages this store already holds (loaded by
    /// [`DumpStore::import_dump`] with the same ids), in one transaction. A message
    /// that already has its bytes keeps them, so a page can be written twice.
    fn put_raw_messages(&mut self, page: &[RawMessageRecord]) -> Result<()>;
}

/// Follow-ups (promises and reminders) and the sent replies they are read from.
pub trait FollowupStore {
    /// Records a follow-up. A second follow-up for the same reply is ignored (the
    /// promise scan runs often), so this returns `None` for a duplicate.
    fn create_followup(&mut self, new: &NewFollowup) -> Result<Option<i64>>;

    /// Follow-ups, soonest first; `open_only` leaves out the done ones.
    fn followups(&self, open_only: bool, ticket: Option<TicketId>) -> Result<Vec<Followup>>;

    /// Open follow-ups due by `due_by`, soonest first, leaving out promises on
    /// tickets that are solved or closed: the only ones that can still need the
    /// user, read without walking every settled promise of a long history. A
    /// follow-up set by hand stays whatever the ticket's status (only marking it
    /// done ends it). Whether a later reply settled a promise is for
    /// `sla::promises::followup_settled` to say.
    fn open_followups_due_by(&self, due_by: DateTime<Utc>) -> Result<Vec<Followup>>;

    /// Marks a follow-up done (the customer was updated, or it no longer applies).
    fn complete_followup(&mut self, id: i64) -> Result<Followup>;

    /// The id the promise scan may start after when replies sent before `since` are
    /// not read: every sent reply at or below it was sent before `since`. Lets the
    /// first scan of a big imported archive skip its years of history.
    fn outbound_scan_floor(&self, since: DateTime<Utc>) -> Result<MessageId>;

    /// Sent replies with an id above `after`, oldest first, for the promise scan.
    fn outbound_messages_after(&self, after: MessageId, limit: usize) -> Result<Vec<Message>>;
}

/// Intake: batches of incoming messages, committed with their source's progress.
pub trait IngestStore {
    /// Stores a batch of incoming messages in one transaction, with the source's
    /// progress. Each entry of the result matches the input at the same index; an
    /// `Err` is that message's own failure (the rest of the batch still commits).
    fn ingest_batch(
        &mut self,
        items: &[IngestMessage],
        progress: Option<&SourceProgress>,
    ) -> Result<Vec<std::result::Result<IngestOutcome, StoreError>>>;

    /// Where an earlier import of `source` stopped, if it recorded anything.
    fn import_progress(&self, source: &str) -> Result<Option<String>>;

    /// Records progress outside a batch (a source finished with nothing new in it).
    fn set_import_progress(&mut self, progress: &SourceProgress) -> Result<()>;

    /// Whether byte-identical content was imported before: lets a re-scan of a big
    /// Maildir skip parsing what it already has.
    fn has_raw(&self, sha256: &str) -> Result<bool>;

    /// The bytes a message arrived as, when intake kept them.
    fn raw_message(&self, message: MessageId) -> Result<Option<Vec<u8>>>;
}

/// The outbox state machine: queued -> sending -> sent / failed / unknown (in doubt) /
/// saved. A claim is exclusive: two handles never both get one reply.
pub trait OutboxStore {
    /// Records an outbound reply and queues its RFC 5322 bytes for delivery at
    /// `not_before`, in one transaction. The draft goes: the reply is in the thread now.
    fn queue_outbound(
        &mut self,
        ticket: TicketId,
        message: &NewMessage,
        raw: &[u8],
        sha256: &str,
        not_before: DateTime<Utc>,
    ) -> Result<(MessageId, i64)>;

    /// Undoes a queued reply: deletes it from the thread, puts its text back as the
    /// draft and the ticket's ledger as it was. `false` when it is no longer queued
    /// (already sending or sent) or was never in the outbox.
    fn cancel_outbound(&mut self, message: MessageId) -> Result<bool>;

    /// The outbox ids of the replies `scope` selects, in delivery order; nothing is
    /// claimed yet (see [`Self::claim_outbound`]). Rows a crash left in `sending`
    /// become `unknown` first.
    fn outbound_due(&mut self, scope: ClaimScope) -> Result<Vec<i64>>;

    /// Marks one reply `sending` and returns its bytes, if `scope` still selects it
    /// (it was not undone, claimed by another process or delivered meanwhile). One
    /// at a time, just before its delivery, so quitting mid-round strands nothing:
    /// the replies not yet handed over are still plain `queued`.
    fn claim_outbound(&mut self, outbox_id: i64, scope: ClaimScope) -> Result<Option<Claimed>>;

    /// Settles a reply in doubt (`unknown`), given up on (`failed`) or only saved
    /// (`saved`): send it again now, or record that it did go out. `false` when the
    /// message is in none of these states.
    fn resolve_outbound(&mut self, message: MessageId, resend: bool) -> Result<bool>;

    /// How many replies wait for the user: (in doubt, given up on). The status bar
    /// shows them so a reply that may not have gone out is never silent.
    fn outbox_attention(&self) -> Result<(i64, i64)>;

    /// Replies that have not reached the customer and are not in doubt or given up
    /// on: (failing and retrying, saved as a file for the user to send). The status bar
    /// keeps them in view until they are delivered, marked sent or taken back.
    fn outbox_undelivered(&self) -> Result<(i64, i64)>;

    /// The tickets with a reply not delivered ([`UNDELIVERED`]): the inbox says so on
    /// their rows, since they are back in Needs reply for that reason.
    fn tickets_with_undelivered_reply(&self) -> Result<std::collections::BTreeSet<TicketId>>;

    /// The transport accepted the reply.
    fn mark_outbound_sent(&mut self, outbox_id: i64) -> Result<()>;

    /// No transport is set: the reply was written to `place` (an `.eml` file) for the
    /// user to send. It stays undelivered, and the customer waiting, until
    /// [`Self::resolve_outbound`] records that it went out.
    fn mark_outbound_saved(&mut self, outbox_id: i64, place: &str) -> Result<()>;

    /// The transport refused or failed: back to `queued` until `retry_at`, or
    /// `failed` when `retry_at` is `None` (too many tries).
    fn mark_outbound_failed(
        &mut self,
        outbox_id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()>;

    /// Replies in the outbox, oldest first; sent ones only when asked.
    fn outbox_entries(&self, include_sent: bool) -> Result<Vec<OutboxEntry>>;

    /// A ticket's replies that have not reached the customer ([`UNDELIVERED`]), with
    /// their outbox rows: the thread marks them so none passes for an answer.
    fn undelivered_replies(&self, ticket: TicketId) -> Result<Vec<OutboxEntry>>;

    /// The outbox row of one message (the console's countdown reads this).
    fn outbox_entry(&self, message: MessageId) -> Result<Option<OutboxEntry>>;
}

/// The rows a report is computed from.
pub trait ReportStore {
    /// Tickets created or resolved at or after `since`, plus every ticket still open
    /// (the backlog), with all their messages and events: three queries over the
    /// whole set, not three per ticket (a year's report opened from the console must
    /// not cost thousands of round trips).
    fn report_data(&self, since: DateTime<Utc>) -> Result<ReportData>;
}

/// Full-text search over a parsed [`SearchQuery`]; each backend compiles it to its own
/// index's language.
pub trait SearchStore {
    /// Finds tickets for a query, newest first (or best first with `sort:relevance`),
    /// at most `limit` of them.
    fn search(&self, query: &SearchQuery, limit: usize) -> Result<Vec<SearchHit>>;

    /// Finds tickets for a query with the number that matched in all. Every filter,
    /// dates included, applies before the limit (SQLite: in the one statement that
    /// picks the tickets), so the limit cuts the answer and never the candidates a
    /// filter then thins out.
    ///
    /// *Newest* orders tickets by their newest matching message (with no words: their
    /// newest message inside the `after:`/`before:` window), the way mail readers order
    /// threads. Counting needs every match, so a common word reads all its postings;
    /// that is the price of an honest "50 of 732".
    fn search_counted(&self, query: &SearchQuery, limit: usize) -> Result<SearchResults>;
}

/// The site watch's checks and incident tickets.
pub trait WatchStore {
    /// Appends a check to the history.
    fn record_site_check(&mut self, check: &SiteCheck) -> Result<()>;

    /// The history of one site, oldest first.
    fn site_checks(&self, url: &str) -> Result<Vec<SiteCheck>>;

    /// The incident ticket of a site, down or recovered, if it ever had one.
    fn site_incident(&self, url: &str) -> Result<Option<SiteIncident>>;

    /// Updates a site's incident row (a note while it stays down).
    fn set_site_incident(&mut self, incident: &SiteIncident) -> Result<()>;

    /// Forgets a site's incident ticket (it was marked spam): the next outage opens a
    /// new one.
    fn clear_site_incident(&mut self, url: &str) -> Result<()>;

    /// A site's first outage: opens its incident ticket and remembers it, all or nothing.
    fn open_site_incident(
        &mut self,
        url: &str,
        ticket: &NewTicket,
        problem: &str,
        at: DateTime<Utc>,
    ) -> Result<TicketId>;

    /// A new outage of a site that has a ticket (or one solved by hand while the site
    /// was still down): `report`, an inbound message from the watch, goes on the
    /// ticket, which reopens it and starts its wait exactly as a customer's message
    /// would; `incident` is the row as it stands afterwards.
    fn reopen_site_incident(&mut self, incident: &SiteIncident, report: &NewMessage) -> Result<()>;

    /// The site is back: `note` goes on the ticket and the ticket is solved, so it
    /// leaves Needs reply (the watch's report is answered by the recovery; nobody
    /// waits on it any more). The row stays for the next outage.
    fn recover_site_incident(
        &mut self,
        incident: &SiteIncident,
        note: &NewMessage,
        at: DateTime<Utc>,
    ) -> Result<()>;
}
