//! The decision module as a shared service: a JSON API and a CDS Hooks 2.0 service over HTTP
//! (`netboard serve`), for EHRs, other bots, and netboard's own front ends in remote mode.
//!
//! | route | module |
//! | --- | --- |
//! | `POST /v1/advice`, `GET /v1/options`, `/v1/sources`, `/v1/knowledge`, `/healthz` | `api.rs` |
//! | `GET /cds-services`, `POST /cds-services/{id}`, `POST /cds-services/{id}/feedback` | `cds.rs` |
//! | `GET /metrics` | `metrics.rs` |
//! | `GET /openapi.json` | `openapi.rs` |
//!
//! Handlers are thin: they read a request into the engine's terms, call the same
//! [`Engine`] the console and the bot call, and answer a rendering of what it returns. Around
//! them, from the outside in: metrics (every request counted and timed), a panic guard (500,
//! never a backtrace), then — for the working routes, not `/healthz` and `/metrics` — the bound
//! on requests in flight (503) and the deadline (408); bodies are read with a 64 KiB limit (413)
//! (`limits.rs`, `problem.rs`).
//!
//! [`serve`] takes a bound listener and a shutdown future, so tests run a real server on an
//! ephemeral port and stop it when they choose; [`run`] is `netboard serve`: it binds the
//! address, and stops on SIGINT or SIGTERM, draining the requests in flight (each bounded by the
//! request timeout) before it returns.
//!
//! The service keeps no conversation in memory: a request is answered from its own content, or,
//! with a `case_id`, from the case store. Any number of processes can serve behind a load
//! balancer (with one shared store file per host for `case_id`).

mod api;
mod cds;
mod fingerprint;
mod limits;
mod metrics;
mod openapi;
mod problem;

pub use cds::{HOOK, SERVICE_ID};
pub use limits::{Limits, BODY_LIMIT};

use crate::engine::Engine;
use crate::store::{self, CaseStore};
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use metrics::Metrics;
use problem::Problem;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;

/// How often expired cases are deleted from the store.
const PURGE_EVERY: Duration = Duration::from_secs(15 * 60);

/// Everything a running service shares between requests. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Arc<Engine>,
    store: CaseStore,
    /// Held from load to save of a `case_id`, so concurrent follow-ups are not lost.
    cases: Mutex<()>,
    metrics: Arc<Metrics>,
    limits: Limits,
    pages: Pages,
}

/// Responses that never change while the process runs, rendered once.
struct Pages {
    options: Bytes,
    sources: Bytes,
    knowledge: Bytes,
    discovery: Bytes,
    openapi: Bytes,
}

impl Service {
    /// A service deciding with `engine`, loaded from the data directory `data_dir` (whose files
    /// it hashes for `/v1/knowledge`), keeping `case_id` cases in `store`.
    pub fn new(
        engine: Arc<Engine>,
        data_dir: &Path,
        store: CaseStore,
        limits: Limits,
    ) -> Result<Service, String> {
        let fingerprint = fingerprint::fingerprint(data_dir)
            .map_err(|e| format!("cannot hash the data files for /v1/knowledge: {e}"))?;
        let knowledge = engine.knowledge();
        let page = |value: serde_json::Value| Bytes::from(value.to_string());
        let pages = Pages {
            options: page(api::options_page(knowledge)),
            sources: page(api::sources_page(knowledge)),
            knowledge: page(api::knowledge_page(knowledge, &fingerprint)),
            discovery: page(cds::discovery()),
            openapi: page(openapi::document()),
        };
        Ok(Service {
            shared: Arc::new(Shared {
                engine,
                store,
                cases: Mutex::new(()),
                metrics: Arc::default(),
                limits,
                pages,
            }),
        })
    }
}

/// The service's routes with all their layers; `serve` runs it, benches call it in process.
pub fn router(service: Service) -> Router {
    let limits = service.shared.limits;
    let permits = Arc::new(Semaphore::new(limits.max_in_flight));
    let working = Router::new()
        .route("/v1/advice", post(api::advice))
        .route("/v1/options", get(api::options))
        .route("/v1/sources", get(api::sources))
        .route("/v1/knowledge", get(api::knowledge))
        .route("/openapi.json", get(openapi::serve))
        .route("/cds-services", get(cds::services))
        .route("/cds-services/{id}", post(cds::call))
        .route("/cds-services/{id}/feedback", post(cds::feedback))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            limits.timeout,
            limits::deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            permits,
            limits::bounded,
        ));
    let watching = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::serve));
    let metrics = service.shared.metrics.clone();
    working
        .merge(watching)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(service)
        .layer(CatchPanicLayer::custom(limits::panicked))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::track,
        ))
}

async fn not_found() -> Problem {
    Problem::new(
        axum::http::StatusCode::NOT_FOUND,
        "no such route; GET /openapi.json lists them",
    )
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take that method; GET /openapi.json lists them",
    )
}

/// Serves `service` on `listener` until `shutdown` completes, then stops accepting and drains the
/// requests in flight before returning.
pub async fn serve(
    listener: TcpListener,
    service: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The configuration of `netboard serve` read from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub limits: Limits,
    /// The case store file (`NETBOARD_DB`).
    pub store: PathBuf,
    /// How long a `case_id`'s case lives after its last request (`NETBOARD_CASE_TTL`).
    pub ttl: Duration,
}

impl Config {
    /// Reads `NETBOARD_MAX_IN_FLIGHT`, `NETBOARD_REQUEST_TIMEOUT_MS`, `NETBOARD_DB` and
    /// `NETBOARD_CASE_TTL`; a bad value is an error that names the variable.
    pub fn from_env() -> Result<Config, String> {
        Ok(Config {
            limits: Limits::from_env()?,
            store: CaseStore::default_path(),
            ttl: store::ttl_from_env()?,
        })
    }
}

/// `netboard serve`: serves on `addr` until SIGINT or SIGTERM.
pub fn run(addr: &str, config: Config, engine: Engine, data_dir: &Path) -> Result<(), String> {
    let store = CaseStore::open(&config.store, config.ttl).map_err(|e| e.to_string())?;
    let service = Service::new(Arc::new(engine), data_dir, store, config.limits)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}; pick another with --addr"))?;
        let local = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        eprintln!(
            "netboard: serving on http://{local} (at most {} requests in flight, {} ms each); \
             Ctrl-C or SIGTERM stops it",
            config.limits.max_in_flight,
            config.limits.timeout.as_millis()
        );
        tokio::spawn(purge_expired(service.clone()));
        serve(listener, service, stop_signal())
            .await
            .map_err(|e| format!("the server failed: {e}"))?;
        eprintln!("netboard: stopped; every request in flight was answered");
        Ok(())
    })
}

/// Deletes expired cases now and then; expired cases already read as absent, this frees space.
async fn purge_expired(service: Service) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        let shared = service.shared.clone();
        let purged = tokio::task::spawn_blocking(move || shared.store.purge_expired()).await;
        if let Ok(Err(e)) = purged {
            eprintln!("netboard serve: purging expired cases failed: {e}");
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    eprintln!("netboard: stopping; draining the requests in flight");
}
