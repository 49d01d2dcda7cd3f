//! Rendering: an [`Answer`](crate::engine::Answer) as plain text for the console and
//! `netboard ask`, as chat messages (Discord markdown within its message limit), or as JSON; and
//! the knowledge base's sources for `netboard sources`. Pure functions, golden-tested.
//!
//! Every rendering keeps one order: what was understood (with the words matched, and in a
//! follow-up what changed) → the options grouped by fit, each with its reasons → caveats with
//! their source ids → missing information → sources → the footer with the knowledge version and
//! review date.

mod chat;
mod json;
mod sources;
mod text;

pub use chat::{chat, MESSAGE_LIMIT};
pub use json::json;
pub use sources::sources;
pub use text::{plain, HELP};
