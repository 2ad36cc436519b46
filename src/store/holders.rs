//! Who is writing a draft: a holder id per console. An id is
//! `"<pid>:<start nanoseconds>"`: the process id says whether the holder still runs (a
//! console killed with `kill -9` never released its drafts), the start time tells two
//! consoles of one process apart (tests build several). Backend-neutral: every backend
//! stores the id as an opaque string and asks [`holder_is_running`] about it.

use chrono::Utc;

/// A new holder id for one console (see the module notes for its shape).
pub fn new_holder_id() -> String {
    let started = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("{}:{started}", std::process::id())
}

/// Whether a reply recorded by `holder` (a console, or `None` for the command line)
/// with `reply` as its text takes away the ticket's draft (`owner`, `draft`): only a
/// reply written from it — by the console holding it, or with the draft's words in it
/// ("save as draft, edit, send"). Another running console's draft is never taken; and
/// a reply in other words (`firstline reply 5 --body …` beside a draft kept when a
/// console quit) keeps it, as README promises a draft is never lost to a reply sent
/// elsewhere. Both backends decide by this.
pub(crate) fn reply_takes_the_draft(
    owner: Option<&str>,
    draft: &str,
    holder: Option<&str>,
    reply: &str,
) -> bool {
    if let Some(owner) = owner {
        if Some(owner) == holder {
            return true;
        }
        if holder_is_running(owner) {
            return false;
        }
    }
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let draft = words(draft);
    draft.is_empty() || words(reply).contains(&draft)
}

/// Whether the console that wrote `owner` may still be running. Another console of
/// this very process counts as running; so does any id that cannot be read, so an
/// unknown holder is never overridden silently.
pub fn holder_is_running(owner: &str) -> bool {
    let Some(pid) = owner
        .split_once(':')
        .and_then(|(pid, _)| pid.parse::<u32>().ok())
    else {
        return true;
    };
    if pid == std::process::id() {
        return true;
    }
    process_exists(pid)
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}
