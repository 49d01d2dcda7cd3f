//! Every error the service answers, as one JSON shape, and the reading of request bodies.
//!
//! A caller that sent something wrong must learn *which field* and *why* without reading our
//! code: `{"status": 400, "error": "Bad Request", "field": "features.grade.value", "why": "`G4` is
//! not a value of `grade`; expected one of G1, G2, G3, NEC"}`. Bodies are read here, once, for
//! every route that takes one: over the size limit is 413, bytes that are not JSON are 400 on
//! `body`, and JSON of the wrong shape is 400 on the path of the offending field (serde's own
//! message, e.g. "unknown field `txt`, expected one of …"). No error carries a backtrace, and
//! none is logged: a `why` may quote the offending value, but only back to the caller who sent it.

use super::limits::BODY_LIMIT;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// An error response: the status, the field at fault when there is one, and why.
#[derive(Debug)]
pub(super) struct Problem {
    status: StatusCode,
    field: Option<String>,
    why: String,
}

impl Problem {
    pub(super) fn new(status: StatusCode, why: impl Into<String>) -> Problem {
        Problem {
            status,
            field: None,
            why: why.into(),
        }
    }

    /// A 400 about one field of the request.
    pub(super) fn field(field: impl Into<String>, why: impl Into<String>) -> Problem {
        Problem {
            status: StatusCode::BAD_REQUEST,
            field: Some(field.into()),
            why: why.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "status": self.status.as_u16(),
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "why": self.why,
        });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        json_response(self.status, &body)
    }
}

/// A JSON response.
pub(super) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    json_serialized(status, serde_json::to_vec(body).unwrap_or_default().into())
}

/// A response of JSON already serialized.
pub(super) fn json_serialized(status: StatusCode, body: Bytes) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Reads a request body as `T`: 413 over [`BODY_LIMIT`], 400 naming the field otherwise.
pub(super) fn read_json<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Problem> {
    let bytes = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is over the limit of {BODY_LIMIT} bytes (64 KiB)"),
        ),
        _ => Problem::field(
            "body",
            format!("the request body could not be read: {rejection}"),
        ),
    })?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|&b| b != b'{') {
        return Err(Problem::field("body", "expected a JSON object"));
    }
    let mut reader = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Problem::field("body", format!("not valid JSON: {inner}"));
        }
        let why = inner.to_string();
        // serde names a missing field in its message, not in the path: point at the field.
        let missing = why
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name);
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_string(),
            (".", None) => "body".to_string(),
            (path, Some(name)) => format!("{path}.{name}"),
            (path, None) => path.to_string(),
        };
        Problem::field(field, why)
    })?;
    reader
        .end()
        .map_err(|e| Problem::field("body", format!("not valid JSON: {e}")))?;
    Ok(value)
}
