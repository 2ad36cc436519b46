//! Colours and text styles. Two palettes that read on dark and light terminals, and a
//! monochrome one for `NO_COLOR` (https://no-color.org) that keeps meaning with bold,
//! italic and reverse video only.

use ratatui::style::{Color, Modifier, Style};

/// Every style the panes use, by meaning rather than by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub base: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selected: Style,
    pub marked: Style,
    pub unread: Style,
    pub urgent: Style,
    pub high: Style,
    pub overdue: Style,
    pub due_soon: Style,
    pub ok: Style,
    pub warn: Style,
    pub fail: Style,
    pub inbound: Style,
    pub outbound: Style,
    pub note: Style,
    pub tag: Style,
    pub key: Style,
    pub error: Style,
    pub info: Style,
    pub tab_active: Style,
    pub placeholder: Style,
}

/// Which palette to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeKind {
    Dark,
    Light,
    Mono,
}

impl ThemeKind {
    /// Mono when `NO_COLOR` is set (to anything non-empty), else the configured
    /// `ui.theme` ("light" or "dark"; "auto" and unset mean dark).
    pub fn choose(configured: Option<&str>, no_color: Option<&str>) -> ThemeKind {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ThemeKind::Mono;
        }
        match configured.map(str::to_lowercase).as_deref() {
            Some("light") => ThemeKind::Light,
            Some("mono") | Some("none") => ThemeKind::Mono,
            _ => ThemeKind::Dark,
        }
    }
}

impl Theme {
    /// The palette for `kind`.
    pub fn new(kind: ThemeKind) -> Theme {
        match kind {
            ThemeKind::Dark => Theme::colored(Color::White, Color::DarkGray, Color::Cyan),
            ThemeKind::Light => Theme::colored(Color::Black, Color::Gray, Color::Blue),
            ThemeKind::Mono => Theme::mono(),
        }
    }

    fn colored(fg: Color, faint: Color, accent: Color) -> Theme {
        let s = Style::default();
        let bold = Modifier::BOLD;
        Theme {
            base: s,
            dim: s.fg(faint),
            title: s.fg(accent).add_modifier(bold),
            border: s.fg(faint),
            border_focus: s.fg(accent),
            selected: s.add_modifier(Modifier::REVERSED),
            marked: s.fg(Color::Magenta).add_modifier(bold),
            unread: s.fg(fg).add_modifier(bold),
            urgent: s.fg(Color::Red).add_modifier(bold),
            high: s.fg(Color::Yellow),
            overdue: s.fg(Color::Red).add_modifier(bold),
            due_soon: s.fg(Color::Yellow),
            ok: s.fg(Color::Green),
            warn: s.fg(Color::Yellow),
            fail: s.fg(Color::Red).add_modifier(bold),
            inbound: s.fg(accent).add_modifier(bold),
            outbound: s.fg(Color::Green).add_modifier(bold),
            note: s.fg(Color::Magenta).add_modifier(Modifier::ITALIC),
            tag: s.fg(accent),
            key: s.fg(accent).add_modifier(bold),
            error: s.fg(Color::Red).add_modifier(bold),
            info: s.fg(Color::Green),
            tab_active: s.fg(accent).add_modifier(bold | Modifier::UNDERLINED),
            placeholder: s.fg(Color::Black).bg(Color::Yellow),
        }
    }

    fn mono() -> Theme {
        let s = Style::default();
        let bold = s.add_modifier(Modifier::BOLD);
        Theme {
            base: s,
            dim: s,
            title: bold,
            border: s,
            border_focus: bold,
            selected: s.add_modifier(Modifier::REVERSED),
            marked: bold,
            unread: bold,
            urgent: bold,
            high: s,
            overdue: bold.add_modifier(Modifier::UNDERLINED),
            due_soon: s.add_modifier(Modifier::UNDERLINED),
            ok: s,
            warn: bold,
            fail: bold.add_modifier(Modifier::UNDERLINED),
            inbound: bold,
            outbound: bold,
            note: s.add_modifier(Modifier::ITALIC),
            tag: s,
            key: bold,
            error: bold,
            info: s,
            tab_active: bold.add_modifier(Modifier::UNDERLINED),
            placeholder: s.add_modifier(Modifier::REVERSED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_over_the_configured_theme() {
        assert_eq!(ThemeKind::choose(Some("light"), Some("1")), ThemeKind::Mono);
        assert_eq!(ThemeKind::choose(Some("light"), Some("")), ThemeKind::Light);
        assert_eq!(ThemeKind::choose(None, None), ThemeKind::Dark);
    }

    #[test]
    fn mono_theme_uses_no_colour_at_all() {
        let t = Theme::new(ThemeKind::Mono);
        for style in [
            t.base,
            t.urgent,
            t.overdue,
            t.note,
            t.error,
            t.selected,
            t.placeholder,
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
    }
}
