//! Question patterns: the intent of a message and the treatment options it names.
//!
//! `[[question]]` entries map words to an intent; the first entry (in file-name order, then file
//! order) that matches wins, and a message that matches none asks for `options`. `[[option]]`
//! entries map names and abbreviations to option ids ("Y90", "SIRT", "TARE" →
//! `radioembolization`), so "bland vs Y90?" is a comparison of two named options.

use super::intents::{entry_fault, Located};
use crate::load::{check_examples, compile, examples_present, Faults};
use crate::question::{Intent, OptionId, Question};
use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use std::ops::Range;

/// An intent pattern as written in an intents file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    pub id: String,
    pub intent: String,
    pub regex: String,
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
    intent_set: RegexSet,
    intents: Vec<Intent>,
    option_set: RegexSet,
    options: Vec<(OptionId, Regex)>,
}

fn build_set(patterns: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(patterns)
        .case_insensitive(true)
        .size_limit(16 << 20)
        .build()
}

impl QuestionPatterns {
    pub fn compile(
        questions: &[Located<RawQuestion>],
        options: &[Located<RawOption>],
    ) -> Result<QuestionPatterns, Faults> {
        let mut faults = Faults::default();
        let mut intents = Vec::new();
        let mut intent_sources = Vec::new();
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
            match compile(&q.regex) {
                Ok(re) => problems.extend(check_examples(&re, &q.must_match, &q.no_match)),
                Err(e) => problems.push(e),
            }
            match intent {
                Some(intent) if problems.is_empty() => {
                    intents.push(intent);
                    intent_sources.push(q.regex.clone());
                }
                _ => problems.into_iter().for_each(|p| {
                    faults.push(entry_fault(file, span, "question pattern", &q.id, p))
                }),
            }
        }
        let mut compiled_options = Vec::new();
        let mut option_sources = Vec::new();
        for (file, span, o) in options {
            let mut problems = Vec::new();
            let id = OptionId::from_name(&o.option);
            if id.is_none() {
                problems.push("unknown option id; see CONTRACT.md §3".to_string());
            }
            problems.extend(examples_present(&o.must_match, &o.no_match));
            let re = compile(&o.regex).map_err(|e| problems.push(e)).ok();
            if let Some(re) = &re {
                problems.extend(check_examples(re, &o.must_match, &o.no_match));
            }
            match (id, re) {
                (Some(id), Some(re)) if problems.is_empty() => {
                    option_sources.push(o.regex.clone());
                    compiled_options.push((id, re));
                }
                _ => problems.into_iter().for_each(|p| {
                    faults.push(entry_fault(file, span, "option pattern", &o.option, p))
                }),
            }
        }
        let sets = build_set(&intent_sources).and_then(|i| Ok((i, build_set(&option_sources)?)));
        match sets {
            Ok((intent_set, option_set)) => faults.into_result(QuestionPatterns {
                intent_set,
                intents,
                option_set,
                options: compiled_options,
            }),
            Err(e) => {
                if let Some((file, span, _)) = questions.first() {
                    faults.push(file.fault(
                        span,
                        format!("the question pattern set does not compile: {e}"),
                    ));
                }
                Err(faults)
            }
        }
    }

    /// The question `text` asks. Options named inside `received` spans (treatments already
    /// given: "s/p RFA", "progressing on octreotide") are history, not part of the question.
    pub fn question(&self, text: &str, received: &[Range<usize>]) -> Question {
        let intent = self
            .intent_set
            .matches(text)
            .iter()
            .next()
            .map_or(Intent::Options, |i| self.intents[i]);
        let mut named: Vec<(usize, OptionId)> = self
            .option_set
            .matches(text)
            .iter()
            .filter_map(|i| {
                let (id, re) = &self.options[i];
                re.find_iter(text)
                    .find(|m| !within(received, m.range()))
                    .map(|m| (m.start(), *id))
            })
            .collect();
        named.sort();
        let mut options: Vec<OptionId> = Vec::with_capacity(named.len());
        for (_, id) in named {
            if !options.contains(&id) {
                options.push(id);
            }
        }
        Question { intent, options }
    }
}

/// Whether `span` lies inside one of `spans`, which are sorted and do not nest.
fn within(spans: &[Range<usize>], span: Range<usize>) -> bool {
    let i = spans.partition_point(|s| s.start <= span.start);
    i > 0 && spans[i - 1].end >= span.end
}
