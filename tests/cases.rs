//! Case files: message → expected question and features, from `tests/cases/*.toml`.
//!
//! Each `[[case]]` names a message and what the answer must make of it. `features` must match
//! exactly (value and, with `possible`, certainty); `absent` features must not be recorded;
//! `only = true` forbids any feature not listed; `fits` gives the fits each option may have
//! (absent = not favoured); `missing` the features the answer must name as missing. Every failure is reported with its file and case
//! name, and all failures are listed before the test fails.

use netboard::case::{Certainty, FeatureId, Value};
use netboard::engine::{data_dir, Engine};
use netboard::question::OptionId;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    text: String,
    #[serde(default)]
    intent: Option<String>,
    /// The options the question names, in order.
    #[serde(default)]
    asks: Option<Vec<String>>,
    #[serde(default)]
    features: BTreeMap<String, toml::Value>,
    /// Features expected with certainty `possible`.
    #[serde(default)]
    possible: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    only: bool,
    /// Options and the fits each may have; an option left out of the answer counts as
    /// `not_favoured`, as the shared scorer counts it.
    #[serde(default)]
    fits: BTreeMap<String, Vec<String>>,
    /// Features the answer must name as missing information.
    #[serde(default)]
    missing: Vec<String>,
}

fn feature(name: &str, case: &str) -> FeatureId {
    FeatureId::from_name(name).unwrap_or_else(|| panic!("case {case:?}: unknown feature `{name}`"))
}

fn check(engine: &Engine, case: &Case) -> Vec<String> {
    let mut fails = Vec::new();
    let answer = engine.ask(&case.text);
    if let Some(want) = &case.intent {
        let got = answer.question.intent.name();
        if got != want {
            fails.push(format!("intent: want {want}, got {got}"));
        }
    }
    if let Some(want) = &case.asks {
        let got: Vec<_> = answer
            .question
            .options
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        if &got != want {
            fails.push(format!("asks: want {want:?}, got {got:?}"));
        }
    }
    for (name, raw) in &case.features {
        let id = feature(name, &case.name);
        let want =
            Value::for_feature(id, raw).unwrap_or_else(|e| panic!("case {:?}: {e}", case.name));
        match answer.case.get(id) {
            None => fails.push(format!("{name}: want {want}, got nothing")),
            Some(f) if !same(&f.value, &want) => fails.push(format!(
                "{name}: want {want}, got {} (from {:?})",
                f.value, f.text
            )),
            Some(f) => {
                let want_possible = case.possible.contains(name);
                if want_possible != (f.certainty == Certainty::Possible) {
                    fails.push(format!(
                        "{name}: want certainty {}, got {:?}",
                        if want_possible { "possible" } else { "stated" },
                        f.certainty
                    ));
                }
            }
        }
    }
    for name in &case.absent {
        if let Some(f) = answer.case.get(feature(name, &case.name)) {
            fails.push(format!(
                "{name}: want nothing, got {} (from {:?})",
                f.value, f.text
            ));
        }
    }
    for (option, allowed) in &case.fits {
        assert!(
            OptionId::from_name(option).is_some(),
            "case {:?}: unknown option `{option}`",
            case.name
        );
        let got = answer
            .advice
            .options
            .iter()
            .find(|o| o.id.name() == option)
            .map_or("not_favoured".to_string(), |o| {
                serde_json::to_value(o.fit)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            });
        if !allowed.contains(&got) {
            fails.push(format!(
                "option {option}: want one of {allowed:?}, got {got}"
            ));
        }
    }
    for name in &case.missing {
        if !answer
            .advice
            .missing
            .iter()
            .any(|m| m.feature.name() == name)
        {
            fails.push(format!("missing information should name {name}"));
        }
    }
    if case.only {
        for (id, f) in answer.case.iter() {
            if !case.features.contains_key(id.name()) {
                fails.push(format!(
                    "{}: not expected, got {} (from {:?})",
                    id.name(),
                    f.value,
                    f.text
                ));
            }
        }
    }
    fails
}

/// Values compare as the contract reads them: numbers within 0.01, lists as sets.
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => (a - b).abs() <= 0.01,
        (Value::List(a), Value::List(b)) => a.len() == b.len() && b.iter().all(|x| a.contains(x)),
        _ => got == want,
    }
}

#[test]
fn every_case_file_passes() {
    let engine = Engine::load(&data_dir()).unwrap_or_else(|e| panic!("{e}"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
    {
        let text = std::fs::read_to_string(path).unwrap();
        let file: CaseFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for case in &file.case {
            total += 1;
            for fail in check(&engine, case) {
                failures.push(format!(
                    "{} / {}: {fail}",
                    path.file_name().unwrap().to_string_lossy(),
                    case.name
                ));
            }
        }
    }
    assert!(
        total >= 50,
        "expected the case files to hold at least 50 cases, found {total}"
    );
    assert!(
        failures.is_empty(),
        "{} failing expectations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
