//! Which key does what, per pane, as one table. `?` help, the composer's title hints
//! and the palette's key column are all read from this table, so they can never
//! disagree with what a key really does. A `[ui.keys]` table in the config patches
//! only the actions it names (`reply = "R"`, `send = "ctrl-enter, ctrl-s"`).

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use crate::store::View;

/// Where keys are being read: a pane, or the popup on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Inbox,
    Conversation,
    Composer,
    Tone,
    Search,
    Help,
    Palette,
    Canned,
    Prompt,
    Choice,
    Confirm,
    /// The full-screen report.
    Report,
}

impl Context {
    /// Text-entry contexts give plain keys to the text field; only bindings with
    /// Ctrl/Alt (and non-character keys) are looked up there.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Context::Composer
                | Context::Search
                | Context::Palette
                | Context::Canned
                | Context::Prompt
        )
    }

    /// Whether the global (ticket) bindings apply here.
    fn has_globals(self) -> bool {
        matches!(
            self,
            Context::Inbox | Context::Conversation | Context::Composer | Context::Tone
        )
    }

    /// Heading in `?`.
    pub fn label(self) -> &'static str {
        match self {
            Context::Inbox => "Inbox",
            Context::Conversation => "Conversation",
            Context::Composer => "Composer",
            Context::Tone => "Tone checklist",
            Context::Search => "Search",
            Context::Help => "Help",
            Context::Palette => "Command palette",
            Context::Canned => "Canned responses",
            Context::Prompt => "Prompt",
            Context::Choice => "Menu",
            Context::Confirm => "Confirm",
            Context::Report => "Report",
        }
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every pane (not popups); in text panes only if the key has a modifier.
    Global,
    Only(Context),
}

/// A key with its modifiers, as the table stores it. Shift is folded into the
/// character (`R`, `?`), because terminals disagree on reporting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// A plain key.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    /// A character key.
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    /// Ctrl + character.
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// The table form of a terminal key event.
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => KeyCode::BackTab,
            other => other,
        };
        if ev.modifiers.contains(KeyModifiers::SHIFT)
            && !matches!(code, KeyCode::Char(_) | KeyCode::BackTab)
        {
            mods |= KeyModifiers::SHIFT;
        }
        Key { code, mods }
    }

    /// Whether the key is plain typing (a character without Ctrl/Alt).
    pub fn is_typing(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    /// Whether a text field uses the key itself: typing, and the plain editing and
    /// movement keys. Text panes never look these up as global commands.
    pub fn is_editing(&self) -> bool {
        self.is_typing()
            || (self.mods.is_empty()
                && matches!(
                    self.code,
                    KeyCode::Enter
                        | KeyCode::Tab
                        | KeyCode::BackTab
                        | KeyCode::Backspace
                        | KeyCode::Delete
                        | KeyCode::Esc
                        | KeyCode::Up
                        | KeyCode::Down
                        | KeyCode::Left
                        | KeyCode::Right
                        | KeyCode::Home
                        | KeyCode::End
                        | KeyCode::PageUp
                        | KeyCode::PageDown
                ))
    }

    /// Reads `ctrl-e`, `alt-x`, `enter`, `space`, `pgdn`, `f1`, `R`, `?`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let text = text.trim();
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_lowercase();
            if let Some(r) = ["ctrl-", "c-", "control-"]
                .iter()
                .find_map(|p| lower.starts_with(p).then(|| &rest[p.len()..]))
            {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = ["alt-", "a-", "m-", "meta-"]
                .iter()
                .find_map(|p| lower.starts_with(p).then(|| &rest[p.len()..]))
            {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest.to_lowercase().as_str() {
            "enter" | "return" | "ret" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "space" | "spc" => KeyCode::Char(' '),
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" | "page-up" => KeyCode::PageUp,
            "pgdn" | "pagedown" | "page-down" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" | "bs" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        if mods.contains(KeyModifiers::CONTROL) {
                            KeyCode::Char(c.to_ascii_lowercase())
                        } else {
                            KeyCode::Char(c)
                        }
                    }
                    _ => return Err(format!("unknown key '{text}'")),
                }
            }
        };
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub scope: Scope,
    pub key: Key,
    pub action: Action,
}

/// A config key override that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMapError {
    #[error("[ui.keys] names an unknown action '{0}'; see `:` in the console for names")]
    UnknownAction(String),
    #[error("[ui.keys] {action}: {message}")]
    BadKey { action: String, message: String },
}

/// The whole key table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<Binding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        use Action as A;
        use Context as C;
        use KeyCode as K;
        let mut b: Vec<Binding> = Vec::new();
        let mut add = |scope: Scope, keys: &[Key], action: Action| {
            for key in keys {
                b.push(Binding {
                    scope,
                    key: *key,
                    action: action.clone(),
                });
            }
        };
        let g = Scope::Global;
        let only = Scope::Only;
        let plain = Key::plain;
        let ch = Key::ch;

        // Lists: inbox, conversation scroll, tone, help, menus.
        for c in [C::Inbox, C::Conversation, C::Tone, C::Help, C::Choice] {
            add(only(c), &[ch('j'), plain(K::Down)], A::Down);
            add(only(c), &[ch('k'), plain(K::Up)], A::Up);
        }
        for c in [C::Inbox, C::Conversation, C::Help] {
            add(only(c), &[plain(K::PageDown), Key::ctrl('d')], A::PageDown);
            add(only(c), &[plain(K::PageUp), Key::ctrl('u')], A::PageUp);
            add(only(c), &[ch('g'), plain(K::Home)], A::Top);
            add(only(c), &[ch('G'), plain(K::End)], A::Bottom);
        }
        for c in [C::Search, C::Palette, C::Canned] {
            add(only(c), &[plain(K::Down), Key::ctrl('n')], A::Down);
            add(only(c), &[plain(K::Up), Key::ctrl('p')], A::Up);
        }
        add(
            only(C::Inbox),
            &[plain(K::Enter), ch('l'), plain(K::Right)],
            A::Open,
        );
        add(only(C::Inbox), &[ch(' ')], A::ToggleMark);
        add(only(C::Inbox), &[ch('M')], A::ClearMarks);
        add(only(C::Inbox), &[ch('*')], A::MarkAll);
        add(only(C::Inbox), &[ch('o')], A::CycleSort);
        add(only(C::Inbox), &[plain(K::Esc)], A::Back);
        add(
            only(C::Conversation),
            &[plain(K::Esc), ch('h'), plain(K::Left)],
            A::Back,
        );
        add(only(C::Conversation), &[ch('J'), ch(']')], A::NextTicket);
        add(only(C::Conversation), &[ch('K'), ch('[')], A::PrevTicket);

        add(g, &[ch('q')], A::Quit);
        add(g, &[Key::ctrl('c')], A::Quit);
        add(g, &[ch('?'), Key::plain(K::F(1))], A::Help);
        add(g, &[ch(':'), Key::ctrl('p')], A::Palette);
        // Search from every pane, as in the inbox: a `/` that meant nothing in the
        // thread let the search text run as commands.
        add(g, &[ch('/')], A::Search);
        add(g, &[Key::ctrl('z')], A::Suspend);
        add(g, &[plain(K::Tab)], A::NextView);
        add(g, &[plain(K::BackTab)], A::PrevView);
        for (i, v) in View::ALL.iter().enumerate() {
            let digit = char::from(b'1' + i as u8);
            add(g, &[ch(digit)], A::SetView(*v));
        }
        add(g, &[ch('r')], A::Reply);
        add(g, &[ch('n')], A::Note);
        add(g, &[ch('c')], A::Canned);
        add(g, &[ch('s')], A::StatusMenu);
        add(g, &[ch('p')], A::PriorityMenu);
        add(g, &[ch('d')], A::Solve);
        add(g, &[ch('t')], A::Tags);
        add(g, &[ch('z')], A::Snooze);
        add(g, &[ch('e')], A::Escalate);
        add(g, &[ch('E')], A::Deescalate);
        add(g, &[ch('m')], A::Merge);
        add(g, &[ch('a')], A::SaveAttachments);
        add(g, &[ch('P')], A::PasteTranscript);
        add(g, &[ch('L')], A::LogCall);
        add(g, &[ch('N')], A::NoReply);
        add(g, &[ch('X')], A::Spam);
        add(g, &[ch('W')], A::StillWorkingReply);
        add(g, &[ch('f')], A::AddFollowup);
        add(g, &[ch('F')], A::FollowupDone);
        add(g, &[ch('u')], A::Undo);
        add(g, &[ch('R'), Key::ctrl('l')], A::Refresh);
        // Team mode (`tui/app/team.rs`): after the single-agent keys in help.
        add(
            g,
            &[ch('7')],
            A::TeamView(crate::tui::action::TeamView::Mine),
        );
        add(
            g,
            &[ch('8')],
            A::TeamView(crate::tui::action::TeamView::Unassigned),
        );
        add(g, &[ch('T')], A::TakeTicket);

        add(only(C::Composer), &[Key::ctrl('s')], A::Send);
        add(only(C::Composer), &[Key::ctrl('e')], A::OpenEditor);
        // Ctrl-G: the one control key the editor leaves free; `u` undoes a slip.
        add(only(C::Composer), &[Key::ctrl('g')], A::DiscardDraft);
        add(only(C::Composer), &[Key::ctrl('k')], A::Canned);
        add(only(C::Composer), &[Key::ctrl('t')], A::FocusTone);
        add(only(C::Composer), &[Key::ctrl('n')], A::NextPlaceholder);
        add(only(C::Composer), &[plain(K::Tab)], A::ExpandShortcut);
        add(only(C::Composer), &[plain(K::Esc)], A::Back);

        add(
            only(C::Tone),
            &[ch(' '), plain(K::Enter)],
            A::ToggleTickSelected,
        );
        for n in 0..5 {
            add(
                only(C::Tone),
                &[ch(char::from(b'1' + n as u8))],
                A::ToggleTick(n),
            );
        }
        add(
            only(C::Tone),
            &[Key::ctrl('t'), plain(K::Esc)],
            A::FocusTone,
        );
        add(only(C::Tone), &[Key::ctrl('s')], A::Send);
        // The findings list scrolls; the checklist above it stays.
        add(only(C::Tone), &[plain(K::PageDown)], A::PageDown);
        add(only(C::Tone), &[plain(K::PageUp)], A::PageUp);

        for c in [C::Search, C::Palette, C::Canned, C::Prompt, C::Choice] {
            add(only(c), &[plain(K::Enter)], A::Open);
            add(only(c), &[plain(K::Esc)], A::Back);
        }
        add(only(C::Help), &[plain(K::Esc), ch('q'), ch('?')], A::Back);
        add(only(C::Confirm), &[ch('y'), plain(K::Enter)], A::Confirm);
        add(only(C::Confirm), &[ch('n'), plain(K::Esc)], A::Back);

        add(g, &[plain(K::F(2))], A::Report);
        for (d, key) in super::action::REPORT_PERIODS.iter().zip(['7', '3', '9']) {
            add(only(C::Report), &[ch(key)], A::ReportPeriod(*d));
        }
        add(only(C::Report), &[plain(K::Esc), ch('q')], A::Back);
        KeyMap { bindings: b }
    }
}

impl KeyMap {
    /// The default table patched by the user's `[ui.keys]`: each named action gets
    /// exactly the keys given (comma-separated), in the scopes it had by default.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<KeyMap, KeyMapError> {
        let mut map = KeyMap::default();
        for (name, keys) in overrides {
            let action =
                Action::from_name(name).ok_or_else(|| KeyMapError::UnknownAction(name.clone()))?;
            let keys: Vec<Key> = keys
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(Key::parse)
                .collect::<Result<_, _>>()
                .map_err(|message| KeyMapError::BadKey {
                    action: name.clone(),
                    message,
                })?;
            let mut scopes: Vec<Scope> = map
                .bindings
                .iter()
                .filter(|b| b.action == action)
                .map(|b| b.scope)
                .collect();
            scopes.dedup();
            if scopes.is_empty() {
                scopes.push(Scope::Global);
            }
            map.bindings.retain(|b| b.action != action);
            for scope in scopes {
                for key in &keys {
                    // A key given to a new action stops doing its old job in that scope.
                    map.bindings
                        .retain(|b| !(b.scope == scope && b.key == *key));
                    map.bindings.insert(
                        0,
                        Binding {
                            scope,
                            key: *key,
                            action: action.clone(),
                        },
                    );
                }
            }
        }
        Ok(map)
    }

    /// What `key` does in `context`: the context's own bindings first, then globals.
    /// In text contexts plain typing is never a global command.
    pub fn resolve(&self, context: Context, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev);
        let own = self
            .bindings
            .iter()
            .find(|b| b.scope == Scope::Only(context) && b.key == key);
        if let Some(b) = own {
            return Some(b.action.clone());
        }
        if !context.has_globals() {
            return None;
        }
        if context.takes_text() && key.is_editing() {
            return None;
        }
        self.bindings
            .iter()
            .find(|b| b.scope == Scope::Global && b.key == key)
            .map(|b| b.action.clone())
    }

    /// Every binding active in `context`, merged by action, in table order: the
    /// rows `?` shows. Globals a text pane cannot see are left out.
    pub fn help(&self, context: Context) -> Vec<(String, Action)> {
        let mut rows: Vec<(Vec<String>, Action)> = Vec::new();
        for b in self.shown_in(context) {
            match rows.iter_mut().find(|(_, a)| *a == b.action) {
                Some((keys, _)) => {
                    let k = b.key.to_string();
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                None => rows.push((vec![b.key.to_string()], b.action.clone())),
            }
        }
        rows.into_iter().map(|(k, a)| (k.join(" "), a)).collect()
    }

    /// The bindings that act in `context`, in help order: the pane's own first,
    /// then the global ones it does not shadow (and, where text is typed, not the
    /// editing keys).
    fn shown_in(&self, context: Context) -> impl Iterator<Item = &Binding> + '_ {
        let visible = move |b: &&Binding| match b.scope {
            Scope::Only(c) => c == context,
            Scope::Global => {
                context.has_globals()
                    && !(context.takes_text() && b.key.is_editing())
                    && !self
                        .bindings
                        .iter()
                        .any(|o| o.scope == Scope::Only(context) && o.key == b.key)
            }
        };
        let own = self
            .bindings
            .iter()
            .filter(move |b| b.scope == Scope::Only(context));
        let global = self.bindings.iter().filter(|b| b.scope == Scope::Global);
        own.chain(global).filter(visible)
    }

    /// The first key for `action` in `context` (what the help lists first), for
    /// the hints drawn on every frame: found without building the whole help,
    /// which formatted every binding several times a frame.
    pub fn key_for(&self, context: Context, action: &Action) -> Option<String> {
        self.shown_in(context)
            .find(|b| b.action == *action)
            .map(|b| b.key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    /// `key_for` finds the key without building the help; it must name the key
    /// the help lists first, for every action in every context.
    #[test]
    fn key_for_is_the_first_key_the_help_lists() {
        let map = KeyMap::default();
        for context in [
            Context::Inbox,
            Context::Conversation,
            Context::Composer,
            Context::Tone,
            Context::Search,
            Context::Help,
            Context::Palette,
            Context::Canned,
            Context::Prompt,
            Context::Choice,
            Context::Confirm,
            Context::Report,
        ] {
            for (keys, action) in map.help(context) {
                let first = keys.split(' ').next().unwrap_or_default().to_string();
                assert_eq!(
                    map.key_for(context, &action),
                    Some(first),
                    "{context:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn pane_bindings_win_over_globals() {
        let map = KeyMap::default();
        let one = ev(KeyCode::Char('1'), KeyModifiers::NONE);
        assert_eq!(
            map.resolve(Context::Inbox, &one),
            Some(Action::SetView(View::NeedsReply))
        );
        assert_eq!(
            map.resolve(Context::Tone, &one),
            Some(Action::ToggleTick(0))
        );
    }

    #[test]
    fn typing_in_the_composer_is_never_a_command() {
        let map = KeyMap::default();
        let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.resolve(Context::Composer, &q), None);
        let tab = ev(KeyCode::Tab, KeyModifiers::NONE);
        assert_eq!(
            map.resolve(Context::Composer, &tab),
            Some(Action::ExpandShortcut),
            "not next-view"
        );
        let send = ev(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(map.resolve(Context::Composer, &send), Some(Action::Send));
        let suspend = ev(KeyCode::Char('z'), KeyModifiers::CONTROL);
        assert_eq!(
            map.resolve(Context::Composer, &suspend),
            Some(Action::Suspend)
        );
    }

    #[test]
    fn shifted_letters_match_their_capital() {
        let map = KeyMap::default();
        let x = ev(KeyCode::Char('X'), KeyModifiers::SHIFT);
        assert_eq!(map.resolve(Context::Inbox, &x), Some(Action::Spam));
    }

    #[test]
    fn override_moves_an_action_to_the_named_key_only() {
        let mut o = BTreeMap::new();
        o.insert("reply".to_string(), "R, ctrl-r".to_string());
        let map = KeyMap::with_overrides(&o).unwrap();
        let r = ev(KeyCode::Char('r'), KeyModifiers::NONE);
        let big_r = ev(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(map.resolve(Context::Inbox, &r), None);
        assert_eq!(map.resolve(Context::Inbox, &big_r), Some(Action::Reply));
        let ctrl_r = ev(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(map.resolve(Context::Composer, &ctrl_r), Some(Action::Reply));
        // Refresh lost R to reply but keeps Ctrl-L.
        assert!(map
            .help(Context::Inbox)
            .iter()
            .any(|(k, a)| *a == Action::Refresh && k == "Ctrl-L"));
    }

    #[test]
    fn bad_overrides_name_the_problem() {
        let mut o = BTreeMap::new();
        o.insert("replly".to_string(), "R".to_string());
        assert_eq!(
            KeyMap::with_overrides(&o),
            Err(KeyMapError::UnknownAction("replly".into()))
        );
        let mut o = BTreeMap::new();
        o.insert("reply".to_string(), "hyper-q".to_string());
        assert!(matches!(
            KeyMap::with_overrides(&o),
            Err(KeyMapError::BadKey { .. })
        ));
    }

    #[test]
    fn help_lists_every_key_of_the_pane_from_the_table() {
        let map = KeyMap::default();
        let help = map.help(Context::Inbox);
        let find = |a: Action| help.iter().find(|(_, x)| *x == a).map(|(k, _)| k.clone());
        assert_eq!(find(Action::Down).as_deref(), Some("j ↓"));
        assert_eq!(find(Action::Reply).as_deref(), Some("r"));
        assert_eq!(find(Action::SetView(View::All)).as_deref(), Some("2"));
        let composer = map.help(Context::Composer);
        assert!(composer
            .iter()
            .any(|(k, a)| *a == Action::Send && k == "Ctrl-S"));
        assert!(!composer.iter().any(|(_, a)| *a == Action::Reply));
    }

    #[test]
    fn parses_key_names() {
        assert_eq!(Key::parse("ctrl-E"), Ok(Key::ctrl('e')));
        assert_eq!(Key::parse("space"), Ok(Key::ch(' ')));
        assert_eq!(Key::parse("F2"), Ok(Key::plain(KeyCode::F(2))));
        assert!(Key::parse("nope").is_err());
    }
}
