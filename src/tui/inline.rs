//! A console whose runner is the calling thread: tests, screenshots and the
//! examples in docs drive it without threads. `App` holds no store; here the
//! store sits beside it, and every command `update` returns is run on it by the
//! same [`runner::execute`] the runner thread uses, in the same order (first
//! asked, first run; commands an answer asks for go after those already queued),
//! with its answer handed back to `update` until none is left. What a test sees
//! after [`Console::handle`] or [`Console::settle`] is what the real console shows
//! once its runner has caught up.
//!
//! `Console` dereferences to its `App`, so a test reads `console.inbox` or calls
//! `console.reload()` as it would on the app; a call made that way only queues
//! its commands, and [`Console::settle`] runs them.

use std::collections::VecDeque;

use super::app::App;
use super::error::ConsoleError;
use super::msg::Msg;
use super::runner::{self, Command, Ledger};
use super::update::update;
use crate::config::Config;
use crate::store::Store;

/// An `App` and the store its commands run on.
pub struct Console {
    pub app: App,
    /// The runner's connection: tests set up and check data through it.
    pub store: Store,
    ledger: Ledger,
}

impl Console {
    /// Builds the console on `store` and runs its first look and load.
    pub fn new(mut store: Store, config: Config) -> Result<Console, ConsoleError> {
        let app = App::new(&mut store, config)?;
        runner::prepare(&mut store, &app.config);
        let mut console = Console {
            app,
            store,
            ledger: Ledger::default(),
        };
        console.settle();
        Ok(console)
    }

    /// Hands `msg` to `update` and runs what it asks for, to the end.
    pub fn handle(&mut self, msg: Msg) {
        let commands = update(&mut self.app, msg);
        self.run(commands);
    }

    /// Runs the commands the app has queued (a method called on it directly) and
    /// those their answers ask for, to the end.
    pub fn settle(&mut self) {
        let commands = self.app.take_commands();
        self.run(commands);
    }

    fn run(&mut self, commands: Vec<Command>) {
        let mut queue: VecDeque<Command> = commands.into();
        while let Some(command) = queue.pop_front() {
            let done =
                runner::execute(&mut self.store, &self.app.config, &mut self.ledger, command);
            queue.extend(update(&mut self.app, Msg::Done(done)));
        }
    }
}

impl std::ops::Deref for Console {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl std::ops::DerefMut for Console {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}
