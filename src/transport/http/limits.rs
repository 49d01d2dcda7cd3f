//! The service's limits: body size, requests in flight, time per request, and panics.
//!
//! - **Body size**: [`BODY_LIMIT`] (64 KiB) — a case consult is a few hundred bytes, a features
//!   document a few kilobytes; anything larger is refused with 413 before it is parsed.
//! - **In flight**: at most [`Limits::max_in_flight`] requests are worked on at once; one more is
//!   answered 503 at once rather than queued, so overload shows as fast refusals a load balancer
//!   can act on, not as growing latency. `/healthz` and `/metrics` are outside the bound, so the
//!   service can still be watched when it is full.
//! - **Time**: a request that takes longer than [`Limits::timeout`] — in practice a client that is
//!   slow to send its body, as deciding takes microseconds — is answered 408. This also bounds
//!   how long a graceful shutdown waits for the requests it drains.
//! - **Panics**: a bug must not take the connection down with no answer, nor leak a backtrace:
//!   a panicking handler is answered 500 with a plain sentence.

use super::problem::Problem;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The largest request body accepted, in bytes (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// How much work the service takes on at once, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests worked on at once; more are answered 503 (`NETBOARD_MAX_IN_FLIGHT`).
    pub max_in_flight: usize,
    /// The longest a request may take, body included; longer is answered 408
    /// (`NETBOARD_REQUEST_TIMEOUT_MS`).
    pub timeout: Duration,
}

impl Default for Limits {
    /// 256 requests in flight — at about 100 µs of work each, two cores clear that many in some
    /// 13 ms, so the bound bites only on a flood — and 10 seconds per request.
    fn default() -> Self {
        Limits {
            max_in_flight: 256,
            timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// The defaults, overridden by `NETBOARD_MAX_IN_FLIGHT` and `NETBOARD_REQUEST_TIMEOUT_MS`.
    pub fn from_env() -> Result<Limits, String> {
        let mut limits = Limits::default();
        if let Some(n) = positive_from_env("NETBOARD_MAX_IN_FLIGHT")? {
            limits.max_in_flight = n as usize;
        }
        if let Some(ms) = positive_from_env("NETBOARD_REQUEST_TIMEOUT_MS")? {
            limits.timeout = Duration::from_millis(ms);
        }
        Ok(limits)
    }
}

fn positive_from_env(name: &str) -> Result<Option<u64>, String> {
    let Some(raw) = std::env::var_os(name) else {
        return Ok(None);
    };
    let text = raw.to_string_lossy();
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 && n <= u32::MAX as u64 => Ok(Some(n)),
        _ => Err(format!(
            "{name} must be a whole number above 0, not `{text}`"
        )),
    }
}

/// Middleware: answers 503 when [`Limits::max_in_flight`] requests are already being worked on.
pub(super) async fn bounded(
    State(permits): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    match permits.try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many requests in flight; retry shortly",
        )
        .into_response(),
    }
}

/// Middleware: answers 408 when a request takes longer than [`Limits::timeout`].
pub(super) async fn deadline(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request took longer than {} ms (is the body being sent?)",
                timeout.as_millis()
            ),
        )
        .into_response(),
    }
}

/// The answer to a handler that panicked: 500, a sentence, no backtrace.
pub(super) fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "netboard failed on this request; the failure is in the server's log",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    async fn boom() -> &'static str {
        panic!("secret detail")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_without_its_message_or_a_backtrace() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(panicked));
        let request = Request::get("/boom").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("\"status\":500"), "{text}");
        assert!(!text.contains("secret") && !text.contains("panicked") && !text.contains(".rs"));
    }
}
