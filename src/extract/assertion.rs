//! The assertion step: is a mention affirmed, negated, possible, historical, hypothetical, or
//! about someone else? An implementation of ConText (Harkema et al., J Biomed Inform 2009).
//!
//! Trigger phrases (`[[trigger]]` in `intents/`) each have a kind, a direction and a scope in
//! words. A mention is modified by a trigger when it lies inside the trigger's scope: after a
//! forward trigger ("no", "history of", "if"), before a backward one ("… ruled out", "… is
//! unlikely"), with no terminator in between ("but", "however", ";", a sentence end). Then:
//!
//! - **pseudo-triggers** ("no change", "not only", "no further", an answering "no,") are phrases
//!   that contain a trigger but are not one; found first, they mask what they cover;
//! - overlapping triggers resolve to the longest, leftmost one ("family history of" over
//!   "history of");
//! - **terminators may end only some kinds** (`ends`), as in ConText: "now", "presents" and
//!   "new" end a history but not a negation, a cause ("secondary to …") ends a negation but not
//!   a history, "the patient" ends a relative's scope. Without `ends` a terminator ends all;
//! - **value words are not triggers**: a trigger inside a mention's own span is part of what
//!   the mention says ("octreoscan negative" is a result, `sstr_imaging: negative`);
//! - **a comma ends a clause** unless a list runs on from it to a conjunction, so "no bone, lung
//!   or nodal mets" negates all three while "no extrahepatic disease, dotatate positive" leaves
//!   the imaging affirmed. A comma inside a mention's span never ends its scope; a backward
//!   trigger may follow its mention after a comma ("bowel obstruction, resolved"); and a
//!   **section heading** (`section`, "Past medical history:") governs its list past every comma;
//! - **a list carries a scope**: the short items between its first and last comma do not count
//!   towards the trigger's word limit, so "denies palpitations, shortness of breath, chest pain,
//!   headache, or dizziness" negates the last symptom too. A long run between commas is a clause
//!   and counts in full, which keeps an adjective's short scope ("prior …") short.
//!
//! The step is pure and allocation-light; [`ContextRules::assess`] scans the text once with a
//! `RegexSet` and runs only the triggers that fired; each scope check is linear in the gap it
//! crosses. It knows nothing of features: it takes spans and returns flags, which is what
//! `netboard assertion --tsv` measures.

use crate::load::{check_examples, compile, Fault, Faults, SourceFile};
use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use std::ops::Range;
use std::sync::LazyLock;

/// What a trigger does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    Negation,
    Possible,
    Historical,
    Hypothetical,
    Other,
    /// Looks like a trigger but is not one ("no change"): masks what it covers.
    Pseudo,
    /// Ends scopes: every kind's ("but", "however", ";", a sentence end), or only those listed
    /// in its `ends` ("now" and "presents" end a history, not a negation).
    Terminator,
}

impl TriggerKind {
    /// The bit of a scoped kind in a terminator's `ends` mask; 0 for pseudo and terminator.
    fn bit(self) -> u8 {
        match self {
            TriggerKind::Negation => 1,
            TriggerKind::Possible => 2,
            TriggerKind::Historical => 4,
            TriggerKind::Hypothetical => 8,
            TriggerKind::Other => 16,
            TriggerKind::Pseudo | TriggerKind::Terminator => 0,
        }
    }
}

/// Which way a trigger's scope runs from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Forward,
    Backward,
    Both,
}

/// A trigger as written in an intents file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrigger {
    pub id: String,
    pub kind: TriggerKind,
    pub direction: Option<Direction>,
    /// The most words between trigger and mention; absent = up to the terminator.
    pub scope: Option<usize>,
    pub regex: String,
    #[serde(rename = "match")]
    pub must_match: Vec<String>,
    pub no_match: Vec<String>,
    #[serde(default)]
    pub rationale: Option<String>,
    /// Terminators only: the kinds whose scopes this one ends; absent = every kind.
    #[serde(default)]
    pub ends: Option<Vec<TriggerKind>>,
    /// A section heading ("Past medical history:"): its scope runs on past commas, since a
    /// heading governs the whole list after it. Forward triggers only.
    #[serde(default)]
    pub section: bool,
}

/// The assertion flags of one mention. All false = affirmed, current, about the patient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assertion {
    pub negated: bool,
    pub possible: bool,
    pub historical: bool,
    pub hypothetical: bool,
    pub other: bool,
}

impl Assertion {
    /// True when the mention must not count as a current finding of the patient.
    pub fn excludes(&self) -> bool {
        self.negated || self.historical || self.hypothetical || self.other
    }
}

struct Trigger {
    kind: TriggerKind,
    direction: Direction,
    scope: usize,
    /// For a terminator, the `TriggerKind::bit`s of the kinds it ends.
    ends: u8,
    section: bool,
    regex: Regex,
}

/// The compiled trigger set.
pub struct ContextRules {
    set: RegexSet,
    triggers: Vec<Trigger>,
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    trigger: usize,
}

/// The most words of a list item that a scope passes over without counting them: symptom
/// lists ("palpitations, shortness of breath, chest pain") are short; a longer run between
/// commas is a clause and counts in full.
const LIST_ITEM_WORDS: usize = 4;

/// The most characters of a list item between commas ("temperature above 101 F").
const LIST_ITEM_CHARS: usize = 60;

/// The last item of a list, up to its conjunction ("lung or", " nodal and"), in any letter case.
static LIST_CONJUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:[^,;:.!?()]{1,60}\s)?(?:or|nor|and|and/or)\b").unwrap()
});

/// Every comma of `text` with whether a list runs on from it: items of a few words, then a
/// conjunction ("bone, lung or nodal", "fever associated with chill, temperature above 101 F,
/// or dizziness"). Worked out from the last comma back, so that each comma costs one item.
fn list_commas(text: &str) -> Vec<(usize, bool)> {
    let mut commas: Vec<(usize, bool)> =
        text.match_indices(',').map(|(at, _)| (at, false)).collect();
    let mut next_runs_on = false;
    for i in (0..commas.len()).rev() {
        let at = commas[i].0;
        let runs_on = LIST_CONJUNCTION.is_match(&text[at + 1..]) || {
            let item = commas.get(i + 1).map(|&(next, _)| &text[at + 1..next]);
            item.is_some_and(|item| {
                !item.is_empty()
                    && !item.contains([';', ':', '.', '!', '?', '(', ')'])
                    && item.trim_start().chars().count() <= LIST_ITEM_CHARS
            }) && next_runs_on
        };
        commas[i].1 = runs_on;
        next_runs_on = runs_on;
    }
    commas
}

impl ContextRules {
    /// Compiles triggers, checking each against its examples. `raw` pairs each trigger with the
    /// file it came from and its byte span there, for `file:line` faults.
    pub fn compile(
        raw: &[(&SourceFile, Range<usize>, RawTrigger)],
    ) -> Result<ContextRules, Faults> {
        let mut faults = Faults::default();
        let mut triggers = Vec::new();
        let mut patterns = Vec::new();
        for (file, span, t) in raw {
            let at = |msg: String| file.fault(span, format!("trigger `{}`: {msg}", t.id));
            let direction = match (t.kind, t.direction) {
                (TriggerKind::Pseudo | TriggerKind::Terminator, None) => Direction::Both,
                (TriggerKind::Pseudo | TriggerKind::Terminator, Some(_)) => {
                    faults.push(at(
                        "pseudo-triggers and terminators take no direction".into()
                    ));
                    continue;
                }
                (_, Some(d)) => d,
                (_, None) => {
                    faults.push(at("needs a direction: forward, backward or both".into()));
                    continue;
                }
            };
            let ends = match (t.kind, &t.ends) {
                (TriggerKind::Terminator, None) => u8::MAX,
                (TriggerKind::Terminator, Some(kinds)) => {
                    let mask = kinds.iter().fold(0, |m, k| m | k.bit());
                    if kinds.is_empty() || kinds.iter().any(|k| k.bit() == 0) {
                        faults.push(at("`ends` lists one or more of negation, possible, \
                                        historical, hypothetical, other"
                            .into()));
                    }
                    mask
                }
                (_, Some(_)) => {
                    faults.push(at("only a terminator takes `ends`".into()));
                    0
                }
                (_, None) => 0,
            };
            if t.section && (t.kind.bit() == 0 || direction != Direction::Forward) {
                faults.push(at(
                    "only a forward trigger of a scoped kind can be a `section`".into(),
                ));
            }
            if t.must_match.is_empty() || t.no_match.is_empty() {
                faults.push(at(
                    "needs examples that must match and examples that must not".into(),
                ));
            }
            let regex = match compile(&t.regex) {
                Ok(r) => r,
                Err(e) => {
                    faults.push(at(e));
                    continue;
                }
            };
            for problem in check_examples(&regex, &t.must_match, &t.no_match) {
                faults.push(at(problem));
            }
            patterns.push(t.regex.clone());
            triggers.push(Trigger {
                kind: t.kind,
                direction,
                scope: t.scope.unwrap_or(usize::MAX),
                ends,
                section: t.section,
                regex,
            });
        }
        let set = RegexSetBuilder::new(&patterns)
            .case_insensitive(true)
            .size_limit(16 << 20)
            .build()
            .map_err(|e| Fault {
                file: "intents".into(),
                line: 0,
                message: format!("the trigger set does not compile: {e}"),
            });
        match set {
            Ok(set) => faults.into_result(ContextRules { set, triggers }),
            Err(f) => {
                faults.push(f);
                Err(faults)
            }
        }
    }

    /// The trigger hits in `text`: leftmost-longest, pseudo-triggers masking what they cover.
    fn hits(&self, text: &str) -> Vec<Hit> {
        let mut all: Vec<Hit> = Vec::new();
        for i in self.set.matches(text).iter() {
            for m in self.triggers[i].regex.find_iter(text) {
                if m.start() < m.end() {
                    all.push(Hit {
                        start: m.start(),
                        end: m.end(),
                        trigger: i,
                    });
                }
            }
        }
        all.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        let mut kept: Vec<Hit> = Vec::with_capacity(all.len());
        for h in all {
            match kept.last() {
                Some(k) if h.start < k.end => {}
                _ => kept.push(h),
            }
        }
        kept
    }

    /// The assertion of each mention span in `text`, in the order given.
    pub fn assess(&self, text: &str, mentions: &[Range<usize>]) -> Vec<Assertion> {
        // A trigger inside a mention's span is part of the mention ("dotatate negative"), and a
        // pseudo-trigger has done its work once it has masked what it covers.
        let inside = |h: &Hit| {
            mentions
                .iter()
                .any(|m| m.start <= h.start && h.end <= m.end)
        };
        let mut hits = self.hits(text);
        hits.retain(|h| self.triggers[h.trigger].kind != TriggerKind::Pseudo && !inside(h));
        // Each comma outside the mentions is judged once (does a list run on from it?), not
        // once per trigger and mention, so long texts stay linear.
        let mut commas = list_commas(text);
        commas.retain(|&(at, _)| !mentions.iter().any(|m| m.start < at && at < m.end));
        let scan = Scan { text, hits, commas };
        mentions.iter().map(|m| self.assess_one(&scan, m)).collect()
    }

    fn assess_one(&self, scan: &Scan, mention: &Range<usize>) -> Assertion {
        let mut a = Assertion::default();
        for h in &scan.hits {
            let t = &self.triggers[h.trigger];
            let forward = matches!(t.direction, Direction::Forward | Direction::Both);
            let backward = matches!(t.direction, Direction::Backward | Direction::Both);
            let in_scope = if h.end <= mention.start && forward {
                self.clear_between(scan, h.end..mention.start, t, false)
            } else if h.start >= mention.end && backward {
                self.clear_between(scan, mention.end..h.start, t, true)
            } else {
                false
            };
            if !in_scope {
                continue;
            }
            match t.kind {
                TriggerKind::Negation => a.negated = true,
                TriggerKind::Possible => a.possible = true,
                TriggerKind::Historical => a.historical = true,
                TriggerKind::Hypothetical => a.hypothetical = true,
                TriggerKind::Other => a.other = true,
                TriggerKind::Pseudo | TriggerKind::Terminator => {}
            }
        }
        a
    }

    /// Whether the scope of `trigger` may run across `text[gap]`: no terminator of its kind
    /// there, no comma that ends a clause, and at most `scope` words. `backward` = the trigger
    /// comes after the gap.
    ///
    /// A list carries a scope: the words of its short items between its first and last comma do
    /// not count, so "denies palpitations, shortness of breath, chest pain, headache, or dizziness"
    /// negates the last item as well as the first. A backward trigger may follow its mention
    /// after a comma ("bowel obstruction, resolved"), and a section heading's scope runs on
    /// past every comma.
    fn clear_between(
        &self,
        scan: &Scan,
        gap: Range<usize>,
        trigger: &Trigger,
        backward: bool,
    ) -> bool {
        let bit = trigger.kind.bit();
        let first_hit = scan.hits.partition_point(|h| h.start < gap.start);
        let terminated = scan.hits[first_hit..]
            .iter()
            .take_while(|h| h.start < gap.end)
            .any(|h| {
                let t = &self.triggers[h.trigger];
                h.end <= gap.end && t.kind == TriggerKind::Terminator && t.ends & bit != 0
            });
        if terminated {
            return false;
        }
        let between = &scan.text[gap.clone()];
        // The list commas in the gap, first and last, relative to `between`.
        let mut list: Option<(usize, usize)> = None;
        let first_comma = scan.commas.partition_point(|&(at, _)| at < gap.start);
        for &(at, runs_on) in scan.commas[first_comma..]
            .iter()
            .take_while(|&&(at, _)| at < gap.end)
        {
            let i = at - gap.start;
            let appended = backward && between[i + 1..].trim().is_empty();
            if !trigger.section && !appended && !runs_on {
                return false;
            }
            list = Some(list.map_or((i, i), |(first, _)| (first, i)));
        }
        if trigger.scope == usize::MAX {
            return true;
        }
        let count = match list {
            Some((first, last)) => {
                let items = between.get(first + 1..last).unwrap_or_default();
                if items.split(',').all(|item| words(item) <= LIST_ITEM_WORDS) {
                    words(&between[..first]) + words(&between[last + 1..])
                } else {
                    words(between)
                }
            }
            None => words(between),
        };
        count <= trigger.scope
    }
}

/// One text as every scope check in it sees it.
struct Scan<'t> {
    text: &'t str,
    /// Triggers and terminators, in text order, none inside a mention.
    hits: Vec<Hit>,
    /// The commas outside every mention, in text order, each with whether a list runs on from it.
    commas: Vec<(usize, bool)>,
}

/// The number of words in `text`.
fn words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(
        id: &str,
        kind: TriggerKind,
        direction: Option<Direction>,
        regex: &str,
        yes: &str,
        no: &str,
    ) -> RawTrigger {
        RawTrigger {
            id: id.into(),
            kind,
            direction,
            scope: None,
            regex: regex.into(),
            must_match: vec![yes.into()],
            no_match: vec![no.into()],
            rationale: None,
            ends: None,
            section: false,
        }
    }

    fn rules() -> ContextRules {
        use Direction::*;
        use TriggerKind::*;
        let file = SourceFile {
            path: "t.toml".into(),
            text: String::new(),
        };
        let triggers = vec![
            raw("no", Negation, Some(Forward), r"\bno\b", "no mets", "none"),
            raw(
                "ruled-out",
                Negation,
                Some(Backward),
                r"\bruled out\b",
                "mets ruled out",
                "ruled",
            ),
            raw(
                "no-change",
                Pseudo,
                None,
                r"\bno change\b",
                "no change",
                "no",
            ),
            raw("but", Terminator, None, r"\bbut\b|[;.]", "but", "butter"),
            raw(
                "fh",
                Other,
                Some(Forward),
                r"\bfamily history of\b",
                "family history of",
                "history of",
            ),
            raw(
                "hx",
                Historical,
                Some(Forward),
                r"\bhistory of\b",
                "history of",
                "story",
            ),
        ];
        let entries: Vec<_> = triggers.into_iter().map(|t| (&file, 0..0, t)).collect();
        ContextRules::compile(&entries).unwrap()
    }

    fn assess(text: &str, concept: &str) -> Assertion {
        let start = text.find(concept).unwrap();
        rules().assess(text, std::slice::from_ref(&(start..start + concept.len())))[0]
    }

    #[test]
    fn forward_and_backward_negation() {
        assert!(assess("no bone mets", "bone mets").negated);
        assert!(assess("bone mets ruled out", "bone mets").negated);
        assert!(!assess("bone mets", "bone mets").negated);
    }

    #[test]
    fn terminators_and_pseudo_triggers_stop_negation() {
        assert!(!assess("no pain but bone mets", "bone mets").negated);
        assert!(!assess("no change in bone mets", "bone mets").negated);
    }

    #[test]
    fn a_list_carries_the_negation_but_a_new_clause_does_not() {
        assert!(assess("no bone, lung or nodal mets", "lung").negated);
        assert!(assess("no bone, lung or nodal mets", "nodal").negated);
        assert!(!assess("no extrahepatic disease, dotatate positive", "dotatate").negated);
    }

    #[test]
    fn the_longest_trigger_wins() {
        let a = assess("family history of NET", "NET");
        assert!(a.other && !a.historical);
    }

    #[test]
    fn a_trigger_inside_the_mention_is_a_value() {
        let text = "no ascites";
        let r = rules();
        assert!(!r.assess(text, std::slice::from_ref(&(0..text.len())))[0].negated);
    }

    #[test]
    fn a_trigger_without_direction_is_a_fault() {
        let file = SourceFile {
            path: "t.toml".into(),
            text: "\n\n".into(),
        };
        let t = raw("bad", TriggerKind::Negation, None, r"\bno\b", "no", "yes");
        let e = ContextRules::compile(&[(&file, 0..1, t)]).err().unwrap();
        assert_eq!(
            e.to_string(),
            "t.toml:1: trigger `bad`: needs a direction: forward, backward or both"
        );
    }

    #[test]
    fn ends_belongs_to_terminators_and_names_scoped_kinds() {
        let file = SourceFile {
            path: "t.toml".into(),
            text: String::new(),
        };
        let mut not_a_terminator = raw(
            "a",
            TriggerKind::Negation,
            Some(Direction::Forward),
            r"\bno\b",
            "no",
            "yes",
        );
        not_a_terminator.ends = Some(vec![TriggerKind::Historical]);
        let mut ends_a_pseudo = raw("b", TriggerKind::Terminator, None, r"\bnow\b", "now", "no");
        ends_a_pseudo.ends = Some(vec![TriggerKind::Pseudo]);
        let e = ContextRules::compile(&[
            (&file, 0..0, not_a_terminator),
            (&file, 0..0, ends_a_pseudo),
        ])
        .err()
        .unwrap();
        assert_eq!(
            e.to_string(),
            "t.toml:1: trigger `a`: only a terminator takes `ends`\n\
             t.toml:1: trigger `b`: `ends` lists one or more of negation, possible, historical, \
             hypothetical, other"
        );
    }

    /// The triggers of `intents/`, as the chat and `netboard assertion` use them.
    fn lexicon() -> &'static ContextRules {
        static INTENTS: LazyLock<crate::extract::intents::Intents> = LazyLock::new(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
            crate::extract::intents::Intents::load(&dir).unwrap_or_else(|e| panic!("{e}"))
        });
        &INTENTS.context
    }

    /// Each of `concepts` (found in `text` by its first occurrence) with its assertion.
    fn chat(text: &str, concepts: &[&str]) -> Vec<Assertion> {
        let spans: Vec<_> = concepts
            .iter()
            .map(|c| {
                let start = text
                    .find(c)
                    .unwrap_or_else(|| panic!("{c:?} is not in {text:?}"));
                start..start + c.len()
            })
            .collect();
        lexicon().assess(text, &spans)
    }

    #[test]
    fn chat_a_clause_after_a_comma_is_not_negated_but_a_list_is() {
        let a = chat(
            "no extrahepatic disease, Ga-68 DOTATATE positive",
            &["extrahepatic disease", "DOTATATE"],
        );
        assert!(a[0].negated && !a[1].negated);
        let a = chat(
            "no bone, lung or nodal mets",
            &["bone", "lung", "nodal mets"],
        );
        assert!(a.iter().all(|a| a.negated));
    }

    #[test]
    fn chat_a_trailing_question_mark_is_not_uncertainty() {
        let a = chat("3 liver mets, dotatate avid?", &["liver mets", "dotatate"]);
        assert!(a.iter().all(|a| !a.possible && !a.excludes()));
        assert!(!chat("pNET G2 with liver mets options?", &["liver mets"])[0].possible);
        assert!(chat("?bone mets", &["bone mets"])[0].possible);
        assert!(chat("liver mets and ?bone mets", &["bone mets"])[0].possible);
        assert!(chat("possible extrahepatic disease", &["extrahepatic disease"])[0].possible);
    }

    #[test]
    fn chat_now_ends_a_history() {
        let text = "s/p RFA of 2 lesions in 2021 and Y90 to the right lobe in 2023; now new left lobe mets";
        let a = chat(text, &["RFA", "Y90", "left lobe mets"]);
        assert!(a[0].historical && a[1].historical && !a[2].historical);
        let a = chat("h/o RFA, now new liver mets", &["RFA", "liver mets"]);
        assert!(a[0].historical && !a[1].historical);
    }

    #[test]
    fn letter_case_does_not_decide_a_list() {
        let text = "if she has fever, rash, HEADACHE OR BONE PAIN";
        assert!(chat(text, &["HEADACHE"])[0].hypothetical);
        let text = "NO BONE, LUNG OR NODAL METS";
        assert!(chat(text, &["LUNG"])[0].negated);
    }

    #[test]
    fn chat_a_relative_is_someone_else() {
        let a = chat(
            "family history of NET in her brother; she has 2 liver mets",
            &["NET", "liver mets"],
        );
        assert!(a[0].other && !a[1].other && !a[1].historical);
    }

    #[test]
    fn chat_conditions_are_hypothetical() {
        assert!(chat("if she develops bone mets", &["bone mets"])[0].hypothetical);
        assert!(chat("what if the dotatate is negative", &["dotatate"])[0].hypothetical);
    }

    #[test]
    fn chat_an_answering_no_negates_nothing() {
        assert!(!chat("no, she has bone mets", &["bone mets"])[0].negated);
        assert!(!chat("No, bone and liver mets", &["liver mets"])[0].negated);
    }

    #[test]
    fn chat_a_result_word_inside_the_mention_is_its_value() {
        assert!(!chat("octreoscan negative", &["octreoscan negative"])[0].negated);
        assert!(chat("octreoscan negative", &["octreoscan"])[0].negated);
    }

    #[test]
    fn a_terminator_ends_only_the_kinds_it_lists() {
        // "now" ends the history but not the negation.
        let a = chat(
            "no history of carcinoid syndrome now",
            &["carcinoid syndrome"],
        );
        assert!(a[0].negated && a[0].historical);
        let a = chat("no pain now or flushing", &["flushing"]);
        assert!(a[0].negated && !a[0].historical);
        let a = chat("prior resection, now with liver mets", &["liver mets"]);
        assert!(!a[0].historical);
    }

    #[test]
    fn a_list_carries_the_scope_past_its_word_limit() {
        let text = "He denies any antecedent palpitations, shortness of breath, chest pain, headache, or lightheadedness.";
        assert!(chat(text, &["lightheadedness"])[0].negated);
        // A long clause between commas is no list of findings: it counts in full.
        let text = "prior embolization, then admitted elsewhere with sepsis of unclear origin, cough, and nausea";
        assert!(chat(text, &["embolization"])[0].historical);
        assert!(!chat(text, &["nausea"])[0].historical);
    }

    #[test]
    fn a_history_heading_governs_its_whole_list() {
        let text = "PAST MEDICAL HISTORY: atrial fibrillation, hypertension, coronary artery disease with two stents, and gout.";
        let a = chat(text, &["hypertension", "gout"]);
        assert!(a[0].historical && a[1].historical);
        assert!(
            !chat(
                "history of RFA, dotatate positive liver mets",
                &["liver mets"]
            )[0]
            .historical
        );
    }

    #[test]
    fn ruled_out_negates_either_way_but_not_ruled_out_is_uncertain() {
        assert!(chat("bone mets ruled out", &["bone mets"])[0].negated);
        assert!(chat("the scan ruled out bone mets", &["bone mets"])[0].negated);
        let a = chat("bone mets have not been ruled out", &["bone mets"])[0];
        assert!(a.possible && !a.negated);
        let a = chat("bone mets should be ruled out", &["bone mets"])[0];
        assert!(a.possible && !a.negated);
    }

    #[test]
    fn a_backward_trigger_may_follow_after_a_comma() {
        assert!(
            chat(
                "partial small bowel obstruction, resolved.",
                &["obstruction"]
            )[0]
            .negated
        );
        assert!(!chat("dotatate positive, mets resolved", &["dotatate"])[0].negated);
    }
}
