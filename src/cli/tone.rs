//! `firstline tone`: checks a reply (on stdin) against the five commandments and the
//! house rules and prints the findings, for editors and scripts. Exit codes: 0 clean
//! (hints allowed), 3 warnings only, 4 something blocking. All the judging is in
//! `crate::tone`; this file reads input, builds the context and prints.

use super::{print_json, user_error, Context};
use crate::model::Language;
use crate::tone::{Checker, Commandment, Finding, Severity, ToneContext, ToneReport, Verdict};
use anyhow::Context as _;
use serde::Serialize;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `firstline tone`.
#[derive(Debug, clap::Args)]
pub struct ToneArgs {
    /// The customer's language (en, uk, ru), when there is no --customer message to
    /// detect it from or detection should be overridden.
    #[arg(long, value_name = "xx")]
    pub lang: Option<Language>,
    /// A file with the customer's message the reply answers.
    #[arg(long, value_name = "FILE")]
    pub customer: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// A tone rules file (default: tone.toml beside config.toml, if present).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// The name you sign with (default: agent.name from the settings).
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Check the draft as a reply on this ticket: its customer (name, language,
    /// formality, addresses), their latest message, the ticket's status and its
    /// internal notes give the context, as in the console's composer.
    #[arg(long, value_name = "ID", conflicts_with = "customer")]
    pub ticket: Option<crate::model::TicketId>,
}

/// How much of each message and note the check reads (as the composer does).
const CONTEXT_LIMIT: usize = 16 * 1024;

/// Reads the reply from stdin, checks it, prints the findings, and returns 0, 3 or 4.
pub fn run(ctx: &Context, args: ToneArgs) -> anyhow::Result<ExitCode> {
    let checker = load_checker(args.rules.as_ref())?;
    let reply = read_reply()?;
    let customer = match &args.customer {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| {
                format!("cannot read the customer's message {}", path.display())
            })?;
            Some(super::checked_text(bytes, "customer's message")?)
        }
        None => None,
    };
    let agent = args
        .agent
        .clone()
        .unwrap_or_else(|| ctx.config.agent.name.clone());
    let own_contacts = ctx.config.own_contacts();
    let detail = match args.ticket {
        Some(id) => Some(ctx.open_store(false)?.ticket_detail(id)?),
        None => None,
    };
    let (thread_message, notes) = detail
        .as_ref()
        .map(|d| crate::tone::thread_context(&d.messages, CONTEXT_LIMIT))
        .unwrap_or_default();
    let tone_ctx = ToneContext {
        customer_message: thread_message.or(customer.as_deref()),
        customer: detail.as_ref().map(|d| &d.customer),
        ticket: detail.as_ref().map(|d| &d.ticket),
        internal_notes: &notes,
        own_contacts: &own_contacts,
        agent_name: agent.trim(),
        customer_language: args.lang,
        ..ToneContext::default()
    };
    let report = checker.check(&reply, &tone_ctx);
    if args.json {
        print_json(&JsonReport::new(&report, &reply))?;
    } else {
        print_human(&report, &reply)?;
    }
    Ok(exit_code(&report))
}

/// The findings that stop `firstline reply` unless `--force`: the same ones the
/// console asks "Send anyway?" about (`[tone] confirm`), with the ticket's customer,
/// thread and notes as context, and the user's `tone.toml` rules when there is one.
pub(super) fn findings_that_ask(
    ctx: &Context,
    detail: &crate::model::TicketDetail,
    reply: &str,
) -> anyhow::Result<Vec<Finding>> {
    let checker = load_checker(None)?;
    let own_contacts = ctx.config.own_contacts();
    let (thread_message, notes) = crate::tone::thread_context(&detail.messages, CONTEXT_LIMIT);
    let agent = ctx.config.agent.name.clone();
    let tone_ctx = ToneContext {
        customer_message: thread_message,
        customer: Some(&detail.customer),
        ticket: Some(&detail.ticket),
        internal_notes: &notes,
        own_contacts: &own_contacts,
        agent_name: agent.trim(),
        ..ToneContext::default()
    };
    let report = checker.check(reply, &tone_ctx);
    let policy = crate::tone::ConfirmPolicy::parse(&ctx.config.tone.confirm)
        .map_err(|e| user_error(format!("[tone] confirm: {e}")))?;
    Ok(policy.asking(&report).into_iter().cloned().collect())
}

fn load_checker(explicit: Option<&PathBuf>) -> anyhow::Result<Checker> {
    if let Some(path) = explicit {
        return Checker::with_user_rules(path).map_err(|e| user_error(e.to_string()));
    }
    let default = crate::paths::config_path().with_file_name("tone.toml");
    if default.is_file() {
        return Checker::with_user_rules(&default).map_err(|e| user_error(e.to_string()));
    }
    Ok(Checker::builtin())
}

/// More than a reply could ever be; `checked_text` refuses what goes past its own limit.
const MAX_REPLY_BYTES: u64 = 8 * 1024 * 1024;

fn read_reply() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(user_error(
            "pipe the reply on stdin: firstline tone < reply.txt",
        ));
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(MAX_REPLY_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("cannot read the reply from stdin")?;
    super::checked_text(bytes, "reply")
}

/// 0 clean, 3 warnings only, 4 blocking.
fn exit_code(report: &ToneReport) -> ExitCode {
    match report.worst() {
        Some(Severity::Block) => ExitCode::from(4),
        Some(Severity::Warn) => ExitCode::from(3),
        _ => ExitCode::SUCCESS,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn print_human(report: &ToneReport, reply: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for f in &report.findings {
        let place = if f.span.is_empty() {
            "reply".to_string()
        } else {
            let (l, c) = line_col(reply, f.span.start);
            format!("{l}:{c}")
        };
        writeln!(
            out,
            "{place:>7}  {:<5}  {}  {}",
            f.severity.as_str(),
            f.rule,
            crate::display::sanitize_line(&f.message)
        )?;
        if let Some(s) = &f.suggestion {
            writeln!(
                out,
                "{:>7}  {:<5}  fix: {}",
                "",
                "",
                crate::display::sanitize_line(s)
            )?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    for c in Commandment::ALL {
        let mark = match report.verdict(c) {
            Verdict::Pass => "✓",
            Verdict::Warn => "⚠",
            Verdict::Fail => "✗",
        };
        let number = c.number().map_or("  ".to_string(), |n| format!("{n}."));
        writeln!(out, "{mark} {number} {}", c.title())?;
    }
    writeln!(
        out,
        "language: {}, formality: {}",
        report.language, report.formality
    )?;
    Ok(())
}

/// The JSON shape: findings with line/column and the spanned text, plus the
/// per-commandment verdicts.
#[derive(Serialize)]
struct JsonReport<'a> {
    language: crate::model::Language,
    formality: crate::model::Formality,
    worst: Option<Severity>,
    verdicts: Vec<JsonVerdict>,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonVerdict {
    commandment: Commandment,
    title: &'static str,
    verdict: Verdict,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    line: Option<usize>,
    column: Option<usize>,
    text: &'a str,
}

impl<'a> JsonReport<'a> {
    fn new(report: &'a ToneReport, reply: &'a str) -> JsonReport<'a> {
        JsonReport {
            language: report.language,
            formality: report.formality,
            worst: report.worst(),
            verdicts: Commandment::ALL
                .iter()
                .map(|&c| JsonVerdict {
                    commandment: c,
                    title: c.title(),
                    verdict: report.verdict(c),
                })
                .collect(),
            findings: report
                .findings
                .iter()
                .map(|f| {
                    let (line, column) = if f.span.is_empty() {
                        (None, None)
                    } else {
                        let (l, c) = line_col(reply, f.span.start);
                        (Some(l), Some(c))
                    };
                    JsonFinding {
                        finding: f,
                        line,
                        column,
                        text: reply.get(f.span.clone()).unwrap_or(""),
                    }
                })
                .collect(),
        }
    }
}
