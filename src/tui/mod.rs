//! The console: a keyboard-first TUI over the store, in The Elm Architecture.
//!
//! crossterm key press → [`keymap::KeyMap::resolve`] → [`action::Action`] →
//! [`update::update`] (store work in [`app::App`]) → [`panes::draw`] of `&App`.
//! The terminal is touched only in [`terminal`] and in the loop below.

pub mod action;
pub mod app;
pub mod courier;
pub mod intake;
pub mod keymap;
pub mod layout;
pub mod mailboxes;
pub mod panes;
pub mod telegram;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod worker;

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event};
use ratatui::DefaultTerminal;

use crate::config::Config;
use crate::store::Store;
use app::{App, TerminalRequest};

/// How often the loop wakes without input, for the autosave debounce and clocks.
const POLL: Duration = Duration::from_millis(100);

/// Opens the console on `store` and runs it until the user quits. The terminal is
/// restored on quit, on error and (through ratatui's hook) on panic.
pub fn run(store: Store, config: Config) -> anyhow::Result<()> {
    let mut trouble = Vec::new();
    let courier = store.path().and_then(|p| {
        courier::Courier::start(p, config.clone())
            .map_err(|e| trouble.push(e))
            .ok()
    });
    // The tone checker's word lists compile on first use (~150 ms); do that off the
    // UI thread so the first frame and the first keystroke in the composer are quick.
    std::thread::spawn(|| crate::tone::Checker::builtin().warm_up());
    let intake = intake::Intake::start(store.path(), &config).unwrap_or_else(|e| {
        trouble.push(e);
        None
    });
    let poller = store.path().and_then(|p| {
        telegram::Poller::start(p, config.clone())
            .map_err(|e| trouble.push(e))
            .ok()
            .flatten()
    });
    let mailboxes = mailboxes::Mailboxes::start(store.path(), &config).unwrap_or_else(|e| {
        trouble.push(e);
        None
    });
    let mut app = App::with_worker(store, config)?;
    if poller.is_some() {
        app.start_telegram_view();
    }
    if let Some(m) = &mailboxes {
        app.mailboxes = m
            .accounts
            .iter()
            .map(|a| mailboxes::MailboxStatus {
                account: a.clone(),
                state: mailboxes::MailboxState::Fetching,
            })
            .collect();
    }
    if !trouble.is_empty() {
        app.error(trouble.join(" · "));
    }
    let mut terminal = terminal::init()?;
    let result = run_loop(
        &mut terminal,
        &mut app,
        courier.as_ref(),
        intake.as_ref(),
        poller.as_ref(),
        mailboxes.as_ref(),
    );
    let saved = app.leave_console();
    terminal::restore();
    if let Some(p) = poller {
        p.stop();
    }
    // Cuts any connection waiting in IDLE and joins the account threads.
    if let Some(m) = mailboxes {
        m.stop();
    }
    // Finishes the reply being handed over (if any) so none is left in doubt.
    if let Some(c) = courier {
        c.stop();
    }
    // Kept queued on quit: say where they went, now that the terminal is back.
    if let Ok(n @ 1..) = app.queued_replies() {
        eprintln!(
            "firstline: {n} repl{} still queued; {} the next time the console runs, or now with `firstline outbox flush`",
            if n == 1 { "y" } else { "ies" },
            if n == 1 { "it leaves" } else { "they leave" }
        );
    }
    result?;
    saved?;
    Ok(())
}

fn run_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    courier: Option<&courier::Courier>,
    intake: Option<&intake::Intake>,
    poller: Option<&telegram::Poller>,
    mailboxes: Option<&mailboxes::Mailboxes>,
) -> anyhow::Result<()> {
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    app.reload()?;
    // For start-up benchmarks: quit as soon as the first complete frame is drawn.
    let exit_after_first_frame = std::env::var_os("FIRSTLINE_EXIT_AFTER_FIRST_FRAME").is_some();
    let mut frame_log = FrameLog::from_env();
    let mut input_at: Option<(Instant, String)> = None;
    while !app.should_quit {
        terminal.draw(|frame| panes::draw(frame, app))?;
        if let (Some(log), Some((at, what))) = (frame_log.as_mut(), input_at.take()) {
            log.record(at.elapsed(), &what);
        }
        if exit_after_first_frame {
            break;
        }
        if event::poll(POLL)? {
            let event = event::read()?;
            if frame_log.is_some() {
                input_at = Some((Instant::now(), FrameLog::label(&event, app)));
            }
            match event {
                Event::Key(key) => update::handle_key(app, key),
                Event::Resize(w, h) => {
                    app.size = (w, h);
                    update::dispatch(app, action::Action::Tick);
                }
                Event::Mouse(mouse) => update::handle_mouse(app, mouse),
                Event::Paste(text) => {
                    app.paste(&text);
                }
                _ => {}
            }
        }
        if let Err(e) = app.tick(Instant::now()).and_then(|()| app.poll_worker()) {
            app.store_error(e);
        }
        for report in courier.map(|c| c.poll()).unwrap_or_default() {
            // The thread's delivery markers and the queue's waits changed.
            if let Err(e) = app.reload() {
                app.store_error(e);
            }
            match report {
                courier::Delivery::Sent(n) => app.info(format!(
                    "{n} repl{} delivered",
                    if n == 1 { "y" } else { "ies" }
                )),
                courier::Delivery::Saved(what) => app.delivery_failed(what),
                courier::Delivery::Failed(why) => app.delivery_failed(why),
                courier::Delivery::NotCopied(why) => app.error(why),
            }
        }
        for news in intake.map(|i| i.poll()).unwrap_or_default() {
            match news {
                intake::Arrival::Messages(n) => {
                    if let Err(e) = app.reload() {
                        app.store_error(e);
                    }
                    app.info(format!(
                        "{n} new message{} arrived",
                        if n == 1 { "" } else { "s" }
                    ));
                }
                intake::Arrival::Failed(why) => app.error(why),
            }
        }
        for news in poller.map(|p| p.poll()).unwrap_or_default() {
            app.telegram_news(news);
        }
        for news in mailboxes.map(|m| m.poll()).unwrap_or_default() {
            if news.added > 0 {
                if let Err(e) = app.reload() {
                    app.store_error(e);
                }
                app.info(format!(
                    "{}: {} new message{} arrived",
                    news.account,
                    news.added,
                    if news.added == 1 { "" } else { "s" }
                ));
            }
            app.mailbox_news(news);
        }
        if let Some(request) = app.request.take() {
            serve(terminal, app, request);
        }
    }
    Ok(())
}

/// For the key-latency benchmark (`benches/keys.sh`): with `FIRSTLINE_FRAME_LOG=path`
/// the console appends, for every input event, the microseconds from reading it to
/// the end of the frame that shows its effect. Hidden like the first-frame flag.
struct FrameLog {
    out: std::io::BufWriter<std::fs::File>,
}

impl FrameLog {
    fn from_env() -> Option<FrameLog> {
        let path = std::env::var_os("FIRSTLINE_FRAME_LOG")?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(FrameLog {
            out: std::io::BufWriter::new(file),
        })
    }

    /// What the input was and where: "Inbox j", "Composer H".
    fn label(event: &Event, app: &App) -> String {
        let key = match event {
            Event::Key(key) => match key.code {
                event::KeyCode::Char(c) => c.to_string(),
                code => format!("{code:?}"),
            },
            Event::Resize(..) => "resize".into(),
            Event::Mouse(_) => "mouse".into(),
            Event::Paste(_) => "paste".into(),
            _ => "other".into(),
        };
        format!("{:?} {key}", app.context())
    }

    fn record(&mut self, took: Duration, what: &str) {
        use std::io::Write;
        // Best effort: a benchmark aid must never disturb the console.
        let _ = writeln!(self.out, "{}\t{what}", took.as_micros());
        let _ = self.out.flush();
    }
}

/// Does what `App` asked of the terminal, reporting failures in the status bar.
fn serve(terminal: &mut DefaultTerminal, app: &mut App, request: TerminalRequest) {
    if let Err(e) = app.flush_draft() {
        app.store_error(e);
    }
    match request {
        TerminalRequest::Suspend => match terminal::suspend(terminal) {
            Ok(()) => app.info("welcome back; the draft was saved before suspending"),
            Err(e) => app.error(e.to_string()),
        },
        TerminalRequest::Editor => {
            let text = app.composer.text();
            match terminal::edit_in_editor(terminal, &text) {
                Ok(edited) => {
                    app.set_composer_text(&crate::display::sanitize(&edited));
                    app.info("draft updated from the editor");
                }
                Err(e) => app.error(e.to_string()),
            }
        }
    }
}

/// Draws `app` into an off-screen buffer of `width`×`height` and returns the text,
/// one line per row with trailing spaces trimmed: for render tests, screenshots in
/// docs and bug reports. Drawing is pure, so this shows exactly what the user sees.
pub fn snapshot(app: &App, width: u16, height: u16) -> String {
    use ratatui::backend::TestBackend;
    let mut terminal = match ratatui::Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => return format!("cannot draw: {e}"),
    };
    if let Err(e) = terminal.draw(|frame| panes::draw(frame, app)) {
        return format!("cannot draw: {e}");
    }
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
