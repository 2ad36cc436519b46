//! The console: a keyboard-first TUI over the store, in The Elm Architecture.
//!
//! The terminal's thread ([`events`]) and every background thread send a
//! [`msg::Msg`] into one channel; the loop below sleeps on it until a message comes
//! or the app's next deadline (autosave, clocks) passes, hands each message to
//! [`update::update`] (a key goes through [`keymap::KeyMap::resolve`] to an
//! [`action::Action`]), and draws [`panes::draw`] of `&App`. The terminal is touched
//! only in [`terminal`], [`events`] and the loop below.

pub mod action;
pub mod app;
pub mod courier;
pub mod error;
pub mod events;
pub mod inline;
pub mod intake;
pub mod keymap;
pub mod layout;
pub mod listener;
pub mod mailboxes;
pub mod msg;
pub mod panes;
pub mod runner;
pub mod signals;
pub mod spool;
pub mod telegram;
pub mod terminal;
pub mod theme;
pub mod threads;
pub mod update;
pub mod worker;

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;

use crate::config::Config;
use crate::store::Store;
use app::{App, TerminalRequest};
use msg::Msg;

/// The shortest sleep between two looks at the app's deadlines; input and
/// background news wake the loop at once regardless.
const MIN_WAIT: Duration = Duration::from_millis(50);

/// Everything running beside the console, each stopped and joined on quit.
struct Background {
    courier: Option<courier::Courier>,
    intake: Option<intake::Intake>,
    poller: Option<telegram::Poller>,
    mailboxes: Option<mailboxes::Mailboxes>,
    live: Option<listener::LiveUpdates>,
}

impl Background {
    /// Starts the threads that send into `tx`; what failed to start is in `trouble`.
    fn start(store: &Store, config: &Config, tx: &Sender<Msg>, trouble: &mut Vec<String>) -> Self {
        let path = store.location();
        let path = path.as_ref();
        let send = |tx: &Sender<Msg>| tx.clone();
        let courier = path.and_then(|p| {
            let tx = send(tx);
            courier::Courier::start(p, config.clone(), move |d| {
                tx.send(Msg::Delivery(d)).is_ok()
            })
            .map_err(|e| trouble.push(e))
            .ok()
        });
        let intake = {
            let tx = send(tx);
            intake::Intake::start(path, config, move |a| tx.send(Msg::Arrival(a)).is_ok())
                .unwrap_or_else(|e| {
                    trouble.push(e);
                    None
                })
        };
        let poller = path.and_then(|p| {
            let tx = send(tx);
            telegram::Poller::start(p, config.clone(), move |n| {
                tx.send(Msg::Telegram(n)).is_ok()
            })
            .map_err(|e| trouble.push(e))
            .ok()
            .flatten()
        });
        let mailboxes = {
            let tx = std::sync::Mutex::new(send(tx));
            let news: Arc<dyn Fn(mailboxes::MailboxNews) -> bool + Send + Sync> =
                Arc::new(move |n| {
                    tx.lock()
                        .map(|tx| tx.send(Msg::Mailbox(n)).is_ok())
                        .unwrap_or(false)
                });
            mailboxes::Mailboxes::start(path, config, news).unwrap_or_else(|e| {
                trouble.push(e);
                None
            })
        };
        // Other agents' changes pushed by a server queue (none on a file).
        let live = path.and_then(|p| {
            let tx = send(tx);
            listener::LiveUpdates::start(p, move |c| tx.send(Msg::Live(c)).is_ok())
                .map_err(|e| trouble.push(e))
                .ok()
                .flatten()
        });
        Background {
            courier,
            intake,
            poller,
            mailboxes,
            live,
        }
    }

    /// Stops every thread, each waited for within its own limit.
    fn stop(self) {
        if let Some(l) = self.live {
            l.stop();
        }
        if let Some(p) = self.poller {
            p.stop();
        }
        // Cuts any connection waiting in IDLE and joins the account threads.
        if let Some(m) = self.mailboxes {
            m.stop();
        }
        if let Some(i) = self.intake {
            i.stop();
        }
        // Finishes the reply being handed over (if any) so none is left in doubt.
        if let Some(c) = self.courier {
            c.stop();
        }
    }
}

/// Opens the console on `store` and runs it until the user quits. The terminal is
/// restored on quit, on error and (through ratatui's hook) on panic. `App` holds
/// no store: every read and write goes to the runner thread, which opens its own
/// connection to a queue file or server (an in-memory queue is handed to it).
/// `store` stays here, unused while the console runs, for what is said after it
/// ends (a queue gone away, replies left queued).
pub fn run(mut store: Store, config: Config) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut trouble = Vec::new();
    let background = Background::start(&store, &config, &tx, &mut trouble);
    let mut app = App::new(&mut store, config)?;
    let answers = tx.clone();
    app.start_worker(move |a| answers.send(Msg::Worker(a)).is_ok());
    if let Some(m) = &background.mailboxes {
        app.mailboxes = m
            .accounts
            .iter()
            .map(|a| mailboxes::MailboxStatus {
                account: a.clone(),
                state: mailboxes::MailboxState::Fetching,
            })
            .collect();
    }
    // All store work goes to the runner: its own connection to the queue, or the
    // in-memory queue itself.
    let answers = tx.clone();
    let send = move |done| answers.send(Msg::Done(done)).is_ok();
    let (runner, after) = match app.location.clone() {
        Some(at) => {
            let runner = runner::Runner::start(
                &at,
                app.holder.clone(),
                app.config.clone(),
                runner::Slowdown::from_env(),
                send,
            );
            (runner, Some(store))
        }
        None => {
            let runner = runner::Runner::start_on(
                store,
                None,
                "memory".into(),
                app.holder.clone(),
                app.config.clone(),
                runner::Slowdown::from_env(),
                send,
            );
            (runner, None)
        }
    };
    // Without a runner nothing can be read: the console cannot work.
    let runner = runner.map_err(|why| anyhow::anyhow!("the console cannot start: {why}"))?;
    let runner = Some(runner);
    // After the runner started, so its state is read there.
    if background.poller.is_some() {
        app.start_telegram_view();
    }
    if !trouble.is_empty() {
        app.error(trouble.join(" · "));
    }
    let mut terminal = terminal::init()?;
    // SIGTERM and SIGHUP end the console as `q` does (see `signals.rs`).
    let signalled = tx.clone();
    let listener = signals::Listener::start(move |e| signalled.send(Msg::Signal(e)).is_ok())
        .map_err(|why| app.error(why))
        .ok();
    let result = match events::TerminalEvents::start(tx) {
        Ok(events) => {
            let result = run_loop(&mut terminal, &mut app, &rx, &events, runner.as_ref());
            events.stop();
            result
        }
        Err(e) => Err(anyhow::anyhow!(e)),
    };
    // A closed terminal fails the terminal's thread as its SIGHUP arrives: the
    // hang-up is the cause, and no error.
    let (result, ending) = match result {
        Ok(ending) => (Ok(()), ending),
        Err(e) => match hang_up_behind(&rx) {
            Some(ending) => (Ok(()), Some(ending)),
            None => (Err(e), None),
        },
    };
    // The draft on screen is saved, then the runner works through every write
    // still queued (a status change, an undo) before the process ends, within a
    // limit: what did not land is said, instead of a shell that never comes back.
    let saved = app.leave_console();
    app.leave_team();
    let last = app.take_commands();
    hand_over(&mut app, last, runner.as_ref());
    if let Some(r) = runner.as_ref().filter(|r| r.pending() > 0) {
        // Said on screen while waiting (a terminal already gone ignores it).
        app.pending_info(format!("quitting: saving {} change(s)…", r.pending()));
        let _ = terminal.draw(|frame| panes::draw(frame, &app));
    }
    let unfinished = runner
        .map(|r| r.finish(runner::FINISH_WAIT))
        .unwrap_or_default();
    terminal::restore();
    background.stop();
    // The tone checker's warm-up (started when the first ticket showed).
    app.finish_warm_up();
    if let Some(l) = listener {
        l.stop();
    }
    if !unfinished.is_empty() {
        say(&format!(
            "firstline: the queue did not answer within {} s; not done: {}",
            runner::FINISH_WAIT.as_secs(),
            unfinished.join("; ")
        ));
    }
    for line in &app.farewell {
        say(line);
    }
    // Words whose ticket went away elsewhere before they were saved.
    let mut words_left = !app.orphaned_words.is_empty();
    for (ticket, words) in &app.orphaned_words {
        say(&format!(
            "firstline: #{ticket} was merged or deleted in another console while you wrote; your words:\n{words}"
        ));
    }
    // A queue that no longer answers (a server gone away) kept nothing of what was
    // typed since: the words go to the terminal, so nothing typed is lost.
    // (A handle idle all session whose connection a server restart closed asks
    // again on a new one by itself: a server that is back answers here.)
    if let Some(Err(e)) = after.as_ref().map(|s| s.data_version()) {
        say(&format!("firstline: {e}"));
        let words = app.composer.text();
        if !words.trim().is_empty() {
            let ticket = app
                .composer
                .ticket
                .map(|t| format!(" #{t}"))
                .unwrap_or_default();
            say(&format!(
                "firstline: not saved, your words for{ticket}:\n{words}"
            ));
            words_left = true;
        }
    }
    // Kept queued on quit: say where they went, now that the terminal is back.
    let queued = after.as_ref().map(|s| s.outbox_entries(false)).map(|all| {
        all.map(|all| {
            let queued: Vec<_> = all
                .into_iter()
                .filter(|e| e.state == crate::store::OutboxState::Queued)
                .map(|e| (e.message, e.not_before))
                .collect();
            let mine = app.replies_to_decide_on_quit(&queued);
            queued.iter().filter(|(m, _)| mine.contains(m)).count()
        })
    });
    if let Some(Ok(n @ 1..)) = queued {
        say(&queued_line(
            n,
            app.replies_saved_to.as_deref(),
            app.queue_is_shared(),
        ));
    }
    // Ended by a signal with writes left undone: data trouble (exit code 2).
    if let (Some(ending), false) = (ending, unfinished.is_empty()) {
        anyhow::bail!("ended by {}; not all changes were saved", ending.name());
    }
    // Words the queue did not take (printed above): data trouble too, so a script
    // or a service manager sees it (the README's exit codes).
    if words_left {
        anyhow::bail!("some words were not saved to the queue (printed above)");
    }
    result?;
    saved?;
    Ok(())
}

/// What the shell is told about `n` replies left queued: when they leave, or, with
/// no mail transport (`saved_to` is the folder), that they will only be saved as
/// `.eml` files there for the user to send — nothing leaves the machine.
pub fn queued_line(n: usize, saved_to: Option<&str>, shared: bool) -> String {
    let replies = if n == 1 { "reply" } else { "replies" };
    match saved_to {
        None if shared => format!(
            "firstline: {n} {replies} still queued in the team's outbox; a teammate's open console sends {} when the undo time is up, else the next firstline that runs or `firstline outbox flush`",
            if n == 1 { "it" } else { "them" }
        ),
        Some(dir) => format!(
            "firstline: {n} {replies} still queued; no mail transport is set, so nothing is sent: the next console or `firstline outbox flush` saves {} as .eml in {dir} for you to send",
            if n == 1 { "it" } else { "them" }
        ),
        None => format!(
            "firstline: {n} {replies} still queued; {} the next time the console runs, or now with `firstline outbox flush`",
            if n == 1 { "it leaves" } else { "they leave" }
        ),
    }
}

/// A line for the shell after the console. Never a panic: after a hang-up the
/// terminal is gone and `eprintln!` would panic on the failed write.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Whether a hang-up is what failed the terminal: its signal is in the channel, or
/// comes within a moment of the terminal's error.
fn hang_up_behind(rx: &Receiver<Msg>) -> Option<signals::Ending> {
    let deadline = Instant::now() + Duration::from_millis(300);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Msg::Signal(ending)) => return Some(ending),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// Draws, then sleeps on the channel until a message arrives or the app's next
/// deadline passes; every message waiting is handled before the next frame.
fn run_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    rx: &Receiver<Msg>,
    events: &events::TerminalEvents,
    runner: Option<&runner::Runner>,
) -> anyhow::Result<Option<signals::Ending>> {
    let mut ending = None;
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    app.reload()?;
    let commands = app.take_commands();
    hand_over(app, commands, runner);
    // For start-up benchmarks: quit as soon as the first complete frame is drawn,
    // or with the value `draw` the very first one ("Loading the list…").
    let exit_after = std::env::var("FIRSTLINE_EXIT_AFTER_FIRST_FRAME").ok();
    let exit_after_first_draw = exit_after.as_deref() == Some("draw");
    let exit_after_first_frame = exit_after.is_some();
    let mut frame_log = FrameLog::from_env();
    let mut inputs: Vec<(Instant, String)> = Vec::new();
    // Where a frame's time went (FrameLog): handling the batch's messages, the
    // tick after them, drawing.
    let mut phases = Phases::default();
    while !app.should_quit {
        let drawing = Instant::now();
        terminal.draw(|frame| panes::draw(frame, app))?;
        if let Some(log) = frame_log.as_mut() {
            phases.draw = drawing.elapsed();
            for (at, what) in inputs.drain(..) {
                log.record(at.elapsed(), &what, &phases);
            }
        }
        phases = Phases::default();
        // Complete means the list is read and the ticket on the right is there,
        // not "Loading…" (both come from the runner).
        if exit_after_first_draw
            || (exit_after_first_frame && app.loading().is_none() && !app.rows_pending())
        {
            break;
        }
        let now = Instant::now();
        // A deadline that stays in the past (an autosave the store keeps refusing)
        // is retried at most every MIN_WAIT, not in a spin.
        let wait = app
            .next_deadline(now)
            .saturating_duration_since(now)
            .max(MIN_WAIT);
        // Idle work (nothing on screen changes) only while no message waits, a
        // short step at a time: a key never waits behind more than one step.
        let mut first = rx.try_recv().ok();
        while first.is_none() && app.idle_step() {
            first = rx.try_recv().ok();
        }
        let first = match first.map(Ok).unwrap_or_else(|| rx.recv_timeout(wait)) {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        for msg in first.into_iter().chain(rx.try_iter()) {
            match &msg {
                Msg::TerminalFailed(why) => anyhow::bail!("{why}"),
                Msg::Signal(e) => ending = Some(*e),
                _ => {}
            }
            if frame_log.is_some() && msg.is_input() {
                inputs.push((Instant::now(), FrameLog::label(&msg, app)));
            }
            let handling = Instant::now();
            let commands = update::update(app, msg);
            hand_over(app, commands, runner);
            phases.update += handling.elapsed();
            if let Some(request) = app.request.take() {
                serve(terminal, app, request, events);
            }
            if app.should_quit {
                break;
            }
        }
        let ticking = Instant::now();
        let commands = update::update(app, Msg::Tick(Instant::now()));
        hand_over(app, commands, runner);
        phases.tick = ticking.elapsed();
    }
    Ok(ending)
}

/// Gives `commands` to the runner; one it cannot take is said in the status bar.
fn hand_over(app: &mut App, commands: Vec<runner::Command>, runner: Option<&runner::Runner>) {
    for command in commands {
        if !runner.is_some_and(|r| r.send(command)) {
            app.error("the runner stopped: restart firstline to open tickets and reports");
            return;
        }
    }
}

/// For the key-latency benchmark (`benches/keys.sh`): with `FIRSTLINE_FRAME_LOG=path`
/// the console appends, for every input event, the microseconds from reading it to
/// the end of the frame that shows its effect, then (tab-separated) how many of them
/// went to handling messages, to the tick and to drawing. Hidden like the
/// first-frame flag.
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
    fn label(msg: &Msg, app: &App) -> String {
        use ratatui::crossterm::event::KeyCode;
        let key = match msg {
            Msg::Key(key) => match key.code {
                KeyCode::Char(c) => c.to_string(),
                code => format!("{code:?}"),
            },
            Msg::Resize(..) => "resize".into(),
            Msg::Mouse(_) => "mouse".into(),
            Msg::Paste(_) => "paste".into(),
            _ => "other".into(),
        };
        format!("{:?} {key}", app.context())
    }

    fn record(&mut self, took: Duration, what: &str, phases: &Phases) {
        use std::io::Write;
        // Best effort: a benchmark aid must never disturb the console.
        let _ = writeln!(
            self.out,
            "{}\t{what}\t{}\t{}\t{}",
            took.as_micros(),
            phases.update.as_micros(),
            phases.tick.as_micros(),
            phases.draw.as_micros()
        );
        let _ = self.out.flush();
    }
}

/// Where the time between an input and its frame went, for [`FrameLog`]: every
/// message of the batch handled (its own and those that came with it), the tick
/// after them, and the draw.
#[derive(Default)]
struct Phases {
    update: Duration,
    tick: Duration,
    draw: Duration,
}

/// Does what `App` asked of the terminal, reporting failures in the status bar.
/// The terminal thread is paused meanwhile, so it never takes the editor's keys.
fn serve(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    request: TerminalRequest,
    events: &events::TerminalEvents,
) {
    if let Err(e) = app.flush_draft() {
        app.store_error(e);
    }
    events.pause();
    match request {
        TerminalRequest::Suspend => match terminal::suspend(terminal) {
            // Only a draft there is was saved (the trial was told of one it never wrote).
            Ok(()) if app.composer.is_empty() => app.info("welcome back"),
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
    events.resume();
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
