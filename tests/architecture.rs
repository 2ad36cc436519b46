//! The module layout the code relies on, checked on the source: inside the folders
//! listed here no two files import each other (issue 16: an import cycle means two
//! files that can only be read, changed and tested together).
//!
//! A file "imports" another when it names a path into it: `use super::x::…`,
//! `super::x::f(…)`, `crate::mail::x::…`, or an item of `super::{…}` that is a module
//! file. A `mod.rs` re-exporting its children (`pub use intake::…`) is a facade, not
//! an import, and is not counted. Test modules (`#[cfg(test)]` onwards) are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Folders whose files must not import each other. `src` as a whole is the
/// issue's "no two source files import each other"; the folders stay listed so a
/// failure names the module it is in.
const ACYCLIC: &[&str] = &[
    "src",
    "src/mail",
    "src/watch",
    "src/report",
    "src/sla",
    "src/canned",
    "src/cli",
    "src/model",
    "src/tui",
    "src/store",
    "src/telegram",
    "src/tone",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/mail/chat/csv.rs` → `["mail", "chat", "csv"]`; a `mod.rs` is its folder.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The file that holds the longest prefix of a module path.
fn file_of(src: &Path, path: &[String]) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|n| {
        let base: PathBuf = path[..n].iter().fold(src.to_path_buf(), |p, s| p.join(s));
        [base.with_extension("rs"), base.join("mod.rs")]
            .into_iter()
            .find(|f| f.is_file())
    })
}

/// Every other file of the crate that `file` names a path into.
fn imports(src: &Path, file: &Path) -> BTreeSet<PathBuf> {
    let text = std::fs::read_to_string(file).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let here = module_of(src, file);
    let path_re = regex::Regex::new(r"\b((?:crate|super|self)(?:::\w+)*)(?:::\{([^}]*)\})?")
        .expect("static regex");
    let mut out = BTreeSet::new();
    for m in path_re.captures_iter(&code) {
        let mut segs: Vec<String> = m[1].split("::").map(str::to_string).collect();
        let mut base = if segs[0] == "crate" {
            segs.remove(0);
            Vec::new()
        } else {
            here.clone()
        };
        while segs.first().is_some_and(|s| s == "super" || s == "self") {
            if segs.remove(0) == "super" {
                base.pop();
            }
        }
        base.extend(segs);
        let targets: Vec<Vec<String>> = match m.get(2) {
            Some(items) => items
                .as_str()
                .split(',')
                .filter_map(|i| i.split("::").next())
                .map(|i| i.split_whitespace().next().unwrap_or_default().to_string())
                .filter(|i| !i.is_empty())
                .map(|i| {
                    let mut t = base.clone();
                    if i != "self" {
                        t.push(i);
                    }
                    t
                })
                .collect(),
            None => vec![base],
        };
        for t in targets {
            if let Some(f) = file_of(src, &t).filter(|f| f != file) {
                out.insert(f);
            }
        }
    }
    out
}

#[test]
fn no_two_files_import_each_other_in_the_untangled_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for dir in ACYCLIC {
        let mut files = Vec::new();
        rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut files);
        assert!(!files.is_empty(), "{dir} has no files");
        let edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = files
            .iter()
            .map(|f| (f.clone(), imports(&src, f)))
            .collect();
        let mut both_ways = Vec::new();
        for (a, targets) in &edges {
            for b in targets {
                if a < b && edges.get(b).is_some_and(|t| t.contains(a)) {
                    both_ways.push(format!(
                        "{} <-> {}",
                        a.strip_prefix(&src).unwrap().display(),
                        b.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
        assert!(both_ways.is_empty(), "{dir}: {both_ways:#?}");
    }
}

/// The check can fail: it finds the cycle the untangling removed.
#[test]
fn the_import_scan_sees_a_mutual_import() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("mail/chat")).unwrap();
    std::fs::write(src.join("mail/mod.rs"), "mod chat;\nmod sources;\n").unwrap();
    std::fs::write(
        src.join("mail/sources.rs"),
        "use super::chat::ChatMessage;\npub enum Payload { Chat(ChatMessage) }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("mail/chat/mod.rs"),
        "pub(crate) mod csv;\npub struct ChatMessage;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("mail/chat/csv.rs"),
        "use crate::mail::sources::Payload;\nuse super::{ChatMessage};\n#[cfg(test)]\nuse crate::mail::mbox;\n",
    )
    .unwrap();
    let sources = imports(&src, &src.join("mail/sources.rs"));
    let csv = imports(&src, &src.join("mail/chat/csv.rs"));
    assert!(
        sources.contains(&src.join("mail/chat/mod.rs")),
        "{sources:?}"
    );
    assert!(csv.contains(&src.join("mail/sources.rs")), "{csv:?}");
    assert!(csv.contains(&src.join("mail/chat/mod.rs")), "{csv:?}");
    assert_eq!(csv.len(), 2, "test code is not counted: {csv:?}");
}

/// Folders where not even a longer loop (a → b → c → a) is left.
const LOOP_FREE: &[&str] = &[
    "src",
    "src/store",
    "src/mail",
    "src/watch",
    "src/report",
    "src/sla",
    "src/canned",
    "src/cli",
    "src/model",
    "src/tui",
    "src/telegram",
    "src/tone",
];

/// The files of `dir` that sit on an import loop, one group per loop (Tarjan's
/// strongly connected components of more than one file).
fn import_loops(src: &Path, dir: &Path) -> Vec<Vec<PathBuf>> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> =
        files.iter().map(|f| (f.clone(), imports(src, f))).collect();
    struct Walk<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<PathBuf, usize>,
        low: BTreeMap<PathBuf, usize>,
        stack: Vec<PathBuf>,
        loops: Vec<Vec<PathBuf>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: &PathBuf) {
            let n = self.index.len();
            self.index.insert(v.clone(), n);
            self.low.insert(v.clone(), n);
            self.stack.push(v.clone());
            for w in self.edges[v].iter().filter(|w| self.edges.contains_key(*w)) {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v.clone(), low);
                } else if self.stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v.clone(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().position(|f| f == v).unwrap();
                let group = self.stack.split_off(at);
                if group.len() > 1 {
                    self.loops.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        loops: Vec::new(),
    };
    for f in &files {
        if !walk.index.contains_key(f) {
            walk.visit(f);
        }
    }
    walk.loops
}

#[test]
fn no_import_loops_in_the_loop_free_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found: Vec<_> = LOOP_FREE
        .iter()
        .map(|dir| (dir, import_loops(&root.join("src"), &root.join(dir))))
        .filter(|(_, loops)| !loops.is_empty())
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}

/// The check can fail: three files importing in a ring are found.
#[test]
fn the_loop_scan_sees_a_ring_of_three() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("store")).unwrap();
    std::fs::write(src.join("store/mod.rs"), "mod a;\nmod b;\nmod c;\n").unwrap();
    std::fs::write(src.join("store/a.rs"), "use super::b::B;\npub struct A;\n").unwrap();
    std::fs::write(src.join("store/b.rs"), "use super::c::C;\npub struct B;\n").unwrap();
    std::fs::write(
        src.join("store/c.rs"),
        "use crate::store::a::A;\npub struct C;\n",
    )
    .unwrap();
    let loops = import_loops(&src, &src.join("store"));
    assert_eq!(loops.len(), 1, "{loops:?}");
    assert_eq!(loops[0].len(), 3, "{loops:?}");
}

/// The SQLite crate's name, spelled so this file does not name it itself (a
/// `grep` for it finds only the backend and its own tests).
const SQLITE_CRATE: &str = concat!("rusq", "lite");

/// Issue 16: the SQLite backend is the only place that names the SQLite crate; the
/// rest of the program reaches the queue through the store's traits.
#[test]
fn only_the_sqlite_backend_names_the_sqlite_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let backend = root.join("src/store/sqlite");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 50, "the scan found the sources");
    let naming: Vec<_> = files
        .iter()
        .filter(|f| !f.starts_with(&backend))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(SQLITE_CRATE))
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(naming.is_empty(), "{naming:#?}");
}

/// The SQLite backend's own tests: they write files as older releases left them
/// (upgrade tests, raw SQL at an old schema version) and make a claim look
/// interrupted for the conformance suite — SQLite's business, not the program's.
const SQLITE_BACKEND_TESTS: &[&str] = &["tests/store.rs", "tests/store_conformance.rs"];

/// Issue 16, the tests too: outside the SQLite backend's own tests, a test sets up
/// and reads data through the store's API (or the backend's hidden hooks,
/// `SqliteStore::execute_for_tests` for a state no API makes), never the SQLite
/// crate.
#[test]
fn tests_outside_the_sqlite_backend_name_no_sqlite_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("tests"), &mut files);
    assert!(files.len() > 20, "the scan found the tests");
    let naming: Vec<_> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .filter(|f| !SQLITE_BACKEND_TESTS.contains(&f.as_str()))
        .filter(|f| {
            std::fs::read_to_string(root.join(f))
                .unwrap()
                .contains(SQLITE_CRATE)
        })
        .collect();
    assert!(naming.is_empty(), "{naming:#?}");
}
