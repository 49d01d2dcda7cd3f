//! Loading reviewed data files: TOML in, every fault reported as `file:line: what is wrong`.
//!
//! Behaviour lives in data (`intents/`, later `knowledge/`), so a data file is held to the same
//! standard as code: each file is parsed into a serde type that mirrors it exactly
//! (`deny_unknown_fields`), then compiled into a runtime type with every reference resolved. Faults
//! are collected, not returned at the first one, so a reviewer sees the whole list at once, and any
//! fault refuses start-up.

use serde::de::DeserializeOwned;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One fault in a data file, located by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Every fault found while loading, in file order. Never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults(pub Vec<Fault>);

impl Faults {
    pub fn push(&mut self, fault: Fault) {
        self.0.push(fault);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, other: Faults) {
        self.0.extend(other.0);
    }

    /// Names each file relative to `base` when it lies below it, as a reviewer would.
    pub fn relative_to(mut self, base: &Path) -> Faults {
        for f in &mut self.0 {
            if let Ok(rel) = f.file.strip_prefix(base) {
                f.file = rel.to_path_buf();
            }
        }
        self
    }

    /// `Ok(value)` when nothing was wrong, else every fault.
    pub fn into_result<T>(self, value: T) -> Result<T, Faults> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fault) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{fault}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Faults {}

/// A data file's path and text, able to turn byte offsets into line numbers.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, Fault> {
        std::fs::read_to_string(path)
            .map(|text| SourceFile {
                path: path.to_path_buf(),
                text,
            })
            .map_err(|e| Fault {
                file: path.to_path_buf(),
                line: 0,
                message: format!("cannot read the file: {e}"),
            })
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// A fault at the start of `span`.
    pub fn fault(&self, span: &Range<usize>, message: impl Into<String>) -> Fault {
        Fault {
            file: self.path.clone(),
            line: self.line_at(span.start),
            message: message.into(),
        }
    }

    /// Parses the whole file into `T`, locating a syntax or shape error by line.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Fault> {
        toml::from_str(&self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            self.fault(&span, e.message().trim().to_string())
        })
    }
}

/// Reads every `*.toml` file of `dir`, sorted by name so that load order (and so precedence
/// among intent patterns) is stable.
pub fn toml_files(dir: &Path) -> Result<Vec<SourceFile>, Faults> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Faults(vec![Fault {
            file: dir.to_path_buf(),
            line: 0,
            message: format!("cannot read the directory: {e}"),
        }])
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut faults = Faults::default();
    let mut files = Vec::new();
    for path in paths {
        match SourceFile::read(&path) {
            Ok(f) => files.push(f),
            Err(e) => faults.push(e),
        }
    }
    if files.is_empty() && faults.is_empty() {
        faults.push(Fault {
            file: dir.to_path_buf(),
            line: 0,
            message: "no .toml files here".into(),
        });
    }
    faults.into_result(files)
}

/// A fault message when a pattern lacks either kind of example.
pub fn examples_present(must: &[String], must_not: &[String]) -> Option<String> {
    (must.is_empty() || must_not.is_empty())
        .then(|| "needs examples that must match and examples that must not".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        let f = SourceFile {
            path: "x.toml".into(),
            text: "a\nb\nc".into(),
        };
        assert_eq!(f.line_at(0), 1);
        assert_eq!(f.line_at(2), 2);
        assert_eq!(f.line_at(99), 3);
        assert_eq!(f.fault(&(4..5), "bad").to_string(), "x.toml:3: bad");
    }

    #[test]
    fn parse_errors_carry_their_line() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: i64,
        }
        let f = SourceFile {
            path: "x.toml".into(),
            text: "a = 1\nb = 2\n".into(),
        };
        let e = f.parse::<T>().unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }
}
