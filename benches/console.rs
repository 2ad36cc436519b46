//! The console's hot paths: drawing the main screen at 200×60 into ratatui's
//! TestBackend (the same `panes::draw` the terminal gets), and the canned picker's
//! fuzzy ranking over a library of 5,000 replies (the 70 starter replies in
//! en/uk/ru, repeated with numbered titles and shortcuts).
//!
//! The queue is a generated 2,000-ticket one, or FIRSTLINE_BENCH_DB (a `firstline dev
//! gen` archive; opened read-only in effect: nothing is written). Key press to frame
//! on a real terminal is measured by `benches/keys.sh`.
//!
//! `cargo bench --bench console`

use criterion::{criterion_group, criterion_main, Criterion};
use firstline::canned::{rank_indexed, starter_items, RankIndex};
use firstline::config::Config;
use firstline::model::{CannedResponse, Formality, Language};
use firstline::store::Store;
use firstline::synth::{generate, Shape};
use firstline::tui::inline::Console;
use firstline::tui::panes;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::hint::black_box;

fn app(dir: &std::path::Path) -> Console {
    let path = std::env::var_os("FIRSTLINE_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.join("console.db"));
    let mut store = Store::open(&path).unwrap();
    if std::env::var_os("FIRSTLINE_BENCH_DB").is_none() {
        store.sqlite().unwrap().set_bulk_mode(true).unwrap();
        let shape = Shape {
            tickets: 2_000,
            messages: 20_000,
            seed: 7,
        };
        generate(&mut store, shape, |_| {}).unwrap();
        store.sqlite().unwrap().set_bulk_mode(false).unwrap();
    }
    let mut app = Console::new(store, Config::default()).unwrap();
    app.size = (200, 60);
    app.reload().unwrap();
    app.settle();
    app
}

fn library(size: usize) -> Vec<CannedResponse> {
    let starter = starter_items().unwrap();
    (0..size)
        .map(|i| {
            let s = &starter[i % starter.len()];
            CannedResponse {
                id: i as i64 + 1,
                slug: format!("{}-{i}", s.slug),
                title: format!("{} {}", s.title, i / starter.len()),
                shortcut: s.shortcut.as_ref().map(|c| format!("{c}{i}")),
                times_used: (i % 17) as i64,
                ..CannedResponse::unsaved(s.clone())
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    c.bench_function("draw/main_screen_200x60", |b| {
        b.iter(|| {
            terminal.draw(|frame| panes::draw(frame, &app)).unwrap();
        })
    });

    let items = library(5_000);
    c.bench_function("canned/index_5000 (once per picker)", |b| {
        b.iter(|| black_box(RankIndex::new(&items)))
    });
    let index = RankIndex::new(&items);
    let mut g = c.benchmark_group("canned/rank_5000");
    for (name, query, lang) in [
        ("empty query", "", Language::En),
        ("english words", "charged twice refund", Language::En),
        ("ukrainian", "повернення коштів", Language::Uk),
        ("shortcut", ";;refund", Language::En),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(rank_indexed(
                    &items,
                    &index,
                    black_box(query),
                    lang,
                    Formality::Formal,
                ))
            })
        });
    }
    g.finish();
}

criterion_group!(console_benches, benches);
criterion_main!(console_benches);
