//! Plain text, as a chat reply reads.

use crate::decide::{AdvisedOption, Caveat};
use crate::engine::{Answer, DecisionError};
use crate::knowledge::rules::Fit;
use crate::question::{Detail, Intent};
use std::fmt::Write;

/// What netboard can do, with example questions.
pub const HELP: &str = "\
netboard reads a metastatic NET case written as you would in chat and says what it understood.
Try, for example:
  pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?
  ileal NET, diffuse bilobar liver mets, SSTR+, progressing on octreotide
  is she a PRRT candidate? eGFR 35, plt 90
Later messages refine the same case; `reset` starts a new one.";

/// The answer to a message that says nothing about a case.
pub(super) fn nothing() -> &'static str {
    NOTHING
}

const SOURCES_WITHOUT_CASE: &str = "\
Every source netboard cites is listed, with what it supports and how sure its record is, by \
`netboard sources`. Ask about a case or an option (\"more on PRRT\") for the sources behind it.";

const NOTHING: &str = "\
I found nothing about a case in that; try the primary site and grade, the liver lesions \
(how many, largest size), disease outside the liver, and SSTR imaging, e.g. \
\"pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?\"";

/// What a front end in remote mode says when the decision service gave no answer: what happened,
/// that the message changed nothing, and that sending it again retries.
pub fn no_decision(error: &DecisionError) -> String {
    format!("No answer: {error}. {NOTHING_APPLIED}\n")
}

/// The end of [`no_decision`]'s sentence, for a front end that says what happened its own way.
pub const NOTHING_APPLIED: &str =
    "Nothing in that message was applied to the case; send it again to retry.";

/// The closing line of every answer about a case.
fn footer(answer: &Answer) -> String {
    format!(
        "Decision support for healthcare professionals; check current guidelines and your tumour \
         board. Knowledge {}, reviewed {}.",
        answer.basis.version, answer.basis.reviewed
    )
}

/// The answer as plain text.
pub fn plain(answer: &Answer) -> String {
    let mut out = String::new();
    if answer.question.intent == Intent::Help {
        out.push_str(HELP);
        out.push('\n');
        return out;
    }
    let no_case = answer.case.is_empty() && answer.question.options.is_empty();
    if no_case && answer.question.intent == Intent::Evidence {
        out.push_str(SOURCES_WITHOUT_CASE);
        out.push('\n');
        return out;
    }
    if no_case {
        out.push_str(NOTHING);
        out.push('\n');
        return out;
    }
    let _ = write!(out, "Question: {}", answer.question.intent);
    if !answer.question.options.is_empty() {
        let names: Vec<_> = answer.question.options.iter().map(|o| o.name()).collect();
        let _ = write!(out, " ({})", names.join(", "));
    }
    out.push('\n');
    if !answer.changes.is_empty() {
        out.push_str("Changed:\n");
        for c in &answer.changes {
            let _ = match &c.before {
                Some(before) => writeln!(out, "  {}: {} → {}", c.feature.label(), before, c.after),
                None => writeln!(out, "  {}: {} (new)", c.feature.label(), c.after),
            };
        }
    } else if answer.follow_up && answer.stated.is_empty() {
        out.push_str("Nothing in that changed the case.\n");
    }
    if !answer.fit_changes.is_empty() {
        out.push_str("Fit changed:\n");
        for change in super::fit_changes(answer) {
            let _ = writeln!(out, "  {change}");
        }
    }
    if answer.case.is_empty() {
        out.push_str("Understood: no case features yet.\n");
    } else {
        let block = super::understood_block(answer, ("\"", "\""), "  ");
        match answer.question.detail {
            Detail::Quick => out.push_str("Understood: "),
            Detail::Full => out.push_str("Understood:\n"),
        }
        out.push_str(&block);
    }
    advice(&mut out, answer);
    out.push_str(&footer(answer));
    out.push('\n');
    out
}

/// The decision: the asked options first for eligibility, comparison, toxicity and evidence
/// questions; then every option grouped by fit with its reasons; caveats with their sources;
/// missing information; the sources cited.
fn advice(out: &mut String, answer: &Answer) {
    let advice = &answer.advice;
    let focus = answer.question.intent.is_about_named_options();
    if focus && !advice.asked.is_empty() {
        let _ = writeln!(out, "Asked about:");
        for b in &advice.asked {
            let fit = b
                .fit
                .map_or("not assessed for this case".to_string(), |f| f.to_string());
            let _ = writeln!(out, "  {} [{}]: {}", b.title, fit, b.what);
            let advised = advice.options.iter().find(|o| o.id == b.id);
            if let Some(o) = advised.filter(|o| !o.why.is_empty()) {
                let _ = writeln!(out, "    why, for this case: {}", o.why.join("; "));
            }
            match answer.question.intent {
                Intent::Toxicity => b.caveats.iter().for_each(|c| caveat_line(out, "    ", c)),
                Intent::Evidence | Intent::Compare => {
                    let _ = writeln!(out, "    evidence {}", b.evidence);
                    if answer.question.intent == Intent::Evidence {
                        b.caveats.iter().for_each(|c| caveat_line(out, "    ", c));
                    }
                }
                _ => {}
            }
        }
    }
    let detail = answer.question.detail;
    if !advice.options.is_empty() {
        out.push_str("Options (best fit first):\n");
        for fit in [Fit::Favoured, Fit::Possible, Fit::Caution, Fit::NotFavoured] {
            let group: Vec<_> = advice.options.iter().filter(|o| o.fit == fit).collect();
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {}:", capitalised(&fit.to_string()));
            group.into_iter().for_each(|o| option_line(out, o, detail));
        }
    }
    // A quick answer gives each caveat's reviewed headline, never a cut-off text: cutting can drop
    // exactly the qualification that matters. The full answer gives them whole.
    let caveats: Vec<_> = advice.shown_caveats().collect();
    if !caveats.is_empty() && answer.question.intent != Intent::Toxicity {
        out.push_str("Caveats:\n");
        for (o, c) in caveats {
            let _ = writeln!(
                out,
                "  - {}: {}",
                super::name(o, detail),
                super::cited(c, detail)
            );
        }
    }
    for note in &advice.notes {
        let _ = writeln!(out, "Note: {}", super::cited(note, detail));
    }
    if !advice.missing.is_empty() {
        out.push_str("Would change the answer:\n");
        for m in &advice.missing {
            let _ = writeln!(out, "  - {}: {}", m.feature.label(), m.why);
        }
    }
    let cited = advice.cited_sources();
    if !cited.is_empty() {
        let _ = writeln!(out, "Sources: {}", super::sources_line(&cited, detail));
    }
    if detail == Detail::Quick && !advice.options.is_empty() {
        let _ = writeln!(out, "{}", super::MORE);
    }
}

fn option_line(out: &mut String, o: &AdvisedOption, detail: Detail) {
    let why = if o.why.is_empty() {
        String::new()
    } else {
        format!(" — {}", o.why.join("; "))
    };
    match detail {
        Detail::Quick => writeln!(out, "    {}{why}", o.short),
        Detail::Full => writeln!(out, "    {} [{}]{why}", o.title, o.fit),
    }
    .unwrap_or(());
}

fn caveat_line(out: &mut String, indent: &str, c: &Caveat) {
    let _ = writeln!(out, "{indent}caveat: {}", super::cited(c, Detail::Full));
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
