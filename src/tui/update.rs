//! The one place that decides what an [`Action`] means: popups first, then the
//! focused pane, then the global ticket actions. It returns a follow-up action
//! instead of calling across panes; store work is delegated to `App` methods, and
//! the slow part of it comes back out of [`update`] as commands for the runner.

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::action::Action;
use super::app::{
    App, ChoiceKind, ChoiceValue, ComposeMode, ConfirmKind, Focus, Popup, PromptKind,
    TerminalRequest, TypingGuard,
};
use super::keymap::Context;
use super::msg::Msg;
use super::runner::Command;
use super::{courier, intake};
use crate::model::Status;
use crate::store::View;
use crate::tui::error::ConsoleError;

/// Everything that happens to the console goes through here: a key, the mouse, a
/// paste, a resize, the clock, and every background thread's news. It returns the
/// slow work asked for (load a ticket, compute the report…) for the runner, whose
/// answers come back here as [`Msg::Done`].
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    react(app, msg);
    app.take_commands()
}

fn react(app: &mut App, msg: Msg) {
    match msg {
        Msg::Key(key) if waits_for_the_load(app, &key) => app.deferred.push(key),
        Msg::Key(key) => handle_key(app, key),
        Msg::Mouse(mouse) => handle_mouse(app, mouse),
        Msg::Paste(text) => {
            app.paste(&text);
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            dispatch(app, Action::Tick);
        }
        Msg::Tick(now) => {
            app.lower_stale_typing_guard();
            app.expire_message(now);
            if let Err(e) = app.tick(now) {
                app.store_error(e);
            }
        }
        Msg::Worker(answer) => {
            if let Err(e) = app.worker_answer(answer) {
                app.store_error(e);
            }
            // Keys typed right after a search was applied waited for its rows.
            release_held_keys(app);
        }
        Msg::Delivery(report) => {
            // The thread's delivery markers and the queue's waits changed; the undo
            // stack is settled without a second sentence, so a look at the outbox
            // asked before this report announces nothing again: one delivery, one
            // sentence, whichever of the two reports comes first.
            if let courier::Delivery::Sent { tickets, .. } = &report {
                app.delivered_from_here(tickets);
            }
            if let Err(e) = app.delivery_reported() {
                app.store_error(e);
            }
            match report {
                courier::Delivery::Sent {
                    count: 1, first, ..
                } => app.info(format!("{first} delivered")),
                courier::Delivery::Sent { count, .. } => {
                    app.info(format!("{count} replies delivered"))
                }
                courier::Delivery::Saved(what) => app.delivery_failed(what),
                courier::Delivery::Failed(why) => app.delivery_failed(why),
                courier::Delivery::NotCopied(why) => app.error(why),
            }
        }
        Msg::Arrival(intake::Arrival::Messages(n)) => {
            reload(app);
            app.info(format!(
                "{n} new message{} arrived",
                if n == 1 { "" } else { "s" }
            ));
        }
        Msg::Arrival(intake::Arrival::Failed(why)) => app.error(why),
        Msg::Telegram(news) => app.telegram_news(news),
        Msg::Mailbox(news) => {
            if news.added > 0 {
                reload(app);
                app.info(format!(
                    "{}: {} new message{} arrived{}",
                    news.account,
                    news.added,
                    if news.added == 1 { "" } else { "s" },
                    on_tickets(&news.tickets)
                ));
            }
            app.mailbox_news(news);
        }
        Msg::Done(done) => {
            if let Err(e) = app.command_done(done) {
                app.store_error(e);
            }
            release_held_keys(app);
        }
        Msg::Live(change) => {
            if let Err(e) = app.live_change(change) {
                app.store_error(e);
            }
        }
        Msg::Trouble(why) => app.error(why),
        Msg::TerminalFailed(why) => {
            app.error(why);
            app.should_quit = true;
        }
        Msg::Signal(ending) => {
            // The draft is saved and the queued writes finished on the way out
            // (`tui::run`); queued replies stay queued, marked as `k` keeps them.
            app.pending_info(format!("{}: saving, then quitting…", ending.name()));
            if let Err(e) = app.keep_queued_on_signal() {
                app.store_error(e);
            }
            app.should_quit = true;
        }
    }
}

/// " on #12", " on #12, #14 and #15", " on #1, #2, #3 and 4 more": where new mail
/// landed, for the status line (nothing when the fetch did not say).
fn on_tickets(tickets: &[crate::model::TicketId]) -> String {
    const NAMED: usize = 3;
    let named: Vec<String> = tickets
        .iter()
        .take(NAMED)
        .map(|t| format!("#{t}"))
        .collect();
    match (named.len(), tickets.len().saturating_sub(NAMED)) {
        (0, _) => String::new(),
        (1, _) => format!(" on {}", named[0]),
        (n, 0) => format!(" on {} and {}", named[..n - 1].join(", "), named[n - 1]),
        (_, more) => format!(" on {} and {more} more", named.join(", ")),
    }
}

fn reload(app: &mut App) {
    if let Err(e) = app.reload() {
        app.store_error(e);
    }
}

/// Whatever the answer (the ticket, the search's rows, or an error), the keys held
/// for it go once nothing holds them any more: as typed, acting on what is on
/// screen, never held for good.
///
/// A released key may start another wait (`2` then `j`: the view's rows): the keys
/// after it are held again, in order, for that answer.
fn release_held_keys(app: &mut App) {
    if !app.holds_keys() {
        for key in std::mem::take(&mut app.deferred) {
            if waits_for_the_load(app, &key) {
                app.deferred.push(key);
            } else {
                handle_key(app, key);
            }
        }
    }
}

/// Whether `key` must wait for the ticket being loaded: it is a ticket action (or
/// follows one already waiting) while the cursor's ticket is on its way, or any
/// key while an applied search's rows are. Moving in the list and typing into an
/// open composer never wait. At most a screenful of keys is held; past that they
/// act (or are refused) as they come.
fn waits_for_the_load(app: &App, key: &KeyEvent) -> bool {
    const HELD_AT_MOST: usize = 256;
    if key.kind != KeyEventKind::Press || !app.holds_keys() || app.deferred.len() >= HELD_AT_MOST {
        return false;
    }
    if !app.deferred.is_empty() {
        return true;
    }
    // A composer about to open with words the console writes (`W`, "tell them it
    // is solved"): what is typed next belongs in it, after those words.
    if app.awaited > 0 {
        return true;
    }
    if app.popup.is_some() || app.inbox.search_editing {
        return false;
    }
    // A search applied before its rows came: the list still shows the view's rows,
    // so `*` said "search first" and `j`, `d` would act on rows the search is about
    // to replace. Every key waits for the rows (typed ahead, never dropped).
    if app.search_pending() {
        return true;
    }
    // A view switch's rows, or the next ticket after a send, on their way: what is
    // typed next acts on them, as it would typed slowly.
    if app.rows_replaced_pending() {
        return true;
    }
    let Some(action) = app.keymap.resolve(app.context(), key) else {
        return false;
    };
    // `u` while a reply is being queued takes back that reply once it is in the
    // outbox, not the change before it.
    if action == Action::Undo && app.sending > 0 {
        return true;
    }
    // Quitting right after a send (Ctrl-S Ctrl-C in one breath) waits for the reply to
    // reach the outbox, so "Quit with replies waiting?" can ask about it.
    if action == Action::Quit && app.sending > 0 {
        return true;
    }
    if app.loading().is_none() && !app.rows_pending() {
        return false;
    }
    let writes_into_the_thread = matches!(
        action,
        Action::Reply
            | Action::Note
            | Action::Send
            | Action::Canned
            | Action::SaveAttachments
            | Action::PasteTranscript
            | Action::LogCall
            | Action::StillWorkingReply
    );
    let changes_the_ticket = matches!(
        action,
        Action::StatusMenu
            | Action::SetStatus(_)
            | Action::PriorityMenu
            | Action::SetPriority(_)
            | Action::Solve
            | Action::Tags
            | Action::Snooze
            | Action::Escalate
            | Action::Deescalate
            | Action::Merge
            | Action::NoReply
            | Action::Spam
            | Action::AddFollowup
            | Action::FollowupDone
    );
    // In the list a change acts on the highlighted row itself; only what writes into
    // the thread needs the ticket on screen.
    writes_into_the_thread
        || (changes_the_ticket && (app.focus != Focus::Inbox || app.rows_pending()))
}

/// Turns a key press into an action through the keymap and runs it with its
/// follow-ups. Release and repeat events are ignored (only presses count).
pub fn handle_key(app: &mut App, key: KeyEvent) {
    if key.kind != KeyEventKind::Press {
        return;
    }
    app.lower_stale_typing_guard();
    if app.typing_guard.is_some() && guard_typing(app, &key) {
        return;
    }
    let context = app.context();
    let action = app.keymap.resolve(context, &key).or_else(|| {
        let popup_or_text = context.takes_text() || app.popup.is_some();
        popup_or_text.then_some(Action::Input(key))
    });
    let before = (app.message.clone(), app.popup.is_some());
    let cancelled = action == Some(Action::Back);
    match action {
        Some(action) => dispatch(app, action),
        None => say_typing_goes_nowhere(app, &key),
    }
    app.status_around_dialog(before, cancelled);
}

/// Opens the composer; when the queue fails it (does not answer, or the ticket went
/// away), the letters typed on after `r`/`n` are refused instead of running as
/// commands (found by the new-user trial: "Important" typed after `n` with the
/// server down opened the merge prompt on its `m`). A refusal the console words
/// itself ("finish or discard a note first") raises its own guard (see `compose`).
fn compose_or_guard(app: &mut App, mode: ComposeMode) -> Result<(), ConsoleError> {
    let result = app.compose(mode);
    if result.is_err() && app.focus != Focus::Composer && app.popup.is_none() {
        app.guard_typing("the composer did not open (the queue did not answer)");
    }
    result
}

/// While [`App::typing_guard`] is up: a letter is refused (it belongs to the words the
/// user is still typing, never to a command), Esc lowers the guard and is spent on
/// that, any other key lowers it and acts. Whether the key was spent.
fn guard_typing(app: &mut App, key: &KeyEvent) -> bool {
    let letter = matches!(key.code, KeyCode::Char(_))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let take_over = app
        .keymap
        .key_for(Context::Conversation, &Action::Reply)
        .unwrap_or_else(|| format!(":{}", Action::Reply.name()));
    // After a composer that did not open, the keys that open one still work (the
    // line before named them: "r opens it"); only other letters are refused.
    let failed = matches!(app.typing_guard, Some(TypingGuard::Failed(_)));
    let opens_composer = failed
        && matches!(
            app.keymap.resolve(app.context(), key),
            Some(Action::Reply | Action::Note)
        );
    // After a refusal the user is typing a note: a typo's Backspace or a new line
    // must not lower the guard and let the next letters act.
    let typing_key = matches!(
        key.code,
        KeyCode::Backspace | KeyCode::Enter | KeyCode::Tab | KeyCode::Delete
    );
    let refused_now = matches!(app.typing_guard, Some(TypingGuard::Refused { .. }));
    if (letter && !opens_composer) || (refused_now && typing_key) {
        match &app.typing_guard {
            Some(TypingGuard::Refused { what, key }) => app.error(format!(
                "typing stopped: {what} waits on this ticket, so the letters typed since were not run · Esc gives the keys back, then {key} opens it"
            )),
            Some(TypingGuard::Failed(why)) => app.error(format!(
                "typing stopped: {why}; the letters typed since were not run · Esc gives the keys back"
            )),
            _ => app.error(format!(
                "typing stopped: another console took this draft; the words before stay here, new letters are refused · Esc, then {take_over} takes it over"
            )),
        }
        return true;
    }
    let refused = match app.typing_guard.take() {
        Some(TypingGuard::Refused { what, key }) => Some((what, key)),
        _ => None,
    };
    if key.code == KeyCode::Esc {
        if let Some((what, key)) = refused {
            app.info(format!("keys act again · {key} opens {what}"));
        } else if failed {
            app.info("keys act again");
        } else {
            app.info(format!("keys act again · {take_over} takes the draft over"));
        }
        return true;
    }
    false
}

/// A letter that means nothing where the keyboard is, while a draft is on screen:
/// the user thinks they are typing into it. The status bar says how to get there
/// (the key from the live keymap) instead of dropping the letter without a word.
fn say_typing_goes_nowhere(app: &mut App, key: &KeyEvent) {
    if app.composer.held_elsewhere
        && app.popup.is_none()
        && app.keymap.resolve(Context::Composer, key) == Some(Action::Send)
    {
        app.say_draft_moved();
        return;
    }
    let typed = matches!(key.code, KeyCode::Char(_))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let beside_a_draft = app.popup.is_none()
        && matches!(app.focus, Focus::Inbox | Focus::Conversation)
        && !app.inbox.search_editing
        && app.open.is_some()
        && !app.composer.is_empty();
    if !(typed && beside_a_draft) {
        return;
    }
    let action = if app.composer.held_elsewhere {
        Action::Reply
    } else {
        super::app::opening_action(app.composer.mode)
    };
    let key = app
        .keymap
        .key_for(Context::Conversation, &action)
        .unwrap_or_else(|| format!(":{}", action.name()));
    if app.composer.held_elsewhere {
        app.error(format!(
            "typing goes nowhere: the draft is being edited in another console · {key} takes it over"
        ));
    } else {
        app.error(format!(
            "typing goes nowhere: the draft is not active · {key} continues it"
        ));
    }
}

/// Mouse: the wheel scrolls the list or the thread under the pointer, a click
/// selects an inbox row or focuses the pane. Popups ignore the mouse.
pub fn handle_mouse(app: &mut App, mouse: MouseEvent) {
    if app.popup.is_some() {
        return;
    }
    let area = ratatui::layout::Rect::new(0, 0, app.size.0, app.size.1);
    let areas = super::layout::layout(area, app);
    let (x, y) = (mouse.column, mouse.row);
    let inside = |r: Option<ratatui::layout::Rect>| {
        r.is_some_and(|r| r.contains(ratatui::layout::Position::new(x, y)))
    };
    let result = match mouse.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let delta = if mouse.kind == MouseEventKind::ScrollDown {
                3
            } else {
                -3
            };
            if inside(areas.inbox) {
                app.move_selection(delta)
            } else {
                if inside(areas.conversation) {
                    scroll(app, delta);
                }
                Ok(())
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if let Some(inbox) = areas.inbox.filter(|_| inside(areas.inbox)) {
                app.focus = Focus::Inbox;
                match super::layout::inbox_row_at(app, inbox, y) {
                    Some(i) => app.select(i),
                    None => Ok(()),
                }
            } else {
                if inside(areas.conversation) {
                    app.focus = Focus::Conversation;
                } else if inside(areas.composer) && app.composer.held_elsewhere {
                    app.popup = Some(Popup::Confirm {
                        kind: ConfirmKind::TakeOverDraft,
                    });
                } else if inside(areas.composer) {
                    app.focus = Focus::Composer;
                } else if inside(areas.tone) {
                    app.focus = Focus::Tone;
                }
                Ok(())
            }
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        app.store_error(e);
    }
}

/// Runs `action` and every follow-up it asks for.
pub fn dispatch(app: &mut App, action: Action) {
    let mut next = Some(action);
    let mut guard = 0;
    while let Some(a) = next.take() {
        next = apply_action(app, a);
        guard += 1;
        if guard > 16 {
            break;
        }
    }
}

/// Applies one action; returns the follow-up, if any.
pub fn apply_action(app: &mut App, action: Action) -> Option<Action> {
    let result = if app.popup.is_some() {
        update_popup(app, action)
    } else if app.inbox.search_editing {
        update_search(app, action)
    } else {
        update_pane(app, action)
    };
    match result {
        Ok(next) => next,
        Err(e) => {
            app.store_error(e);
            None
        }
    }
}

type Step = Result<Option<Action>, ConsoleError>;

fn update_pane(app: &mut App, action: Action) -> Step {
    let page = app.page() as isize;
    match (app.focus, action) {
        (_, Action::Tick) => app.tick(std::time::Instant::now())?,
        (Focus::Inbox, Action::Down) => app.move_selection(1)?,
        (Focus::Inbox, Action::Up) => app.move_selection(-1)?,
        (Focus::Inbox, Action::PageDown) => app.move_selection(page)?,
        (Focus::Inbox, Action::PageUp) => app.move_selection(-page)?,
        (Focus::Inbox, Action::Top) => app.select(0)?,
        (Focus::Inbox, Action::Bottom) => app.select(usize::MAX)?,
        (Focus::Inbox, Action::Open) => {
            if let Some(id) = app.selected_ticket().map(|r| r.ticket.id) {
                app.show(id, true)?;
                app.focus = Focus::Conversation;
                say_how_to_continue_draft(app);
            }
        }
        (Focus::Inbox, Action::Back) => {
            if app.inbox.search.is_some() {
                // The ticket the search found stays under the cursor in the whole list
                // (it went to the row at the same index, and `r` answered another).
                let found = app.selected_ticket().map(|r| r.ticket.id);
                app.inbox.search = None;
                app.inbox.hits = None;
                app.reload_keeping(found)?;
            } else if !app.inbox.marked.is_empty() {
                app.inbox.marked.clear();
            }
        }
        (_, Action::MarkAll) => app.mark_all_found(),
        (Focus::Inbox, Action::ToggleMark) => {
            app.toggle_mark();
            return Ok(Some(Action::Down));
        }
        (_, Action::ClearMarks) => app.inbox.marked.clear(),
        (Focus::Inbox, Action::Search) => start_search(app),
        (_, Action::CycleSort) => app.cycle_sort()?,
        (Focus::Conversation, Action::Down) => scroll(app, 1),
        (Focus::Conversation, Action::Up) => scroll(app, -1),
        (Focus::Conversation, Action::PageDown) => scroll(app, page),
        (Focus::Conversation, Action::PageUp) => scroll(app, -page),
        (Focus::Conversation, Action::Top) => scroll(app, isize::MIN / 2),
        (Focus::Conversation, Action::Bottom) => scroll(app, isize::MAX / 2),
        (_, step @ (Action::NextTicket | Action::PrevTicket)) => {
            // When the shown ticket left the view, the next one already sits under
            // the cursor (in its place): `J` opens it instead of skipping it.
            let delta = match step {
                Action::NextTicket if !app.cursor_is_the_pane() => 0,
                Action::NextTicket => 1,
                _ => -1,
            };
            app.move_selection(delta)?;
            if let Some(id) = app.selected_ticket().map(|r| r.ticket.id) {
                app.show(id, true)?;
            }
            if app.focus == Focus::Inbox {
                app.focus = Focus::Conversation;
            }
            say_how_to_continue_draft(app);
        }
        (Focus::Conversation, Action::Back) => {
            app.focus = Focus::Inbox;
            app.load_selected(false)?;
        }
        (Focus::Composer, Action::Back) => {
            app.flush_draft()?;
            app.focus = Focus::Conversation;
            app.left_composer();
        }
        (Focus::Composer, Action::Input(key)) => app.composer_input(key),
        (Focus::Composer, Action::OpenEditor) => {
            app.flush_draft()?;
            app.request = Some(TerminalRequest::Editor);
        }
        (Focus::Composer, Action::NextPlaceholder) => app.next_placeholder(),
        (Focus::Composer, Action::ExpandShortcut) => app.expand_or_tab()?,
        (Focus::Composer, Action::FocusTone) => app.focus = Focus::Tone,
        (Focus::Tone, Action::FocusTone) => app.focus = Focus::Composer,
        (Focus::Tone, Action::Down) => app.tone.selected = (app.tone.selected + 1).min(4),
        (Focus::Tone, Action::Up) => app.tone.selected = app.tone.selected.saturating_sub(1),
        (Focus::Tone, Action::ToggleTickSelected) => app.toggle_tick(app.tone.selected),
        (Focus::Tone, Action::PageDown) => {
            let max = super::layout::tone_max_scroll(app);
            app.tone.scroll = (app.tone.scroll + TONE_PAGE).min(max);
        }
        (Focus::Tone, Action::PageUp) => {
            app.tone.scroll = app.tone.scroll.saturating_sub(TONE_PAGE)
        }
        (Focus::Tone, Action::ToggleTick(n)) => app.toggle_tick(n),
        (_, Action::Send) => app.send(false)?,
        (_, action) => return global(app, action),
    }
    Ok(None)
}

/// On opening a ticket with a saved draft: the draft is on screen but the keys go
/// to the thread, so the status bar says which key continues it.
fn say_how_to_continue_draft(app: &mut App) {
    if app.composer.is_empty() || app.focus == Focus::Composer {
        return;
    }
    let key = app
        .keymap
        .key_for(
            Context::Conversation,
            &super::app::opening_action(app.composer.mode),
        )
        .unwrap_or_default();
    app.info(format!(
        "a saved draft is shown, not active · {key} continues it"
    ));
}

/// Rows PgDn/PgUp move the tone findings: a few, since the pane is short.
const TONE_PAGE: usize = 5;

fn scroll(app: &mut App, delta: isize) {
    let (max, _) = super::layout::conversation_scroll_limits(app);
    if let Some(open) = app.open.as_mut() {
        open.scroll = open.scroll.saturating_add_signed(delta).min(max);
    }
}

/// Actions that mean the same in every pane.
fn global(app: &mut App, action: Action) -> Step {
    match action {
        Action::Quit => {
            app.flush_draft()?;
            if app.unsaved_held_words() {
                let key = app
                    .keymap
                    .key_for(Context::Conversation, &Action::Reply)
                    .unwrap_or_default();
                app.error(format!(
                    "not quitting: words typed here are not saved, another console is editing this draft · {key} takes it over, then q"
                ));
                return Ok(None);
            }
            app.quit();
        }
        Action::Help => {
            app.popup = Some(Popup::Help {
                context: app.context(),
                scroll: 0,
            })
        }
        Action::Palette => {
            app.popup = Some(Popup::Palette {
                matches: palette_matches(app, ""),
                input: String::new(),
                selected: 0,
            })
        }
        Action::Suspend => {
            app.flush_draft()?;
            app.request = Some(TerminalRequest::Suspend);
        }
        Action::Refresh => {
            app.reload()?;
            app.info("reloaded");
        }
        Action::NextView | Action::PrevView => {
            let i = View::ALL
                .iter()
                .position(|v| *v == app.inbox.view)
                .unwrap_or(0);
            let n = View::ALL.len();
            let j = if action == Action::NextView {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            app.set_view(View::ALL[j])?;
            app.focus = Focus::Inbox;
        }
        Action::TeamView(v) => app.toggle_team_view(v)?,
        Action::TakeTicket => app.take_ticket()?,
        Action::SetView(v) => {
            app.set_view(v)?;
            app.focus = Focus::Inbox;
        }
        Action::Reply => compose_or_guard(app, ComposeMode::Reply)?,
        Action::Note => compose_or_guard(app, ComposeMode::Note)?,
        Action::Canned => app.open_canned()?,
        Action::DiscardDraft => app.discard_draft()?,
        Action::OpenEditor => {
            app.compose(app.composer.mode)?;
            if app.focus == Focus::Composer {
                app.request = Some(TerminalRequest::Editor);
            }
        }
        Action::FocusTone => {
            app.compose(app.composer.mode)?;
            if app.focus == Focus::Composer {
                app.focus = Focus::Tone;
            }
        }
        Action::StatusMenu => {
            let selected = app.current_choice(ChoiceKind::Status)?;
            app.popup = Some(Popup::Choice {
                kind: ChoiceKind::Status,
                selected,
            })
        }
        Action::PriorityMenu => {
            let selected = app.current_choice(ChoiceKind::Priority)?;
            app.popup = Some(Popup::Choice {
                kind: ChoiceKind::Priority,
                selected,
            })
        }
        Action::SetStatus(s) => app.apply_change(
            &format!("status {s}"),
            crate::model::TicketChange::Status(s),
        )?,
        Action::SetPriority(p) => app.apply_change(
            &format!("priority {p}"),
            crate::model::TicketChange::Priority(p),
        )?,
        Action::Solve => return Ok(Some(Action::SetStatus(Status::Solved))),
        Action::Spam => return Ok(Some(Action::SetStatus(Status::Spam))),
        Action::Tags => prompt(app, PromptKind::Tags),
        Action::Snooze => prompt(app, PromptKind::Snooze),
        Action::Escalate => prompt(app, PromptKind::Escalate),
        Action::NoReply => prompt(app, PromptKind::NoReply),
        Action::Merge => prompt(app, PromptKind::Merge),
        Action::PasteTranscript => app.compose_transcript(false)?,
        Action::LogCall => app.compose_transcript(true)?,
        Action::SaveAttachments => {
            let folder = app.default_download_dir();
            prompt(app, PromptKind::SaveAttachments);
            if let Some(Popup::Prompt { input, .. }) = &mut app.popup {
                *input = folder;
            }
        }
        Action::Deescalate => app.apply_change(
            "taken back from the second line",
            crate::model::TicketChange::Deescalate,
        )?,
        Action::Undo => app.undo_last()?,
        Action::ToggleMark => app.toggle_mark(),
        Action::Search => {
            app.focus = Focus::Inbox;
            start_search(app);
        }
        Action::Send => app.send(false)?,
        Action::Confirm => app.send(true)?,
        Action::Open => {
            app.focus = Focus::Conversation;
        }
        Action::Back => {
            app.focus = match app.focus {
                Focus::Tone => Focus::Composer,
                Focus::Composer => Focus::Conversation,
                _ => Focus::Inbox,
            }
        }
        Action::ToggleTick(n) => app.toggle_tick(n),
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom => {
            // From the palette or a pane without a list: move in the inbox.
            let saved = app.focus;
            app.focus = Focus::Inbox;
            let next = update_pane(app, action);
            app.focus = saved;
            return next;
        }
        Action::NextPlaceholder | Action::ToggleTickSelected | Action::ExpandShortcut => {}
        Action::NextTicket | Action::PrevTicket => {}
        Action::Input(_)
        | Action::Tick
        | Action::ClearMarks
        | Action::CycleSort
        | Action::MarkAll => {}
        Action::StillWorkingReply => app.still_working_reply()?,
        Action::AddFollowup => {
            if app.open.is_none() {
                app.error("no ticket selected");
            } else {
                app.popup = Some(Popup::Prompt {
                    kind: PromptKind::Followup,
                    input: String::new(),
                });
            }
        }
        Action::FollowupDone => app.followup_done()?,
        Action::Report => app.open_report(crate::tui::app::ReportScreen::DEFAULT_DAYS)?,
        Action::ReportPeriod(days) => app.open_report(days)?,
    }
    Ok(None)
}

fn prompt(app: &mut App, kind: PromptKind) {
    if app.targets().is_empty() {
        app.error("no ticket selected");
        return;
    }
    app.popup = Some(Popup::Prompt {
        kind,
        input: String::new(),
    });
}

/// Opens the search line. An applied query comes back selected: typing replaces
/// it with a new query, an arrow key keeps it to edit, `Esc` clears the search.
fn start_search(app: &mut App) {
    app.inbox.search_selected = app.inbox.search.as_deref().is_some_and(|q| !q.is_empty());
    app.inbox.search.get_or_insert_with(String::new);
    app.inbox.search_editing = true;
}

fn update_search(app: &mut App, action: Action) -> Step {
    match action {
        Action::Input(key) => {
            let text = app.inbox.search.get_or_insert_with(String::new);
            let changed = if std::mem::take(&mut app.inbox.search_selected) {
                match key.code {
                    KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete => {
                        text.clear();
                        edit_line(text, &key);
                        true
                    }
                    // Left, Right, End…: the old query stays, to be edited.
                    _ => false,
                }
            } else {
                edit_line(text, &key)
            };
            if changed {
                app.search_changed()?;
            }
        }
        Action::Open => {
            app.inbox.search_editing = false;
            app.inbox.search_selected = false;
            if app
                .inbox
                .search
                .as_deref()
                .is_some_and(|s| s.trim().is_empty())
            {
                app.inbox.search = None;
                app.inbox.hits = None;
                app.reload()?;
            }
        }
        Action::Back => {
            let found = app.selected_ticket().map(|r| r.ticket.id);
            app.inbox.search_editing = false;
            app.inbox.search_selected = false;
            app.inbox.search = None;
            app.inbox.hits = None;
            app.reload_keeping(found)?;
        }
        Action::Down => app.move_selection(1)?,
        Action::Up => app.move_selection(-1)?,
        Action::Tick => app.tick(std::time::Instant::now())?,
        other => {
            app.inbox.search_editing = false;
            app.inbox.search_selected = false;
            return update_pane(app, other);
        }
    }
    Ok(None)
}

fn update_popup(app: &mut App, action: Action) -> Step {
    if action == Action::Tick {
        app.tick(std::time::Instant::now())?;
        return Ok(None);
    }
    let Some(popup) = app.popup.take() else {
        return Ok(None);
    };
    match popup {
        Popup::Help { context, scroll } => {
            // Scrolling stops at the last page, where `G` goes, so `k` after `j` held
            // down moves at once.
            let last = super::panes::help_last_scroll(app, context);
            let scroll = match action {
                Action::Down => scroll + 1,
                Action::Up => scroll.saturating_sub(1),
                Action::PageDown => scroll + 10,
                Action::PageUp => scroll.saturating_sub(10),
                Action::Top => 0,
                Action::Bottom => last,
                Action::Back | Action::Help => return Ok(None),
                _ => scroll,
            }
            .min(last);
            app.popup = Some(Popup::Help { context, scroll });
        }
        Popup::Palette {
            mut input,
            mut selected,
            mut matches,
        } => {
            match action {
                Action::Back => return Ok(None),
                Action::Open => return Ok(matches.get(selected).cloned()),
                Action::Down => selected = (selected + 1).min(matches.len().saturating_sub(1)),
                Action::Up => selected = selected.saturating_sub(1),
                Action::Input(key) if edit_line(&mut input, &key) => {
                    selected = 0;
                    matches = palette_matches(app, &input);
                }
                _ => {}
            }
            app.popup = Some(Popup::Palette {
                input,
                selected,
                matches,
            });
        }
        Popup::Canned(mut picker) => {
            match action {
                Action::Back => return Ok(None),
                Action::Open => {
                    let chosen = picker
                        .ranked
                        .get(picker.selected)
                        .and_then(|i| picker.items.get(*i))
                        .cloned();
                    match chosen {
                        Some(item) => app.insert_canned(&item)?,
                        None => app.error("nothing matches; Esc closes"),
                    }
                    return Ok(None);
                }
                Action::Down => {
                    picker.selected =
                        (picker.selected + 1).min(picker.ranked.len().saturating_sub(1))
                }
                Action::Up => picker.selected = picker.selected.saturating_sub(1),
                Action::Input(key) if edit_line(&mut picker.query, &key) => {
                    picker.selected = 0;
                    app.rerank(&mut picker);
                }
                _ => {}
            }
            app.popup = Some(Popup::Canned(picker));
        }
        Popup::Prompt { kind, mut input } => match action {
            Action::Back => return Ok(None),
            Action::Open => {
                let done = match kind {
                    PromptKind::Snooze => app.snooze(&input)?,
                    PromptKind::Tags => {
                        app.tags(&input)?;
                        true
                    }
                    PromptKind::Escalate => app.escalate(&input)?,
                    PromptKind::NoReply => app.no_reply(&input)?,
                    PromptKind::Merge => app.merge_into(&input)?,
                    PromptKind::SaveAttachments => app.save_attachments(&input)?,
                    PromptKind::Followup => app.add_followup(&input)?,
                    PromptKind::AgentName => {
                        app.set_identity_field(crate::config::AgentKey::Name, &input)?
                    }
                    PromptKind::AgentEmail => {
                        app.set_identity_field(crate::config::AgentKey::Email, &input)?
                    }
                };
                if !done {
                    app.popup = Some(Popup::Prompt { kind, input });
                }
            }
            Action::Input(key) => {
                edit_line(&mut input, &key);
                app.popup = Some(Popup::Prompt { kind, input });
            }
            _ => app.popup = Some(Popup::Prompt { kind, input }),
        },
        Popup::Choice { kind, mut selected } => {
            let options = kind.options();
            let pick = |v: ChoiceValue| match v {
                ChoiceValue::Status(s) => Action::SetStatus(s),
                ChoiceValue::Priority(p) => Action::SetPriority(p),
            };
            match action {
                Action::Back => return Ok(None),
                Action::Open => return Ok(options.get(selected).map(|o| pick(o.2))),
                Action::Down => selected = (selected + 1).min(options.len() - 1),
                Action::Up => selected = selected.saturating_sub(1),
                Action::Input(key) => {
                    if let KeyCode::Char(c) = key.code {
                        if let Some(o) = options.iter().find(|o| o.0 == c) {
                            return Ok(Some(pick(o.2)));
                        }
                    }
                }
                _ => {}
            }
            app.popup = Some(Popup::Choice { kind, selected });
        }
        Popup::Confirm {
            kind: ConfirmKind::TellSolved(id),
        } => match action {
            Action::Confirm => app.tell_solved(id)?,
            Action::Back => app.info(format!("#{id} solved; the customer was not told")),
            // Not a blocking question: any other key closes it and does its work.
            Action::Input(key) => {
                let context = app.context();
                return Ok(app
                    .keymap
                    .resolve(context, &key)
                    .or_else(|| context.takes_text().then_some(Action::Input(key))));
            }
            other => return Ok(Some(other)),
        },
        Popup::Confirm {
            kind: ConfirmKind::QuitWithQueued(n),
        } => match action {
            Action::Back => app.info("still here; the replies keep waiting"),
            Action::Input(key) => match key.code {
                KeyCode::Char('s') => app.quit_sending_now()?,
                KeyCode::Char('k') => app.quit_keeping_queued()?,
                KeyCode::Char('t') => app.quit_taking_back()?,
                _ => {
                    app.popup = Some(Popup::Confirm {
                        kind: ConfirmKind::QuitWithQueued(n),
                    })
                }
            },
            _ => {
                app.popup = Some(Popup::Confirm {
                    kind: ConfirmKind::QuitWithQueued(n),
                })
            }
        },
        Popup::Confirm {
            kind: ConfirmKind::SendDespiteAddedElsewhere { added, newest },
        } => match action {
            Action::Confirm => app.send_despite_added_elsewhere(newest)?,
            Action::Back => app.read_added_elsewhere(newest),
            _ => {
                app.popup = Some(Popup::Confirm {
                    kind: ConfirmKind::SendDespiteAddedElsewhere { added, newest },
                })
            }
        },
        Popup::Confirm {
            kind: ConfirmKind::TakeOverDraft,
        } => match action {
            Action::Confirm => app.take_over_draft()?,
            Action::Back => app.info("left to the other console; the draft here only shows it"),
            _ => {
                app.popup = Some(Popup::Confirm {
                    kind: ConfirmKind::TakeOverDraft,
                })
            }
        },
        Popup::Confirm {
            kind: ConfirmKind::TakeFromTeammate,
        } => match action {
            Action::Confirm => app.take_confirmed()?,
            Action::Back => app.info("not taken; the ticket stays with your teammate"),
            _ => {
                app.popup = Some(Popup::Confirm {
                    kind: ConfirmKind::TakeFromTeammate,
                })
            }
        },
        Popup::Confirm {
            kind: ConfirmKind::Merge { into, across },
        } => match action {
            Action::Confirm => app.merge_confirmed(into)?,
            Action::Back => {
                app.merge_question = None;
                app.info("not merged");
            }
            _ => {
                app.popup = Some(Popup::Confirm {
                    kind: ConfirmKind::Merge { into, across },
                })
            }
        },
        Popup::Confirm { kind } => match action {
            Action::Confirm => app.send(true)?,
            Action::Back => app.info("not sent; the draft is kept"),
            _ => app.popup = Some(Popup::Confirm { kind }),
        },
        Popup::Report(screen) => match action {
            Action::Back | Action::Report => {}
            Action::ReportPeriod(days) => {
                // Kept open on the old period if the new one cannot be read.
                app.popup = Some(Popup::Report(screen));
                app.open_report(days)?;
            }
            _ => app.popup = Some(Popup::Report(screen)),
        },
    }
    Ok(None)
}

/// Actions matching the palette's input, best first. Every word typed must begin a
/// word of the action's name or description ("new ti" finds nothing rather than a
/// scattered-letter match); an exact name beats a name prefix, which beats words in
/// the name, which beat words in the description, which beat an abbreviation of the
/// name. Actions that cannot be taken back
/// by a second look (quit, spam, merge…) come after the others, so `:` then Enter
/// never quits, and keys that only move the cursor are not offered at all.
pub fn palette_matches(_app: &App, input: &str) -> Vec<Action> {
    let offered = Action::named().into_iter().filter(|a| {
        !matches!(
            a,
            Action::Confirm
                | Action::Palette
                | Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
                | Action::Open
                | Action::Back
        )
    });
    let query = input.trim().to_lowercase();
    let typed: Vec<&str> = query
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    let words = |text: &str| -> Vec<String> {
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(input, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(bool, u8, usize, Action)> = offered
        .enumerate()
        .filter_map(|(i, a)| {
            let name = a.name();
            let in_name = words(&name);
            let in_all = [in_name.clone(), words(&a.describe())].concat();
            let begins =
                |set: &[String]| typed.iter().all(|t| set.iter().any(|w| w.starts_with(t)));
            let rank = if typed.is_empty() || name == query {
                0
            } else if name.starts_with(&query) {
                1
            } else if begins(&in_name) {
                2
            } else if begins(&in_all) {
                3
            } else if pattern
                .score(Utf32Str::new(&name, &mut buf), &mut matcher)
                .is_some()
            {
                // Abbreviations of the name ("snz"), never letters scattered over
                // the description.
                4
            } else {
                return None;
            };
            Some((a.is_destructive(), rank, i, a))
        })
        .collect();
    scored.sort_by_key(|(destructive, rank, i, _)| (*destructive, *rank, *i));
    scored.into_iter().map(|(_, _, _, a)| a).collect()
}

/// One-line editing for prompts, search and filters. Returns whether the text changed.
pub fn edit_line(text: &mut String, key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            let changed = !text.is_empty();
            text.clear();
            changed
        }
        KeyCode::Char('w') if ctrl => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed].rfind(' ').map_or(0, |i| i + 1);
            let changed = cut != text.len();
            text.truncate(cut);
            changed
        }
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
            text.push(c);
            true
        }
        KeyCode::Backspace => text.pop().is_some(),
        _ => false,
    }
}
