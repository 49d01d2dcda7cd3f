//! The case store: each conversation's case, kept across messages and restarts.
//!
//! A Discord thread, a DM or an HTTP caller's `case_id` is a conversation; its case is refined by
//! every follow-up, so it must outlive the message that started it and the process that answered
//! it. Embedded SQLite (WAL, one file, nothing to install) keeps it: a key, the case as a
//! words-free features document ([`crate::case::wire`]) and the time it was last written. Never
//! message text — the words a clinician typed may carry identifiers, and Discord is not a
//! HIPAA-covered service — and nothing older than the time to live: an expired case reads as
//! absent and [`CaseStore::purge_expired`] deletes it.
//!
//! Calls are short and synchronous behind one connection; async callers can make them directly
//! (each is a single indexed statement) or from a blocking task.

use crate::case::{wire, CaseFeatures};
use rusqlite::{params, Connection, OptionalExtension};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a case lives after its last message when `NETBOARD_CASE_TTL` is unset.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The schema this code reads and writes, kept in SQLite's `user_version`.
const SCHEMA_VERSION: i64 = 1;

/// The cases of every conversation, in one SQLite file.
pub struct CaseStore {
    conn: Mutex<Connection>,
    ttl: Duration,
    path: PathBuf,
}

/// A store failure, with the file and what was being done.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite failed while doing `action` on the store at `path`.
    Sqlite {
        path: PathBuf,
        action: String,
        source: rusqlite::Error,
    },
    /// The store's directory could not be created.
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A stored case no longer reads (for example, a feature value the vocabulary dropped).
    Unreadable { key: String, why: String },
    /// The file was written by a newer netboard.
    Schema { path: PathBuf, found: i64 },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite {
                path,
                action,
                source,
            } => write!(f, "case store {}: {action}: {source}", path.display()),
            StoreError::Directory { path, source } => write!(
                f,
                "case store: cannot create the directory {}: {source}; set NETBOARD_DB to a writable file",
                path.display()
            ),
            StoreError::Unreadable { key, why } => {
                write!(f, "case store: the case of {key} no longer reads: {why}")
            }
            StoreError::Schema { path, found } => write!(
                f,
                "case store {}: schema version {found} is newer than this netboard's ({SCHEMA_VERSION}); \
                 upgrade netboard or point NETBOARD_DB at another file",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite { source, .. } => Some(source),
            StoreError::Directory { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl CaseStore {
    /// Opens (creating when needed) the store at `path`; cases expire `ttl` after their last
    /// write.
    pub fn open(path: &Path, ttl: Duration) -> Result<CaseStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let sqlite = |action: &str| {
            let path = path.to_path_buf();
            let action = action.to_string();
            move |source| StoreError::Sqlite {
                path,
                action,
                source,
            }
        };
        let conn = Connection::open(path).map_err(sqlite("open"))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(sqlite("set the busy timeout"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite("switch to WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite("set synchronous"))?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite("read the schema version"))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::Schema {
                path: path.to_path_buf(),
                found,
            });
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS cases (
                 key        TEXT PRIMARY KEY,
                 features   TEXT NOT NULL,
                 updated_ms INTEGER NOT NULL
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS cases_updated ON cases (updated_ms);",
        )
        .map_err(sqlite("create the schema"))?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sqlite("write the schema version"))?;
        restrict_to_owner(path);
        Ok(CaseStore {
            conn: Mutex::new(conn),
            ttl,
            path: path.to_path_buf(),
        })
    }

    /// `NETBOARD_DB`, else `cases.sqlite3` in netboard's data directory (`$XDG_DATA_HOME/netboard`,
    /// else `~/.local/share/netboard`), else in the working directory.
    pub fn default_path() -> PathBuf {
        if let Some(db) = std::env::var_os("NETBOARD_DB").filter(|v| !v.is_empty()) {
            return db.into();
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| Path::new(&home).join(".local/share"))
            });
        match data {
            Some(dir) => dir.join("netboard").join("cases.sqlite3"),
            None => PathBuf::from("netboard-cases.sqlite3"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The case kept under `key`; `None` when there is none or it has expired.
    pub fn load(&self, key: &str) -> Result<Option<CaseFeatures>, StoreError> {
        let conn = self.conn();
        let row: Option<(String, i64)> = conn
            .query_row(
                "SELECT features, updated_ms FROM cases WHERE key = ?1",
                params![key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sqlite("read a case", e))?;
        let Some((features, updated_ms)) = row else {
            return Ok(None);
        };
        if updated_ms <= now_ms() - self.ttl_ms() {
            return Ok(None);
        }
        let unreadable = |why: String| StoreError::Unreadable {
            key: key.to_string(),
            why,
        };
        let doc: serde_json::Value =
            serde_json::from_str(&features).map_err(|e| unreadable(e.to_string()))?;
        wire::from_json("features", &doc)
            .map(Some)
            .map_err(|e| unreadable(e.to_string()))
    }

    /// Keeps `case` under `key`, replacing what was there and restarting its time to live.
    pub fn save(&self, key: &str, case: &CaseFeatures) -> Result<(), StoreError> {
        let features = wire::to_json(case).to_string();
        self.conn()
            .execute(
                "INSERT INTO cases (key, features, updated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET features = excluded.features,
                                                 updated_ms = excluded.updated_ms",
                params![key, features, now_ms()],
            )
            .map_err(|e| self.sqlite("save a case", e))?;
        Ok(())
    }

    /// Forgets the case under `key` (a `reset`).
    pub fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM cases WHERE key = ?1", params![key])
            .map_err(|e| self.sqlite("remove a case", e))?;
        Ok(())
    }

    /// Deletes every expired case; returns how many.
    pub fn purge_expired(&self) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "DELETE FROM cases WHERE updated_ms <= ?1",
                params![now_ms() - self.ttl_ms()],
            )
            .map_err(|e| self.sqlite("purge expired cases", e))
    }

    /// How many live cases the store holds.
    pub fn live_cases(&self) -> Result<usize, StoreError> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM cases WHERE updated_ms > ?1",
                params![now_ms() - self.ttl_ms()],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.sqlite("count cases", e))
    }

    /// Closes the store, checkpointing the write-ahead log into the database file.
    pub fn close(self) -> Result<(), StoreError> {
        let path = self.path;
        let conn = self
            .conn
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        conn.close().map_err(|(_, source)| StoreError::Sqlite {
            path,
            action: "close".into(),
            source,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic elsewhere while holding the lock leaves the connection usable: every statement
        // is atomic in SQLite.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sqlite(&self, action: &str, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            action: action.into(),
            source,
        }
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 2)
    }
}

/// `NETBOARD_CASE_TTL` (`7d`, `12h`, `30m`, `90s`, or plain seconds), else [`DEFAULT_TTL`].
pub fn ttl_from_env() -> Result<Duration, String> {
    match std::env::var("NETBOARD_CASE_TTL") {
        Ok(v) if !v.trim().is_empty() => {
            parse_ttl(&v).map_err(|why| format!("NETBOARD_CASE_TTL={v:?}: {why}"))
        }
        _ => Ok(DEFAULT_TTL),
    }
}

/// Parses a time to live: a whole number with an optional unit `s`, `m`, `h` or `d`.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a whole number with an optional unit s, m, h or d (e.g. 7d)")?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        other => {
            return Err(format!(
                "unknown unit `{other}`; use s, m, h or d (e.g. 7d)"
            ))
        }
    };
    if n == 0 {
        return Err("a time to live must be above zero".into());
    }
    n.checked_mul(scale)
        .map(Duration::from_secs)
        .ok_or_else(|| "too long".into())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Case features are health information: the file is readable by its owner only.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict_to_owner(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Certainty, FeatureId, Finding, Value};

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("netboard-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("cases.sqlite3")
    }

    fn case_with_words() -> CaseFeatures {
        let mut case = CaseFeatures::new();
        case.set(
            FeatureId::LiverLesionCount,
            Finding {
                value: Value::Integer(3),
                certainty: Certainty::Stated,
                text: "Mr Smith has three liver mets".into(),
            },
        );
        case
    }

    #[test]
    fn a_case_survives_a_reopen_without_its_words() {
        let path = scratch("reopen");
        let store = CaseStore::open(&path, DEFAULT_TTL).unwrap();
        store.save("discord:1", &case_with_words()).unwrap();
        store.close().unwrap();

        let store = CaseStore::open(&path, DEFAULT_TTL).unwrap();
        let case = store.load("discord:1").unwrap().unwrap();
        assert_eq!(
            case.value(FeatureId::LiverLesionCount),
            Some(&Value::Integer(3))
        );
        assert_eq!(store.load("discord:2").unwrap(), None);
        store.close().unwrap();

        let bytes = std::fs::read(&path).unwrap();
        let file = String::from_utf8_lossy(&bytes);
        assert!(file.contains("liver_lesion_count"));
        assert!(!file.contains("Smith") && !file.contains("mets"));
    }

    #[test]
    fn expired_cases_read_as_absent_and_are_purged() {
        let path = scratch("expiry");
        let store = CaseStore::open(&path, Duration::ZERO).unwrap();
        store.save("http:a", &case_with_words()).unwrap();
        assert_eq!(store.load("http:a").unwrap(), None);
        assert_eq!(store.live_cases().unwrap(), 0);
        assert_eq!(store.purge_expired().unwrap(), 1);

        let store = CaseStore::open(&path, DEFAULT_TTL).unwrap();
        store.save("http:a", &case_with_words()).unwrap();
        assert_eq!(store.purge_expired().unwrap(), 0);
        assert_eq!(store.live_cases().unwrap(), 1);
        store.remove("http:a").unwrap();
        assert_eq!(store.load("http:a").unwrap(), None);
    }

    #[test]
    fn a_newer_schema_is_refused_with_what_to_do() {
        let path = scratch("schema");
        CaseStore::open(&path, DEFAULT_TTL)
            .unwrap()
            .close()
            .unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = CaseStore::open(&path, DEFAULT_TTL)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("schema version 99") && err.contains("NETBOARD_DB"),
            "{err}"
        );
    }

    #[test]
    fn an_unreadable_case_says_which() {
        let path = scratch("unreadable");
        let store = CaseStore::open(&path, DEFAULT_TTL).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO cases VALUES ('discord:9', '{\"grade\":{\"value\":\"G9\"}}', ?1)",
                params![now_ms()],
            )
            .unwrap();
        let err = store.load("discord:9").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "case store: the case of discord:9 no longer reads: features.grade.value"
            ),
            "{err}"
        );
    }

    #[test]
    fn time_to_live_reads_units_and_refuses_nonsense() {
        assert_eq!(parse_ttl("7d"), Ok(DEFAULT_TTL));
        assert_eq!(parse_ttl("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse_ttl("30 m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("0d").is_err());
        assert!(parse_ttl("a week").unwrap_err().contains("whole number"));
        assert!(parse_ttl("3w").unwrap_err().contains("unknown unit `w`"));
    }
}
