//! Extraction: chat text → the question it asks and the case features it states.
//!
//! The [`Extractor`] is compiled once from `intents/` and is then pure and synchronous: the same
//! text always gives the same [`Extraction`], with no I/O. One call runs
//!
//! 1. the feature patterns, giving mentions with spans and values — [`features`];
//! 2. the assertion step over those spans (negated, possible, historical, hypothetical, someone
//!    else) — [`assertion`];
//! 3. recording what the assertions allow, lab thresholds, and the grade derivation below;
//! 4. the question patterns (intent, named options), leaving out options named only as
//!    treatments already received — [`questions`].
//!
//! The text is folded to lower case once ([`patterns::Folded`]); each regex stage scans it once
//! with a regex set and runs only the patterns that fired, in the sentences where they fired, so
//! time is linear in the length of the message.

pub mod assertion;
pub mod features;
pub mod intents;
pub mod numbers;
pub mod patterns;
pub mod questions;

use crate::case::{CaseFeatures, FeatureId, Finding, Value};
use crate::load::Faults;
use crate::question::Question;
use patterns::Folded;
use std::path::Path;

/// What one message says: the question and the case features.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    pub question: Question,
    pub features: CaseFeatures,
}

/// The compiled extraction stage.
pub struct Extractor {
    intents: intents::Intents,
}

impl Extractor {
    /// Loads and compiles `dir` (normally `intents/`), reporting every fault as `file:line`.
    pub fn load(dir: &Path) -> Result<Extractor, Faults> {
        intents::Intents::load(dir).map(|intents| Extractor { intents })
    }

    /// The assertion step alone, for measuring it (`netboard assertion`).
    pub fn context(&self) -> &assertion::ContextRules {
        &self.intents.context
    }

    /// Extracts the question and the case features of `text`.
    pub fn extract(&self, text: &str) -> Extraction {
        let folded = Folded::new(text);
        let features = &self.intents.features;
        let mentions = features.mentions(&folded);
        let spans: Vec<_> = mentions.iter().map(|m| m.span.clone()).collect();
        let assertions = self.intents.context.assess(&folded, &spans);
        let (mut case, received) = features.apply(text, &mentions, &assertions);
        derive_grade(&mut case);
        let question = self.intents.questions.question(&folded, &received);
        Extraction {
            question,
            features: case,
        }
    }
}

/// Derives the grade from Ki-67 when no grade is written, by the WHO 2019 cut-offs for
/// well-differentiated digestive NETs (EVIDENCE.md WHO2019-GRADE: G1 < 3%, G2 3–20%, G3 > 20%).
///
/// Ki-67 above 20% is G3 only when the text says "well differentiated": a high Ki-67 may also be a
/// poorly differentiated carcinoma, which follows another pathway (EVIDENCE.md NETG3-vs-NEC), so
/// without the differentiation the grade stays unknown and the decision stage names it as missing.
fn derive_grade(case: &mut CaseFeatures) {
    if case.get(FeatureId::Grade).is_some() {
        return;
    }
    let Some(ki67) = case.get(FeatureId::Ki67Percent) else {
        return;
    };
    let Value::Number(percent) = ki67.value else {
        return;
    };
    let differentiation = case.value(FeatureId::Differentiation);
    let grade = match percent {
        p if p < 3.0 => "G1",
        p if p <= 20.0 => "G2",
        _ if differentiation == Some(&Value::Term("well")) => "G3",
        _ if differentiation == Some(&Value::Term("poorly")) => "NEC",
        _ => return,
    };
    let derived = Finding {
        value: Value::Term(grade),
        ..ki67.clone()
    };
    case.set(FeatureId::Grade, derived);
}
