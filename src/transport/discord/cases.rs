//! The cases of the bot's conversations: each thread or DM keeps one, in the case store, and a
//! message is answered against it.
//!
//! [`Cases::answer`] loads the conversation's case, hands the message to the decision step and
//! saves the refined case (or forgets it on `reset`), all under a lock for that conversation, so
//! two messages arriving together in one thread both land in the case. The lock is one of a fixed
//! set of stripes chosen by the key's hash: bounded memory, nothing to clean up, and unrelated
//! conversations rarely wait for each other. Each step is synchronous and short (the engine takes
//! tens of microseconds, the store one indexed statement), so it runs on the async worker itself.
//!
//! `Cases::decide` is the one place the bot asks for a decision; a remote decision service can
//! replace it without touching the handler. Only normalised features are stored — never the text.

use crate::case::CaseFeatures;
use crate::engine::{Conversation, Engine, Reply};
use crate::store::{CaseStore, StoreError};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

const STRIPES: usize = 64;

/// The store key of a thread's or DM's conversation.
pub fn key(channel: u64) -> String {
    format!("discord:{channel}")
}

/// The engine and the store, with a lock per conversation.
pub struct Cases {
    engine: Arc<Engine>,
    store: Arc<CaseStore>,
    stripes: [Mutex<()>; STRIPES],
    hasher: RandomState,
}

impl Cases {
    pub fn new(engine: Arc<Engine>, store: Arc<CaseStore>) -> Cases {
        Cases {
            engine,
            store,
            stripes: std::array::from_fn(|_| Mutex::new(())),
            hasher: RandomState::new(),
        }
    }

    /// Answers `text` in the conversation kept under `key`; `None` answers it as a new
    /// conversation that is not kept (the caller may [`keep`](Cases::keep) its case later).
    pub fn answer(&self, key: Option<&str>, text: &str) -> Result<Reply, StoreError> {
        let Some(key) = key else {
            return Ok(self.decide(&mut Conversation::default(), text));
        };
        let stripe = self.hasher.hash_one(key) as usize % STRIPES;
        let _guard = self.stripes[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let case = self.store.load(key)?.unwrap_or_default();
        let mut conversation = Conversation { case };
        let reply = self.decide(&mut conversation, text);
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
    fn decide(&self, conversation: &mut Conversation, text: &str) -> Reply {
        self.engine.answer(conversation, text)
    }
}
