//! The advice document (CONTRACT.md §3), and the decision read back from it.
//!
//! The document is what `netboard ask --json` prints and what `POST /v1/advice` answers. Remote
//! mode receives a decision as this document, so it carries everything an answer needs to render
//! the same as in process — the advice and the knowledge base's version *and review date* — and
//! [`decision`] is its exact inverse for those parts.

use crate::case::CaseFeatures;
use crate::decide::{Advice, AdvisedOption, Brief, Caveat, Missing};
use crate::engine::{Answer, Basis, Decision};
use crate::question::{Intent, OptionId};
use serde::{Deserialize, Serialize};

/// The advice document, borrowed from an answer. Its fields are declared in alphabetical order,
/// the order a `serde_json::Value` keeps, so both serializations list the top level alike.
#[derive(Serialize)]
struct Document<'a> {
    asked: &'a [Brief],
    asked_options: &'a [OptionId],
    features: &'a CaseFeatures,
    intent: Intent,
    knowledge_reviewed: &'a str,
    knowledge_version: &'a str,
    missing: &'a [Missing],
    notes: &'a [Caveat],
    options: &'a [AdvisedOption],
}

impl<'a> Document<'a> {
    fn of(answer: &'a Answer) -> Document<'a> {
        Document {
            asked: &answer.advice.asked,
            asked_options: &answer.question.options,
            features: &answer.case,
            intent: answer.question.intent,
            knowledge_reviewed: &answer.basis.reviewed,
            knowledge_version: &answer.basis.version,
            missing: &answer.advice.missing,
            notes: &answer.advice.notes,
            options: &answer.advice.options,
        }
    }
}

/// The answer as one JSON document (CONTRACT.md §3): the knowledge version and review date,
/// `intent`, the options the question named, `features`, and the decision's `options` (each with
/// the ids of the rules that set its fit), `missing`, `notes` and `asked`.
pub fn json(answer: &Answer) -> serde_json::Value {
    serde_json::to_value(Document::of(answer)).unwrap_or_default()
}

/// The same document serialized straight to bytes, without building a `Value` first: what the
/// HTTP service sends (a third of its time per request went to the `Value`). Nested objects keep
/// their fields in declaration order rather than sorted; the document is the same JSON.
pub fn json_bytes(answer: &Answer) -> Vec<u8> {
    serde_json::to_vec(&Document::of(answer)).unwrap_or_default()
}

/// The decision an advice document carries: its advice and the knowledge base it rests on.
pub fn decision(doc: &serde_json::Value) -> Result<Decision, serde_json::Error> {
    let field = |name: &str| {
        let text = doc.get(name).and_then(|v| v.as_str());
        text.map(str::to_string)
            .ok_or_else(|| serde::de::Error::custom(format!("the advice document has no `{name}`")))
    };
    Ok(Decision {
        advice: Advice::deserialize(doc)?,
        basis: Basis {
            version: field("knowledge_version")?,
            reviewed: field("knowledge_reviewed")?,
        },
    })
}
