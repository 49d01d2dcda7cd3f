//! Fixtures shared by the integration tests.
//!
//! Each test crate includes this module and uses a part of it, so the rest is dead code there.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A fresh scratch data directory named for the test: `intents/` empty, `knowledge/` a copy of the
/// shipped knowledge base, so that every fault a test provokes is its own.
pub fn scratch_data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netboard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("intents")).unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        &dir.join("knowledge"),
    );
    dir
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A line diff good enough to read a golden-file failure: `-` wanted, `+` got.
pub fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<_>, Vec<_>) = (want.lines().collect(), got.lines().collect());
    let mut out = String::new();
    for i in 0..w.len().max(g.len()) {
        match (w.get(i), g.get(i)) {
            (Some(a), Some(b)) if a == b => out.push_str(&format!("  {a}\n")),
            (a, b) => {
                if let Some(a) = a {
                    out.push_str(&format!("- {a}\n"));
                }
                if let Some(b) = b {
                    out.push_str(&format!("+ {b}\n"));
                }
            }
        }
    }
    out
}

/// Compares `got` with the golden file `tests/golden/<name>`; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert!(
        got == want,
        "{} differs:\n{}",
        path.display(),
        diff(&want, got)
    );
}

/// Checks a CDS Hooks response against the rules of the spec netboard keeps: every card has a
/// `uuid` (unique within the response), a `summary` under 140 characters, an `indicator` of
/// `info`, `warning` or `critical`, and a `source.label`; at most one `warning` card; and nowhere
/// a null, an empty string or an empty array. Returns the first fault with its JSON path.
pub fn cds_rules(response: &serde_json::Value) -> Result<(), String> {
    no_empties("$", response)?;
    let cards = response["cards"]
        .as_array()
        .ok_or("`cards` is not an array")?;
    let mut uuids = std::collections::HashSet::new();
    for (i, card) in cards.iter().enumerate() {
        let at = format!("$.cards[{i}]");
        let uuid = card["uuid"].as_str().ok_or(format!("{at}: no uuid"))?;
        uuid::Uuid::parse_str(uuid).map_err(|e| format!("{at}.uuid: {e}"))?;
        if !uuids.insert(uuid) {
            return Err(format!("{at}.uuid: {uuid} repeats"));
        }
        let summary = card["summary"]
            .as_str()
            .ok_or(format!("{at}: no summary"))?;
        if summary.chars().count() >= 140 {
            return Err(format!(
                "{at}.summary: {} characters",
                summary.chars().count()
            ));
        }
        let indicator = card["indicator"].as_str().unwrap_or("");
        if !["info", "warning", "critical"].contains(&indicator) {
            return Err(format!("{at}.indicator: `{indicator}`"));
        }
        card["source"]["label"]
            .as_str()
            .ok_or(format!("{at}: no source.label"))?;
    }
    let warnings = cards.iter().filter(|c| c["indicator"] == "warning").count();
    if warnings > 1 {
        return Err(format!("{warnings} warning cards"));
    }
    Ok(())
}

/// Fails at the first null, empty string, empty array or empty object under `value`.
pub fn no_empties(path: &str, value: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value as J;
    match value {
        J::Null => Err(format!("{path}: null")),
        J::String(s) if s.is_empty() => Err(format!("{path}: empty string")),
        J::Array(a) if a.is_empty() => Err(format!("{path}: empty array")),
        J::Object(o) if o.is_empty() => Err(format!("{path}: empty object")),
        J::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| no_empties(&format!("{path}[{i}]"), v)),
        J::Object(o) => o
            .iter()
            .try_for_each(|(k, v)| no_empties(&format!("{path}.{k}"), v)),
        _ => Ok(()),
    }
}
