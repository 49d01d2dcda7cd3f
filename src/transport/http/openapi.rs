//! `GET /openapi.json`: the OpenAPI 3.1 description of the service.
//!
//! The document is written by hand in `openapi.json` beside this file, where a reviewer reads it
//! as one piece; the vocabularies it shares with the code — feature names, option ids, intents —
//! and the version are filled in at start from the code itself, so they cannot drift. OpenAPI 3.1
//! schemas are JSON Schema 2020-12: the HTTP tests validate every real response against them.

use super::problem::json_serialized;
use super::Service;
use crate::case::FeatureId;
use crate::question::{Intent, OptionId};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

const DOCUMENT: &str = include_str!("openapi.json");

/// The document, with the vocabularies and the version filled in.
pub(super) fn document() -> Value {
    let Ok(mut doc) = serde_json::from_str::<Value>(DOCUMENT) else {
        // openapi.json is checked by a test; this keeps a broken edit from panicking the server.
        return serde_json::json!({"openapi": "3.1.0", "info": {"title": "netboard", "version": env!("CARGO_PKG_VERSION")}, "paths": {}});
    };
    doc["info"]["version"] = env!("CARGO_PKG_VERSION").into();
    let names = |names: Vec<&'static str>| Value::from(names);
    let schemas = &mut doc["components"]["schemas"];
    schemas["FeatureName"]["enum"] = names(FeatureId::ALL.iter().map(|f| f.name()).collect());
    schemas["OptionId"]["enum"] = names(OptionId::ALL.iter().map(|o| o.name()).collect());
    schemas["Intent"]["enum"] = names(Intent::ALL.iter().map(|i| i.name()).collect());
    doc
}

/// `GET /openapi.json`.
pub(super) async fn serve(State(service): State<Service>) -> Response {
    json_serialized(StatusCode::OK, service.shared.pages.openapi.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_parses_and_gets_the_vocabularies() {
        serde_json::from_str::<Value>(DOCUMENT).expect("openapi.json is JSON");
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["OptionId"]["enum"].as_array().unwrap().len(),
            OptionId::ALL.len()
        );
        assert_eq!(schemas["FeatureName"]["enum"][0], "primary_site");
    }
}
