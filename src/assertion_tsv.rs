//! `netboard assertion --tsv FILE`: the assertion step alone, over an annotated TSV.
//!
//! The input's header names at least `concept` and `sentence`; each row's concept is found in its
//! sentence (letter case ignored) and the step decides its flags. The output is a header line,
//! then `row negated possible historical hypothetical other` per row (CONTRACT.md §1), which is
//! how the step is measured against public annotated sets.

use crate::extract::assertion::ContextRules;
use crate::extract::patterns::Folded;
use std::io::{self, BufRead, Write};
use std::ops::Range;

/// Reads the TSV from `input` and writes one line of flags per row to `output`.
pub fn run(rules: &ContextRules, input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let mut lines = input.lines();
    let header = lines.next().transpose()?.unwrap_or_default();
    let columns: Vec<&str> = header.split('\t').map(str::trim).collect();
    let column = |name: &str| {
        columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the header has no `{name}` column; it needs `concept` and `sentence`"),
                )
            })
    };
    let (concept_at, sentence_at) = (column("concept")?, column("sentence")?);
    writeln!(
        output,
        "row\tnegated\tpossible\thistorical\thypothetical\tother"
    )?;
    for (i, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(unquote).collect();
        let concept = fields.get(concept_at).copied().unwrap_or_default();
        let sentence = fields.get(sentence_at).copied().unwrap_or_default();
        let a = locate(sentence, concept)
            .and_then(|span| rules.assess(&Folded::new(sentence), &[span]).pop())
            .unwrap_or_default();
        let flag = |b: bool| if b { '1' } else { '0' };
        writeln!(
            output,
            "{}\t{}\t{}\t{}\t{}\t{}",
            i + 1,
            flag(a.negated),
            flag(a.possible),
            flag(a.historical),
            flag(a.hypothetical),
            flag(a.other)
        )?;
    }
    output.flush()
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(f)
}

/// Where `concept` stands in `sentence`, ignoring ASCII letter case.
pub fn locate(sentence: &str, concept: &str) -> Option<Range<usize>> {
    let concept = concept.trim();
    if concept.is_empty() {
        return None;
    }
    let hay = sentence.to_ascii_lowercase();
    let needle = concept.to_ascii_lowercase();
    hay.find(&needle).map(|start| start..start + needle.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concepts_are_found_whatever_their_case() {
        assert_eq!(locate("No wheezes or RALES.", "rales"), Some(14..19));
        assert_eq!(locate("nothing here", "rales"), None);
        assert_eq!(locate("x", " "), None);
    }
}
