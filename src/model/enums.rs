//! The small closed sets of the domain (status, priority, channel, direction, language,
//! formality), with the names used on the CLI, in JSON and in the database.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A name that is not one of an enum's values; the message lists what would be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{given}'; expected one of: {expected}")]
pub struct ParseEnumError {
    pub kind: &'static str,
    pub given: String,
    pub expected: String,
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable name used on the CLI, in JSON and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let lower = s.trim().to_lowercase().replace('_', "-");
                match lower.as_str() {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    _ => Err(ParseEnumError {
                        kind: $kind,
                        given: s.to_string(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

named_enum!(
    /// Where a ticket is in its life. Only `New`, `Open` and `OnHold` can need a reply;
    /// `Pending` waits on the customer and pauses the clocks.
    Status, "status", {
    #[default]
    New => "new",
    Open => "open",
    Pending => "pending",
    OnHold => "on-hold" | "onhold" | "hold",
    Solved => "solved" | "resolved",
    Closed => "closed",
    Spam => "spam",
});

named_enum!(
    /// How soon a ticket must be answered; SLA targets hang off this.
    Priority, "priority", {
    Low => "low",
    #[default]
    Normal => "normal",
    High => "high",
    Urgent => "urgent",
});

named_enum!(
    /// How the customer reached us. Replies go back the same way.
    Channel, "channel", {
    #[default]
    Email => "email" | "mail",
    Phone => "phone" | "call",
    Web => "web" | "form",
    Chat => "chat" | "telegram" | "whatsapp" | "skype",
    Other => "other",
});

named_enum!(
    /// Who a message is from: the customer, us, or us to ourselves.
    Direction, "direction", {
    #[default]
    Inbound => "inbound" | "in",
    Outbound => "outbound" | "out",
    Note => "note",
});

named_enum!(
    /// The language a customer writes in. Tone rules and canned replies exist for the
    /// three the product supports; anything else is `Other`.
    Language, "language", {
    En => "en" | "english",
    Uk => "uk" | "ukrainian",
    Ru => "ru" | "russian",
    #[default]
    Other => "other" | "unknown",
});

named_enum!(
    /// The "you" a customer uses (Ви/Вы versus ти/ты). Answering a formal customer
    /// informally, or the reverse, is the mismatch the tone checker catches.
    Formality, "formality", {
    Formal => "formal",
    Informal => "informal",
    #[default]
    Unknown => "unknown",
});

impl Status {
    /// Live tickets: the ones that can be waiting on us. The one place this set is
    /// written; the store builds its SQL from it (`store::status_list`).
    pub const ACTIVE: &'static [Status] = &[Status::New, Status::Open, Status::OnHold];
    /// Not done yet: the live ones and those pending the customer, the backlog.
    pub const UNRESOLVED: &'static [Status] =
        &[Status::New, Status::Open, Status::Pending, Status::OnHold];
    /// Done, for reports and resolution times.
    pub const RESOLVED: &'static [Status] = &[Status::Solved, Status::Closed];

    /// Live tickets: the ones that can be waiting on us.
    pub fn is_active(self) -> bool {
        Status::ACTIVE.contains(&self)
    }
    /// Not done yet (see [`Status::UNRESOLVED`]).
    pub fn is_unresolved(self) -> bool {
        Status::UNRESOLVED.contains(&self)
    }
    /// Tickets that count as done for reports and resolution times.
    pub fn is_resolved(self) -> bool {
        Status::RESOLVED.contains(&self)
    }
    /// Statuses that end the customer's wait for a reply: a solved, closed or spam
    /// ticket owes nobody an answer, so its "waiting since" is cleared, never kept.
    pub fn ends_the_wait(self) -> bool {
        self.is_resolved() || self == Status::Spam
    }

    /// The status of ticket `self` after `other` is merged into it, when the merged
    /// thread holds a delivered reply of ours (`answered`) or not: work not done yet
    /// beats done (an open question merged into a solved ticket must not vanish with
    /// it), anything beats spam, and a thread we have answered is no longer "new"
    /// (what sending a reply does to a new ticket). Both store backends merge by it.
    pub fn merged_with(self, other: Status, answered: bool) -> Status {
        let rank = |s: Status| {
            if s.is_unresolved() {
                2
            } else if s == Status::Spam {
                0
            } else {
                1
            }
        };
        let mut status = if rank(other) > rank(self) {
            other
        } else {
            self
        };
        // A new ticket merged with one already in hand takes its progress.
        if status == Status::New && other.is_unresolved() && other != Status::New {
            status = other;
        }
        if status == Status::New && answered {
            Status::Open
        } else {
            status
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases_case_insensitively() {
        assert_eq!("On-Hold".parse::<Status>(), Ok(Status::OnHold));
        assert_eq!("on_hold".parse::<Status>(), Ok(Status::OnHold));
        assert_eq!("telegram".parse::<Channel>(), Ok(Channel::Chat));
        assert_eq!("URGENT".parse::<Priority>(), Ok(Priority::Urgent));
    }

    #[test]
    fn unknown_name_lists_the_choices() {
        let err = "soon".parse::<Priority>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown priority 'soon'; expected one of: low, normal, high, urgent"
        );
    }

    #[test]
    fn display_round_trips_through_from_str() {
        for s in Status::ALL {
            assert_eq!(s.to_string().parse::<Status>(), Ok(*s));
        }
        for l in Language::ALL {
            assert_eq!(l.to_string().parse::<Language>(), Ok(*l));
        }
    }

    #[test]
    fn serde_uses_the_same_names() {
        assert_eq!(
            serde_json::to_string(&Status::OnHold).unwrap(),
            "\"on-hold\""
        );
        assert_eq!(
            serde_json::from_str::<Formality>("\"formal\"").unwrap(),
            Formality::Formal
        );
    }
}
