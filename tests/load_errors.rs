//! A faulty intents file stops start-up with `file:line: what is wrong`, every fault listed.

mod support;

use netboard::engine::Engine;
use std::path::PathBuf;

/// A scratch data directory holding `intents/` with the given files.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let dir = support::scratch_data_dir(&format!("load-{name}"));
        for (file, text) in files {
            std::fs::write(dir.join("intents").join(file), text).unwrap();
        }
        Scratch(dir)
    }

    fn faults(&self) -> Vec<String> {
        match Engine::load(&self.0) {
            Ok(_) => panic!("the faulty data loaded"),
            Err(faults) => faults.to_string().lines().map(String::from).collect(),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GOOD_TRIGGER: &str = r#"
[[trigger]]
id = "no"
kind = "negation"
direction = "forward"
regex = '\bno\b'
match = ["no mets"]
no_match = ["none"]
rationale = "r"
"#;

fn feature(id: &str, body: &str) -> String {
    format!("[[feature]]\nid = \"{id}\"\nrationale = \"r\"\n{body}\n")
}

#[test]
fn every_fault_is_listed_with_its_file_and_line() {
    let bad = [
        feature("unknown-feature", "feature = \"liver_mets\"\nvalue = true\nregex = 'mets'\nmatch = [\"mets\"]\nno_match = [\"x\"]"),
        feature("bad-value", "feature = \"grade\"\nvalue = \"G4\"\nregex = 'g4'\nmatch = [\"g4\"]\nno_match = [\"x\"]"),
        feature("failing-example", "feature = \"liver_metastases\"\nvalue = true\nregex = 'liver mets'\nmatch = [\"hepatic mets\"]\nno_match = [\"x\"]"),
        feature("bad-regex", "feature = \"liver_metastases\"\nvalue = true\nregex = '(unclosed'\nmatch = [\"x\"]\nno_match = [\"y\"]"),
        feature("no-group", "feature = \"ecog\"\nparse = \"number\"\nregex = 'ecog \\d'\nmatch = [\"ecog 1\"]\nno_match = [\"y\"]"),
        feature("unknown-macro", "feature = \"ecog\"\nparse = \"number\"\nregex = 'ecog (?P<n>{DIGIT})'\nmatch = [\"ecog 1\"]\nno_match = [\"y\"]"),
        feature("no-examples", "feature = \"liver_metastases\"\nvalue = true\nregex = 'mets'\nmatch = []\nno_match = []"),
    ]
    .join("\n");
    let scratch = Scratch::new("many", &[("a.toml", &bad), ("b.toml", GOOD_TRIGGER)]);
    let faults = scratch.faults();
    let expect = [
        ("a.toml:1: feature pattern `unknown-feature`: unknown feature `liver_mets`"),
        ("a.toml:10: feature pattern `bad-value`: `G4` is not a value of `grade`"),
        ("a.toml:19: feature pattern `failing-example`: example \"hepatic mets\" should match but does not"),
        ("a.toml:28: feature pattern `bad-regex`: the pattern does not compile"),
        ("a.toml:37: feature pattern `no-group`: `parse` needs a capture group named `n`"),
        ("a.toml:46: pattern `unknown-macro`: unknown macro `{DIGIT}`"),
        ("a.toml:55: feature pattern `no-examples`: needs examples that must match and examples that must not"),
    ];
    for want in expect {
        assert!(
            faults.iter().any(|f| f.contains(want)),
            "missing {want:?} in:\n{}",
            faults.join("\n")
        );
    }
}

#[test]
fn syntax_errors_and_unknown_fields_carry_their_line() {
    let scratch = Scratch::new(
        "syntax",
        &[
            (
                "a.toml",
                "[[trigger]]\nid = \"x\"\nkind = \"negation\"\ndirektion = \"forward\"\n",
            ),
            ("b.toml", "x = [\n"),
        ],
    );
    let faults = scratch.faults();
    assert!(
        faults
            .iter()
            .any(|f| f.contains("a.toml:4:") && f.contains("unknown field `direktion`")),
        "{faults:?}"
    );
    assert!(faults.iter().any(|f| f.contains("b.toml:")), "{faults:?}");
}

#[test]
fn trigger_faults_name_the_trigger() {
    let text = "[[trigger]]\nid = \"bad\"\nkind = \"negation\"\nregex = 'no'\nmatch = [\"no\"]\nno_match = [\"x\"]\nrationale = \"r\"\n";
    let scratch = Scratch::new("trigger", &[("a.toml", text)]);
    let faults = scratch.faults();
    assert_eq!(
        faults,
        vec![
            "intents/a.toml:1: trigger `bad`: needs a direction: forward, backward or both"
                .to_string()
        ]
    );
}

#[test]
fn a_missing_directory_is_a_fault_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("netboard-missing-{}", std::process::id()));
    let err = Engine::load(&dir)
        .err()
        .expect("no intents directory")
        .to_string();
    assert!(err.contains("cannot read the directory"), "{err}");
}

#[test]
fn the_shipped_intents_load_and_every_example_passes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
    if let Err(faults) = netboard::extract::Extractor::load(&dir) {
        panic!("intents/ has faults:\n{faults}");
    }
}
