//! The away reply for live mail (`[mail] away_reply = true`): outside the `[sla]`
//! hours, the customer who opens a *new* ticket by mail gets one short answer in
//! their language and with their "you", saying when a person will reply. What it
//! says is `sla::away`'s (the Telegram bot says the same); this module decides
//! *whether* a fetched message may get one, in the spirit of RFC 3834:
//!
//! - only mail that reached the server after the folder's first sync, and within the
//!   last [`FRESH_HOURS`] (a laptop that was off for a week fetches a backlog, not a
//!   conversation). File imports (`import`, the Maildir `watch`) never answer: a file
//!   is a backlog by nature, and an old mbox must never make firstline write to anyone;
//! - never to mailing lists (`List-Id`, `List-Unsubscribe`, `Precedence: bulk`,
//!   `list` or `junk`), bounces (empty return path, `MAILER-DAEMON`,
//!   `multipart/report`), automatic mail (`Auto-Submitted` other than `no`,
//!   `X-Auto-Response-Suppress`), or our own addresses;
//! - at most one per ticket, and one per customer address per [`PER_CUSTOMER_HOURS`].
//!
//! The reply goes through the outbox and the normal transport, marked
//! `Auto-Submitted: auto-replied` and `In-Reply-To` the customer's message. In the
//! thread it is a note ("Automatic away reply …"), not a reply: it must not count as
//! the first response, end the customer's wait, or keep or make a promise.

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::model::{Direction, MessageId, TicketId};
use crate::store::{SourceProgress, Store};

/// Mail that reached the server longer ago than this gets no away reply.
pub(crate) const FRESH_HOURS: i64 = 24;
/// One away reply per customer address in this many hours.
pub(crate) const PER_CUSTOMER_HOURS: i64 = 24;
/// Who the thread says wrote the note.
const AUTHOR: &str = "firstline (automatic)";

/// Why a message gets no away reply. The fetch does not report these (most mail
/// arrives during the day); they make the decision testable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAwayReply {
    /// `List-Id`, `List-Unsubscribe` or `Precedence: bulk | list | junk`.
    MailingList,
    /// Empty return path, `MAILER-DAEMON`, or a `multipart/report`.
    Bounce,
    /// `Auto-Submitted` other than `no`, or `X-Auto-Response-Suppress`.
    Automatic,
    /// From one of our own addresses, or from nobody readable.
    NotACustomer,
    /// Reached the server before the folder was first synced.
    BeforeFirstSync,
    /// Reached the server more than [`FRESH_HOURS`] ago.
    Stale,
    /// The desk is open (or `[sla] hours` is not set).
    DeskOpen,
    /// This customer got one in the last [`PER_CUSTOMER_HOURS`].
    AnsweredRecently,
}

/// `[mail] away_reply = true` must be able to happen: business hours to be away
/// outside of, and an address to answer from.
pub fn check_settings(config: &Config) -> Vec<crate::config::Invalid> {
    let mut found = Vec::new();
    if !config.mail.away_reply {
        return found;
    }
    if config.sla.hours.trim().is_empty() {
        found.push(crate::config::Invalid {
            key: "mail.away_reply".into(),
            message: "[mail] away_reply = true needs [sla] hours (e.g. hours = \"09:00-18:00\"): without them the desk is always open and no away reply is ever due".into(),
        });
    }
    if config.sender_address().is_none() {
        found.push(crate::config::Invalid {
            key: "mail.away_reply".into(),
            message: "[mail] away_reply = true needs an address to answer from: set [agent] email or [mail] addresses".into(),
        });
    }
    found
}

/// What the headers of one fetched message say about answering it automatically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFacts {
    /// The sender's address, lowercased.
    pub from: Option<String>,
    pub list: bool,
    pub bounce: bool,
    pub automatic: bool,
}

/// Reads the headers that matter (unfolded, names case-insensitive) from raw mail.
pub fn mail_facts(raw: &[u8]) -> MailFacts {
    let mut facts = MailFacts::default();
    let headers = header_fields(raw);
    let get = |name: &'static str| values(&headers, name);
    facts.list = get("List-Id").next().is_some()
        || get("List-Unsubscribe").next().is_some()
        || get("Precedence")
            .any(|v| matches!(v.to_ascii_lowercase().as_str(), "bulk" | "list" | "junk"));
    facts.automatic = get("Auto-Submitted").any(|v| {
        let word = v.split(';').next().unwrap_or("").trim();
        !word.eq_ignore_ascii_case("no")
    }) || get("X-Auto-Response-Suppress").next().is_some();
    let empty_return_path = get("Return-Path").any(|v| v.trim_matches(['<', '>', ' ']).is_empty());
    let report = get("Content-Type").any(|v| {
        v.to_ascii_lowercase()
            .split(';')
            .next()
            .is_some_and(|t| t.trim() == "multipart/report")
    });
    facts.from = mail_parser::MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| {
            m.from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(|a| a.trim().to_lowercase())
        })
        .filter(|a| !a.is_empty());
    let daemon = facts.from.as_deref().is_some_and(|a| {
        let local = a.split('@').next().unwrap_or("");
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
    });
    facts.bounce = empty_return_path || report || daemon;
    facts
}

/// The values of every `name` header.
fn values<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// The header block as (name, unfolded value) pairs; the body is never read.
pub(crate) fn header_fields(raw: &[u8]) -> Vec<(String, String)> {
    let end = raw
        .windows(2)
        .position(|w| w == b"\n\n" || w == b"\n\r")
        .map_or(raw.len(), |i| i + 1);
    let text = String::from_utf8_lossy(&raw[..end]);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

/// Whether the message itself may be answered by a robot: not a list, a bounce,
/// automatic mail, or mail from us.
pub fn refusal(facts: &MailFacts, own: &[String]) -> Option<NoAwayReply> {
    if facts.bounce {
        return Some(NoAwayReply::Bounce);
    }
    if facts.automatic {
        return Some(NoAwayReply::Automatic);
    }
    if facts.list {
        return Some(NoAwayReply::MailingList);
    }
    match &facts.from {
        Some(from) if !own.iter().any(|o| o.trim().eq_ignore_ascii_case(from)) => None,
        _ => Some(NoAwayReply::NotACustomer),
    }
}

/// Whether the time is right: the message reached the server after the folder's
/// first sync and recently, and the desk is closed now.
pub fn timing(
    calendar: &crate::sla::BusinessCalendar,
    arrived: DateTime<Utc>,
    first_sync: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<NoAwayReply> {
    // INTERNALDATE has whole seconds: mail in the second of the first sync is new.
    if arrived < first_sync {
        return Some(NoAwayReply::BeforeFirstSync);
    }
    if now - arrived > Duration::hours(FRESH_HOURS) {
        return Some(NoAwayReply::Stale);
    }
    if crate::sla::away::next_opening(calendar, now).is_none() {
        return Some(NoAwayReply::DeskOpen);
    }
    None
}

/// One fetched message that may deserve an away reply, noted while fetching.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The import location (`shop/INBOX UID 7`), which the import's list of opened
    /// tickets names.
    pub location: String,
    pub facts: MailFacts,
    /// INTERNALDATE: when the server got it (a Date header can say anything).
    pub arrived: DateTime<Utc>,
    pub first_sync: DateTime<Utc>,
}

/// What answering did.
#[derive(Debug, Default)]
pub(crate) struct Answered {
    /// Away replies queued (and handed to the transport).
    pub queued: Vec<MessageId>,
    /// Of those, the ones the transport did not accept (yet): they wait in the outbox.
    pub undelivered: usize,
    /// Away replies that could not even be queued.
    pub problems: Vec<String>,
}

/// Queues and delivers the away replies due for the tickets this fetch opened.
/// `opened` is the import's (location, ticket) list: only a message that opened a
/// ticket is answered, never one that joined a thread or was already stored.
pub(crate) fn answer(
    store: &mut Store,
    config: &Config,
    opened: &[(String, TicketId)],
    candidates: &[Candidate],
    now: DateTime<Utc>,
) -> Answered {
    let mut done = Answered::default();
    if !config.mail.away_reply || opened.is_empty() {
        return done;
    }
    let calendar = crate::sla::BusinessCalendar::lenient(&config.sla);
    let own = config.own_contacts();
    for (location, ticket) in opened {
        let Some(c) = candidates.iter().find(|c| &c.location == location) else {
            continue;
        };
        if refusal(&c.facts, &own)
            .or_else(|| timing(&calendar, c.arrived, c.first_sync, now))
            .is_some()
        {
            continue;
        }
        let Some(from) = c.facts.from.as_deref() else {
            continue;
        };
        match queue_one(store, config, &calendar, *ticket, from, now) {
            Ok(Some(id)) => done.queued.push(id),
            Ok(None) => {}
            Err(e) => done.problems.push(format!("away reply on #{ticket}: {e}")),
        }
    }
    // Handed to the transport at once (they have no undo window). One it refuses
    // stays in the outbox, retried and shown there like any reply: not a problem
    // of the mailbox, which was read fine.
    for id in &done.queued {
        let delivered =
            crate::mail::deliver_now(store, config, crate::store::ClaimScope::Message(*id))
                .is_ok_and(|report| report.sent.iter().any(|(m, _)| m == id));
        if !delivered {
            done.undelivered += 1;
        }
    }
    done
}

/// The `import_sources` key remembering when `address` last got an away reply.
fn customer_key(address: &str) -> String {
    format!("away-reply:mail:{address}")
}

/// Whether `last` (an RFC 3339 time) is within [`PER_CUSTOMER_HOURS`] of `now`.
pub fn answered_recently(last: Option<&str>, now: DateTime<Utc>) -> bool {
    last.and_then(|t| DateTime::parse_from_rfc3339(t.trim_matches('"')).ok())
        .is_some_and(|at| now - at.with_timezone(&Utc) < Duration::hours(PER_CUSTOMER_HOURS))
}

fn queue_one(
    store: &mut Store,
    config: &Config,
    calendar: &crate::sla::BusinessCalendar,
    ticket: TicketId,
    from: &str,
    now: DateTime<Utc>,
) -> Result<Option<MessageId>, crate::mail::MailError> {
    let key = customer_key(from);
    if answered_recently(store.import_progress(&key)?.as_deref(), now) {
        return Ok(None);
    }
    let t = store.ticket(ticket)?;
    let customer = store.customer(t.customer_id)?;
    let greeting =
        crate::canned::greeting_line(&store.canned_list()?, &customer, &config.agent, now);
    let Some(text) = crate::sla::away::away_reply(
        &greeting,
        customer.language,
        customer.formality,
        calendar,
        now,
    ) else {
        return Ok(None);
    };
    let mut built = crate::mail::build_reply(store, config, ticket, &text, now)?;
    // Claimed before queueing: a crash after this may lose the away reply, never
    // send it twice.
    if !store.claim_away_reply(ticket)? {
        return Ok(None);
    }
    store.set_import_progress(&SourceProgress {
        source: key,
        position: serde_json::to_string(&now.to_rfc3339()).unwrap_or_default(),
    })?;
    let raw = auto_replied(&built.raw);
    built.message.direction = Direction::Note;
    built.message.author = AUTHOR.into();
    built.message.body = format!(
        "Automatic away reply to {} (outside business hours; not a first response):\n\n{}",
        built.to, built.message.body
    );
    let (id, _) = store.queue_outbound(
        ticket,
        &built.message,
        &raw,
        &crate::mail::sha256_hex(&raw),
        now,
    )?;
    Ok(Some(id))
}

/// The reply with the headers that tell other robots not to answer it (RFC 3834
/// `Auto-Submitted`, Microsoft's `X-Auto-Response-Suppress`), put first: a header
/// block may start with any field.
fn auto_replied(raw: &[u8]) -> Vec<u8> {
    let mut out = b"Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n".to_vec();
    out.extend_from_slice(raw);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SlaConfig;
    use crate::sla::BusinessCalendar;
    use chrono::TimeZone;

    fn mail(extra: &str) -> Vec<u8> {
        format!(
            "From: Ivan <Ivan@Customer.example>\r\nTo: help@shop.example\r\n{extra}Subject: Hi\r\n\r\nBody\r\nList-Id: not a header\r\n"
        )
        .into_bytes()
    }

    fn own() -> Vec<String> {
        vec!["help@shop.example".into()]
    }

    #[test]
    fn a_customers_plain_mail_may_be_answered() {
        let facts = mail_facts(&mail(""));
        assert_eq!(facts.from.as_deref(), Some("ivan@customer.example"));
        assert_eq!(refusal(&facts, &own()), None);
        let said_no = mail_facts(&mail("Auto-Submitted: no\r\n"));
        assert_eq!(refusal(&said_no, &own()), None);
    }

    #[test]
    fn lists_are_never_answered() {
        for header in [
            "List-Id: <news.shop.example>\r\n",
            "list-unsubscribe: <mailto:leave@news.example>\r\n",
            "Precedence: bulk\r\n",
            "Precedence: LIST\r\n",
            "Precedence: junk\r\n",
        ] {
            assert_eq!(
                refusal(&mail_facts(&mail(header)), &own()),
                Some(NoAwayReply::MailingList),
                "{header}"
            );
        }
        assert_eq!(
            refusal(&mail_facts(&mail("Precedence: first-class\r\n")), &own()),
            None
        );
    }

    #[test]
    fn bounces_are_never_answered() {
        for raw in [
            mail("Return-Path: <>\r\n"),
            mail("Content-Type: multipart/report;\r\n report-type=delivery-status; boundary=x\r\n"),
            b"From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\nSubject: Undelivered\r\n\r\nx"
                .to_vec(),
        ] {
            assert_eq!(
                refusal(&mail_facts(&raw), &own()),
                Some(NoAwayReply::Bounce),
                "{}",
                String::from_utf8_lossy(&raw)
            );
        }
    }

    #[test]
    fn automatic_mail_and_our_own_are_never_answered() {
        for header in [
            "Auto-Submitted: auto-replied\r\n",
            "Auto-Submitted: auto-generated; owner-email=x@y\r\n",
            "X-Auto-Response-Suppress: All\r\n",
        ] {
            assert_eq!(
                refusal(&mail_facts(&mail(header)), &own()),
                Some(NoAwayReply::Automatic),
                "{header}"
            );
        }
        let ours = mail_facts(b"From: help@SHOP.example\r\nSubject: x\r\n\r\nx");
        assert_eq!(refusal(&ours, &own()), Some(NoAwayReply::NotACustomer));
        let nobody = mail_facts(b"Subject: x\r\n\r\nx");
        assert_eq!(refusal(&nobody, &own()), Some(NoAwayReply::NotACustomer));
    }

    fn office() -> BusinessCalendar {
        BusinessCalendar::from_config(&SlaConfig {
            timezone: "Europe/Kyiv".into(),
            hours: "09:00-18:00".into(),
            days: vec![1, 2, 3, 4, 5],
            ..SlaConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn only_fresh_mail_after_the_first_sync_at_night() {
        let cal = office();
        // Tuesday 1 December 2026, 23:00 in Kyiv.
        let night = Utc.with_ymd_and_hms(2026, 12, 1, 21, 0, 0).unwrap();
        let first_sync = night - Duration::days(3);
        let arrived = night - Duration::minutes(5);
        assert_eq!(timing(&cal, arrived, first_sync, night), None);
        assert_eq!(
            timing(&cal, first_sync - Duration::minutes(1), first_sync, night),
            Some(NoAwayReply::BeforeFirstSync)
        );
        assert_eq!(
            timing(&cal, night - Duration::hours(30), first_sync, night),
            Some(NoAwayReply::Stale)
        );
        // Noon on Wednesday: the desk is open.
        let noon = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        assert_eq!(
            timing(&cal, noon - Duration::minutes(5), first_sync, noon),
            Some(NoAwayReply::DeskOpen)
        );
        // No hours set: always open, never an away reply.
        assert_eq!(
            timing(&BusinessCalendar::always(), arrived, first_sync, night),
            Some(NoAwayReply::DeskOpen)
        );
    }

    #[test]
    fn one_per_customer_a_day() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 21, 0, 0).unwrap();
        let earlier = (now - Duration::hours(3)).to_rfc3339();
        let yesterday = (now - Duration::hours(25)).to_rfc3339();
        assert!(answered_recently(Some(&format!("\"{earlier}\"")), now));
        assert!(!answered_recently(Some(&format!("\"{yesterday}\"")), now));
        assert!(!answered_recently(None, now));
        assert!(!answered_recently(Some("garbage"), now));
    }

    #[test]
    fn away_reply_needs_business_hours_and_an_address_to_answer_from() {
        let mut config = Config::default();
        assert!(check_settings(&config).is_empty(), "off by default");
        config.mail.away_reply = true;
        let found = check_settings(&config);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|f| f.key == "mail.away_reply"));
        config.sla.hours = "09:00-18:00".into();
        config.agent.email = "help@shop.example".into();
        assert!(check_settings(&config).is_empty());
    }

    #[test]
    fn the_reply_is_marked_auto_replied_before_its_own_headers() {
        let raw = auto_replied(b"From: a@b\r\nSubject: x\r\n\r\nbody");
        let text = String::from_utf8(raw).unwrap();
        assert!(
            text.starts_with("Auto-Submitted: auto-replied\r\n"),
            "{text}"
        );
        assert!(mail_facts(text.as_bytes()).automatic);
    }
}
