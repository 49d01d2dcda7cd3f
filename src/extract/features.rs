//! Feature patterns: where a message states a case feature, and what value it states.
//!
//! Each `[[feature]]` entry of `intents/` names a feature of CONTRACT.md §2 and either a fixed
//! value ("liver-only" → `extrahepatic_disease: false`) or a number to parse from the capture
//! group `n` ("x5", "25 mm", "Ki-67 12%"). `also` sets features the same words imply ("bone mets"
//! → `extrahepatic_disease: true`, site `bone`). `[[threshold]]` entries turn lab figures into the
//! booleans they imply ("eGFR 35" → `renal_impairment`).
//!
//! Finding mentions is separate from applying them: [`FeaturePatterns::mentions`] returns spans
//! and values; the extractor runs the assertion step on those spans and then
//! [`FeaturePatterns::apply`] records what the assertions allow. That keeps the assertion step
//! blind to features, and features blind to triggers.

use super::assertion::Assertion;
use super::intents::{entry_fault, Located};
use super::numbers;
use super::patterns::{check_pattern, Checked, Folded, PatternSet};
use crate::case::{CaseFeatures, Certainty, FeatureId, Finding, Kind, Value};
use crate::load::{examples_present, Faults};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;

/// How a pattern's capture group `n` becomes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parse {
    /// A count in digits or words ("x5", "three", "a dozen").
    Count,
    /// A size, converted to centimetres; the largest of several.
    SizeCm,
    /// A plain number; the upper end of a range.
    Number,
}

/// What a historical mention ("s/p", "h/o", "in 2021") does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum History {
    /// Still true of the case ("prior Whipple" → biliary-enteric anastomosis).
    #[default]
    Keep,
    /// No longer describes the case ("s/p RFA of 2 lesions" says nothing of today's count).
    Drop,
    /// Counts only when historical or received (group `received`): prior treatments.
    Required,
}

/// A feature pattern as written in an intents file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeature {
    pub id: String,
    pub feature: String,
    pub regex: String,
    #[serde(default)]
    pub value: Option<toml::Value>,
    #[serde(default)]
    pub parse: Option<Parse>,
    /// Multiplies a parsed number, for units ("bilirubin 34 µmol/L" → mg/dL).
    #[serde(default)]
    pub scale: Option<f64>,
    /// The value a negated mention records; by default `false` for booleans and nothing else.
    #[serde(default)]
    pub negated: Option<toml::Value>,
    #[serde(default)]
    pub also: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub history: History,
    #[serde(rename = "match")]
    pub must_match: Vec<String>,
    pub no_match: Vec<String>,
    pub rationale: String,
}

/// A lab threshold as written in an intents file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    pub id: String,
    pub feature: String,
    #[serde(default)]
    pub below: Option<f64>,
    #[serde(default)]
    pub above: Option<f64>,
    pub sets: BTreeMap<String, toml::Value>,
    pub rationale: String,
}

enum Source {
    Fixed(Value),
    /// A number parsed from group `n`, times a scale.
    Parsed(Parse, f64),
}

struct FeaturePattern {
    feature: FeatureId,
    source: Source,
    negated: Option<Value>,
    also: Vec<(FeatureId, Value)>,
    history: History,
}

struct Threshold {
    feature: FeatureId,
    below: Option<f64>,
    above: Option<f64>,
    sets: Vec<(FeatureId, Value)>,
}

/// One place a feature pattern matched, with the value it states.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pattern: usize,
    pub feature: FeatureId,
    pub span: Range<usize>,
    pub value: Value,
    /// The words themselves say the treatment was received ("progressing on octreotide").
    received: bool,
    /// The receipt is worded through the disease course ("progression on"), so a negation there
    /// is about the course ("no progression on lanreotide"), not the receipt.
    course: bool,
    /// The words ask for more on an option ("more on Y90"): they state nothing about the patient.
    request: bool,
}

/// The compiled feature patterns and thresholds.
pub struct FeaturePatterns {
    set: PatternSet,
    patterns: Vec<FeaturePattern>,
    thresholds: Vec<Threshold>,
}

fn resolve_values(sets: &BTreeMap<String, toml::Value>) -> Result<Vec<(FeatureId, Value)>, String> {
    sets.iter()
        .map(|(name, raw)| {
            let f =
                FeatureId::from_name(name).ok_or_else(|| format!("unknown feature `{name}`"))?;
            Ok((f, Value::for_feature(f, raw)?))
        })
        .collect()
}

fn parse_value(parse: Parse, scale: f64, feature: FeatureId, text: &str) -> Option<Value> {
    let number = scale
        * match parse {
            Parse::Count => numbers::count(text).map(|n| n as f64),
            Parse::SizeCm => numbers::largest_cm(text),
            Parse::Number => numbers::largest(text),
        }?;
    match feature.kind() {
        Kind::Integer => Some(Value::Integer(number.round() as i64)),
        _ => Some(Value::Number(number)),
    }
}

impl FeaturePatterns {
    pub fn compile(
        raw: &[Located<RawFeature>],
        thresholds: &[Located<RawThreshold>],
    ) -> Result<FeaturePatterns, Faults> {
        let mut faults = Faults::default();
        let mut patterns = Vec::new();
        let mut sources = Vec::new();
        let mut located = Vec::new();
        for (file, span, r) in raw {
            match compile_one(r) {
                Ok((p, checked)) => {
                    sources.push(checked);
                    patterns.push(p);
                    located.push((file, span, r));
                }
                Err(msgs) => msgs.into_iter().for_each(|m| {
                    faults.push(entry_fault(file, span, "feature pattern", &r.id, m))
                }),
            }
        }
        let examples: Vec<_> = located
            .iter()
            .map(|(_, _, r)| (&r.must_match[..], &r.no_match[..]))
            .collect();
        let set = PatternSet::with_examples(sources, &examples, |i, m| match i {
            Some(i) => {
                let (file, span, r) = located[i];
                faults.push(entry_fault(file, span, "feature pattern", &r.id, m));
            }
            None => {
                if let Some((file, span, _)) = raw.first() {
                    faults.push(file.fault(span, format!("feature patterns: {m}")));
                }
            }
        });
        let Some(set) = set else { return Err(faults) };
        for (i, (file, span, r)) in located.into_iter().enumerate() {
            for m in parse_faults(&set, i, &patterns[i], r) {
                faults.push(entry_fault(file, span, "feature pattern", &r.id, m));
            }
        }
        let mut compiled_thresholds = Vec::new();
        for (file, span, t) in thresholds {
            let fault = |msg: String| entry_fault(file, span, "threshold", &t.id, msg);
            let feature = FeatureId::from_name(&t.feature);
            match (feature, resolve_values(&t.sets)) {
                (None, _) => faults.push(fault(format!("unknown feature `{}`", t.feature))),
                (_, Err(e)) => faults.push(fault(e)),
                (Some(_), _) if t.below.is_none() && t.above.is_none() => {
                    faults.push(fault("needs `below` or `above`".into()))
                }
                (Some(_), _) if t.rationale.trim().is_empty() => {
                    faults.push(fault("needs a rationale".into()))
                }
                (Some(feature), Ok(sets)) => compiled_thresholds.push(Threshold {
                    feature,
                    below: t.below,
                    above: t.above,
                    sets,
                }),
            }
        }
        faults.into_result(FeaturePatterns {
            set,
            patterns,
            thresholds: compiled_thresholds,
        })
    }

    /// Every mention in `text`, in order of position.
    pub fn mentions(&self, folded: &Folded) -> Vec<Mention> {
        let mut out = Vec::new();
        self.set.for_each_match(folded, |i, span, groups| {
            let p = &self.patterns[i];
            let value = match p.source {
                Source::Fixed(ref v) => Some(v.clone()),
                Source::Parsed(parse, scale) => groups
                    .name("n")
                    .and_then(|n| parse_value(parse, scale, p.feature, n)),
            };
            if let Some(value) = value {
                out.push(Mention {
                    pattern: i,
                    feature: p.feature,
                    span,
                    value,
                    received: groups.name("received").is_some(),
                    course: groups.name("course").is_some(),
                    request: groups.name("request").is_some(),
                });
            }
        });
        // Within a feature the longest mention wins: "non-resectable" is not also "resectable".
        out.sort_by_key(|m| (m.span.start, std::cmp::Reverse(m.span.end), m.pattern));
        let mut reach = [0usize; FeatureId::ALL.len()];
        let mut kept: Vec<Mention> = Vec::with_capacity(out.len());
        for m in out {
            let end = &mut reach[m.feature as usize];
            if m.span.end > *end {
                *end = m.span.end;
                kept.push(m);
            }
        }
        kept
    }

    /// Records each mention into a case as its assertion allows: hypothetical and other-person
    /// mentions record nothing, negated ones their negated value, possible ones with certainty
    /// `possible`; then lab thresholds add the booleans they imply. Also returns the spans recorded
    /// as prior treatments, so that "s/p RFA" is not read as a question about ablation.
    pub fn apply(
        &self,
        text: &str,
        mentions: &[Mention],
        assertions: &[Assertion],
    ) -> (CaseFeatures, Vec<Range<usize>>) {
        let mut case = CaseFeatures::new();
        let mut treatments = Vec::new();
        for (m, a) in mentions.iter().zip(assertions) {
            let p = &self.patterns[m.pattern];
            if a.hypothetical || a.other || m.request {
                continue;
            }
            match p.history {
                History::Drop if a.historical => continue,
                History::Required if !(a.historical || m.received) => continue,
                _ => {}
            }
            let negated = a.negated && !m.course;
            let value = if negated {
                match p.negated.clone().or_else(|| m.value.negated()) {
                    Some(v) => v,
                    None => continue,
                }
            } else {
                m.value.clone()
            };
            let certainty = if a.possible {
                Certainty::Possible
            } else {
                Certainty::Stated
            };
            let words = text[a.reads.clone().unwrap_or_else(|| m.span.clone())]
                .trim()
                .to_string();
            if !negated {
                for (f, v) in &p.also {
                    case.record(
                        *f,
                        Finding {
                            value: v.clone(),
                            certainty,
                            text: words.clone(),
                        },
                    );
                }
            }
            if p.feature == FeatureId::PriorTreatments {
                treatments.push(m.span.clone());
            }
            case.record(
                p.feature,
                Finding {
                    value,
                    certainty,
                    text: words,
                },
            );
        }
        self.apply_thresholds(&mut case);
        (case, treatments)
    }

    fn apply_thresholds(&self, case: &mut CaseFeatures) {
        for t in &self.thresholds {
            let Some(finding) = case.get(t.feature) else {
                continue;
            };
            let x = match finding.value {
                Value::Number(x) => x,
                Value::Integer(i) => i as f64,
                _ => continue,
            };
            let crosses = t.below.is_some_and(|b| x < b) || t.above.is_some_and(|a| x > a);
            if !crosses {
                continue;
            }
            let derived = finding.clone();
            for (f, v) in &t.sets {
                if case.get(*f).is_none() {
                    case.set(
                        *f,
                        Finding {
                            value: v.clone(),
                            ..derived.clone()
                        },
                    );
                }
            }
        }
    }
}

/// Checks an entry's fields and pattern syntax; examples are checked once the set is built.
fn compile_one(r: &RawFeature) -> Result<(FeaturePattern, Checked), Vec<String>> {
    let mut problems = Vec::new();
    let feature = FeatureId::from_name(&r.feature);
    if feature.is_none() {
        problems.push(format!("unknown feature `{}`", r.feature));
    }
    if r.rationale.trim().is_empty() {
        problems.push("needs a rationale".into());
    }
    problems.extend(examples_present(&r.must_match, &r.no_match));
    let checked = check_pattern(&r.regex).map_err(|e| problems.push(e)).ok();
    let (Some(feature), Some(checked)) = (feature, checked) else {
        return Err(problems);
    };
    let source = match (&r.value, r.parse) {
        (Some(v), None) => Value::for_feature(feature, v)
            .map(Source::Fixed)
            .map_err(|e| problems.push(e))
            .ok(),
        (None, Some(parse)) => {
            if !matches!(feature.kind(), Kind::Integer | Kind::Number) {
                problems.push(format!(
                    "`parse` needs a numeric feature; `{feature}` is not"
                ));
            }
            if !checked.names.iter().any(|n| n == "n") {
                problems.push("`parse` needs a capture group named `n`".into());
            }
            Some(Source::Parsed(parse, r.scale.unwrap_or(1.0)))
        }
        _ => {
            problems.push("needs exactly one of `value` or `parse`".into());
            None
        }
    };
    let negated = r.negated.as_ref().and_then(|v| {
        Value::for_feature(feature, v)
            .map_err(|e| problems.push(e))
            .ok()
    });
    let also = resolve_values(&r.also)
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    if r.scale.is_some() && r.parse.is_none() {
        problems.push("`scale` needs `parse`".into());
    }
    match source {
        Some(source) if problems.is_empty() => Ok((
            FeaturePattern {
                feature,
                source,
                negated,
                also,
                history: r.history,
            },
            checked,
        )),
        _ => Err(problems),
    }
}

/// A parsed pattern's examples must give a number where they match.
fn parse_faults(set: &PatternSet, i: usize, p: &FeaturePattern, r: &RawFeature) -> Vec<String> {
    let mut problems = Vec::new();
    if let Source::Parsed(parse, scale) = &p.source {
        for example in &r.must_match {
            let folded = Folded::new(example);
            let Some(groups) = set.first_groups(i, folded.as_str()) else {
                continue;
            };
            let n = groups
                .into_iter()
                .find(|(name, _)| name == "n")
                .and_then(|(_, text)| text);
            if n.and_then(|n| parse_value(*parse, *scale, p.feature, n))
                .is_none()
            {
                problems.push(format!("example {example:?} matches but gives no number"));
            }
        }
    }
    problems
}
