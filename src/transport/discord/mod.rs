//! The Discord front end: netboard as a bot in care teams' Discord guilds.
//!
//! The real serenity gateway client on tokio. It answers when mentioned, by the slash command
//! `/netboard question:<text>`, in threads it started (no mention needed) and, when allowed, in
//! DMs; a question in a text channel gets a thread with the answer inside. Each thread or DM is
//! a conversation whose case lives in the case store ([`crate::store`]), so follow-ups refine it
//! and a restart keeps it. Replies are the chat rendering, mentions disabled on every message.
//!
//! - [`config`]: settings from the environment (allow-lists, DMs, rate, identifier policy);
//! - [`phi`]: what looks like a patient identifier;
//! - [`rate`]: the per-user rate limit, noticed once;
//! - [`cases`]: a conversation's case — load, decide, save (the one call into the engine);
//! - [`reply`]: thread names, the caution, a reply as messages;
//! - [`handler`]: the gateway events — who is answered where;
//! - this module: the client's life — start, the MESSAGE_CONTENT fallback, shutdown.
//!
//! What it is not: the decision (that is the engine's, the same for every front end — in process,
//! or in remote mode a shared netboard decision service's, when `NETBOARD_DECISION_URL` is set;
//! extraction and the cases stay here either way), nor a store of message text (it keeps none,
//! and logs only ids, intents, feature names, fits and latency).
//!
//! The tests run this module against an emulator of Discord's REST API and gateway
//! (`tests/support/emulator.rs`, `tests/discord.rs`); see ../shared/DISCORD.md.

pub mod cases;
pub mod config;
pub mod handler;
pub mod phi;
pub mod rate;
pub mod reply;

pub use config::{PhiPolicy, Settings};

use crate::engine::Engine;
use crate::store::{self, CaseStore, StoreError};
use crate::transport::remote::RemoteDecider;
use handler::Handler;
use serenity::all::{
    ClientBuilder, CreateAllowedMentions, GatewayError, GatewayIntents, Http, HttpBuilder,
};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

/// The gateway intents the bot asks for: GUILDS (channels and threads in the cache),
/// GUILD_MESSAGES, DIRECT_MESSAGES and the privileged MESSAGE_CONTENT (follow-ups without a
/// mention). 37377.
pub const GATEWAY_INTENTS: GatewayIntents = GatewayIntents::GUILDS
    .union(GatewayIntents::GUILD_MESSAGES)
    .union(GatewayIntents::DIRECT_MESSAGES)
    .union(GatewayIntents::MESSAGE_CONTENT);

/// The log filter when `RUST_LOG` is unset: netboard's own lines at info, others' warnings.
/// (serenity's debug and trace levels may log event payloads, message text included; keep them
/// off in production.)
pub const DEFAULT_LOG: &str = "warn,netboard=info";

/// How long shutdown waits for answers in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How often expired cases are deleted (also once at start).
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);
/// How long shutdown waits for the gateway connection to close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the bot stopped.
#[derive(Debug)]
pub enum DiscordError {
    /// A setting is missing or malformed.
    Config(String),
    Store(StoreError),
    /// The gateway client failed for good (e.g. close 4004: the token was refused).
    Client(Box<serenity::Error>),
    /// The async runtime could not start, or the client's task died.
    Runtime(String),
}

impl fmt::Display for DiscordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscordError::Config(why) => f.write_str(why),
            DiscordError::Store(e) => write!(f, "{e}"),
            DiscordError::Client(e)
                if matches!(**e, serenity::Error::Gateway(GatewayError::InvalidAuthentication)) =>
            {
                f.write_str("Discord refused the token (close 4004): check DISCORD_TOKEN (Developer Portal → Bot → Reset Token)")
            }
            DiscordError::Client(e) => write!(f, "the Discord client stopped: {e}"),
            DiscordError::Runtime(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DiscordError {}

/// An [`HttpBuilder`] for `token` whose every builder-based message has mentions disabled, so
/// nothing a user typed can ping @everyone or a role (each message also says so explicitly).
pub fn http(token: &str) -> HttpBuilder {
    HttpBuilder::new(token).default_allowed_mentions(CreateAllowedMentions::new())
}

/// Runs the bot until `shutdown` resolves, then stops taking messages, finishes the answers in
/// flight and closes the store. `make_http` builds the REST client (called again if the gateway
/// refuses MESSAGE_CONTENT and the client restarts without it).
pub async fn serve(
    make_http: impl Fn() -> Http,
    engine: Arc<Engine>,
    store: CaseStore,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DiscordError> {
    let store = Arc::new(store);
    if let Some(remote) = &settings.remote {
        info!(
            service = remote.url(),
            "remote mode: cases are decided by the decision service"
        );
    }
    let cases = cases::Cases::new(engine, store.clone(), settings.remote.clone());
    let handler = Arc::new(Handler::new(cases, settings));
    let purge = tokio::spawn(purge_expired(store.clone()));
    tokio::pin!(shutdown);
    let mut intents = GATEWAY_INTENTS;
    let result = loop {
        let client = ClientBuilder::new_with_http(make_http(), intents)
            .event_handler_arc(handler.clone())
            .await;
        let mut client = match client {
            Ok(c) => c,
            Err(e) => break Err(DiscordError::Client(Box::new(e))),
        };
        let shards = client.shard_manager.clone();
        let mut running = tokio::spawn(async move { client.start().await });
        tokio::select! {
            ended = &mut running => match ended {
                Ok(Err(serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents)))
                    if intents.contains(GatewayIntents::MESSAGE_CONTENT) =>
                {
                    warn!("Discord refused the MESSAGE_CONTENT intent (close 4014): netboard now \
                           answers only mentions, DMs and /netboard, not follow-ups without a \
                           mention. Fix: Developer Portal → your application → Bot → Privileged \
                           Gateway Intents → enable Message Content Intent, then restart.");
                    intents.remove(GatewayIntents::MESSAGE_CONTENT);
                    continue;
                }
                Ok(Err(e)) => break Err(DiscordError::Client(Box::new(e))),
                Ok(Ok(())) => break Ok(()),
                Err(e) => break Err(DiscordError::Runtime(format!("the Discord client task failed: {e}"))),
            },
            () = &mut shutdown => {
                info!("shutting down: no new messages; finishing the answers in flight");
                handler.drain(DRAIN_TIMEOUT).await;
                shards.shutdown_all().await;
                if tokio::time::timeout(CLOSE_TIMEOUT, running).await.is_err() {
                    warn!("the gateway connection did not close in time");
                }
                break Ok(());
            }
        }
    };
    purge.abort();
    let _ = purge.await;
    drop(handler);
    match Arc::try_unwrap(store) {
        Ok(store) => store.close().map_err(DiscordError::Store)?,
        Err(_) => warn!("the case store is still in use; it closes when the last task ends"),
    }
    info!("stopped");
    result
}

/// Deletes expired cases now and every [`PURGE_EVERY`].
async fn purge_expired(store: Arc<CaseStore>) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        match store.purge_expired() {
            Ok(n) => info!(purged = n, "expired cases deleted"),
            Err(e) => error!(error = %e, "could not delete expired cases"),
        }
    }
}

/// `netboard discord`: the bot configured from the environment, until SIGINT or SIGTERM.
pub fn run_from_env(engine: Engine) -> Result<(), DiscordError> {
    let token = std::env::var("DISCORD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            DiscordError::Config(
                "DISCORD_TOKEN is not set: create a bot in the Discord Developer Portal and put its \
                 token in the environment or .env (README: Discord set-up)"
                    .into(),
            )
        })?;
    let mut settings =
        Settings::from_vars(|k| std::env::var(k).ok()).map_err(DiscordError::Config)?;
    settings.remote = RemoteDecider::from_env().map_err(|e| {
        DiscordError::Config(format!(
            "{e}, e.g. http://127.0.0.1:8080 where `netboard serve` listens; or unset it to decide \
             in process"
        ))
    })?;
    let ttl = store::ttl_from_env().map_err(DiscordError::Config)?;
    let store = CaseStore::open(&CaseStore::default_path(), ttl).map_err(DiscordError::Store)?;
    init_logging();
    info!(db = %store.path().display(), "case store open");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| DiscordError::Runtime(format!("cannot start the async runtime: {e}")))?;
    let token = token.trim().to_string();
    runtime.block_on(serve(
        move || http(&token).build(),
        Arc::new(engine),
        store,
        settings,
        shutdown_signal(),
    ))
}

/// Logs to standard error, filtered by `RUST_LOG` (default [`DEFAULT_LOG`]).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
