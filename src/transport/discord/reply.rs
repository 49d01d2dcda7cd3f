//! What the bot writes besides the answer itself: thread names, the identifier caution, the
//! rate-limit notice, the word that no decision came (remote mode), and the assembly of a reply
//! into Discord messages.
//!
//! The answer is the chat rendering ([`crate::render::chat`]), already split into messages of at
//! most 2,000 characters at section boundaries; this module only puts the caution in front when
//! it is needed. A thread's name is built from the understood features' values — vocabulary
//! terms, never the words typed — so it can carry no identifier, and it stays within Discord's
//! 1–100 characters.

use super::phi::IdentifierKind;
use crate::case::{CaseFeatures, FeatureId, Value};
use crate::engine::Reply;
use crate::render::{self, MESSAGE_LIMIT, NOTHING_APPLIED};

/// Discord's longest thread name, in characters.
pub const THREAD_NAME_LIMIT: usize = 100;

/// The name when no feature was understood.
const UNNAMED_CASE: &str = "NET case";

pub const RATE_NOTICE: &str = "You have asked a lot of questions in the last minute; netboard \
    will answer again shortly. (This notice is shown once.)";

pub const RESET_DONE: &str = "New case: the earlier features are cleared.";

/// What the bot says when the decision service of remote mode gave no decision:
/// [`render::no_decision`] for a chat. The console's sentence names the service's address and the
/// error; a chat is shared with a whole care team on a third-party platform, who can do nothing
/// with an internal address, so it stays in the bot's log line for whoever runs the bot.
pub fn no_decision() -> String {
    format!(
        "No answer: netboard's decision service could not be reached or failed (the bot's log \
         says why). {NOTHING_APPLIED}"
    )
}

/// A thread name from the case's features, e.g. `pancreas NET, G2, 3 liver mets, SSTR+`.
pub fn thread_name(case: &CaseFeatures) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (feature, finding) in case.iter() {
        let part = match (feature, &finding.value) {
            (FeatureId::PrimarySite, Value::Term(t)) => {
                Some(format!("{} NET", t.replace('_', " ")))
            }
            (FeatureId::Grade, Value::Term(t)) => Some(t.to_string()),
            (FeatureId::Ki67Percent, v) => Some(format!("Ki-67 {v}%")),
            (FeatureId::LiverLesionCount, Value::Integer(n)) => Some(format!("{n} liver mets")),
            (FeatureId::LiverMetastases, Value::Bool(true))
                if case.value(FeatureId::LiverLesionCount).is_none() =>
            {
                Some("liver mets".into())
            }
            (FeatureId::LiverBurden, Value::Term(t)) => Some(format!("{t} liver burden")),
            (FeatureId::ExtrahepaticDisease, Value::Bool(true)) => {
                Some("extrahepatic disease".into())
            }
            (FeatureId::ExtrahepaticDisease, Value::Bool(false)) => Some("liver-only".into()),
            (FeatureId::BoneMetastases, Value::Bool(true)) => Some("bone mets".into()),
            (FeatureId::SstrImaging, Value::Term("positive")) => Some("SSTR+".into()),
            (FeatureId::SstrImaging, Value::Term("negative")) => Some("SSTR−".into()),
            (FeatureId::DiseaseCourse, Value::Term(t)) => Some(t.to_string()),
            _ => None,
        };
        parts.extend(part);
    }
    let mut name = String::new();
    for part in parts {
        let sep = if name.is_empty() { "" } else { ", " };
        if name.chars().count() + sep.len() + part.chars().count() > THREAD_NAME_LIMIT {
            break;
        }
        name.push_str(sep);
        name.push_str(&part);
    }
    if name.is_empty() {
        UNNAMED_CASE.to_string()
    } else {
        name
    }
}

/// The caution for a message that seems to carry identifiers; `answered` says whether the
/// answer follows it.
pub fn caution(kinds: &[IdentifierKind], answered: bool) -> String {
    let kinds: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    let then = if answered {
        "The answer below uses only the case features."
    } else {
        "netboard has not answered it: ask again with the case features only."
    };
    format!(
        "⚠️ **Please remove patient identifiers.** This message looks like it carries {}. \
         Discord is not a place for them: edit or delete the message. {then}",
        kinds.join(", ")
    )
}

/// A reply as Discord messages, each within [`MESSAGE_LIMIT`], the caution (if any) first —
/// in the first message when it fits there, else on its own.
pub fn messages(reply: &Reply, caution: Option<String>) -> Vec<String> {
    let messages = match reply {
        Reply::Answer(answer) => render::chat(answer),
        Reply::Reset => vec![RESET_DONE.to_string()],
    };
    with_caution(messages, caution)
}

/// [`no_decision`] as Discord messages; when the message seems to carry `identifiers`, the
/// caution that says it was not answered comes first.
pub fn no_decision_messages(identifiers: &[IdentifierKind]) -> Vec<String> {
    let caution = (!identifiers.is_empty()).then(|| caution(identifiers, false));
    with_caution(vec![no_decision()], caution)
}

/// `messages` with the caution in front: in the first message when it fits there, else on its
/// own.
fn with_caution(mut messages: Vec<String>, caution: Option<String>) -> Vec<String> {
    if let Some(caution) = caution {
        match messages.first_mut() {
            Some(first) if caution.chars().count() + 2 + first.chars().count() <= MESSAGE_LIMIT => {
                *first = format!("{caution}\n\n{first}");
            }
            _ => messages.insert(0, caution),
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Certainty, Finding};

    fn case(features: &[(FeatureId, Value)]) -> CaseFeatures {
        let mut case = CaseFeatures::new();
        for (f, v) in features {
            case.set(
                *f,
                Finding {
                    value: v.clone(),
                    certainty: Certainty::Stated,
                    text: "Mrs Jones MRN 48213377".into(),
                },
            );
        }
        case
    }

    #[test]
    fn a_thread_is_named_from_feature_values_never_words() {
        let c = case(&[
            (FeatureId::PrimarySite, Value::Term("pancreas")),
            (FeatureId::Grade, Value::Term("G2")),
            (FeatureId::LiverMetastases, Value::Bool(true)),
            (FeatureId::LiverLesionCount, Value::Integer(3)),
            (FeatureId::SstrImaging, Value::Term("positive")),
        ]);
        assert_eq!(thread_name(&c), "pancreas NET, G2, 3 liver mets, SSTR+");
        assert_eq!(thread_name(&CaseFeatures::new()), "NET case");
    }

    #[test]
    fn a_thread_name_stays_within_discord_limits() {
        let c = case(&[
            (FeatureId::PrimarySite, Value::Term("small_intestine")),
            (FeatureId::Grade, Value::Term("G2")),
            (FeatureId::Ki67Percent, Value::Number(15.0)),
            (FeatureId::LiverLesionCount, Value::Integer(12)),
            (FeatureId::LiverBurden, Value::Term("multiple")),
            (FeatureId::ExtrahepaticDisease, Value::Bool(true)),
            (FeatureId::BoneMetastases, Value::Bool(true)),
            (FeatureId::SstrImaging, Value::Term("negative")),
            (FeatureId::DiseaseCourse, Value::Term("progressing")),
        ]);
        let name = thread_name(&c);
        let n = name.chars().count();
        assert!((1..=THREAD_NAME_LIMIT).contains(&n), "{n}: {name}");
        assert!(name.starts_with("small intestine NET, G2, Ki-67 15%"));
    }

    #[test]
    fn the_caution_goes_first_and_every_message_fits() {
        let kinds = [IdentifierKind::RecordNumber, IdentifierKind::NameWithTitle];
        let text = caution(&kinds, true);
        assert!(text.contains("a record number, a name"));
        let msgs = messages(&Reply::Reset, Some(text.clone()));
        assert_eq!(msgs, vec![format!("{text}\n\n{RESET_DONE}")]);
        assert!(caution(&kinds, false).contains("has not answered"));
    }

    #[test]
    fn no_decision_is_said_plainly_without_the_service_address() {
        let said = no_decision();
        assert!(said.ends_with(NOTHING_APPLIED), "{said}");
        assert!(!said.contains("http"), "{said}");
        assert_eq!(no_decision_messages(&[]), vec![said.clone()]);
        let refused = caution(&[IdentifierKind::RecordNumber], false);
        assert_eq!(
            no_decision_messages(&[IdentifierKind::RecordNumber]),
            vec![format!("{refused}\n\n{said}")]
        );
    }
}
