//! The advice document (CONTRACT.md §3), so far with the parts extraction gives.

use crate::engine::Answer;
use serde_json::json as j;

/// The answer as one JSON document (CONTRACT.md §3): the knowledge version, `intent`, the options
/// the question named, `features`, and the decision's `options` (each with the ids of the rules
/// that set its fit) and `missing`.
pub fn json(answer: &Answer) -> serde_json::Value {
    j!({
        "knowledge_version": answer.basis.version,
        "intent": answer.question.intent,
        "asked_options": answer.question.options,
        "features": answer.case,
        "options": answer.advice.options,
        "missing": answer.advice.missing,
        "notes": answer.advice.notes,
        "asked": answer.advice.asked,
    })
}
