//! A protocol-level emulator of Discord's REST API and gateway on 127.0.0.1, for running the real
//! serenity client (and so the real netboard bot) in tests. See ../shared/DISCORD.md for what
//! Discord does and why each part is here.
//!
//! One emulator per test: two listeners on ephemeral ports, the REST API (plain HTTP for
//! serenity's proxy mode, or HTTPS for `discord.com` with the test certificate in `tls/`, which
//! keeps serenity's rate limiter and so its 429 retries) and the gateway (plain WebSocket).
//!
//! What it does like Discord: HELLO / IDENTIFY / READY / GUILD_CREATE, heartbeats and ACKs,
//! RESUME with replay of every dispatch the client missed, op 7 RECONNECT, closes 4014 for
//! disallowed gateway intents; threads from messages (thread id = message id, THREAD_CREATE
//! dispatched, 160004 for a second thread); the bot's own messages come back as MESSAGE_CREATE;
//! 400 with code 50035 for content over 2,000 characters, thread names outside 1–100 characters
//! and embeds over their limits; 401 without the bot token; 404 for anything it does not know.
//!
//! What the test controls: dispatching events, dropping the socket, injecting 429s, refusing
//! gateway intents — and it reads every REST call and gateway frame, waiting on conditions with
//! a deadline (never a sleep that hopes).
//!
//! Determinism: the session (attached connection, sequence number, dispatch history) sits under
//! one mutex. Dropping a connection detaches it in the same step, so an event dispatched right
//! after can only reach the client by RESUME's replay.
//!
//! The end-to-end tests and the Discord bench each use a part of it; the rest is dead code there.
#![allow(dead_code)]

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const TOKEN: &str = "emulator.bot.token";
pub const BOT_ID: u64 = 900_000_000_000_000_001;
/// Discord gives a bot's application the bot user's id.
pub const APP_ID: u64 = BOT_ID;
pub const GUILD_ID: u64 = 100_000_000_000_000_001;
/// A guild text channel where netboard may answer.
pub const CHANNEL_ID: u64 = 200_000_000_000_000_001;
/// Another text channel of the same guild (for allow-list tests).
pub const OTHER_CHANNEL_ID: u64 = 200_000_000_000_000_002;
pub const OTHER_BOT_ID: u64 = 500_000_000_000_000_001;
const FIRST_USER_ID: u64 = 400_000_000_000_000_001;
const FIRST_DM_ID: u64 = 300_000_000_000_000_001;
const FIRST_SNOWFLAKE: u64 = 600_000_000_000_000_001;
/// Each emulator hands out snowflakes from its own range, so ids are unique across the
/// emulators of one test process (the tests find their log lines by id).
static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
const TIMESTAMP: &str = "2026-11-29T07:00:00.000000+00:00";

/// The test certificate for `discord.com` (self-signed, `CA:FALSE`, made with openssl; see
/// DISCORD.md §1.2), trusted by the reqwest client handed to serenity in TLS mode.
pub const CERT_PEM: &[u8] = include_bytes!("tls/discord.com.cert.pem");
const KEY_PEM: &[u8] = include_bytes!("tls/discord.com.key.pem");

/// How the REST API is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// Plain HTTP, for serenity's proxy mode (its rate limiter must be off, DISCORD.md G1).
    Plain,
    /// HTTPS for `discord.com` with the test certificate; serenity's rate limiter stays on.
    Tls,
}

/// One REST request as the emulator saw it, and the status it answered.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path without `/api/v10`, e.g. `/channels/1/messages`.
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Value,
    pub status: u16,
    pub at: Instant,
}

impl Call {
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }

    pub fn content(&self) -> &str {
        self.body["content"].as_str().unwrap_or("")
    }
}

/// A 429 to answer instead of the real thing, `times` times, for requests matching
/// `method` and a path ending in `path_suffix`.
#[derive(Debug, Clone)]
pub struct RateLimitRule {
    pub method: &'static str,
    pub path_suffix: String,
    pub times: usize,
    pub retry_after: f64,
    pub global: bool,
}

/// A frame for the connection task to write.
enum Out {
    Frame(Value),
    Close(u16),
    /// Drop the TCP connection without a close frame.
    Drop,
}

struct Connection {
    id: u64,
    tx: mpsc::UnboundedSender<Out>,
}

#[derive(Default)]
struct Session {
    id: String,
    seq: u64,
    history: Vec<(u64, Value)>,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    /// Every frame a client sent on the gateway, in order.
    received: Vec<Value>,
    /// When each dispatch was written to the socket, by sequence number.
    sent_at: HashMap<u64, Instant>,
    session: Session,
    sessions_started: u64,
    conn: Option<Connection>,
    connections: u64,
    next_snowflake: u64,
    users: u64,
    rate_limits: Vec<RateLimitRule>,
    refused_intents: u64,
    threads: HashMap<u64, Value>,
    dms: HashMap<u64, Value>,
    gateway_url: String,
    heartbeat_interval: u64,
}

struct State {
    inner: Mutex<Inner>,
    changed: Notify,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running emulator; its tasks stop when it is dropped.
pub struct Emulator {
    pub rest_addr: SocketAddr,
    pub rest: Rest,
    state: Arc<State>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Emulator {
    /// Starts an emulator on two ephemeral ports of 127.0.0.1.
    pub async fn start(rest: Rest) -> Emulator {
        let rest_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest_addr = rest_listener.local_addr().unwrap();
        let gateway_addr = gateway_listener.local_addr().unwrap();
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                next_snowflake: FIRST_SNOWFLAKE
                    + 1_000_000 * INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                gateway_url: format!("ws://{gateway_addr}"),
                heartbeat_interval: 41_250,
                ..Inner::default()
            }),
            changed: Notify::new(),
        });
        let tls = (rest == Rest::Tls).then(tls_acceptor);
        let tasks = vec![
            tokio::spawn(serve_rest(rest_listener, state.clone(), tls)),
            tokio::spawn(serve_gateway(gateway_listener, state.clone())),
        ];
        Emulator {
            rest_addr,
            rest,
            state,
            tasks,
        }
    }

    // ---- gateway controls ----

    /// Dispatches an event (op 0) to the session; returns its sequence number. A detached
    /// session keeps it for RESUME's replay.
    pub fn dispatch(&self, t: &str, d: Value) -> u64 {
        let seq = dispatch(&mut self.state.lock(), t, d);
        self.state.changed.notify_waiters();
        seq
    }

    /// A new human user id (each call a different user).
    pub fn new_user(&self) -> u64 {
        let mut inner = self.state.lock();
        inner.users += 1;
        FIRST_USER_ID + inner.users - 1
    }

    /// A fresh message id (also the id a thread from it gets).
    pub fn snowflake(&self) -> u64 {
        next_snowflake(&mut self.state.lock())
    }

    /// Dispatches MESSAGE_CREATE from a human in a guild channel or thread; returns the message
    /// id. `mention_bot` puts the bot in `mentions` and `<@BOT>` before the text.
    pub fn guild_message(&self, channel: u64, author: u64, text: &str, mention_bot: bool) -> u64 {
        self.message_from(
            channel,
            Some(GUILD_ID),
            user(author, false),
            text,
            mention_bot,
        )
    }

    /// Dispatches MESSAGE_CREATE in a DM with `author` (the DM channel is created on first use);
    /// returns (DM channel id, message id).
    pub fn dm_message(&self, author: u64, text: &str) -> (u64, u64) {
        let channel = {
            let mut inner = self.state.lock();
            let n = inner.dms.len() as u64;
            let entry = inner.dms.entry(author).or_insert_with(|| {
                json!({"id": (FIRST_DM_ID + n).to_string(), "type": 1,
                       "recipients": [user(author, false)], "last_message_id": null})
            });
            id_of(entry)
        };
        (
            channel,
            self.message_from(channel, None, user(author, false), text, false),
        )
    }

    /// Dispatches MESSAGE_CREATE from another bot, mentioning netboard.
    pub fn bot_message(&self, channel: u64, text: &str) -> u64 {
        self.message_from(
            channel,
            Some(GUILD_ID),
            user(OTHER_BOT_ID, true),
            text,
            true,
        )
    }

    fn message_from(
        &self,
        channel: u64,
        guild: Option<u64>,
        author: Value,
        text: &str,
        mention_bot: bool,
    ) -> u64 {
        let id = self.snowflake();
        let (content, mentions) = if mention_bot {
            (format!("<@{BOT_ID}> {text}"), vec![user(BOT_ID, true)])
        } else {
            (text.to_string(), vec![])
        };
        self.dispatch(
            "MESSAGE_CREATE",
            message(id, channel, guild, author, &content, mentions),
        );
        id
    }

    /// Dispatches INTERACTION_CREATE for `/netboard question:<text>` in `channel` of the guild;
    /// returns the interaction's token.
    pub fn slash_command(&self, channel: u64, author: u64, question: &str) -> String {
        let id = self.snowflake();
        let token = format!("interaction-token-{id}");
        let partial = match self.state.lock().threads.get(&channel) {
            Some(t) => json!({"id": t["id"], "type": 11, "name": t["name"],
                              "parent_id": t["parent_id"]}),
            None => json!({"id": channel.to_string(), "type": 0, "name": "tumour-board"}),
        };
        self.dispatch(
            "INTERACTION_CREATE",
            command_interaction(id, &token, partial, author, question),
        );
        token
    }

    /// Sends op 7 RECONNECT and detaches the connection: what is dispatched next is replayed.
    pub fn send_reconnect(&self) {
        let mut inner = self.state.lock();
        if let Some(conn) = inner.conn.take() {
            let _ = conn.tx.send(Out::Frame(json!({"op": 7, "d": null})));
        }
    }

    /// Drops the TCP connection without a close frame and detaches it.
    pub fn drop_connection(&self) {
        if let Some(conn) = self.state.lock().conn.take() {
            let _ = conn.tx.send(Out::Drop);
        }
    }

    /// Closes with 4014 (disallowed intents) any IDENTIFY asking for one of `bits`, as Discord
    /// does for a privileged gateway intent not enabled in the Developer Portal.
    pub fn refuse_intents(&self, bits: u64) {
        self.state.lock().refused_intents = bits;
    }

    /// Answers the next matching requests with 429.
    pub fn add_rate_limit(&self, rule: RateLimitRule) {
        self.state.lock().rate_limits.push(rule);
    }

    // ---- what happened ----

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().calls.clone()
    }

    /// Forgets recorded calls (long-running measurements keep memory flat with this).
    pub fn clear_calls(&self) {
        self.state.lock().calls.clear();
    }

    /// Forgets the session's dispatch history (so no RESUME can replay it) and the send times.
    /// Long-running measurements keep memory flat with this and [`Emulator::clear_calls`].
    pub fn forget_history(&self) {
        let mut inner = self.state.lock();
        inner.session.history.clear();
        inner.sent_at.clear();
        inner.received.clear();
    }

    /// Every frame clients sent on the gateway.
    pub fn gateway_received(&self) -> Vec<Value> {
        self.state.lock().received.clone()
    }

    /// How many gateway connections were accepted.
    pub fn connections(&self) -> u64 {
        self.state.lock().connections
    }

    /// When the dispatch with sequence number `seq` was handed to the socket's writer.
    pub fn sent_at(&self, seq: u64) -> Option<Instant> {
        self.state.lock().sent_at.get(&seq).copied()
    }

    /// Messages the bot posted in `channel` (POST …/messages answered 200), in order.
    pub fn posted_in(&self, channel: u64) -> Vec<String> {
        let path = format!("/channels/{channel}/messages");
        self.calls()
            .iter()
            .filter(|c| c.is("POST", &path) && c.status == 200)
            .map(|c| c.content().to_string())
            .collect()
    }

    /// Waits until `check` gives a value, or panics after `timeout` with `what` and the calls
    /// seen so far. Woken by every change, so it returns as soon as the condition holds.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut(&Emulator) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.state.changed.notified();
            if let Some(v) = check(self) {
                return v;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                if let Some(v) = check(self) {
                    return v;
                }
                let calls: Vec<String> = self
                    .calls()
                    .iter()
                    .map(|c| format!("{} {} → {}", c.method, c.path, c.status))
                    .collect();
                panic!(
                    "timed out after {timeout:?} waiting for {what}; REST calls: {calls:#?}; \
                     gateway frames from the client: {}",
                    self.gateway_received().len()
                );
            }
        }
    }
}

// ---- fixtures: JSON serenity 0.12.5 accepts (checked by the fixtures_deserialize test) ----

fn next_snowflake(inner: &mut Inner) -> u64 {
    inner.next_snowflake += 1;
    inner.next_snowflake - 1
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

pub fn user(id: u64, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": format!("user{id}"), "discriminator": "0",
           "global_name": null, "avatar": null, "bot": bot})
}

pub fn message(
    id: u64,
    channel: u64,
    guild: Option<u64>,
    author: Value,
    content: &str,
    mentions: Vec<Value>,
) -> Value {
    let mut m = json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "author": author,
        "content": content, "timestamp": TIMESTAMP, "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": mentions, "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": false, "type": 0,
    });
    if let Some(g) = guild {
        m["guild_id"] = json!(g.to_string());
        m["member"] = json!({"roles": [], "joined_at": TIMESTAMP, "deaf": false, "mute": false,
                             "flags": 0});
    }
    m
}

fn member(id: u64, bot: bool) -> Value {
    json!({"user": user(id, bot), "nick": null, "roles": [], "joined_at": TIMESTAMP,
           "deaf": false, "mute": false, "flags": 0})
}

fn text_channel(id: u64, name: &str) -> Value {
    json!({"id": id.to_string(), "type": 0, "guild_id": GUILD_ID.to_string(), "name": name,
           "position": 0, "permission_overwrites": [], "parent_id": null, "nsfw": false})
}

pub fn thread(id: u64, parent: u64, name: &str, owner: u64) -> Value {
    json!({"id": id.to_string(), "type": 11, "guild_id": GUILD_ID.to_string(),
           "parent_id": parent.to_string(), "owner_id": owner.to_string(), "name": name,
           "thread_metadata": {"archived": false, "auto_archive_duration": 1440,
                               "archive_timestamp": TIMESTAMP, "locked": false}})
}

/// The guild of GUILD_CREATE: two text channels; `@everyone` (role id = guild id) grants what
/// the bot needs (DISCORD.md G5): view, send, send in threads, create public threads, history.
pub fn guild(threads: Vec<Value>) -> Value {
    const VIEW: u64 = 1 << 10;
    const SEND: u64 = 1 << 11;
    const HISTORY: u64 = 1 << 16;
    const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    const SEND_IN_THREADS: u64 = 1 << 38;
    let everyone = VIEW | SEND | HISTORY | CREATE_PUBLIC_THREADS | SEND_IN_THREADS;
    json!({
        "id": GUILD_ID.to_string(), "name": "Tumour board", "icon": null, "icon_hash": null,
        "splash": null, "discovery_splash": null, "owner_id": FIRST_USER_ID.to_string(),
        "verification_level": 0, "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [{"id": GUILD_ID.to_string(), "name": "@everyone", "color": 0,
                   "colors": {"primary_color": 0, "secondary_color": null,
                              "tertiary_color": null},
                   "hoist": false, "managed": false, "mentionable": false,
                   "permissions": everyone.to_string(), "position": 0, "icon": null,
                   "unicode_emoji": null}],
        "emojis": [], "features": [], "mfa_level": 0, "application_id": null,
        "system_channel_id": null, "system_channel_flags": 0, "rules_channel_id": null,
        "vanity_url_code": null, "description": null, "banner": null, "premium_tier": 0,
        "preferred_locale": "en-GB", "public_updates_channel_id": null, "nsfw_level": 0,
        "stickers": [], "premium_progress_bar_enabled": false, "joined_at": TIMESTAMP,
        "large": false, "member_count": 2, "voice_states": [],
        "members": [member(BOT_ID, true), member(FIRST_USER_ID, false)],
        "channels": [text_channel(CHANNEL_ID, "tumour-board"),
                     text_channel(OTHER_CHANNEL_ID, "general")],
        "threads": threads, "presences": [], "stage_instances": [],
        "guild_scheduled_events": [],
    })
}

pub fn ready(session_id: &str, gateway_url: &str) -> Value {
    json!({"v": 10, "user": {"id": BOT_ID.to_string(), "username": "netboard",
                             "discriminator": "0", "global_name": null, "avatar": null,
                             "bot": true, "verified": true, "mfa_enabled": false},
           "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
           "session_id": session_id, "resume_gateway_url": gateway_url,
           "application": {"id": APP_ID.to_string(), "flags": 0}})
}

/// A command interaction in `channel` (a partial channel object, as Discord sends it).
pub fn command_interaction(id: u64, token: &str, channel: Value, author: u64, q: &str) -> Value {
    json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 2, "token": token,
        "version": 1, "locale": "en-GB", "guild_locale": "en-GB", "entitlements": [],
        "attachment_size_limit": 10_485_760, "guild_id": GUILD_ID.to_string(),
        "channel_id": channel["id"], "channel": channel, "member": member(author, false),
        "data": {"id": "700000000000000001", "name": "netboard", "type": 1,
                 "options": [{"name": "question", "type": 3, "value": q}]},
    })
}

// ---- gateway ----

fn dispatch(inner: &mut Inner, t: &str, d: Value) -> u64 {
    inner.session.seq += 1;
    let seq = inner.session.seq;
    let frame = json!({"op": 0, "t": t, "s": seq, "d": d});
    inner.session.history.push((seq, frame.clone()));
    if let Some(conn) = &inner.conn {
        // Stamped before it is handed to the socket's writer, so that a preempted test thread
        // can only make a measured interval longer, never negative.
        let at = Instant::now();
        if conn.tx.send(Out::Frame(frame)).is_ok() {
            inner.sent_at.insert(seq, at);
        }
    }
    seq
}

async fn serve_gateway(listener: TcpListener, state: Arc<State>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(gateway_connection(stream, state.clone()));
    }
}

async fn gateway_connection(stream: tokio::net::TcpStream, state: Arc<State>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    let id = {
        let mut inner = state.lock();
        inner.connections += 1;
        let hello = json!({"op": 10, "d": {"heartbeat_interval": inner.heartbeat_interval}});
        let _ = tx.send(Out::Frame(hello));
        inner.connections
    };
    state.changed.notify_waiters();
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let sent = match out {
                Out::Frame(v) => sink.send(WsMessage::Text(v.to_string())).await,
                Out::Close(code) => {
                    let frame = CloseFrame {
                        code: CloseCode::from(code),
                        reason: "".into(),
                    };
                    let _ = sink.send(WsMessage::Close(Some(frame))).await;
                    return;
                }
                Out::Drop => return,
            };
            if sent.is_err() {
                return;
            }
        }
    });
    let reader = async {
        while let Some(Ok(frame)) = source.next().await {
            let WsMessage::Text(text) = frame else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            on_client_frame(&state, id, &tx, v);
        }
    };
    // The connection ends when the client goes or the writer is told to drop or close it.
    tokio::select! {
        _ = reader => {}
        _ = writer => {}
    }
    let mut inner = state.lock();
    if inner.conn.as_ref().is_some_and(|c| c.id == id) {
        inner.conn = None;
    }
    drop(inner);
    state.changed.notify_waiters();
}

fn on_client_frame(state: &State, conn: u64, tx: &mpsc::UnboundedSender<Out>, v: Value) {
    let mut inner = state.lock();
    inner.received.push(v.clone());
    match v["op"].as_u64() {
        Some(1) => {
            let _ = tx.send(Out::Frame(json!({"op": 11})));
        }
        Some(2) => {
            let intents = v["d"]["intents"].as_u64().unwrap_or(0);
            if intents & inner.refused_intents != 0 {
                let _ = tx.send(Out::Close(4014));
            } else {
                inner.sessions_started += 1;
                let session = format!("session-{}", inner.sessions_started);
                inner.session = Session {
                    id: session.clone(),
                    ..Session::default()
                };
                inner.conn = Some(Connection {
                    id: conn,
                    tx: tx.clone(),
                });
                let url = inner.gateway_url.clone();
                dispatch(&mut inner, "READY", ready(&session, &url));
                let threads = inner.threads.values().cloned().collect();
                dispatch(&mut inner, "GUILD_CREATE", guild(threads));
            }
        }
        Some(6) => {
            let d = &v["d"];
            let known = d["session_id"].as_str() == Some(inner.session.id.as_str());
            if !known {
                let _ = tx.send(Out::Frame(json!({"op": 9, "d": false})));
            } else {
                let from = d["seq"].as_u64().unwrap_or(0);
                for (seq, frame) in &inner.session.history {
                    if *seq > from {
                        let _ = tx.send(Out::Frame(frame.clone()));
                    }
                }
                inner.conn = Some(Connection {
                    id: conn,
                    tx: tx.clone(),
                });
                dispatch(&mut inner, "RESUMED", json!({}));
            }
        }
        _ => {}
    }
    drop(inner);
    state.changed.notify_waiters();
}

// ---- REST ----

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let certs = vec![CertificateDer::from_pem_slice(CERT_PEM).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(KEY_PEM).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

async fn serve_rest(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let state = state.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve_http(stream, state).await;
                    }
                }
                None => serve_http(stream, state).await,
            }
        });
    }
}

async fn serve_http<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    state: Arc<State>,
) {
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// A REST answer: status, JSON body (None for 204) and extra headers.
struct Answer(u16, Option<Value>, Vec<(&'static str, String)>);

fn ok(v: Value) -> Answer {
    Answer(200, Some(v), vec![])
}

fn error(status: u16, code: u64, message: &str) -> Answer {
    Answer(
        status,
        Some(json!({"code": code, "message": message})),
        vec![],
    )
}

fn invalid_form(field: &str, why: &str) -> Answer {
    Answer(
        400,
        Some(json!({"code": 50035, "message": "Invalid Form Body",
                    "errors": {field: {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH",
                                                    "message": why}]}}})),
        vec![],
    )
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req.uri().path().trim_start_matches("/api/v10").to_string();
    let headers: HashMap<String, String> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let raw = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let at = Instant::now();
    let answer = {
        let mut inner = state.lock();
        let answer = route(&mut inner, &method, &path, &headers, &body);
        inner.calls.push(Call {
            method,
            path,
            headers,
            body,
            status: answer.0,
            at,
        });
        answer
    };
    state.changed.notify_waiters();
    let Answer(status, json, extra) = answer;
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("x-ratelimit-limit", "50")
        .header("x-ratelimit-remaining", "49")
        .header("x-ratelimit-reset-after", "1.000")
        .header("x-ratelimit-bucket", "emulator");
    for (k, v) in extra {
        response = response.header(k, v);
    }
    let body = match json {
        Some(v) => {
            response = response.header("content-type", "application/json");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    response.body(Full::new(body)).unwrap()
}

fn route(
    inner: &mut Inner,
    method: &str,
    path: &str,
    headers: &HashMap<String, String>,
    body: &Value,
) -> Answer {
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bot {TOKEN}")) {
        return error(401, 0, "401: Unauthorized");
    }
    if let Some(i) = inner
        .rate_limits
        .iter()
        .position(|r| r.method == method && path.ends_with(&r.path_suffix))
    {
        let rule = inner.rate_limits[i].clone();
        inner.rate_limits[i].times -= 1;
        if inner.rate_limits[i].times == 0 {
            inner.rate_limits.remove(i);
        }
        let mut extra = vec![
            ("retry-after", rule.retry_after.to_string()),
            ("x-ratelimit-remaining", "0".to_string()),
            ("x-ratelimit-reset-after", rule.retry_after.to_string()),
        ];
        if rule.global {
            extra.push(("x-ratelimit-global", "true".to_string()));
        }
        return Answer(
            429,
            Some(json!({"message": "You are being rate limited.",
                        "retry_after": rule.retry_after, "global": rule.global})),
            extra,
        );
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let num = |s: &str| s.parse::<u64>().ok();
    match (method, parts.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": inner.gateway_url})),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": inner.gateway_url, "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                    "max_concurrency": 1}})),
        ("GET", ["users", "@me"]) => ok(user(BOT_ID, true)),
        ("PUT", ["applications", _, "commands"]) => {
            let mut commands = body.as_array().cloned().unwrap_or_default();
            for c in &mut commands {
                let id = next_snowflake(inner);
                c["id"] = json!(id.to_string());
                c["application_id"] = json!(APP_ID.to_string());
                c["version"] = json!("1");
                c["type"] = c.get("type").cloned().unwrap_or(json!(1));
            }
            ok(Value::Array(commands))
        }
        ("POST", ["channels", ch, "messages", msg, "threads"]) => {
            let (Some(ch), Some(msg)) = (num(ch), num(msg)) else {
                return error(404, 10003, "Unknown Channel");
            };
            create_thread(inner, ch, msg, body)
        }
        ("POST", ["channels", ch, "messages"]) => {
            let Some(ch) = num(ch) else {
                return error(404, 10003, "Unknown Channel");
            };
            if let Err(bad) = check_message(body) {
                return bad;
            }
            let id = next_snowflake(inner);
            let guild = (!inner.dms.values().any(|d| id_of(d) == ch)).then_some(GUILD_ID);
            let content = body["content"].as_str().unwrap_or("");
            let posted = message(id, ch, guild, user(BOT_ID, true), content, vec![]);
            // Discord sends a bot its own messages too; the bot must ignore them.
            dispatch(inner, "MESSAGE_CREATE", posted.clone());
            ok(posted)
        }
        ("POST", ["channels", _, "typing"]) => Answer(204, None, vec![]),
        ("GET", ["channels", id]) => {
            let Some(id) = num(id) else {
                return error(404, 10003, "Unknown Channel");
            };
            channel(inner, id).map_or_else(|| error(404, 10003, "Unknown Channel"), ok)
        }
        ("POST", ["interactions", _, _, "callback"]) => Answer(204, None, vec![]),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            if let Err(bad) = check_message(body) {
                return bad;
            }
            let id = next_snowflake(inner);
            let content = body["content"].as_str().unwrap_or("");
            ok(message(
                id,
                CHANNEL_ID,
                Some(GUILD_ID),
                user(BOT_ID, true),
                content,
                vec![],
            ))
        }
        _ => error(404, 0, "404: Not Found"),
    }
}

fn channel(inner: &Inner, id: u64) -> Option<Value> {
    match id {
        CHANNEL_ID => Some(text_channel(CHANNEL_ID, "tumour-board")),
        OTHER_CHANNEL_ID => Some(text_channel(OTHER_CHANNEL_ID, "general")),
        _ => inner
            .threads
            .get(&id)
            .cloned()
            .or_else(|| inner.dms.values().find(|d| id_of(d) == id).cloned()),
    }
}

fn create_thread(inner: &mut Inner, parent: u64, message: u64, body: &Value) -> Answer {
    let name = body["name"].as_str().unwrap_or("");
    let length = name.chars().count();
    if !(1..=100).contains(&length) {
        return invalid_form("name", "Must be between 1 and 100 in length.");
    }
    if inner.threads.contains_key(&parent) {
        return error(400, 50024, "Cannot execute action on this channel type");
    }
    if inner.threads.contains_key(&message) {
        return error(
            400,
            160004,
            "A thread has already been created for this message",
        );
    }
    let t = thread(message, parent, name, BOT_ID);
    inner.threads.insert(message, t.clone());
    let mut created = t.clone();
    created["newly_created"] = json!(true);
    dispatch(inner, "THREAD_CREATE", created);
    Answer(201, Some(t), vec![])
}

/// Discord's limits on a message body (DISCORD.md §2.1), answered as Discord does: 400, 50035.
fn check_message(body: &Value) -> Result<(), Answer> {
    let content = body["content"].as_str().unwrap_or("");
    if content.chars().count() > 2000 {
        return Err(invalid_form("content", "Must be 2000 or fewer in length."));
    }
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if content.is_empty() && embeds.is_empty() {
        return Err(error(400, 50006, "Cannot send an empty message"));
    }
    if embeds.len() > 10 {
        return Err(invalid_form("embeds", "Must be 10 or fewer in length."));
    }
    let len = |v: &Value| v.as_str().map_or(0, |s| s.trim().chars().count());
    let mut total = 0;
    for e in &embeds {
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        let limits = [
            (len(&e["title"]), 256),
            (len(&e["description"]), 4096),
            (len(&e["footer"]["text"]), 2048),
            (len(&e["author"]["name"]), 256),
            (fields.len(), 25),
        ];
        if limits.iter().any(|(n, max)| n > max)
            || fields
                .iter()
                .any(|f| len(&f["name"]) > 256 || len(&f["value"]) > 1024)
        {
            return Err(invalid_form("embeds", "Embed field over its limit."));
        }
        total += limits[..4].iter().map(|(n, _)| n).sum::<usize>()
            + fields
                .iter()
                .map(|f| len(&f["name"]) + len(&f["value"]))
                .sum::<usize>();
    }
    if total > 6000 {
        return Err(invalid_form(
            "embeds",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    Ok(())
}

/// Every fixture the emulator sends, by the serenity type it must deserialize into.
pub fn fixtures() -> Vec<(&'static str, Value)> {
    let msg = message(
        1,
        CHANNEL_ID,
        Some(GUILD_ID),
        user(FIRST_USER_ID, false),
        "hi",
        vec![user(BOT_ID, true)],
    );
    let dm_channel = json!({"id": FIRST_DM_ID.to_string(), "type": 1,
                            "recipients": [user(FIRST_USER_ID, false)],
                            "last_message_id": null});
    vec![
        ("Ready", ready("s", "ws://127.0.0.1:1")),
        ("Guild", guild(vec![thread(2, CHANNEL_ID, "t", BOT_ID)])),
        ("Message", msg),
        (
            "Message (DM)",
            message(
                3,
                FIRST_DM_ID,
                None,
                user(FIRST_USER_ID, false),
                "hi",
                vec![],
            ),
        ),
        ("GuildChannel (thread)", thread(2, CHANNEL_ID, "t", BOT_ID)),
        (
            "GuildChannel (text)",
            text_channel(CHANNEL_ID, "tumour-board"),
        ),
        ("PrivateChannel", dm_channel),
        (
            "CommandInteraction",
            command_interaction(
                4,
                "tok",
                json!({"id": CHANNEL_ID.to_string(), "type": 0, "name": "tumour-board"}),
                FIRST_USER_ID,
                "q",
            ),
        ),
        ("User", user(FIRST_USER_ID, false)),
    ]
}
