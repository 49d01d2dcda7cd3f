//! The Discord bot's own cost, measured against the Discord emulator on loopback (see
//! BENCHMARKS.md, "Discord").
//!
//! Run with `cargo bench --bench discord`. It starts the emulator of `tests/support/emulator.rs`
//! and the real bot (serenity 0.12.5, proxy mode, the case store in a temporary file) in this
//! process, then measures:
//!
//! First the resident memory, in a fresh process: `VmRSS` (from `/proc/self/status`) once the bot
//! is ready, and after it has answered 1,000 new cases (1,000 threads: each case in the store,
//! each thread in serenity's cache), with the emulator told to forget its records as it goes so
//! that its own memory does not count. Target: ≤ 60 MB. Printed on standard output. (The process
//! also holds the emulator and criterion, so the figure is an upper bound for the bot.)
//!
//! Then the time from the emulator handing a MESSAGE_CREATE to the socket to the emulator
//! receiving the bot's request in reply — serenity's parsing and dispatch, the handler's routing,
//! the screens, the case store's load and save, the engine and the chat rendering:
//!
//! - `discord/follow_up_reply` — a follow-up in a thread the bot started, to the reply
//!   (`POST /channels/{thread}/messages`). Target: ≤ 5 ms median.
//! - `discord/channel_thread_request` — a mention in a text channel, to the bot's first request:
//!   creating the thread from the message (the answer is already decided then: the thread is
//!   named from its features).
//! - `discord/channel_reply` — the same, to the reply inside the new thread; includes the thread
//!   creation's round trip on loopback.
//!
//! All are timed from the emulator's own timestamps (`Emulator::sent_at` and each call's
//! arrival), so the bench's waiting is not counted. Discord itself is excluded by construction.
//!
//! No bench asserts on timings; the machine has 2 shared cores: read medians.
#![recursion_limit = "512"]

#[path = "../tests/support/emulator.rs"]
mod emulator;

use criterion::Criterion;
use emulator::{Emulator, Rest, CHANNEL_ID, GUILD_ID, TOKEN};
use netboard::engine::{data_dir, Engine};
use netboard::store::CaseStore;
use netboard::transport::discord::{self, Settings};
use std::sync::Arc;
use std::time::{Duration, Instant};

const QUESTION: &str =
    "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?";
const FOLLOW_UPS: [&str; 2] = ["dotatate negative after all", "dotatate avid after all"];
const WAIT: Duration = Duration::from_secs(10);
/// The end of every answer's last message (the chat rendering's footer).
const LAST: &str = "Post no patient identifiers._";
const CASES: usize = 1000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = std::env::temp_dir().join(format!("netboard-bench-{}.sqlite3", std::process::id()));
    let emu = runtime.block_on(Emulator::start(Rest::Plain));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let bot = {
        let engine = Arc::new(Engine::load(&data_dir()).expect("the shipped data loads"));
        let store = CaseStore::open(&db, Duration::from_secs(3600)).expect("the store opens");
        let addr = emu.rest_addr;
        let make_http = move || {
            discord::http(TOKEN)
                .proxy(format!("http://{addr}"))
                .ratelimiter_disabled(true)
                .build()
        };
        let settings = Settings {
            user_rate: u32::MAX,
            ..Settings::default()
        };
        runtime.spawn(discord::serve(make_http, engine, store, settings, async {
            let _ = stopped.await;
        }))
    };
    runtime.block_on(emu.wait_for(WAIT, "the bot to be ready", |e| {
        e.calls().iter().any(|c| c.method == "PUT").then_some(())
    }));
    let user = emu.new_user();

    let ready = rss_kb();
    let started = Instant::now();
    for i in 0..CASES {
        runtime.block_on(ask(&emu, CHANNEL_ID, user, QUESTION));
        if i % 50 == 49 {
            emu.clear_calls();
            emu.forget_history();
        }
    }
    let after = rss_kb();
    let live = CaseStore::open(&db, Duration::from_secs(3600))
        .and_then(|s| s.live_cases())
        .unwrap_or(0);
    println!(
        "memory: VmRSS {:.1} MB after {CASES} cases ({live} live in the store), {:.1} MB when \
         ready; {:.1} s for the {CASES} questions",
        after as f64 / 1024.0,
        ready as f64 / 1024.0,
        started.elapsed().as_secs_f64()
    );

    let thread = runtime
        .block_on(ask(&emu, CHANNEL_ID, user, QUESTION))
        .target;
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = c.benchmark_group("discord");
    group.bench_function("follow_up_reply", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    total += ask(&emu, thread, user, FOLLOW_UPS[i as usize % 2])
                        .await
                        .reply_request;
                }
                emu.clear_calls();
                emu.forget_history();
                total
            })
        })
    });
    for (name, interval) in [
        (
            "channel_thread_request",
            Timed::first_request as fn(&Timed) -> Duration,
        ),
        ("channel_reply", |t: &Timed| t.reply_request),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += interval(&ask(&emu, CHANNEL_ID, user, QUESTION).await);
                    }
                    emu.clear_calls();
                    emu.forget_history();
                    total
                })
            })
        });
    }
    group.finish();
    c.final_summary();

    let _ = stop.send(());
    let _ = runtime.block_on(bot);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// One question's timings, from the MESSAGE_CREATE handed to the socket.
struct Timed {
    /// Where it was answered (the new thread, or the thread asked in).
    target: u64,
    /// To the thread creation request, for a question in a channel.
    thread_request: Option<Duration>,
    /// To the first message of the reply.
    reply_request: Duration,
}

impl Timed {
    fn first_request(&self) -> Duration {
        self.thread_request.unwrap_or(self.reply_request)
    }
}

/// Asks `text` in `channel` (a mention in a text channel, or a follow-up in a thread) and waits
/// for the whole reply (its last message ends with the footer).
async fn ask(emu: &Emulator, channel: u64, user: u64, text: &str) -> Timed {
    let id = emu.snowflake();
    let mention = channel == CHANNEL_ID;
    let (content, mentions) = if mention {
        (
            format!("<@{}> {text}", emulator::BOT_ID),
            vec![emulator::user(emulator::BOT_ID, true)],
        )
    } else {
        (text.to_string(), vec![])
    };
    let target = if mention { id } else { channel };
    let path = format!("/channels/{target}/messages");
    let seen = emu.calls().iter().filter(|c| c.is("POST", &path)).count();
    let seq = emu.dispatch(
        "MESSAGE_CREATE",
        emulator::message(
            id,
            channel,
            Some(GUILD_ID),
            emulator::user(user, false),
            &content,
            mentions,
        ),
    );
    let replied = emu
        .wait_for(WAIT, "the whole reply", |e| {
            let replies: Vec<_> = e
                .calls()
                .into_iter()
                .filter(|c| c.is("POST", &path))
                .skip(seen)
                .collect();
            let done = replies.iter().any(|c| c.content().ends_with(LAST));
            done.then(|| replies[0].at)
        })
        .await;
    let sent = emu.sent_at(seq).expect("the dispatch was written");
    let thread_path = format!("/channels/{channel}/messages/{id}/threads");
    let thread_request = mention.then(|| {
        let calls = emu.calls();
        let thread = calls.iter().find(|c| c.is("POST", &thread_path));
        thread
            .expect("the thread was created")
            .at
            .duration_since(sent)
    });
    Timed {
        target,
        thread_request,
        reply_request: replied.duration_since(sent),
    }
}

/// The process's resident set size in kB.
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
