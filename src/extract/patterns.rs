//! Compiled pattern lists: one regex-set pass says which patterns fire, and only those run.
//!
//! Every stage of extraction (question intents, option names, feature patterns, assertion
//! triggers) is a list of patterns from `intents/`. A [`PatternSet`] compiles the list once as a
//! regex set and its reverse: one scan finds every match end, a short backward step from each
//! end finds its start. A pattern is compiled alone only when it first fires and has capture
//! groups to read. Start-up therefore pays for two automata per list, not two per pattern.
//!
//! Patterns match [`Folded`] text: the message with its ASCII letters lower-cased. Folding keeps
//! every byte offset (so spans point into the original message) and lets the patterns compile
//! case-sensitively, which is several times cheaper than case-insensitive matching and keeps the
//! literal prefilters small. Patterns are therefore written in lower case; a pattern with an
//! upper-case letter is a load fault, since it could never match.

use regex_automata::hybrid::dfa::{Cache as DfaCache, OverlappingState, DFA};
use regex_automata::nfa::thompson::pikevm::{Cache as VmCache, PikeVM};
use regex_automata::nfa::thompson::{self, WhichCaptures, NFA};
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::Pool;
use regex_automata::{meta, Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::{Hir, HirKind};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::OnceLock;

/// Upper bound on a compiled pattern or set, so no data file can blow up memory or time.
const SIZE_LIMIT: usize = 32 << 20;

/// Text with its ASCII letters lower-cased: what patterns match. Byte offsets are the original's.
/// It knows its sentences, which every pattern list matches within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    text: String,
    sentences: Vec<Range<usize>>,
}

impl Folded {
    pub fn new(text: &str) -> Folded {
        Folded {
            sentences: sentences(text),
            text: text.to_ascii_lowercase(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The sentences, as [`sentences`] splits them.
    pub fn sentences(&self) -> &[Range<usize>] {
        &self.sentences
    }
}

/// The scratch space one search needs, pooled so that a set is shared across threads.
type Caches = (DfaCache, VmCache, DfaCache);
type MakeCaches =
    Box<dyn Fn() -> Caches + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// A list of patterns: one regex set over all, its reverse, and each pattern alone on demand.
///
/// The set is a forward lazy DFA over all the patterns that reports every match end of every
/// pattern (what `regex::RegexSet` does, built directly so that it carries no capture states);
/// the reverse set, anchored to one pattern at one of those ends, finds where the match starts.
/// Neither has a literal prefilter: with hundreds of patterns, building one cost a quarter of the
/// cold start and saved nothing on chat-sized text. A pattern runs alone only for its capture
/// groups. Should a lazy DFA give up (its cache thrashing on a pathological text), the same NFA
/// runs in the PikeVM, which is slower but linear and never fails.
pub struct PatternSet {
    dfa: DFA,
    /// The same patterns reversed: from the end of a match the set reported, an anchored
    /// backward search finds where it starts, with no forward search per pattern.
    rev: DFA,
    vm: PikeVM,
    caches: Pool<Caches, MakeCaches>,
    sources: Vec<String>,
    /// Whether each pattern has named capture groups.
    named: Vec<bool>,
    /// Each pattern's syntax, kept to compile it alone when it first fires.
    hirs: Vec<Hir>,
    singles: Vec<OnceLock<meta::Regex>>,
}

impl std::fmt::Debug for PatternSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatternSet")
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

impl PatternSet {
    /// Compiles `sources` as one set. Check each pattern with [`check_pattern`] first, so that a
    /// fault names its pattern; this only fails on limits of the whole set.
    pub fn new(checked: Vec<Checked>) -> Result<PatternSet, String> {
        let fail = |e: &dyn std::fmt::Display| {
            format!(
                "the patterns do not compile together: {}",
                one_line(&e.to_string())
            )
        };
        let hirs: Vec<&Hir> = checked.iter().map(|c| &c.hir).collect();
        // Every pattern's start state, so one pattern can be searched for alone (examples,
        // starts); no capture states, which a set never reports.
        let automaton = |reverse: bool| -> Result<(NFA, DFA), String> {
            let nfa = thompson::Compiler::new()
                .configure(
                    thompson::Config::new()
                        .reverse(reverse)
                        .which_captures(WhichCaptures::None)
                        .nfa_size_limit(Some(SIZE_LIMIT)),
                )
                .build_many_from_hir(&hirs)
                .map_err(|e| fail(&e))?;
            let dfa = DFA::builder()
                .configure(
                    DFA::config()
                        .match_kind(MatchKind::All)
                        .starts_for_each_pattern(true)
                        // A Unicode `\b` (intents/ rewrites them to ASCII) works on ASCII text;
                        // on other text the lazy DFA stops and the PikeVM answers.
                        .unicode_word_boundary(true)
                        .cache_capacity(SIZE_LIMIT)
                        .skip_cache_capacity_check(true),
                )
                .build_from_nfa(nfa.clone())
                .map_err(|e| fail(&e))?;
            Ok((nfa, dfa))
        };
        let (nfa, dfa) = automaton(false)?;
        let (_, rev) = automaton(true)?;
        let vm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .map_err(|e| fail(&e))?;
        let (dfa_for_caches, vm_for_caches, rev_for_caches) =
            (dfa.clone(), vm.clone(), rev.clone());
        let make: MakeCaches = Box::new(move || {
            (
                dfa_for_caches.create_cache(),
                vm_for_caches.create_cache(),
                rev_for_caches.create_cache(),
            )
        });
        let named = checked.iter().map(|c| !c.names.is_empty()).collect();
        let (sources, hirs): (Vec<String>, Vec<Hir>) =
            checked.into_iter().map(|c| (c.source, c.hir)).unzip();
        let singles = sources.iter().map(|_| OnceLock::new()).collect();
        Ok(PatternSet {
            dfa,
            rev,
            vm,
            caches: Pool::new(make),
            sources,
            named,
            hirs,
            singles,
        })
    }

    /// Compiles the patterns of entries that passed their own checks, then runs every entry's
    /// examples. `examples[i]` are pattern `i`'s (must match, must not match); each problem goes
    /// to `fault(Some(i), message)`, a failure of the whole set to `fault(None, message)`.
    pub fn with_examples(
        sources: Vec<Checked>,
        examples: &[(&[String], &[String])],
        mut fault: impl FnMut(Option<usize>, String),
    ) -> Option<PatternSet> {
        match PatternSet::new(sources) {
            Ok(set) => {
                for (i, (must, must_not)) in examples.iter().enumerate() {
                    for problem in set.example_faults(i, must, must_not) {
                        fault(Some(i), problem);
                    }
                }
                Some(set)
            }
            Err(e) => {
                fault(None, e);
                None
            }
        }
    }

    /// Which patterns match somewhere in `text`, in pattern order.
    pub fn matches(&self, text: &Folded) -> Vec<usize> {
        self.matches_in(text.as_str(), 0..text.as_str().len())
    }

    /// Which patterns match inside `range` of `text` (looking at the text around it for `\b`).
    fn matches_in(&self, text: &str, range: Range<usize>) -> Vec<usize> {
        let input = Input::new(text).range(range);
        let mut fired = regex_automata::PatternSet::new(self.sources.len());
        let mut caches = self.caches.get();
        let (dfa_cache, vm_cache, _) = &mut *caches;
        if self
            .dfa
            .try_which_overlapping_matches(dfa_cache, &input, &mut fired)
            .is_err()
        {
            fired.clear();
            self.vm
                .which_overlapping_matches(vm_cache, &input, &mut fired);
        }
        fired.iter().map(|p| p.as_usize()).collect()
    }

    /// Every non-empty match of every pattern in `text`, sentence by sentence, as
    /// `(pattern, span, captures)`; the captures only for patterns with named groups, since
    /// asking for them costs a slower engine. A pattern never matches across a sentence end.
    ///
    /// The set scans the text once, reporting every pattern's match ends; each end is credited to
    /// the sentence where it falls. The reversed set then finds, from each end, where the match
    /// starts (anchored to that pattern, bounded by the sentence), and the matches are taken
    /// leftmost first, longest at a start, without overlap. Only patterns with named groups run
    /// alone, on their match's span. Should a lazy DFA give up, each pattern that fires runs alone
    /// over its sentences instead.
    pub fn for_each_match(
        &self,
        text: &Folded,
        mut found: impl FnMut(usize, Range<usize>, &Groups),
    ) {
        let sentences = text.sentences();
        let text = text.as_str();
        let mut caches = self.caches.get();
        let spans = self
            .ends_by_sentence(&mut caches.0, text, sentences)
            .and_then(|ends| self.spans_from_ends(&mut caches.2, text, sentences, &ends));
        drop(caches);
        match spans {
            Some(spans) => {
                // One set of capture slots per run of the same named pattern.
                let mut caps: Option<(usize, Captures)> = None;
                for (i, span) in spans {
                    if !self.named[i] {
                        found(i, span, &Groups { text, caps: None });
                        continue;
                    }
                    let regex = self.regex(i);
                    let slots = match &mut caps {
                        Some((pattern, slots)) if *pattern == i => slots,
                        _ => &mut caps.insert((i, regex.create_captures())).1,
                    };
                    let input = Input::new(text).range(span).anchored(Anchored::Yes);
                    regex.search_captures(&input, slots);
                    if let Some(m) = slots.get_match() {
                        let groups = Groups {
                            text,
                            caps: Some(slots),
                        };
                        found(i, m.range(), &groups);
                    }
                }
            }
            None => {
                for range in sentences {
                    for i in self.matches_in(text, range.clone()) {
                        self.each_match(i, text, range.clone(), |span, groups| {
                            found(i, span, groups)
                        });
                    }
                }
            }
        }
    }

    /// Every match end of every pattern, as `(sentence, pattern, end)` in order: one overlapping
    /// scan of the whole text. `None` when the lazy DFA gives up.
    fn ends_by_sentence(
        &self,
        cache: &mut DfaCache,
        text: &str,
        sentences: &[Range<usize>],
    ) -> Option<Vec<(usize, usize, usize)>> {
        let input = Input::new(text);
        let mut state = OverlappingState::start();
        let mut ends = Vec::new();
        loop {
            self.dfa
                .try_search_overlapping_fwd(cache, &input, &mut state)
                .ok()?;
            let Some(m) = state.get_match() else { break };
            let sentence = sentences.partition_point(|r| r.end < m.offset());
            let sentence = sentence.min(sentences.len().saturating_sub(1));
            ends.push((sentence, m.pattern().as_usize(), m.offset()));
        }
        ends.sort_unstable();
        ends.dedup();
        Some(ends)
    }

    /// The matches the ends make, as `(pattern, span)` by sentence, then pattern, then position
    /// (the order the patterns' callers record mentions in). `None` when the lazy DFA gives up.
    fn spans_from_ends(
        &self,
        cache: &mut DfaCache,
        text: &str,
        sentences: &[Range<usize>],
        ends: &[(usize, usize, usize)],
    ) -> Option<Vec<(usize, Range<usize>)>> {
        let mut spans = Vec::with_capacity(ends.len());
        // Candidates ordered leftmost first, then longest: (start, Reverse(end)).
        let mut candidates = BinaryHeap::new();
        for group in ends.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (sentence, i, _) = group[0];
            let floor = sentences.get(sentence).map_or(0, |r| r.start);
            candidates.clear();
            for &(_, _, end) in group {
                if let Some(start) = self.start_of(cache, i, text, floor, end)? {
                    candidates.push(Reverse((start, Reverse(end))));
                }
            }
            let mut taken = floor;
            while let Some(Reverse((start, Reverse(end)))) = candidates.pop() {
                if end <= taken || start == end {
                    continue;
                }
                if start < taken {
                    // Overlaps the match taken before it: a shorter match may start after it.
                    if let Some(start) = self.start_of(cache, i, text, taken, end)? {
                        candidates.push(Reverse((start, Reverse(end))));
                    }
                    continue;
                }
                spans.push((i, start..end));
                taken = end;
            }
        }
        Some(spans)
    }

    /// Where the longest match of pattern `i` that ends at `end` and starts at or after `floor`
    /// starts; `Err` when the lazy DFA gives up.
    fn start_of(
        &self,
        cache: &mut DfaCache,
        i: usize,
        text: &str,
        floor: usize,
        end: usize,
    ) -> Option<Option<usize>> {
        if floor > end {
            return Some(None);
        }
        let input = Input::new(text)
            .range(floor..end)
            .anchored(Anchored::Pattern(PatternID::new_unchecked(i)));
        let found = self.rev.try_search_rev(cache, &input).ok()?;
        Some(found.map(|m| m.offset()))
    }

    /// Every non-empty match of pattern `i` in `input`, with its groups when it has names.
    fn each_match(
        &self,
        i: usize,
        text: &str,
        range: Range<usize>,
        mut found: impl FnMut(Range<usize>, &Groups),
    ) {
        let regex = self.regex(i);
        let mut input = Input::new(text).range(range);
        let mut caps = if self.named[i] {
            regex.create_captures()
        } else {
            Captures::empty(regex.group_info().clone())
        };
        loop {
            let span = if self.named[i] {
                regex.search_captures(&input, &mut caps);
                caps.get_match().map(|m| m.range())
            } else {
                regex.search(&input).map(|m| m.range())
            };
            let Some(span) = span else { break };
            if span.is_empty() {
                if span.end >= input.end() {
                    break;
                }
                input.set_start(next_boundary(text, span.end));
                continue;
            }
            input.set_start(span.end);
            found(
                span,
                &Groups {
                    text,
                    caps: self.named[i].then_some(&caps),
                },
            );
        }
    }

    /// The named groups of pattern `i`'s first match in `text`, if it matches.
    pub fn first_groups<'t>(
        &self,
        i: usize,
        text: &'t str,
    ) -> Option<Vec<(String, Option<&'t str>)>> {
        let regex = self.regex(i);
        let mut caps = regex.create_captures();
        regex.search_captures(&Input::new(text), &mut caps);
        caps.get_match()?;
        let names = regex.group_info().pattern_names(PatternID::ZERO).flatten();
        Some(
            names
                .map(|n| {
                    (
                        n.to_string(),
                        caps.get_group_by_name(n).map(|s| &text[s.range()]),
                    )
                })
                .collect(),
        )
    }

    /// Whether pattern `i` matches `text` starting exactly at `at`.
    fn matches_at(&self, i: usize, text: &str, at: usize) -> bool {
        let pattern = Anchored::Pattern(PatternID::new_unchecked(i));
        let input = Input::new(text).range(at..).anchored(pattern);
        let mut caches = self.caches.get();
        let (dfa_cache, vm_cache, _) = &mut *caches;
        match self.dfa.try_search_fwd(dfa_cache, &input) {
            Ok(found) => found.is_some(),
            Err(_) => self.vm.search_slots(vm_cache, &input, &mut []).is_some(),
        }
    }

    /// Pattern `i` alone, compiled on first use.
    fn regex(&self, i: usize) -> &meta::Regex {
        self.singles[i].get_or_init(|| {
            meta::Builder::new()
                .configure(
                    meta::Config::new()
                        .nfa_size_limit(Some(SIZE_LIMIT))
                        .auto_prefilter(false),
                )
                .build_from_hir(&self.hirs[i])
                .unwrap_or_else(|e| {
                    // Unreachable: the same syntax compiled as part of the set, in a larger NFA.
                    unreachable!("pattern {i} compiled in its set but not alone: {e}")
                })
        })
    }

    /// Checks pattern `i` against its examples; one message per failing example.
    pub fn example_faults(&self, i: usize, must: &[String], must_not: &[String]) -> Vec<String> {
        // An anchored search for this one pattern at each start keeps the lazy DFA to the
        // pattern's own states: far cheaper than asking the whole set about every example.
        let hits = |example: &str| {
            let folded = Folded::new(example);
            let text = folded.as_str();
            (0..=text.len())
                .filter(|&at| text.is_char_boundary(at))
                .any(|at| self.matches_at(i, text, at))
        };
        let mut out = Vec::new();
        for m in must.iter().filter(|m| !hits(m)) {
            out.push(format!("example {m:?} should match but does not"));
        }
        for m in must_not.iter().filter(|m| hits(m)) {
            out.push(format!("example {m:?} should not match but does"));
        }
        out
    }
}

/// The sentences of `text`: it splits after `.`, `;`, `!`, `?` or a line break and the space that
/// follows it (a split needs one), so "2.5 cm" and "s/p" stay whole. Every byte belongs to one
/// sentence.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let ends_at = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, b'.' | b';' | b'!' | b'?' | b'\n'));
    for (i, _) in ends_at {
        if i < start {
            continue;
        }
        let ends = bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace());
        if ends {
            // The sentence keeps the space after its end, so a pattern may see "mets. " whole.
            let end = (i + 2).min(bytes.len());
            out.push(start..end);
            start = end;
        }
    }
    if start < bytes.len() || out.is_empty() {
        out.push(start..bytes.len());
    }
    out
}

/// The first char boundary after `at` (or the end).
fn next_boundary(text: &str, at: usize) -> usize {
    (at + 1..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len())
}

/// The named groups of one match, read from the text it was found in.
pub struct Groups<'a> {
    text: &'a str,
    caps: Option<&'a Captures>,
}

impl<'a> Groups<'a> {
    /// The text of group `name`, when the pattern has it and it took part in the match.
    pub fn name(&self, name: &str) -> Option<&'a str> {
        let span = self.caps?.get_group_by_name(name)?;
        Some(&self.text[span.range()])
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A pattern that passed [`check_pattern`]: its source, syntax tree and capture group names.
#[derive(Debug, Clone)]
pub struct Checked {
    pub source: String,
    pub names: Vec<String>,
    hir: Hir,
}

/// Checks one pattern without compiling an automaton: its syntax, and that it writes no literal
/// upper-case letter, which folded text can never hold.
pub fn check_pattern(pattern: &str) -> Result<Checked, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| format!("the pattern does not compile: {}", one_line(&e.to_string())))?;
    let mut names = Vec::new();
    let mut upper = Vec::new();
    inspect(&hir, &mut names, &mut upper);
    if !upper.is_empty() {
        upper.sort_unstable();
        upper.dedup();
        let letters: String = upper.into_iter().collect();
        return Err(format!(
            "upper-case letters `{letters}`: messages are matched in lower case, so write them in lower case"
        ));
    }
    Ok(Checked {
        source: pattern.to_string(),
        names,
        hir,
    })
}

/// Collects capture names, and literal upper-case ASCII letters.
fn inspect(hir: &Hir, names: &mut Vec<String>, upper: &mut Vec<char>) {
    match hir.kind() {
        HirKind::Literal(lit) => upper.extend(
            lit.0
                .iter()
                .filter(|b| b.is_ascii_uppercase())
                .map(|&b| b as char),
        ),
        HirKind::Capture(cap) => {
            if let Some(name) = &cap.name {
                names.push(name.to_string());
            }
            inspect(&cap.sub, names, upper);
        }
        HirKind::Repetition(rep) => inspect(&rep.sub, names, upper),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|h| inspect(h, names, upper));
        }
        // A class is left to the examples: `[^a-z]` holding upper case is harmless.
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_offsets_and_non_ascii() {
        let f = Folded::new("SSTR+ Ω 25 MM");
        assert_eq!(f.as_str(), "sstr+ Ω 25 mm");
        assert_eq!(f.as_str().len(), "SSTR+ Ω 25 MM".len());
    }

    #[test]
    fn a_set_finds_which_fired_and_compiles_singles_on_demand() {
        let patterns = [r"\bmets?\b", r"(?P<n>\d+) cm"].map(|p| check_pattern(p).unwrap());
        let set = PatternSet::new(patterns.to_vec()).unwrap();
        let text = Folded::new("Liver METS, 2 cm");
        let fired = set.matches(&text);
        assert_eq!(fired, vec![0, 1]);
        assert_eq!(
            set.first_groups(1, text.as_str()).unwrap()[0]
                .1
                .unwrap()
                .to_string(),
            "2"
        );
        assert!(set
            .example_faults(0, &["MET".into()], &["metro".into()])
            .is_empty());
        assert_eq!(set.example_faults(0, &["x".into()], &[]).len(), 1);
    }

    #[test]
    fn sentences_split_at_ends_followed_by_space() {
        let text = "pNET G2. 2.5 cm lesion; s/p RFA!\nok? fine";
        let got: Vec<&str> = sentences(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            got,
            vec!["pNET G2. ", "2.5 cm lesion; ", "s/p RFA!\n", "ok? ", "fine"]
        );
        assert_eq!(sentences(""), vec![0..0]);
    }

    #[test]
    fn matches_are_found_sentence_by_sentence_with_their_context() {
        let set = PatternSet::new(vec![check_pattern(r"\bmets\b").unwrap()]).unwrap();
        let text = Folded::new("liver mets. bone mets; xmets");
        let mut spans = Vec::new();
        set.for_each_match(&text, |_, span, _| spans.push(span));
        assert_eq!(spans, vec![6..10, 17..21]);
    }

    #[test]
    fn patterns_are_checked_for_syntax_and_case() {
        assert_eq!(
            check_pattern(r"(?P<n>\d+)(?P<unit>cm|mm)").unwrap().names,
            vec!["n", "unit"]
        );
        assert!(check_pattern("(unclosed")
            .unwrap_err()
            .contains("does not compile"));
        assert!(check_pattern("mg/dL")
            .unwrap_err()
            .contains("upper-case letters `L`"));
        assert!(
            check_pattern(r"[\x0B]\x0C[0-9A-Za-z_]").is_ok(),
            "escapes and ASCII \\w are fine"
        );
    }
}
