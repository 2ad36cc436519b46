//! The terminal itself: entering and leaving raw mode and the alternate screen,
//! suspending to the shell on Ctrl-Z, and lending the terminal to `$VISUAL` /
//! `$EDITOR`. `ratatui::init()` installs a panic hook that restores the terminal, so
//! a crash never leaves the user's shell in raw mode; it is called once.

use std::io::{self, Write};
use std::path::Path;
use std::process::Command;

use ratatui::crossterm::{event, execute, terminal};
use ratatui::DefaultTerminal;

/// Errors from lending the terminal out, with what to do about them.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("the console needs a terminal; for scripts use subcommands such as `firstline list` (see --help)")]
    NotATerminal,
    #[error("terminal: {0}")]
    Io(#[from] io::Error),
    #[error("could not start the editor '{command}': {source}; set $VISUAL or $EDITOR")]
    Editor { command: String, source: io::Error },
    #[error("the editor '{0}' exited with an error; the draft was left as it was")]
    EditorFailed(String),
}

/// Whether to ask the terminal for mouse events (click to select, wheel to
/// scroll). Capturing the mouse takes plain text selection away from the terminal
/// (Shift-drag still selects in most), so `FIRSTLINE_NO_MOUSE=1` turns it off.
pub fn mouse_wanted() -> bool {
    std::env::var_os("FIRSTLINE_NO_MOUSE").is_none_or(|v| v.is_empty() || v == "0")
}

/// Takes over the terminal (raw mode, alternate screen, mouse) and makes sure a
/// panic gives it back: ratatui's hook restores the screen, ours releases the mouse.
pub fn init() -> Result<DefaultTerminal, TerminalError> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(TerminalError::NotATerminal);
    }
    let term = ratatui::try_init()?;
    if mouse_wanted() {
        let _ = execute!(io::stdout(), event::EnableMouseCapture);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(io::stdout(), event::DisableMouseCapture);
            previous(info);
        }));
    }
    Ok(term)
}

/// Gives the terminal back exactly as it was.
pub fn restore() {
    if mouse_wanted() {
        let _ = execute!(io::stdout(), event::DisableMouseCapture);
    }
    ratatui::restore();
}

fn leave() -> io::Result<()> {
    if mouse_wanted() {
        execute!(io::stdout(), event::DisableMouseCapture)?;
    }
    terminal::disable_raw_mode()?;
    execute!(io::stdout(), terminal::LeaveAlternateScreen)?;
    io::stdout().flush()
}

/// Takes the terminal back and forces a full redraw. `resize` to the same size
/// clears without asking the terminal where its cursor is (`Terminal::clear` does,
/// and a terminal that never answers would stall the console).
fn enter(term: &mut DefaultTerminal) -> io::Result<()> {
    execute!(io::stdout(), terminal::EnterAlternateScreen)?;
    terminal::enable_raw_mode()?;
    if mouse_wanted() {
        execute!(io::stdout(), event::EnableMouseCapture)?;
    }
    let size = term.size()?;
    term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

/// Ctrl-Z: restores the shell's terminal, stops the process like any job, and
/// takes the terminal back when the shell resumes it with `fg`.
pub fn suspend(term: &mut DefaultTerminal) -> Result<(), TerminalError> {
    leave()?;
    #[cfg(unix)]
    {
        // SAFETY: raise() only sends a signal to this process; the default SIGTSTP
        // action stops it and returns after SIGCONT.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
    }
    enter(term)?;
    Ok(())
}

/// The editor command: `$VISUAL`, then `$EDITOR`, then `vi`.
pub fn editor_command() -> String {
    std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string())
}

/// Opens `text` in the user's editor and returns what they saved. The terminal is
/// handed over for the duration and taken back even if the editor fails.
pub fn edit_in_editor(term: &mut DefaultTerminal, text: &str) -> Result<String, TerminalError> {
    let mut file = tempfile::Builder::new()
        .prefix("firstline-draft-")
        .suffix(".txt")
        .tempfile()?;
    file.write_all(as_text_file(text).as_bytes())?;
    file.flush()?;
    let command = editor_command();
    leave()?;
    let status = run_editor(&command, file.path());
    enter(term)?;
    let status = status.map_err(|source| TerminalError::Editor {
        command: command.clone(),
        source,
    })?;
    if !status.success() {
        return Err(TerminalError::EditorFailed(command));
    }
    Ok(std::fs::read_to_string(file.path())?)
}

/// The draft as a text file: every line ends with a newline, as POSIX text files
/// do. Without the last one, vi shows "[noeol]" and tools appending a line glue it
/// onto the draft's last line. The newline is trimmed again when the text comes back.
fn as_text_file(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

fn run_editor(command: &str, path: &Path) -> io::Result<std::process::ExitStatus> {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or("vi");
    Command::new(program).args(words).arg(path).status()
}
