//! The tone checker from the outside: its public API on spec examples in English,
//! Ukrainian and Russian, user rules files, the labelled evaluation set in
//! `tests/tone_eval/` (precision and recall per check, with floors), the Stanford
//! Politeness Corpus as an outside yardstick, and the `firstline tone` command.
//!
//! Print the evaluation table with:
//! `cargo test --test tone evaluation -- --nocapture`

#[path = "tone/kinds.rs"]
mod kinds;
#[path = "tone/learned.rs"]
mod learned;
#[path = "support/shared_data.rs"]
mod shared_data;
mod support;
#[path = "tone/verdicts.rs"]
mod verdicts;

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
        ("holdout", include_str!("tone_eval/holdout.toml")),
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
        holdout: BTreeMap<String, Score>,
        misses: Vec<String>,
    }

    fn evaluate() -> Outcome {
        let checker = Checker::builtin();
        let hint_rules: BTreeSet<String> = pinned_severities()
            .into_iter()
            .filter(|(_, severity)| *severity == Severity::Hint)
            .map(|(id, _)| id)
            .collect();
        let mut out = Outcome {
            scores: BTreeMap::new(),
            polite_total: 0,
            polite_flagged: vec![],
            cases: 0,
            per_lang: BTreeMap::new(),
            per_set: BTreeMap::new(),
            holdout: BTreeMap::new(),
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
                    ..ToneContext::default()
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
                    let h = out.holdout.entry(rule.to_string()).or_default();
                    let held_out = *lang == "holdout";
                    if found.contains_key(rule) {
                        s.tp += 1;
                        set.0.tp += 1;
                        h.tp += usize::from(held_out);
                    } else {
                        s.fn_ += 1;
                        set.0.fn_ += 1;
                        h.fn_ += usize::from(held_out);
                        out.misses.push(format!("{}: missed {rule}", case.id));
                    }
                }
                for (rule, sev) in &found {
                    // The learned layer names no rule this set was labelled with: it
                    // warns only on replies the rules left silent, so here it counts in
                    // the polite-flag check above and is scored by the verdict sets.
                    if expected.contains(rule) || rule.ends_with(".learned") {
                        continue;
                    }
                    if *sev <= Severity::Warn || case.absent.iter().any(|a| a == rule) {
                        out.scores.entry(rule.to_string()).or_default().fp += 1;
                        set.0.fp += 1;
                        if *lang == "holdout" {
                            out.holdout.entry(rule.to_string()).or_default().fp += 1;
                        }
                        out.misses.push(format!("{}: unexpected {rule}", case.id));
                    }
                }
            }
        }
        out
    }

    /// Each rule's severity as the evaluation expects it (`tone_eval/severities.toml`),
    /// so which replies count as polite is decided by the test data, not by the code
    /// under test.
    fn pinned_severities() -> BTreeMap<String, Severity> {
        toml::from_str(include_str!("tone_eval/severities.toml"))
            .unwrap_or_else(|e| panic!("tone_eval/severities.toml: {e}"))
    }

    #[test]
    fn rule_severities_are_the_pinned_ones() {
        let checker = Checker::builtin();
        let actual: BTreeMap<String, Severity> = checker
            .rule_ids()
            .into_iter()
            .map(|id| (id.to_string(), checker.rule_severity(id).unwrap()))
            .collect();
        assert_eq!(
            actual,
            pinned_severities(),
            "a rule's severity changed: change tests/tone_eval/severities.toml with it, on purpose"
        );
    }

    /// Replies per file as the evaluation README lists them: a file that failed to load
    /// a case, or lost some, changes what every figure means.
    const CASES_PER_FILE: &[(&str, usize)] = &[
        ("en", 71),
        ("uk", 60),
        ("ru", 62),
        ("round2", 36),
        ("round3", 38),
        ("holdout", 36),
    ];

    /// The polite, correct replies the checker flags today (measured 1 of 132, 0.8%).
    /// Any other polite reply flagged is a regression; fixing one of these means
    /// removing it here.
    const KNOWN_POLITE_FLAGS: &[&str] = &["ho-en-ok-card-safety"];

    /// Floors set from the measured figures (see the README), a little below them so
    /// that one new hard case does not fail the build, but a real regression does.
    const FLOORS: &[(&str, f64, f64)] = &[
        ("expectations.follow-up", 0.95, 0.95),
        // 0.80: issue 20's wider reading of an open problem ("won't install", "still no
        // reply", "doesn't sync") now also finds the missing next step in four older
        // replies labelled only for their other fault (r2-en-refusal-third-party,
        // ho-en-condescension-again, ho-en-upset-joke, r2-ru-other-contact).
        ("expectations.no-next-step", 0.80, 0.95),
        ("expectations.solved-asks-confirmation", 0.95, 0.95),
        ("feel.formality-mismatch", 0.95, 0.85),
        ("feel.name-unused", 0.95, 0.95),
        ("feel.question-unanswered", 0.95, 0.95),
        ("feel.too-short", 0.95, 0.95),
        ("feel.upset-unacknowledged", 0.95, 0.95),
        ("house.canned-unmodified", 0.95, 0.95),
        ("house.card-number", 0.95, 0.95),
        ("house.iban", 0.95, 0.95),
        ("house.internal-note", 0.95, 0.95),
        ("house.language-mismatch", 0.95, 0.95),
        ("house.mixed-language", 0.95, 0.95),
        ("house.other-contact", 0.95, 0.95),
        ("house.password", 0.95, 0.95),
        ("house.signature", 0.95, 0.95),
        ("house.token", 0.95, 0.95),
        ("ownership.deflection", 0.95, 0.85),
        ("ownership.passive-blame", 0.95, 0.95),
        ("respect.blame", 0.95, 0.75),
        ("respect.caps", 0.75, 0.95),
        ("respect.condescension", 0.95, 0.85),
        ("respect.exclamation", 0.95, 0.95),
        ("respect.insult", 0.95, 0.95),
        ("respect.profanity", 0.95, 0.75),
        ("respect.sarcasm", 0.95, 0.80),
        ("solve.howto-unanswered", 0.80, 0.95),
        ("solve.refusal", 0.85, 0.80),
    ];

    /// Floors for the held-out set as a whole (measured: precision 0.92, recall 0.69).
    const HOLDOUT_FLOOR: (f64, f64) = (0.85, 0.60);

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
        println!("held-out set only (written after the rules were frozen):");
        for (rule, s) in out.holdout.iter().filter(|(_, s)| s.tp + s.fp + s.fn_ > 0) {
            println!(
                "  {:<38} {:>4} {:>4} {:>4} {:>9.2} {:>7.2}",
                rule,
                s.tp,
                s.fp,
                s.fn_,
                s.precision(),
                s.recall()
            );
        }
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
        let per_file: BTreeMap<&str, usize> = out.per_lang.clone().into_iter().collect();
        assert_eq!(
            per_file,
            CASES_PER_FILE.iter().copied().collect::<BTreeMap<_, _>>(),
            "replies read per evaluation file"
        );
        assert_eq!(out.polite_total, 132, "polite, correct replies in the set");
        assert_eq!(
            out.polite_flagged,
            KNOWN_POLITE_FLAGS,
            "polite, correct replies flagged ({:.1}%)",
            rate * 100.0
        );
        let held = out.per_set.get("holdout").map(|s| s.0).unwrap_or_default();
        assert!(
            held.precision() >= HOLDOUT_FLOOR.0,
            "held-out precision {:.2}",
            held.precision()
        );
        assert!(
            held.recall() >= HOLDOUT_FLOOR.1,
            "held-out recall {:.2}",
            held.recall()
        );
        assert_eq!(
            FLOORS.len(),
            out.scores.len(),
            "every scored rule has a floor"
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

/// A reply checked with a customer message (and optionally a ticket status).
fn check(
    reply: &str,
    customer_message: Option<&str>,
    status: Option<Status>,
) -> Vec<(String, Severity)> {
    let tick = status.map(ticket);
    let ctx = ToneContext {
        customer_message,
        ticket: tick.as_ref(),
        agent_name: AGENT,
        ..ToneContext::default()
    };
    Checker::builtin()
        .check(reply, &ctx)
        .findings
        .into_iter()
        .map(|f| (f.rule, f.severity))
        .collect()
}

fn fires(rule: &str, reply: &str, customer: Option<&str>, status: Option<Status>) -> bool {
    check(reply, customer, status)
        .iter()
        .any(|(r, _)| r == rule)
}

mod spec_examples {
    //! For every rule: examples that must fire and near-misses that must not, in
    //! English, Ukrainian and Russian.
    use super::*;

    /// One example, as data: `tests/tone_eval/spec_examples.toml`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Example {
        rule: String,
        reply: String,
        #[serde(default)]
        customer: Option<String>,
        #[serde(default)]
        status: Option<Status>,
        fires: bool,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Examples {
        example: Vec<Example>,
    }

    fn examples() -> Vec<Example> {
        let text = include_str!("tone_eval/spec_examples.toml");
        toml::from_str::<Examples>(text)
            .unwrap_or_else(|e| panic!("tone_eval/spec_examples.toml: {e}"))
            .example
    }

    #[test]
    fn every_rule_has_examples_that_fire_and_that_do_not() {
        let mut failures = Vec::new();
        for e in examples() {
            let customer = e.customer.as_deref();
            if fires(&e.rule, &e.reply, customer, e.status) != e.fires {
                failures.push(format!(
                    "{} should {}fire on {:?}: got {:?}",
                    e.rule,
                    if e.fires { "" } else { "not " },
                    e.reply,
                    check(&e.reply, customer, e.status)
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn spec_examples_cover_every_builtin_rule() {
        let checker = Checker::builtin();
        let all = examples();
        let covered: BTreeSet<&str> = all.iter().map(|e| e.rule.as_str()).collect();
        let special = [
            "feel.name-unused",
            "house.other-contact",
            "house.internal-note",
            "house.canned-unmodified",
            "house.unknown-contact",
        ];
        for id in checker.rule_ids() {
            assert!(
                covered.contains(id) || special.contains(&id),
                "no spec example for {id}"
            );
        }
    }

    fn with_context(reply: &str, ctx: ToneContext) -> Vec<String> {
        Checker::builtin()
            .check(reply, &ctx)
            .findings
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn known_first_name_must_be_used_in_any_form() {
        for (name, reply, want) in [
            (
                "Grace Lee",
                "Hello, I've updated the address for you today.",
                true,
            ),
            (
                "Grace Lee",
                "Hi Grace, I've updated the address for you today.",
                false,
            ),
            (
                "Olena Kovalenko",
                "Добрий день, Олено! Адресу я змінила.",
                false,
            ),
            (
                "Тарас Шевчук",
                "Добрий день! Адресу я змінила сьогодні.",
                true,
            ),
            (
                "Сергей Иванов",
                "Сергей, здравствуйте! Адрес я изменила.",
                false,
            ),
        ] {
            let c = customer(name, Language::Other, Formality::Unknown);
            let rules = with_context(
                reply,
                ToneContext {
                    customer: Some(&c),
                    agent_name: AGENT,
                    ..ToneContext::default()
                },
            );
            assert_eq!(
                rules.iter().any(|r| r == "feel.name-unused"),
                want,
                "{name}: {reply}"
            );
        }
    }

    #[test]
    fn stored_formality_breaks_the_tie_when_the_message_has_none() {
        let c = customer("Зіновій Кушнір", Language::Uk, Formality::Formal);
        let reply = "Привіт, Зіновію! Перевір пошту, там ТТН.";
        let ctx = ToneContext {
            customer: Some(&c),
            customer_message: Some("Замовлення 5521 не прийшло"),
            ..ToneContext::default()
        };
        assert!(with_context(reply, ctx)
            .iter()
            .any(|r| r == "feel.formality-mismatch"));
    }

    #[test]
    fn another_customers_email_or_phone_is_blocked() {
        let contacts = vec![
            "j.doe@example.org".to_string(),
            "+380 67 555 12 34".to_string(),
        ];
        let ctx = ToneContext {
            other_contacts: &contacts,
            ..ToneContext::default()
        };
        let report = Checker::builtin().check("Ask J.Doe@Example.org or call 067-555-12-34.", &ctx);
        let hits: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.rule == "house.other-contact")
            .map(|f| f.rule.as_str())
            .collect();
        assert_eq!(hits.len(), 2);
        assert!(report.has_blocking());
        let clean = Checker::builtin().check("Call us at +44 20 7946 0958.", &ctx);
        assert!(!clean
            .findings
            .iter()
            .any(|f| f.rule == "house.other-contact"));
    }

    /// Issue 20: another customer's address pasted into a reply blocks even when
    /// nobody listed it; the customer's own, the company's and free-phone lines pass.
    /// Found by the fourth tuning batch (t4-ru-018): a reply that masks the address it
    /// sent a link to was blocked twice, as an obscenity ("a***a") and as a stranger's
    /// address ("a@example.com").
    #[test]
    fn a_masked_address_is_neither_an_obscenity_nor_a_leak() {
        let reply = "Здравствуйте, Анна! Я отправила ссылку для сброса пароля на почту, указанную в профиле (a***a@example.com). Она действует 24 часа.";
        let found = check(
            reply,
            Some("Здравствуйте! Как восстановить доступ? Забыла пароль."),
            None,
        );
        assert!(found.iter().all(|(_, s)| *s == Severity::Hint), "{found:?}");
        assert!(fires(
            "respect.profanity",
            "Это не наша проблема, бл*дь, разбирайтесь сами.",
            None,
            None
        ));
    }

    /// Found by the sixth tuning batch (t6-en-033 and its twins): a mailbox at the site
    /// the reply links to ("…to claims@insure.example.org or upload it at
    /// insure.example.org/claims") is that organisation's, not a stranger's private
    /// address: a hint, not a block. An address at another domain still blocks.
    #[test]
    fn an_address_at_the_site_the_reply_links_to_is_only_pointed_out() {
        let customer = Some("Where do I send the claim form?");
        let site = "Send the form to m.kovalenko@insure.example.org or upload it at https://insure.example.org/claims, whichever is easier.";
        let found = check(site, customer, None);
        assert!(
            found
                .iter()
                .any(|(r, s)| r == "house.unknown-contact" && *s == Severity::Hint),
            "{found:?}"
        );
        assert!(
            found.iter().all(|(_, s)| *s != Severity::Block),
            "{found:?}"
        );
        let elsewhere = "Send the form to m.kovalenko@insure.example.org or upload it at https://other.example.net/claims.";
        let found = check(elsewhere, customer, None);
        assert!(
            found
                .iter()
                .any(|(r, s)| r == "house.unknown-contact" && *s == Severity::Block),
            "{found:?}"
        );
    }

    #[test]
    fn addresses_and_mobiles_that_are_nobodys_in_the_ticket_are_blocked() {
        let mut olga = customer("Olga Petrenko", Language::En, Formality::Unknown);
        olga.emails = vec!["olga@example.org".into()];
        olga.phone = Some("+380 67 111 22 33".into());
        let own = vec!["help@shop.example".to_string()];
        let unknown = |reply: &str| -> Vec<String> {
            let ctx = ToneContext {
                customer_message: Some("Hi, where is my parcel? Call me on 067 111 22 33."),
                customer: Some(&olga),
                own_contacts: &own,
                agent_name: AGENT,
                ..ToneContext::default()
            };
            let report = Checker::builtin().check(reply, &ctx);
            report
                .findings
                .iter()
                .filter(|f| f.rule == "house.unknown-contact")
                .map(|f| reply[f.span.clone()].to_string())
                .collect()
        };
        assert_eq!(
            unknown("Hi Olga, I wrote to mark.olsen@example.com about it."),
            vec!["mark.olsen@example.com"]
        );
        assert_eq!(
            unknown("Hi Olga, her number is +380 50 765 43 21 if you want to swap."),
            vec!["+380 50 765 43 21"]
        );
        assert_eq!(
            unknown("Hi Olga, or call 07700 900555."),
            vec!["07700 900555"]
        );
        for fine in [
            "Hi Olga, I'll call you on +380 67 111 22 33 and e-mail olga@example.org today.",
            "Hi Olga, write to help@shop.example or call our free line 0 800 500 123.",
            "Hi Olga, billing@shop.example will send the corrected invoice today.",
            "Hi Olga, our office is on 044 555 01 20; order 1234567890 is on its way.",
        ] {
            assert!(unknown(fine).is_empty(), "{fine}");
        }
        let alone =
            Checker::builtin().check("Write to mark.olsen@example.com.", &ToneContext::default());
        assert!(
            alone
                .findings
                .iter()
                .all(|f| f.rule != "house.unknown-contact"),
            "no customer to compare with: nothing is judged"
        );
    }

    #[test]
    fn text_copied_from_an_internal_note_is_blocked_with_its_span() {
        let notes =
            vec!["Клієнт скаржився тричі, не давати знижку без погодження з Андрієм.".to_string()];
        let ctx = ToneContext {
            internal_notes: &notes,
            ..ToneContext::default()
        };
        let reply = "Луко, я уточнила: не давати знижку без погодження з Андрієм. Вибачте.";
        let report = Checker::builtin().check(reply, &ctx);
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == "house.internal-note")
            .expect("copied note");
        assert_eq!(
            &reply[f.span.clone()],
            "не давати знижку без погодження з Андрієм"
        );
        assert_eq!(f.severity, Severity::Block);
        let own_words = Checker::builtin().check(
            "Луко, на жаль, знижку зараз дати не можу, але є промокод.",
            &ctx,
        );
        assert!(!own_words
            .findings
            .iter()
            .any(|f| f.rule == "house.internal-note"));
    }

    #[test]
    fn unedited_canned_reply_that_ignores_the_question_gets_a_hint() {
        let customer = "Can I pay by bank transfer instead of card?";
        let canned = "Thank you for contacting us! We have received your request.";
        let ctx = ToneContext {
            customer_message: Some(customer),
            from_canned_unmodified: true,
            ..ToneContext::default()
        };
        let report = Checker::builtin().check(canned, &ctx);
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == "house.canned-unmodified")
            .expect("hint");
        assert_eq!(f.severity, Severity::Hint);
        let edited = ToneContext {
            from_canned_unmodified: false,
            ..ctx
        };
        assert!(!with_context(canned, edited)
            .iter()
            .any(|r| r == "house.canned-unmodified"));
    }

    #[test]
    fn quoted_customer_text_is_not_the_reply() {
        let reply = "> you idiots, this is bullshit!!!\n\nI'm sorry, I've fixed it.";
        let rules: Vec<String> = check(reply, None, None)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert!(rules.is_empty(), "{rules:?}");
    }

    #[test]
    fn ownership_language_softens_passive_blame_to_a_hint() {
        let alone = check("The address was entered incorrectly.", None, None);
        assert!(alone.contains(&("ownership.passive-blame".to_string(), Severity::Warn)));
        let owned = check(
            "The address was entered incorrectly; I'll fix it now.",
            None,
            None,
        );
        assert!(owned.contains(&("ownership.passive-blame".to_string(), Severity::Hint)));
    }
}

mod api {
    use super::*;

    #[test]
    fn verdicts_follow_the_worst_finding_per_commandment() {
        let report = Checker::builtin().check(
            "As I already said, your card 4111 1111 1111 1111 is fine. I'll write tomorrow.",
            &ToneContext::default(),
        );
        assert_eq!(report.verdict(Commandment::HouseRules), Verdict::Fail);
        assert_eq!(report.verdict(Commandment::Respect), Verdict::Warn);
        assert_eq!(report.verdict(Commandment::Solve), Verdict::Pass);
        assert_eq!(
            report.verdict(Commandment::Expectations),
            Verdict::Pass,
            "a hint never warns"
        );
        assert_eq!(report.worst(), Some(Severity::Block));
        assert!(report.has_blocking());
        let clean = Checker::builtin().check("Thanks, Anna! Done.", &ToneContext::default());
        assert_eq!(clean.worst(), None);
        assert!(!clean.has_blocking());
    }

    #[test]
    fn commandments_are_numbered_one_to_five_plus_house_rules() {
        let numbers: Vec<Option<u8>> = Commandment::ALL.iter().map(|c| c.number()).collect();
        assert_eq!(
            numbers,
            vec![Some(1), Some(2), Some(3), Some(4), Some(5), None]
        );
        assert!(Commandment::ALL.iter().all(|c| !c.title().is_empty()));
        assert!(Severity::Block < Severity::Warn && Severity::Warn < Severity::Hint);
    }

    #[test]
    fn spans_are_byte_ranges_of_the_offending_text() {
        let reply = "Добрий день! Як я вже казала, це в профілі.";
        let report = Checker::builtin().check(reply, &ToneContext::default());
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == "respect.condescension")
            .expect("finding");
        assert_eq!(&reply[f.span.clone()], "Як я вже казала");
        assert!(f.message.contains("Як я вже казала"));
        assert!(f.suggestion.is_some());
        assert_eq!(report.language, Language::Uk);
    }

    #[test]
    fn report_carries_reply_language_and_formality() {
        let report = Checker::builtin().check(
            "Напишіть, будь ласка, номер замовлення.",
            &ToneContext::default(),
        );
        assert_eq!(
            (report.language, report.formality),
            (Language::Uk, Formality::Formal)
        );
        assert_eq!(detect_language("Спасибо, всё пришло"), Language::Ru);
        assert_eq!(
            detect_formality("Ты можешь проверить?", Language::Ru),
            Formality::Informal
        );
        assert_eq!(
            detect_formality("Can you check?", Language::En),
            Formality::Unknown
        );
    }

    #[test]
    fn empty_reply_has_no_findings() {
        let report = Checker::builtin().check("", &ToneContext::default());
        assert!(report.findings.is_empty());
        assert_eq!(report.language, Language::Other);
    }
}

mod user_rules {
    use super::*;

    #[test]
    fn user_file_adds_words_switches_rules_off_and_changes_severity() {
        let text = r#"
disable = ["feel.name-unused", "respect.exclamation"]

[severity]
"respect.caps" = "hint"

[[rule]]
id = "house.competitor"
message = "Do not name competitors (\"{found}\")."
words = ["Acme Corp", "Зеніт"]
"#;
        let checker = Checker::with_user_rules_str(text, "tone.toml").expect("valid rules");
        let report = checker.check(
            "Unlike Acme  Corp, we REALLY care!!!",
            &ToneContext::default(),
        );
        let rules: Vec<(&str, Severity)> = report
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.severity))
            .collect();
        assert!(
            rules.contains(&("house.competitor", Severity::Warn)),
            "{rules:?}"
        );
        assert!(
            rules.contains(&("respect.caps", Severity::Hint)),
            "{rules:?}"
        );
        assert!(!rules.iter().any(|(r, _)| *r == "respect.exclamation"));
        assert!(checker.is_disabled("feel.name-unused"));
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == "house.competitor")
            .expect("found");
        assert_eq!(f.message, "Do not name competitors (\"Acme Corp\").");
        assert_eq!(f.commandment, Commandment::HouseRules);
        assert!(
            !Checker::builtin().is_disabled("feel.name-unused"),
            "builtin is untouched"
        );
    }

    #[test]
    fn user_file_patterns_are_regular_expressions() {
        let text = "[[rule]]\nid = \"respect.no-dear\"\ncommandment = \"respect\"\nseverity = \"hint\"\nmessage = \"m\"\npatterns = [\"dear (sir|madam)\"]\n";
        let checker = Checker::with_user_rules_str(text, "tone.toml").expect("valid");
        let report = checker.check("Dear Sir, thanks.", &ToneContext::default());
        assert!(report
            .findings
            .iter()
            .any(|f| f.rule == "respect.no-dear" && f.severity == Severity::Hint));
    }

    #[test]
    fn mistakes_in_the_user_file_are_named() {
        let unknown =
            Checker::with_user_rules_str("disable = [\"respect.capz\"]", "tone.toml").unwrap_err();
        assert!(
            unknown
                .to_string()
                .contains("unknown rule id 'respect.capz'"),
            "{unknown}"
        );
        assert!(
            unknown.to_string().contains("respect.caps"),
            "lists the known ids"
        );
        let bad_regex = Checker::with_user_rules_str(
            "[[rule]]\nid = \"x\"\nmessage = \"m\"\npatterns = [\"(unclosed\"]",
            "tone.toml",
        )
        .unwrap_err();
        assert!(
            bad_regex.to_string().contains("rule 'x' has a bad pattern"),
            "{bad_regex}"
        );
        let typo = Checker::with_user_rules_str("disabled = []", "tone.toml").unwrap_err();
        assert!(typo.to_string().contains("tone.toml"), "{typo}");
        let missing =
            Checker::with_user_rules(std::path::Path::new("/nonexistent/tone.toml")).unwrap_err();
        assert!(
            missing.to_string().contains("cannot read tone rules"),
            "{missing}"
        );
    }

    #[test]
    fn user_file_is_read_from_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tone.toml");
        std::fs::write(&path, "disable = [\"respect.exclamation\"]\n").expect("write");
        let checker = Checker::with_user_rules(&path).expect("load");
        let report = checker.check("Shipped!!!", &ToneContext::default());
        assert!(report.findings.is_empty());
    }
}

mod politeness_corpus {
    //! The Stanford Politeness Corpus (Danescu-Niculescu-Mizil et al., 2013): 10,956
    //! requests rated by five annotators. Not support replies, so absolute rates mean
    //! little; what must hold is that the least polite tenth is flagged far more often
    //! than the most polite tenth. Read in place from ../shared; fails without it.
    use super::*;

    fn corpus_dir() -> std::path::PathBuf {
        shared_data::path("text/stanford-politeness/corpora")
    }

    /// A minimal RFC 4180 reader: quoted fields with doubled quotes and newlines.
    fn csv_rows(text: &str) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', true) => quoted = false,
                ('"', false) if field.is_empty() => quoted = true,
                (',', false) => row.push(std::mem::take(&mut field)),
                ('\n', false) => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                ('\r', false) => {}
                (c, _) => field.push(c),
            }
        }
        if !field.is_empty() || !row.is_empty() {
            row.push(field);
            rows.push(row);
        }
        rows
    }

    #[test]
    fn least_polite_requests_are_flagged_far_more_than_most_polite() {
        let dir = corpus_dir();
        let mut scored: Vec<(f64, String)> = Vec::new();
        for file in ["wikipedia.annotated.csv", "stack-exchange.annotated.csv"] {
            let text = std::fs::read_to_string(dir.join(file)).expect("readable corpus file");
            let rows = csv_rows(&text);
            let header = &rows[0];
            let request = header
                .iter()
                .position(|h| h == "Request")
                .expect("Request column");
            let score = header
                .iter()
                .position(|h| h == "Normalized Score")
                .expect("score column");
            for row in &rows[1..] {
                if let (Some(r), Some(s)) = (
                    row.get(request),
                    row.get(score).and_then(|s| s.parse::<f64>().ok()),
                ) {
                    scored.push((s, r.clone()));
                }
            }
        }
        assert!(scored.len() > 10_000, "read {} requests", scored.len());
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        let tenth = scored.len() / 10;
        let checker = Checker::builtin();
        let respect_rate = |slice: &[(f64, String)]| {
            let flagged = slice
                .iter()
                .filter(|(_, r)| {
                    checker
                        .check(r, &ToneContext::default())
                        .findings
                        .iter()
                        .any(|f| {
                            f.severity <= Severity::Warn && f.commandment == Commandment::Respect
                        })
                })
                .count();
            flagged as f64 / slice.len() as f64
        };
        let any_rate = |slice: &[(f64, String)]| {
            let flagged = slice
                .iter()
                .filter(|(_, r)| {
                    checker
                        .check(r, &ToneContext::default())
                        .worst()
                        .is_some_and(|s| s <= Severity::Warn)
                })
                .count();
            flagged as f64 / slice.len() as f64
        };
        let least = &scored[..tenth];
        let most = &scored[scored.len() - tenth..];
        let (least_respect, most_respect) = (respect_rate(least), respect_rate(most));
        let (least_any, most_any) = (any_rate(least), any_rate(most));
        println!(
            "politeness corpus ({} requests, deciles of {tenth}): respect warn/block least polite {:.1}% vs most polite {:.1}% (×{:.1}); any warn/block {:.1}% vs {:.1}%",
            scored.len(),
            least_respect * 100.0,
            most_respect * 100.0,
            least_respect / most_respect.max(1e-9),
            least_any * 100.0,
            most_any * 100.0
        );
        assert!(
            least_respect >= 3.0 * most_respect,
            "least polite decile must be flagged at least 3× as often"
        );
        assert!(
            most_any <= 0.05,
            "most polite requests flagged {:.1}%",
            most_any * 100.0
        );
    }
}

mod robustness {
    use super::*;

    /// Every prefix and suffix (at character boundaries) of text with odd whitespace,
    /// combining marks, emoji, bidi controls, lone digits and unclosed quotes.
    #[test]
    fn never_panics_on_odd_text() {
        let odd = [
            "Hi\u{a0}ANNA,\u{2003}WHY!!! 4111\u{a0}1111 1111 1111 > quoted\n> ЦЕ ЖАХ!!!\r\n\r\nЗ повагою,\nСлужба\u{202e}підтримки",
            "Ви\u{301} що? 😀😀 ТИ МОЖЕШ?! UA21 3223 1300 0002 6007 2335 6600 1 пароль: Ё1ё!",
            "password:\u{3000}Kyiv2024!\t\tsk_live_\u{200b}abc https://x.y/?token=",
            "\n\n>\n> \n,,,!!!???—–-'’ʼ@@@ @Mr.ТАМЕР ~ / ://",
        ];
        let checker = Checker::builtin();
        let notes = vec!["ЦЕ ЖАХ, не давати знижку".to_string()];
        let contacts = vec!["+380 67 555 12 34".to_string(), "a@b.c".to_string()];
        for text in odd {
            for (i, _) in text
                .char_indices()
                .chain(std::iter::once((text.len(), ' ')))
            {
                for part in [&text[..i], &text[i..]] {
                    let ctx = ToneContext {
                        customer_message: Some(part),
                        internal_notes: &notes,
                        other_contacts: &contacts,
                        from_canned_unmodified: true,
                        ..ToneContext::default()
                    };
                    let report = checker.check(part, &ctx);
                    for f in &report.findings {
                        assert!(
                            part.get(f.span.clone()).is_some(),
                            "bad span {:?} in {part:?}",
                            f.span
                        );
                    }
                }
            }
        }
    }
}

mod cli {
    //! `firstline tone` as a script sees it: exit codes, JSON, the customer file, the
    //! user rules file, and output that is safe for a terminal.
    use assert_cmd::Command;
    use predicates::prelude::*;

    fn tone(dir: &tempfile::TempDir) -> Command {
        let (db, config) = (dir.path().join("q.db"), dir.path().join("config.toml"));
        let mut cmd = Command::from_std(crate::support::cli(&db, &config));
        cmd.arg("tone");
        cmd
    }

    #[test]
    fn clean_reply_exits_zero_and_shows_the_checklist() {
        let dir = tempfile::tempdir().expect("tempdir");
        tone(&dir)
            .write_stdin("Hi Anna,\n\nI've refunded the order.\n\nBest,\nOlena")
            .assert()
            .code(0)
            .stdout(predicate::str::contains("✓ 1. Respect the client"))
            .stdout(predicate::str::contains("language: en"));
    }

    #[test]
    fn warnings_exit_three_and_blocking_exits_four() {
        let dir = tempfile::tempdir().expect("tempdir");
        tone(&dir)
            .write_stdin("As I already said, it is in Settings.")
            .assert()
            .code(3)
            .stdout(predicate::str::contains(
                "1:1  warn   respect.condescension",
            ))
            .stdout(predicate::str::contains("⚠ 1. Respect the client"));
        tone(&dir)
            .write_stdin("Your card 4111 1111 1111 1111 is on file.")
            .assert()
            .code(4)
            .stdout(predicate::str::contains("block  house.card-number"))
            .stdout(predicate::str::contains("✗    House rules"));
    }

    /// Issue 20: `--ticket` reads the ticket's customer, their latest message and the
    /// notes, as the composer does; an address that is nobody's in the ticket blocks.
    #[test]
    fn ticket_gives_the_customer_history_and_notes() {
        use firstline::model::{
            Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status,
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("q.db");
        let mut store = firstline::store::Store::open(&db).unwrap();
        let id = store
            .create_ticket(&NewTicket {
                subject: "Повернення коштів".into(),
                customer: NewCustomer {
                    name: "Ірина Коваль".into(),
                    email: Some("iryna@example.net".into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::Open,
                tags: vec![],
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "Ірина Коваль <iryna@example.net>".into(),
                    body: "Шановна службо підтримки! Прошу пояснити, коли повернуться кошти. З повагою, Ірина".into(),
                    ..Default::default()
                },
            })
            .unwrap();
        store
            .add_message(
                id,
                &NewMessage {
                    direction: Direction::Note,
                    author: "Olena".into(),
                    body: "Банк затримує повернення, клієнтці не казати про штраф від банку."
                        .into(),
                    ..Default::default()
                },
            )
            .unwrap();
        drop(store);
        let json = |reply: &str| {
            let out = tone(&dir)
                .args([
                    "--ticket",
                    &id.to_string(),
                    "--json",
                    "--agent",
                    "Olena Koval",
                ])
                .write_stdin(reply)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let informal = json("Привіт, Ірино! Гроші повернуться до п'ятниці, напишу тобі.\n\nОлена");
        assert!(informal.contains("feel.formality-mismatch"), "{informal}");
        let leak = json(
            "Ірино, добрий день! Напишіть, будь ласка, на refunds@other-shop.example або iryna@example.net. Відповім сьогодні до 17:00.\n\nОлена",
        );
        assert!(leak.contains("house.unknown-contact"), "{leak}");
        assert!(leak.contains("refunds@other-shop.example"), "{leak}");
        assert!(
            !leak.contains("\"iryna@example.net\""),
            "the customer's own address: {leak}"
        );
        let note = json("Ірино, добрий день! Клієнтці не казати про штраф від банку. Відповім сьогодні до 17:00.\n\nОлена");
        assert!(note.contains("house.internal-note"), "{note}");
        tone(&dir)
            .args(["--ticket", "999"])
            .write_stdin("Добрий день!")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("999"));
    }

    /// Issue 20: `[tone] confirm` is checked like every other setting.
    #[test]
    fn a_bad_confirm_setting_stops_the_start_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("config.toml"),
            "[agent]\nname = \"Ann\"\n[tone]\nconfirm = [\"block\", \"warning:1\"]\n",
        )
        .unwrap();
        tone(&dir)
            .write_stdin("Hello, it is done.")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("line 4"))
            .stderr(predicate::str::contains("'warning:1'"));
        std::fs::write(
            dir.path().join("config.toml"),
            "[tone]\nconfirm = [\"block\", \"warn\"]\n",
        )
        .unwrap();
        tone(&dir)
            .write_stdin("Hello, it is done.")
            .assert()
            .code(0);
    }

    #[test]
    fn customer_file_and_language_drive_the_context_checks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let msg = dir.path().join("customer.txt");
        std::fs::write(&msg, "Доброго дня! Чи можете Ви перевірити моє замовлення?")
            .expect("write");
        tone(&dir)
            .arg("--customer")
            .arg(&msg)
            .write_stdin("Привіт! Напиши номер замовлення, я перевірю.\nОлена")
            .assert()
            .code(3)
            .stdout(predicate::str::contains("feel.formality-mismatch"));
        tone(&dir)
            .args(["--lang", "uk"])
            .write_stdin("Please reset your password from the login page.")
            .assert()
            .code(3)
            .stdout(predicate::str::contains("house.language-mismatch"));
    }

    #[test]
    fn json_report_has_findings_with_positions_and_verdicts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = tone(&dir)
            .arg("--json")
            .write_stdin("Hi,\nobviously it works.")
            .assert()
            .code(3)
            .get_output()
            .stdout
            .clone();
        let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(json["language"], "en");
        assert_eq!(json["worst"], "warn");
        let f = &json["findings"][0];
        assert_eq!(f["rule"], "respect.condescension");
        assert_eq!(f["severity"], "warn");
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(f["text"], "obviously");
        assert_eq!(json["verdicts"][0]["verdict"], "warn");
    }

    #[test]
    fn rules_file_beside_the_config_or_given_is_applied() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("tone.toml"),
            "disable = [\"respect.condescension\"]\n",
        )
        .expect("write");
        tone(&dir)
            .write_stdin("Obviously it works.")
            .assert()
            .code(0);
        let other = dir.path().join("strict.toml");
        std::fs::write(
            &other,
            "[[rule]]\nid = \"house.no-acme\"\nmessage = \"no\"\nwords = [\"acme\"]\n",
        )
        .expect("write");
        tone(&dir)
            .arg("--rules")
            .arg(&other)
            .write_stdin("Acme is great.")
            .assert()
            .code(3)
            .stdout(predicate::str::contains("house.no-acme"));
        std::fs::write(&other, "disable = [\"nope\"]\n").expect("write");
        tone(&dir)
            .arg("--rules")
            .arg(&other)
            .write_stdin("x")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("unknown rule id 'nope'"));
    }

    #[test]
    fn escape_sequences_in_findings_are_shown_not_obeyed() {
        let dir = tempfile::tempdir().expect("tempdir");
        tone(&dir)
            .write_stdin("Your new password: Kyiv\u{1b}]0;pwned\u{7}2024")
            .assert()
            .code(4)
            .stdout(predicate::str::contains("house.password"))
            .stdout(predicate::str::contains("␛"))
            .stdout(predicate::str::contains("\u{1b}").not());
    }
}

mod lexicon_coverage {
    //! How much of the slaviclean lexicon (MIT; 49k Ukrainian and 22k Russian forms
    //! of obscene and insulting words) the compact stem lists catch. Every 20th form
    //! is checked to keep the test quick. Read in place from ../shared; fails
    //! without it.
    use super::*;

    fn coverage(lang: &str) -> (usize, usize) {
        let path = shared_data::path(&format!("text/toxicity-lexicons/slaviclean/{lang}.csv"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let checker = Checker::builtin();
        let (mut total, mut caught) = (0, 0);
        for line in text.lines().skip(1).step_by(20) {
            let fields: Vec<&str> = line.split(',').collect();
            let (Some(form), Some(kind)) = (fields.first(), fields.get(4)) else {
                continue;
            };
            if !(kind.starts_with("obscene") || kind.starts_with("vulgar insulting"))
                || kind.contains("euphemism")
            {
                continue;
            }
            total += 1;
            let report = checker.check(form, &ToneContext::default());
            if report
                .findings
                .iter()
                .any(|f| f.rule == "respect.profanity" || f.rule == "respect.insult")
            {
                caught += 1;
            }
        }
        (caught, total)
    }

    /// The stems match inside prefixed forms (за-, від-, недо-…), so they must be
    /// checked against clean text too: the chatterbot corpus (BSD-3) has about 3,800
    /// lines of ordinary Ukrainian, Russian and English dialogue.
    #[test]
    fn stems_do_not_fire_on_ordinary_dialogue() {
        let root = shared_data::path("text/chatterbot-corpus");
        let langs = std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        let checker = Checker::builtin();
        let (mut lines, mut profane) = (0, Vec::new());
        for lang in langs.flatten() {
            let Ok(files) = std::fs::read_dir(lang.path()) else {
                continue;
            };
            for file in files.flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap_or_default();
                for line in text
                    .lines()
                    .filter_map(|l| l.trim_start().strip_prefix("- "))
                {
                    lines += 1;
                    let report = checker.check(line, &ToneContext::default());
                    if report
                        .findings
                        .iter()
                        .any(|f| f.rule == "respect.profanity")
                    {
                        profane.push(line.to_string());
                    }
                }
            }
        }
        println!(
            "chatterbot corpus: {} of {lines} lines flagged as profanity",
            profane.len()
        );
        assert!(lines > 3000, "read {lines} lines");
        assert!(profane.is_empty(), "{profane:?}");
    }

    #[test]
    fn stems_catch_most_slaviclean_word_forms() {
        let mut shares = Vec::new();
        for (lang, floor) in [("uk", 0.70), ("ru", 0.70)] {
            let (caught, total) = coverage(lang);
            let share = caught as f64 / total.max(1) as f64;
            println!(
                "slaviclean {lang}: {caught}/{total} sampled forms caught = {:.1}%",
                share * 100.0
            );
            shares.push((lang, share, floor));
        }
        for (lang, share, floor) in shares {
            assert!(
                share >= floor,
                "{lang}: {:.1}% < {:.0}%",
                share * 100.0,
                floor * 100.0
            );
        }
    }
}

/// Commandment 3 by structure (src/tone/checks/ownership.rs): the cause placed on a
/// third party, "the system" or the customer, or the customer sent elsewhere, when
/// the reply takes nothing on itself; and the same words cleared by a negation or by
/// something the reply does. Examples written for this test, in three languages.
mod ownership_structure {
    use super::check;

    fn warns_ownership(reply: &str, customer: &str) -> bool {
        check(reply, Some(customer), None).iter().any(|(r, s)| {
            (r == "ownership.deflection" || r == "respect.blame")
                && *s <= firstline::tone::Severity::Warn
        })
    }

    #[test]
    fn deflection_and_blame_in_plain_words_warn() {
        let cases = [
            (
                "The heater I bought stopped working after a week.",
                "Hi Ruth, repairs are handled by the manufacturer. You'd need to call them.",
            ),
            (
                "My order total was charged twice!",
                "Hi Sam, charges are set automatically by the system, so we don't have any control over that.",
            ),
            (
                "The app keeps logging me out.",
                "Hi Joe, it works fine for everyone else, so you probably mistyped your password.",
            ),
            (
                "Замовлення прийшло не повне, бракує двох книжок.",
                "Олю, комплектацією займається склад, я тут лише листи пересилаю. Зверніться до них.",
            ),
            (
                "Мне не пришёл чек после оплаты.",
                "Ирина, чеки отправляет автоматическая система, мы её не контролируем. Обращайтесь в налоговую.",
            ),
        ];
        for (customer, reply) in cases {
            assert!(warns_ownership(reply, customer), "{reply}");
        }
    }

    #[test]
    fn a_cleared_customer_or_work_of_our_own_is_not_deflection() {
        let cases = [
            (
                "My card was declined and I had to leave the shop.",
                "I'm sorry! Our fraud check blocked it, not anything you did wrong. I've removed the block.",
            ),
            (
                "Your delivery never came.",
                "Sorry about that. The courier lost the parcel; I've already sent a new one, it arrives on Friday.",
            ),
            (
                "Посилка досі не прийшла.",
                "Вибачте за затримку! Перевізник затримує посилки в регіоні, ми вже зв'язалися з ними і я напишу вам завтра до 12:00.",
            ),
            (
                "Не могу войти в кабинет.",
                "Это не ваша ошибка: сбой был у нас, мы уже всё исправили. Попробуйте, пожалуйста, ещё раз.",
            ),
        ];
        for (customer, reply) in cases {
            assert!(!warns_ownership(reply, customer), "{reply}");
        }
    }
}

/// A blame or promise after a dash in a Cyrillic reply: the negation check reads the
/// clause before it without splitting a character (it panicked on «—»).
#[test]
fn negation_check_reads_past_a_dash_in_cyrillic() {
    let reply = "Денисе, залиште це мені — гарантую, що ви самі нічого не зламали.";
    let _ = check(reply, Some("Не працює застосунок."), None);
    let reply = "Денис, оставьте это мне — обещаю, больше не будет никогда.";
    assert!(check(reply, Some("Опять всё упало!"), None)
        .iter()
        .any(|(r, _)| r == "expectations.over-promise"));
}
