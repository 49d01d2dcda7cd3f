//! Decision rules: conditions over case features that set an option's fit with a reason, add a
//! caveat, or name missing information — each with a rationale and sources.
//!
//! Rules live in `knowledge/rules/*.toml` (format in knowledge/README.md). A condition is a tree:
//! `all`, `any`, `not`, `always`, or a test of one feature (`is`, `at_least`, `at_most`, `above`,
//! `below`, `known`, `unknown`). Conditions are converted from TOML by hand rather than by an
//! untagged serde enum, so that a mistake is reported as what is wrong ("`grade` has no value
//! `G4`"), not as "data did not match any variant".
//!
//! A test of a feature the case does not state is false: a rule fires on what is known. Rules
//! that should fire on what is *not* known say so with `unknown`.

use crate::case::{CaseFeatures, FeatureId, Kind, Value};
use crate::load::{Fault, Faults, SourceFile};
use crate::question::OptionId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// How well an option fits a case, best first (CONTRACT.md §3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    NotFavoured,
    Caution,
    Possible,
    Favoured,
}

impl fmt::Display for Fit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fit::Favoured => "favoured",
            Fit::Possible => "possible",
            Fit::Caution => "caution",
            Fit::NotFavoured => "not favoured",
        })
    }
}

/// A condition over case features.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Always,
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Test(FeatureId, Test),
}

/// A test of one feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// Equal to the value; for a list, contains it.
    Is(Value),
    AtLeast(f64),
    AtMost(f64),
    Above(f64),
    Below(f64),
    Known,
    Unknown,
}

impl Condition {
    /// Converts a TOML condition, checking every feature and value against the contract.
    pub fn from_toml(raw: &toml::Value) -> Result<Condition, String> {
        let table = raw
            .as_table()
            .ok_or_else(|| format!("a condition is a table, not `{raw}`"))?;
        let list = |key: &str, v: &toml::Value| -> Result<Vec<Condition>, String> {
            let items = v
                .as_array()
                .ok_or_else(|| format!("`{key}` takes a list of conditions"))?;
            if items.is_empty() {
                return Err(format!("`{key}` needs at least one condition"));
            }
            items.iter().map(Condition::from_toml).collect()
        };
        if let Some(feature) = table.get("feature") {
            let name = feature.as_str().ok_or("`feature` names a feature")?;
            let id =
                FeatureId::from_name(name).ok_or_else(|| format!("unknown feature `{name}`"))?;
            let tests: Vec<_> = table
                .iter()
                .filter(|(k, _)| k.as_str() != "feature")
                .collect();
            let [(key, value)] = tests.as_slice() else {
                return Err(format!("a test of `{name}` takes exactly one of is, at_least, at_most, above, below, known, unknown"));
            };
            let number = || match value {
                toml::Value::Integer(i) => Ok(*i as f64),
                toml::Value::Float(x) => Ok(*x),
                other => Err(format!(
                    "`{key}` compares `{name}` with a number, not `{other}`"
                )),
            };
            let numeric = matches!(id.kind(), Kind::Integer | Kind::Number);
            let test = match key.as_str() {
                "is" => Test::Is(match (id.kind(), value) {
                    // A list feature is tested for one item.
                    (Kind::List(_), toml::Value::String(_)) => {
                        match Value::for_feature(id, *value)? {
                            Value::List(items) => Value::Term(items[0]),
                            other => other,
                        }
                    }
                    _ => Value::for_feature(id, *value)?,
                }),
                "at_least" | "at_most" | "above" | "below" if !numeric => {
                    return Err(format!("`{key}` needs a numeric feature; `{name}` is not"))
                }
                "at_least" => Test::AtLeast(number()?),
                "at_most" => Test::AtMost(number()?),
                "above" => Test::Above(number()?),
                "below" => Test::Below(number()?),
                "known" | "unknown" if value.as_bool() != Some(true) => {
                    return Err(format!("`{key}` is written `{key} = true`"))
                }
                "known" => Test::Known,
                "unknown" => Test::Unknown,
                other => return Err(format!("unknown test `{other}` of `{name}`")),
            };
            return Ok(Condition::Test(id, test));
        }
        let [(key, value)] = table.iter().collect::<Vec<_>>()[..] else {
            return Err(
                "a condition is one of all, any, not, always, or a test with `feature`".into(),
            );
        };
        match key.as_str() {
            "all" => Ok(Condition::All(list(key, value)?)),
            "any" => Ok(Condition::Any(list(key, value)?)),
            "not" => Ok(Condition::Not(Box::new(Condition::from_toml(value)?))),
            "always" if value.as_bool() == Some(true) => Ok(Condition::Always),
            other => Err(format!(
                "unknown condition `{other}`; expected all, any, not, always or feature"
            )),
        }
    }

    /// Whether the case meets the condition.
    pub fn holds(&self, case: &CaseFeatures) -> bool {
        match self {
            Condition::Always => true,
            Condition::All(items) => items.iter().all(|c| c.holds(case)),
            Condition::Any(items) => items.iter().any(|c| c.holds(case)),
            Condition::Not(c) => !c.holds(case),
            Condition::Test(feature, test) => {
                let value = case.value(*feature);
                let number = || match value {
                    Some(Value::Number(x)) => Some(*x),
                    Some(Value::Integer(i)) => Some(*i as f64),
                    _ => None,
                };
                match test {
                    Test::Known => value.is_some(),
                    Test::Unknown => value.is_none(),
                    Test::Is(want) => match (value, want) {
                        (Some(Value::List(items)), Value::Term(t)) => items.contains(t),
                        (Some(v), want) => v == want,
                        (None, _) => false,
                    },
                    Test::AtLeast(n) => number().is_some_and(|x| x >= *n),
                    Test::AtMost(n) => number().is_some_and(|x| x <= *n),
                    Test::Above(n) => number().is_some_and(|x| x > *n),
                    Test::Below(n) => number().is_some_and(|x| x < *n),
                }
            }
        }
    }
}

/// What a rule does to its option when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The option fits at least this well.
    Support(Fit),
    /// The option fits at most this well.
    Cap(Fit),
    /// No change of fit: a caveat or missing information only.
    None,
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub option: Option<OptionId>,
    pub when: Condition,
    pub effect: Effect,
    /// Shared with the answers that quote it (as are `caveat` and `sources`): no text is copied
    /// per answer.
    pub reason: Arc<str>,
    pub caveat: Option<Caveat>,
    pub missing: Option<FeatureId>,
    pub rationale: String,
    pub sources: Arc<[String]>,
}

/// A caveat about an option's evidence or harms: the whole text, its one-line headline for the
/// quick answer, and the sources of the rule that carries it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caveat {
    pub text: Arc<str>,
    pub brief: Arc<str>,
    pub sources: Arc<[String]>,
}

/// The longest headline a caveat may have, in characters: one line of a quick answer.
pub const BRIEF_LIMIT: usize = 120;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    #[serde(default)]
    option: Option<String>,
    when: toml::Value,
    #[serde(default)]
    support: Option<Fit>,
    #[serde(default)]
    cap: Option<Fit>,
    reason: String,
    #[serde(default)]
    caveat: Option<String>,
    #[serde(default)]
    caveat_brief: Option<String>,
    #[serde(default)]
    missing: Option<String>,
    rationale: String,
    sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

/// Loads every `*.toml` of `dir`, checking each rule; `known_source` says whether a source id
/// resolves.
pub fn load(dir: &Path, known_source: impl Fn(&str) -> bool) -> Result<Vec<Rule>, Faults> {
    let files = crate::load::toml_files(dir)?;
    let mut faults = Faults::default();
    let mut rules = Vec::new();
    let mut ids = BTreeSet::new();
    for file in &files {
        let parsed = match file.parse::<RulesFile>() {
            Ok(p) => p,
            Err(f) => {
                faults.push(f);
                continue;
            }
        };
        for entry in parsed.rule {
            let span = entry.span();
            let raw = entry.into_inner();
            match check(&raw, &known_source) {
                Ok(rule) if ids.insert(rule.id.clone()) => rules.push(rule),
                Ok(rule) => faults.push(fault(file, &span, &rule.id, "is defined twice".into())),
                Err(problems) => problems
                    .into_iter()
                    .for_each(|p| faults.push(fault(file, &span, &raw.id, p))),
            }
        }
    }
    faults.into_result(rules)
}

fn fault(file: &SourceFile, span: &std::ops::Range<usize>, id: &str, msg: String) -> Fault {
    file.fault(span, format!("rule `{id}`: {msg}"))
}

fn check(raw: &RawRule, known_source: &impl Fn(&str) -> bool) -> Result<Rule, Vec<String>> {
    let mut problems = Vec::new();
    let option = raw.option.as_deref().map(|name| {
        OptionId::from_name(name)
            .ok_or_else(|| problems.push(format!("unknown option `{name}`; see CONTRACT.md §3")))
    });
    let option = match option {
        Some(Ok(id)) => Some(id),
        Some(Err(())) => None,
        None => None,
    };
    let when = Condition::from_toml(&raw.when)
        .map_err(|e| problems.push(format!("when: {e}")))
        .ok();
    let effect = match (raw.support, raw.cap) {
        (Some(_), Some(_)) => {
            problems.push("takes `support` or `cap`, not both".into());
            Effect::None
        }
        (Some(fit @ (Fit::Favoured | Fit::Possible)), None) => Effect::Support(fit),
        (Some(fit), None) => {
            problems.push(format!(
                "`support` raises a fit to favoured or possible; `{fit}` is a `cap`"
            ));
            Effect::None
        }
        (None, Some(Fit::Favoured)) => {
            problems.push("`cap = \"favoured\"` limits nothing".into());
            Effect::None
        }
        (None, Some(fit)) => Effect::Cap(fit),
        (None, None) => Effect::None,
    };
    if effect != Effect::None && raw.option.is_none() {
        problems.push("`support` and `cap` need an `option`".into());
    }
    let missing = raw.missing.as_deref().and_then(|name| {
        FeatureId::from_name(name).or_else(|| {
            problems.push(format!("`missing` names unknown feature `{name}`"));
            None
        })
    });
    if effect == Effect::None && raw.caveat.is_none() && raw.missing.is_none() {
        problems.push("does nothing: give it `support`, `cap`, `caveat` or `missing`".into());
    }
    for (field, text) in [
        ("reason", Some(&raw.reason)),
        ("rationale", Some(&raw.rationale)),
        ("caveat", raw.caveat.as_ref()),
        ("caveat_brief", raw.caveat_brief.as_ref()),
    ] {
        if text.is_some_and(|t| t.trim().is_empty()) {
            problems.push(format!("`{field}` is empty"));
        }
    }
    match (&raw.caveat, &raw.caveat_brief) {
        (Some(caveat), Some(brief)) => problems.extend(check_brief(caveat, brief)),
        (Some(_), None) => problems.push(
            "`caveat` needs a `caveat_brief`: its one-line headline for the quick answer".into(),
        ),
        (None, Some(_)) => problems.push("`caveat_brief` without a `caveat`".into()),
        (None, None) => {}
    }
    if raw.sources.is_empty() {
        problems.push("needs at least one source".into());
    }
    for s in raw.sources.iter().filter(|s| !known_source(s)) {
        problems.push(format!(
            "cites `{s}`, which knowledge/sources.toml does not list"
        ));
    }
    match when {
        Some(when) if problems.is_empty() => Ok(Rule {
            id: raw.id.clone(),
            option,
            when,
            effect,
            reason: raw.reason.as_str().into(),
            caveat: raw.caveat.as_deref().map(|text| Caveat {
                text: text.into(),
                brief: raw.caveat_brief.as_deref().unwrap_or(text).into(),
                sources: raw.sources.clone().into(),
            }),
            missing,
            rationale: raw.rationale.clone(),
            sources: raw.sources.clone().into(),
        }),
        _ => Err(problems),
    }
}

/// A headline may only shorten its caveat: one line, within [`BRIEF_LIMIT`], and every number it
/// quotes is a number the caveat states (so no figure is rounded, moved or invented on the way).
fn check_brief(caveat: &str, brief: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let length = brief.chars().count();
    if length > BRIEF_LIMIT {
        problems.push(format!(
            "`caveat_brief` is {length} characters; keep it within {BRIEF_LIMIT}"
        ));
    }
    if brief.contains('\n') {
        problems.push("`caveat_brief` must be one line".into());
    }
    let stated: BTreeSet<&str> = numbers(caveat).collect();
    for n in numbers(brief).filter(|n| !stated.contains(n)) {
        problems.push(format!(
            "`caveat_brief` quotes {n}, which `caveat` does not: a headline may only shorten its caveat"
        ));
    }
    problems
}

/// The numbers written in `text` (`12`, `1.5`, `0.276`).
fn numbers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Certainty, Finding};

    fn cond(text: &str) -> Result<Condition, String> {
        let v: toml::Value = toml::from_str(&format!("when = {text}")).unwrap();
        Condition::from_toml(&v["when"])
    }

    fn case(pairs: &[(FeatureId, Value)]) -> CaseFeatures {
        let mut c = CaseFeatures::new();
        for (f, v) in pairs {
            c.set(
                *f,
                Finding {
                    value: v.clone(),
                    certainty: Certainty::Stated,
                    text: String::new(),
                },
            );
        }
        c
    }

    #[test]
    fn conditions_test_what_is_known() {
        let c = cond(r#"{ all = [ { feature = "liver_metastases", is = true }, { any = [ { feature = "liver_lesion_count", at_most = 3 }, { feature = "liver_burden", is = "limited" } ] } ] }"#).unwrap();
        let three = case(&[
            (FeatureId::LiverMetastases, Value::Bool(true)),
            (FeatureId::LiverLesionCount, Value::Integer(3)),
        ]);
        let five = case(&[
            (FeatureId::LiverMetastases, Value::Bool(true)),
            (FeatureId::LiverLesionCount, Value::Integer(5)),
        ]);
        let unknown = case(&[(FeatureId::LiverMetastases, Value::Bool(true))]);
        assert!(c.holds(&three));
        assert!(!c.holds(&five));
        assert!(!c.holds(&unknown), "a test of an unstated feature is false");
        let missing = cond(r#"{ feature = "sstr_imaging", unknown = true }"#).unwrap();
        assert!(missing.holds(&unknown));
        let list = cond(r#"{ feature = "prior_treatments", is = "ssa" }"#).unwrap();
        assert!(list.holds(&case(&[(
            FeatureId::PriorTreatments,
            Value::List(vec!["prrt", "ssa"])
        )])));
        assert!(
            cond("{ not = { always = true } }").unwrap()
                == Condition::Not(Box::new(Condition::Always))
        );
    }

    #[test]
    fn condition_mistakes_say_what_is_wrong() {
        assert!(cond(r#"{ feature = "grade", is = "G4" }"#)
            .unwrap_err()
            .contains("`G4` is not a value of `grade`"));
        assert!(cond(r#"{ feature = "liver_mets", is = true }"#)
            .unwrap_err()
            .contains("unknown feature `liver_mets`"));
        assert!(cond(r#"{ feature = "grade", at_least = 2 }"#)
            .unwrap_err()
            .contains("needs a numeric feature"));
        assert!(cond(r#"{ sometimes = true }"#)
            .unwrap_err()
            .contains("unknown condition `sometimes`"));
        assert!(cond(r#"{ all = [] }"#)
            .unwrap_err()
            .contains("at least one"));
        assert!(cond(r#"{ feature = "ecog", at_least = 2, at_most = 3 }"#)
            .unwrap_err()
            .contains("exactly one"));
    }

    #[test]
    fn rules_are_checked_whole() {
        let raw = RawRule {
            id: "x".into(),
            option: Some("laser".into()),
            when: toml::Value::Table(Default::default()),
            support: Some(Fit::Caution),
            cap: None,
            reason: "r".into(),
            caveat: None,
            caveat_brief: None,
            missing: None,
            rationale: " ".into(),
            sources: vec!["NOPE".into()],
        };
        let problems = check(&raw, &|s| s == "SEED-2015").unwrap_err().join("\n");
        for want in [
            "unknown option `laser`",
            "when: a condition is one of",
            "`caution` is a `cap`",
            "`rationale` is empty",
            "cites `NOPE`",
        ] {
            assert!(problems.contains(want), "{want} missing from:\n{problems}");
        }
    }

    #[test]
    fn a_caveat_brief_may_only_shorten_its_caveat() {
        let caveat = "PFS 22.8 vs 8.5 months (HR 0.276); OS immature.";
        assert!(check_brief(caveat, "PFS 22.8 vs 8.5 months; OS immature.").is_empty());
        let problems = check_brief(caveat, "PFS 23 vs 8.5 months; OS immature.").join("\n");
        assert!(
            problems.contains("quotes 23, which `caveat` does not"),
            "{problems}"
        );
        let long = "x".repeat(BRIEF_LIMIT + 1);
        assert!(check_brief(caveat, &long)[0].contains("keep it within 120"));
        assert!(check_brief(caveat, "one\ntwo")[0].contains("one line"));
    }
}
