//! The gateway event handler: which messages the bot answers, where, and how it replies.
//!
//! A message is answered when it mentions the bot, when it is a DM (and DMs are allowed), or when
//! it is in a thread the bot started (a follow-up needs no mention); `/netboard question:<text>`
//! is answered anywhere the bot may answer. Other bots and the bot itself are ignored, as is
//! everything outside the allowed guilds and channels. A question in a text channel gets a public
//! thread created from it, named from the understood features, with the answer inside; in a
//! thread or a DM the answer comes in place. A slash command is deferred at once (Discord's
//! three-second rule) and the answer edited in.
//!
//! In remote mode, when the decision service gives no decision, the bot says so plainly
//! ([`reply::no_decision`]) where the answer would have gone — except that a question in a text
//! channel gets no thread: the sentence comes in the channel — and the case is left as it was, so
//! sending the message again retries.
//!
//! Every event ends in one log line with ids, the outcome, the intent, feature names, fits and
//! the latency — never message text. A failing Discord call is logged and that message dropped:
//! one bad message never stops the bot. Serenity's rate limiter retries what Discord allows.
//!
//! At most [`MAX_IN_FLIGHT`] events are handled at once (a fair semaphore; more wait their turn),
//! which is also how shutdown drains: it takes every permit, waiting for the answers in flight.

use super::cases::{key, CaseError, Cases};
use super::config::{PhiPolicy, Settings};
use super::phi::{self, IdentifierKind};
use super::rate::{Admission, UserRate};
use super::reply;
use crate::engine::{DecisionError, Reply};
use serenity::all::{
    AutoArchiveDuration, ChannelId, ChannelType, CommandDataOptionValue, CommandInteraction,
    CommandOptionType, Context, CreateAllowedMentions, CreateCommand, CreateCommandOption,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateThread, EditInteractionResponse, EventHandler, GuildChannel, GuildId,
    Interaction, Message, Ready, UserId,
};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tracing::{debug, info, warn};

/// How many events are handled at once.
pub const MAX_IN_FLIGHT: u32 = 64;

/// The slash command's name and its one option.
pub const COMMAND: &str = "netboard";
const QUESTION: &str = "question";

/// What the bot answers where: the cases, the settings and the per-user rate limit.
pub struct Handler {
    cases: Arc<Cases>,
    settings: Settings,
    rate: UserRate,
    in_flight: Semaphore,
    commands_registered: AtomicBool,
}

/// Where a message was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Dm,
    /// A guild channel that is not a thread: the answer goes in a new thread.
    Channel,
    Thread {
        parent: Option<ChannelId>,
        /// Started by the bot: follow-ups need no mention.
        ours: bool,
    },
}

/// What the screens (the user's rate, identifiers) say about a question.
enum Screen {
    /// Answer it, with a caution first when it seems to carry identifiers.
    Answer(Vec<IdentifierKind>),
    RateNotice,
    RateSilent,
    /// It seems to carry identifiers and `NETBOARD_PHI=refuse`: only the caution.
    Refuse(Vec<IdentifierKind>),
}

/// How handling an event ended, for its log line.
enum Outcome {
    Ignored(&'static str),
    RateNotice,
    RateSilent,
    Refused(Vec<IdentifierKind>),
    Answered {
        target: ChannelId,
        reply: Reply,
        identifiers: Vec<IdentifierKind>,
        messages: usize,
    },
    /// Remote mode: the decision service gave no decision; the user was told so in `target`.
    NoDecision {
        target: ChannelId,
        error: DecisionError,
    },
}

/// A step that failed, and why (a serenity or store error: ids and codes, never message text).
struct Failure {
    step: &'static str,
    error: String,
}

fn failed<E: fmt::Display>(step: &'static str) -> impl FnOnce(E) -> Failure {
    move |e| Failure {
        step,
        error: e.to_string(),
    }
}

impl Handler {
    pub fn new(cases: Cases, settings: Settings) -> Handler {
        Handler {
            cases: Arc::new(cases),
            rate: UserRate::new(settings.user_rate),
            settings,
            in_flight: Semaphore::new(MAX_IN_FLIGHT as usize),
            commands_registered: AtomicBool::new(false),
        }
    }

    /// Stops taking events and waits (at most `timeout`) for those in flight to finish.
    pub async fn drain(&self, timeout: Duration) {
        match tokio::time::timeout(timeout, self.in_flight.acquire_many(MAX_IN_FLIGHT)).await {
            Ok(Ok(all)) => all.forget(),
            Ok(Err(_)) => {}
            Err(_) => warn!(?timeout, "shutdown: answers still in flight were abandoned"),
        }
        self.in_flight.close();
    }

    async fn on_message(&self, ctx: &Context, msg: &Message) -> Result<Outcome, Failure> {
        if msg.author.bot {
            return Ok(Outcome::Ignored("from a bot"));
        }
        let bot = ctx.cache.current_user().id;
        let place = match msg.guild_id {
            None if !self.settings.allow_dms => return Ok(Outcome::Ignored("DMs are off")),
            None => Place::Dm,
            Some(guild) => {
                if !self.settings.allows_guild(guild.get()) {
                    return Ok(Outcome::Ignored("guild not allowed"));
                }
                place(ctx, guild, msg.channel_id, bot).await?
            }
        };
        if !self.allows(place, msg.channel_id) {
            return Ok(Outcome::Ignored("channel not allowed"));
        }
        let mentioned = msg.mentions_user_id(bot);
        let text = without_mentions(&msg.content, bot);
        let addressed = mentioned
            || (!text.trim().is_empty()
                && matches!(place, Place::Dm | Place::Thread { ours: true, .. }));
        if !addressed {
            return Ok(Outcome::Ignored("not addressed"));
        }
        let identifiers = match self.screen(msg.author.id, &text) {
            Screen::Answer(identifiers) => identifiers,
            Screen::RateNotice => {
                send(ctx, msg.channel_id, &[reply::RATE_NOTICE.to_string()]).await?;
                return Ok(Outcome::RateNotice);
            }
            Screen::RateSilent => return Ok(Outcome::RateSilent),
            Screen::Refuse(identifiers) => {
                send(ctx, msg.channel_id, &[reply::caution(&identifiers, false)]).await?;
                return Ok(Outcome::Refused(identifiers));
            }
        };
        // Typing shows where the answer will come, as soon as that place exists.
        let (target, reply, _typing) = match place {
            Place::Channel => {
                let reply = match self.answer(None, &text).await? {
                    Ok(reply) => reply,
                    // No thread without an answer: a thread named from a case nobody has seen
                    // decided, holding only this sentence, would be clutter. It comes in the
                    // channel, in place like the rate notice and the refusal, so asking again
                    // there is the retry (and gets the thread).
                    Err(error) => {
                        return no_decision(ctx, msg.channel_id, &identifiers, error).await
                    }
                };
                let name = reply::thread_name(&case_of(&reply));
                let thread = msg
                    .channel_id
                    .create_thread_from_message(
                        &ctx.http,
                        msg.id,
                        CreateThread::new(name).auto_archive_duration(AutoArchiveDuration::OneDay),
                    )
                    .await
                    .map_err(failed("create the thread"))?;
                let typing = thread.id.start_typing(&ctx.http);
                self.cases
                    .keep(&key(thread.id.get()), &case_of(&reply))
                    .map_err(failed("keep the case"))?;
                (thread.id, reply, typing)
            }
            Place::Dm | Place::Thread { .. } => {
                let typing = msg.channel_id.start_typing(&ctx.http);
                match self.answer(Some(&key(msg.channel_id.get())), &text).await? {
                    Ok(reply) => (msg.channel_id, reply, typing),
                    Err(error) => {
                        return no_decision(ctx, msg.channel_id, &identifiers, error).await
                    }
                }
            }
        };
        let caution = (!identifiers.is_empty()).then(|| reply::caution(&identifiers, true));
        let messages = reply::messages(&reply, caution);
        send(ctx, target, &messages).await?;
        Ok(Outcome::Answered {
            target,
            reply,
            identifiers,
            messages: messages.len(),
        })
    }

    async fn on_command(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
    ) -> Result<Outcome, Failure> {
        if cmd.data.name != COMMAND {
            return Ok(Outcome::Ignored("unknown command"));
        }
        let bot = ctx.cache.current_user().id;
        let place = match (cmd.guild_id, &cmd.channel) {
            (None, _) if !self.settings.allow_dms => None,
            (None, _) => Some(Place::Dm),
            (Some(guild), _) if !self.settings.allows_guild(guild.get()) => None,
            (Some(_), Some(channel)) if is_thread(channel.kind) => Some(Place::Thread {
                parent: channel.parent_id,
                ours: false,
            }),
            (Some(_), Some(_)) => Some(Place::Channel),
            (Some(guild), None) => Some(place(ctx, guild, cmd.channel_id, bot).await?),
        };
        let Some(place) = place.filter(|p| self.allows(*p, cmd.channel_id)) else {
            ephemeral(ctx, cmd, "netboard does not answer here.").await?;
            return Ok(Outcome::Ignored("channel not allowed"));
        };
        let text = cmd
            .data
            .options
            .iter()
            .find(|o| o.name == QUESTION)
            .and_then(|o| match &o.value {
                CommandDataOptionValue::String(s) => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or("");
        // What is not an answer is said to the asker alone (an ephemeral response).
        let identifiers = match self.screen(cmd.user.id, text) {
            Screen::Answer(identifiers) => identifiers,
            Screen::RateNotice | Screen::RateSilent => {
                ephemeral(ctx, cmd, reply::RATE_NOTICE).await?;
                return Ok(Outcome::RateNotice);
            }
            Screen::Refuse(identifiers) => {
                ephemeral(ctx, cmd, &reply::caution(&identifiers, false)).await?;
                return Ok(Outcome::Refused(identifiers));
            }
        };
        cmd.defer(&ctx.http).await.map_err(failed("defer"))?;
        // A command in a channel has no thread to remember its case in: it is answered alone.
        let conversation = match place {
            Place::Dm | Place::Thread { .. } => Some(key(cmd.channel_id.get())),
            Place::Channel => None,
        };
        let reply = match self.answer(conversation.as_deref(), text).await? {
            Ok(reply) => reply,
            Err(error) => {
                respond(ctx, cmd, &reply::no_decision_messages(&identifiers)).await?;
                return Ok(Outcome::NoDecision {
                    target: cmd.channel_id,
                    error,
                });
            }
        };
        let caution = (!identifiers.is_empty()).then(|| reply::caution(&identifiers, true));
        let messages = reply::messages(&reply, caution);
        respond(ctx, cmd, &messages).await?;
        Ok(Outcome::Answered {
            target: cmd.channel_id,
            reply,
            identifiers,
            messages: messages.len(),
        })
    }

    /// The user's rate first (a refused question still counts), then identifiers.
    fn screen(&self, user: UserId, text: &str) -> Screen {
        match self.rate.admit(user.get(), Instant::now()) {
            Admission::Answer => {}
            Admission::Notice => return Screen::RateNotice,
            Admission::Silent => return Screen::RateSilent,
        }
        let identifiers = phi::identifiers(text);
        if !identifiers.is_empty() && self.settings.phi == PhiPolicy::Refuse {
            Screen::Refuse(identifiers)
        } else {
            Screen::Answer(identifiers)
        }
    }

    fn allows(&self, place: Place, channel: ChannelId) -> bool {
        match place {
            Place::Dm => true,
            Place::Channel => self.settings.allows_channel(channel.get(), None),
            Place::Thread { parent, .. } => self
                .settings
                .allows_channel(channel.get(), parent.map(ChannelId::get)),
        }
    }

    /// The reply to `text` in the conversation under `key`, or why the decision service gave
    /// none (said to the user); a failure of the store is logged and the message dropped.
    async fn answer(
        &self,
        key: Option<&str>,
        text: &str,
    ) -> Result<Result<Reply, DecisionError>, Failure> {
        match self.cases.answer(key, text).await {
            Ok(reply) => Ok(Ok(reply)),
            Err(CaseError::NoDecision(error)) => Ok(Err(error)),
            Err(e @ CaseError::Store(_)) => Err(failed("answer from the case store")(e)),
            Err(e @ CaseError::Task(_)) => Err(failed("wait for the decision service")(e)),
        }
    }

    async fn register_commands(&self, ctx: &Context) {
        if self.commands_registered.swap(true, Ordering::SeqCst) {
            return;
        }
        let command = CreateCommand::new(COMMAND)
            .description("Ask netboard about a metastatic NET case (no patient identifiers)")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    QUESTION,
                    "The case and the question, e.g. pNET G2, 3 liver mets, SSTR+ — options?",
                )
                .required(true)
                .max_length(4000),
            );
        let registered =
            serenity::all::Command::set_global_commands(&ctx.http, vec![command]).await;
        if let Err(e) = registered {
            self.commands_registered.store(false, Ordering::SeqCst);
            warn!(error = %e, "could not register the /netboard command; it is retried at the next READY");
        }
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        info!(
            bot = %ready.user.id,
            guilds = ready.guilds.len(),
            session = %ready.session_id,
            "connected to the Discord gateway"
        );
        self.register_commands(&ctx).await;
    }

    async fn message(&self, ctx: Context, msg: Message) {
        let Ok(_permit) = self.in_flight.acquire().await else {
            return; // shutting down
        };
        let started = Instant::now();
        let outcome = self.on_message(&ctx, &msg).await;
        log("message", msg.id.get(), msg.channel_id, started, outcome);
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Interaction::Command(cmd) = interaction else {
            return;
        };
        let Ok(_permit) = self.in_flight.acquire().await else {
            return;
        };
        let started = Instant::now();
        let outcome = self.on_command(&ctx, &cmd).await;
        log("command", cmd.id.get(), cmd.channel_id, started, outcome);
    }
}

/// The one log line of an event: ids, outcome, intent, feature names, fits, latency.
fn log(
    event: &'static str,
    id: u64,
    channel: ChannelId,
    started: Instant,
    outcome: Result<Outcome, Failure>,
) {
    let latency_ms = started.elapsed().as_secs_f64() * 1e3;
    let channel = channel.get();
    match outcome {
        Ok(Outcome::Ignored(reason)) => debug!(event, id, channel, reason, "ignored"),
        Ok(Outcome::RateNotice) => info!(event, id, channel, "rate limit: noticed"),
        Ok(Outcome::RateSilent) => debug!(event, id, channel, "rate limit: silent"),
        Ok(Outcome::Refused(kinds)) => info!(
            event,
            id,
            channel,
            identifiers = %names(&kinds),
            latency_ms,
            "refused: identifiers"
        ),
        Ok(Outcome::Answered {
            target,
            reply,
            identifiers,
            messages,
        }) => {
            let (intent, features, fits) = match &reply {
                Reply::Reset => ("reset".to_string(), String::new(), String::new()),
                Reply::Answer(a) => (
                    a.question.intent.to_string(),
                    a.case
                        .iter()
                        .map(|(f, _)| f.name())
                        .collect::<Vec<_>>()
                        .join(","),
                    a.advice
                        .options
                        .iter()
                        .map(|o| format!("{}={}", o.id, o.fit))
                        .collect::<Vec<_>>()
                        .join(","),
                ),
            };
            info!(
                event,
                id,
                channel,
                target = target.get(),
                intent,
                features,
                fits,
                identifiers = %names(&identifiers),
                messages,
                latency_ms,
                "answered"
            );
        }
        Ok(Outcome::NoDecision { target, error }) => warn!(
            event,
            id,
            channel,
            target = target.get(),
            service = error.service,
            why = error.why,
            latency_ms,
            "no decision: the decision service gave none; the user was told, the case is unchanged"
        ),
        Err(Failure { step, error }) => {
            warn!(event, id, channel, step, error, latency_ms, "failed")
        }
    }
}

fn names(kinds: &[IdentifierKind]) -> String {
    kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
}

fn case_of(reply: &Reply) -> crate::case::CaseFeatures {
    match reply {
        Reply::Answer(a) => a.case.clone(),
        Reply::Reset => crate::case::CaseFeatures::new(),
    }
}

fn is_thread(kind: ChannelType) -> bool {
    matches!(
        kind,
        ChannelType::PublicThread | ChannelType::PrivateThread | ChannelType::NewsThread
    )
}

fn place_of(channel: &GuildChannel, bot: UserId) -> Place {
    if is_thread(channel.kind) {
        Place::Thread {
            parent: channel.parent_id,
            ours: channel.owner_id == Some(bot),
        }
    } else {
        Place::Channel
    }
}

/// What kind of guild channel `channel` is: from the cache (filled by GUILD_CREATE and
/// THREAD_CREATE), else from Discord (`GET /channels/{id}`; serenity does not look in its cache
/// there, DISCORD.md G6).
async fn place(
    ctx: &Context,
    guild: GuildId,
    channel: ChannelId,
    bot: UserId,
) -> Result<Place, Failure> {
    if let Some(place) = cached_place(ctx, guild, channel, bot) {
        return Ok(place);
    }
    match channel
        .to_channel(&ctx.http)
        .await
        .map_err(failed("look up the channel"))?
    {
        serenity::all::Channel::Guild(c) => Ok(place_of(&c, bot)),
        serenity::all::Channel::Private(_) => Ok(Place::Dm),
        _ => Err(Failure {
            step: "look up the channel",
            error: "not a guild channel or DM".into(),
        }),
    }
}

/// The cache look-up, synchronous so that no cache guard is held across an `.await`.
fn cached_place(ctx: &Context, guild: GuildId, channel: ChannelId, bot: UserId) -> Option<Place> {
    let guild = ctx.cache.guild(guild)?;
    if let Some(c) = guild.channels.get(&channel) {
        return Some(place_of(c, bot));
    }
    guild
        .threads
        .iter()
        .find(|t| t.id == channel)
        .map(|t| place_of(t, bot))
}

/// The message text without mentions of the bot (`<@id>` and the older `<@!id>`).
fn without_mentions(content: &str, bot: UserId) -> String {
    content
        .replace(&format!("<@{bot}>"), "")
        .replace(&format!("<@!{bot}>"), "")
        .trim()
        .to_string()
}

/// Posts `messages` in order, mentions disabled.
async fn send(ctx: &Context, channel: ChannelId, messages: &[String]) -> Result<(), Failure> {
    for m in messages {
        let message = CreateMessage::new()
            .content(m)
            .allowed_mentions(CreateAllowedMentions::new());
        channel
            .send_message(&ctx.http, message)
            .await
            .map_err(failed("send a message"))?;
    }
    Ok(())
}

/// Says in `channel` that the decision service gave no decision for a message.
async fn no_decision(
    ctx: &Context,
    channel: ChannelId,
    identifiers: &[IdentifierKind],
    error: DecisionError,
) -> Result<Outcome, Failure> {
    send(ctx, channel, &reply::no_decision_messages(identifiers)).await?;
    Ok(Outcome::NoDecision {
        target: channel,
        error,
    })
}

/// Edits `messages` into a deferred command's response: the first in place of "thinking…", the
/// rest as follow-ups; mentions disabled.
async fn respond(
    ctx: &Context,
    cmd: &CommandInteraction,
    messages: &[String],
) -> Result<(), Failure> {
    let mut rest = messages.iter();
    if let Some(first) = rest.next() {
        let edit = EditInteractionResponse::new()
            .content(first)
            .allowed_mentions(CreateAllowedMentions::new());
        cmd.edit_response(&ctx.http, edit)
            .await
            .map_err(failed("edit the deferred response"))?;
    }
    for more in rest {
        let followup = CreateInteractionResponseFollowup::new()
            .content(more)
            .allowed_mentions(CreateAllowedMentions::new());
        cmd.create_followup(&ctx.http, followup)
            .await
            .map_err(failed("send a follow-up"))?;
    }
    Ok(())
}

/// Answers a command with a message only its user sees.
async fn ephemeral(ctx: &Context, cmd: &CommandInteraction, text: &str) -> Result<(), Failure> {
    let message = CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(CreateAllowedMentions::new());
    cmd.create_response(&ctx.http, CreateInteractionResponse::Message(message))
        .await
        .map_err(failed("answer the command"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_of_the_bot_are_removed() {
        let bot = UserId::new(42);
        assert_eq!(without_mentions("<@42> pNET G2", bot), "pNET G2");
        assert_eq!(
            without_mentions("hi <@!42>, <@7> here", bot),
            "hi , <@7> here"
        );
    }
}
