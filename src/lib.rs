//! netboard: sourced decision support for care teams treating metastatic neuroendocrine
//! tumours (NETs), in chat.
//!
//! A clinician types a case the way one does in chat — "pNET G2, 3 liver mets, largest 2 cm, no
//! extrahepatic disease, dotatate avid — options?" — and netboard says what it understood, the
//! options with how well each fits and why, the caveats about their evidence, the missing
//! information and the sources. It is decision support for healthcare professionals: never for
//! patients, never a substitute for the tumour board.
//!
//! ```text
//! chat text ─► extract ─► CaseFeatures ─► decide ─► Advice ─► render ─► reply
//!              ▲ intents/*.toml              ▲ knowledge/
//! ```
//!
//! - [`case`]: the case features of CONTRACT.md §2 — ids, value types, merging of follow-ups.
//! - [`question`]: intents and option ids of CONTRACT.md §3.
//! - [`extract`]: text → question and features, with the assertion step (ConText); pure.
//! - [`knowledge`]: the sources netboard may cite, the option catalogue and the decision rules
//!   (`knowledge/`).
//! - [`decide`]: case features → options with fit, reasons, caveats and missing information; pure.
//! - [`load`]: reading the reviewed data files, every fault as `file:line: what is wrong`.
//! - [`engine`]: the one seam every front end calls; keeps a conversation's case.
//! - [`render`]: answers as plain text and JSON; pure.
//! - `store` (feature `store`): each conversation's case in embedded SQLite, never message text.
//! - [`transport`]: the front ends — the local console, and the Discord bot (feature `discord`);
//!   HTTP to come.
//! - [`assertion_tsv`]: measuring the assertion step on annotated sets.
//!
//! The pure pipeline on a string:
//!
//! ```
//! use netboard::case::{FeatureId, Value};
//! let engine = netboard::engine::Engine::load(&netboard::engine::data_dir()).unwrap();
//! let answer = engine.ask("pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease");
//! assert_eq!(answer.case.value(FeatureId::LiverLesionCount), Some(&Value::Integer(3)));
//! assert_eq!(answer.case.value(FeatureId::ExtrahepaticDisease), Some(&Value::Bool(false)));
//! ```

pub mod assertion_tsv;
pub mod case;
pub mod decide;
pub mod engine;
pub mod extract;
pub mod knowledge;
pub mod load;
pub mod question;
pub mod render;
#[cfg(feature = "store")]
pub mod store;
pub mod transport;
