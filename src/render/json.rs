//! The advice document (CONTRACT.md §3), so far with the parts extraction gives.

use crate::engine::Answer;
use serde_json::json as j;

/// The answer as one JSON document: the knowledge version, `intent`, the options the question
/// named, and `features`.
pub fn json(answer: &Answer) -> serde_json::Value {
    j!({
        "knowledge_version": answer.basis.version,
        "intent": answer.question.intent,
        "asked_options": answer.question.options,
        "features": answer.case,
    })
}
