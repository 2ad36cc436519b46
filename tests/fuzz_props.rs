//! The fuzz targets' entry points (`tests/fuzz/entry.rs`) under a bounded proptest
//! run, so CI exercises every parser with arbitrary bytes on every build; the long,
//! coverage-guided runs are cargo-fuzz (see `tests/fuzz/README.md`). Inputs that once
//! crashed a target are replayed from `tests/fuzz/regressions/<target>/`.

#[path = "fuzz/entry.rs"]
mod entry;

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FIRSTLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Bytes that look enough like each format to get past the first line: a real
/// prefix followed by arbitrary bytes, or arbitrary bytes alone.
fn shaped(prefixes: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(prefixes),
        proptest::collection::vec(any::<u8>(), 0..600),
        proptest::collection::vec(
            "\\PC{0,40}|\u{1b}\\][0-9]{1,2};[^\u{7}]{0,10}\u{7}|\u{1b}\\[[0-9;]{0,6}[A-Za-z]|\r?\n",
            0..12,
        ),
    )
        .prop_map(|(prefix, bytes, pieces)| {
            let mut out = prefix.as_bytes().to_vec();
            for (i, p) in pieces.iter().enumerate() {
                out.extend_from_slice(p.as_bytes());
                if i % 3 == 2 {
                    out.extend_from_slice(&bytes[..bytes.len().min(i * 20)]);
                }
            }
            out
        })
}

const MAIL: &[&str] = &[
    "",
    "From: =?utf-8?B?0J7Qu9C10L3QsA==?= <o@example.com>\nSubject: =?koi8-r?Q?=F0=D2=C9?=\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=windows-1251\nContent-Disposition: attachment; filename=\"",
    "Subject: ",
    "Content-Type: text/html\n\n<p>",
];
const MBOX: &[&str] = &[
    "",
    "From a@b Thu Nov 26 08:00:00 2026\nFrom: A <a@b>\nSubject: x\n\n",
    "From a@b Thu Nov 26 08:00:00 2026\nSubject: ",
    "preamble\n\nFrom \n",
];
const WHATSAPP: &[&str] = &[
    "",
    "26.11.26, 08:15 - Іван Сидоренко: ",
    "[11/26/26, 8:15:03 AM] Olena: ",
    "11/26/26, 20:15 - Messages and calls are end-to-end encrypted.\n11/26/26, 20:16 - A: ",
];
const TELEGRAM: &[&str] = &[
    "",
    "{\"name\":\"Ivan\",\"type\":\"personal_chat\",\"id\":1,\"messages\":[{\"id\":1,\"type\":\"message\",\"date\":\"2026-11-26T08:00:00\",\"from\":\"",
    "{\"chats\":{\"list\":[{\"messages\":[{\"text\":[{\"type\":\"link\",\"text\":\"",
];
const CSV: &[&str] = &[
    "",
    "submitted_at,name,email,subject,message\n2026-11-26 08:00,",
];
const TEMPLATE: &[&str] = &[
    "",
    "{{ customer.first_name }} ",
    "{% if customer.language == \"uk\" %}",
    "Hello {{ ",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn sanitizer_survives_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        entry::sanitizer(&data);
    }

    #[test]
    fn mail_parser_survives_any_bytes(data in shaped(MAIL)) {
        entry::mail_parse(&data);
    }

    #[test]
    fn mbox_import_survives_any_bytes(data in shaped(MBOX)) {
        entry::mbox(&data);
    }

    #[test]
    fn whatsapp_import_survives_any_bytes(data in shaped(WHATSAPP)) {
        entry::whatsapp(&data);
    }

    #[test]
    fn telegram_import_survives_any_bytes(data in shaped(TELEGRAM)) {
        entry::telegram(&data);
    }

    #[test]
    fn csv_import_survives_any_bytes(data in shaped(CSV)) {
        entry::csv_forms(&data);
    }

    #[test]
    fn paste_parser_survives_any_text(data in shaped(WHATSAPP)) {
        entry::paste(&data);
    }

    #[test]
    fn canned_render_survives_any_template(data in shaped(TEMPLATE)) {
        entry::canned(&data);
    }

    #[test]
    fn tone_check_survives_any_reply(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        entry::tone(&data);
    }

    #[test]
    fn search_parser_survives_any_query(data in shaped(&["", "from:", "\"", "tag:a OR ", "before:2026-"])) {
        entry::search(&data);
    }
}

/// Every input a fuzzer ever crashed a target with, plus one hard seed per target
/// (the fixtures that exercise its worst case), replayed on every test run. A target
/// without its folder, an empty folder, or a folder no target reads is a failure:
/// otherwise a renamed folder would quietly replay nothing.
#[test]
fn fuzz_regressions_stay_fixed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/regressions");
    type Target = (&'static str, fn(&[u8]));
    let targets: &[Target] = &[
        ("sanitizer", entry::sanitizer),
        ("mail_parse", entry::mail_parse),
        ("mbox", entry::mbox),
        ("whatsapp", entry::whatsapp),
        ("telegram", entry::telegram),
        ("csv_forms", entry::csv_forms),
        ("paste", entry::paste),
        ("canned", entry::canned),
        ("tone", entry::tone),
        ("search", entry::search),
    ];
    let folders = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{} is missing ({e}); it is committed", root.display()));
    for folder in folders.flatten() {
        let name = folder.file_name().to_string_lossy().into_owned();
        assert!(
            targets.iter().any(|(target, _)| *target == name),
            "{}: no fuzz target is called {name:?}",
            root.display()
        );
    }
    for (name, run) in targets {
        let dir = root.join(name);
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{} is missing ({e})", dir.display()))
            .flatten()
            .collect();
        assert!(!files.is_empty(), "{} holds no input", dir.display());
        for file in files {
            let data = std::fs::read(file.path()).unwrap();
            run(&data);
        }
    }
}
