//! Random and hostile text: extraction never panics, and its time stays linear in the length.
//!
//! The property test feeds arbitrary Unicode and chat-like fragments. The hostile inputs are the
//! ones a regex pipeline fears: 100 kB messages, thousands of triggers and mentions in one
//! sentence, binary garbage, lone emoji, mixed scripts, unbalanced quotes. "Bounded time" is
//! checked without timing the code: each hostile input is run against a watchdog far above what a
//! linear pass needs (seconds, for inputs that take milliseconds), so a quadratic or exponential
//! path fails the test instead of hanging the suite.

use netboard::engine::{data_dir, Engine};
use proptest::prelude::*;
use std::sync::mpsc;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

static ENGINE: LazyLock<Arc<Engine>> =
    LazyLock::new(|| Arc::new(Engine::load(&data_dir()).unwrap_or_else(|e| panic!("{e}"))));

/// Runs extraction on `text` in a thread and fails if it has not finished within the watchdog.
fn finishes(name: &str, text: String) {
    let engine = Arc::clone(&ENGINE);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let answer = engine.ask(&text);
        let _ = netboard::render::plain(&answer);
        let _ = netboard::render::json(&answer);
        let _ = tx.send(answer.case.len());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(_) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: extraction did not finish within the watchdog")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: extraction panicked"),
    }
}

fn repeat_to(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len() + 1)
}

#[test]
fn hostile_inputs_finish_without_panicking() {
    let cases = [
        (
            "100 kB of a case",
            repeat_to(
                "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid. ",
                100_000,
            ),
        ),
        (
            "100 kB of triggers",
            repeat_to("no not without possible history of if family ", 100_000),
        ),
        (
            "100 kB of mentions in one sentence",
            repeat_to("liver mets, bone mets, ", 100_000),
        ),
        (
            "a negated list 100 kB long",
            format!("no {}", repeat_to("bone, lung, ", 100_000)),
        ),
        (
            "100 kB of treatments",
            repeat_to("s/p RFA and Y90 on octreotide ", 100_000),
        ),
        (
            "100 kB of numbers",
            repeat_to("1.2 and 3,4 cm x5 4+ ", 100_000),
        ),
        ("100 kB without spaces", "a".repeat(100_000)),
        ("100 kB of emoji", "🙂".repeat(25_000)),
        (
            "mixed scripts",
            repeat_to("печень 肝臓 كبد liver mets Ki-67 ٣٥% ", 100_000),
        ),
        (
            "unbalanced quotes and brackets",
            repeat_to("\"((([[{ no 'bone mets ", 100_000),
        ),
        (
            "binary garbage",
            String::from_utf8_lossy(
                &(0..100_000u32)
                    .map(|i| (i * 7919 % 251) as u8)
                    .collect::<Vec<_>>(),
            )
            .into_owned(),
        ),
        ("NUL bytes", "\0".repeat(10_000)),
        ("lone emoji", "🧬".into()),
        ("empty", String::new()),
        ("whitespace", " \t\n\r ".repeat(1000)),
    ];
    for (name, text) in cases {
        finishes(name, text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let answer = ENGINE.ask(&text);
        let _ = netboard::render::plain(&answer);
    }

    #[test]
    fn chat_like_fragments_never_panic(parts in prop::collection::vec(prop::sample::select(vec![
        "no", "not", "possible", "?", "s/p", "h/o", "if", "family history of", "but", ",", ";", ".",
        "bone", "liver", "mets", "lung", "or", "nodal", "3", "x5", "2.5 cm", "25 mm", "Ki-67", "25%",
        "dotatate", "negative", "avid", "SSTR+", "octreotide", "on", "progressing", "pNET", "G3",
        "Y90", "vs", "TACE", "eGFR", "35", "plt", "—", "\"", "(", ")", "🙂",
    ]), 0..40)) {
        let text = parts.join(" ");
        let answer = ENGINE.ask(&text);
        // Every recorded feature's text is words of the message.
        for (_, finding) in answer.case.iter() {
            for piece in finding.text.split("; ") {
                prop_assert!(text.contains(piece), "{:?} is not in {:?}", piece, text);
            }
        }
    }
}
