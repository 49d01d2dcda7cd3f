//! Case features without their words: the form that leaves the process.
//!
//! `{"grade": {"value": "G2", "certainty": "stated"}, "liver_lesion_count": {"value": 3, …}}` —
//! keyed by the CONTRACT §2 feature names, each with its value and certainty and nothing else.
//! It is what the case store keeps (never the words a clinician typed, which may carry
//! identifiers), what the HTTP API and CDS Hooks accept as `features` / `caseFeatures`, and what
//! the bot sends to a remote decision service. One reader for all of them, so every door checks
//! values against the same vocabulary and rejects a bad one with the same message.

use super::{CaseFeatures, Certainty, FeatureId, Finding, Value};
use serde_json::{Map, Value as Json};
use std::fmt;

/// Why a features document was rejected: the field (`features.grade.value`) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub field: String,
    pub why: String,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.why)
    }
}

impl std::error::Error for WireError {}

/// The case as a features document, in feature order.
pub fn to_json(case: &CaseFeatures) -> Json {
    let map: Map<String, Json> = case
        .iter()
        .map(|(feature, finding)| {
            let value = serde_json::to_value(&finding.value).unwrap_or(Json::Null);
            let certainty = match finding.certainty {
                Certainty::Stated => "stated",
                Certainty::Possible => "possible",
            };
            let entry = serde_json::json!({ "value": value, "certainty": certainty });
            (feature.name().to_string(), entry)
        })
        .collect();
    Json::Object(map)
}

/// Reads a features document. `prefix` names where it sits in the request (`features`,
/// `context.caseFeatures`) so an error points at the field. Certainty defaults to `stated`;
/// findings read this way carry no words.
pub fn from_json(prefix: &str, doc: &Json) -> Result<CaseFeatures, WireError> {
    let fail = |field: String, why: String| WireError { field, why };
    let Json::Object(map) = doc else {
        return Err(fail(
            prefix.into(),
            format!(
                "expected an object keyed by feature names, not {}",
                kind_of(doc)
            ),
        ));
    };
    let mut case = CaseFeatures::new();
    for (name, entry) in map {
        let field = format!("{prefix}.{name}");
        let feature = FeatureId::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = FeatureId::ALL.iter().map(|f| f.name()).collect();
            let why = format!("unknown feature; expected one of {}", names.join(", "));
            fail(field.clone(), why)
        })?;
        let Json::Object(entry) = entry else {
            return Err(fail(
                field,
                r#"expected {"value": …, "certainty": "stated" | "possible"}"#.into(),
            ));
        };
        if let Some(other) = entry
            .keys()
            .find(|k| !matches!(k.as_str(), "value" | "certainty"))
        {
            return Err(fail(
                format!("{field}.{other}"),
                "unknown field; a feature has `value` and `certainty`".into(),
            ));
        }
        let raw = entry
            .get("value")
            .ok_or_else(|| fail(format!("{field}.value"), "missing".into()))?;
        let value =
            Value::for_feature(feature, raw).map_err(|why| fail(format!("{field}.value"), why))?;
        let certainty = match entry.get("certainty") {
            None => Certainty::Stated,
            Some(Json::String(s)) if s == "stated" => Certainty::Stated,
            Some(Json::String(s)) if s == "possible" => Certainty::Possible,
            Some(other) => {
                return Err(fail(
                    format!("{field}.certainty"),
                    format!("expected \"stated\" or \"possible\", not {other}"),
                ))
            }
        };
        case.set(
            feature,
            Finding {
                value,
                certainty,
                text: String::new(),
            },
        );
    }
    Ok(case)
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_case_round_trips_without_its_words() {
        let mut case = CaseFeatures::new();
        let stated = |value, text: &str| Finding {
            value,
            certainty: Certainty::Stated,
            text: text.into(),
        };
        case.set(FeatureId::Grade, stated(Value::Term("G2"), "G2"));
        case.set(
            FeatureId::LiverLesionCount,
            stated(Value::Integer(3), "3 liver mets"),
        );
        case.set(
            FeatureId::LargestLiverLesionCm,
            stated(Value::Number(2.5), "25 mm"),
        );
        case.set(
            FeatureId::PriorTreatments,
            stated(
                Value::List(vec!["ssa", "prrt"]),
                "s/p octreotide and lutathera",
            ),
        );
        case.set(
            FeatureId::BoneMetastases,
            Finding {
                value: Value::Bool(true),
                certainty: Certainty::Possible,
                text: "?bone".into(),
            },
        );
        let doc = to_json(&case);
        assert!(!doc.to_string().contains("mets"), "no words leave: {doc}");
        let back = from_json("features", &doc).unwrap();
        assert_eq!(back.len(), case.len());
        for (feature, finding) in case.iter() {
            let read = back.get(feature).unwrap();
            assert_eq!(
                (&read.value, read.certainty),
                (&finding.value, finding.certainty)
            );
            assert_eq!(read.text, "");
        }
    }

    #[test]
    fn bad_documents_name_the_field_and_why() {
        let err = |doc| from_json("features", &doc).unwrap_err().to_string();
        assert!(err(json!([])).starts_with("features: expected an object"));
        assert!(err(json!({"liver_mets": {"value": true}}))
            .starts_with("features.liver_mets: unknown feature; expected one of primary_site"));
        assert_eq!(
            err(json!({"grade": {"value": "G4"}})),
            "features.grade.value: `G4` is not a value of `grade`; expected one of G1, G2, G3, NEC"
        );
        assert_eq!(
            err(json!({"ecog": {"value": 1.5}})),
            "features.ecog.value: `ecog` takes an integer, not `1.5`"
        );
        assert_eq!(
            err(json!({"grade": {"value": "G2", "certainty": "likely"}})),
            r#"features.grade.certainty: expected "stated" or "possible", not "likely""#
        );
        assert_eq!(err(json!({"grade": {}})), "features.grade.value: missing");
        assert_eq!(
            err(json!({"grade": {"value": "G2", "text": "G2"}})),
            "features.grade.text: unknown field; a feature has `value` and `certainty`"
        );
        assert_eq!(
            err(json!({"grade": "G2"})),
            r#"features.grade: expected {"value": …, "certainty": "stated" | "possible"}"#
        );
    }

    #[test]
    fn certainty_defaults_to_stated_and_a_single_term_fills_a_list() {
        let case = from_json(
            "features",
            &json!({"extrahepatic_sites": {"value": "bone"}, "largest_liver_lesion_cm": {"value": 2}}),
        )
        .unwrap();
        let sites = case.get(FeatureId::ExtrahepaticSites).unwrap();
        assert_eq!(sites.value, Value::List(vec!["bone"]));
        assert_eq!(sites.certainty, Certainty::Stated);
        assert_eq!(
            case.value(FeatureId::LargestLiverLesionCm),
            Some(&Value::Number(2.0))
        );
    }
}
