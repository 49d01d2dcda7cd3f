//! The HTTP service as its callers meet it: a real server on an ephemeral port per test, a real
//! HTTP client (ureq), and raw sockets where a test must hold a request in flight.
//!
//! - the JSON API: advice from words, from features and continuing a `case_id`; the catalogue
//!   pages and the knowledge hash; golden answers in `tests/golden/http/` (`UPDATE_GOLDEN=1`);
//! - CDS Hooks: discovery, cards (the spec's rules walked over the JSON), feedback recorded
//!   without its text;
//! - limits and bad input: every 400 names its field, 413, 404/405, 503 beyond the bound while
//!   `/healthz` still answers, 408 for a body never sent, hostile bodies, graceful shutdown that
//!   answers the requests in flight;
//! - `/openapi.json` against every real response, validated with its own schemas;
//! - remote mode: the console deciding through a served engine answers exactly as in process,
//!   and says so plainly — then retries — when the service is unreachable;
//! - the binary: `netboard serve` says where it listens and exits 0 on SIGTERM, a bad limit is
//!   exit code 2; the console with `NETBOARD_DECISION_URL` prints what it prints in process.
//!
//! No test sleeps in the hope that something happened: a request is known to be in flight when
//! `/metrics` counts it, and every wait has a deadline.

#![cfg(feature = "http")]

mod support;

use netboard::case::wire;
use netboard::engine::{data_dir, Conversation, Engine, Reply};
use netboard::render;
use netboard::store::CaseStore;
use netboard::transport::console;
use netboard::transport::http::{serve, Limits, Service, BODY_LIMIT, SERVICE_ID};
use netboard::transport::remote::RemoteDecider;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

static ENGINE: LazyLock<Arc<Engine>> =
    LazyLock::new(|| Arc::new(Engine::load(&data_dir()).unwrap_or_else(|e| panic!("{e}"))));

const EXAMPLE: &str =
    "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?";

/// A fixed hook call, so card ids are reproducible in golden files.
const HOOK_INSTANCE: &str = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea";

/// How long any wait in these tests may take before it fails.
const DEADLINE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// The server and the client

/// A served engine on its own runtime thread; stops (draining) when dropped.
struct TestServer {
    addr: SocketAddr,
    store: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

/// A fresh store file for one test.
fn scratch_store(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "netboard-http-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("cases.sqlite3")
}

impl TestServer {
    fn start(name: &str) -> TestServer {
        TestServer::on("127.0.0.1:0", scratch_store(name), Limits::default())
    }

    fn with_limits(name: &str, limits: Limits) -> TestServer {
        TestServer::on("127.0.0.1:0", scratch_store(name), limits)
    }

    fn on(addr: &str, store: PathBuf, limits: Limits) -> TestServer {
        let cases = CaseStore::open(&store, Duration::from_secs(3600)).unwrap();
        let service = Service::new(ENGINE.clone(), &data_dir(), cases, limits).unwrap();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let addr = addr.to_string();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&addr).await?;
                bound_tx.send(listener.local_addr()?).unwrap();
                serve(listener, service, async {
                    let _ = stopped.await;
                })
                .await
            })
        });
        let addr = bound_rx.recv_timeout(DEADLINE).expect("the server binds");
        TestServer {
            addr,
            store,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signals shutdown without waiting for it.
    fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals shutdown and waits until the server has drained and returned.
    fn stop(mut self) -> std::io::Result<()> {
        self.signal_stop();
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.signal_stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A status, the content type, and the body.
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(DEADLINE))
        .build()
        .into()
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    Answer {
        status: response.status().as_u16(),
        content_type,
        body: response.body_mut().read_to_string().unwrap(),
    }
}

fn get(server: &TestServer, path: &str) -> Answer {
    read(agent().get(&server.url(path)).call().unwrap())
}

fn post(server: &TestServer, path: &str, body: &str) -> Answer {
    let response = agent()
        .post(&server.url(path))
        .header("content-type", "application/json")
        .send(body)
        .unwrap();
    read(response)
}

fn post_json(server: &TestServer, path: &str, body: &Value) -> Answer {
    post(server, path, &body.to_string())
}

fn method(server: &TestServer, method: &str, path: &str) -> Answer {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(server.url(path))
        .body(())
        .unwrap();
    read(agent().run(request).unwrap())
}

/// A request sent whole but for the last byte of its body, so the server holds it in flight.
struct Held {
    stream: TcpStream,
    last: u8,
}

fn hold(server: &TestServer, path: &str, body: &str) -> Held {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr,
        body.len()
    );
    let (all_but_last, last) = body.as_bytes().split_at(body.len() - 1);
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(all_but_last).unwrap();
    stream.flush().unwrap();
    Held {
        stream,
        last: last[0],
    }
}

impl Held {
    /// Sends the last byte and reads the answer.
    fn finish(mut self) -> Answer {
        self.stream.write_all(&[self.last]).unwrap();
        raw_answer(self.stream)
    }

    /// Reads the answer without sending the rest (for the timeout).
    fn answer(self) -> Answer {
        raw_answer(self.stream)
    }
}

fn raw_answer(mut stream: TcpStream) -> Answer {
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        body: body.to_string(),
    }
}

/// The value of a metric line (the whole series, labels included) in `/metrics`.
fn metric(server: &TestServer, series: &str) -> Option<f64> {
    let text = get(server, "/metrics").body;
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Waits, up to the deadline, until `ready` holds.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `n` requests besides the `/metrics` request asking are in flight.
fn wait_in_flight(server: &TestServer, n: usize) {
    wait_for(&format!("{n} requests in flight"), || {
        metric(server, "netboard_http_requests_in_flight") == Some(n as f64 + 1.0)
    });
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

fn hook_call(features: Value) -> Value {
    json!({
        "hook": netboard::transport::http::HOOK,
        "hookInstance": HOOK_INSTANCE,
        "fhirServer": "https://ehr.example/fhir",
        "context": {"userId": "Practitioner/123", "caseFeatures": features}
    })
}

fn features_of(text: &str) -> Value {
    wire::to_json(&ENGINE.ask(text).case)
}

// ---------------------------------------------------------------------------------------------
// The JSON API

#[test]
fn advice_from_words_is_the_advice_document() {
    let server = TestServer::start("advice-words");
    let answer = post_json(&server, "/v1/advice", &json!({ "text": EXAMPLE }));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "application/json");
    let doc = answer.json();
    assert_eq!(
        doc,
        render::json(&ENGINE.ask(EXAMPLE)),
        "as `ask --json` answers"
    );
    support::golden("http/advice-words.json", &pretty(&doc));
}

#[test]
fn advice_from_features_decides_as_the_words_do() {
    let server = TestServer::start("advice-features");
    let text = "Is she a PRRT candidate? dotatate negative, FDG positive pNET";
    let in_process = ENGINE.ask(text);
    let request = json!({
        "features": features_of(text),
        "intent": "eligibility",
        "asked_options": ["prrt_lu177"],
    });
    let doc = post_json(&server, "/v1/advice", &request).json();
    let decision = render::decision(&doc).unwrap();
    assert_eq!(decision.advice, in_process.advice);
    assert_eq!(doc["intent"], "eligibility");
    support::golden("http/advice-features.json", &pretty(&doc));
}

#[test]
fn a_case_id_continues_the_case_like_a_thread_and_outlives_the_process() {
    let mut server = TestServer::start("case-id");
    let first = post_json(
        &server,
        "/v1/advice",
        &json!({"text": "pNET G2, 3 liver mets, dotatate avid", "case_id": "consult-7"}),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    // Another case is its own.
    post_json(
        &server,
        "/v1/advice",
        &json!({"text": "SBNET with bone mets", "case_id": "consult-8"}),
    );
    // Restart on the same store: the case is still there.
    let store = server.store.clone();
    server.signal_stop();
    drop(server);
    let server = TestServer::on("127.0.0.1:0", store, Limits::default());
    let follow_up = json!({"features": {"sstr_imaging": {"value": "negative", "certainty": "stated"}},
        "case_id": "consult-7"});
    let doc = post_json(&server, "/v1/advice", &follow_up).json();

    let mut thread = Conversation::default();
    ENGINE.answer(&mut thread, "pNET G2, 3 liver mets, dotatate avid");
    let expected = ENGINE.answer_features(
        &mut thread,
        Default::default(),
        wire::from_json("features", &follow_up["features"]).unwrap(),
    );
    assert_eq!(render::decision(&doc).unwrap().advice, expected.advice);
    assert_eq!(doc["features"]["sstr_imaging"]["value"], "negative");
    assert_eq!(
        doc["features"]["grade"]["value"], "G2",
        "kept from the first request"
    );
    assert!(
        doc["features"].get("bone_metastases").is_none(),
        "not consult-8's"
    );
    assert_eq!(
        doc["features"]["grade"]["text"], "",
        "the store keeps no words"
    );

    let reset = post_json(
        &server,
        "/v1/advice",
        &json!({"text": "reset", "case_id": "consult-7"}),
    );
    assert_eq!(reset.json()["features"], json!({}));
    let after = post_json(
        &server,
        "/v1/advice",
        &json!({"text": "options?", "case_id": "consult-7"}),
    );
    assert_eq!(
        after.json()["features"],
        json!({}),
        "reset cleared the stored case"
    );
}

#[test]
fn the_catalogue_pages_and_the_knowledge_hash() {
    let server = TestServer::start("pages");
    let health = get(&server, "/healthz");
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );

    let options = get(&server, "/v1/options").json();
    let ids: Vec<&str> = options["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let all: Vec<&str> = netboard::question::OptionId::ALL
        .iter()
        .map(|o| o.name())
        .collect();
    assert_eq!(ids, all);

    let sources = get(&server, "/v1/sources").json();
    assert_eq!(
        sources["sources"].as_array().unwrap().len(),
        ENGINE.knowledge().sources().count()
    );
    assert!(sources["sources"][0]["citation"].is_string());

    let knowledge = get(&server, "/v1/knowledge").json();
    assert_eq!(knowledge["version"], ENGINE.knowledge().version.as_str());
    assert_eq!(knowledge["reviewed"], ENGINE.knowledge().reviewed.as_str());
    let files: Vec<String> = knowledge["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert!(
        files.contains(&"knowledge/rules/liver.toml".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"intents/tumour.toml".to_string()),
        "{files:?}"
    );
    // The documented scheme, computed here independently.
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for file in &files {
        let bytes = std::fs::read(data_dir().join(file)).unwrap();
        hasher.update(file.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(knowledge["content_hash"], format!("sha256:{hex}"));
}

#[test]
fn metrics_count_requests_by_route_and_status_with_latency() {
    let server = TestServer::start("metrics");
    post_json(&server, "/v1/advice", &json!({"text": EXAMPLE}));
    post(&server, "/v1/advice", "{");
    get(&server, "/nowhere");
    let metrics = get(&server, "/metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.content_type.starts_with("text/plain"),
        "{}",
        metrics.content_type
    );
    let count = |series: &str| metric(&server, series).unwrap_or_else(|| panic!("no {series}"));
    assert_eq!(
        count("netboard_http_requests_total{route=\"/v1/advice\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        count("netboard_http_requests_total{route=\"/v1/advice\",status=\"400\"}"),
        1.0
    );
    assert_eq!(
        count("netboard_http_requests_total{route=\"unmatched\",status=\"404\"}"),
        1.0
    );
    assert_eq!(
        count("netboard_http_request_duration_seconds_count{route=\"/v1/advice\"}"),
        2.0
    );
    assert_eq!(
        count("netboard_http_request_duration_seconds_bucket{route=\"/v1/advice\",le=\"+Inf\"}"),
        2.0
    );
    assert_eq!(
        count("netboard_http_requests_in_flight"),
        1.0,
        "this request"
    );
}

// ---------------------------------------------------------------------------------------------
// CDS Hooks

#[test]
fn cds_discovery_lists_the_consult_service() {
    let server = TestServer::start("cds-discovery");
    let doc = get(&server, "/cds-services").json();
    support::no_empties("$", &doc).unwrap();
    assert_eq!(doc["services"][0]["id"], SERVICE_ID);
    assert_eq!(doc["services"][0]["hook"], "org.netboard.net-case-consult");
    support::golden("http/cds-discovery.json", &pretty(&doc));
}

#[test]
fn cds_cards_keep_the_spec_rules_for_every_kind_of_case() {
    let server = TestServer::start("cds-call");
    let path = format!("/cds-services/{SERVICE_ID}");
    let cases = [
        EXAMPLE,
        "Large cell neuroendocrine carcinoma, Ki-67 70%, liver and nodal mets",
        "multiple painful bone mets (ribs, sacrum, femur) from midgut NET; also liver mets",
        "ileal NET, diffuse bilobar liver mets, SSTR+, progressing on octreotide, s/p Whipple",
        "thanks",
    ];
    for text in cases {
        let answer = post_json(&server, &path, &hook_call(features_of(text)));
        assert_eq!(answer.status, 200, "{text}: {}", answer.body);
        let doc = answer.json();
        if let Err(fault) = support::cds_rules(&doc) {
            panic!("{text}: {fault}\n{doc:#}");
        }
        let in_process = ENGINE.answer_features(
            &mut Conversation::default(),
            Default::default(),
            wire::from_json("f", &features_of(text)).unwrap(),
        );
        let info = doc["cards"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["indicator"] == "info")
            .count();
        assert_eq!(
            info,
            in_process.advice.options.len(),
            "{text}: one card per option"
        );
        let label = doc["cards"][0]["source"]["label"].as_str().unwrap();
        assert!(
            label.contains("netboard") && label.contains(&ENGINE.knowledge().version),
            "{label}"
        );
        let advice = &doc["extension"][render::EXTENSION];
        assert_eq!(
            advice["knowledge_version"],
            ENGINE.knowledge().version.as_str()
        );
    }
    let doc = post_json(&server, &path, &hook_call(features_of(EXAMPLE))).json();
    support::golden("http/cds-call.json", &pretty(&doc));
}

#[test]
fn cds_feedback_is_recorded_without_its_text() {
    let server = TestServer::start("cds-feedback");
    let path = format!("/cds-services/{SERVICE_ID}");
    let cards = post_json(&server, &path, &hook_call(features_of(EXAMPLE))).json();
    let card = cards["cards"][0]["uuid"].as_str().unwrap().to_string();
    let feedback = json!({"feedback": [
        {"card": card, "outcome": "accepted", "outcomeTimestamp": "2026-11-29T08:00:00Z"},
        {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-29T08:01:00Z",
         "overrideReason": {"reason": {"code": "not-applicable", "system": "https://ehr.example"},
                            "userComment": "Mrs Smith declined surgery"}}
    ]});
    let answer = post_json(&server, &format!("{path}/feedback"), &feedback);
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"recorded": 2}))
    );
    let series = |outcome: &str| {
        format!("netboard_cds_feedback_total{{service=\"{SERVICE_ID}\",outcome=\"{outcome}\"}}")
    };
    assert_eq!(metric(&server, &series("accepted")), Some(1.0));
    assert_eq!(metric(&server, &series("overridden")), Some(1.0));
    let metrics = get(&server, "/metrics").body;
    assert!(!metrics.contains("Smith") && !metrics.contains("not-applicable"));
}

// ---------------------------------------------------------------------------------------------
// Bad input and limits

#[test]
fn every_bad_request_is_400_naming_the_field_and_why() {
    let server = TestServer::start("bad-requests");
    let cds = format!("/cds-services/{SERVICE_ID}");
    let feedback = format!("{cds}/feedback");
    let good_call = hook_call(json!({}));
    let mut wrong_hook = good_call.clone();
    wrong_hook["hook"] = "patient-view".into();
    let mut bad_instance = good_call.clone();
    bad_instance["hookInstance"] = "42".into();
    let mut no_user = good_call.clone();
    no_user["context"].as_object_mut().unwrap().remove("userId");
    let cases: Vec<(&str, &str, String)> = vec![
        ("malformed JSON", "/v1/advice", "{\"text\": ".into()),
        ("trailing bytes", "/v1/advice", "{\"text\": \"x\"} {}".into()),
        ("not an object", "/v1/advice", "[1, 2]".into()),
        ("unknown field", "/v1/advice", json!({"txt": "pNET"}).to_string()),
        ("text of the wrong type", "/v1/advice", json!({"text": 3}).to_string()),
        ("neither text nor features", "/v1/advice", json!({}).to_string()),
        ("both text and features", "/v1/advice", json!({"text": "a", "features": {}}).to_string()),
        ("intent with words", "/v1/advice", json!({"text": "a", "intent": "compare"}).to_string()),
        ("unknown intent", "/v1/advice", json!({"features": {}, "intent": "prognosis"}).to_string()),
        ("unknown option", "/v1/advice", json!({"features": {}, "asked_options": ["laser"]}).to_string()),
        ("unknown feature", "/v1/advice", json!({"features": {"liver_mets": {"value": 3}}}).to_string()),
        ("unknown value", "/v1/advice", json!({"features": {"grade": {"value": "G4"}}}).to_string()),
        ("value of the wrong kind", "/v1/advice", json!({"features": {"ecog": {"value": "one"}}}).to_string()),
        ("bad certainty", "/v1/advice", json!({"features": {"grade": {"value": "G2", "certainty": "likely"}}}).to_string()),
        ("bad case id", "/v1/advice", json!({"text": "a", "case_id": "a b/c"}).to_string()),
        ("CDS: wrong hook", &cds, wrong_hook.to_string()),
        ("CDS: hookInstance not a UUID", &cds, bad_instance.to_string()),
        ("CDS: no userId", &cds, no_user.to_string()),
        ("CDS: unknown feature", &cds, hook_call(json!({"ki67": {"value": 5}})).to_string()),
        ("feedback: no entries", &feedback, json!({"feedback": []}).to_string()),
        ("feedback: card not a UUID", &feedback,
            json!({"feedback": [{"card": "x", "outcome": "accepted", "outcomeTimestamp": "t"}]}).to_string()),
        ("feedback: unknown outcome", &feedback,
            json!({"feedback": [{"card": HOOK_INSTANCE, "outcome": "ignored", "outcomeTimestamp": "t"}]}).to_string()),
    ];
    let mut transcript = String::new();
    for (what, path, body) in cases {
        let answer = post(&server, path, &body);
        assert_eq!(answer.status, 400, "{what}: {}", answer.body);
        assert_eq!(answer.content_type, "application/json", "{what}");
        let doc = answer.json();
        assert!(
            doc["field"].as_str().is_some_and(|f| !f.is_empty()),
            "{what}: {doc}"
        );
        assert!(
            doc["why"].as_str().is_some_and(|w| !w.is_empty()),
            "{what}: {doc}"
        );
        transcript.push_str(&format!("{what}\n  POST {path} {body}\n  → {doc}\n"));
    }
    support::golden("http/bad-requests.txt", &transcript);
}

#[test]
fn bodies_over_64_kib_are_413_and_64_kib_is_accepted() {
    let server = TestServer::start("body-limit");
    let fits = |len: usize| {
        let skeleton = json!({"text": ""}).to_string();
        json!({"text": "a".repeat(len - skeleton.len())}).to_string()
    };
    assert_eq!(fits(BODY_LIMIT).len(), BODY_LIMIT);
    let at_limit = post(&server, "/v1/advice", &fits(BODY_LIMIT));
    assert_eq!(at_limit.status, 200, "{}", at_limit.body);
    let cds = format!("/cds-services/{SERVICE_ID}");
    for path in ["/v1/advice", cds.as_str(), &format!("{cds}/feedback")] {
        let answer = post(&server, path, &fits(BODY_LIMIT + 1));
        assert_eq!(answer.status, 413, "{path}: {}", answer.body);
        assert!(answer.json()["why"].as_str().unwrap().contains("65536"));
    }
}

#[test]
fn unknown_routes_services_and_methods_answer_in_json() {
    let server = TestServer::start("not-found");
    for (answer, status) in [
        (get(&server, "/v2/advice"), 404),
        (post(&server, "/cds-services/other-service", "{}"), 404),
        (method(&server, "GET", "/v1/advice"), 405),
        (method(&server, "DELETE", "/v1/options"), 405),
    ] {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.json()["status"], status);
    }
}

#[test]
fn hostile_bodies_get_an_answer_never_a_panic() {
    let server = TestServer::start("hostile");
    // Hostile in shape, not size: every body stays under the 64 KiB limit (the size limit has its
    // own test), so the server reads each one whole and no client is cut off mid-send.
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let emoji = json!({"text": "🧬 pNET G2 ".repeat(3000)}).to_string();
    let binary: String = (0..4000u32)
        .map(|i| char::from_u32(i % 0xD7FF + 1).unwrap())
        .collect();
    let bodies = [
        deep.clone(),
        format!("{{\"features\": {deep}}}"),
        "{\"features\": {\"ki67_percent\": {\"value\": 1e999}}}".to_string(),
        json!({"features": {"liver_lesion_count": {"value": 1.5}}}).to_string(),
        json!({"features": {"ki67_percent": {"value": null}}}).to_string(),
        emoji,
        json!({"text": binary}).to_string(),
        "\u{0}\u{1}\u{2}".to_string(),
    ];
    let cds = format!("/cds-services/{SERVICE_ID}");
    for body in &bodies {
        assert!(body.len() < BODY_LIMIT, "{} bytes", body.len());
        for path in ["/v1/advice", cds.as_str()] {
            let answer = post(&server, path, body);
            assert!(
                [200, 400, 413].contains(&answer.status),
                "{path}: {} {}",
                answer.status,
                answer.body
            );
            assert!(!answer.body.contains("panicked") && !answer.body.contains("src/"));
            answer.json();
        }
    }
    assert_eq!(get(&server, "/healthz").status, 200, "still serving");
}

#[test]
fn beyond_the_bound_requests_are_503_while_health_and_metrics_answer() {
    let limits = Limits {
        max_in_flight: 2,
        timeout: Duration::from_secs(60),
    };
    let server = TestServer::with_limits("busy", limits);
    let body = json!({"text": EXAMPLE}).to_string();
    let held = [
        hold(&server, "/v1/advice", &body),
        hold(&server, "/v1/advice", &body),
    ];
    wait_in_flight(&server, 2);
    let cds = format!("/cds-services/{SERVICE_ID}");
    for (path, busy) in [
        ("/v1/advice", post(&server, "/v1/advice", &body)),
        ("/v1/options", get(&server, "/v1/options")),
        ("/cds-services", get(&server, "/cds-services")),
        (
            cds.as_str(),
            post_json(&server, &cds, &hook_call(json!({}))),
        ),
    ] {
        assert_eq!(busy.status, 503, "{path}: {}", busy.body);
        assert!(busy.json()["why"].as_str().unwrap().contains("in flight"));
    }
    assert_eq!(get(&server, "/healthz").status, 200);
    for request in held {
        let answer = request.finish();
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_eq!(post(&server, "/v1/advice", &body).status, 200, "room again");
}

#[test]
fn a_body_that_never_arrives_is_408() {
    let limits = Limits {
        max_in_flight: 8,
        timeout: Duration::from_millis(300),
    };
    let server = TestServer::with_limits("timeout", limits);
    let started = Instant::now();
    let answer = hold(&server, "/v1/advice", &json!({"text": EXAMPLE}).to_string()).answer();
    assert_eq!(answer.status, 408, "{}", answer.body);
    assert!(answer.json()["why"].as_str().unwrap().contains("300 ms"));
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn shutdown_stops_accepting_and_answers_the_requests_in_flight() {
    let mut server = TestServer::with_limits(
        "shutdown",
        Limits {
            max_in_flight: 8,
            timeout: Duration::from_secs(60),
        },
    );
    let held = hold(&server, "/v1/advice", &json!({"text": EXAMPLE}).to_string());
    wait_in_flight(&server, 1);
    server.signal_stop();
    let addr = server.addr;
    wait_for("the listener to close", || {
        TcpStream::connect(addr).is_err()
    });
    let answer = held.finish();
    assert_eq!(answer.status, 200, "drained: {}", answer.body);
    assert_eq!(answer.json()["intent"], "options");
    server.stop().expect("serve returns cleanly");
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document against real responses

#[test]
fn openapi_describes_every_real_response() {
    let server = TestServer::start("openapi");
    let busy = TestServer::with_limits(
        "openapi-busy",
        Limits {
            max_in_flight: 1,
            timeout: Duration::from_secs(60),
        },
    );
    let slow = TestServer::with_limits(
        "openapi-slow",
        Limits {
            max_in_flight: 8,
            timeout: Duration::from_millis(200),
        },
    );
    let doc = get(&server, "/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    let cds = format!("/cds-services/{SERVICE_ID}");
    let feedback = format!("{cds}/feedback");
    let advice = json!({"text": EXAMPLE}).to_string();
    let call = hook_call(features_of(EXAMPLE)).to_string();
    let card = json!({"feedback": [{"card": HOOK_INSTANCE, "outcome": "accepted",
        "outcomeTimestamp": "2026-11-29T08:00:00Z"}]})
    .to_string();
    let big = json!({"text": "a".repeat(BODY_LIMIT)}).to_string();
    let bad = "{\"features\": {\"grade\": {\"value\": \"G4\"}}}".to_string();

    // (method, documented path, real path, status, answer)
    let mut seen: Vec<(&str, &str, u16, Answer)> = Vec::new();
    for (template, path, body) in [
        ("/v1/advice", "/v1/advice", &advice),
        ("/cds-services/{id}", cds.as_str(), &call),
        ("/cds-services/{id}/feedback", feedback.as_str(), &card),
    ] {
        seen.push(("post", template, 200, post(&server, path, body)));
        seen.push(("post", template, 400, post(&server, path, &bad)));
        seen.push(("post", template, 413, post(&server, path, &big)));
        let timed_out = hold(&slow, path, body).answer();
        seen.push(("post", template, 408, timed_out));
        if template != "/v1/advice" {
            let other = path.replace(SERVICE_ID, "no-such-service");
            seen.push(("post", template, 404, post(&server, &other, body)));
        }
    }
    for path in [
        "/v1/options",
        "/v1/sources",
        "/v1/knowledge",
        "/openapi.json",
        "/healthz",
        "/metrics",
        "/cds-services",
    ] {
        seen.push(("get", path, 200, get(&server, path)));
    }
    let held = hold(&busy, "/v1/advice", &advice);
    wait_in_flight(&busy, 1);
    for (verb, path, body) in [
        ("post", "/v1/advice", Some(&advice)),
        ("post", "/cds-services/{id}", Some(&call)),
        ("post", "/cds-services/{id}/feedback", Some(&card)),
        ("get", "/v1/options", None),
        ("get", "/v1/sources", None),
        ("get", "/v1/knowledge", None),
        ("get", "/openapi.json", None),
        ("get", "/cds-services", None),
    ] {
        let real = path.replace("{id}", SERVICE_ID);
        let answer = match body {
            Some(body) => post(&busy, &real, body),
            None => get(&busy, &real),
        };
        seen.push((verb, path, 503, answer));
    }
    assert_eq!(held.finish().status, 200);

    // Every documented (method, path, status) was seen, and every one seen is documented.
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (verb, operation) in item.as_object().unwrap() {
            for status in operation["responses"].as_object().unwrap().keys() {
                if let Ok(status) = status.parse::<u16>() {
                    documented.push((verb.clone(), path.clone(), status));
                }
            }
        }
    }
    let mut exercised: Vec<_> = seen
        .iter()
        .map(|(v, p, s, _)| (v.to_string(), p.to_string(), *s))
        .collect();
    documented.sort();
    exercised.sort();
    assert_eq!(documented, exercised);

    // Every real response has its documented status and validates against its schema.
    for (verb, path, status, answer) in &seen {
        assert_eq!(answer.status, *status, "{verb} {path}: {}", answer.body);
        let response = &doc["paths"][*path][*verb]["responses"][status.to_string()];
        let (media, content) = response["content"]
            .as_object()
            .and_then(|c| c.iter().next())
            .unwrap_or_else(|| panic!("{verb} {path} {status}: no content documented"));
        assert!(
            answer.content_type.starts_with(media.as_str()),
            "{verb} {path} {status}: {} is not {media}",
            answer.content_type
        );
        if media != "application/json" {
            continue;
        }
        let mut schema = content["schema"].clone();
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema".into();
        schema["components"] = doc["components"].clone();
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{verb} {path} {status}: the schema does not compile: {e}"));
        let instance = answer.json();
        let faults: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .take(5)
            .collect();
        assert!(
            faults.is_empty(),
            "{verb} {path} {status} does not match its schema:\n{}",
            faults.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Remote mode

/// A chat thread as the console reads it: a case, follow-ups, a named-option question, a reset.
const THREAD: &str =
    "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?\n\
    actually 5 liver mets, bilobar, and a bone met\n\
    is she a PRRT candidate? eGFR 35, plt 90\n\
    what are the risks of Y90?\n\
    thanks\n\
    reset\n\
    Large cell neuroendocrine carcinoma, Ki-67 70%, liver and nodal mets\n";

#[test]
fn remote_mode_answers_exactly_as_in_process() {
    let server = TestServer::start("remote");
    let remote = RemoteDecider::new(&server.url("")).unwrap();
    let run = |decider: &dyn netboard::engine::Decider| {
        let mut out = Vec::new();
        console::run(&ENGINE, decider, THREAD.as_bytes(), &mut out, false).unwrap();
        String::from_utf8(out).unwrap()
    };
    let in_process = run(ENGINE.as_ref());
    let remote_answers = run(&remote);
    assert!(
        in_process.contains("Options (best fit first)"),
        "{in_process}"
    );
    if in_process != remote_answers {
        panic!(
            "remote mode differs from in process:\n{}",
            support::diff(&in_process, &remote_answers)
        );
    }
    let sent = metric(
        &server,
        "netboard_http_requests_total{route=\"/v1/advice\",status=\"200\"}",
    );
    // Every message but `reset` is decided by the service; the two follow-ups that change the
    // case also have the case as it was decided, for the options whose fit changed.
    assert_eq!(sent, Some(8.0), "every decision came from the service");
}

#[test]
fn remote_mode_says_plainly_when_the_service_is_unreachable_and_retries() {
    // A port nothing listens on: bound, then released.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let remote = RemoteDecider::new(&format!("http://{addr}")).unwrap();
    let mut thread = Conversation::default();
    let error = ENGINE
        .answer_with(&remote, &mut thread, EXAMPLE)
        .expect_err("nothing listens");
    let said = render::no_decision(&error);
    assert!(said.contains(&format!("http://{addr}")), "{said}");
    assert!(said.contains("cannot be reached"), "{said}");
    assert!(said.contains("send it again"), "{said}");
    assert!(thread.case.is_empty(), "a failed message changes nothing");

    // The service comes up on that port; the next message is answered.
    let _server = TestServer::on(
        &addr.to_string(),
        scratch_store("remote-retry"),
        Limits::default(),
    );
    let Ok(Reply::Answer(answer)) = ENGINE.answer_with(&remote, &mut thread, EXAMPLE) else {
        panic!("the retry is answered");
    };
    let Reply::Answer(expected) = ENGINE.answer(&mut Conversation::default(), EXAMPLE) else {
        unreachable!()
    };
    assert_eq!(render::plain(&answer), render::plain(&expected));
}

// ---------------------------------------------------------------------------------------------
// The binary

fn netboard_serve(env: &[(&str, &str)]) -> std::process::Child {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_netboard"));
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("NETBOARD_DB", scratch_store("binary"))
        .env_remove("NETBOARD_MAX_IN_FLIGHT")
        .env_remove("NETBOARD_REQUEST_TIMEOUT_MS")
        .env_remove("NETBOARD_CASE_TTL")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("the binary runs")
}

/// The child's standard error, line by line, readable with a deadline.
fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    received
}

#[test]
fn netboard_serve_listens_and_drains_on_sigterm() {
    let mut child = netboard_serve(&[]);
    let lines = stderr_lines(&mut child);
    let first = lines
        .recv_timeout(DEADLINE)
        .expect("it says where it listens");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no address in: {first}"));
    let health = read(
        agent()
            .get(&format!("http://{addr}/healthz"))
            .call()
            .unwrap(),
    );
    assert_eq!(health.status, 200);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    // The child has exited: its standard error ends, and the reader with it.
    let rest: Vec<String> = lines.iter().collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

#[test]
fn netboard_serve_refuses_a_bad_limit_with_exit_code_2() {
    let mut child = netboard_serve(&[("NETBOARD_MAX_IN_FLIGHT", "lots")]);
    let lines = stderr_lines(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let message = lines.recv_timeout(DEADLINE).unwrap();
    assert!(
        message.contains("NETBOARD_MAX_IN_FLIGHT") && message.contains("`lots`"),
        "{message}"
    );
}

/// The console as the binary runs it, with `env`, fed `transcript`.
fn console_binary(env: &[(&str, &str)], transcript: &str) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_netboard"));
    command
        .env_remove("DISCORD_TOKEN")
        .env_remove("NETBOARD_DECISION_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(transcript.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_console_in_remote_mode_reads_as_in_process_and_reports_an_unreachable_service() {
    let server = TestServer::start("remote-binary");
    let url = server.url("");
    let in_process = console_binary(&[], THREAD);
    let remote = console_binary(&[("NETBOARD_DECISION_URL", &url)], THREAD);
    assert!(in_process.status.success() && remote.status.success());
    let text = |o: &std::process::Output| String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(text(&remote), text(&in_process));
    let said = String::from_utf8_lossy(&remote.stderr);
    assert!(
        said.contains("remote mode") && said.contains(&url),
        "{said}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = console_binary(
        &[("NETBOARD_DECISION_URL", &format!("http://{closed}"))],
        "pNET G2, 3 liver mets\n",
    );
    assert!(
        down.status.success(),
        "one bad message never stops the console"
    );
    assert!(text(&down).contains("cannot be reached"), "{}", text(&down));

    let bad = console_binary(&[("NETBOARD_DECISION_URL", "decisions:8080")], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("NETBOARD_DECISION_URL"));
}
