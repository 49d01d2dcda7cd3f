//! Transports: the thin adapters that carry messages to the [`Engine`](crate::engine::Engine)
//! and replies back. Only code here touches the outside world.
//!
//! - [`console`]: the local console, the embedded default front end.
//! - [`discord`] (feature `discord`): the Discord bot — answers in threads, a case per thread.
//! - [`http`] (feature `http`): the decision module as a service — JSON API and CDS Hooks.
//! - [`remote`] (feature `remote`): remote mode, a [`Decider`](crate::engine::Decider) that asks
//!   a netboard service instead of deciding in process.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "remote")]
pub mod remote;
