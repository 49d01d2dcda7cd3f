//! The JSON API: `POST /v1/advice`, the catalogue pages `GET /v1/options`, `/v1/sources`,
//! `/v1/knowledge`, and `GET /healthz`.
//!
//! `POST /v1/advice` takes a case in words (`{"text": "pNET G2, 3 liver mets — options?"}`) or as
//! a features document (`{"features": {"grade": {"value": "G2", "certainty": "stated"}, …}}`,
//! CONTRACT.md §2, read by [`wire::from_json`]), and answers the advice document of CONTRACT.md
//! §3. With features, `intent` and `asked_options` say what is asked (words carry their own
//! question); remote mode sends exactly this. An optional `case_id` continues a case as a thread
//! follow-up does: its stored features are refined by this request's and saved again (words-free,
//! expiring, in the case store under `http:<case_id>`); the text `reset` clears it.
//!
//! Deciding takes microseconds, so a request without `case_id` is answered on the async worker;
//! one with `case_id` touches SQLite and runs on the blocking pool, one at a time between load
//! and save so that two follow-ups to the same case cannot lose each other's features. The
//! catalogue pages never change while the process runs and are rendered once at start.

use super::problem::{json_response, json_serialized, read_json, Problem};
use super::Service;
use crate::case::{wire, CaseFeatures};
use crate::engine::{Answer, Conversation, Engine, Reply};
use crate::knowledge::Knowledge;
use crate::question::{Intent, OptionId, Question};
use crate::render;
use crate::store::CaseStore;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::PoisonError;

/// The longest `case_id` accepted.
const CASE_ID_LIMIT: usize = 128;

/// The body of `POST /v1/advice`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdviceRequest {
    text: Option<String>,
    features: Option<serde_json::Value>,
    intent: Option<Intent>,
    asked_options: Option<Vec<OptionId>>,
    case_id: Option<String>,
}

/// What a request asks about: words to extract, or features already extracted.
enum Input {
    Text(String),
    /// Boxed: a case is over a kilobyte, the words a pointer.
    Features(Question, Box<CaseFeatures>),
}

impl AdviceRequest {
    /// Checks the request's fields together: exactly one of `text` and `features`; a question
    /// only with features; a `case_id` a store key can hold.
    fn validate(self) -> Result<(Input, Option<String>), Problem> {
        let AdviceRequest {
            text,
            features,
            intent,
            asked_options,
            case_id,
        } = self;
        if let Some(id) = &case_id {
            check_case_id(id)?;
        }
        let input = match (text, features) {
            (Some(_), Some(_)) => {
                let why = "send either `text` or `features`, not both";
                return Err(Problem::field("features", why));
            }
            (None, None) => {
                let why = "missing: send `text` (the case in words) or `features` (a features \
                           document)";
                return Err(Problem::field("text", why));
            }
            (Some(text), None) => {
                let why = "only with `features`: words carry their own question";
                if intent.is_some() {
                    return Err(Problem::field("intent", why));
                }
                if asked_options.is_some() {
                    return Err(Problem::field("asked_options", why));
                }
                Input::Text(text)
            }
            (None, Some(features)) => {
                let case = wire::from_json("features", &features)
                    .map_err(|e| Problem::field(e.field, e.why))?;
                let question = Question {
                    intent: intent.unwrap_or(Intent::Options),
                    options: asked_options.unwrap_or_default(),
                    ..Question::default()
                };
                Input::Features(question, Box::new(case))
            }
        };
        Ok((input, case_id))
    }
}

fn check_case_id(id: &str) -> Result<(), Problem> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.:".contains(c);
    if id.is_empty() || id.len() > CASE_ID_LIMIT || !id.chars().all(allowed) {
        let why =
            format!("expected 1 to {CASE_ID_LIMIT} characters of letters, digits and - _ . :");
        return Err(Problem::field("case_id", why));
    }
    Ok(())
}

/// `POST /v1/advice`.
pub(super) async fn advice(
    State(service): State<Service>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let request: AdviceRequest = read_json(body)?;
    let (input, case_id) = request.validate()?;
    let answer = match case_id {
        None => answer(&service.shared.engine, &mut Conversation::default(), input),
        Some(id) => {
            let service = service.clone();
            tokio::task::spawn_blocking(move || continue_case(&service, &id, input))
                .await
                .map_err(|_| {
                    Problem::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the case could not be answered",
                    )
                })??
        }
    };
    let body = render::json_bytes(&answer);
    Ok(json_serialized(StatusCode::OK, body.into()))
}

/// Answers `input` in `conversation`; `reset` clears it and answers the empty case.
fn answer(engine: &Engine, conversation: &mut Conversation, input: Input) -> Answer {
    match input {
        Input::Features(question, case) => engine.answer_features(conversation, question, *case),
        Input::Text(text) => match engine.answer(conversation, &text) {
            Reply::Answer(answer) => *answer,
            Reply::Reset => {
                engine.answer_features(conversation, Question::default(), CaseFeatures::new())
            }
        },
    }
}

/// Loads the case of `case_id`, answers `input` in it, and stores what it became.
fn continue_case(service: &Service, case_id: &str, input: Input) -> Result<Answer, Problem> {
    let shared = &service.shared;
    let key = format!("http:{case_id}");
    let store_failed = |e: crate::store::StoreError| {
        eprintln!("netboard serve: {e}");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the case store failed; the failure is in the server's log",
        )
    };
    let _one_at_a_time = shared.cases.lock().unwrap_or_else(PoisonError::into_inner);
    let store: &CaseStore = &shared.store;
    let case = store.load(&key).map_err(store_failed)?.unwrap_or_default();
    let mut conversation = Conversation { case };
    let answer = answer(&shared.engine, &mut conversation, input);
    if conversation.case.is_empty() {
        store.remove(&key).map_err(store_failed)?;
    } else {
        store.save(&key, &conversation.case).map_err(store_failed)?;
    }
    Ok(answer)
}

/// `GET /healthz`.
pub(super) async fn healthz() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

/// `GET /v1/options`, `/v1/sources`, `/v1/knowledge`: pages rendered at start.
pub(super) async fn options(State(service): State<Service>) -> Response {
    json_serialized(StatusCode::OK, service.shared.pages.options.clone())
}

pub(super) async fn sources(State(service): State<Service>) -> Response {
    json_serialized(StatusCode::OK, service.shared.pages.sources.clone())
}

pub(super) async fn knowledge(State(service): State<Service>) -> Response {
    json_serialized(StatusCode::OK, service.shared.pages.knowledge.clone())
}

/// The option catalogue: every option of CONTRACT.md §3 with what it is and its evidence.
pub(super) fn options_page(knowledge: &Knowledge) -> serde_json::Value {
    let options: Vec<_> = OptionId::ALL
        .iter()
        .map(|&id| knowledge.option(id))
        .collect();
    serde_json::json!({ "knowledge_version": knowledge.version, "options": options })
}

/// Every source the knowledge base may cite.
pub(super) fn sources_page(knowledge: &Knowledge) -> serde_json::Value {
    let sources: Vec<_> = knowledge.sources().collect();
    serde_json::json!({ "knowledge_version": knowledge.version, "sources": sources })
}

/// The knowledge base's version, review date and content hash, with what was loaded.
pub(super) fn knowledge_page(
    knowledge: &Knowledge,
    fingerprint: &super::fingerprint::Fingerprint,
) -> serde_json::Value {
    serde_json::json!({
        "version": knowledge.version,
        "reviewed": knowledge.reviewed,
        "content_hash": fingerprint.hash,
        "files": fingerprint.files,
        "sources": knowledge.sources().count(),
        "options": OptionId::ALL.len(),
        "rules": knowledge.rules().len(),
    })
}
