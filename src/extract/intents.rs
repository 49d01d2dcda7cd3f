//! Loading `intents/`: every TOML file there, its macros expanded, split by kind and compiled.
//!
//! One file may hold any of the sections (`[macros]`, `[[question]]`, `[[option]]`,
//! `[[feature]]`, `[[threshold]]`, `[[trigger]]`); intents/README.md specifies each. Macros are
//! shared by all files, so a number-word list is written once. Files load in name order, which is
//! the precedence among question patterns.
//!
//! Two rewrites happen before a pattern compiles, both documented in intents/README.md:
//! `{NAME}` expands to the macro `NAME`, and the Perl classes `\b`, `\d`, `\s`, `\w` become ASCII,
//! which keeps the automata small and the fast DFA engines usable on any input (a Unicode `\b`
//! makes them fall back on non-ASCII text).

use super::assertion::{ContextRules, RawTrigger};
use super::features::{FeaturePatterns, RawFeature, RawThreshold};
use super::questions::{QuestionPatterns, RawOption, RawQuestion};
use crate::load::{toml_files, Fault, Faults, SourceFile};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentsFile {
    #[serde(default)]
    macros: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    question: Vec<Spanned<RawQuestion>>,
    #[serde(default)]
    option: Vec<Spanned<RawOption>>,
    #[serde(default)]
    feature: Vec<Spanned<RawFeature>>,
    #[serde(default)]
    threshold: Vec<Spanned<RawThreshold>>,
    #[serde(default)]
    trigger: Vec<Spanned<RawTrigger>>,
}

/// Every compiled intent pattern and trigger.
pub struct Intents {
    pub questions: QuestionPatterns,
    pub features: FeaturePatterns,
    pub context: ContextRules,
}

/// An entry of kind `T` with the file and span it came from.
pub type Located<'a, T> = (&'a SourceFile, Range<usize>, T);

impl Intents {
    /// Loads and compiles every file of `dir`, reporting every fault.
    pub fn load(dir: &Path) -> Result<Intents, Faults> {
        let files = toml_files(dir)?;
        let mut faults = Faults::default();
        let mut parsed = Vec::new();
        for file in &files {
            match file.parse::<IntentsFile>() {
                Ok(p) => parsed.push((file, p)),
                Err(e) => faults.push(e),
            }
        }
        let macros = collect_macros(&parsed, &mut faults);
        let mut questions = Vec::new();
        let mut options = Vec::new();
        let mut features = Vec::new();
        let mut thresholds = Vec::new();
        let mut triggers = Vec::new();
        for (file, p) in parsed {
            let mut expand =
                |span: &Range<usize>, id: &str, regex: &mut String| match expand(regex, &macros) {
                    Ok(r) => *regex = r,
                    Err(e) => faults.push(file.fault(span, format!("pattern `{id}`: {e}"))),
                };
            for q in p.question {
                let span = q.span();
                let mut q = q.into_inner();
                expand(&span, &q.id, &mut q.regex);
                questions.push((file, span, q));
            }
            for o in p.option {
                let span = o.span();
                let mut o = o.into_inner();
                expand(&span, &o.option, &mut o.regex);
                options.push((file, span, o));
            }
            for f in p.feature {
                let span = f.span();
                let mut f = f.into_inner();
                expand(&span, &f.id, &mut f.regex);
                features.push((file, span, f));
            }
            for t in p.threshold {
                let span = t.span();
                thresholds.push((file, span, t.into_inner()));
            }
            for t in p.trigger {
                let span = t.span();
                let mut t = t.into_inner();
                expand(&span, &t.id, &mut t.regex);
                triggers.push((file, span, t));
            }
        }
        // The feature patterns are most of the work; they compile on a second thread while this
        // one compiles the questions and triggers, which halves start-up on two cores.
        let (questions, features, context) = std::thread::scope(|scope| {
            let features = scope.spawn(|| FeaturePatterns::compile(&features, &thresholds));
            let questions = QuestionPatterns::compile(&questions, &options);
            let context = ContextRules::compile(&triggers);
            let features = features
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (questions, features, context)
        });
        match (questions, features, context) {
            (Ok(questions), Ok(features), Ok(context)) if faults.is_empty() => Ok(Intents {
                questions,
                features,
                context,
            }),
            (q, f, c) => {
                for r in [q.err(), f.err(), c.err()].into_iter().flatten() {
                    faults.extend(r);
                }
                faults
                    .0
                    .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
                Err(faults)
            }
        }
    }
}

fn collect_macros(
    parsed: &[(&SourceFile, IntentsFile)],
    faults: &mut Faults,
) -> BTreeMap<String, String> {
    let mut macros = BTreeMap::new();
    for (file, p) in parsed {
        for (name, body) in &p.macros {
            let ok_name =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
            if !ok_name {
                faults.push(file.fault(
                    &body.span(),
                    format!("macro `{name}`: names are CAPITALS and _"),
                ));
            } else if macros
                .insert(name.clone(), body.get_ref().clone())
                .is_some()
            {
                faults.push(file.fault(&body.span(), format!("macro `{name}` is defined twice")));
            }
        }
    }
    macros
}

/// Expands `{NAME}` macros (nested up to a small depth) and makes the Perl classes ASCII.
fn expand(pattern: &str, macros: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = pattern.to_string();
    for _ in 0..4 {
        if !out.contains('{') {
            break;
        }
        let mut next = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(open) = rest.find('{') {
            next.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}');
            match close.map(|c| &after[..c]) {
                Some(name)
                    if !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') =>
                {
                    let body = macros
                        .get(name)
                        .ok_or_else(|| format!("unknown macro `{{{name}}}`"))?;
                    next.push_str("(?:");
                    next.push_str(body);
                    next.push(')');
                    rest = &after[name.len() + 1..];
                }
                _ => {
                    next.push('{');
                    rest = after;
                }
            }
        }
        next.push_str(rest);
        out = next;
    }
    Ok(ascii_classes(&out))
}

/// Makes the Perl classes ASCII: outside brackets `\b`, `\d`, `\s`, `\w` become `(?-u:\b)` and so
/// on; inside brackets `\d`, `\s`, `\w` become their ASCII ranges. Unicode classes are large,
/// costly to compile and make the DFA engines give up on non-ASCII text; chat shorthand is ASCII.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars();
    let mut depth = 0usize;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        match c {
            '\\' => match chars.next() {
                Some(k @ ('d' | 's' | 'w')) if depth > 0 => out.push_str(match k {
                    'd' => "0-9",
                    's' => r"\t\n\x0B\x0C\r ",
                    _ => "0-9A-Za-z_",
                }),
                Some(k @ ('b' | 'd' | 's' | 'w')) => {
                    out.push_str(r"(?-u:\");
                    out.push(k);
                    out.push(')');
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' => {
                depth += 1;
                class_start = true;
                out.push(c);
            }
            '^' if at_class_start => {
                class_start = true;
                out.push(c);
            }
            ']' if depth > 0 && !at_class_start => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A fault for an entry: `file:line: KIND 'ID': message`, the id in backquotes.
pub fn entry_fault(
    file: &SourceFile,
    span: &Range<usize>,
    what: &str,
    id: &str,
    msg: impl std::fmt::Display,
) -> Fault {
    file.fault(span, format!("{what} `{id}`: {msg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_expand_and_boundaries_become_ascii() {
        let mut m = BTreeMap::new();
        m.insert("NUM".to_string(), r"\d+|{WORD}".to_string());
        m.insert("WORD".to_string(), "one|two".to_string());
        let got = expand(r"\b{NUM} mets{1,2}", &m).unwrap();
        assert_eq!(got, r"(?-u:\b)(?:(?-u:\d)+|(?:one|two)) mets{1,2}");
        assert!(expand("{NOPE}", &m).unwrap_err().contains("unknown macro"));
    }

    #[test]
    fn perl_classes_become_ascii_inside_and_outside_brackets() {
        assert_eq!(ascii_classes(r"\\b\b"), r"\\b(?-u:\b)");
        assert_eq!(ascii_classes(r"[\s-]+\w"), r"[\t\n\x0B\x0C\r -]+(?-u:\w)");
        assert_eq!(ascii_classes(r"[^\d.]\d"), r"[^0-9.](?-u:\d)");
        assert_eq!(ascii_classes(r"[]\d]\s"), r"[]0-9](?-u:\s)");
        assert_eq!(ascii_classes(r"\[\d\]"), r"\[(?-u:\d)\]");
    }
}
