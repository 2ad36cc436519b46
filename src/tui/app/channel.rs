//! What the console does with the Telegram poller's news: reload when messages
//! arrived, and keep the channel's state for the status bar.

use super::App;
use crate::tui::telegram::{ChannelNews, ChannelView};

impl App {
    /// A bot is set up: the status bar follows it, starting from the last poll the
    /// database remembers (so a channel unread for a day warns at once).
    pub fn start_telegram_view(&mut self) {
        let last_poll =
            crate::telegram::channel_state(&self.store, self.config.telegram.as_ref(), self.now())
                .ok()
                .flatten()
                .and_then(|s| s.last_poll_at);
        self.telegram = Some(ChannelView {
            last_poll,
            error: None,
        });
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
