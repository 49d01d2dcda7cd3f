//! Remote mode: decide a case with a netboard decision service instead of in process.
//!
//! With `NETBOARD_DECISION_URL` set (e.g. `http://decisions.internal:8080`), the console and the
//! Discord bot still extract and keep each conversation's case locally, but send the case — as a
//! words-free features document, with the question's intent and named options — to
//! `POST {url}/v1/advice`, and render the decision it answers. The advice document carries the
//! decision whole ([`render::decision`]), so the reply reads exactly as an in-process one.
//! Message text never leaves the process.
//!
//! The client is blocking (ureq): the console calls it directly, an async front end from a
//! blocking task (`tokio::task::spawn_blocking`). When the service cannot be reached, answers an
//! error, or answers something that is not an advice document, [`RemoteDecider::decide`] says so
//! in a [`DecisionError`]; the caller reports it plainly ([`render::no_decision`]) and the next
//! message simply asks again — there is no circuit breaker to wait out and no silent fallback to
//! in-process decisions, which could disagree with the shared service's knowledge base.

use crate::case::{wire, CaseFeatures};
use crate::engine::{Decider, Decision, DecisionError};
use crate::question::Question;
use crate::render;
use std::fmt;
use std::time::Duration;

/// The environment variable that turns remote mode on.
pub const DECISION_URL: &str = "NETBOARD_DECISION_URL";

/// How long one decision may take, connection included, before it counts as unreachable.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The largest advice document read back (a large one is under 100 kB).
const RESPONSE_LIMIT: u64 = 4 * 1024 * 1024;

/// A decider that asks a netboard decision service. Cheap to clone (the clones share one
/// connection pool); two deciders are equal, and print, as the service they ask.
#[derive(Clone)]
pub struct RemoteDecider {
    /// The service's base URL, without a trailing slash.
    base: String,
    agent: ureq::Agent,
}

impl RemoteDecider {
    /// A decider for the service at `base_url` (`http://` or `https://`).
    pub fn new(base_url: &str) -> Result<RemoteDecider, String> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(format!(
                "{DECISION_URL} must be an http:// or https:// URL of a netboard service, not `{base_url}`"
            ));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(RemoteDecider { base, agent })
    }

    /// The decider `NETBOARD_DECISION_URL` asks for, if it is set (and not empty).
    pub fn from_env() -> Result<Option<RemoteDecider>, String> {
        match std::env::var(DECISION_URL) {
            Ok(url) if !url.trim().is_empty() => RemoteDecider::new(&url).map(Some),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(format!("{DECISION_URL} is not valid UTF-8"))
            }
        }
    }

    /// The service's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn fail(&self, why: impl Into<String>) -> DecisionError {
        DecisionError {
            service: self.base.clone(),
            why: why.into(),
        }
    }
}

impl fmt::Debug for RemoteDecider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteDecider")
            .field("url", &self.base)
            .finish_non_exhaustive()
    }
}

impl PartialEq for RemoteDecider {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base
    }
}

impl Eq for RemoteDecider {}

impl Decider for RemoteDecider {
    fn decide(&self, question: &Question, case: &CaseFeatures) -> Result<Decision, DecisionError> {
        let request = serde_json::json!({
            "features": wire::to_json(case),
            "intent": question.intent,
            "asked_options": question.options,
        });
        let url = format!("{}/v1/advice", self.base);
        let mut response = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(request.to_string())
            .map_err(|e| self.fail(format!("cannot be reached: {e}")))?;
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(RESPONSE_LIMIT)
            .read_to_string()
            .map_err(|e| self.fail(format!("sent an answer that could not be read: {e}")))?;
        let doc: serde_json::Value = serde_json::from_str(&body)
            .map_err(|_| self.fail(format!("answered HTTP {status} without a JSON body")))?;
        if !status.is_success() {
            let why = doc["why"].as_str().unwrap_or("no reason given");
            return Err(self.fail(format!("answered HTTP {status}: {why}")));
        }
        render::decision(&doc).map_err(|e| {
            self.fail(format!(
                "answered something that is not an advice document: {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_async_front_end_can_share_it_across_tasks() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<RemoteDecider>();
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(RemoteDecider::new("http://127.0.0.1:8080/").is_ok());
        assert_eq!(
            RemoteDecider::new("https://netboard.example/")
                .unwrap()
                .url(),
            "https://netboard.example"
        );
        assert_eq!(
            RemoteDecider::new("http://127.0.0.1:8080/").unwrap(),
            RemoteDecider::new("http://127.0.0.1:8080").unwrap(),
            "the same service"
        );
        let err = RemoteDecider::new("127.0.0.1:8080").err().unwrap();
        assert!(err.contains("NETBOARD_DECISION_URL"), "{err}");
    }
}
