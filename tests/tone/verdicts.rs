//! The verdict-format evaluation: replies labelled by a person who never read the
//! rules, each with `verdict = "ok" | "warn" | "block"` and the commandments it breaks
//! (`commandments = [1, 3]`, 0 for the house rules). The tuning set
//! (`tests/tone_eval/tuning_*.toml`) and the held-out set use this format.
//!
//! A case *needs a warning* when its verdict is `warn` or `block`; the checker *flags*
//! it when any finding is a warning or a block (hints never count). Scored per
//! language and per commandment: precision, recall, and the share of polite (`ok`)
//! replies flagged.
//!
//! Any file in this format can be scored:
//! `TONE_EVAL_FILE=path cargo test --test tone evaluation_verdicts -- --nocapture`
//! (several files: separate them with `:`). Without it, the tuning files are scored
//! and held to the floors below. `TONE_EVAL_RULES_ONLY=1` scores the rules alone.

use super::{customer, ticket, AGENT};
use firstline::model::{Formality, Language, Status};
use firstline::tone::{Checker, Commandment, Severity, ToneContext, ToneReport};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One labelled reply. Unknown keys are allowed: a writer may add notes of their own.
#[derive(Debug, Deserialize)]
pub(crate) struct Case {
    #[serde(default)]
    pub id: Option<String>,
    pub language: Language,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    pub reply: String,
    pub verdict: Label,
    #[serde(default)]
    pub commandments: Vec<u8>,
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub other_contacts: Vec<String>,
    #[serde(default)]
    pub agent: Option<String>,
    /// Optional context the format allows but does not require.
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Label {
    Ok,
    Warn,
    Block,
}

#[derive(Debug, Deserialize)]
struct File {
    case: Vec<Case>,
}

/// Reads every case of a verdict-format file; a file that does not parse fails with
/// its path and the parser's message.
pub(crate) fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.case
}

/// The checker's report on one case, with the context the console would give it.
pub(crate) fn check_case(checker: &Checker, case: &Case) -> ToneReport {
    in_context(case, |ctx| checker.check(&case.reply, ctx))
}

/// What the learned layer reads of one case, whether the rules alone were silent, and
/// what argues for caution.
pub(crate) fn case_features(
    checker: &Checker,
    case: &Case,
) -> (Vec<u32>, bool, firstline::tone::learned::Caution) {
    in_context(case, |ctx| checker.learning_features(&case.reply, ctx))
}

/// Runs `f` with the context the console would give the case's reply.
fn in_context<T>(case: &Case, f: impl FnOnce(&ToneContext) -> T) -> T {
    let cust = customer(
        case.name.as_deref().unwrap_or(""),
        case.language,
        Formality::Unknown,
    );
    let tick = case.status.map(ticket);
    let ctx = ToneContext {
        customer_message: case.customer.as_deref(),
        customer: Some(&cust),
        ticket: tick.as_ref(),
        internal_notes: &case.notes,
        other_contacts: &case.other_contacts,
        agent_name: case.agent.as_deref().unwrap_or(AGENT),
        ..ToneContext::default()
    };
    f(&ctx)
}

/// The commandment number a finding serves (0 for the house rules).
fn number(c: Commandment) -> u8 {
    c.number().unwrap_or(0)
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Tally {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub polite: usize,
    pub polite_flagged: usize,
    pub cases: usize,
}

impl Tally {
    pub fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn polite_rate(self) -> f64 {
        if self.polite == 0 {
            0.0
        } else {
            self.polite_flagged as f64 / self.polite as f64
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores of one run.
#[derive(Default)]
pub(crate) struct Scores {
    pub per_language: BTreeMap<String, Tally>,
    pub all: Tally,
    /// Per commandment: tp = a case listing it got a warning of that commandment,
    /// fn = it did not, fp = a case not listing it got one; `caught` counts cases
    /// listing it that were flagged at all (by any commandment).
    pub per_commandment: BTreeMap<u8, (Tally, usize)>,
    pub lines: Vec<String>,
}

/// Scores with the shipped checker; `TONE_EVAL_RULES_ONLY=1` leaves the learned layer
/// out (the rules' own figures: the layer was trained on the tuning batches).
pub(crate) fn score(files: &[PathBuf]) -> Scores {
    let checker = if std::env::var("TONE_EVAL_RULES_ONLY").is_ok_and(|v| v == "1") {
        Checker::builtin().with_learned(None)
    } else {
        Checker::builtin()
    };
    score_with(&checker, files)
}

/// [`score`] with a given checker (the learned layer's rotation measurement swaps it).
pub(crate) fn score_with(checker: &Checker, files: &[PathBuf]) -> Scores {
    let mut s = Scores::default();
    for path in files {
        for (i, case) in read_cases(path).iter().enumerate() {
            let id = case
                .id
                .clone()
                .unwrap_or_else(|| format!("{}#{}", path.display(), i + 1));
            let report = check_case(checker, case);
            // `TONE_EVAL_SHOW=id,id` prints every finding of those cases (not for the
            // held-out set, which is read in aggregate only).
            if let Ok(show) = std::env::var("TONE_EVAL_SHOW") {
                if !is_held_out(path) && show.split(',').any(|s| s == id) {
                    let all: Vec<String> = report
                        .findings
                        .iter()
                        .map(|f| format!("{}({}) {:?}", f.rule, f.severity.as_str(), f.span))
                        .collect();
                    println!("  show {id}: {}", all.join(", "));
                }
            }
            let loud: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.severity <= Severity::Warn)
                .collect();
            let flagged = !loud.is_empty();
            let needs = case.verdict != Label::Ok;
            let lang = s.per_language.entry(case.language.to_string()).or_default();
            for t in [lang, &mut s.all] {
                t.cases += 1;
                match (needs, flagged) {
                    (true, true) => t.tp += 1,
                    (true, false) => t.fn_ += 1,
                    (false, true) => t.fp += 1,
                    (false, false) => {}
                }
                if !needs {
                    t.polite += 1;
                    t.polite_flagged += usize::from(flagged);
                }
            }
            let rules: Vec<String> = loud
                .iter()
                .map(|f| format!("{}({})", f.rule, f.severity.as_str()))
                .collect();
            for n in 0..=5u8 {
                let listed = needs && case.commandments.contains(&n);
                let hit = loud.iter().any(|f| number(f.commandment) == n);
                let (t, caught) = s.per_commandment.entry(n).or_default();
                match (listed, hit) {
                    (true, true) => t.tp += 1,
                    (true, false) => t.fn_ += 1,
                    (false, true) => t.fp += 1,
                    (false, false) => {}
                }
                if listed {
                    t.cases += 1;
                    *caught += usize::from(flagged);
                }
            }
            if needs && !flagged {
                s.lines.push(format!(
                    "  missed {id} [{:?} {:?}]: {}",
                    case.verdict, case.commandments, case.why
                ));
            } else if !needs && flagged {
                s.lines
                    .push(format!("  false flag {id}: {}", rules.join(", ")));
            }
        }
    }
    s
}

pub(crate) fn print(files: &[PathBuf], s: &Scores) {
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    println!("verdict evaluation of {}", names.join(", "));
    println!(
        "{:<10} {:>5} {:>4} {:>4} {:>4} {:>9} {:>7} {:>15}",
        "language", "cases", "tp", "fp", "fn", "precision", "recall", "polite flagged"
    );
    let row = |name: &str, t: Tally| {
        println!(
            "{:<10} {:>5} {:>4} {:>4} {:>4} {:>9.2} {:>7.2} {:>6}/{:<3} {:>4.1}%",
            name,
            t.cases,
            t.tp,
            t.fp,
            t.fn_,
            t.precision(),
            t.recall(),
            t.polite_flagged,
            t.polite,
            t.polite_rate() * 100.0
        );
    };
    for (lang, t) in &s.per_language {
        row(lang, *t);
    }
    row("all", s.all);
    println!(
        "{:<14} {:>5} {:>4} {:>4} {:>4} {:>9} {:>7} {:>14}",
        "commandment", "cases", "tp", "fp", "fn", "precision", "recall", "flagged at all"
    );
    for (n, (t, caught)) in &s.per_commandment {
        let name = if *n == 0 {
            "0 house".to_string()
        } else {
            n.to_string()
        };
        println!(
            "{:<14} {:>5} {:>4} {:>4} {:>4} {:>9.2} {:>7.2} {:>7}/{:<3}",
            name,
            t.cases,
            t.tp,
            t.fp,
            t.fn_,
            t.precision(),
            t.recall(),
            caught,
            t.cases
        );
    }
    // The held-out set is measured in aggregate only: printing its misses would show
    // the cases themselves, and whoever reads them starts tuning on them.
    if files.iter().any(|p| is_held_out(p)) {
        println!("(held-out set: {} per-case lines not shown)", s.lines.len());
        return;
    }
    for l in &s.lines {
        println!("{l}");
    }
}

/// Whether `path` lies in the held-out set (`tests/tone_eval/heldout/`).
pub(crate) fn is_held_out(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "heldout")
}

/// The files to score: `TONE_EVAL_FILE` (paths separated by `:`), else the tuning set.
fn files() -> (Vec<PathBuf>, bool) {
    if let Ok(list) = std::env::var("TONE_EVAL_FILE") {
        let paths = list
            .split(':')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect();
        return (paths, true);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tone_eval");
    let paths = ["en", "uk", "ru"]
        .iter()
        .map(|l| dir.join(format!("tuning_{l}.toml")))
        .collect();
    (paths, false)
}

/// Floors on the tuning set, a little below the measured figures, so one new hard case
/// does not fail the build but a real regression does: (language or "all", min
/// precision, min recall, max polite-flagged rate). Measured with the learned layer,
/// which was trained on these replies among others (precision 1.00, recall 0.99, polite
/// flagged 0/135; the rules alone: 1.00, 0.91, 0/135): in-sample, so the recall floors
/// sit near the rules-alone figures, and a broken learned layer still fails them. The
/// fifth session raised the precision and polite floors to what it reached (one false
/// flag in the batch still passes; two do not).
const FLOORS: &[(&str, f64, f64, f64)] = &[
    ("all", 0.98, 0.92, 0.01),
    ("en", 0.98, 0.90, 0.03),
    ("uk", 0.98, 0.90, 0.03),
    ("ru", 0.98, 0.88, 0.03),
];

#[test]
fn evaluation_verdicts() {
    let (files, from_env) = files();
    let s = score(&files);
    print(&files, &s);
    assert!(s.all.cases > 0, "no cases read from {files:?}");
    if from_env {
        return;
    }
    for (name, p, r, polite) in FLOORS {
        let t = if *name == "all" {
            s.all
        } else {
            s.per_language.get(*name).copied().unwrap_or_default()
        };
        assert!(
            t.precision() >= *p,
            "{name}: precision {:.2} < {p}",
            t.precision()
        );
        assert!(t.recall() >= *r, "{name}: recall {:.2} < {r}", t.recall());
        assert!(
            t.polite_rate() <= *polite,
            "{name}: polite flagged {:.3} > {polite}",
            t.polite_rate()
        );
    }
}

/// Floors on all eight tuning batches together (2,142 replies, 969 polite). At the start
/// of the seventh session, right after held-out set E became batch 8 and before any rule
/// or weight changed: precision 0.99, recall 0.99, polite flagged 12/969 (1.2%; en 2,
/// uk 6, ru 4) — batch 8, unseen by the rules and the layer then, brought 9 of the 12
/// (en 2, uk 5, ru 2; all from the rules) and 6 of the 17 misses. After the session's
/// fixes by kind (derived from batch 8, so batch 8 is now in-sample like batches 1–7):
/// precision 1.00, recall 0.99 (en 0.99, uk 0.99, ru 0.98), polite flagged 3/969 (0.3%;
/// en 0, uk 1, ru 2) — the floors are back where they were before batch 8 joined. The
/// shipped layer is trained on these batches (in-sample); the rules alone reach recall
/// 0.79, so the recall floor fails a broken learned layer; the polite floors let one
/// more false flag per language pass, not two.
const FLOORS_ALL_BATCHES: &[(&str, f64, f64, f64)] = &[
    ("all", 0.99, 0.95, 0.005),
    ("en", 0.99, 0.95, 0.004),
    ("uk", 0.99, 0.95, 0.007),
    ("ru", 0.98, 0.95, 0.010),
];

/// Every tuning batch present (`tuning_*`, `tuning2_*` … `tuning8_*`; batch 8 was held-out
/// set E until the seventh session).
fn every_batch() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tone_eval");
    let mut out = Vec::new();
    for n in 1..=9 {
        let prefix = if n == 1 {
            "tuning".to_string()
        } else {
            format!("tuning{n}")
        };
        for l in ["en", "uk", "ru"] {
            let p = dir.join(format!("{prefix}_{l}.toml"));
            if p.exists() {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn evaluation_verdicts_on_every_tuning_batch() {
    let files = every_batch();
    assert!(
        files.len() >= 24,
        "eight batches in three languages: {files:?}"
    );
    let s = score(&files);
    for (name, p, r, polite) in FLOORS_ALL_BATCHES {
        let t = if *name == "all" {
            s.all
        } else {
            s.per_language.get(*name).copied().unwrap_or_default()
        };
        let lines = s.lines.join("\n");
        assert!(
            t.precision() >= *p,
            "{name}: precision {:.3} < {p}\n{lines}",
            t.precision()
        );
        assert!(
            t.recall() >= *r,
            "{name}: recall {:.3} < {r}\n{lines}",
            t.recall()
        );
        assert!(
            t.polite_rate() <= *polite,
            "{name}: polite flagged {:.4} > {polite}\n{lines}",
            t.polite_rate()
        );
    }
}

#[test]
fn verdict_format_reads_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.toml");
    std::fs::write(
        &path,
        r#"
[[case]]
id = "x-1"
language = "uk"
name = "Олена"
customer = "Добрий день! Де моє замовлення?"
reply = "Привіт, ти сам винен."
verdict = "warn"
commandments = [1, 4]
why = "blame, ти"
agent = "Ірина Коваль"

[[case]]
language = "en"
customer = "Hi, do you ship to Canada?"
reply = "Hi! Yes, we do: shipping takes 5-8 business days."
verdict = "ok"
commandments = []
why = "polite"
other_contacts = ["bob@example.com"]
"#,
    )
    .unwrap();
    let s = score(&[path]);
    assert_eq!(s.all.cases, 2);
    assert_eq!(s.all.polite, 1);
    assert_eq!(s.per_language.get("uk").map(|t| t.cases), Some(1));
    let (four, _) = s.per_commandment[&4];
    assert_eq!(four.cases, 1, "commandment 4 is listed once");
}

#[test]
fn held_out_files_are_scored_in_aggregate_only() {
    assert!(is_held_out(Path::new("tests/tone_eval/heldout/en.toml")));
    assert!(is_held_out(Path::new(
        "/work/x/tests/tone_eval/heldout/../heldout/uk.toml"
    )));
    assert!(!is_held_out(Path::new("tests/tone_eval/tuning_en.toml")));
    assert!(!is_held_out(Path::new(
        "tests/tone_eval/heldout_notes.toml"
    )));
}

/// The composer checks the same ticket on every keystroke, and the checker keeps what
/// it read of the customer's side between checks: a reply checked after an earlier
/// draft of it (the customer's side then comes from the cache) gets exactly the
/// findings a fresh checker (nothing cached) gives, on every tuning reply.
#[test]
fn the_customer_side_read_once_gives_the_same_findings_as_read_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tone_eval");
    let typing = Checker::builtin();
    let mut compared = 0;
    for prefix in ["tuning", "tuning4", "tuning7"] {
        for lang in ["en", "uk", "ru"] {
            for case in read_cases(&dir.join(format!("{prefix}_{lang}.toml"))) {
                let mut cut = case.reply.len() / 2;
                while !case.reply.is_char_boundary(cut) {
                    cut -= 1;
                }
                in_context(&case, |ctx| typing.check(&case.reply[..cut], ctx));
                let cached = check_case(&typing, &case);
                let fresh = check_case(&Checker::builtin(), &case);
                assert_eq!(cached, fresh, "{:?}", case.id);
                compared += 1;
            }
        }
    }
    assert!(compared > 500, "only {compared} replies compared");
}

/// Precision by design, measured: for every rule at warning level or above, on each
/// tuning batch with the rules alone, how many polite replies it flags and on how many
/// replies that need a warning it is the only loud finding (what demoting it to a hint
/// would cost in recall). A rule that flags polite replies in several batches and is
/// rarely alone on a bad one is a candidate for a hint.
/// `cargo test --test tone verdicts::rules_by_batch -- --ignored --nocapture`
#[test]
#[ignore = "a measurement: prints a table"]
fn rules_by_batch() {
    let checker = Checker::builtin().with_learned(None);
    // rule → batch → (polite flagged, alone on a reply needing a warning, fired on one)
    let mut table: BTreeMap<String, BTreeMap<usize, (usize, usize, usize)>> = BTreeMap::new();
    let files = every_batch();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let batch = name
            .trim_start_matches("tuning")
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1usize);
        for case in read_cases(path) {
            let report = check_case(&checker, &case);
            let mut loud: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| f.severity <= Severity::Warn)
                .map(|f| f.rule.as_str())
                .collect();
            loud.sort_unstable();
            loud.dedup();
            let needs = case.verdict != Label::Ok;
            for rule in &loud {
                let cell = table
                    .entry(rule.to_string())
                    .or_default()
                    .entry(batch)
                    .or_default();
                if needs {
                    cell.2 += 1;
                    cell.1 += usize::from(loud.len() == 1);
                } else {
                    cell.0 += 1;
                }
            }
        }
    }
    println!("rule: per batch polite flagged / alone on a bad reply / fired on a bad reply");
    for (rule, batches) in &table {
        let polite: usize = batches.values().map(|c| c.0).sum();
        let alone: usize = batches.values().map(|c| c.1).sum();
        let fired: usize = batches.values().map(|c| c.2).sum();
        let cells: Vec<String> = batches
            .iter()
            .map(|(b, c)| format!("{b}:{}/{}/{}", c.0, c.1, c.2))
            .collect();
        println!(
            "{rule:<40} polite {polite:>3} alone {alone:>3} fired {fired:>4}  {}",
            cells.join(" ")
        );
    }
}
