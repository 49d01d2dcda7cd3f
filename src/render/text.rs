//! Plain text, as a chat reply reads.

use crate::case::Certainty;
use crate::engine::Answer;
use crate::question::Intent;
use std::fmt::Write;

/// What netboard can do, with example questions.
pub const HELP: &str = "\
netboard reads a metastatic NET case written as you would in chat and says what it understood.
Try, for example:
  pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?
  ileal NET, diffuse bilobar liver mets, SSTR+, progressing on octreotide
  is she a PRRT candidate? eGFR 35, plt 90
Later messages refine the same case; `reset` starts a new one.";

const NOTHING: &str = "\
I found nothing about a case in that; try the primary site and grade, the liver lesions \
(how many, largest size), disease outside the liver, and SSTR imaging, e.g. \
\"pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?\"";

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
    if answer.case.is_empty() && answer.question.options.is_empty() {
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
    if answer.case.is_empty() {
        out.push_str("Understood: no case features yet.\n");
    } else {
        out.push_str("Understood:\n");
        for (feature, finding) in answer.case.iter() {
            let possible = if finding.certainty == Certainty::Possible {
                " (possible)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {}: {}{} — \"{}\"",
                feature.label(),
                finding.value,
                possible,
                finding.text
            );
        }
    }
    out.push_str(&footer(answer));
    out.push('\n');
    out
}
