//! The knowledge base: the sources netboard may cite and the catalogue of treatment options.
//!
//! Everything clinical netboard says must trace to a source in `knowledge/sources.toml`, and
//! every source there is the 2015 seed discussion or a publication recorded in the project's
//! evidence sheet, with how sure that record is (`confirmed`, `partly_from_memory`,
//! `from_memory`). `knowledge/options.toml` describes the 18 options of CONTRACT.md §3 — what each
//! is, its category, and the best evidence behind it, its level named in its scheme (study
//! design), never a guideline grade the evidence sheet does not record.
//!
//! Loading follows the data discipline of `intents/`: each file parses into a type that mirrors
//! it (`deny_unknown_fields`), then every reference is resolved — an unknown or duplicate id, a
//! missing option, an entry without its sources — and every fault is reported as
//! `file:line: what is wrong` before start-up is refused. The rules that decide fits build on
//! this catalogue (the decision module).

pub mod rules;

use crate::load::{Fault, Faults, SourceFile};
use crate::question::OptionId;
use rules::Rule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// What kind of publication or text a source is; evidence levels are named in this scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    RandomisedPhase3,
    RandomisedPhase2,
    MetaAnalysis,
    SystematicReview,
    ProspectiveSeries,
    RetrospectiveSeries,
    CaseReport,
    Review,
    Guideline,
    Consensus,
    ProcedureGuideline,
    AppropriateUseCriteria,
    Regulatory,
    TrialProtocol,
    ConferenceReport,
    ExpertDiscussion,
    Classification,
}

impl SourceKind {
    /// The kind as a reader says it: "randomised phase 3".
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::RandomisedPhase3 => "randomised phase 3",
            SourceKind::RandomisedPhase2 => "randomised phase 2",
            SourceKind::MetaAnalysis => "meta-analysis",
            SourceKind::SystematicReview => "systematic review",
            SourceKind::ProspectiveSeries => "prospective series",
            SourceKind::RetrospectiveSeries => "retrospective series",
            SourceKind::CaseReport => "case report",
            SourceKind::Review => "review",
            SourceKind::Guideline => "guideline",
            SourceKind::Consensus => "consensus statement",
            SourceKind::ProcedureGuideline => "procedure guideline",
            SourceKind::AppropriateUseCriteria => "appropriate-use criteria",
            SourceKind::Regulatory => "regulatory decision",
            SourceKind::TrialProtocol => "trial protocol",
            SourceKind::ConferenceReport => "conference report",
            SourceKind::ExpertDiscussion => "expert discussion",
            SourceKind::Classification => "classification",
        }
    }
}

/// How sure the evidence sheet is of a source's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Confirmed,
    PartlyFromMemory,
    FromMemory,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Confirmed => "confirmed",
            Confidence::PartlyFromMemory => "partly from memory",
            Confidence::FromMemory => "from memory",
        })
    }
}

/// A citable source.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub citation: String,
    /// Publication (or approval, presentation) year; absent where the evidence sheet has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    pub kind: SourceKind,
    pub confidence: Confidence,
    /// What netboard may cite it for.
    pub supports: String,
    /// What of the record is from memory, secondary or unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An option's category (CONTRACT.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Surgery,
    LiverDirected,
    Radionuclide,
    Systemic,
    Bone,
    Referral,
}

/// The best evidence behind an option, its level named in its scheme.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub level: String,
    pub scheme: String,
    pub sources: Vec<String>,
}

/// `(scheme): level [sources]`, as every rendering quotes it after "evidence".
impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sources = self.sources.join(", ");
        write!(f, "({}): {} [{sources}]", self.scheme, self.level)
    }
}

/// An option of the catalogue as written in `options.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: String,
    title: String,
    short: String,
    category: Category,
    what: String,
    sources: Vec<String>,
    evidence: Evidence,
}

/// A treatment option of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreatmentOption {
    pub id: OptionId,
    pub title: Arc<str>,
    /// The name a quick answer uses ("PRRT (177Lu)").
    pub short: Arc<str>,
    pub category: Category,
    /// What it is, for a clinician.
    pub what: Arc<str>,
    pub sources: Vec<String>,
    /// Shared with every answer that lists the option, so an answer clones no text.
    pub evidence: Arc<Evidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    source: Vec<Spanned<Source>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsFile {
    option: Vec<Spanned<RawOption>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionFile {
    version: String,
    reviewed: String,
}

/// The loaded, validated knowledge base.
#[derive(Debug, Clone)]
pub struct Knowledge {
    /// The knowledge base's version, shown with every answer.
    pub version: String,
    /// The date of its last clinical review.
    pub reviewed: String,
    sources: BTreeMap<String, Source>,
    /// Sources in file order, for listing.
    order: Vec<String>,
    options: BTreeMap<OptionId, TreatmentOption>,
    rules: Vec<Rule>,
}

impl Knowledge {
    /// Loads `knowledge/` from `dir`, reporting every fault.
    pub fn load(dir: &Path) -> Result<Knowledge, Faults> {
        let mut faults = Faults::default();
        let read = |name: &str| SourceFile::read(&dir.join(name));
        let (version_file, sources_file, options_file) = (
            read("knowledge.toml"),
            read("sources.toml"),
            read("options.toml"),
        );
        let (version_file, sources_file, options_file) =
            match (version_file, sources_file, options_file) {
                (Ok(v), Ok(s), Ok(o)) => (v, s, o),
                (v, s, o) => {
                    faults
                        .0
                        .extend([v.err(), s.err(), o.err()].into_iter().flatten());
                    return Err(faults);
                }
            };
        let version = version_file
            .parse::<VersionFile>()
            .map_err(|f| faults.push(f))
            .ok();
        let sources = sources_file
            .parse::<SourcesFile>()
            .map_err(|f| faults.push(f))
            .ok();
        let options = options_file
            .parse::<OptionsFile>()
            .map_err(|f| faults.push(f))
            .ok();
        let (Some(version), Some(sources), Some(options)) = (version, sources, options) else {
            return Err(faults);
        };

        let mut by_id = BTreeMap::new();
        let mut order = Vec::new();
        for entry in sources.source {
            let span = entry.span();
            let source = entry.into_inner();
            let at =
                |msg: String| sources_file.fault(&span, format!("source `{}`: {msg}", source.id));
            for (field, value) in [
                ("citation", &source.citation),
                ("supports", &source.supports),
            ] {
                if value.trim().is_empty() {
                    faults.push(at(format!("`{field}` is empty")));
                }
            }
            if let Some(year) = source.year.filter(|y| !(1900..=2100).contains(y)) {
                faults.push(at(format!("year {year} is not a publication year")));
            }
            if source.confidence != Confidence::Confirmed
                && source.note.as_deref().is_none_or(|n| n.trim().is_empty())
            {
                faults.push(at(
                    "a source not wholly confirmed needs a `note` saying what is from memory"
                        .into(),
                ));
            }
            if by_id.contains_key(&source.id) {
                faults.push(at("is listed twice".into()));
                continue;
            }
            order.push(source.id.clone());
            by_id.insert(source.id.clone(), source);
        }

        let mut catalogue = BTreeMap::new();
        for entry in options.option {
            let span = entry.span();
            let raw = entry.into_inner();
            let at = |msg: String| options_file.fault(&span, format!("option `{}`: {msg}", raw.id));
            let Some(id) = OptionId::from_name(&raw.id) else {
                faults.push(at("unknown option id; see CONTRACT.md §3".into()));
                continue;
            };
            for (field, value) in [
                ("title", &raw.title),
                ("short", &raw.short),
                ("what", &raw.what),
                ("evidence.level", &raw.evidence.level),
            ] {
                if value.trim().is_empty() {
                    faults.push(at(format!("`{field}` is empty")));
                }
            }
            if raw.sources.is_empty() || raw.evidence.sources.is_empty() {
                faults.push(at(
                    "`sources` and `evidence.sources` each need at least one source".into(),
                ));
            }
            for cited in raw.sources.iter().chain(&raw.evidence.sources) {
                if !by_id.contains_key(cited) {
                    faults.push(at(format!(
                        "cites `{cited}`, which sources.toml does not list"
                    )));
                }
            }
            if catalogue.contains_key(&id) {
                faults.push(at("is described twice".into()));
                continue;
            }
            let option = TreatmentOption {
                id,
                title: raw.title.into(),
                short: raw.short.into(),
                category: raw.category,
                what: raw.what.into(),
                sources: raw.sources,
                evidence: Arc::new(raw.evidence),
            };
            catalogue.insert(id, option);
        }
        for id in OptionId::ALL
            .iter()
            .filter(|id| !catalogue.contains_key(id))
        {
            faults.push(Fault {
                file: options_file.path.clone(),
                line: 1,
                message: format!("option `{id}` of CONTRACT.md §3 is not described"),
            });
        }
        let rules = rules::load(&dir.join("rules"), |id| by_id.contains_key(id))
            .map_err(|f| faults.extend(f))
            .ok();
        let Some(rules) = rules else {
            return Err(faults);
        };
        faults.into_result(Knowledge {
            version: version.version,
            reviewed: version.reviewed,
            sources: by_id,
            order,
            options: catalogue,
            rules,
        })
    }

    /// A source by id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.get(id)
    }

    /// Every source, in the order of `sources.toml`.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.order.iter().map(|id| &self.sources[id])
    }

    /// Every decision rule, in file and then file-line order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// An option of the catalogue (every option of CONTRACT.md §3 is present once loaded).
    pub fn option(&self, id: OptionId) -> &TreatmentOption {
        &self.options[&id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("netboard-knowledge-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        dir
    }

    const VERSION: &str = "version = \"test\"\nreviewed = \"2026-11-29\"\n";
    const SOURCES: &str = "[[source]]\nid = \"SEED-2015\"\ncitation = \"c\"\nyear = 2015\n\
        kind = \"expert_discussion\"\nconfidence = \"confirmed\"\nsupports = \"s\"\n";

    #[test]
    fn every_fault_is_reported_with_its_line() {
        let options = "[[option]]\nid = \"thermal_ablation\"\ntitle = \"t\"\nshort = \"t\"\ncategory = \"liver_directed\"\n\
            what = \"w\"\nsources = [\"NOPE\"]\n[option.evidence]\nlevel = \"l\"\nscheme = \"study design\"\n\
            sources = [\"SEED-2015\"]\n\n[[option]]\nid = \"laser\"\ntitle = \"t\"\nshort = \"t\"\ncategory = \"bone\"\n\
            what = \"w\"\nsources = [\"SEED-2015\"]\n[option.evidence]\nlevel = \"l\"\nscheme = \"s\"\nsources = [\"SEED-2015\"]\n";
        let dir = scratch(
            "faults",
            &[
                ("knowledge.toml", VERSION),
                ("sources.toml", SOURCES),
                ("options.toml", options),
            ],
        );
        let faults = Knowledge::load(&dir).unwrap_err().to_string();
        assert!(faults.contains("options.toml:1: option `thermal_ablation`: cites `NOPE`, which sources.toml does not list"), "{faults}");
        assert!(
            faults.contains("options.toml:13: option `laser`: unknown option id"),
            "{faults}"
        );
        assert!(
            faults.contains("option `tumor_board` of CONTRACT.md §3 is not described"),
            "{faults}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_source_from_memory_must_say_so() {
        let sources = SOURCES.replace("confirmed", "from_memory");
        let dir = scratch(
            "memory",
            &[
                ("knowledge.toml", VERSION),
                ("sources.toml", &sources),
                ("options.toml", "option = []\n"),
            ],
        );
        let faults = Knowledge::load(&dir).unwrap_err().to_string();
        assert!(
            faults.contains(
                "sources.toml:1: source `SEED-2015`: a source not wholly confirmed needs a `note`"
            ),
            "{faults}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
