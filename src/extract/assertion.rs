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
//! The step is pure and linear in the text: [`ContextRules::assess`] finds the triggers with one
//! regex-set pass (running only those that fired, in the sentences where they fired), indexes
//! terminators, commas and words once, and weighs for each mention only the triggers of its own
//! sentence, each in constant time. It knows nothing of features: it takes spans and returns
//! flags, which is what `netboard assertion --tsv` measures.

use super::patterns::{check_pattern, Folded, PatternSet};
use crate::load::{examples_present, Faults, SourceFile};
use regex::Regex;
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
    pub rationale: String,
    /// Terminators only: the kinds whose scopes this one ends; absent = every kind.
    #[serde(default)]
    pub ends: Option<Vec<TriggerKind>>,
    /// A section heading ("Past medical history:"): its scope runs on past commas, since a
    /// heading governs the whole list after it. Forward triggers only.
    #[serde(default)]
    pub section: bool,
}

/// The assertion flags of one mention. All false = affirmed, current, about the patient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assertion {
    pub negated: bool,
    pub possible: bool,
    pub historical: bool,
    pub hypothetical: bool,
    pub other: bool,
    /// The words the mention reads with: itself, widened to the nearest negation or uncertainty
    /// trigger in scope ("no extrahepatic disease", "bone mets cannot be excluded"), so that a
    /// reader sees why a value is negative or possible.
    pub reads: Option<Range<usize>>,
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
}

/// The compiled trigger set.
pub struct ContextRules {
    set: PatternSet,
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
static LIST_CONJUNCTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[^,;:.!?()]{1,60}\s)?(?:or|nor|and|and/or)\b").unwrap());

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
        let mut located = Vec::new();
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
            let checked = check_pattern(&t.regex);
            let problems: Vec<String> = examples_present(&t.must_match, &t.no_match)
                .into_iter()
                .chain(checked.as_ref().err().cloned())
                .chain(
                    t.rationale
                        .trim()
                        .is_empty()
                        .then(|| "needs a rationale".to_string()),
                )
                .collect();
            let Ok(checked) = checked else {
                problems.into_iter().for_each(|p| faults.push(at(p)));
                continue;
            };
            if !problems.is_empty() {
                problems.into_iter().for_each(|p| faults.push(at(p)));
                continue;
            }
            patterns.push(checked);
            located.push((file, span, t));
            triggers.push(Trigger {
                kind: t.kind,
                direction,
                scope: t.scope.unwrap_or(usize::MAX),
                ends,
                section: t.section,
            });
        }
        let examples: Vec<_> = located
            .iter()
            .map(|(_, _, t)| (&t.must_match[..], &t.no_match[..]))
            .collect();
        let set = PatternSet::with_examples(patterns, &examples, |i, m| {
            if let Some(&(file, span, t)) = located.get(i.unwrap_or(0)) {
                faults.push(file.fault(span, format!("trigger `{}`: {m}", t.id)));
            }
        });
        match set {
            Some(set) => faults.into_result(ContextRules { set, triggers }),
            None => Err(faults),
        }
    }

    /// The trigger hits in `text`: leftmost-longest, pseudo-triggers masking what they cover.
    fn hits(&self, folded: &Folded) -> Vec<Hit> {
        let mut all: Vec<Hit> = Vec::new();
        self.set.for_each_match(folded, |trigger, span, _| {
            all.push(Hit {
                start: span.start,
                end: span.end,
                trigger,
            })
        });
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
    ///
    /// Linear in the text: triggers, terminators, commas and words are indexed once (prefix
    /// counts), and each mention weighs only the triggers of its own sentence — at most
    /// 64 on each side — each in constant time.
    pub fn assess(&self, text: &Folded, mentions: &[Range<usize>]) -> Vec<Assertion> {
        let covers = Covers::new(mentions);
        let mut hits = self.hits(text);
        // A trigger inside a mention's span is part of the mention ("dotatate negative"), and a
        // pseudo-trigger has done its work once it has masked what it covers.
        hits.retain(|h| {
            self.triggers[h.trigger].kind != TriggerKind::Pseudo && !covers.holds(h.start, h.end)
        });
        let mut commas = list_commas(text.as_str());
        commas.retain(|&(at, _)| !covers.holds_inside(at));
        let scan = Scan::new(self, text.as_str(), hits, commas);
        mentions.iter().map(|m| self.assess_one(&scan, m)).collect()
    }

    fn assess_one(&self, scan: &Scan, mention: &Range<usize>) -> Assertion {
        let mut a = Assertion::default();
        for h in scan.candidates(mention) {
            let t = &self.triggers[h.trigger];
            let forward = matches!(t.direction, Direction::Forward | Direction::Both);
            let backward = matches!(t.direction, Direction::Backward | Direction::Both);
            let in_scope = if h.end <= mention.start && forward {
                scan.clear_between(h.end..mention.start, t, false)
            } else if h.start >= mention.end && backward {
                scan.clear_between(mention.end..h.start, t, true)
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
            if matches!(t.kind, TriggerKind::Negation | TriggerKind::Possible) {
                let widened = h.start.min(mention.start)..h.end.max(mention.end);
                let nearer = a.reads.as_ref().is_none_or(|r| widened.len() < r.len());
                if nearer {
                    a.reads = Some(widened);
                }
            }
        }
        a
    }
}

/// The most triggers on each side of a mention that it weighs. A sentence holds far fewer; the
/// bound keeps hostile text (thousands of triggers in one sentence) linear.
const NEAREST: usize = 64;

/// The scoped kinds, in the order of their `TriggerKind::bit`.
const KINDS: usize = 5;

/// Which spans the mentions cover, answered by binary search.
struct Covers {
    /// Mention starts, sorted, with the furthest end of any mention starting at or before each.
    starts: Vec<usize>,
    reach: Vec<usize>,
}

impl Covers {
    fn new(mentions: &[Range<usize>]) -> Covers {
        let mut sorted: Vec<_> = mentions.iter().map(|m| (m.start, m.end)).collect();
        sorted.sort_unstable();
        let mut furthest = 0;
        let reach = sorted
            .iter()
            .map(|&(_, end)| {
                furthest = furthest.max(end);
                furthest
            })
            .collect();
        Covers {
            starts: sorted.into_iter().map(|(start, _)| start).collect(),
            reach,
        }
    }

    /// Whether some mention holds all of `start..end`.
    fn holds(&self, start: usize, end: usize) -> bool {
        let i = self.starts.partition_point(|&s| s <= start);
        i > 0 && self.reach[i - 1] >= end
    }

    /// Whether `at` lies strictly inside some mention.
    fn holds_inside(&self, at: usize) -> bool {
        let i = self.starts.partition_point(|&s| s < at);
        i > 0 && self.reach[i - 1] > at
    }
}

/// One text as every scope check in it sees it, indexed so that each check is constant time.
struct Scan<'t> {
    text: &'t str,
    /// Triggers and terminators, in text order, none inside a mention.
    hits: Vec<Hit>,
    /// `ends[k][kind]`: terminators among `hits[..k]` that end `kind`.
    ends: Vec<[u32; KINDS]>,
    /// Indices into `hits` of the terminators that end every kind (sentence ends).
    stops: Vec<usize>,
    /// The commas outside every mention, in text order, each with whether a list runs on from it.
    commas: Vec<(usize, bool)>,
    /// `blocking[k]`: commas among `commas[..k]` that end a clause.
    blocking: Vec<u32>,
    /// `long_items[k]`: items among those after `commas[..k]` longer than a list item.
    long_items: Vec<u32>,
    /// `word_starts[i]`: words starting in `text[..i]`.
    word_starts: Vec<u32>,
}

impl<'t> Scan<'t> {
    fn new(
        rules: &ContextRules,
        text: &'t str,
        hits: Vec<Hit>,
        commas: Vec<(usize, bool)>,
    ) -> Scan<'t> {
        let mut ends = Vec::with_capacity(hits.len() + 1);
        let mut stops = Vec::new();
        let mut counts = [0u32; KINDS];
        ends.push(counts);
        for (i, h) in hits.iter().enumerate() {
            let t = &rules.triggers[h.trigger];
            if t.kind == TriggerKind::Terminator {
                for (k, count) in counts.iter_mut().enumerate() {
                    *count += u32::from(t.ends & (1 << k) != 0);
                }
                if t.ends == u8::MAX {
                    stops.push(i);
                }
            }
            ends.push(counts);
        }
        let bytes = text.as_bytes();
        let is_word = |i: usize| bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80;
        let mut word_starts = Vec::with_capacity(bytes.len() + 1);
        let mut n = 0u32;
        word_starts.push(0);
        for i in 0..bytes.len() {
            n += u32::from(is_word(i) && (i == 0 || !is_word(i - 1)));
            word_starts.push(n);
        }
        let mut scan = Scan {
            text,
            hits,
            ends,
            stops,
            commas,
            blocking: Vec::new(),
            long_items: Vec::new(),
            word_starts,
        };
        let (mut blocking, mut long) = (0u32, 0u32);
        scan.blocking.push(0);
        scan.long_items.push(0);
        for k in 0..scan.commas.len() {
            let (at, runs_on) = scan.commas[k];
            blocking += u32::from(!runs_on);
            let item_end = scan.commas.get(k + 1).map_or(text.len(), |c| c.0);
            long += u32::from(scan.words(at + 1..item_end) > LIST_ITEM_WORDS);
            scan.blocking.push(blocking);
            scan.long_items.push(long);
        }
        scan
    }

    /// The words in `text[range]`, a word cut at the start counting as one.
    fn words(&self, range: Range<usize>) -> usize {
        if range.start >= range.end {
            return 0;
        }
        let bytes = self.text.as_bytes();
        let is_word = |i: usize| bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80;
        let cut = range.start > 0 && is_word(range.start) && is_word(range.start - 1);
        (self.word_starts[range.end] - self.word_starts[range.start]) as usize + usize::from(cut)
    }

    /// The triggers a mention weighs: those of its sentence, at most [`NEAREST`] on each side.
    fn candidates(&self, mention: &Range<usize>) -> &[Hit] {
        let before = self.hits.partition_point(|h| h.start < mention.start);
        let after = self.hits.partition_point(|h| h.start < mention.end);
        let stop_before = self.stops.partition_point(|&i| i < before);
        let lo = if stop_before > 0 {
            self.stops[stop_before - 1] + 1
        } else {
            0
        };
        let stop_after = self.stops.partition_point(|&i| i < after);
        let hi = self
            .stops
            .get(stop_after)
            .copied()
            .unwrap_or(self.hits.len());
        let lo = lo.max(before.saturating_sub(NEAREST));
        let hi = hi.min(after + NEAREST).max(lo);
        &self.hits[lo..hi]
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
    fn clear_between(&self, gap: Range<usize>, trigger: &Trigger, backward: bool) -> bool {
        let first_hit = self.hits.partition_point(|h| h.start < gap.start);
        let mut last_hit = self.hits.partition_point(|h| h.start < gap.end);
        if last_hit > first_hit && self.hits[last_hit - 1].end > gap.end {
            last_hit -= 1;
        }
        if let Some(kind) = (0..KINDS).find(|k| trigger.kind.bit() == 1 << k) {
            if self.ends[last_hit][kind] > self.ends[first_hit.min(last_hit)][kind] {
                return false;
            }
        }
        let first_comma = self.commas.partition_point(|&(at, _)| at < gap.start);
        let last_comma = self.commas.partition_point(|&(at, _)| at < gap.end);
        let list = (first_comma < last_comma).then(|| (first_comma, last_comma - 1));
        if let Some((first, last)) = list {
            let mut blocking = self.blocking[last + 1] - self.blocking[first];
            let (at, runs_on) = self.commas[last];
            let appended = backward && self.text[at + 1..gap.end].trim().is_empty();
            if appended && !runs_on {
                blocking -= 1;
            }
            if !trigger.section && blocking > 0 {
                return false;
            }
        }
        if trigger.scope == usize::MAX {
            return true;
        }
        let count = match list {
            Some((first, last)) if self.long_items[last] == self.long_items[first] => {
                let (first_at, last_at) = (self.commas[first].0, self.commas[last].0);
                self.words(gap.start..first_at) + self.words(last_at + 1..gap.end)
            }
            _ => self.words(gap),
        };
        count <= trigger.scope
    }
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
            rationale: "test".into(),
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
        rules().assess(
            &Folded::new(text),
            std::slice::from_ref(&(start..start + concept.len())),
        )[0]
        .clone()
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
        assert!(!r.assess(&Folded::new(text), std::slice::from_ref(&(0..text.len())))[0].negated);
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
        lexicon().assess(&Folded::new(text), &spans)
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
        let a = chat("bone mets have not been ruled out", &["bone mets"])[0].clone();
        assert!(a.possible && !a.negated);
        let a = chat("bone mets should be ruled out", &["bone mets"])[0].clone();
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
