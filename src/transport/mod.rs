//! Transports: the thin adapters that carry messages to the [`Engine`](crate::engine::Engine)
//! and replies back. Only code here touches the outside world.
//!
//! - [`console`]: the local console, the embedded default front end.
//! - [`http`] (feature `http`): the decision module as a service — JSON API and CDS Hooks.
//! - [`remote`] (feature `remote`): remote mode, a [`Decider`](crate::engine::Decider) that asks
//!   a netboard service instead of deciding in process.

pub mod console;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "remote")]
pub mod remote;
