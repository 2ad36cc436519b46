//! `firstline canned`: the saved-reply library from the command line: list, show
//! (rendered for a ticket), add, edit in `$EDITOR`, rm/restore, export/import as TOML,
//! and the suggestions the composer would show for a ticket.

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::canned::{self, RenderContext};
use crate::display::{fit, sanitize, sanitize_line};
use crate::model::{CannedResponse, Formality, Language, NewCanned};
use crate::store::Store;

/// Arguments of `firstline canned`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline canned list --lang uk\n  firstline canned show refund-uk-formal --ticket 3\n  firstline canned add --title 'Order shipped' --lang en --shortcut shipped --body 'Your order is on its way.'\n  firstline canned edit refund-en\n  firstline canned export > replies.toml && firstline canned import replies.toml"
)]
pub struct CannedArgs {
    #[command(subcommand)]
    pub command: CannedCommand,
}

/// Every `canned` subcommand.
#[derive(Debug, Subcommand)]
pub enum CannedCommand {
    /// List canned responses with their usage (times used, share sent unmodified).
    List(ListArgs),
    /// Show one response; with --ticket, the whole reply as that customer would get it.
    Show(ShowArgs),
    /// Add a response (body from --body, stdin or $EDITOR).
    Add(AddArgs),
    /// Edit a response in $EDITOR (all its fields, as TOML).
    Edit(RefArgs),
    /// Delete a response (undo with `restore`).
    Rm(RefArgs),
    /// Bring back a deleted response by its id.
    Restore(RestoreArgs),
    /// Write responses as TOML (to stdout or --output).
    Export(ExportArgs),
    /// Add or update responses from a TOML file (`-` for stdin), matched by slug.
    Import(ImportArgs),
    /// The three responses that best fit a ticket's latest customer message.
    Suggest(SuggestArgs),
}

/// `firstline canned list --lang uk --json`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only responses in this language (en, uk, ru).
    #[arg(long)]
    pub lang: Option<Language>,
    /// Fuzzy filter, ranked the way the composer's picker ranks.
    #[arg(long, short)]
    pub query: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// `firstline canned show refund-en --ticket 12`
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Id, slug or shortcut (as `canned list` prints it).
    pub response: String,
    /// Render for this ticket's customer, with greeting and sign-off.
    #[arg(long)]
    pub ticket: Option<i64>,
    #[arg(long)]
    pub json: bool,
}

/// `firstline canned add --title ... --lang uk --formality informal`
#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    pub title: String,
    #[arg(long)]
    pub lang: Language,
    /// formal, informal, or unknown (any register).
    #[arg(long, default_value = "unknown")]
    pub formality: Formality,
    /// Typed as `;;shortcut` in the composer.
    #[arg(long)]
    pub shortcut: Option<String>,
    /// Stable name; made from the shortcut and language when absent.
    #[arg(long)]
    pub slug: Option<String>,
    /// Comma-separated tags (`greeting`, `sign-off` and `snippet` have special roles).
    #[arg(long, value_delimiter = ',')]
    pub tag: Vec<String>,
    /// Comma-separated words customers use when they need this reply.
    #[arg(long, value_delimiter = ',')]
    pub keyword: Vec<String>,
    /// The template; read from stdin, or $EDITOR, when absent.
    #[arg(long)]
    pub body: Option<String>,
}

/// A response named by id or slug.
#[derive(Debug, Args)]
pub struct RefArgs {
    /// Id or slug.
    pub response: String,
}

/// `firstline canned restore 12`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    pub id: i64,
}

/// `firstline canned export --output replies.toml`
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Replace the --output file if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
    /// Only this language.
    #[arg(long)]
    pub lang: Option<Language>,
}

/// `firstline canned import replies.toml`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A TOML file written by `export` (or by hand); `-` reads stdin.
    pub file: PathBuf,
}

/// `firstline canned suggest --ticket 3`
#[derive(Debug, Args)]
pub struct SuggestArgs {
    #[arg(long)]
    pub ticket: i64,
    #[arg(long)]
    pub json: bool,
}

impl CannedArgs {
    /// Whether the subcommand adds to the library, so may start a new queue file.
    pub fn writes(&self) -> bool {
        matches!(
            self.command,
            CannedCommand::Add(_) | CannedCommand::Import(_)
        )
    }
}

/// Runs a `canned` subcommand. The starter library is loaded (or brought up to date)
/// first, so a new database already has replies to list.
pub fn run(ctx: &Context, args: CannedArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store(true)?;
    canned::ensure_starter(&mut store).context("could not load the starter replies")?;
    match args.command {
        CannedCommand::List(a) => list(ctx, &store, a),
        CannedCommand::Show(a) => show(ctx, &store, a),
        CannedCommand::Add(a) => add(&mut store, a),
        CannedCommand::Edit(a) => edit(&mut store, a),
        CannedCommand::Rm(a) => remove(&mut store, a),
        CannedCommand::Restore(a) => {
            let back = store.canned_restore(a.id)?;
            println!("restored {} ({})", back.id, back.slug);
            Ok(ExitCode::SUCCESS)
        }
        CannedCommand::Export(a) => export(&store, a),
        CannedCommand::Import(a) => import(&mut store, a),
        CannedCommand::Suggest(a) => suggest(&store, a),
    }
}

/// A response by id, slug, or the shortcut `canned list` prints (with or without
/// `;;`). Several responses share a shortcut, one per language and register: the
/// customer's is chosen when there is one (`customer`), else the composer's first.
fn find(
    store: &Store,
    reference: &str,
    customer: Option<&crate::model::Customer>,
) -> Result<CannedResponse> {
    if let Ok(id) = reference.parse::<i64>() {
        return Ok(store.canned_get(id)?);
    }
    if let Some(item) = store.canned_by_slug(reference)? {
        return Ok(item);
    }
    let typed = format!(
        "{}{}",
        canned::SHORTCUT_PREFIX,
        reference.trim().trim_start_matches(canned::SHORTCUT_PREFIX)
    );
    let all = store.canned_list()?;
    let found = match customer {
        Some(c) => canned::expand_shortcut_for(&typed, &all, c.language, c.formality),
        None => canned::expand_shortcut(&typed, &all),
    };
    found.map(|(_, item)| item).ok_or_else(|| {
        user_error(format!(
            "no canned response with id, slug or shortcut '{reference}'; `firstline canned list` shows them"
        ))
    })
}

fn list(ctx: &Context, store: &Store, args: ListArgs) -> Result<ExitCode> {
    let all = store.canned_list()?;
    let language = args.lang.unwrap_or(Language::Other);
    let order = match args.query.as_deref() {
        Some(q) => canned::rank(&all, q, language),
        None => (0..all.len()).collect(),
    };
    let rows: Vec<&CannedResponse> = order
        .into_iter()
        .map(|i| &all[i])
        .filter(|c| args.lang.is_none_or(|l| c.language == l))
        .collect();
    if args.json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    // On the desk's clock, as every date shown (`sla::local_date`).
    let tz = crate::sla::timezone(&ctx.config.sla);
    let mut out = std::io::stdout().lock();
    for c in rows {
        let unmodified = c
            .unmodified_share()
            .map(|s| format!("{:.0}%", s * 100.0))
            .unwrap_or_else(|| "-".into());
        let last = c
            .last_used_at
            .map(|t| crate::sla::local_date(tz, t))
            .unwrap_or_else(|| "never".into());
        let line = format!(
            "{:>4}  {:<2} {:<8} {:<11} used {:>3} unmod {:>4} last {:<10}  {}",
            c.id,
            c.language.as_str(),
            c.formality.as_str(),
            fit(&sanitize_line(c.shortcut.as_deref().unwrap_or("")), 11),
            c.times_used,
            unmodified,
            last,
            sanitize_line(&c.title),
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(ctx: &Context, store: &Store, args: ShowArgs) -> Result<ExitCode> {
    let customer = match args.ticket {
        Some(id) => Some(store.customer(store.ticket(id)?.customer_id)?),
        None => None,
    };
    let item = find(store, &args.response, customer.as_ref())?;
    let Some(ticket_id) = args.ticket else {
        if args.json {
            print_json(&item)?;
        } else {
            print_item(&item);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let ticket = store.ticket(ticket_id)?;
    let customer = store.customer(ticket.customer_id)?;
    let all = store.canned_list()?;
    let rendered = canned::render(
        &canned::full_template(&all, &item),
        &RenderContext {
            customer: Some(&customer),
            ticket: Some(&ticket),
            agent: &ctx.config.agent,
            now: chrono::Utc::now(),
        },
    );
    let unfilled: Vec<&str> = rendered
        .unfilled
        .iter()
        .map(|r| &rendered.text[r.clone()])
        .collect();
    if args.json {
        print_json(&serde_json::json!({
            "response": item,
            "ticket": ticket.id,
            "text": rendered.text,
            "unfilled": unfilled,
        }))?;
    } else {
        println!("{}", sanitize(&rendered.text));
        if !unfilled.is_empty() {
            eprintln!(
                "firstline: fill before sending: {} (set agent.name in config.toml for your signature)",
                unfilled.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_item(c: &CannedResponse) {
    println!("id        {}", c.id);
    println!("slug      {}", sanitize_line(&c.slug));
    println!("title     {}", sanitize_line(&c.title));
    if let Some(s) = &c.shortcut {
        println!("shortcut  {}{}", canned::SHORTCUT_PREFIX, sanitize_line(s));
    }
    println!("language  {}  formality {}", c.language, c.formality);
    if !c.tags.is_empty() {
        println!("tags      {}", sanitize_line(&c.tags.join(", ")));
    }
    if !c.keywords.is_empty() {
        println!("keywords  {}", sanitize_line(&c.keywords.join(", ")));
    }
    let share = c
        .unmodified_share()
        .map(|s| format!(", {:.0}% unmodified", s * 100.0))
        .unwrap_or_default();
    println!("used      {} times{share}", c.times_used);
    println!();
    println!("{}", sanitize(&c.body));
}

fn read_stdin() -> Result<Option<String>> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut text = String::new();
    stdin.read_to_string(&mut text)?;
    Ok(Some(text))
}

fn add(store: &mut Store, args: AddArgs) -> Result<ExitCode> {
    let body = match args.body.clone() {
        Some(b) => b,
        None => match read_stdin()? {
            Some(b) => b,
            None => super::edit_in_editor("", "reply.txt")?,
        },
    };
    if body.trim().is_empty() {
        return Err(user_error("the body is empty; nothing added"));
    }
    canned::check(&body).map_err(|e| user_error(e.to_string()))?;
    let slug = match args.slug {
        Some(s) if canned::valid_slug(&s) => s,
        Some(s) => {
            return Err(user_error(format!(
                "slug '{s}' must be lowercase letters, digits and dashes"
            )))
        }
        None => free_slug(store, &args)?,
    };
    let item = NewCanned {
        slug,
        title: args.title,
        shortcut: args.shortcut.map(|s| s.trim_start_matches(';').to_string()),
        language: args.lang,
        formality: args.formality,
        tags: args
            .tag
            .iter()
            .map(|t| crate::store::normalize_tag(t))
            .collect(),
        keywords: args.keyword,
        body,
    };
    let id = store.canned_add(&item)?;
    println!("added {id} ({})", item.slug);
    Ok(ExitCode::SUCCESS)
}

/// `refund-en-formal`, or `refund-en-formal-2` when taken.
fn free_slug(store: &Store, args: &AddArgs) -> Result<String> {
    let stem: String = args
        .shortcut
        .as_deref()
        .unwrap_or("reply")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let stem = stem.trim_matches('-');
    let stem = if stem.is_empty() { "reply" } else { stem };
    let mut base = format!("{stem}-{}", args.lang.as_str());
    if args.formality != Formality::Unknown {
        base = format!("{base}-{}", args.formality.as_str());
    }
    let mut slug = base.clone();
    let mut n = 2;
    while store.canned_by_slug(&slug)?.is_some() {
        slug = format!("{base}-{n}");
        n += 1;
    }
    Ok(slug)
}

fn edit(store: &mut Store, args: RefArgs) -> Result<ExitCode> {
    let item = find(store, &args.response, None)?;
    let original = canned::edit_document(&item)?;
    let edited = super::edit_in_editor(&original, "canned.toml")?;
    if edited == original {
        println!("no changes");
        return Ok(ExitCode::SUCCESS);
    }
    let new = canned::parse_edit_document(&edited)
        .map_err(|e| user_error(format!("{e}; nothing saved")))?;
    store.canned_update(item.id, &new)?;
    println!("saved {} ({})", item.id, new.slug);
    Ok(ExitCode::SUCCESS)
}

fn remove(store: &mut Store, args: RefArgs) -> Result<ExitCode> {
    let item = find(store, &args.response, None)?;
    let gone = store.canned_delete(item.id)?;
    println!(
        "deleted {} ({}); undo with `firstline canned restore {}`",
        gone.id, gone.slug, gone.id
    );
    Ok(ExitCode::SUCCESS)
}

fn export(store: &Store, args: ExportArgs) -> Result<ExitCode> {
    let items: Vec<CannedResponse> = store
        .canned_list()?
        .into_iter()
        .filter(|c| args.lang.is_none_or(|l| c.language == l))
        .collect();
    let text = canned::to_toml(&items)?;
    match args.output {
        Some(path) => {
            crate::fs::write_private(
                &path,
                text.as_bytes(),
                crate::fs::Overwrite::from_force(args.force),
            )?;
            eprintln!("exported {} responses to {}", items.len(), path.display());
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn import(store: &mut Store, args: ImportArgs) -> Result<ExitCode> {
    let (text, name) = if args.file.as_os_str() == "-" {
        let mut t = String::new();
        std::io::stdin().read_to_string(&mut t)?;
        (t, "stdin".to_string())
    } else {
        let t = std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
        (t, args.file.display().to_string())
    };
    let items = canned::from_toml(&text, &name).map_err(|e| user_error(e.to_string()))?;
    let report = canned::import(store, &items)?;
    println!(
        "imported {}: {} added, {} updated, {} unchanged",
        name,
        report.added,
        report.updated,
        items.len() - report.added - report.updated
    );
    Ok(ExitCode::SUCCESS)
}

fn suggest(store: &Store, args: SuggestArgs) -> Result<ExitCode> {
    let detail = store.ticket_detail(args.ticket)?;
    let found = canned::suggest_for_ticket(store, &detail)?;
    if args.json {
        print_json(&found)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!("no suggestions (the customer has not written, or nothing matches)");
    }
    for (n, c) in found.iter().enumerate() {
        println!(
            "{}. {:>4}  {}{:<11} {}",
            n + 1,
            c.id,
            canned::SHORTCUT_PREFIX,
            sanitize_line(c.shortcut.as_deref().unwrap_or("")),
            sanitize_line(&c.title)
        );
    }
    Ok(ExitCode::SUCCESS)
}
