//! The content hash of the data a service decides with, for `GET /v1/knowledge`.
//!
//! The knowledge version says which release of `knowledge/` a reviewer signed off; the hash says
//! byte for byte what this process loaded, `intents/` included (extraction decides what a case
//! *is*). Two services with the same hash answer alike. It is SHA-256 over every `*.toml` file
//! under `intents/` and `knowledge/` — the files the engine loads — taken in order of their
//! relative paths (with `/` separators), each as its path, a NUL, its length (8 bytes,
//! little-endian) and its bytes, so it does not depend on the directory's listing order, the
//! platform, or where the tree lives.

use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};

/// The data files a service decides with, and their content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fingerprint {
    /// `sha256:` and 64 hex digits.
    pub hash: String,
    /// The files hashed, relative to the data directory, in hash order.
    pub files: Vec<String>,
}

/// Hashes the loaded data files under `dir`.
pub(super) fn fingerprint(dir: &Path) -> io::Result<Fingerprint> {
    let mut files = Vec::new();
    for top in ["intents", "knowledge"] {
        collect(dir, &dir.join(top), &mut files)?;
    }
    files.sort();
    let mut hasher = Sha256::new();
    for (name, path) in &files {
        let bytes = std::fs::read(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let hash = hasher
        .finalize()
        .iter()
        .fold(String::from("sha256:"), |mut hex, byte| {
            hex.push_str(&format!("{byte:02x}"));
            hex
        });
    Ok(Fingerprint {
        hash,
        files: files.into_iter().map(|(name, _)| name).collect(),
    })
}

/// Every `*.toml` file under `at`, as (path relative to `root` with `/`, full path).
fn collect(root: &Path, at: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    let entries = std::fs::read_dir(at)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", at.display())))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((name.join("/"), path));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_content_not_listing_order() {
        let dir = std::env::temp_dir().join(format!("netboard-fingerprint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("intents")).unwrap();
        std::fs::create_dir_all(dir.join("knowledge/rules")).unwrap();
        std::fs::write(dir.join("intents/a.toml"), "a = 1\n").unwrap();
        std::fs::write(dir.join("knowledge/rules/b.toml"), "b = 2\n").unwrap();
        std::fs::write(dir.join("knowledge/README.md"), "not loaded\n").unwrap();
        let first = fingerprint(&dir).unwrap();
        assert_eq!(first.files, ["intents/a.toml", "knowledge/rules/b.toml"]);
        assert_eq!(first.hash.len(), "sha256:".len() + 64);
        std::fs::write(dir.join("knowledge/README.md"), "changed\n").unwrap();
        assert_eq!(fingerprint(&dir).unwrap(), first, "README is not loaded");
        std::fs::write(dir.join("intents/a.toml"), "a = 2\n").unwrap();
        assert_ne!(fingerprint(&dir).unwrap().hash, first.hash);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
