//! The bot's settings from the environment: who it answers, how often, and what it does with a
//! message that looks like it carries identifiers.
//!
//! Raw text in, checked values out: every variable is parsed here once, at start, and a bad value
//! stops the bot with the variable's name, the value and what was expected — never later, in the
//! middle of a conversation. The token, the store's file and its time to live are read where they
//! are used ([`super::run_from_env`], [`crate::store`]); so is the decision service of remote mode
//! (`NETBOARD_DECISION_URL`, read by [`RemoteDecider::from_env`] as the console reads it), which
//! then rides in [`Settings::remote`] — so a test sets it on its own bot, with no process-wide
//! environment for parallel tests to race on. `.env.example` lists them all.

use crate::transport::remote::RemoteDecider;
use std::collections::HashSet;

/// What the bot does with a message that looks like it carries identifiers (`NETBOARD_PHI`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhiPolicy {
    /// Answer from the features, with a visible caution to remove the identifiers (`caution`).
    #[default]
    Caution,
    /// Answer only the caution (`refuse`).
    Refuse,
}

/// Where and to whom the bot answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Answer direct messages (`NETBOARD_ALLOW_DMS`, default false).
    pub allow_dms: bool,
    /// Only these guilds, when set (`NETBOARD_ALLOWED_GUILDS`).
    pub allowed_guilds: Option<HashSet<u64>>,
    /// Only these channels (and threads whose parent is one), when set
    /// (`NETBOARD_ALLOWED_CHANNELS`).
    pub allowed_channels: Option<HashSet<u64>>,
    /// Questions a user may ask per minute (`NETBOARD_USER_RATE`, default 10).
    pub user_rate: u32,
    pub phi: PhiPolicy,
    /// Decide cases with this netboard decision service rather than in process (remote mode,
    /// `NETBOARD_DECISION_URL`). `None` from [`Settings::from_vars`]; [`super::run_from_env`]
    /// sets it.
    pub remote: Option<RemoteDecider>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_dms: false,
            allowed_guilds: None,
            allowed_channels: None,
            user_rate: 10,
            phi: PhiPolicy::Caution,
            remote: None,
        }
    }
}

impl Settings {
    /// Reads the settings through `var` (the environment, or a map in tests); an unset or blank
    /// variable takes its default.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let mut settings = Settings::default();
        if let Some(v) = get("NETBOARD_ALLOW_DMS") {
            settings.allow_dms = match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => return Err(format!("NETBOARD_ALLOW_DMS={v:?}: expected true or false")),
            };
        }
        if let Some(v) = get("NETBOARD_ALLOWED_GUILDS") {
            settings.allowed_guilds = Some(ids("NETBOARD_ALLOWED_GUILDS", &v)?);
        }
        if let Some(v) = get("NETBOARD_ALLOWED_CHANNELS") {
            settings.allowed_channels = Some(ids("NETBOARD_ALLOWED_CHANNELS", &v)?);
        }
        if let Some(v) = get("NETBOARD_USER_RATE") {
            settings.user_rate = v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("NETBOARD_USER_RATE={v:?}: expected a whole number of questions a minute, at least 1")
            })?;
        }
        if let Some(v) = get("NETBOARD_PHI") {
            settings.phi = match v.trim().to_ascii_lowercase().as_str() {
                "caution" => PhiPolicy::Caution,
                "refuse" => PhiPolicy::Refuse,
                _ => return Err(format!("NETBOARD_PHI={v:?}: expected caution or refuse")),
            };
        }
        Ok(settings)
    }

    /// Whether the bot may answer in `guild`.
    pub fn allows_guild(&self, guild: u64) -> bool {
        self.allowed_guilds
            .as_ref()
            .is_none_or(|g| g.contains(&guild))
    }

    /// Whether the bot may answer in `channel`, or in a thread whose parent is `parent`.
    pub fn allows_channel(&self, channel: u64, parent: Option<u64>) -> bool {
        self.allowed_channels
            .as_ref()
            .is_none_or(|c| c.contains(&channel) || parent.is_some_and(|p| c.contains(&p)))
    }
}

/// A comma-separated list of Discord ids (snowflakes).
fn ids(name: &str, text: &str) -> Result<HashSet<u64>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u64>().map_err(|_| {
                format!("{name}: `{s}` is not a Discord id; expected comma-separated numeric ids (Developer Mode → Copy ID)")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(|k| vars.get(k).cloned())
    }

    #[test]
    fn unset_and_blank_variables_take_the_defaults() {
        assert_eq!(settings(&[]), Ok(Settings::default()));
        assert_eq!(
            settings(&[("NETBOARD_ALLOWED_GUILDS", " "), ("NETBOARD_PHI", "")]),
            Ok(Settings::default())
        );
        let d = Settings::default();
        assert!(!d.allow_dms && d.user_rate == 10 && d.phi == PhiPolicy::Caution);
        assert!(d.allows_guild(1) && d.allows_channel(2, None));
    }

    #[test]
    fn every_variable_is_read() {
        let s = settings(&[
            ("NETBOARD_ALLOW_DMS", "true"),
            ("NETBOARD_ALLOWED_GUILDS", "11, 12"),
            ("NETBOARD_ALLOWED_CHANNELS", "21"),
            ("NETBOARD_USER_RATE", "3"),
            ("NETBOARD_PHI", "Refuse"),
        ])
        .unwrap();
        assert!(s.allow_dms);
        assert!(s.allows_guild(12) && !s.allows_guild(13));
        assert!(s.allows_channel(21, None));
        assert!(
            s.allows_channel(99, Some(21)),
            "a thread of an allowed channel"
        );
        assert!(!s.allows_channel(22, None));
        assert_eq!((s.user_rate, s.phi), (3, PhiPolicy::Refuse));
    }

    #[test]
    fn bad_values_name_the_variable_and_the_value() {
        for (var, value) in [
            ("NETBOARD_ALLOW_DMS", "maybe"),
            ("NETBOARD_ALLOWED_GUILDS", "12,abc"),
            ("NETBOARD_USER_RATE", "0"),
            ("NETBOARD_USER_RATE", "ten"),
            ("NETBOARD_PHI", "ignore"),
        ] {
            let err = settings(&[(var, value)]).unwrap_err();
            assert!(err.starts_with(var), "{err}");
        }
    }
}
