//! Rendering: an [`Answer`](crate::engine::Answer) as plain text for the console and
//! `netboard ask`, as chat messages (Discord markdown within its message limit), as JSON (the
//! advice document, which also reads back into a decision for remote mode), or as CDS Hooks cards
//! for EHRs; and the knowledge base's sources for `netboard sources`. Pure functions,
//! golden-tested.
//!
//! Every text rendering keeps one order: what was understood (with the words matched, and in a
//! follow-up what changed) → the options grouped by fit, each with its reasons → caveats with
//! their source ids → missing information → sources → the footer with the knowledge version and
//! review date. A quick answer (the default) names options briefly and gives each caveat as its
//! reviewed headline, to fit one screen; the full answer, on request, gives every caveat whole.

mod cds;
mod chat;
mod json;
mod sources;
mod text;

pub use cds::{cds_response, EXTENSION, SUMMARY_LIMIT};
pub use chat::{chat, MESSAGE_LIMIT};
pub use json::{decision, json, json_bytes};
pub use sources::sources;
pub use text::{no_decision, plain, HELP, NOTHING_APPLIED};

use crate::case::{Certainty, FeatureId, Finding};
use crate::decide::{AdvisedOption, Caveat};
use crate::question::Detail;
use std::fmt::Write;

/// The last line of a quick answer: how to get the rest in the same conversation.
const MORE: &str =
    "Ask \"details\" for every caveat in full, \"more on <option>\" or \"why not <option>\".";

/// An option's name: short in a quick answer, the full title otherwise.
fn name(option: &AdvisedOption, detail: Detail) -> &str {
    match detail {
        Detail::Quick => &option.short,
        Detail::Full => &option.title,
    }
}

/// A caveat as every rendering quotes it: `text [sources]` — its reviewed one-line headline in a
/// quick answer, the whole text otherwise.
fn cited(caveat: &Caveat, detail: Detail) -> String {
    let text = match detail {
        Detail::Quick => &caveat.brief,
        Detail::Full => &caveat.text,
    };
    format!("{text} [{}]", caveat.sources.join(", "))
}

/// What was understood: in a quick answer one line, the features joined by ` · `; in the full
/// answer one line each, after `bullet`. Written into one string: this runs for every answer.
fn understood_block(answer: &crate::engine::Answer, quotes: (&str, &str), bullet: &str) -> String {
    let detail = answer.question.detail;
    let mut out = String::with_capacity(64 * answer.case.len());
    for (i, (feature, finding)) in answer.case.iter().enumerate() {
        match detail {
            Detail::Quick if i > 0 => out.push_str(" · "),
            Detail::Quick => {}
            Detail::Full => out.push_str(bullet),
        }
        understood(&mut out, feature, finding, quotes, detail);
        if detail == Detail::Full {
            out.push('\n');
        }
    }
    if detail == Detail::Quick {
        out.push('\n');
    }
    out
}

/// The options whose fit a follow-up changed, as `PRRT (177Lu) possible → not favoured`.
fn fit_changes(answer: &crate::engine::Answer) -> Vec<String> {
    let fit = |f: Option<crate::knowledge::rules::Fit>| {
        f.map_or("not listed".to_string(), |f| f.to_string())
    };
    answer
        .fit_changes
        .iter()
        .map(|c| format!("{} {} → {}", c.short, fit(c.before), fit(c.after)))
        .collect()
}

/// One understood feature: `label: value`, `(possible)` when only raised, then the words it came
/// from between `quotes` — when known (a case read back from the store, or sent as a features
/// document, keeps no words) and, in a quick answer, when they say more than the value itself.
fn understood(
    out: &mut String,
    feature: FeatureId,
    finding: &Finding,
    quotes: (&str, &str),
    detail: Detail,
) {
    let _ = write!(out, "{}: ", feature.label());
    let value_at = out.len();
    let _ = write!(out, "{}", finding.value);
    let words = finding.text.as_str();
    let echo = detail == Detail::Quick && words.eq_ignore_ascii_case(&out[value_at..]);
    if finding.certainty == Certainty::Possible {
        out.push_str(" (possible)");
    }
    if !words.is_empty() && !echo {
        let _ = write!(out, " — {}{words}{}", quotes.0, quotes.1);
    }
}

/// The sources line: every id the answer cites, or in a quick answer (where each caveat carries
/// its ids) how many, and how to list them.
fn sources_line(cited: &[&str], detail: Detail) -> String {
    match detail {
        Detail::Full => format!("{} (`netboard sources` for citations)", cited.join(", ")),
        Detail::Quick => format!(
            "{} cited, ids beside each caveat; ask \"sources\" for the full list",
            cited.len()
        ),
    }
}
