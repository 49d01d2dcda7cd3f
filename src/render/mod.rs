//! Rendering: an [`Answer`] as plain text for the console and `netboard ask`, or as JSON.
//!
//! Pure functions of the answer, golden-tested. Until the decision module lands the answer shows
//! what was understood — the intent, the options named and each feature with the words it came
//! from — and, in a follow-up, what changed.

mod json;
mod text;

pub use json::json;
pub use text::{plain, HELP};
