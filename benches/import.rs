//! Import throughput: a Maildir and an mbox of real messages replayed with fresh
//! Message-IDs and dates (`firstline dev maildir`'s generator), each imported into a
//! fresh database per iteration. Size with FIRSTLINE_BENCH_IMPORT (default 2,000).
//! Needs ../shared/data/mail; prints a note and measures nothing without it.
//! `benches/compare.sh` runs the same import side by side with notmuch and mu.
//!
//! `cargo bench --bench import`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use firstline::config::Config;
use firstline::mail::{import_paths, ImportOptions};
use firstline::store::Store;
use firstline::synth::maildir::{find_messages, write_maildir};
use std::io::Write;
use std::path::{Path, PathBuf};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The replayed Maildir and the same messages as one mbox file.
fn sources(dir: &Path, count: usize) -> Option<(PathBuf, PathBuf)> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mail");
    if !data.is_dir() {
        eprintln!("no {} here: import benchmarks skipped", data.display());
        return None;
    }
    let found = find_messages(&[data]);
    let maildir = dir.join("Maildir");
    write_maildir(&found, &maildir, count, 7).ok()?;
    let mbox = dir.join("replay.mbox");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&mbox).ok()?);
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("cur"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for file in files {
        let raw = std::fs::read(file).ok()?;
        writeln!(
            out,
            "From replay@firstline.invalid Thu Jan  1 00:00:00 2024"
        )
        .ok()?;
        // mboxrd: a body line starting with "From " gets a '>' so it is not a separator.
        for line in raw.split_inclusive(|&b| b == b'\n') {
            let bare = line.iter().skip_while(|&&b| b == b'>').copied();
            if bare.take(5).eq(*b"From ") {
                out.write_all(b">").ok()?;
            }
            out.write_all(line).ok()?;
        }
        if !raw.ends_with(b"\n") {
            out.write_all(b"\n").ok()?;
        }
        out.write_all(b"\n").ok()?;
    }
    out.flush().ok()?;
    Some((maildir, mbox))
}

fn import_once(path: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let report = import_paths(
        &mut store,
        &Config::default(),
        &[path.to_path_buf()],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert!(report.added > 0, "nothing imported from {}", path.display());
}

fn benches(c: &mut Criterion) {
    let count = env_usize("FIRSTLINE_BENCH_IMPORT", 2_000);
    let dir = tempfile::tempdir().unwrap();
    let Some((maildir, mbox)) = sources(dir.path(), count) else {
        return;
    };
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.throughput(Throughput::Elements(count as u64));
    for (name, path) in [("maildir", &maildir), ("mbox", &mbox)] {
        g.bench_function(name, |b| {
            b.iter_batched(|| (), |()| import_once(path), BatchSize::PerIteration)
        });
    }
    g.finish();
}

criterion_group!(import_benches, benches);
criterion_main!(import_benches);
