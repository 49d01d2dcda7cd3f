//! `netboard sources`: every source the knowledge base cites, with what it supports.

use crate::knowledge::Knowledge;
use std::fmt::Write;

/// One block per source: id, year, kind and how sure the record is; the citation; what it
/// supports; and what is from memory, when anything is.
pub fn sources(knowledge: &Knowledge) -> String {
    let mut out = format!(
        "Sources of netboard's knowledge base {} (reviewed {}):\n",
        knowledge.version, knowledge.reviewed
    );
    for s in knowledge.sources() {
        let year = s
            .year
            .map_or("year not recorded".to_string(), |y| y.to_string());
        let _ = writeln!(
            out,
            "\n{} ({year}, {}; {})",
            s.id,
            s.kind.label(),
            s.confidence
        );
        let _ = writeln!(out, "  {}", s.citation);
        let _ = writeln!(out, "  supports: {}", s.supports);
        if let Some(note) = &s.note {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    out
}
