//! `GET /metrics`: the service's counters in the Prometheus text format (version 0.0.4).
//!
//! - `netboard_http_requests_total{route, status}` — requests answered, by route template
//!   (`/cds-services/{id}`, never the raw path, so the label set stays small) and status;
//!   requests that match no route count under `route="unmatched"`.
//! - `netboard_http_request_duration_seconds{route}` — a latency histogram per route, from the
//!   request reaching the router to its response head.
//! - `netboard_http_requests_in_flight` — requests being worked on now.
//! - `netboard_cds_feedback_total{service, outcome}` — CDS Hooks feedback entries recorded.
//!
//! Written by hand rather than with a metrics crate: four families, one lock taken once per
//! request, and the format is a page of text. No label ever carries request content.

use super::Service;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds: 100 µs to 10 s.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10.0,
];

/// The service's counters.
#[derive(Default)]
pub(super) struct Metrics {
    in_flight: AtomicI64,
    routes: Mutex<BTreeMap<String, RouteTally>>,
    feedback: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

#[derive(Default)]
struct RouteTally {
    statuses: BTreeMap<u16, u64>,
    /// Count per bucket of [`BUCKETS`] (not cumulative), then the sum of seconds.
    buckets: [u64; BUCKETS.len()],
    overflow: u64,
    seconds: f64,
}

/// Decrements the in-flight gauge however the request ends (answered or dropped).
struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    fn record(&self, route: &str, status: u16, seconds: f64) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if !routes.contains_key(route) {
            routes.insert(route.to_string(), RouteTally::default());
        }
        let Some(tally) = routes.get_mut(route) else {
            return;
        };
        *tally.statuses.entry(status).or_default() += 1;
        match BUCKETS.iter().position(|&le| seconds <= le) {
            Some(i) => tally.buckets[i] += 1,
            None => tally.overflow += 1,
        }
        tally.seconds += seconds;
    }

    /// Counts one feedback entry for `service` with `outcome`.
    pub(super) fn feedback(&self, service: &'static str, outcome: &'static str) {
        let mut feedback = self.feedback.lock().unwrap_or_else(PoisonError::into_inner);
        *feedback.entry((service, outcome)).or_default() += 1;
    }

    /// Everything, in the Prometheus text format.
    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str(
            "# HELP netboard_http_requests_total HTTP requests answered, by route and status.\n",
        );
        out.push_str("# TYPE netboard_http_requests_total counter\n");
        for (route, tally) in routes.iter() {
            for (status, n) in &tally.statuses {
                let _ = writeln!(
                    out,
                    "netboard_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP netboard_http_request_duration_seconds Time to answer a request, by route.\n",
        );
        out.push_str("# TYPE netboard_http_request_duration_seconds histogram\n");
        for (route, tally) in routes.iter() {
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(tally.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "netboard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let count = cumulative + tally.overflow;
            let _ = writeln!(
                out,
                "netboard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "netboard_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                tally.seconds
            );
            let _ = writeln!(
                out,
                "netboard_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        drop(routes);
        out.push_str("# HELP netboard_http_requests_in_flight Requests being worked on now.\n");
        out.push_str("# TYPE netboard_http_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "netboard_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out.push_str("# HELP netboard_cds_feedback_total CDS Hooks feedback entries recorded, by service and outcome.\n");
        out.push_str("# TYPE netboard_cds_feedback_total counter\n");
        let feedback = self.feedback.lock().unwrap_or_else(PoisonError::into_inner);
        for ((service, outcome), n) in feedback.iter() {
            let _ = writeln!(
                out,
                "netboard_cds_feedback_total{{service=\"{service}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out
    }
}

/// `GET /metrics`.
pub(super) async fn serve(State(service): State<Service>) -> Response {
    let text = service.shared.metrics.render();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Middleware: counts every request by route and status, times it, and keeps the in-flight gauge.
pub(super) async fn track(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let guard = InFlight(&metrics.in_flight);
    let response = next.run(request).await;
    drop(guard);
    let status = response.status().as_u16();
    metrics.record(&route, status, started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_counts_every_request() {
        let metrics = Metrics::default();
        metrics.record("/v1/advice", 200, 0.0002);
        metrics.record("/v1/advice", 200, 0.003);
        metrics.record("/v1/advice", 400, 60.0);
        let text = metrics.render();
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.starts_with(needle))
                .unwrap_or_else(|| panic!("no {needle} in\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_string()
        };
        let bucket = "netboard_http_request_duration_seconds_bucket{route=\"/v1/advice\",";
        assert_eq!(line(&format!("{bucket}le=\"0.00025\"}}")), "1");
        assert_eq!(line(&format!("{bucket}le=\"0.005\"}}")), "2");
        assert_eq!(line(&format!("{bucket}le=\"+Inf\"}}")), "3");
        assert_eq!(
            line("netboard_http_requests_total{route=\"/v1/advice\",status=\"400\"}"),
            "1"
        );
    }
}
