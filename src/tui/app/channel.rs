//! What the console does with the Telegram poller's news: reload when messages
//! arrived, and keep the channel's state for the status bar.

use super::App;
use crate::tui::telegram::{ChannelNews, ChannelView};

impl App {
    /// A bot is set up: the status bar follows it, starting from the last poll the
    /// database remembers (asked of the runner), so a channel unread for a day warns
    /// as soon as the answer comes.
    pub fn start_telegram_view(&mut self) {
        self.telegram = Some(ChannelView {
            last_poll: None,
            error: None,
        });
        let now = self.now();
        if let Err(e) = self.run_unseen(crate::tui::runner::Command::TelegramLastPoll { now }) {
            self.store_error(e);
        }
    }

    /// The last poll the database remembers, unless the poller reported since.
    pub(super) fn telegram_last_poll(
        &mut self,
        result: Result<Option<chrono::DateTime<chrono::Utc>>, crate::store::StoreError>,
    ) {
        if let (Some(view), Ok(Some(at))) = (self.telegram.as_mut(), result) {
            view.last_poll = Some(view.last_poll.map_or(at, |seen| seen.max(at)));
        }
    }

    /// One round of the poller.
    pub fn telegram_news(&mut self, news: ChannelNews) {
        let now = chrono::Utc::now();
        let view = self.telegram.get_or_insert_with(ChannelView::default);
        match news {
            ChannelNews::Fetched(summary) => {
                view.last_poll = Some(now);
                view.error = None;
                let changed = summary.added + summary.edited;
                if changed > 0 {
                    if let Err(e) = self.reload() {
                        self.store_error(e);
                    }
                    self.info(format!(
                        "{changed} new Telegram message{}",
                        if changed == 1 { "" } else { "s" }
                    ));
                }
                if let Some(p) = summary.problems.first() {
                    self.error(format!("Telegram: {p}"));
                }
            }
            ChannelNews::Failed { short, full } => {
                let first = view.error.as_deref() != Some(short.as_str());
                view.error = Some(short);
                if first {
                    self.error(full);
                }
            }
        }
    }
}
