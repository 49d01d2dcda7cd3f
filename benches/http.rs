//! In-process benchmarks of the HTTP service (see BENCHMARKS.md), the complement of the wrk load
//! test in `benches/http.sh`.
//!
//! Each bench sends one request through the service's whole router — routing, metrics, the
//! in-flight bound, the deadline, body reading and parsing, the engine, rendering, serializing —
//! with `tower::ServiceExt::oneshot` on a current-thread runtime, and reads the response body.
//! No socket is involved, so these figures are what the service adds on top of the network.
//!
//! - `cds_hooks/call` — `POST /cds-services/netboard-net-options` with the features of a typical
//!   case (7 features), answered with cards and the advice extension. Target: ≤ 1 ms median.
//! - `advice/words_200` — `POST /v1/advice` with the 201-character chat message of
//!   `benches/extract.rs`; no target, it shows the router's share of the wrk figure.
//!
//! Run with `cargo bench --bench http`. Read the median: the machine has 2 shared cores.

use axum::body::Body;
use axum::http::Request;
use criterion::{criterion_group, criterion_main, Criterion};
use netboard::case::wire;
use netboard::engine::{data_dir, Engine};
use netboard::store::CaseStore;
use netboard::transport::http::{router, Limits, Service, HOOK, SERVICE_ID};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The typical chat message of `benches/extract.rs`, about 200 characters.
const MESSAGE_200: &str = "pNET G2, Ki-67 8%, 3 liver mets, largest 2 cm, no extrahepatic \
    disease, dotatate avid, primary resected 2021, stable on octreotide LAR for 18 months, CgA \
    rising. Options please — resection vs ablation?";

fn bench_http(c: &mut Criterion) {
    let engine = Arc::new(Engine::load(&data_dir()).unwrap_or_else(|e| panic!("{e}")));
    let store_dir = std::env::temp_dir().join(format!("netboard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&store_dir).unwrap();
    let store = CaseStore::open(&store_dir.join("cases.sqlite3"), Duration::from_secs(60)).unwrap();
    let case = engine
        .ask("pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid")
        .case;
    let app = router(Service::new(engine, &data_dir(), store, Limits::default()).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let call = serde_json::json!({
        "hook": HOOK,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/123", "caseFeatures": wire::to_json(&case)},
    })
    .to_string();
    let advice = serde_json::json!({ "text": MESSAGE_200 }).to_string();
    assert_eq!(MESSAGE_200.chars().count(), 201);
    let send = |path: String, body: &str| {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        runtime.block_on(async {
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 200);
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
        })
    };

    let mut group = c.benchmark_group("cds_hooks");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("call", |b| {
        b.iter(|| send(format!("/cds-services/{SERVICE_ID}"), &call))
    });
    group.finish();

    let mut group = c.benchmark_group("advice");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("words_200", |b| {
        b.iter(|| send("/v1/advice".to_string(), &advice))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&store_dir);
}

criterion_group!(benches, bench_http);
criterion_main!(benches);
