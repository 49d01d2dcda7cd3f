//! The command line as a user meets it (CONTRACT.md §1): the real binary, real pipes.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn netboard(args: &[&str], stdin: &[u8]) -> Output {
    netboard_with(args, stdin, &[])
}

fn netboard_with(args: &[&str], stdin: &[u8], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netboard"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env_remove("DISCORD_TOKEN")
        .env_remove("NETBOARD_DATA_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const EXAMPLE: &str =
    "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?";

#[test]
fn ask_answers_in_plain_text() {
    let o = netboard(&["ask", EXAMPLE], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("liver lesions (count): 3 — \"3 liver mets\""),
        "{out}"
    );
    assert!(out.contains("SSTR imaging: positive"), "{out}");
    assert!(
        out.contains("check current guidelines and your tumour board"),
        "{out}"
    );
}

#[test]
fn ask_json_carries_features_and_intent_as_the_contract_shows() {
    let o = netboard(&["ask", "--json", EXAMPLE], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON document");
    assert_eq!(doc["intent"], "options");
    assert_eq!(
        doc["features"]["liver_lesion_count"],
        serde_json::json!({"value": 3, "certainty": "stated", "text": "3 liver mets"})
    );
    assert_eq!(doc["features"]["extrahepatic_disease"]["value"], false);
    assert_eq!(doc["features"]["largest_liver_lesion_cm"]["value"], 2.0);
}

#[test]
fn ask_reads_standard_input_with_a_dash() {
    let o = netboard(&["ask", "--json", "-"], b"ileal NET, SSTR positive\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["features"]["primary_site"]["value"], "small_intestine");
}

#[test]
fn ask_without_a_question_is_bad_usage() {
    let o = netboard(&["ask"], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("ask needs a question"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn an_unknown_subcommand_is_bad_usage() {
    let o = netboard(&["frobnicate"], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn nothing_about_a_case_gets_a_helpful_answer() {
    for text in ["", "   ", "🙂", "\"unbalanced", "Привет 你好 مرحبا"] {
        let o = netboard(&["ask", text], b"");
        assert!(o.status.success(), "{text:?}: {}", stderr(&o));
        assert!(
            stdout(&o).starts_with("I found nothing about a case in that; try"),
            "{text:?}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn batch_answers_one_json_line_per_input_line_even_for_garbage() {
    let input = b"pNET G1, 2 liver mets\n\n\xff\xfe\x00 garbage\nsources?\n";
    let o = netboard(&["ask", "--json", "--batch", "-"], input);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["features"]["liver_lesion_count"]["value"], 2);
    assert_eq!(lines[1]["features"], serde_json::json!({}));
    assert_eq!(lines[3]["intent"], "evidence");
}

#[test]
fn batch_from_a_missing_file_says_so() {
    let o = netboard(&["ask", "--json", "--batch", "/no/such/file"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read /no/such/file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_passes_on_the_shipped_data() {
    let o = netboard(&["check"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("every example passes"));
}

#[test]
fn sources_lists_the_seed_and_the_trials_with_what_they_support() {
    let o = netboard(&["sources"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for id in [
        "SEED-2015 (2015, expert discussion",
        "NETTER-1 (2017, randomised phase 3",
        "WHO2019-GRADE",
    ] {
        assert!(out.contains(id), "{id} missing from:\n{out}");
    }
    assert!(
        out.matches("\n  supports: ").count() >= 30,
        "every source says what it supports"
    );
}

#[test]
fn answers_carry_the_knowledge_version() {
    let o = netboard(&["ask", "--json", "pNET G2"], b"");
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        doc["knowledge_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{doc}"
    );
    let o = netboard(&["ask", "pNET G2"], b"");
    assert!(stdout(&o).contains(", reviewed "), "{}", stdout(&o));
}

fn scratch(name: &str) -> PathBuf {
    support::scratch_data_dir(&format!("cli-{name}"))
}

#[test]
fn check_and_start_up_refuse_faulty_data_naming_file_and_line() {
    let dir = scratch("faulty");
    std::fs::write(
        dir.join("intents/bad.toml"),
        "[[feature]]\nid = \"x\"\nfeature = \"liver_mets\"\nvalue = true\nregex = 'mets'\nmatch = [\"mets\"]\nno_match = [\"x\"]\nrationale = \"r\"\n",
    )
    .unwrap();
    for args in [&["check"][..], &["ask", "x"][..]] {
        let o = netboard_with(args, b"", &[("NETBOARD_DATA_DIR", &dir)]);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(
            err.contains("intents/bad.toml:1: feature pattern `x`: unknown feature `liver_mets`"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn assertion_tsv_prints_a_header_and_one_line_per_row() {
    let dir = scratch("tsv");
    let tsv = dir.join("a.tsv");
    std::fs::write(
        &tsv,
        "concept\tsentence\nrales\tNo wheezes or RALES.\nmets\tShe has METS.\nmets\tHistory of METS.\nmets\tIf she develops METS.\n",
    )
    .unwrap();
    let o = netboard(&["assertion", "--tsv", tsv.to_str().unwrap()], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "row\tnegated\tpossible\thistorical\thypothetical\tother"
    );
    assert_eq!(lines[1], "1\t1\t0\t0\t0\t0");
    assert_eq!(lines[2], "2\t0\t0\t0\t0\t0");
    assert_eq!(lines[3], "3\t0\t0\t1\t0\t0");
    assert_eq!(lines[4], "4\t0\t0\t0\t1\t0");
    std::fs::write(&tsv, "a\tb\nx\ty\n").unwrap();
    let o = netboard(&["assertion", "--tsv", tsv.to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `concept` column"), "{}", stderr(&o));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_console_is_the_default_and_refines_one_case() {
    let transcript = "pNET G2, 3 liver mets, dotatate avid\nactually 5 liver mets, no bone mets\ndetails\nthanks\nreset\nhelp\n";
    let o = netboard(&[], transcript.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    support::golden("console.txt", &stdout(&o));
}

#[test]
fn ask_gives_the_quick_answer_and_full_gives_every_caveat_whole() {
    let text = "SBNET G2, 3 liver mets, largest 2 cm, liver only";
    let quick = stdout(&netboard(&["ask", text], b""));
    let full = stdout(&netboard(&["ask", "--full", text], b""));
    let brief = "the 3-lesion/3-cm limit is netboard's working threshold";
    let whole = "Evidence is retrospective and mostly for RFA at surgery: median 3 lesions of median 1.4 cm";
    assert!(quick.contains(brief) && !quick.contains(whole), "{quick}");
    assert!(full.contains(whole), "{full}");
    assert!(quick.contains("Ask \"details\"") && !full.contains("Ask \"details\""));
}
