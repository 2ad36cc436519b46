//! The fuzzed entry points, shared by the cargo-fuzz targets (`tests/fuzz/`) and the
//! bounded proptest run in CI (`tests/fuzz_props.rs`), so both exercise exactly the
//! same code with the same invariants. Each function takes arbitrary bytes, must not
//! panic, and asserts what must hold for any input: whatever reaches the store or the
//! terminal from outside carries no raw control characters once sanitized.

#![allow(dead_code)]

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use firstline::canned::RenderContext;
use firstline::config::{AgentConfig, Config};
use firstline::display::{fit, sanitize, sanitize_line};
use firstline::mail::paste::{parse_transcript, PasteOptions};
use firstline::mail::{import_paths, parse_mail, Format, ImportOptions};
use firstline::model::{Channel, NewCustomer};
use firstline::store::{SearchQuery, Store, StoreError};
use firstline::tone::{Checker, ToneContext};

#[path = "../support/controls.rs"]
mod controls;
pub use controls::has_terminal_controls;

fn assert_clean(what: &str, text: &str) {
    let clean = sanitize(text);
    assert!(!has_terminal_controls(&clean), "{what}: {clean:?}");
    let line = sanitize_line(text);
    assert!(
        !has_terminal_controls(&line) && !line.contains('\n'),
        "{what}: {line:?}"
    );
}

/// The terminal sanitizer: no control survives, one-line output has no newline,
/// `fit` never exceeds its width.
pub fn sanitizer(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    assert_clean("sanitize", &text);
    let width = data.first().map_or(10, |b| (*b % 40) as usize);
    let cut = fit(&sanitize_line(&text), width);
    assert!(
        unicode_width::UnicodeWidthStr::width(cut.as_str()) <= width.max(1),
        "fit({width}) gave {cut:?}"
    );
}

/// The mail parsing wrapper: any bytes parse or say why; what it extracts is text
/// the sanitizer makes safe.
pub fn mail_parse(data: &[u8]) {
    if let Ok(mail) = parse_mail(data) {
        assert_clean("subject", &mail.subject);
        if let Some((name, address)) = &mail.from {
            assert_clean("from name", name);
            assert_clean("from address", address);
        }
        assert_clean("body", &mail.body);
        for a in &mail.attachments {
            assert_clean("attachment name", &a.filename);
        }
    }
}

fn store() -> &'static std::thread::LocalKey<RefCell<Store>> {
    thread_local! {
        static STORE: RefCell<Store> = RefCell::new(Store::open_in_memory().expect("in-memory store"));
    }
    &STORE
}

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("firstline-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

/// A whole file through `firstline import` as `format`, into an in-memory store
/// (the dry-run path, so the store stays small however long the run): per-message
/// trouble is reported, never a panic or a store error.
fn import_as(format: Format, name: &str, data: &[u8]) {
    let path = scratch().join(format!("{:?}-{name}", std::thread::current().id()));
    std::fs::write(&path, data).expect("write scratch file");
    let options = ImportOptions {
        format: Some(format),
        dry_run: true,
        batch_size: 7,
        ..Default::default()
    };
    let result = store().with(|s| {
        import_paths(
            &mut s.borrow_mut(),
            &Config::default(),
            std::slice::from_ref(&path),
            &options,
            &mut |_| {},
        )
    });
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(report) => {
            for p in report.failures.iter().chain(&report.warnings) {
                assert_clean("reported problem", &p.reason);
                assert_clean("reported location", &p.location);
            }
        }
        Err(e) => panic!("{format:?} import failed as a whole: {e}"),
    }
}

/// The mbox reader and everything after it.
pub fn mbox(data: &[u8]) {
    import_as(Format::Mbox, "inbox.mbox", data);
}

/// The WhatsApp text export parser.
pub fn whatsapp(data: &[u8]) {
    import_as(Format::Whatsapp, "WhatsApp Chat with Fuzz.txt", data);
}

/// The Telegram Desktop JSON export parser.
pub fn telegram(data: &[u8]) {
    import_as(Format::Telegram, "result.json", data);
}

/// The CSV web-form reader.
pub fn csv_forms(data: &[u8]) {
    import_as(Format::Csv, "forms.csv", data);
}

/// Pasted transcripts and call notes.
pub fn paste(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let options = PasteOptions {
        channel: Channel::Chat,
        ticket: None,
        customer: NewCustomer::default(),
        subject: None,
        me: vec!["olena".into()],
        now: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
        timezone: chrono_tz::Europe::Kyiv,
    };
    for m in parse_transcript(&text, &options) {
        assert_clean("pasted message", &m.text);
    }
}

/// Canned response rendering: a malformed template is an error, never a panic.
pub fn canned(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let agent = AgentConfig::default();
    let ctx = RenderContext {
        customer: None,
        ticket: None,
        agent: &agent,
        now: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
    };
    let rendered = firstline::canned::render(&text, &ctx);
    for r in &rendered.unfilled {
        assert!(
            rendered.text.get(r.clone()).is_some(),
            "unfilled range {r:?} is not inside the text"
        );
    }
    let _ = firstline::canned::check(&text);
    let _ = firstline::canned::render_checked(&text, &ctx);
}

/// The tone checker on a reply and a customer message split from the same bytes.
pub fn tone(data: &[u8]) {
    static CHECKER: OnceLock<Checker> = OnceLock::new();
    let checker = CHECKER.get_or_init(Checker::builtin);
    let text = String::from_utf8_lossy(data);
    let middle = text
        .char_indices()
        .nth(text.chars().count() / 2)
        .map_or(0, |(i, _)| i);
    let (reply, customer) = text.split_at(middle);
    let ctx = ToneContext {
        customer_message: Some(customer),
        agent_name: "Olena",
        ..Default::default()
    };
    let report = checker.check(reply, &ctx);
    let _ = report.worst();
    let _ = firstline::tone::customer_profile(&text);
}

/// The search query parser, and the store running whatever it accepts.
pub fn search(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match SearchQuery::parse(&text) {
        Ok(q) => store().with(|s| {
            if let Err(e) = s.borrow().search(&q, 10) {
                panic!("{text:?} parsed but search failed: {e}");
            }
        }),
        Err(e) => assert!(matches!(e, StoreError::Invalid(_)), "{text:?}: {e}"),
    }
}
