//! The report screen's state: the owner's report (`crate::report`) for the last
//! 7, 30 or 90 days. It is computed once when the screen opens or the period
//! changes — never per frame — because on a big queue reading every thread of the
//! period takes a while.

use chrono::Duration;

use super::App;
use crate::report::Report;
use crate::tui::error::ConsoleError;

/// What the report screen shows; held boxed in `Popup::Report` because a report is
/// far larger than the other popups.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportScreen {
    /// The period in days, ending now.
    pub days: u32,
    /// The figures, as `firstline report --since {days}d` computes them.
    pub report: Report,
    /// How many welcome (demo) tickets the figures leave out: on a first run they
    /// are all there is, and a report of zeros must say why.
    pub welcome_left_out: usize,
}

impl ReportScreen {
    /// The period the screen opens on, as `firstline report` defaults to 30d.
    pub const DEFAULT_DAYS: u32 = 30;
}

impl App {
    /// Computes the report over the last `days` days (on the runner, the status
    /// bar saying so meanwhile) and shows it full-screen. On a
    /// store error the screen (if open) keeps its previous figures.
    pub fn open_report(&mut self, days: u32) -> Result<(), ConsoleError> {
        let until = self.now();
        let since = until - Duration::days(i64::from(days));
        self.report_asked = Some(days);
        self.info(super::commands::COMPUTING);
        self.run(crate::tui::runner::Command::Report { days, since, until })
    }
}
