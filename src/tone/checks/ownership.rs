//! Commandment 3, the client's problem is our problem. Deflection and passive blame
//! are word rules; ownership language ("I'll fix", "ми перевіримо") counts in the
//! reply's favour: passive blame next to it is only a hint.

use super::{Facts, Sink};
use crate::tone::Severity;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    if f.owns_it() {
        sink.soften("ownership.passive-blame", Severity::Hint);
    }
}
