//! Queue benchmarks: inbox pages, full-text search and opening a long thread on a
//! synthetic queue. Size with FIRSTLINE_BENCH_TICKETS / FIRSTLINE_BENCH_MESSAGES
//! (defaults 20k / 200k so `cargo bench` finishes in minutes; the README's figures
//! say which size they used). The queue is generated once into a temp file, or
//! FIRSTLINE_BENCH_DB names one made by `firstline dev gen` (thread/open then uses an
//! existing ticket rather than a 200-message one).
//!
//! `cargo bench --bench store`

use criterion::{criterion_group, criterion_main, Criterion};
use firstline::model::{Direction, NewCustomer, NewMessage, NewTicket};
use firstline::store::{SearchQuery, SortOrder, Store, TicketFilter, View};
use firstline::synth::{generate, Shape};
use std::hint::black_box;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn queue() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    // A queue made earlier with `firstline dev gen` (e.g. 1M messages) saves minutes.
    let existing = std::env::var_os("FIRSTLINE_BENCH_DB").map(std::path::PathBuf::from);
    let path = existing
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db"));
    // Measured as the console opens the queue: not in bulk mode (no memory map, plans
    // free to use bound values); only generating a queue uses bulk mode.
    // A PostgreSQL URL (benches/pg_bench.sh) is measured the same way.
    let url = existing
        .as_ref()
        .and_then(|p| p.to_str())
        .filter(|p| firstline::store::postgres::is_url(p));
    let mut store = match url {
        Some(url) => Store::open_url(url).unwrap(),
        None => Store::open(&path).unwrap(),
    };
    if existing.is_some() {
        eprintln!(
            "using {} ({} messages)",
            store.location().map(|l| l.to_string()).unwrap_or_default(),
            match store.as_postgres() {
                Some(pg) => pg.counts().unwrap().messages,
                None => store.as_sqlite().unwrap().health().unwrap().messages,
            }
        );
        let long = SearchQuery::parse("subject:\"very long thread\"").unwrap();
        if let Some(hit) = store.search(&long, 1).unwrap().first() {
            return (dir, store, hit.summary.ticket.id);
        }
    } else {
        store.sqlite().unwrap().set_bulk_mode(true).unwrap();
        generate_into(&mut store);
        store.sqlite().unwrap().set_bulk_mode(false).unwrap();
    }
    let id = long_thread(&mut store);
    (dir, store, id)
}

fn generate_into(store: &mut Store) {
    let shape = Shape {
        tickets: env_usize("FIRSTLINE_BENCH_TICKETS", 20_000),
        messages: env_usize("FIRSTLINE_BENCH_MESSAGES", 200_000),
        seed: 42,
    };
    let started = std::time::Instant::now();
    let (t, m) = generate(store, shape, |_| {}).unwrap();
    eprintln!(
        "generated {t} tickets / {m} messages in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

fn long_thread(store: &mut Store) -> i64 {
    let long = NewTicket {
        subject: "A very long thread".into(),
        customer: NewCustomer {
            email: Some("long@example.com".into()),
            ..Default::default()
        },
        channel: Default::default(),
        priority: Default::default(),
        status: Default::default(),
        tags: vec![],
        first_message: NewMessage {
            body: "start".into(),
            ..Default::default()
        },
    };
    let rest: Vec<NewMessage> = (0..199)
        .map(|i| NewMessage {
            direction: if i % 2 == 0 {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            body: format!("message {i} with a few lines of text\nand another line\n"),
            ..Default::default()
        })
        .collect();
    store.create_threads(&[(long, rest)]).unwrap()[0]
}

fn benches(c: &mut Criterion) {
    let (_dir, store, long_thread) = queue();
    let total = store.count_tickets(&TicketFilter::default()).unwrap() as usize;

    let mut g = c.benchmark_group("inbox");
    g.bench_function("first_page_needs_reply", |b| {
        let f = TicketFilter {
            view: Some(View::NeedsReply),
            limit: Some(50),
            ..Default::default()
        };
        b.iter(|| black_box(store.list_tickets(&f).unwrap()))
    });
    g.bench_function("first_page_all_by_updated", |b| {
        let f = TicketFilter {
            view: Some(View::All),
            sort: SortOrder::Updated,
            limit: Some(50),
            ..Default::default()
        };
        b.iter(|| black_box(store.list_tickets(&f).unwrap()))
    });
    g.bench_function("deep_page_all_by_updated", |b| {
        let f = TicketFilter {
            view: Some(View::All),
            sort: SortOrder::Updated,
            limit: Some(50),
            offset: total * 9 / 10,
            ..Default::default()
        };
        b.iter(|| black_box(store.list_tickets(&f).unwrap()))
    });
    g.bench_function("count_needs_reply", |b| {
        let f = TicketFilter {
            view: Some(View::NeedsReply),
            ..Default::default()
        };
        b.iter(|| black_box(store.count_tickets(&f).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("search");
    g.sample_size(20);
    for (name, q) in [
        ("common_word", "order"),
        ("common_word_by_relevance", "order sort:relevance"),
        ("rare_word", "firstlinenowhere"),
        ("phrase", "\"refund payment\""),
        ("prefix", "pay*"),
        ("with_status_filter", "refund status:open"),
        ("cyrillic", "повернення"),
        ("cyrillic_prefix", "замовл*"),
    ] {
        let query = SearchQuery::parse(q).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| black_box(store.search(&query, 50).unwrap()))
        });
    }
    g.finish();

    c.bench_function("thread/open_200_messages", |b| {
        b.iter(|| black_box(store.ticket_detail(long_thread).unwrap()))
    });
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);
