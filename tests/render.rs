//! The three renderings of an answer — plain text, chat messages and JSON — against golden files,
//! and the promises every rendering keeps whatever the case.

mod support;

use netboard::engine::{data_dir, Engine};
use netboard::render;
use std::sync::LazyLock;

static ENGINE: LazyLock<Engine> =
    LazyLock::new(|| Engine::load(&data_dir()).unwrap_or_else(|e| panic!("{e}")));

/// Cases chosen to cover each section: liver-only disease, NEC, bone, an eligibility question, a
/// question about harms, a message with nothing in it, and the full answer ("details").
const CASES: &[(&str, &str)] = &[
    (
        "limited-liver",
        "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?",
    ),
    (
        "nec",
        "Large cell neuroendocrine carcinoma, Ki-67 70%, liver and nodal mets",
    ),
    (
        "bone",
        "multiple painful bone mets (ribs, sacrum, femur) from midgut NET; also liver mets",
    ),
    (
        "eligibility",
        "Is she a PRRT candidate? dotatate negative, FDG positive pNET",
    ),
    (
        "toxicity",
        "what are the risks of Y90 for bilobar SBNET liver mets?",
    ),
    ("nothing", "thanks!"),
    (
        "limited-liver-details",
        "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — details?",
    ),
];

#[test]
fn plain_chat_and_json_match_their_golden_files() {
    for (name, text) in CASES {
        let answer = ENGINE.ask(text);
        support::golden(&format!("render/{name}.txt"), &render::plain(&answer));
        support::golden(
            &format!("render/{name}.chat.md"),
            &render::chat(&answer).join("\n\n----- next message -----\n\n"),
        );
        let json = serde_json::to_string_pretty(&render::json(&answer)).unwrap() + "\n";
        support::golden(&format!("render/{name}.json"), &json);
    }
}

#[test]
fn chat_messages_stay_within_discords_limit() {
    // A long consult note makes a long answer.
    let text = "pNET G2 Ki-67 12%, 4 liver mets up to 3 cm, bilobar, peritoneal and bone mets (ribs, spine), \
        painful, eGFR 40, plt 95, SSTR positive, progressing on lanreotide, s/p Whipple and TACE, \
        Child-Pugh B, ECOG 1. Options?";
    let answer = ENGINE.ask(text);
    let messages = render::chat(&answer);
    assert!(messages.len() >= 2, "a long answer is split");
    for m in &messages {
        assert!(
            m.chars().count() <= render::MESSAGE_LIMIT,
            "{} characters",
            m.chars().count()
        );
        assert!(!m.trim().is_empty());
    }
}

#[test]
fn every_caveat_and_evidence_entry_names_a_listed_source() {
    let knowledge = ENGINE.knowledge();
    for (_, text) in CASES {
        let doc = render::json(&ENGINE.ask(text));
        for option in doc["options"].as_array().unwrap() {
            let evidence = option["evidence"]["sources"].as_array().unwrap();
            assert!(!evidence.is_empty(), "{option}");
            let caveat_sources = option["caveats"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["sources"].as_array().unwrap().clone());
            for id in evidence.iter().cloned().chain(caveat_sources) {
                let id = id.as_str().unwrap();
                assert!(
                    knowledge.source(id).is_some(),
                    "{id} is not listed by `netboard sources`"
                );
            }
            assert!(["favoured", "possible", "caution", "not_favoured"]
                .contains(&option["fit"].as_str().unwrap()));
        }
    }
}

/// Lines a text takes on a terminal `columns` wide.
fn screen_lines(text: &str, columns: usize) -> usize {
    text.lines()
        .map(|l| l.chars().count().div_ceil(columns).max(1))
        .sum()
}

#[test]
fn a_quick_answer_fits_one_screen_and_details_give_every_caveat_whole() {
    // One screen: 50 lines of 100 columns, or two chat messages.
    let typical =
        "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?";
    let quick = ENGINE.ask(typical);
    let text = render::plain(&quick);
    assert!(
        screen_lines(&text, 100) <= 50,
        "{} lines:\n{text}",
        screen_lines(&text, 100)
    );
    assert!(render::chat(&quick).len() <= 2);

    let full = ENGINE.ask(&format!("{typical} details"));
    let full_text = render::plain(&full);
    for o in &quick.advice.options {
        for c in &o.caveats {
            assert!(
                text.contains(&*c.brief),
                "quick answer lacks the headline {:?}",
                c.brief
            );
            assert!(
                full_text.contains(&*c.text),
                "full answer lacks {:?}",
                c.text
            );
        }
    }
    assert_eq!(
        quick.advice, full.advice,
        "details change the rendering, not the advice"
    );
    assert!(text.contains("Ask \"details\""));
    assert!(!full_text.contains("Ask \"details\""));
}
