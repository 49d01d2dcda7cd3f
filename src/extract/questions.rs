//! Question patterns: the intent of a message and the treatment options it names.
//!
//! `[[question]]` entries map words to an intent; the first entry (in file-name order, then file
//! order) that matches wins, and a message that matches none asks for `options`. `[[option]]`
//! entries map names and abbreviations to option ids ("Y90", "SIRT", "TARE" →
//! `radioembolization`), so "bland vs Y90?" is a comparison of two named options.

use super::intents::{entry_fault, Located};
use super::patterns::{check_pattern, Folded, PatternSet};
use crate::load::{examples_present, Faults};
use crate::question::{Detail, Intent, OptionId, Question};
use serde::Deserialize;
use std::ops::Range;

/// An intent pattern as written in an intents file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    pub id: String,
    pub intent: String,
    pub regex: String,
    /// The asker wants the full answer: every caveat whole.
    #[serde(default)]
    pub full: bool,
    #[serde(rename = "match")]
    pub must_match: Vec<String>,
    pub no_match: Vec<String>,
    pub rationale: String,
}

/// An option-name pattern as written in an intents file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    pub option: String,
    pub regex: String,
    #[serde(rename = "match")]
    pub must_match: Vec<String>,
    pub no_match: Vec<String>,
}

/// The compiled question and option patterns.
pub struct QuestionPatterns {
    intent_set: PatternSet,
    intents: Vec<(Intent, Detail)>,
    option_set: PatternSet,
    options: Vec<OptionId>,
}

impl QuestionPatterns {
    pub fn compile(
        questions: &[Located<RawQuestion>],
        options: &[Located<RawOption>],
    ) -> Result<QuestionPatterns, Faults> {
        let mut faults = Faults::default();
        let mut intents = Vec::new();
        let mut kept_questions = Vec::new();
        for (file, span, q) in questions {
            let mut problems = Vec::new();
            let intent = Intent::from_name(&q.intent);
            if intent.is_none() {
                let all: Vec<_> = Intent::ALL.iter().map(|i| i.name()).collect();
                problems.push(format!(
                    "unknown intent `{}`; expected one of {}",
                    q.intent,
                    all.join(", ")
                ));
            }
            if q.rationale.trim().is_empty() {
                problems.push("needs a rationale".into());
            }
            problems.extend(examples_present(&q.must_match, &q.no_match));
            let checked = check_pattern(&q.regex).map_err(|e| problems.push(e)).ok();
            match (intent, checked) {
                (Some(intent), Some(checked)) if problems.is_empty() => {
                    let detail = if q.full { Detail::Full } else { Detail::Quick };
                    intents.push((intent, detail));
                    kept_questions.push((file, span, q, checked));
                }
                _ => problems.into_iter().for_each(|p| {
                    faults.push(entry_fault(file, span, "question pattern", &q.id, p))
                }),
            }
        }
        let mut ids = Vec::new();
        let mut kept_options = Vec::new();
        for (file, span, o) in options {
            let mut problems = Vec::new();
            let id = OptionId::from_name(&o.option);
            if id.is_none() {
                problems.push("unknown option id; see CONTRACT.md §3".to_string());
            }
            problems.extend(examples_present(&o.must_match, &o.no_match));
            let checked = check_pattern(&o.regex).map_err(|e| problems.push(e)).ok();
            match (id, checked) {
                (Some(id), Some(checked)) if problems.is_empty() => {
                    ids.push(id);
                    kept_options.push((file, span, o, checked));
                }
                _ => problems.into_iter().for_each(|p| {
                    faults.push(entry_fault(file, span, "option pattern", &o.option, p))
                }),
            }
        }
        let intent_set = {
            let sources = kept_questions
                .iter()
                .map(|(_, _, _, c)| c.clone())
                .collect();
            let examples: Vec<_> = kept_questions
                .iter()
                .map(|(_, _, q, _)| (&q.must_match[..], &q.no_match[..]))
                .collect();
            PatternSet::with_examples(sources, &examples, |i, m| {
                let (file, span, q, _) = &kept_questions[i.unwrap_or(0)];
                faults.push(entry_fault(file, span, "question pattern", &q.id, m));
            })
        };
        let option_set = {
            let sources = kept_options.iter().map(|(_, _, _, c)| c.clone()).collect();
            let examples: Vec<_> = kept_options
                .iter()
                .map(|(_, _, o, _)| (&o.must_match[..], &o.no_match[..]))
                .collect();
            PatternSet::with_examples(sources, &examples, |i, m| {
                let (file, span, o, _) = &kept_options[i.unwrap_or(0)];
                faults.push(entry_fault(file, span, "option pattern", &o.option, m));
            })
        };
        match (intent_set, option_set) {
            (Some(intent_set), Some(option_set)) => faults.into_result(QuestionPatterns {
                intent_set,
                intents,
                option_set,
                options: ids,
            }),
            _ => Err(faults),
        }
    }

    /// The question `text` asks. Options named inside `received` spans (treatments already
    /// given: "s/p RFA", "progressing on octreotide") are history, not part of the question.
    pub fn question(&self, folded: &Folded, received: &[Range<usize>]) -> Question {
        let (intent, detail) = self
            .intent_set
            .matches(folded)
            .into_iter()
            .next()
            .map_or((Intent::Options, Detail::Quick), |i| self.intents[i]);
        let mut named: Vec<(usize, OptionId)> = Vec::new();
        self.option_set.for_each_match(folded, |i, span, _| {
            if !within(received, span.clone()) {
                named.push((span.start, self.options[i]));
            }
        });
        named.sort();
        let mut options: Vec<OptionId> = Vec::with_capacity(named.len());
        for (_, id) in named {
            if !options.contains(&id) {
                options.push(id);
            }
        }
        Question {
            intent,
            options,
            detail,
        }
    }
}

/// Whether `span` lies inside one of `spans`, which are sorted and do not nest.
fn within(spans: &[Range<usize>], span: Range<usize>) -> bool {
    let i = spans.partition_point(|s| s.start <= span.start);
    i > 0 && spans[i - 1].end >= span.end
}
