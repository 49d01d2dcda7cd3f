//! The cases of the bot's conversations: each thread or DM keeps one, in the case store, and a
//! message is answered against it.
//!
//! [`Cases::answer`] loads the conversation's case, hands the message to the decision step and
//! saves the refined case (or forgets it on `reset`), all under a lock for that conversation, so
//! two messages arriving together in one thread both land in the case. The lock is one of a fixed
//! set of stripes chosen by the key's hash: bounded memory, nothing to clean up, and unrelated
//! conversations rarely wait for each other.
//!
//! `Cases::decide` is the one place the bot asks for a decision: in process, or — in remote mode
//! ([`Settings::remote`](super::Settings::remote)) — from a netboard decision service, with
//! extraction and the case store still here. Where the step runs follows from that. In process
//! it is synchronous and short (the engine takes tens of microseconds, the store one indexed
//! statement), so it runs on the async worker itself, no thread hop. A remote decision is a
//! blocking HTTP call that may take seconds (the client's timeout), so the whole step runs on
//! tokio's blocking pool and the async workers keep serving the gateway meanwhile. When the
//! service gives no decision, nothing is saved: the case stays as it was and the next message
//! asks again. Only normalised features are stored — never the text.

use crate::case::CaseFeatures;
use crate::engine::{Conversation, DecisionError, Engine, Reply};
use crate::store::{CaseStore, StoreError};
use crate::transport::remote::RemoteDecider;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

const STRIPES: usize = 64;

/// The store key of a thread's or DM's conversation.
pub fn key(channel: u64) -> String {
    format!("discord:{channel}")
}

/// The engine, the store and where cases are decided, with a lock per conversation.
pub struct Cases {
    engine: Arc<Engine>,
    store: Arc<CaseStore>,
    /// The decision service of remote mode; `None` decides in process.
    remote: Option<RemoteDecider>,
    stripes: [Mutex<()>; STRIPES],
    hasher: RandomState,
}

/// Why a message got no answer.
#[derive(Debug)]
pub enum CaseError {
    /// The decision service gave no decision; the case is unchanged. The user is told.
    NoDecision(DecisionError),
    Store(StoreError),
    /// The blocking task that asked the decision service did not finish (it panicked, or the
    /// runtime is shutting down).
    Task(String),
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseError::NoDecision(e) => write!(f, "{e}"),
            CaseError::Store(e) => write!(f, "{e}"),
            CaseError::Task(why) => {
                write!(
                    f,
                    "the blocking task asking the decision service failed: {why}"
                )
            }
        }
    }
}

impl std::error::Error for CaseError {}

impl From<StoreError> for CaseError {
    fn from(e: StoreError) -> Self {
        CaseError::Store(e)
    }
}

impl Cases {
    pub fn new(engine: Arc<Engine>, store: Arc<CaseStore>, remote: Option<RemoteDecider>) -> Cases {
        Cases {
            engine,
            store,
            remote,
            stripes: std::array::from_fn(|_| Mutex::new(())),
            hasher: RandomState::new(),
        }
    }

    /// Answers `text` in the conversation kept under `key`; `None` answers it as a new
    /// conversation that is not kept (the caller may [`keep`](Cases::keep) its case later).
    /// In remote mode on the blocking pool, else right here (see the module's docs).
    pub async fn answer(
        self: &Arc<Self>,
        key: Option<&str>,
        text: &str,
    ) -> Result<Reply, CaseError> {
        if self.remote.is_none() {
            return self.answer_here(key, text);
        }
        let cases = Arc::clone(self);
        let (key, text) = (key.map(str::to_owned), text.to_owned());
        tokio::task::spawn_blocking(move || cases.answer_here(key.as_deref(), &text))
            .await
            .map_err(|e| CaseError::Task(e.to_string()))?
    }

    /// [`Cases::answer`] on the calling thread.
    fn answer_here(&self, key: Option<&str>, text: &str) -> Result<Reply, CaseError> {
        let Some(key) = key else {
            return self.decide(&mut Conversation::default(), text);
        };
        let stripe = self.hasher.hash_one(key) as usize % STRIPES;
        let _guard = self.stripes[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let case = self.store.load(key)?.unwrap_or_default();
        let mut conversation = Conversation { case };
        let reply = self.decide(&mut conversation, text)?;
        match &reply {
            Reply::Reset => self.store.remove(key)?,
            Reply::Answer(_) if conversation.case.is_empty() => {}
            Reply::Answer(_) => self.store.save(key, &conversation.case)?,
        }
        Ok(reply)
    }

    /// Keeps `case` under `key` (a new thread's first answer).
    pub fn keep(&self, key: &str, case: &CaseFeatures) -> Result<(), StoreError> {
        if case.is_empty() {
            return Ok(());
        }
        self.store.save(key, case)
    }

    /// The decision for one message of a conversation: the one place the bot calls the engine.
    /// A remote decision that fails leaves `conversation` as it was.
    fn decide(&self, conversation: &mut Conversation, text: &str) -> Result<Reply, CaseError> {
        match &self.remote {
            Some(remote) => self
                .engine
                .answer_with(remote, conversation, text)
                .map_err(CaseError::NoDecision),
            None => Ok(self.engine.answer(conversation, text)),
        }
    }
}
