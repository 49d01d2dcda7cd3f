//! The engine: the one seam every front end calls with (conversation, text).
//!
//! A transport (console, later Discord and HTTP) owns a [`Conversation`] per chat thread, hands
//! each message to [`Engine::answer`] and renders the [`Reply`] it gets back. The engine keeps the
//! conversation's case: a follow-up's features refine it (a newer statement replaces the older)
//! and the reply says what changed, in the features and in the options' fits. It never keeps
//! message text, only normalised features.

use crate::case::{CaseFeatures, Change};
use crate::decide::{decide, Advice};
use crate::extract::{Extraction, Extractor};
use crate::knowledge::rules::Fit;
use crate::knowledge::Knowledge;
use crate::load::Faults;
use crate::question::{OptionId, Question};
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

impl Engine {
    /// Loads `intents/` and `knowledge/` from `dir`, reporting the faults of both.
    pub fn load(dir: &Path) -> Result<Engine, Faults> {
        let extractor = Extractor::load(&dir.join("intents"));
        let knowledge = Knowledge::load(&dir.join("knowledge"));
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

    /// Answers one message of `conversation`, refining its case.
    pub fn answer(&self, conversation: &mut Conversation, text: &str) -> Reply {
        if is_reset(text) {
            conversation.case = CaseFeatures::new();
            return Reply::Reset;
        }
        let Extraction { question, features } = self.extractor.extract(text);
        let follow_up = !conversation.case.is_empty();
        let earlier = follow_up.then(|| conversation.case.clone());
        let changes = conversation.case.refine(&features);
        let advice = decide(&self.knowledge, &question, &conversation.case);
        let (changes, fit_changes) = match earlier {
            Some(earlier) if !changes.is_empty() => {
                let before = decide(&self.knowledge, &question, &earlier);
                (changes, fit_changes(&before, &advice))
            }
            _ => (Vec::new(), Vec::new()),
        };
        Reply::Answer(Box::new(Answer {
            advice,
            question,
            stated: features,
            case: conversation.case.clone(),
            changes,
            fit_changes,
            follow_up,
            basis: self.basis(),
        }))
    }
}

/// The options whose fit differs between two decisions for the same question: those of `after`
/// in its order, then those only `before` listed.
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
