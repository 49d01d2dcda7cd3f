//! Rendering: an [`Answer`](crate::engine::Answer) as plain text for the console and `netboard ask`, or as JSON; and
//! the knowledge base's sources for `netboard sources`.
//!
//! Pure functions of the answer, golden-tested. Until the decision module lands the answer shows
//! what was understood — the intent, the options named and each feature with the words it came
//! from — and, in a follow-up, what changed.

mod json;
mod sources;
mod text;

pub use json::json;
pub use sources::sources;
pub use text::{plain, HELP};
