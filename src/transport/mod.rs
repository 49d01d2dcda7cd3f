//! Transports: the thin adapters that carry messages to the [`Engine`](crate::engine::Engine)
//! and replies back. Only code here touches the outside world.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
