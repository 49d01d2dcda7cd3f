//! The knowledge base keeps its promises: every statement of the 2015 seed discussion is encoded
//! and cited to it, and faulty rule files stop start-up with `file:line`.

mod support;

use netboard::engine::{data_dir, Engine};

/// The statements of shared/seed/2015-metastatic-net-episode-11.txt, each with words that must
/// appear together in some rule or option that cites `SEED-2015`.
const SEED_STATEMENTS: &[(&str, &[&str])] = &[
    ("the liver as the main or only site", &["liver-only"]),
    (
        "ablation (RFA, IRE) for a limited number of not-too-large metastases",
        &["limited number", "ablation"],
    ),
    (
        "hepatic resection for surgical candidates",
        &["resect", "candidate"],
    ),
    (
        "embolization for multiple liver metastases interrupts blood supply",
        &["embolisation", "blood"],
    ),
    (
        "chemoembolization uses cytotoxic-loaded beads",
        &["cytotoxic", "bead"],
    ),
    (
        "radioembolization with resin or glass microspheres",
        &["resin or glass"],
    ),
    (
        "radioembolization's fibrosis that can lead to cirrhosis",
        &["fibrosis", "cirrhosis"],
    ),
    (
        "the 2015 claim of fewer short-term toxicities than bland embolization",
        &["fewer short-term"],
    ),
    (
        "PRRT for somatostatin-receptor-expressing tumours",
        &["sstr", "prrt"],
    ),
    (
        "lutetium-177 rarely causes marrow or kidney toxicity",
        &["rarely"],
    ),
    (
        "systemic therapy preferred for metastases outside the liver",
        &["systemic therapy is typically preferred"],
    ),
    (
        "bone metastases less common and of poor outcome",
        &["less common", "poor outcome"],
    ),
    (
        "external beam radiotherapy for focal problems",
        &["radiotherapy", "focal"],
    ),
    (
        "a bone-protecting agent such as zoledronate for multifocal bone metastases",
        &["zoledronate", "multifocal"],
    ),
];

#[test]
fn every_seed_statement_is_encoded_and_cited_to_the_seed() {
    let engine = Engine::load(&data_dir()).unwrap_or_else(|e| panic!("{e}"));
    let knowledge = engine.knowledge();
    let mut texts: Vec<String> = knowledge
        .rules()
        .iter()
        .filter(|r| r.sources.iter().any(|s| s == "SEED-2015"))
        .map(|r| {
            format!(
                "{} {} {}",
                r.reason,
                r.caveat.as_ref().map_or("", |c| &*c.text),
                r.rationale
            )
            .to_lowercase()
        })
        .collect();
    for id in netboard::question::OptionId::ALL {
        let option = knowledge.option(*id);
        if option.sources.iter().any(|s| s == "SEED-2015") {
            texts.push(option.what.to_lowercase());
        }
    }
    let uncovered: Vec<&str> = SEED_STATEMENTS
        .iter()
        .filter(|(_, words)| !texts.iter().any(|t| words.iter().all(|w| t.contains(w))))
        .map(|(statement, _)| *statement)
        .collect();
    assert!(
        uncovered.is_empty(),
        "seed statements no rule or option cites: {uncovered:?}"
    );
}

#[test]
fn faulty_rules_stop_start_up_with_file_and_line() {
    let dir = support::scratch_data_dir("rules");
    std::fs::write(
        dir.join("knowledge/rules/zz-bad.toml"),
        "[[rule]]\nid = \"bad\"\noption = \"laser\"\nwhen = { feature = \"grade\", is = \"G4\" }\nsupport = \"caution\"\n\
         reason = \"r\"\nrationale = \"\"\nsources = [\"NOPE\"]\n\n\
         [[rule]]\nid = \"no-headline\"\noption = \"everolimus\"\nwhen = { always = true }\n\
         reason = \"r\"\ncaveat = \"OS 44.0 vs 37.7 months\"\nrationale = \"x\"\nsources = [\"RADIANT-3\"]\n\n\
         [[rule]]\nid = \"new-number\"\noption = \"everolimus\"\nwhen = { always = true }\n\
         reason = \"r\"\ncaveat = \"OS 44.0 vs 37.7 months\"\ncaveat_brief = \"OS 44 vs 38 months\"\n\
         rationale = \"x\"\nsources = [\"RADIANT-3\"]\n",
    )
    .unwrap();
    let faults = Engine::load(&dir)
        .err()
        .expect("the faulty rule loads")
        .to_string();
    for want in [
        "knowledge/rules/zz-bad.toml:1: rule `bad`: unknown option `laser`",
        "rule `bad`: when: `G4` is not a value of `grade`",
        "rule `bad`: `support` raises a fit to favoured or possible",
        "rule `bad`: `rationale` is empty",
        "rule `bad`: cites `NOPE`, which knowledge/sources.toml does not list",
        "zz-bad.toml:10: rule `no-headline`: `caveat` needs a `caveat_brief`",
        "rule `new-number`: `caveat_brief` quotes 44, which `caveat` does not",
        "rule `new-number`: `caveat_brief` quotes 38, which `caveat` does not",
    ] {
        assert!(faults.contains(want), "missing {want:?} in:\n{faults}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
