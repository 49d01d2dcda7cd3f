//! The chat rendering: the answer as Discord markdown, split into messages of at most 2,000
//! characters at section boundaries (Discord's message limit).
//!
//! Sections are packed greedily into messages; a section longer than a message is split at line
//! ends, and a line longer than a message at a character boundary, so nothing is ever lost or
//! cut inside a character. The Discord front end sends the messages as they are.

use super::text::{nothing, HELP};
use crate::decide::AdvisedOption;
use crate::engine::Answer;
use crate::knowledge::rules::Fit;
use crate::question::{Detail, Intent};
use std::fmt::Write;

/// Discord's limit on one message, in characters.
pub const MESSAGE_LIMIT: usize = 2000;

/// The answer as chat messages, each at most [`MESSAGE_LIMIT`] characters.
pub fn chat(answer: &Answer) -> Vec<String> {
    pack(&sections(answer), MESSAGE_LIMIT)
}

fn sections(answer: &Answer) -> Vec<String> {
    if answer.question.intent == Intent::Help {
        return vec![HELP.to_string()];
    }
    if answer.case.is_empty() && answer.question.options.is_empty() {
        return vec![nothing().to_string()];
    }
    let mut out = Vec::new();
    let mut understood = String::from("**Understood**\n");
    if !answer.changes.is_empty() {
        let changed: Vec<String> = answer
            .changes
            .iter()
            .map(|c| match &c.before {
                Some(before) => format!("{} {} → {}", c.feature.label(), before, c.after),
                None => format!("{} {}", c.feature.label(), c.after),
            })
            .collect();
        let _ = writeln!(understood, "Changed: {}", changed.join("; "));
    }
    if !answer.fit_changes.is_empty() {
        let changed = super::fit_changes(answer).join("; ");
        let _ = writeln!(understood, "Fit changed: {changed}");
    }
    understood.push_str(&super::understood_block(answer, ("“", "”"), "• "));
    let detail = answer.question.detail;
    out.push(understood);
    let advice = &answer.advice;
    let focus = answer.question.intent.is_about_named_options();
    if focus && !advice.asked.is_empty() {
        let mut asked = String::from("**Asked about**\n");
        for b in &advice.asked {
            let fit = b
                .fit
                .map_or("not assessed for this case".to_string(), |f| f.to_string());
            let _ = writeln!(asked, "• **{}** ({fit}): {}", b.title, b.what);
            if answer.question.intent == Intent::Toxicity {
                for c in &b.caveats {
                    let _ = writeln!(asked, "  – {}", super::cited(c, Detail::Full));
                }
            } else {
                let _ = writeln!(asked, "  – evidence {}", b.evidence);
            }
        }
        out.push(asked);
    }
    if !advice.options.is_empty() {
        let mut options = String::from("**Options** (best fit first)\n");
        for fit in [Fit::Favoured, Fit::Possible, Fit::Caution, Fit::NotFavoured] {
            for o in advice.options.iter().filter(|o| o.fit == fit) {
                option_line(&mut options, o, detail);
            }
        }
        out.push(options);
    }
    let caveats: Vec<_> = advice.shown_caveats().collect();
    if !caveats.is_empty() || !advice.notes.is_empty() {
        let mut text = String::from("**Caveats**\n");
        for (o, c) in caveats {
            let _ = writeln!(
                text,
                "• *{}*: {}",
                super::name(o, detail),
                super::cited(c, detail)
            );
        }
        for n in &advice.notes {
            let _ = writeln!(text, "• {}", super::cited(n, detail));
        }
        out.push(text);
    }
    let mut closing = String::new();
    if !advice.missing.is_empty() {
        closing.push_str("**Would change the answer**\n");
        for m in &advice.missing {
            let _ = writeln!(closing, "• {}: {}", m.feature.label(), m.why);
        }
    }
    let cited = advice.cited_sources();
    if !cited.is_empty() {
        let _ = writeln!(
            closing,
            "**Sources** {}",
            super::sources_line(&cited, detail)
        );
    }
    if detail == Detail::Quick && !advice.options.is_empty() {
        let _ = writeln!(closing, "{}", super::MORE);
    }
    let _ = writeln!(
        closing,
        "_Decision support for healthcare professionals; check current guidelines and your tumour \
         board. Knowledge {}, reviewed {}. Post no patient identifiers._",
        answer.basis.version, answer.basis.reviewed
    );
    out.push(closing);
    out
}

fn option_line(out: &mut String, o: &AdvisedOption, detail: Detail) {
    let mark = match o.fit {
        Fit::Favoured => "✅",
        Fit::Possible => "🔹",
        Fit::Caution => "⚠️",
        Fit::NotFavoured => "⛔",
    };
    let why = if o.why.is_empty() {
        String::new()
    } else {
        format!(" — {}", o.why.join("; "))
    };
    let _ = writeln!(
        out,
        "{mark} **{}** ({}){why}",
        super::name(o, detail),
        o.fit
    );
}

/// Packs sections into messages of at most `limit` characters, splitting oversized sections at
/// line ends and oversized lines at character boundaries.
fn pack(sections: &[String], limit: usize) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for section in sections {
        if section.chars().count() <= limit {
            pieces.push(section.clone());
            continue;
        }
        for line in section.split_inclusive('\n') {
            let chars: Vec<char> = line.chars().collect();
            pieces.extend(chars.chunks(limit).map(|c| c.iter().collect::<String>()));
        }
    }
    let mut messages: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in pieces {
        let joined =
            current.chars().count() + piece.chars().count() + usize::from(!current.is_empty());
        if !current.is_empty() && joined > limit {
            messages.push(std::mem::take(&mut current).trim_end().to_string());
        }
        if !current.is_empty() && !current.ends_with('\n') {
            current.push('\n');
        }
        current.push_str(&piece);
    }
    if !current.trim().is_empty() {
        messages.push(current.trim_end().to_string());
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_pack_into_messages_within_the_limit() {
        let sections = vec!["a".repeat(50), "b".repeat(60), "c".repeat(30)];
        let messages = pack(&sections, 100);
        assert_eq!(messages.len(), 2);
        assert!(messages.iter().all(|m| m.chars().count() <= 100));
        assert!(messages[0].starts_with('a') && messages[1].starts_with('b'));
    }

    #[test]
    fn an_oversized_section_splits_at_lines_and_characters_without_loss() {
        let line = "é".repeat(150);
        let section = format!("{line}\nshort\n");
        let messages = pack(&[section], 100);
        assert!(
            messages.iter().all(|m| m.chars().count() <= 100),
            "{messages:?}"
        );
        let total: usize = messages.iter().map(|m| m.matches('é').count()).sum();
        assert_eq!(total, 150, "no character is lost");
        assert!(messages.last().unwrap().contains("short"));
    }
}
