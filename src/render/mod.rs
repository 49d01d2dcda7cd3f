//! Rendering: an [`Answer`](crate::engine::Answer) as plain text for the console and
//! `netboard ask`, as chat messages (Discord markdown within its message limit), as JSON (the
//! advice document, which also reads back into a decision for remote mode), or as CDS Hooks cards
//! for EHRs; and the knowledge base's sources for `netboard sources`. Pure functions,
//! golden-tested.
//!
//! Every text rendering keeps one order: what was understood (with the words matched, and in a
//! follow-up what changed) → the options grouped by fit, each with its reasons → caveats with
//! their source ids → missing information → sources → the footer with the knowledge version and
//! review date.

mod cds;
mod chat;
mod json;
mod sources;
mod text;

pub use cds::{cds_response, EXTENSION, SUMMARY_LIMIT};
pub use chat::{chat, MESSAGE_LIMIT};
pub use json::{decision, json, json_bytes};
pub use sources::sources;
pub use text::{no_decision, plain, HELP};

use crate::case::{Certainty, FeatureId, Finding};

/// One understood feature: `label: value`, `(possible)` when only raised, then the words it came
/// from between `quotes` — when known: a case read back from the store, or sent as a features
/// document, keeps no words.
fn understood(feature: FeatureId, finding: &Finding, quotes: (&str, &str)) -> String {
    let possible = match finding.certainty {
        Certainty::Possible => " (possible)",
        Certainty::Stated => "",
    };
    let mut line = format!("{}: {}{possible}", feature.label(), finding.value);
    if !finding.text.is_empty() {
        line = format!("{line} — {}{}{}", quotes.0, finding.text, quotes.1);
    }
    line
}
