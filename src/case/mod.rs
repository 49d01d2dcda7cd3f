//! The case: what a message states about the patient, as named features (CONTRACT.md §2).
//!
//! `CaseFeatures` is the value that flows from extraction to the decision module and into the
//! per-conversation store. Its vocabulary — feature ids, their value types and allowed terms — is
//! part of netboard's public contract, so it lives here in code, and the data files in `intents/`
//! (later `knowledge/`) are validated against it at load.
//!
//! A feature remembers the words it came from (`text`), so a clinician can see what was
//! understood, and whether it was stated or only possible. Merging is explicit: within one message
//! [`CaseFeatures::record`] combines mentions by each feature's [`Combine`] rule; across messages
//! [`CaseFeatures::refine`] lets the newer statement replace the older and reports what changed.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::fmt;

pub mod wire;

/// How a feature's value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Integer,
    Number,
    /// One of the listed terms.
    Term(&'static [&'static str]),
    /// Any subset of the listed terms.
    List(&'static [&'static str]),
}

/// How two mentions of the same feature in one message combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// The later mention wins.
    Last,
    /// The larger number wins ("1.5 cm and 2.2 cm" → 2.2).
    Max,
    /// Lists gather every item.
    Union,
    /// `true` wins over `false`: a named site outside the liver outweighs "otherwise liver-only".
    TrueWins,
}

macro_rules! features {
    ($($variant:ident = $name:literal / $label:literal : $kind:expr, $combine:ident;)*) => {
        /// A case feature id (CONTRACT.md §2). The order here is the order of every listing.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum FeatureId { $($variant),* }

        impl FeatureId {
            /// Every feature, in contract order.
            pub const ALL: &'static [FeatureId] = &[$(FeatureId::$variant),*];

            /// The contract name, e.g. `liver_lesion_count`.
            pub fn name(self) -> &'static str {
                match self { $(FeatureId::$variant => $name),* }
            }

            /// The name a reader sees, e.g. "largest liver lesion (cm)".
            pub fn label(self) -> &'static str {
                match self { $(FeatureId::$variant => $label),* }
            }

            /// The value type and allowed terms.
            pub fn kind(self) -> Kind {
                match self { $(FeatureId::$variant => $kind),* }
            }

            /// How mentions within one message combine.
            pub fn combine(self) -> Combine {
                match self { $(FeatureId::$variant => Combine::$combine),* }
            }
        }
    };
}

const TREATMENTS: &[&str] = &[
    "ssa",
    "prrt",
    "everolimus",
    "sunitinib",
    "cabozantinib",
    "capecitabine_temozolomide",
    "platinum_etoposide",
    "resection",
    "ablation",
    "bland_embolization",
    "chemoembolization",
    "radioembolization",
    "embolization",
    "radiotherapy",
    "bone_protecting_agent",
];

features! {
    PrimarySite = "primary_site" / "primary site": Kind::Term(&["small_intestine", "pancreas", "lung", "stomach",
        "rectum", "appendix", "colon", "unknown", "other"]), Last;
    Grade = "grade" / "grade": Kind::Term(&["G1", "G2", "G3", "NEC"]), Last;
    Differentiation = "differentiation" / "differentiation": Kind::Term(&["well", "poorly"]), Last;
    Ki67Percent = "ki67_percent" / "Ki-67 (%)": Kind::Number, Max;
    LiverMetastases = "liver_metastases" / "liver metastases": Kind::Bool, TrueWins;
    LiverLesionCount = "liver_lesion_count" / "liver lesions (count)": Kind::Integer, Max;
    LiverBurden = "liver_burden" / "liver burden": Kind::Term(&["limited", "multiple", "diffuse"]), Last;
    LargestLiverLesionCm = "largest_liver_lesion_cm" / "largest liver lesion (cm)": Kind::Number, Max;
    AblationUnsafeLocation = "ablation_unsafe_location" / "lesion where thermal ablation is unsafe": Kind::Bool, TrueWins;
    LiverLobes = "liver_lobes" / "liver lobes": Kind::Term(&["unilobar", "bilobar"]), Last;
    ExtrahepaticDisease = "extrahepatic_disease" / "disease outside the liver": Kind::Bool, TrueWins;
    ExtrahepaticSites = "extrahepatic_sites" / "sites outside the liver": Kind::List(&["bone", "lung", "lymph_nodes",
        "peritoneum", "other"]), Union;
    BoneMetastases = "bone_metastases" / "bone metastases": Kind::Bool, TrueWins;
    BonePattern = "bone_pattern" / "bone pattern": Kind::Term(&["focal", "multifocal"]), Last;
    BoneSymptoms = "bone_symptoms" / "bone symptoms": Kind::Bool, TrueWins;
    SstrImaging = "sstr_imaging" / "SSTR imaging": Kind::Term(&["positive", "negative"]), Last;
    Resectability = "resectability" / "resectability": Kind::Term(&["resectable", "unresectable"]), Last;
    FunctionalSyndrome = "functional_syndrome" / "hormone syndrome": Kind::Term(&["carcinoid_syndrome", "insulinoma",
        "gastrinoma", "glucagonoma", "vipoma", "other", "none"]), Last;
    DiseaseCourse = "disease_course" / "disease course": Kind::Term(&["progressing", "stable"]), Last;
    PriorTreatments = "prior_treatments" / "prior treatments": Kind::List(TREATMENTS), Union;
    BiliaryEntericAnastomosis = "biliary_enteric_anastomosis" / "biliary-enteric anastomosis or sphincterotomy": Kind::Bool, TrueWins;
    CirrhosisOrLiverDysfunction = "cirrhosis_or_liver_dysfunction" / "cirrhosis or liver dysfunction": Kind::Bool, TrueWins;
    RenalImpairment = "renal_impairment" / "renal impairment": Kind::Bool, TrueWins;
    MarrowImpairment = "marrow_impairment" / "marrow impairment": Kind::Bool, TrueWins;
    Ecog = "ecog" / "ECOG": Kind::Integer, Max;
    Egfr = "egfr" / "eGFR (mL/min)": Kind::Number, Last;
    CreatinineMgDl = "creatinine_mg_dl" / "creatinine (mg/dL)": Kind::Number, Last;
    PlateletsK = "platelets_k" / "platelets (×10⁹/L)": Kind::Number, Last;
    BilirubinMgDl = "bilirubin_mg_dl" / "bilirubin (mg/dL)": Kind::Number, Last;
}

impl FeatureId {
    /// Looks a feature up by its contract name.
    pub fn from_name(name: &str) -> Option<FeatureId> {
        FeatureId::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl fmt::Display for FeatureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for FeatureId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for FeatureId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        FeatureId::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown feature `{name}`")))
    }
}

/// A feature's value. Terms are the contract's `&'static` strings, so values are cheap to copy
/// and compare and can never hold a term the contract does not define.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Integer(i64),
    Number(f64),
    Term(&'static str),
    List(Vec<&'static str>),
}

impl Value {
    /// Checks `raw` (a value read from a data file or a JSON request) against `feature`'s kind
    /// and converts it. A single term is accepted for a list feature and becomes a one-item list.
    pub fn for_feature<'a>(feature: FeatureId, raw: impl Into<Raw<'a>>) -> Result<Value, String> {
        let term = |allowed: &'static [&'static str], s: &str| {
            allowed.iter().copied().find(|t| *t == s).ok_or_else(|| {
                format!(
                    "`{s}` is not a value of `{feature}`; expected one of {}",
                    allowed.join(", ")
                )
            })
        };
        match (feature.kind(), raw.into()) {
            (Kind::Bool, Raw::Bool(b)) => Ok(Value::Bool(b)),
            (Kind::Integer, Raw::Integer(i)) => Ok(Value::Integer(i)),
            (Kind::Number, Raw::Integer(i)) => Ok(Value::Number(i as f64)),
            (Kind::Number, Raw::Float(x)) if x.is_finite() => Ok(Value::Number(x)),
            (Kind::Term(allowed), Raw::Str(s)) => term(allowed, s).map(Value::Term),
            (Kind::List(allowed), Raw::Str(s)) => term(allowed, s).map(|t| Value::List(vec![t])),
            (Kind::List(allowed), Raw::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Raw::Str(s) => term(allowed, s),
                    other => Err(format!("`{feature}` lists terms, not `{other}`")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
            (kind, other) => Err(format!(
                "`{feature}` takes {}, not `{other}`",
                kind.describe()
            )),
        }
    }

    /// The value a negated mention records: `false` for a boolean ("no bone mets"); other kinds
    /// record nothing unless their pattern names a negated value.
    pub fn negated(&self) -> Option<Value> {
        match self {
            Value::Bool(b) => Some(Value::Bool(!b)),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(true) => f.write_str("yes"),
            Value::Bool(false) => f.write_str("no"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Number(x) => write!(f, "{}", trim_number(*x)),
            Value::Term(t) => f.write_str(t),
            Value::List(items) => f.write_str(&items.join(", ")),
        }
    }
}

/// A value as read from a TOML data file or a JSON request, before it is checked against a
/// feature's kind by [`Value::for_feature`]. One view of both formats, so both are checked by the
/// same code and fail with the same messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw<'a> {
    Bool(bool),
    Integer(i64),
    Float(f64),
    Str(&'a str),
    Array(Vec<Raw<'a>>),
    /// Anything else (a table, an object, null, a date), kept as written for the error message.
    Other(String),
}

impl<'a> From<&'a toml::Value> for Raw<'a> {
    fn from(v: &'a toml::Value) -> Self {
        match v {
            toml::Value::Boolean(b) => Raw::Bool(*b),
            toml::Value::Integer(i) => Raw::Integer(*i),
            toml::Value::Float(x) => Raw::Float(*x),
            toml::Value::String(s) => Raw::Str(s),
            toml::Value::Array(items) => Raw::Array(items.iter().map(Raw::from).collect()),
            other => Raw::Other(other.to_string()),
        }
    }
}

impl<'a> From<&'a serde_json::Value> for Raw<'a> {
    fn from(v: &'a serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Bool(b) => Raw::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Raw::Integer(i),
                None => n
                    .as_f64()
                    .map_or_else(|| Raw::Other(n.to_string()), Raw::Float),
            },
            J::String(s) => Raw::Str(s),
            J::Array(items) => Raw::Array(items.iter().map(Raw::from).collect()),
            other => Raw::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Bool(b) => write!(f, "{b}"),
            Raw::Integer(i) => write!(f, "{i}"),
            Raw::Float(x) => write!(f, "{x}"),
            Raw::Str(s) => write!(f, "{s:?}"),
            Raw::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Raw::Other(s) => f.write_str(s),
        }
    }
}

/// Writes a number without a trailing `.0` and with at most two decimals.
pub fn trim_number(x: f64) -> String {
    let s = format!("{:.2}", x);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Kind {
    fn describe(self) -> String {
        match self {
            Kind::Bool => "true or false".into(),
            Kind::Integer => "an integer".into(),
            Kind::Number => "a number".into(),
            Kind::Term(t) => format!("one of {}", t.join(", ")),
            Kind::List(t) => format!("items of {}", t.join(", ")),
        }
    }
}

/// Whether a feature was stated or only raised as possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Certainty {
    Stated,
    Possible,
}

/// One understood feature: its value, how certain, and the words it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub value: Value,
    pub certainty: Certainty,
    pub text: String,
}

/// The features of one case, keyed and ordered by [`FeatureId`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFeatures {
    findings: Slots,
}

/// One slot per feature: every look-up is an index, which matters to the decision module, whose
/// rules test features hundreds of times per answer.
#[derive(Debug, Clone, PartialEq)]
struct Slots([Option<Finding>; FeatureId::ALL.len()]);

impl Default for Slots {
    fn default() -> Self {
        Slots(std::array::from_fn(|_| None))
    }
}

impl Slots {
    fn get(&self, feature: &FeatureId) -> Option<&Finding> {
        self.0[*feature as usize].as_ref()
    }

    fn get_mut(&mut self, feature: &FeatureId) -> Option<&mut Finding> {
        self.0[*feature as usize].as_mut()
    }

    fn insert(&mut self, feature: FeatureId, finding: Finding) -> Option<Finding> {
        self.0[feature as usize].replace(finding)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    fn len(&self) -> usize {
        self.0.iter().filter(|f| f.is_some()).count()
    }

    fn iter(&self) -> impl Iterator<Item = (&FeatureId, &Finding)> {
        FeatureId::ALL
            .iter()
            .zip(&self.0)
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    }
}

/// What a follow-up changed in a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub feature: FeatureId,
    /// The value before, `None` when the feature is new.
    pub before: Option<Value>,
    pub after: Value,
}

impl CaseFeatures {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    pub fn len(&self) -> usize {
        self.findings.len()
    }

    pub fn get(&self, feature: FeatureId) -> Option<&Finding> {
        self.findings.get(&feature)
    }

    pub fn value(&self, feature: FeatureId) -> Option<&Value> {
        self.findings.get(&feature).map(|f| &f.value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FeatureId, &Finding)> {
        self.findings.iter().map(|(k, v)| (*k, v))
    }

    /// Records one mention from the current message, combined with an earlier mention of the same
    /// feature by the feature's [`Combine`] rule. A stated mention outranks a possible one.
    pub fn record(&mut self, feature: FeatureId, finding: Finding) {
        let Some(old) = self.findings.get_mut(&feature) else {
            self.findings.insert(feature, finding);
            return;
        };
        if old.certainty == Certainty::Stated && finding.certainty == Certainty::Possible {
            return;
        }
        if old.certainty == Certainty::Possible && finding.certainty == Certainty::Stated {
            *old = finding;
            return;
        }
        let keep_old = match (feature.combine(), &old.value, &finding.value) {
            (Combine::Max, Value::Number(a), Value::Number(b)) => a >= b,
            (Combine::Max, Value::Integer(a), Value::Integer(b)) => a >= b,
            (Combine::TrueWins, Value::Bool(true), Value::Bool(false)) => true,
            (Combine::Union, Value::List(_), Value::List(new)) => {
                let new = new.clone();
                union_into(&mut old.value, &new);
                join_text(&mut old.text, &finding.text);
                return;
            }
            _ => false,
        };
        if !keep_old {
            *old = finding;
        }
    }

    /// Sets a feature outright, replacing any earlier value (used for derived features).
    pub fn set(&mut self, feature: FeatureId, finding: Finding) {
        self.findings.insert(feature, finding);
    }

    /// Refines this case with a newer message's features: each newer statement replaces the
    /// older one, except that lists of prior treatments accumulate. Returns what changed.
    pub fn refine(&mut self, newer: &CaseFeatures) -> Vec<Change> {
        let mut changes = Vec::new();
        for (feature, finding) in newer.iter() {
            let mut merged = finding.clone();
            if feature == FeatureId::PriorTreatments {
                if let Some(old) = self.findings.get(&feature) {
                    let Value::List(items) = &finding.value else {
                        continue;
                    };
                    merged = old.clone();
                    union_into(&mut merged.value, items);
                    join_text(&mut merged.text, &finding.text);
                }
            }
            let old = self.findings.insert(feature, merged.clone());
            let same = old
                .as_ref()
                .is_some_and(|o| o.value == merged.value && o.certainty == merged.certainty);
            if !same {
                changes.push(Change {
                    feature,
                    before: old.map(|o| o.value),
                    after: merged.value,
                });
            }
        }
        changes
    }
}

fn union_into(list: &mut Value, items: &[&'static str]) {
    if let Value::List(have) = list {
        for item in items {
            if !have.contains(item) {
                have.push(item);
            }
        }
    }
}

/// The longest a finding's text grows by joining mentions; a reader needs the gist, and a bound
/// keeps hostile input (the same treatment named thousands of times) linear.
const TEXT_LIMIT: usize = 200;

fn join_text(text: &mut String, more: &str) {
    if text.len() < TEXT_LIMIT && !text.contains(more) {
        text.push_str("; ");
        text.push_str(more);
    }
}

impl Serialize for CaseFeatures {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.findings.len()))?;
        for (k, v) in self.findings.iter() {
            map.serialize_entry(k.name(), v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(value: Value, certainty: Certainty, text: &str) -> Finding {
        Finding {
            value,
            certainty,
            text: text.into(),
        }
    }

    #[test]
    fn every_feature_name_round_trips() {
        for f in FeatureId::ALL {
            assert_eq!(FeatureId::from_name(f.name()), Some(*f));
        }
        assert_eq!(FeatureId::from_name("liver_mets"), None);
    }

    #[test]
    fn sizes_in_one_message_keep_the_largest() {
        let mut case = CaseFeatures::new();
        let f = FeatureId::LargestLiverLesionCm;
        case.record(f, finding(Value::Number(2.2), Certainty::Stated, "2.2 cm"));
        case.record(f, finding(Value::Number(1.5), Certainty::Stated, "1.5 cm"));
        assert_eq!(case.value(f), Some(&Value::Number(2.2)));
    }

    #[test]
    fn a_named_extrahepatic_site_outweighs_liver_only() {
        let mut case = CaseFeatures::new();
        let f = FeatureId::ExtrahepaticDisease;
        case.record(f, finding(Value::Bool(true), Certainty::Stated, "bone met"));
        case.record(
            f,
            finding(Value::Bool(false), Certainty::Stated, "liver-only"),
        );
        assert_eq!(case.value(f), Some(&Value::Bool(true)));
    }

    #[test]
    fn stated_outranks_possible_within_a_message() {
        let mut case = CaseFeatures::new();
        let f = FeatureId::BoneMetastases;
        case.record(
            f,
            finding(Value::Bool(true), Certainty::Stated, "bone mets"),
        );
        case.record(
            f,
            finding(Value::Bool(false), Certainty::Possible, "?no bone"),
        );
        assert_eq!(case.get(f).unwrap().certainty, Certainty::Stated);
    }

    #[test]
    fn refine_replaces_and_reports_changes_but_accumulates_treatments() {
        let mut case = CaseFeatures::new();
        case.set(
            FeatureId::SstrImaging,
            finding(Value::Term("positive"), Certainty::Stated, "avid"),
        );
        case.set(
            FeatureId::PriorTreatments,
            finding(Value::List(vec!["ssa"]), Certainty::Stated, "on octreotide"),
        );
        let mut newer = CaseFeatures::new();
        newer.set(
            FeatureId::SstrImaging,
            finding(
                Value::Term("negative"),
                Certainty::Stated,
                "dotatate negative",
            ),
        );
        newer.set(
            FeatureId::PriorTreatments,
            finding(Value::List(vec!["prrt"]), Certainty::Stated, "s/p PRRT"),
        );
        let changes = case.refine(&newer);
        assert_eq!(
            case.value(FeatureId::SstrImaging),
            Some(&Value::Term("negative"))
        );
        assert_eq!(
            case.value(FeatureId::PriorTreatments),
            Some(&Value::List(vec!["ssa", "prrt"]))
        );
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].before, Some(Value::Term("positive")));
        // Saying the same again changes nothing.
        assert!(case.refine(&newer).is_empty());
    }

    #[test]
    fn values_are_checked_against_the_contract() {
        let ok = Value::for_feature(FeatureId::Grade, &toml::Value::String("G2".into()));
        assert_eq!(ok, Ok(Value::Term("G2")));
        let bad = Value::for_feature(FeatureId::Grade, &toml::Value::String("G4".into()));
        assert!(bad.unwrap_err().contains("`G4` is not a value of `grade`"));
        let wrong_kind = Value::for_feature(FeatureId::Ecog, &toml::Value::Boolean(true));
        assert!(wrong_kind.unwrap_err().contains("takes an integer"));
    }
}
