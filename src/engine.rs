//! The engine: the one seam every front end calls with (conversation, text).
//!
//! A transport (console, Discord, HTTP) owns a [`Conversation`] per chat thread, hands each
//! message to [`Engine::answer`] and renders the [`Reply`] it gets back. The engine keeps the
//! conversation's case: a follow-up's features refine it (a newer statement replaces the older)
//! and the reply says what changed, in the features and in the options' fits. It never keeps
//! message text, only normalised features.
//!
//! Where the case is *decided* is a separate choice, a [`Decider`]: the engine itself, in process,
//! or a netboard decision service that several front ends share (remote mode,
//! `transport::remote`). Extraction and the conversation stay local either way, so a remote
//! answer renders exactly as an in-process one; [`Engine::answer_with`] is the call for a front
//! end that may decide remotely, and a decision that fails leaves the conversation untouched, so
//! the next message simply tries again.

use crate::case::{CaseFeatures, Change};
use crate::decide::{decide, Advice};
use crate::extract::{Extraction, Extractor};
use crate::knowledge::rules::Fit;
use crate::knowledge::Knowledge;
use crate::load::Faults;
use crate::question::{OptionId, Question};
use std::convert::Infallible;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where netboard's data directories live: `NETBOARD_DATA_DIR`, else the source tree it was built
/// from (so `cargo run` and the tests work from any directory).
pub fn data_dir() -> std::path::PathBuf {
    std::env::var_os("NETBOARD_DATA_DIR")
        .map(Into::into)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

/// The loaded, compiled pipeline. Cheap to share; immutable after load.
pub struct Engine {
    extractor: Extractor,
    knowledge: Knowledge,
}

/// One conversation's case so far.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub case: CaseFeatures,
}

/// What the engine answers to one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The message was about a case (or a question about options).
    Answer(Box<Answer>),
    /// `reset`: the conversation's case was cleared.
    Reset,
}

/// The answer to one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question: Question,
    /// The features this message stated.
    pub stated: CaseFeatures,
    /// The conversation's case after this message.
    pub case: CaseFeatures,
    /// What this message changed in an earlier case; empty for a first message.
    pub changes: Vec<Change>,
    /// The options whose fit this message changed, in the order of the new advice; empty for a
    /// first message.
    pub fit_changes: Vec<FitChange>,
    /// True when the case had features before this message.
    pub follow_up: bool,
    /// The decision for the conversation's case.
    pub advice: Advice,
    /// The knowledge base the answer rests on.
    pub basis: Basis,
}

/// An option whose fit a follow-up changed; `None` when the option was not listed.
#[derive(Debug, Clone, PartialEq)]
pub struct FitChange {
    pub option: OptionId,
    /// The option's name in a quick answer.
    pub short: Arc<str>,
    pub before: Option<Fit>,
    pub after: Option<Fit>,
}

/// The knowledge base's version and review date, shown with every answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basis {
    pub version: String,
    pub reviewed: String,
}

/// A decision and the knowledge base it rests on: what a [`Decider`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub advice: Advice,
    pub basis: Basis,
}

/// Where a case is decided: the [`Engine`] in process, or a netboard decision service.
pub trait Decider {
    /// Decides the options for `case` as `question` asks, or says why no decision came.
    fn decide(&self, question: &Question, case: &CaseFeatures) -> Result<Decision, DecisionError>;
}

/// Why a decider gave no decision: the service it asked, and what went wrong, as the end of a
/// sentence about it ("cannot be reached: connection refused").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionError {
    /// Where the decision was asked for (the service's URL).
    pub service: String,
    pub why: String,
}

impl fmt::Display for DecisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the decision service at {} {}", self.service, self.why)
    }
}

impl std::error::Error for DecisionError {}

impl Engine {
    /// Loads `intents/` and `knowledge/` from `dir`, reporting the faults of both.
    pub fn load(dir: &Path) -> Result<Engine, Faults> {
        // The knowledge base loads on its own thread while the intents compile: start-up is
        // most of a one-shot `netboard ask`, and the two share nothing.
        let (extractor, knowledge) = std::thread::scope(|scope| {
            let knowledge = scope.spawn(|| Knowledge::load(&dir.join("knowledge")));
            let extractor = Extractor::load(&dir.join("intents"));
            let knowledge = knowledge
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (extractor, knowledge)
        });
        match (extractor, knowledge) {
            (Ok(extractor), Ok(knowledge)) => Ok(Engine {
                extractor,
                knowledge,
            }),
            (extractor, knowledge) => {
                let mut faults = Faults::default();
                faults.extend(extractor.err().unwrap_or_default());
                faults.extend(knowledge.err().unwrap_or_default());
                Err(faults.relative_to(dir))
            }
        }
    }

    pub fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    fn basis(&self) -> Basis {
        Basis {
            version: self.knowledge.version.clone(),
            reviewed: self.knowledge.reviewed.clone(),
        }
    }

    /// Decides `case` in process.
    pub fn decision(&self, question: &Question, case: &CaseFeatures) -> Decision {
        Decision {
            advice: decide(&self.knowledge, question, case),
            basis: self.basis(),
        }
    }

    /// Answers one message on its own, without a conversation.
    pub fn ask(&self, text: &str) -> Answer {
        let Extraction { question, features } = self.extractor.extract(text);
        Answer {
            advice: decide(&self.knowledge, &question, &features),
            question,
            case: features.clone(),
            stated: features,
            changes: Vec::new(),
            fit_changes: Vec::new(),
            follow_up: false,
            basis: self.basis(),
        }
    }

    /// Answers one message of `conversation`, refining its case; decides in process.
    pub fn answer(&self, conversation: &mut Conversation, text: &str) -> Reply {
        infallible(self.reply(conversation, text, self.in_process()))
    }

    /// Answers one message of `conversation` with the decision of `decider` (remote mode). When
    /// the decider fails, the conversation is left as it was, so the next message retries.
    pub fn answer_with(
        &self,
        decider: &dyn Decider,
        conversation: &mut Conversation,
        text: &str,
    ) -> Result<Reply, DecisionError> {
        self.reply(conversation, text, |q, c| decider.decide(q, c))
    }

    /// Answers a case sent as features rather than words (the HTTP API, CDS Hooks): `stated`
    /// refines `conversation`'s case as a message's features would.
    pub fn answer_features(
        &self,
        conversation: &mut Conversation,
        question: Question,
        stated: CaseFeatures,
    ) -> Answer {
        infallible(refine_and_decide(
            conversation,
            question,
            stated,
            self.in_process(),
        ))
    }

    /// The in-process decision in the form [`Engine::reply`] takes; it cannot fail.
    fn in_process(&self) -> impl Fn(&Question, &CaseFeatures) -> Result<Decision, Infallible> + '_ {
        |question, case| Ok(self.decision(question, case))
    }

    fn reply<E>(
        &self,
        conversation: &mut Conversation,
        text: &str,
        decide: impl Fn(&Question, &CaseFeatures) -> Result<Decision, E>,
    ) -> Result<Reply, E> {
        if is_reset(text) {
            conversation.case = CaseFeatures::new();
            return Ok(Reply::Reset);
        }
        let Extraction { question, features } = self.extractor.extract(text);
        let answer = refine_and_decide(conversation, question, features, decide)?;
        Ok(Reply::Answer(Box::new(answer)))
    }
}

/// Refines the conversation's case with `stated` and decides it; the conversation changes only
/// when the decision comes. A follow-up that changes the case is also decided as it was before,
/// so the answer can say which options changed fit.
fn refine_and_decide<E>(
    conversation: &mut Conversation,
    question: Question,
    stated: CaseFeatures,
    decide: impl Fn(&Question, &CaseFeatures) -> Result<Decision, E>,
) -> Result<Answer, E> {
    let follow_up = !conversation.case.is_empty();
    let mut case = conversation.case.clone();
    let changes = case.refine(&stated);
    let changes = if follow_up { changes } else { Vec::new() };
    let Decision { advice, basis } = decide(&question, &case)?;
    let fit_changes = if changes.is_empty() {
        Vec::new()
    } else {
        fit_changes(&decide(&question, &conversation.case)?.advice, &advice)
    };
    conversation.case = case.clone();
    Ok(Answer {
        question,
        stated,
        case,
        changes,
        fit_changes,
        follow_up,
        advice,
        basis,
    })
}

/// The options whose fit differs between two decisions.
fn fit_changes(before: &Advice, after: &Advice) -> Vec<FitChange> {
    let fit_in = |advice: &Advice, id| advice.options.iter().find(|o| o.id == id).map(|o| o.fit);
    let now = after.options.iter().map(|o| FitChange {
        option: o.id,
        short: o.short.clone(),
        before: fit_in(before, o.id),
        after: Some(o.fit),
    });
    let dropped = before
        .options
        .iter()
        .filter(|o| fit_in(after, o.id).is_none())
        .map(|o| FitChange {
            option: o.id,
            short: o.short.clone(),
            before: Some(o.fit),
            after: None,
        });
    now.chain(dropped).filter(|c| c.before != c.after).collect()
}

fn infallible<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

impl Decider for Engine {
    fn decide(&self, question: &Question, case: &CaseFeatures) -> Result<Decision, DecisionError> {
        Ok(self.decision(question, case))
    }
}

fn is_reset(text: &str) -> bool {
    let t = text
        .trim()
        .trim_end_matches(['.', '!'])
        .to_ascii_lowercase();
    matches!(t.as_str(), "reset" | "new case" | "start over" | "clear")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decider whose service is down.
    struct Down;

    impl Decider for Down {
        fn decide(&self, _: &Question, _: &CaseFeatures) -> Result<Decision, DecisionError> {
            Err(DecisionError {
                service: "http://decisions.test".into(),
                why: "cannot be reached: connection refused".into(),
            })
        }
    }

    #[test]
    fn a_failed_decision_leaves_the_conversation_as_it_was_and_the_next_message_retries() {
        let engine = Engine::load(&data_dir()).unwrap_or_else(|e| panic!("{e}"));
        let mut thread = Conversation::default();
        engine.answer(&mut thread, "pNET G2, 3 liver mets");
        let before = thread.case.clone();
        let error = engine
            .answer_with(&Down, &mut thread, "dotatate negative")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the decision service at http://decisions.test cannot be reached: connection refused"
        );
        assert_eq!(
            thread.case, before,
            "nothing of the failed message was applied"
        );
        let Ok(Reply::Answer(answer)) =
            engine.answer_with(&engine, &mut thread, "dotatate negative")
        else {
            panic!("the engine itself decides");
        };
        assert_eq!(
            answer.changes.len(),
            1,
            "the retried message changes the case"
        );
    }

    fn answer(engine: &Engine, conversation: &mut Conversation, text: &str) -> Answer {
        match engine.answer(conversation, text) {
            Reply::Answer(answer) => *answer,
            Reply::Reset => panic!("{text:?} is not a reset"),
        }
    }

    #[test]
    fn a_follow_up_says_which_options_changed_fit() {
        let engine = Engine::load(&data_dir()).expect("the shipped data loads");
        let mut conversation = Conversation::default();
        let first = answer(
            &engine,
            &mut conversation,
            "pNET G2, 3 liver mets, dotatate avid",
        );
        assert!(
            first.fit_changes.is_empty(),
            "a first message changes no fit"
        );
        let follow_up = answer(&engine, &mut conversation, "dotatate negative after all");
        let prrt = follow_up
            .fit_changes
            .iter()
            .find(|c| c.option == OptionId::PrrtLu177)
            .expect("PRRT's fit changed");
        assert_eq!(
            (prrt.before, prrt.after),
            (Some(Fit::Possible), Some(Fit::NotFavoured))
        );
        assert!(follow_up.fit_changes.iter().all(|c| c.before != c.after));
        let again = answer(&engine, &mut conversation, "dotatate negative after all");
        assert!(
            again.changes.is_empty() && again.fit_changes.is_empty(),
            "nothing new"
        );
    }
}
