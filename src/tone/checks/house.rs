//! House rules: confidential data (cards, IBANs, passwords, tokens, other customers'
//! contacts, internal notes copied out), a signature with a real name, canned replies
//! that ignore the question, and answering in the customer's language.

use super::{Facts, Sink};
use crate::model::Language;
use crate::tone::Severity;
use crate::tone::{lang, secrets, text};
use std::collections::HashSet;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    for span in secrets::card_numbers(f.reply) {
        sink.emit("house.card-number", span);
    }
    for span in secrets::ibans(f.reply) {
        sink.emit("house.iban", span);
    }
    for span in secrets::passwords(f.reply) {
        sink.emit("house.password", span);
    }
    for span in secrets::tokens(f.reply) {
        sink.emit("house.token", span);
    }
    other_contacts(f, sink);
    unknown_contacts(f, sink);
    internal_notes(f, sink);
    signature(f, sink);
    canned(f, sink);
    language(f, sink);
}

fn other_contacts(f: &Facts, sink: &mut Sink) {
    let lower = f.reply.to_ascii_lowercase();
    for contact in f.ctx.other_contacts {
        let contact = contact.trim();
        if contact.contains('@') {
            let needle = contact.to_ascii_lowercase();
            for (at, _) in lower.match_indices(&needle) {
                sink.emit("house.other-contact", at..at + needle.len());
            }
            continue;
        }
        let wanted: String = contact.chars().filter(char::is_ascii_digit).collect();
        if wanted.len() < 7 {
            continue;
        }
        for (span, digits) in phone_like(f.reply) {
            if same_phone(&digits, &wanted) {
                sink.emit("house.other-contact", span);
            }
        }
    }
}

/// An e-mail address or phone number in the reply that is not the customer's (their
/// record, or what they wrote), the agent's or the company's is someone else's: a
/// pasted address from another ticket. Judged only when there is a customer to
/// compare with; the listed other customers' contacts are `house.other-contact`.
fn unknown_contacts(f: &Facts, sink: &mut Sink) {
    let Some(known) = known_contacts(f) else {
        return;
    };
    let listed = |c: &str| {
        f.ctx
            .other_contacts
            .iter()
            .any(|o| o.trim().eq_ignore_ascii_case(c) || same_phone(&digits_of(o), &digits_of(c)))
    };
    let sites = std::cell::LazyCell::new(|| link_hosts(&f.own));
    for (span, address) in emails(&f.own) {
        let lower = address.to_ascii_lowercase();
        let company = lower
            .rsplit_once('@')
            .is_some_and(|(_, domain)| known.company_domains.contains(domain));
        // "…to bereavement@telco.example or upload it at telco.example/bereavement":
        // an address at the very site the reply sends the customer to is that
        // organisation's mailbox, not a stranger's private address. Pointed out only.
        let at_site = lower
            .rsplit_once('@')
            .is_some_and(|(_, domain)| sites.iter().any(|h| h == domain));
        if !known.emails.contains(&lower)
            && !company
            && !listed(address)
            && !named_as_theirs(&f.own, span.start)
            && !bears_customer_name(f, &lower)
        {
            // A role mailbox leaks no one's private address: worth a look, not a block.
            // Nor does a mailbox the customer is told to send something to ("send the
            // file to print@…", «отправьте на utrata@…») named by one word on a domain
            // that is no public mail service: the organisation's inbox. A person's
            // mailbox there ("m.kovalenko@…") still blocks.
            let inbox =
                sent_to(&f.own, span.start) && !public_mail(&lower) && one_word_mailbox(&lower);
            let severity =
                (role_address(&lower) || at_site || inbox || named_as_ours(&f.own, span.start))
                    .then_some(Severity::Hint);
            sink.emit_with(
                "house.unknown-contact",
                span.clone(),
                &f.reply[span],
                severity,
            );
        }
    }
    for (span, digits) in phone_like(&f.own) {
        let raw = &f.own[span.clone()];
        if !is_private_mobile(&digits) {
            continue;
        }
        if known.phones.iter().any(|p| same_phone(p, &digits))
            || listed(raw)
            || named_as_theirs(&f.own, span.start)
        {
            continue;
        }
        // "…his number: 8 900 111 22 33, 8 am to 8 pm": a number given with the hours
        // to call it is a line offered to the customer, not a pasted private contact.
        // "Мій мобільний на ці дні: 067…", "our Viber 067…": a number the reply calls
        // the agent's or the company's is offered, not leaked — pointed out only (the
        // configured `own_contacts` silence it altogether).
        let severity = (with_hours(&f.own[span.end..]) || named_as_ours(&f.own, span.start))
            .then_some(Severity::Hint);
        sink.emit_with("house.unknown-contact", span.clone(), raw, severity);
    }
}

/// Whether the words just before `at` tell the customer to send or write there
/// ("send it to", "email the file to", «прислать сюда или на», «надішліть на»).
fn sent_to(text: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(60);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = text[from..at].to_lowercase();
    let words: Vec<&str> = text::words(&before).map(|(_, w)| w).collect();
    let Some(last) = words.last() else {
        return false;
    };
    const SEND: &[&str] = &[
        "send",
        "email",
        "e-mail",
        "mail",
        "write",
        "forward",
        "submit",
        "отправ",
        "присл",
        "пришл",
        "пиш",
        "напиш",
        "направ",
        "пересл",
        "переш",
        "скин",
        "надішл",
        "надсил",
        "відправ",
        "перешл",
        "надісл",
        "пошл",
    ];
    matches!(*last, "to" | "at" | "на") && {
        let tail = &words[words.len().saturating_sub(5)..];
        tail.iter().any(|w| SEND.iter().any(|s| w.starts_with(s)))
    }
}

/// A mailbox named by one word ("print@", "docs@"), not by a person's initial and
/// surname ("m.kovalenko@", "olena_b@", "ivan.p2@").
fn one_word_mailbox(lower: &str) -> bool {
    lower.split_once('@').is_some_and(|(local, _)| {
        !local.is_empty() && local.chars().all(|c| c.is_ascii_alphabetic())
    })
}

/// A public mail service: an address there is a person's, whatever the reply says.
fn public_mail(lower: &str) -> bool {
    const PUBLIC: &[&str] = &[
        "gmail",
        "googlemail",
        "yahoo",
        "outlook",
        "hotmail",
        "live",
        "msn",
        "icloud",
        "me",
        "aol",
        "proton",
        "protonmail",
        "pm",
        "gmx",
        "mail",
        "yandex",
        "ya",
        "ukr",
        "i",
        "meta",
        "bigmir",
        "rambler",
        "bk",
        "list",
        "inbox",
        "zoho",
        "tutanota",
        "web",
    ];
    lower.rsplit_once('@').is_some_and(|(_, domain)| {
        domain
            .split('.')
            .next()
            .is_some_and(|first| PUBLIC.contains(&first))
    })
}

/// Whether the words after a phone number give the hours to call it ("8 am to 8
/// pm", «с 8 до 20», «з 9:00 до 18:00», "9:00–18:00", "daily", «щодня»).
fn with_hours(after: &str) -> bool {
    static HOURS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^[^.!?\n]{0,24}?(?:\b(?:с|з|from|between)\s+\d{1,2}(?::\d\d)?\s*(?:am|pm)?\s*(?:до|to|till|until|and|[-–—])\s*\d{1,2}|\b\d{1,2}(?::\d\d)?\s*(?:am|pm)?\s*[-–—]\s*\d{1,2}(?::\d\d)?|(?:daily|ежедневно|щодня|щоденно|круглосуточно|цілодобово|24/7)\b)",
        )
        .expect("a valid pattern")
    });
    let mut end = after.len().min(64);
    while !after.is_char_boundary(end) {
        end -= 1;
    }
    HOURS.is_match(&after[..end])
}

/// Whether the words just before `at` call the contact the customer's own ("your
/// number +7 921…", «Ваш номер», «вашу пошту»): the agent reads back what the
/// customer gave, even when the ticket does not store it. A listed other customer's
/// contact is still `house.other-contact`.
/// A role mailbox (support@, billing@, info@…) is a team's, never another customer's
/// private address: it leaks nothing, whoever's it is, so it is only pointed out.
fn role_address(lower: &str) -> bool {
    const ROLES: &[&str] = &[
        "support",
        "help",
        "it",
        "accounting",
        "finance",
        "security",
        "techsupport",
        "helpdesk",
        "info",
        "hello",
        "contact",
        "contacts",
        "billing",
        "sales",
        "office",
        "admin",
        "service",
        "team",
        "noreply",
        "no-reply",
        "care",
        "accounts",
        "orders",
        "bookings",
        "booking",
        "reception",
        "press",
        "enquiries",
        "inquiries",
        "feedback",
        "claims",
        "returns",
        "refunds",
        "hr",
        "jobs",
        "legal",
        "privacy",
    ];
    lower
        .split_once('@')
        .is_some_and(|(local, _)| ROLES.contains(&local))
}

/// An address whose mailbox spells the ticket's customer's name ("darya.osipova@…"
/// for Дарья Осипова, with a typo in the domain read back to her) is hers.
fn bears_customer_name(f: &Facts, lower: &str) -> bool {
    let Some(customer) = f.ctx.customer else {
        return false;
    };
    let Some((local, _)) = lower.split_once('@') else {
        return false;
    };
    let pieces: Vec<String> = local
        .split(|c: char| !c.is_alphabetic())
        .filter(|p| p.chars().count() >= 4)
        .map(text::name_key)
        .collect();
    text::words(&customer.name)
        .map(|(_, w)| text::name_key(w))
        .filter(|k| k.chars().count() >= 4)
        .any(|k| {
            let head: String = k.chars().take(4).collect();
            pieces.iter().any(|p| p.starts_with(&head))
        })
}

/// Whether the words before `at`, in the same sentence, call the contact the agent's
/// or the company's own: a possessive of ours and a word for a contact ("my mobile
/// for these days:", "our Viber", «наш телефон», «мой рабочий номер», «моя пошта»).
fn named_as_ours(text: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(60);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = &text[from..at];
    let sentence = before
        .rfind(['.', '!', '?', '\n'])
        .map_or(before, |i| &before[i + 1..])
        .to_lowercase();
    let words: Vec<&str> = text::words(&sentence).map(|(_, w)| w).collect();
    let tail = &words[words.len().saturating_sub(6)..];
    let ours = |w: &str| {
        matches!(
            w,
            "my" | "our"
                | "мій"
                | "моя"
                | "мою"
                | "моє"
                | "мого"
                | "моєї"
                | "мой"
                | "моего"
                | "моей"
                | "наш"
                | "наша"
                | "нашу"
                | "наше"
                | "нашого"
                | "нашої"
                | "нашего"
                | "нашей"
        )
    };
    // "my direct line", «мой рабочий номер»: one word may stand between.
    tail.iter().enumerate().any(|(i, w)| {
        ours(w)
            && tail[i + 1..]
                .iter()
                .take(2)
                .any(|c| contact_word(c) || messenger(c))
    })
}

/// A messenger or a line a company gives out ("Viber", «вайбер», "hotline").
fn messenger(w: &str) -> bool {
    [
        "viber",
        "whatsapp",
        "telegram",
        "signal",
        "вайбер",
        "вотсап",
        "ватсап",
        "телеграм",
        "line",
        "hotline",
        "лінія",
        "лінію",
        "линия",
        "линию",
        "гаряч",
        "горяч",
    ]
    .iter()
    .any(|m| w.starts_with(m))
}

/// A word for a phone number or an address ("number", "mobile", «номер», «пошта»).
fn contact_word(w: &str) -> bool {
    [
        "number",
        "phone",
        "mobile",
        "cell",
        "email",
        "mail",
        "address",
        "номер",
        "телефон",
        "мобільн",
        "мобильн",
        "пошт",
        "почт",
        "адрес",
        "мейл",
        "імейл",
    ]
    .iter()
    .any(|c| w.starts_with(c))
        // "e-mail" is read as the words "e" and "mail".
        || w == "e"
}

fn named_as_theirs(text: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(40);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = text[from..at].to_lowercase();
    let words: Vec<&str> = text::words(&before).map(|(_, w)| w).collect();
    let tail = &words[words.len().saturating_sub(3)..];
    let yours = |w: &str| {
        matches!(
            w,
            "your"
                | "yours"
                | "ваш"
                | "ваша"
                | "вашу"
                | "ваше"
                | "вашого"
                | "вашої"
                | "вашего"
                | "вашей"
                | "твій"
                | "твой"
                | "твою"
        )
    };
    tail.windows(2).any(|p| yours(p[0]) && contact_word(p[1]))
}

/// A mobile number in a numbering plan that tells mobiles apart (Ukraine, Russia and
/// Kazakhstan, the UK): a person's own phone. A company gives out landlines and
/// free-phone lines ("0 800 500 123", "8 800 555-35-35"), so those are left alone
/// even when no setting names them; a private mobile nobody in the ticket owns is
/// someone else's.
fn is_private_mobile(digits: &str) -> bool {
    let d = digits.strip_prefix("00").unwrap_or(digits);
    const UA: &[&str] = &[
        "39", "50", "63", "66", "67", "68", "73", "91", "92", "93", "94", "95", "96", "97", "98",
        "99",
    ];
    let ua = |rest: &str| rest.len() == 9 && UA.iter().any(|p| rest.starts_with(p));
    match d.len() {
        12 if d.starts_with("380") => ua(&d[3..]),
        10 if d.starts_with('0') => ua(&d[1..]),
        11 if d.starts_with("79") || d.starts_with("89") => true,
        12 if d.starts_with("447") => true,
        11 if d.starts_with("07") => true,
        _ => false,
    }
}

struct Known {
    emails: HashSet<String>,
    /// The domains of the company's own addresses: billing@ beside help@ is ours too.
    company_domains: HashSet<String>,
    phones: Vec<String>,
}

fn known_contacts(f: &Facts) -> Option<Known> {
    if f.ctx.customer.is_none() && f.ctx.customer_message.is_none() {
        return None;
    }
    let mut known = Known {
        emails: HashSet::new(),
        company_domains: HashSet::new(),
        phones: Vec::new(),
    };
    let mut add = |text: &str| {
        for (_, e) in emails(text) {
            known.emails.insert(e.to_ascii_lowercase());
        }
        for (_, d) in phone_like(text) {
            known.phones.push(d);
        }
    };
    if let Some(c) = f.ctx.customer {
        for e in c.emails.iter().chain(&c.handles).chain(c.phone.iter()) {
            add(e);
        }
    }
    if let Some(m) = f.ctx.customer_message {
        add(m);
    }
    for c in f.ctx.own_contacts {
        add(c);
        for (_, e) in emails(c) {
            if let Some((_, domain)) = e.to_ascii_lowercase().rsplit_once('@') {
                known.company_domains.insert(domain.to_string());
            }
        }
    }
    Some(known)
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// E-mail addresses: a local part and a dotted domain around one `@`.
fn emails(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '%');
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_part(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let end = text[at + 1..]
            .char_indices()
            .take_while(|(_, c)| is_part(*c))
            .last()
            .map_or(at + 1, |(i, c)| at + 1 + i + c.len_utf8());
        let domain = text[at + 1..end].trim_end_matches(['.', '-']);
        let end = at + 1 + domain.len();
        let local = text[start..at].trim_start_matches('.');
        let start = at - local.len();
        if local.is_empty() || !domain.contains('.') || domain.starts_with('.') {
            continue;
        }
        // "a***a@example.com": a masked address shows no one's address.
        if text[..start].ends_with('*') {
            continue;
        }
        out.push((start..end, &text[start..end]));
    }
    out
}

/// Runs of digits with the separators phone numbers are written with.
fn phone_like(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_digit_end = 0;
    let mut digits = String::new();
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), '\n')))
    {
        if c.is_ascii_digit() || (c == '+' && start.is_none()) {
            start.get_or_insert(i);
            if c.is_ascii_digit() {
                digits.push(c);
                last_digit_end = i + 1;
            }
        } else if start.is_some() && matches!(c, ' ' | '-' | '(' | ')' | '.') {
            continue;
        } else {
            if let Some(s) = start.take() {
                if digits.len() >= 7 {
                    out.push((s..last_digit_end, std::mem::take(&mut digits)));
                }
            }
            digits.clear();
        }
    }
    out
}

/// Same number when the last nine digits agree (country and trunk prefixes vary).
fn same_phone(a: &str, b: &str) -> bool {
    let tail = |s: &str| s[s.len().saturating_sub(9)..].to_string();
    if a.len() >= 9 && b.len() >= 9 {
        tail(a) == tail(b)
    } else {
        a == b
    }
}

/// Any run of seven words (or a whole short note of four or more) copied from an
/// internal note.
fn internal_notes(f: &Facts, sink: &mut Sink) {
    if f.ctx.internal_notes.is_empty() {
        return;
    }
    let reply_words: Vec<(std::ops::Range<usize>, String)> = text::words(f.reply)
        .map(|(r, w)| (r, w.to_lowercase()))
        .collect();
    let reply_keys: Vec<&str> = reply_words.iter().map(|(_, w)| w.as_str()).collect();
    for note in f.ctx.internal_notes {
        let note_words: Vec<String> = text::words(note).map(|(_, w)| w.to_lowercase()).collect();
        if note_words.len() < 4 {
            continue;
        }
        let note_keys: Vec<&str> = note_words.iter().map(String::as_str).collect();
        let k = note_keys.len().min(7);
        let shingles: HashSet<&[&str]> = note_keys.windows(k).collect();
        let mut i = 0;
        while i + k <= reply_keys.len() {
            if !shingles.contains(&reply_keys[i..i + k]) {
                i += 1;
                continue;
            }
            let mut end = i + k;
            while end < reply_keys.len()
                && end - i < note_keys.len()
                && note_keys.contains(&reply_keys[end])
            {
                end += 1;
            }
            sink.emit(
                "house.internal-note",
                reply_words[i].0.start..reply_words[end - 1].0.end,
            );
            i = end;
        }
    }
}

fn signature(f: &Facts, sink: &mut Sink) {
    let Some(span) = text::signature(f.reply, &f.book.lex.closing) else {
        return;
    };
    let sig = &f.reply[span.clone()];
    let agent_first = f.ctx.agent_name.split_whitespace().next().unwrap_or("");
    if !agent_first.is_empty() && sig.to_lowercase().contains(&agent_first.to_lowercase()) {
        return;
    }
    if !signature_has_name(sig, &f.book.generic_signature, &f.book.team_words) {
        sink.emit("house.signature", span);
    }
}

/// A signature names a person when one of its parts (lines, or pieces split by a
/// comma or dash) holds a word that is not a role word, and is not a team name: a
/// part with "Team"/"команда" needs two such words ("Olena from Brightdesk Support")
/// because one is just the company ("The Brightdesk Team").
fn signature_has_name(sig: &str, generic: &HashSet<String>, team: &HashSet<String>) -> bool {
    sig.split(['\n', ',', '—', '–', '|', '/']).any(|part| {
        let words: Vec<String> = text::words(part)
            .filter(|(_, w)| w.chars().any(char::is_alphabetic))
            .map(|(_, w)| w.to_lowercase())
            .collect();
        let own = words.iter().filter(|w| !generic.contains(*w)).count();
        let is_team = words.iter().any(|w| team.contains(w));
        if is_team {
            own >= 2
        } else {
            own >= 1
        }
    })
}

/// An unedited canned reply to a customer whose questions it never mentions.
fn canned(f: &Facts, sink: &mut Sink) {
    if !f.ctx.from_canned_unmodified {
        return;
    }
    let questions = f.customer_questions();
    if questions.is_empty() {
        return;
    }
    let reply = text::stems(f.reply);
    let touched = questions
        .iter()
        .any(|q| text::stems(q).iter().any(|s| reply.contains(s)));
    if !touched {
        sink.emit("house.canned-unmodified", 0..0);
    }
}

fn language(f: &Facts, sink: &mut Sink) {
    if let Some(span) = lang::mixed_language(&f.own) {
        sink.emit("house.mixed-language", span);
        return;
    }
    let own = &f.own;
    let Some(expected) = f.customer_lang else {
        return;
    };
    if f.reply_lang == Language::Other || text::word_count(own) < 3 || f.reply_lang == expected {
        return;
    }
    let cyrillic = |l: Language| matches!(l, Language::Uk | Language::Ru);
    let reply_certain = lang::detect_with_certainty(own).1;
    if (!f.customer_lang_certain || !reply_certain) && cyrillic(expected) && cyrillic(f.reply_lang)
    {
        return;
    }
    let found = format!(
        "{}, but the customer writes {}",
        lang_name(f.reply_lang),
        lang_name(expected)
    );
    sink.emit_with("house.language-mismatch", 0..0, &found, None);
}

fn lang_name(l: Language) -> &'static str {
    match l {
        Language::En => "English",
        Language::Uk => "Ukrainian",
        Language::Ru => "Russian",
        Language::Other => "another language",
    }
}

/// The hosts of the links in a text ("https://help.example.com/x",
/// "telco.example.com/bereavement", "www.example.org"), lower case: a scheme, a
/// "www." or a path marks a link; a bare "example.com" is not taken for one.
fn link_hosts(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| !w.contains('@'))
        .filter_map(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/');
            let (rest, marked) = match w.split_once("://") {
                Some((_, rest)) => (rest, true),
                None => (w, w.starts_with("www.") || w.contains('/')),
            };
            let host = rest.split('/').next().unwrap_or("").to_ascii_lowercase();
            let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
            let tld_ok = host
                .rsplit_once('.')
                .is_some_and(|(_, t)| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
            (marked && tld_ok).then_some(host)
        })
        .collect()
}
