//! CDS Hooks 2.0: discovery, the service, and feedback (<https://cds-hooks.hl7.org/2.0/>).
//!
//! netboard offers one service, [`SERVICE_ID`], on a custom hook for NET case consults,
//! [`HOOK`] (custom hooks take a reverse-domain name). Its context carries `userId` (required by
//! the hook, otherwise unused and never recorded) and `caseFeatures`: an object keyed by the
//! CONTRACT.md §2 feature names, each `{"value": …, "certainty": "stated" | "possible"}` — the
//! same features document `POST /v1/advice` reads, checked by the same code. The EHR extracts
//! nothing: it sends what its record already says, so prefetch and FHIR access are not needed.
//!
//! The response's cards are a rendering ([`render::cds_response`]); this module only checks the
//! request and carries the answer. Feedback is counted by service and outcome
//! (`/metrics`, `netboard_cds_feedback_total`); an override's free-text `userComment` is read
//! past and never recorded, as no message text is.

use super::problem::{json_response, json_serialized, read_json, Problem};
use super::Service;
use crate::case::wire;
use crate::engine::Conversation;
use crate::question::Question;
use crate::render;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

/// The hook netboard's service answers.
pub const HOOK: &str = "org.netboard.net-case-consult";

/// The id of netboard's CDS service.
pub const SERVICE_ID: &str = "netboard-net-options";

/// The discovery document (`GET /cds-services`).
pub(super) fn discovery() -> serde_json::Value {
    serde_json::json!({
        "services": [{
            "hook": HOOK,
            "id": SERVICE_ID,
            "title": "netboard: treatment options for metastatic neuroendocrine tumours",
            "description": "Given a NET case's features (CONTRACT §2: primary site, grade, liver \
                lesions, extrahepatic disease, SSTR imaging, prior treatments, organ function…), \
                returns one card per relevant treatment option with its fit, reasons, caveats and \
                sources, and a warning card for missing information that would change the \
                options. Decision support for healthcare professionals; not a substitute for the \
                tumour board.",
            "usageRequirements": "Send context.userId and context.caseFeatures, an object keyed \
                by netboard feature names, each {\"value\": …, \"certainty\": \"stated\" | \
                \"possible\"}."
        }]
    })
}

/// `GET /cds-services`.
pub(super) async fn services(State(service): State<Service>) -> Response {
    json_serialized(StatusCode::OK, service.shared.pages.discovery.clone())
}

/// A hook call, as far as netboard reads it; other members (`fhirServer`, `prefetch`, …) are
/// allowed and ignored.
#[derive(Debug, Deserialize)]
struct HookRequest {
    hook: String,
    #[serde(rename = "hookInstance")]
    hook_instance: String,
    context: HookContext,
}

#[derive(Debug, Deserialize)]
struct HookContext {
    #[serde(rename = "userId")]
    user_id: String,
    #[serde(rename = "caseFeatures")]
    case_features: serde_json::Value,
}

/// `POST /cds-services/{id}`.
pub(super) async fn call(
    State(service): State<Service>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    known_service(&id)?;
    let request: HookRequest = read_json(body)?;
    if request.hook != HOOK {
        return Err(Problem::field(
            "hook",
            format!("this service answers the hook `{HOOK}`"),
        ));
    }
    let hook_instance = Uuid::parse_str(&request.hook_instance)
        .map_err(|e| Problem::field("hookInstance", format!("expected a UUID: {e}")))?;
    if request.context.user_id.trim().is_empty() {
        return Err(Problem::field("context.userId", "must not be empty"));
    }
    let case = wire::from_json("context.caseFeatures", &request.context.case_features)
        .map_err(|e| Problem::field(e.field, e.why))?;
    let answer = service.shared.engine.answer_features(
        &mut Conversation::default(),
        Question::default(),
        case,
    );
    Ok(json_response(
        StatusCode::OK,
        &render::cds_response(&answer, hook_instance),
    ))
}

/// The feedback body: one or more entries about cards shown.
#[derive(Debug, Deserialize)]
struct FeedbackRequest {
    feedback: Vec<FeedbackEntry>,
}

#[derive(Debug, Deserialize)]
struct FeedbackEntry {
    card: String,
    outcome: Outcome,
    #[serde(rename = "outcomeTimestamp")]
    outcome_timestamp: String,
    /// Present only with `accepted`; netboard's cards carry no suggestions, so any is unknown.
    #[serde(rename = "acceptedSuggestions", default)]
    accepted_suggestions: Vec<serde_json::Value>,
    /// Present only with `overridden`. Its coded reason and free-text comment are not recorded.
    #[serde(rename = "overrideReason")]
    override_reason: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Accepted,
    Overridden,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Overridden => "overridden",
        }
    }
}

/// `POST /cds-services/{id}/feedback`.
pub(super) async fn feedback(
    State(service): State<Service>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    known_service(&id)?;
    let request: FeedbackRequest = read_json(body)?;
    if request.feedback.is_empty() {
        return Err(Problem::field("feedback", "expected at least one entry"));
    }
    for (i, entry) in request.feedback.iter().enumerate() {
        let at = |field: &str| format!("feedback[{i}].{field}");
        Uuid::parse_str(&entry.card)
            .map_err(|e| Problem::field(at("card"), format!("expected a card's UUID: {e}")))?;
        if entry.outcome_timestamp.trim().is_empty() {
            return Err(Problem::field(at("outcomeTimestamp"), "must not be empty"));
        }
        if !entry.accepted_suggestions.is_empty() {
            return Err(Problem::field(
                at("acceptedSuggestions"),
                "netboard's cards carry no suggestions",
            ));
        }
        if entry.override_reason.is_some() && matches!(entry.outcome, Outcome::Accepted) {
            return Err(Problem::field(
                at("overrideReason"),
                "only with the outcome `overridden`",
            ));
        }
    }
    for entry in &request.feedback {
        service
            .shared
            .metrics
            .feedback(SERVICE_ID, entry.outcome.name());
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "recorded": request.feedback.len() }),
    ))
}

fn known_service(id: &str) -> Result<(), Problem> {
    if id == SERVICE_ID {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("no CDS service `{id}`; GET /cds-services lists them"),
        ))
    }
}
