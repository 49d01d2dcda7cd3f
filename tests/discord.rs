//! The Discord bot end to end: netboard's real bot on the real serenity 0.12.5 client, against the
//! Discord emulator of `support/emulator.rs` on 127.0.0.1 — one emulator per test, on ephemeral
//! ports, so the tests run in parallel.
//!
//! Every test first asserts the bot became ready within a deadline (serenity silently falls back
//! to the real gateway when the emulator's `GET /gateway` fails, DISCORD.md G2), then waits on
//! recorded REST calls or log lines with a deadline — never on a sleep. A message the bot must
//! ignore is known to be handled when its `ignored` log line (found by message id) appears.
#![cfg(feature = "discord")]
#![recursion_limit = "512"]

#[path = "support/emulator.rs"]
mod emulator;
#[path = "support/mod.rs"]
mod support;

use emulator::{
    Call, Emulator, RateLimitRule, Rest, APP_ID, BOT_ID, CHANNEL_ID, OTHER_CHANNEL_ID, TOKEN,
};
use netboard::engine::{data_dir, Engine};
use netboard::store::CaseStore;
use netboard::transport::discord::{self, reply, DiscordError, PhiPolicy, Settings};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const READY: Duration = Duration::from_secs(10);
const ANSWERED: Duration = Duration::from_secs(10);

const QUESTION: &str =
    "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?";

// ---- the bot under test ----

fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| Arc::new(Engine::load(&data_dir()).expect("the shipped data loads")))
        .clone()
}

/// Everything every bot of this process logs, at netboard's debug level (as `RUST_LOG` would
/// give it), for the tests that read the logs.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
                "{},netboard=debug",
                discord::DEFAULT_LOG
            )))
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        logs
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

/// Waits until a log line names event `id` and contains `needle`; returns the line.
async fn wait_logged(id: u64, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + ANSWERED;
    let id = format!(" id={id} ");
    loop {
        let found = log_text()
            .lines()
            .find(|l| l.contains(&id) && l.contains(needle))
            .map(str::to_string);
        if let Some(line) = found {
            return line;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no log line with{id}and {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn db_path(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "netboard-discord-{test}-{}.sqlite3",
        std::process::id()
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// A running bot and the way to stop it.
struct Bot {
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), DiscordError>>,
}

impl Bot {
    /// Starts the bot against `emu` and waits until it is ready (IDENTIFY sent, READY received,
    /// the slash command registered).
    async fn start(emu: &Emulator, settings: Settings, db: &Path) -> Bot {
        logs();
        let registered = emu.calls().iter().filter(|c| c.method == "PUT").count();
        let store = CaseStore::open(db, Duration::from_secs(3600)).expect("the store opens");
        let make_http = http_for(emu);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(discord::serve(
            make_http,
            engine(),
            store,
            settings,
            async move {
                let _ = rx.await;
            },
        ));
        emu.wait_for(READY, "the bot to be ready and register /netboard", |e| {
            let puts = e.calls().iter().filter(|c| c.method == "PUT").count();
            (puts > registered).then_some(())
        })
        .await;
        Bot {
            shutdown: Some(tx),
            task,
        }
    }

    /// Shuts the bot down as SIGTERM would and waits for it to stop.
    async fn stop(mut self) {
        let _ = self.shutdown.take().unwrap().send(());
        let stopped = tokio::time::timeout(Duration::from_secs(15), &mut self.task)
            .await
            .expect("the bot stops within 15 s");
        stopped.unwrap().expect("the bot stops cleanly");
    }
}

/// The REST client for `emu`: proxy mode (serenity's rate limiter off, DISCORD.md G1) or TLS
/// mode (HTTPS for discord.com resolved to the emulator, rate limiter on).
fn http_for(emu: &Emulator) -> impl Fn() -> serenity::all::Http {
    let rest = emu.rest;
    let addr = emu.rest_addr;
    move || match rest {
        Rest::Plain => discord::http(TOKEN)
            .proxy(format!("http://{addr}"))
            .ratelimiter_disabled(true)
            .build(),
        Rest::Tls => {
            let client = reqwest::Client::builder()
                .use_rustls_tls()
                .resolve("discord.com", addr)
                .add_root_certificate(reqwest::Certificate::from_pem(emulator::CERT_PEM).unwrap())
                .build()
                .unwrap();
            discord::http(TOKEN).client(client).build()
        }
    }
}

// ---- what the emulator saw ----

fn thread_posts(calls: &[Call], message: u64) -> Vec<Call> {
    let path = format!("/channels/{CHANNEL_ID}/messages/{message}/threads");
    calls
        .iter()
        .filter(|c| c.is("POST", &path))
        .cloned()
        .collect()
}

fn message_posts(calls: &[Call], channel: u64) -> Vec<Call> {
    let path = format!("/channels/{channel}/messages");
    calls
        .iter()
        .filter(|c| c.is("POST", &path))
        .cloned()
        .collect()
}

/// Mentions disabled: `{"parse": [], "users": [], "roles": []}` or an equally empty object.
fn assert_no_mentions(call: &Call) {
    let am = &call.body["allowed_mentions"];
    assert!(
        am.is_object(),
        "{} {} has no allowed_mentions",
        call.method,
        call.path
    );
    for field in ["parse", "users", "roles"] {
        assert!(
            am[field].as_array().is_none_or(Vec::is_empty),
            "{} {}: allowed_mentions.{field} = {}",
            call.method,
            call.path,
            am[field]
        );
    }
}

/// How many messages the bot posts for `text` as a first message (the answer's length is fixed
/// by the knowledge base, so the tests ask the engine rather than hard-code it).
fn answer_len(text: &str) -> usize {
    netboard::render::chat(&engine().ask(text)).len()
}

/// Waits until the answer to `message` (asked in CHANNEL_ID) is fully posted in its thread.
async fn wait_answer_in_thread(emu: &Emulator, message: u64, len: usize) -> Vec<String> {
    emu.wait_for(ANSWERED, "the answer in the new thread", |e| {
        let posted = e.posted_in(message);
        (posted.len() >= len).then_some(posted)
    })
    .await
}

// ---- the tests ----

#[test]
fn fixtures_deserialize() {
    use serenity::all::{
        CommandInteraction, CurrentUser, Guild, GuildChannel, Message, PrivateChannel, Ready, User,
    };
    fn check<T: serde::de::DeserializeOwned>(name: &str, v: &Value) {
        if let Err(e) = serde_json::from_value::<T>(v.clone()) {
            panic!("fixture {name} does not deserialize into serenity's type: {e}\n{v:#}");
        }
    }
    for (name, v) in emulator::fixtures() {
        match name {
            "Ready" => check::<Ready>(name, &v),
            "Guild" => check::<Guild>(name, &v),
            "Message" | "Message (DM)" => check::<Message>(name, &v),
            "GuildChannel (thread)" | "GuildChannel (text)" => check::<GuildChannel>(name, &v),
            "PrivateChannel" => check::<PrivateChannel>(name, &v),
            "CommandInteraction" => check::<CommandInteraction>(name, &v),
            "User" => check::<User>(name, &v),
            other => panic!("fixture {other} has no serenity type to check against"),
        }
    }
    let guild: Guild = serde_json::from_value(emulator::guild(vec![])).unwrap();
    let everyone = &guild.roles[&serenity::all::RoleId::new(emulator::GUILD_ID)];
    assert!(
        everyone.permissions.send_messages_in_threads()
            && everyone.permissions.create_public_threads()
    );
    let ready: Ready = serde_json::from_value(emulator::ready("s", "ws://x")).unwrap();
    let _: &CurrentUser = &ready.user;
    let message: Message = serde_json::from_value(emulator::fixtures()[2].1.clone()).unwrap();
    assert!(
        message.mentions_user_id(BOT_ID),
        "the message fixture mentions the bot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mention_in_a_channel_creates_a_thread_from_it_and_answers_inside() {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("mention")).await;
    let identify = emu
        .gateway_received()
        .into_iter()
        .find(|f| f["op"] == 2)
        .expect("IDENTIFY");
    assert_eq!(
        identify["d"]["intents"], 37377,
        "GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT"
    );
    assert_eq!(identify["d"]["token"], format!("Bot {TOKEN}"));

    let user = emu.new_user();
    let msg = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
    let len = answer_len(QUESTION);
    let posted = wait_answer_in_thread(&emu, msg, len).await;
    wait_logged(msg, "answered").await;

    let calls = emu.calls();
    let threads = thread_posts(&calls, msg);
    assert_eq!(threads.len(), 1, "one thread, from the question's message");
    assert_eq!(threads[0].status, 201);
    assert_eq!(
        threads[0].body["name"],
        "pancreas NET, G2, 3 liver mets, liver-only, SSTR+"
    );
    assert_eq!(threads[0].body["auto_archive_duration"], 1440);
    let replies = message_posts(&calls, msg);
    assert_eq!(
        replies.len(),
        len,
        "the answer, once, inside the thread (thread id = message id)"
    );
    assert!(
        threads[0].at <= replies[0].at,
        "the thread exists before the answer"
    );
    assert!(
        message_posts(&calls, CHANNEL_ID).is_empty(),
        "nothing posted in the channel itself"
    );
    for r in &replies {
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["authorization"], format!("Bot {TOKEN}"));
        assert_no_mentions(r);
    }
    let text = posted.join("\n");
    for expected in [
        "**Understood**",
        "liver lesions (count): 3",
        "SSTR imaging: positive",
        "**Options**",
        "Thermal ablation",
        "PRRT",
        "Post no patient identifiers",
    ] {
        assert!(text.contains(expected), "the answer lacks {expected:?}");
    }
    assert!(
        calls
            .iter()
            .any(|c| c.is("POST", &format!("/channels/{msg}/typing"))),
        "typing shown in the thread"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_in_the_thread_without_a_mention_refines_the_case() {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("follow-up")).await;
    let user = emu.new_user();
    let msg = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
    let first = wait_answer_in_thread(&emu, msg, answer_len(QUESTION)).await;

    let follow_up = emu.guild_message(msg, user, "dotatate negative after all", false);
    let answer = emu
        .wait_for(ANSWERED, "the follow-up's answer", |e| {
            let posted = e.posted_in(msg);
            (posted.len() > first.len()).then(|| posted[first.len()..].join("\n"))
        })
        .await;
    wait_logged(follow_up, "answered").await;
    assert!(
        answer.contains("Changed: SSTR imaging positive → negative"),
        "the answer says what changed:\n{answer}"
    );
    assert!(
        answer.contains("liver lesions (count): 3"),
        "the earlier features are kept"
    );
    assert_eq!(
        thread_posts(&emu.calls(), follow_up).len(),
        0,
        "no thread in a thread"
    );

    // `reset` starts the thread's case over: the next message is a first message again.
    let reset = emu.guild_message(msg, user, "reset", false);
    wait_logged(reset, "intent=\"reset\"").await;
    assert_eq!(emu.posted_in(msg).last().unwrap(), reply::RESET_DONE);
    let fresh = emu.guild_message(msg, user, "ileal NET G1", false);
    wait_logged(fresh, "answered").await;
    let posted = emu.posted_in(msg);
    let last = posted
        .iter()
        .rev()
        .find(|m| m.contains("**Understood**"))
        .unwrap();
    assert!(
        !last.contains("Changed:") && !last.contains("liver lesions"),
        "{last}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_is_ignored_unless_dms_are_allowed() {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("dm-off")).await;
    let (dm, msg) = emu.dm_message(emu.new_user(), QUESTION);
    wait_logged(msg, "reason=\"DMs are off\"").await;
    assert!(emu.posted_in(dm).is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_is_answered_directly_when_allowed() {
    let emu = Emulator::start(Rest::Plain).await;
    let settings = Settings {
        allow_dms: true,
        ..Settings::default()
    };
    let bot = Bot::start(&emu, settings, &db_path("dm-on")).await;
    let (dm, msg) = emu.dm_message(emu.new_user(), QUESTION);
    let len = answer_len(QUESTION);
    let posted = emu
        .wait_for(ANSWERED, "the answer in the DM", |e| {
            let p = e.posted_in(dm);
            (p.len() >= len).then_some(p)
        })
        .await;
    wait_logged(msg, "answered").await;
    assert_eq!(posted.len(), len);
    assert!(posted[0].contains("**Understood**"));
    assert!(
        !emu.calls().iter().any(|c| c.path.ends_with("/threads")),
        "no thread in a DM"
    );
    message_posts(&emu.calls(), dm)
        .iter()
        .for_each(assert_no_mentions);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slash_command_is_deferred_then_the_answer_edited_in() {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("slash")).await;
    let put = emu.calls().into_iter().find(|c| c.method == "PUT").unwrap();
    assert_eq!(put.path, format!("/applications/{APP_ID}/commands"));
    assert_eq!(put.body[0]["name"], "netboard");
    assert_eq!(put.body[0]["options"][0]["name"], "question");

    let token = emu.slash_command(CHANNEL_ID, emu.new_user(), QUESTION);
    let len = answer_len(QUESTION);
    let webhook = format!("/webhooks/{APP_ID}/{token}");
    let calls = emu
        .wait_for(ANSWERED, "the edited answer and its follow-ups", |e| {
            let calls = e.calls();
            let n = calls
                .iter()
                .filter(|c| c.path.starts_with(&webhook))
                .count();
            (n >= len).then_some(calls)
        })
        .await;
    let callback = calls
        .iter()
        .position(|c| c.method == "POST" && c.path.ends_with(&format!("/{token}/callback")))
        .expect("the interaction callback");
    assert_eq!(
        calls[callback].body["type"], 5,
        "deferred (DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE)"
    );
    assert_eq!(calls[callback].status, 204);
    let edit = calls
        .iter()
        .position(|c| c.is("PATCH", &format!("{webhook}/messages/@original")))
        .expect("the deferred response edited");
    assert!(callback < edit, "deferred before the answer is edited in");
    assert!(calls[edit].content().contains("**Understood**"));
    let followups: Vec<&Call> = calls.iter().filter(|c| c.is("POST", &webhook)).collect();
    assert_eq!(
        followups.len(),
        len - 1,
        "the rest of the answer as follow-ups"
    );
    assert_no_mentions(&calls[edit]);
    followups.iter().for_each(|c| assert_no_mentions(c));
    assert!(calls.iter().all(|c| c.status < 400), "every call accepted");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_bot_is_ignored() {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("other-bot")).await;
    let msg = emu.bot_message(CHANNEL_ID, QUESTION);
    wait_logged(msg, "reason=\"from a bot\"").await;
    assert!(thread_posts(&emu.calls(), msg).is_empty());
    assert!(emu.posted_in(CHANNEL_ID).is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_outside_the_allow_list_is_ignored() {
    let emu = Emulator::start(Rest::Plain).await;
    let settings =
        Settings::from_vars(|k| (k == "NETBOARD_ALLOWED_CHANNELS").then(|| CHANNEL_ID.to_string()))
            .unwrap();
    let bot = Bot::start(&emu, settings, &db_path("allow-list")).await;
    let user = emu.new_user();
    let outside = emu.guild_message(OTHER_CHANNEL_ID, user, QUESTION, true);
    wait_logged(outside, "reason=\"channel not allowed\"").await;
    let inside = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
    wait_answer_in_thread(&emu, inside, answer_len(QUESTION)).await;
    let calls = emu.calls();
    assert!(
        !calls.iter().any(|c| c.path.contains(&outside.to_string())
            || c.path.contains(&format!("/channels/{OTHER_CHANNEL_ID}/"))),
        "nothing done for the message outside the allow-list"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_user_rate_limit_is_noticed_once() {
    let emu = Emulator::start(Rest::Plain).await;
    let settings = Settings {
        user_rate: 2,
        ..Settings::default()
    };
    let bot = Bot::start(&emu, settings, &db_path("rate")).await;
    let user = emu.new_user();
    let asked: Vec<u64> = (0..5)
        .map(|_| emu.guild_message(CHANNEL_ID, user, QUESTION, true))
        .collect();
    let mut outcomes = HashMap::new();
    for id in &asked {
        let line = wait_logged(*id, "event=\"message\"").await;
        let outcome = ["answered", "rate limit: noticed", "rate limit: silent"]
            .into_iter()
            .find(|o| line.contains(o))
            .unwrap_or_else(|| panic!("unexpected outcome: {line}"));
        *outcomes.entry(outcome).or_insert(0) += 1;
    }
    assert_eq!(outcomes.get("answered"), Some(&2));
    assert_eq!(
        outcomes.get("rate limit: noticed"),
        Some(&1),
        "noticed once"
    );
    assert_eq!(outcomes.get("rate limit: silent"), Some(&2));
    let notices = emu.posted_in(CHANNEL_ID);
    assert_eq!(
        notices,
        vec![reply::RATE_NOTICE.to_string()],
        "one polite notice, in place"
    );
    let threads = emu
        .calls()
        .iter()
        .filter(|c| c.path.ends_with("/threads"))
        .count();
    assert_eq!(threads, 2);
    let other = emu.guild_message(CHANNEL_ID, emu.new_user(), QUESTION, true);
    wait_logged(other, "answered").await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_2000_characters_is_split_and_every_message_accepted() {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("split")).await;
    let user = emu.new_user();
    let msg = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
    let quick = wait_answer_in_thread(&emu, msg, answer_len(QUESTION)).await;
    // "details": every caveat in full, the longest answer there is for this case.
    let details = emu.guild_message(msg, user, "details", false);
    wait_logged(details, "answered").await;
    let posted = emu.posted_in(msg)[quick.len()..].to_vec();
    assert!(posted.len() > 1, "split into several messages");
    let total: usize = posted.iter().map(|m| m.chars().count()).sum();
    assert!(
        total > 2000,
        "the answer is longer than one message ({total})"
    );
    assert!(posted
        .iter()
        .all(|m| (1..=2000).contains(&m.chars().count())));
    assert!(
        posted.concat().contains("fit for major liver surgery"),
        "caveats in full"
    );
    assert!(
        message_posts(&emu.calls(), msg)
            .iter()
            .all(|c| c.status == 200),
        "every message accepted"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_rejects_what_discord_rejects() {
    // So that "accepted by the emulator" above means "within Discord's limits".
    let emu = Emulator::start(Rest::Plain).await;
    let http = http_for(&emu)();
    let channel = serenity::all::ChannelId::new(CHANNEL_ID);
    let code = |r: serenity::Result<serenity::all::Message>| match r {
        Err(serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(e))) => {
            (e.status_code.as_u16(), e.error.code)
        }
        other => panic!("expected a 400, got {other:?}"),
    };
    let long = json!({"content": "x".repeat(2001)});
    assert_eq!(
        code(http.send_message(channel, vec![], &long).await),
        (400, 50035)
    );
    let fits = json!({"content": "é".repeat(2000)});
    assert!(http.send_message(channel, vec![], &fits).await.is_ok());
    let embeds = json!({"embeds": [{"description": "x".repeat(4000)},
                                   {"description": "y".repeat(2500)}]});
    assert_eq!(
        code(http.send_message(channel, vec![], &embeds).await),
        (400, 50035)
    );
    let msg = emu.snowflake();
    for name in [String::new(), "n".repeat(101)] {
        let created = http
            .create_thread_from_message(channel, msg.into(), &json!({"name": name}), None)
            .await;
        match created {
            Err(serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(e))) => {
                assert_eq!((e.status_code.as_u16(), e.error.code), (400, 50035))
            }
            other => panic!("a thread name of {} characters: {other:?}", name.len()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_get_a_caution_and_no_text_reaches_the_logs_or_the_store() {
    let emu = Emulator::start(Rest::Plain).await;
    let db = db_path("identifiers");
    let bot = Bot::start(&emu, Settings::default(), &db).await;
    let user = emu.new_user();
    let question = "Mrs Quenby-Farrow, MRN 48213377, DOB 12/03/1956, call 555-867-5309: \
                    pNET G2, 3 liver mets, largest 2 cm, dotatate avid — options?";
    let msg = emu.guild_message(CHANNEL_ID, user, question, true);
    let posted = emu
        .wait_for(ANSWERED, "the answer with a caution", |e| {
            let p = e.posted_in(msg);
            (!p.is_empty()).then_some(p)
        })
        .await;
    assert!(
        posted[0].starts_with("⚠️ **Please remove patient identifiers.**"),
        "the caution comes first: {}",
        posted[0]
    );
    for kind in [
        "a record number",
        "a date of birth",
        "a phone number",
        "a name",
    ] {
        assert!(posted[0].contains(kind), "the caution names {kind}");
    }
    assert!(
        posted.join("\n").contains("**Options**"),
        "answered from the features"
    );
    let follow_up = emu.guild_message(
        msg,
        user,
        "Ki-67 12%, Mr Quenby-Farrow's CT: 4 liver mets",
        false,
    );
    let line = wait_logged(follow_up, "answered").await;
    assert!(line.contains("identifiers=name_with_title"), "{line}");
    wait_logged(msg, "answered").await;
    bot.stop().await; // closes the store: the write-ahead log is checkpointed into the file

    let secrets = [
        "Quenby",
        "48213377",
        "12/03/1956",
        "867-5309",
        "3 liver mets",
        "Ki-67 12%",
        "dotatate avid",
    ];
    let logs = log_text();
    assert!(
        logs.contains(&format!("id={msg} ")),
        "the logs were captured"
    );
    let mut store = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(bytes) = std::fs::read(format!("{}{suffix}", db.display())) {
            store.extend(bytes);
        }
    }
    let store = String::from_utf8_lossy(&store);
    assert!(store.contains("liver_lesion_count"), "the case was stored");
    for secret in secrets {
        assert!(!logs.contains(secret), "the logs carry {secret:?}");
        assert!(!store.contains(secret), "the store carries {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_phi_refuse_only_the_caution_is_answered() {
    let emu = Emulator::start(Rest::Plain).await;
    let settings = Settings {
        phi: PhiPolicy::Refuse,
        ..Settings::default()
    };
    let bot = Bot::start(&emu, settings, &db_path("refuse")).await;
    let msg = emu.guild_message(CHANNEL_ID, emu.new_user(), "MRN 48213377 pNET G2", true);
    wait_logged(msg, "refused").await;
    let posted = emu.posted_in(CHANNEL_ID);
    assert_eq!(posted.len(), 1);
    assert!(posted[0].contains("has not answered"));
    assert!(
        thread_posts(&emu.calls(), msg).is_empty(),
        "no thread, no answer"
    );
    bot.stop().await;
}

/// A gateway fault, then a question dispatched while the bot is disconnected: it can only arrive
/// by RESUME's replay, and it must be answered exactly once.
async fn resumes_and_answers_once(fault: impl FnOnce(&Emulator), db: &str) {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path(db)).await;
    fault(&emu);
    let msg = emu.guild_message(CHANNEL_ID, emu.new_user(), QUESTION, true);
    let len = answer_len(QUESTION);
    emu.wait_for(READY, "RESUME", |e| {
        e.gateway_received()
            .iter()
            .any(|f| f["op"] == 6)
            .then_some(())
    })
    .await;
    wait_answer_in_thread(&emu, msg, len).await;
    // A later question answered proves the session goes on; by then a duplicate would show.
    let later = emu.guild_message(CHANNEL_ID, emu.new_user(), QUESTION, true);
    wait_answer_in_thread(&emu, later, len).await;
    let calls = emu.calls();
    assert_eq!(thread_posts(&calls, msg).len(), 1, "one thread");
    assert_eq!(message_posts(&calls, msg).len(), len, "one answer");
    let frames = emu.gateway_received();
    assert_eq!(
        frames.iter().filter(|f| f["op"] == 2).count(),
        1,
        "resumed, not re-identified"
    );
    assert_eq!(emu.connections(), 2);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn op7_reconnect_resumes_and_the_missed_question_is_answered_once() {
    resumes_and_answers_once(Emulator::send_reconnect, "op7").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_resumes_and_the_missed_question_is_answered_once() {
    resumes_and_answers_once(Emulator::drop_connection, "dropped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_thread_creation_is_retried_and_answered() {
    let emu = Emulator::start(Rest::Tls).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("429")).await;
    emu.add_rate_limit(RateLimitRule {
        method: "POST",
        path_suffix: "/threads".into(),
        times: 1,
        retry_after: 0.3,
        global: false,
    });
    let msg = emu.guild_message(CHANNEL_ID, emu.new_user(), QUESTION, true);
    wait_answer_in_thread(&emu, msg, answer_len(QUESTION)).await;
    let threads = thread_posts(&emu.calls(), msg);
    let statuses: Vec<u16> = threads.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 201], "retried by serenity's rate limiter");
    assert!(
        threads[1].at - threads[0].at >= Duration::from_millis(300),
        "waited Retry-After"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_answers_in_flight() {
    // TLS mode, so serenity's rate limiter holds the answer back (429, Retry-After 0.5 s) while
    // the bot is told to stop: the answer is in flight, deterministically.
    let emu = Emulator::start(Rest::Tls).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("shutdown")).await;
    let msg = emu.snowflake() + 1; // the next message id
    emu.add_rate_limit(RateLimitRule {
        method: "POST",
        path_suffix: format!("/channels/{msg}/messages"),
        times: 1,
        retry_after: 0.5,
        global: false,
    });
    assert_eq!(
        emu.guild_message(CHANNEL_ID, emu.new_user(), QUESTION, true),
        msg
    );
    emu.wait_for(ANSWERED, "the answer held back by a 429", |e| {
        message_posts(&e.calls(), msg)
            .iter()
            .any(|c| c.status == 429)
            .then_some(())
    })
    .await;
    bot.stop().await;
    let statuses: Vec<u16> = message_posts(&emu.calls(), msg)
        .iter()
        .map(|c| c.status)
        .collect();
    let mut want = vec![429];
    want.extend(std::iter::repeat_n(200, answer_len(QUESTION)));
    assert_eq!(
        statuses, want,
        "the whole answer was sent before the bot stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_a_follow_up_in_an_old_thread_still_sees_its_case() {
    let emu = Emulator::start(Rest::Plain).await;
    let db = db_path("restart");
    let user = emu.new_user();
    let first = Bot::start(&emu, Settings::default(), &db).await;
    let msg = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
    let before = wait_answer_in_thread(&emu, msg, answer_len(QUESTION)).await;
    first.stop().await;

    let second = Bot::start(&emu, Settings::default(), &db).await;
    let follow_up = emu.guild_message(msg, user, "dotatate negative after all", false);
    let answer = emu
        .wait_for(ANSWERED, "the follow-up's answer after the restart", |e| {
            let posted = e.posted_in(msg);
            (posted.len() > before.len()).then(|| posted[before.len()..].join("\n"))
        })
        .await;
    wait_logged(follow_up, "answered").await;
    assert!(
        answer.contains("Changed: SSTR imaging positive → negative"),
        "{answer}"
    );
    assert!(
        answer.contains("liver lesions (count): 3"),
        "the stored case is back"
    );
    assert_eq!(
        emu.gateway_received()
            .iter()
            .filter(|f| f["op"] == 2)
            .count(),
        2
    );
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_200_questions_from_20_users_is_answered_exactly_once_each() {
    let emu = Emulator::start(Rest::Plain).await;
    let bot = Bot::start(&emu, Settings::default(), &db_path("burst")).await;
    let users: Vec<u64> = (0..20).map(|_| emu.new_user()).collect();
    let len = answer_len(QUESTION);
    let asked: Vec<u64> = (0..10)
        .flat_map(|_| {
            users
                .iter()
                .map(|u| emu.guild_message(CHANNEL_ID, *u, QUESTION, true))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(asked.len(), 200);
    let calls = emu
        .wait_for(Duration::from_secs(40), "200 answers", |e| {
            let calls = e.calls();
            let done = asked.iter().all(|m| message_posts(&calls, *m).len() >= len);
            done.then_some(calls)
        })
        .await;
    for m in &asked {
        assert_eq!(thread_posts(&calls, *m).len(), 1, "one thread for {m}");
        assert_eq!(message_posts(&calls, *m).len(), len, "one answer for {m}");
    }
    assert!(calls.iter().all(|c| c.status < 400), "every call accepted");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_message_content_intent_it_says_so_and_answers_mentions() {
    let emu = Emulator::start(Rest::Plain).await;
    emu.refuse_intents(1 << 15);
    let bot = Bot::start(&emu, Settings::default(), &db_path("no-content")).await;
    let intents: Vec<u64> = emu
        .gateway_received()
        .iter()
        .filter(|f| f["op"] == 2)
        .filter_map(|f| f["d"]["intents"].as_u64())
        .collect();
    assert_eq!(
        intents,
        [37377, 37377 - (1 << 15)],
        "asked, refused (4014), asked without it"
    );
    assert!(log_text().contains("Discord refused the MESSAGE_CONTENT intent (close 4014)"));
    let msg = emu.guild_message(CHANNEL_ID, emu.new_user(), QUESTION, true);
    wait_answer_in_thread(&emu, msg, answer_len(QUESTION)).await;
    bot.stop().await;
}

#[test]
fn netboard_discord_without_a_token_or_with_a_bad_setting_says_what_to_do() {
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_netboard"));
        cmd.arg("discord")
            .env_remove("DISCORD_TOKEN")
            .env_remove("NETBOARD_DECISION_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("the binary runs")
    };
    let no_token = run(&[]);
    assert_eq!(no_token.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&no_token.stderr);
    assert!(stderr.contains("DISCORD_TOKEN is not set"), "{stderr}");
    // Settings are checked before anything connects.
    let bad = run(&[("DISCORD_TOKEN", "x"), ("NETBOARD_USER_RATE", "lots")]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("NETBOARD_USER_RATE=\"lots\""), "{stderr}");
    // So is remote mode's service: a URL that is not one says what to give instead.
    let bad = run(&[
        ("DISCORD_TOKEN", "x"),
        ("NETBOARD_DECISION_URL", "decisions.internal:8080"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    for expected in [
        "NETBOARD_DECISION_URL must be an http:// or https:// URL",
        "`decisions.internal:8080`",
        "or unset it to decide in process",
    ] {
        assert!(stderr.contains(expected), "{expected:?} is not in {stderr}");
    }
}

// ---- remote mode: the bot deciding through a served engine ----

/// The bot with `NETBOARD_DECISION_URL` set, against a real `netboard serve` router on an
/// ephemeral port of this test's runtime. The decider rides in each bot's [`Settings`], so the
/// tests set no process-wide environment and run in parallel.
#[cfg(feature = "http")]
mod remote {
    use super::*;
    use netboard::transport::discord::cases::key;
    use netboard::transport::http::{self, Limits, Service};
    use netboard::transport::remote::RemoteDecider;
    use std::net::SocketAddr;

    const FOLLOW_UP: &str = "dotatate negative after all";

    /// A running decision service and the way to stop it.
    struct Served {
        addr: SocketAddr,
        shutdown: Option<oneshot::Sender<()>>,
        task: JoinHandle<std::io::Result<()>>,
    }

    impl Served {
        /// Serves the shipped engine on `addr` (`127.0.0.1:0` for an ephemeral port).
        async fn start(addr: &str, name: &str) -> Served {
            let store = CaseStore::open(&db_path(name), Duration::from_secs(3600))
                .expect("the service's store opens");
            let service = Service::new(engine(), &data_dir(), store, Limits::default())
                .expect("the service starts");
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .unwrap_or_else(|e| panic!("the service binds {addr}: {e}"));
            let addr = listener.local_addr().unwrap();
            let (tx, rx) = oneshot::channel::<()>();
            let task = tokio::spawn(http::serve(listener, service, async move {
                let _ = rx.await;
            }));
            Served {
                addr,
                shutdown: Some(tx),
                task,
            }
        }

        fn url(&self) -> String {
            format!("http://{}", self.addr)
        }

        /// How many decisions the service has answered (`POST /v1/advice` → 200).
        async fn decisions(&self) -> f64 {
            let metrics = reqwest::get(format!("{}/metrics", self.url()))
                .await
                .expect("GET /metrics")
                .text()
                .await
                .expect("the metrics read");
            let series = "netboard_http_requests_total{route=\"/v1/advice\",status=\"200\"} ";
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(series)?.parse().ok())
                .unwrap_or(0.0)
        }

        /// Stops the service and waits until its port is closed.
        async fn stop(mut self) {
            let _ = self.shutdown.take().unwrap().send(());
            tokio::time::timeout(Duration::from_secs(10), &mut self.task)
                .await
                .expect("the service stops within 10 s")
                .unwrap()
                .expect("the service stops cleanly");
        }
    }

    fn remote_settings(url: &str) -> Settings {
        Settings {
            remote: Some(RemoteDecider::new(url).expect("an http:// URL")),
            ..Settings::default()
        }
    }

    /// A port nothing listens on: bound, then released.
    fn closed_port() -> SocketAddr {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }

    /// Asks QUESTION in the channel, then FOLLOW_UP in the thread the bot makes for it; returns
    /// the thread's name and every message posted in it.
    async fn question_and_follow_up(emu: &Emulator) -> (Value, Vec<String>) {
        let user = emu.new_user();
        let msg = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
        wait_answer_in_thread(emu, msg, answer_len(QUESTION)).await;
        wait_logged(msg, "answered").await;
        let follow_up = emu.guild_message(msg, user, FOLLOW_UP, false);
        wait_logged(follow_up, "answered").await;
        let name = thread_posts(&emu.calls(), msg)[0].body["name"].clone();
        (name, emu.posted_in(msg))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_remote_mode_the_bot_answers_exactly_as_in_process() {
        let service = Served::start("127.0.0.1:0", "remote-same-service").await;
        let (here, there) = (
            Emulator::start(Rest::Plain).await,
            Emulator::start(Rest::Plain).await,
        );
        let in_process = Bot::start(&here, Settings::default(), &db_path("remote-same-here")).await;
        let remote = Bot::start(
            &there,
            remote_settings(&service.url()),
            &db_path("remote-same-there"),
        )
        .await;
        let (local, served) = tokio::join!(
            question_and_follow_up(&here),
            question_and_follow_up(&there)
        );
        assert!(
            local
                .1
                .join("\n")
                .contains("Changed: SSTR imaging positive → negative"),
            "the follow-up refined the case:\n{}",
            local.1.join("\n")
        );
        assert_eq!(local.0, served.0, "the same thread name");
        if local.1 != served.1 {
            panic!(
                "remote mode differs from in process:\n{}",
                support::diff(&local.1.join("\n"), &served.1.join("\n"))
            );
        }
        assert_eq!(
            service.decisions().await,
            3.0,
            "the service decided the question, and the follow-up's case before and after"
        );
        in_process.stop().await;
        remote.stop().await;
        service.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_remote_mode_an_unreachable_service_is_said_plainly_and_sending_again_retries() {
        let port = closed_port();
        let url = format!("http://{port}");
        let emu = Emulator::start(Rest::Plain).await;
        let db = db_path("remote-down");
        let bot = Bot::start(&emu, remote_settings(&url), &db).await;
        // A second connection to the bot's store, to see what it kept.
        let cases = CaseStore::open(&db, Duration::from_secs(3600)).expect("the store opens");
        let user = emu.new_user();

        // Down: the sentence in the channel, no thread, nothing stored; one line logged.
        let asked = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
        let line = wait_logged(asked, "no decision").await;
        for expected in [
            format!("service=\"{url}\""),
            "cannot be reached".to_string(),
        ] {
            assert!(line.contains(&expected), "{expected:?} is not in {line}");
        }
        assert!(!line.contains("liver"), "no message text in {line}");
        assert_eq!(emu.posted_in(CHANNEL_ID), vec![reply::no_decision()]);
        assert!(thread_posts(&emu.calls(), asked).is_empty(), "no thread");
        assert_eq!(cases.live_cases().unwrap(), 0, "nothing stored");

        // The service comes up on that port: asking again is answered, in a thread.
        let service = Served::start(&port.to_string(), "remote-down-service").await;
        let again = emu.guild_message(CHANNEL_ID, user, QUESTION, true);
        wait_answer_in_thread(&emu, again, answer_len(QUESTION)).await;
        wait_logged(again, "answered").await;
        let kept = cases.load(&key(again)).unwrap().expect("the case is kept");
        let answered = emu.posted_in(again).len();

        // Down again: a follow-up gets the sentence in the thread and leaves the case as it was.
        service.stop().await;
        let follow_up = emu.guild_message(again, user, FOLLOW_UP, false);
        wait_logged(follow_up, "no decision").await;
        assert_eq!(emu.posted_in(again)[answered..], [reply::no_decision()]);
        assert_eq!(cases.load(&key(again)).unwrap(), Some(kept));

        // Up again: the same follow-up, sent again, changes the case now.
        let _service = Served::start(&port.to_string(), "remote-down-service-2").await;
        let retried = emu.guild_message(again, user, FOLLOW_UP, false);
        wait_logged(retried, "answered").await;
        let answer = emu.posted_in(again)[answered + 1..].join("\n");
        assert!(
            answer.contains("Changed: SSTR imaging positive → negative"),
            "{answer}"
        );
        bot.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_remote_mode_a_slash_command_without_a_decision_gets_the_sentence_in_its_response() {
        let emu = Emulator::start(Rest::Plain).await;
        let url = format!("http://{}", closed_port());
        let bot = Bot::start(&emu, remote_settings(&url), &db_path("remote-down-slash")).await;
        let token = emu.slash_command(CHANNEL_ID, emu.new_user(), QUESTION);
        let webhook = format!("/webhooks/{APP_ID}/{token}");
        let edit = emu
            .wait_for(ANSWERED, "the deferred response edited", |e| {
                e.calls()
                    .into_iter()
                    .find(|c| c.is("PATCH", &format!("{webhook}/messages/@original")))
            })
            .await;
        assert_eq!(edit.content(), reply::no_decision());
        assert_no_mentions(&edit);
        let calls = emu.calls();
        let callback = calls
            .iter()
            .find(|c| c.method == "POST" && c.path.ends_with(&format!("/{token}/callback")))
            .expect("the interaction callback");
        assert_eq!(callback.body["type"], 5, "deferred first");
        assert!(
            !calls.iter().any(|c| c.is("POST", &webhook)),
            "no follow-ups: the sentence is the whole response"
        );
        bot.stop().await;
    }
}
