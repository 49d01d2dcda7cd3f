//! The advice document (CONTRACT.md §3), and the decision read back from it.
//!
//! The document is what `netboard ask --json` prints and what `POST /v1/advice` answers. Remote
//! mode receives a decision as this document, so it carries everything an answer needs to render
//! the same as in process — the advice and the knowledge base's version *and review date* — and
//! [`decision`] is its exact inverse for those parts.

use crate::decide::Advice;
use crate::engine::{Answer, Basis, Decision};
use serde::Deserialize;
use serde_json::json as j;

/// The answer as one JSON document (CONTRACT.md §3): the knowledge version and review date,
/// `intent`, the options the question named, `features`, and the decision's `options` (each with
/// the ids of the rules that set its fit), `missing`, `notes` and `asked`.
pub fn json(answer: &Answer) -> serde_json::Value {
    j!({
        "knowledge_version": answer.basis.version,
        "knowledge_reviewed": answer.basis.reviewed,
        "intent": answer.question.intent,
        "asked_options": answer.question.options,
        "features": answer.case,
        "options": answer.advice.options,
        "missing": answer.advice.missing,
        "notes": answer.advice.notes,
        "asked": answer.advice.asked,
    })
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
