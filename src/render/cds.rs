//! CDS Hooks 2.0 cards: an answer as an EHR shows it (<https://cds-hooks.hl7.org/2.0/>).
//!
//! One `info` card per option the case makes relevant, best fit first; at most one `warning`
//! card, for the missing information that would change the options (or for a case with no
//! features at all). Each card has a `uuid`, a summary under 140 characters (the spec's limit),
//! markdown `detail` with the fit's reasons, the caveats and the evidence with their source ids,
//! and a `source.label` naming netboard and the knowledge version. The whole advice document
//! (CONTRACT.md §3) rides in one namespaced response `extension`, [`EXTENSION`].
//!
//! The spec forbids `null` and asks that optional fields without a value be left out, so nothing
//! here is ever null, an empty string or an empty array: cards are built only from what is
//! present, and the advice document in the extension is pruned of empty members (a reader treats
//! a missing list as empty).
//!
//! Card ids are name-based (UUID v5) on the hook call's `hookInstance`: unique per call and per
//! card, as the feedback endpoint needs, yet reproducible, so this rendering stays pure and
//! golden-tested like the others.

use crate::decide::{Advice, AdvisedOption};
use crate::engine::Answer;
use crate::knowledge::rules::Fit;
use crate::question::Detail;
use serde_json::{json as j, Value as Json};
use std::fmt::Write;
use uuid::Uuid;

/// The response extension that carries the whole advice document.
pub const EXTENSION: &str = "org.netboard.advice";

/// Card summaries are shorter than this many characters (the spec: "<140-character").
pub const SUMMARY_LIMIT: usize = 140;

/// The CDS Hooks response for `answer`, to the hook call `hook_instance`.
pub fn cds_response(answer: &Answer, hook_instance: Uuid) -> Json {
    let source = j!({ "label": format!(
        "netboard, knowledge {} (reviewed {})",
        answer.basis.version, answer.basis.reviewed
    ) });
    let footer = footer(answer);
    let card = |key: &str, summary: String, indicator: &str, detail: String| {
        j!({
            "uuid": Uuid::new_v5(&hook_instance, key.as_bytes()).to_string(),
            "summary": summary,
            "indicator": indicator,
            "detail": format!("{detail}\n{footer}"),
            "source": source,
        })
    };
    let mut cards = Vec::new();
    if let Some((summary, detail)) = missing(answer) {
        cards.push(card("missing", summary, "warning", detail));
    }
    for option in &answer.advice.options {
        let detail = option_detail(&answer.advice, option);
        cards.push(card(
            option.id.name(),
            option_summary(option),
            "info",
            detail,
        ));
    }
    let mut doc = super::json(answer);
    prune(&mut doc);
    j!({ "cards": cards, "extension": { EXTENSION: doc } })
}

/// "Thermal ablation: possible — few liver metastases (at most 3, …)": the option's short name,
/// so the reason gets the room.
fn option_summary(option: &AdvisedOption) -> String {
    let mut summary = format!("{}: {}", option.short, option.fit);
    if let Some(first) = option.why.first() {
        let _ = write!(summary, " — {first}");
    }
    shorten(&summary, SUMMARY_LIMIT - 1)
}

/// The option's full name, its fit and the reasons, the caveats shown for the option (whole, with
/// their sources), its evidence, and the answer's general notes.
fn option_detail(advice: &Advice, option: &AdvisedOption) -> String {
    let mut out = format!(
        "**{}** — fit for this case: **{}**\n",
        option.title, option.fit
    );
    if !option.why.is_empty() {
        out.push_str("\nWhy:\n");
        for why in &option.why {
            let _ = writeln!(out, "- {why}");
        }
    }
    let caveats: Vec<_> = advice
        .shown_caveats()
        .filter(|(o, _)| o.id == option.id)
        .collect();
    if !caveats.is_empty() {
        out.push_str("\nCaveats:\n");
        for (_, c) in caveats {
            let _ = writeln!(out, "- {}", super::cited(c, Detail::Full));
        }
    }
    let _ = writeln!(out, "\nEvidence {}", option.evidence);
    if option.fit != Fit::NotFavoured && !advice.notes.is_empty() {
        out.push_str("\nGeneral caveats:\n");
        for n in &advice.notes {
            let _ = writeln!(out, "- {}", super::cited(n, Detail::Full));
        }
    }
    out
}

/// The warning card's summary and detail: the missing information that would change the
/// options, or, for a case with no features, what to send.
fn missing(answer: &Answer) -> Option<(String, String)> {
    if answer.case.is_empty() {
        let summary = "No case features were sent: the options are generic until the case is \
                       described";
        let detail = "Send `caseFeatures` with at least the primary site, grade, liver lesions \
                      (count, largest size), disease outside the liver and SSTR imaging.\n";
        return Some((shorten(summary, SUMMARY_LIMIT - 1), detail.to_string()));
    }
    let missing = &answer.advice.missing;
    if missing.is_empty() {
        return None;
    }
    let labels: Vec<&str> = missing.iter().map(|m| m.feature.label()).collect();
    let summary = format!("Would change the options: {}", labels.join(", "));
    let mut detail = String::from("Missing information that would change the options:\n");
    for m in missing {
        let _ = writeln!(
            detail,
            "- **{}** (`{}`): {}",
            m.feature.label(),
            m.feature,
            m.why
        );
    }
    Some((shorten(&summary, SUMMARY_LIMIT - 1), detail))
}

fn footer(answer: &Answer) -> String {
    format!(
        "_Decision support for healthcare professionals; check current guidelines and your \
         tumour board. Knowledge {}, reviewed {}. Source ids: `netboard sources` or \
         GET /v1/sources._",
        answer.basis.version, answer.basis.reviewed
    )
}

/// `text` in at most `max` characters: cut at a word boundary with an ellipsis when too long.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max - 1).collect();
    let cut = head.rfind(' ').filter(|&i| i > 0).unwrap_or(head.len());
    let kept = head[..cut].trim_end_matches([' ', ',', ';', ':', '—', '-']);
    format!("{kept}…")
}

/// Removes nulls, empty strings, empty arrays and empty objects, recursively.
fn prune(value: &mut Json) {
    match value {
        Json::Array(items) => {
            items.iter_mut().for_each(prune);
            items.retain(|v| !is_empty(v));
        }
        Json::Object(map) => {
            map.values_mut().for_each(prune);
            map.retain(|_, v| !is_empty(v));
        }
        _ => {}
    }
}

fn is_empty(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_shortened_at_a_word_with_an_ellipsis() {
        let text = "Peptide receptor radionuclide therapy: possible — SSTR-positive on imaging";
        let short = shorten(text, 40);
        assert!(short.chars().count() <= 40, "{short}");
        assert_eq!(short, "Peptide receptor radionuclide therapy…");
        assert_eq!(shorten("short", 40), "short");
    }

    #[test]
    fn pruning_leaves_no_nulls_or_empties() {
        let mut doc =
            j!({"a": null, "b": "", "c": [], "d": {"e": [null, ""]}, "f": [1, {}], "g": 0});
        prune(&mut doc);
        assert_eq!(doc, j!({"f": [1], "g": 0}));
    }
}
