//! Performance benchmarks for the targets in the performance issue (see BENCHMARKS.md).
//!
//! Run with `cargo bench --bench extract` (release build), or `benches/run.sh`, which also times
//! the binary's cold start with hyperfine. Read the **median** of each bench: the benchmark
//! machine has 2 shared cores, so means and outliers mostly measure the neighbours.
//!
//! What each bench measures, and why:
//!
//! - `extract/message_200` — [`Extractor::extract`](netboard::extract::Extractor::extract) on a
//!   typical chat message of about 200 characters (asserted below). This is the work done per
//!   message in a chat thread: feature patterns, the assertion step over their spans, the grade
//!   derivation and the question patterns. Target: ≤ 20 µs median.
//! - `extract/consult_2000` — the same on a longer consult note of about 2,000 characters, which
//!   checks that time stays linear in the length of the message (each regex stage scans the text
//!   once). Target: ≤ 100 µs median.
//! - `ask_render/message_200` — `Engine::ask` then `render::plain`, the whole per-message path of
//!   `netboard ask` after load; no target, it shows what rendering adds to extraction.
//! - `assertion/assess` — the assertion step alone (ConText), `ContextRules::assess` on each
//!   sentence of `../shared/data/assertion-dev.tsv` with its annotated concept's span. The spans
//!   are located once before timing, so only `assess` is timed. Reported per sentence
//!   (`Throughput::Elements`). Target: ≥ 200,000 sentences/s on one core, i.e. ≤ 5 µs per
//!   sentence. When the TSV is missing, a small embedded set is used instead and the bench says
//!   so on standard error; its figure is then not comparable with the TSV's.
//! - `load/engine_load` — `Engine::load` in process: reads and parses `intents/*.toml`, expands
//!   macros, compiles every regex and regex set and checks every trigger's examples. This is the
//!   in-process part of `netboard ask`'s cold start (target ≤ 30 ms wall for the whole process,
//!   measured with hyperfine by `benches/run.sh`).
//!
//! Criterion is configured lightly (small samples, short measurement) so that the whole run takes
//! a few minutes on two shared cores. No bench asserts on timings; the length assertions only
//! keep the messages honest.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netboard::assertion_tsv::locate;
use netboard::decide::decide;
use netboard::engine::{data_dir, Answer, Engine};
use netboard::extract::intents::Intents;
use netboard::extract::patterns::Folded;
use netboard::render;
use std::hint::black_box;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

/// A typical chat message: one case and a question, about 200 characters.
const MESSAGE_200: &str = "pNET G2, Ki-67 8%, 3 liver mets, largest 2 cm, no extrahepatic \
    disease, dotatate avid, primary resected 2021, stable on octreotide LAR for 18 months, CgA \
    rising. Options please — resection vs ablation?";

/// A longer consult note as a tumour-board referral might paste it: about 2,000 characters.
const CONSULT_2000: &str = "Tumour board referral. 58-year-old woman with a \
    well-differentiated pancreatic NET (pNET) of the tail, G2, Ki-67 12% on the distal \
    pancreatectomy specimen in March 2021; pT3 N1, 4 of 15 nodes positive, margins clear. She \
    was started on lanreotide 120 mg every 28 days for residual nodal disease and has tolerated \
    it well apart from loose stools managed with pancreatic enzymes. Surveillance MRI liver in \
    January showed new hepatic lesions: 3 liver mets, segment VI 2.1 cm, segment VII 1.4 cm and \
    segment IVb 0.9 cm, unilobar, all arterially enhancing with washout. No biliary dilatation. \
    Ga-68 DOTATATE PET/CT last month: all three liver lesions are dotatate avid (Krenning 3), no \
    uptake in bone, no extrahepatic disease, no peritoneal disease; the previously treated nodal \
    bed is quiet. FDG PET was not done. CT chest clear, no lung nodules. Bone scan not \
    performed; no bone pain. CgA has risen from 110 to 260 ng/mL over six months, 5-HIAA normal, \
    no carcinoid syndrome, no flushing or diarrhoea beyond the enzyme-related stools. ECOG 0, \
    works full time, keen on active treatment. Comorbidities: type 2 diabetes on metformin since \
    the pancreatectomy, well controlled, HbA1c 52; hypertension; no cardiac history, echo \
    normal, no carcinoid heart disease. Bilirubin 9, ALT 31, albumin 41, eGFR > 90. No prior \
    hepaticojejunostomy or biliary stent. She has not had PRRT, everolimus, sunitinib, CAPTEM or \
    liver-directed therapy. Hepatobiliary surgery has reviewed the imaging and thinks the liver \
    is resectable with a right posterior sectionectomy plus wedge of IVb, with adequate future \
    liver remnant. Interventional radiology would alternatively offer microwave ablation of all \
    three lesions, which are under 3 cm and away from major vessels. The team is divided between \
    resection, ablation, and continuing lanreotide with the addition of Lu-177 dotatate at \
    progression. Questions for the board: is she a candidate for hepatic resection, and how does \
    it compare with thermal ablation? Should PRRT be considered now or held in reserve?";

/// Used only when ../shared/data/assertion-dev.tsv is missing: (concept, sentence) pairs in the
/// style of clinical reports, written for this bench.
const EMBEDDED_ASSERTION: &[(&str, &str)] = &[
    ("rales", "The lungs are clear, no wheezes or rales."),
    (
        "liver metastases",
        "No evidence of liver metastases on the MRI.",
    ),
    (
        "pneumonia",
        "Chest x-ray was obtained to rule out pneumonia.",
    ),
    (
        "carcinoid syndrome",
        "She has a history of carcinoid syndrome, now controlled.",
    ),
    ("flushing", "He denies flushing, diarrhoea or wheezing."),
    (
        "bone metastases",
        "There may be early bone metastases in the sacrum.",
    ),
    ("diabetes", "Her mother has type 2 diabetes."),
    (
        "chest pain",
        "Return to the emergency department if chest pain recurs.",
    ),
    ("ascites", "Small volume ascites is seen in the pelvis."),
    (
        "fever",
        "The patient reports fever and chills for two days.",
    ),
    (
        "hepatic lesions",
        "Three hepatic lesions are dotatate avid.",
    ),
    (
        "lymphadenopathy",
        "There is no mediastinal or hilar lymphadenopathy.",
    ),
    (
        "infection",
        "The concern was the possibility of infection given the fever.",
    ),
    ("cholecystectomy", "Status post cholecystectomy in 2015."),
    ("nausea", "No nausea, vomiting, or abdominal pain."),
    ("pleural effusion", "Small right pleural effusion seen."),
];

fn engine() -> Engine {
    Engine::load(&data_dir()).unwrap_or_else(|faults| panic!("intents/ has faults:\n{faults}"))
}

fn bench_extract(c: &mut Criterion) {
    let chars_200 = MESSAGE_200.chars().count();
    let chars_2000 = CONSULT_2000.chars().count();
    assert!(
        (190..=210).contains(&chars_200),
        "MESSAGE_200 has {chars_200} characters; keep it at about 200"
    );
    assert!(
        (1_950..=2_050).contains(&chars_2000),
        "CONSULT_2000 has {chars_2000} characters; keep it at about 2,000"
    );
    let engine = engine();
    let extractor = engine.extractor();

    let mut group = c.benchmark_group("extract");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, text) in [("message_200", MESSAGE_200), ("consult_2000", CONSULT_2000)] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| b.iter(|| extractor.extract(black_box(text))));
    }
    group.finish();

    let mut group = c.benchmark_group("ask_render");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("message_200", |b| {
        b.iter(|| render::plain(&engine.ask(black_box(MESSAGE_200))))
    });
    group.finish();
}

/// The sentences and concept spans of assertion-dev.tsv, or the embedded set if it is missing.
fn assertion_sentences() -> (Vec<(String, Range<usize>)>, &'static str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/assertion-dev.tsv");
    let rows: Vec<(String, String)> = match std::fs::read_to_string(&path) {
        Ok(tsv) => {
            let mut lines = tsv.lines();
            let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
            let col = |name: &str| {
                header
                    .iter()
                    .position(|c| c.trim().eq_ignore_ascii_case(name))
                    .unwrap_or_else(|| panic!("{}: no `{name}` column", path.display()))
            };
            let (concept, sentence) = (col("concept"), col("sentence"));
            lines
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    let get = |i: usize| f.get(i).copied().unwrap_or_default().trim().to_string();
                    (get(concept), get(sentence))
                })
                .collect()
        }
        Err(e) => {
            eprintln!(
                "assertion bench: cannot read {} ({e}); using the {} embedded sentences instead, \
                 whose figure is not comparable with the TSV's",
                path.display(),
                EMBEDDED_ASSERTION.len()
            );
            return (
                EMBEDDED_ASSERTION
                    .iter()
                    .map(|(concept, sentence)| {
                        let span = locate(sentence, concept)
                            .unwrap_or_else(|| panic!("`{concept}` is not in `{sentence}`"));
                        (sentence.to_string(), span)
                    })
                    .collect(),
                "embedded",
            );
        }
    };
    let total = rows.len();
    let located: Vec<(String, Range<usize>)> = rows
        .into_iter()
        .filter_map(|(concept, sentence)| locate(&sentence, &concept).map(|span| (sentence, span)))
        .collect();
    if located.len() < total {
        eprintln!(
            "assertion bench: {} of {total} rows' concepts are not found in their sentence and are \
             left out",
            total - located.len()
        );
    }
    (located, "assertion-dev.tsv")
}

fn bench_assertion(c: &mut Criterion) {
    let engine = engine();
    let rules = engine.extractor().context();
    let (sentences, source) = assertion_sentences();
    eprintln!(
        "assertion bench: {} sentences from {source}",
        sentences.len()
    );
    let mut group = c.benchmark_group("assertion");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(sentences.len() as u64));
    let name = if source == "embedded" {
        "assess_embedded"
    } else {
        "assess"
    };
    group.bench_function(name, |b| {
        b.iter(|| {
            for (sentence, span) in &sentences {
                // Folding is part of the step, as `netboard assertion` runs it.
                let folded = Folded::new(black_box(sentence));
                black_box(rules.assess(&folded, std::slice::from_ref(span)));
            }
        })
    });
    group.finish();
}

fn bench_load(c: &mut Criterion) {
    let dir = data_dir();
    let mut group = c.benchmark_group("load");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("engine_load", |b| {
        b.iter(|| Engine::load(black_box(&dir)).is_ok())
    });
    group.finish();
}

/// The stages of one `extract` call timed apart, to show where its time goes: it mirrors
/// `Extractor::extract` through the public `Intents` (the grade derivation is left out; it only
/// looks up two features).
fn bench_stages(c: &mut Criterion) {
    let intents = Intents::load(&data_dir().join("intents"))
        .unwrap_or_else(|faults| panic!("intents/ has faults:\n{faults}"));
    let (features, context, questions) = (&intents.features, &intents.context, &intents.questions);
    let mut group = c.benchmark_group("extract_stage");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, text) in [("message_200", MESSAGE_200), ("consult_2000", CONSULT_2000)] {
        let folded = Folded::new(text);
        let mentions = features.mentions(&folded);
        let spans: Vec<Range<usize>> = mentions.iter().map(|m| m.span.clone()).collect();
        let assertions = context.assess(&folded, &spans);
        let (_, received) = features.apply(text, &mentions, &assertions);
        eprintln!(
            "extract_stage/{name}: {} mentions, {} received-treatment spans",
            mentions.len(),
            received.len()
        );
        group.bench_function(format!("{name}/1_mentions"), |b| {
            b.iter(|| features.mentions(black_box(&folded)))
        });
        group.bench_function(format!("{name}/2_assess"), |b| {
            b.iter(|| context.assess(black_box(&folded), &spans))
        });
        group.bench_function(format!("{name}/3_apply"), |b| {
            b.iter(|| features.apply(black_box(text), &mentions, &assertions))
        });
        group.bench_function(format!("{name}/4_question"), |b| {
            b.iter(|| questions.question(black_box(&folded), &received))
        });
    }
    group.finish();
}

/// The decision and its rendering for a typical case (target ≤ 20 µs): the case is extracted
/// once, then each iteration decides it against every rule and renders the plain answer. The
/// whole `ask` path (extract + decide + render, target ≤ 50 µs) is `ask_render/message_200`.
fn bench_decide(c: &mut Criterion) {
    let engine = engine();
    let answer = engine.ask(MESSAGE_200);
    let mut group = c.benchmark_group("decide_render");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("message_200", |b| {
        b.iter(|| {
            let advice = decide(
                engine.knowledge(),
                &answer.question,
                black_box(&answer.case),
            );
            render::plain(&Answer {
                advice,
                ..answer.clone()
            })
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_extract,
    bench_decide,
    bench_stages,
    bench_assertion,
    bench_load
);
criterion_main!(benches);
