//! Compiled pattern lists: one regex-set pass says which patterns fire, and only those run.
//!
//! Every stage of extraction (question intents, option names, feature patterns, assertion
//! triggers) is a list of patterns from `intents/`. A [`PatternSet`] compiles the list once as a
//! regex set; each pattern is compiled alone only when it first fires, for its spans and
//! captures. Start-up therefore pays for one automaton per list, not two per pattern.
//!
//! Patterns match [`Folded`] text: the message with its ASCII letters lower-cased. Folding keeps
//! every byte offset (so spans point into the original message) and lets the patterns compile
//! case-sensitively, which is several times cheaper than case-insensitive matching and keeps the
//! literal prefilters small. Patterns are therefore written in lower case; a pattern with an
//! upper-case letter is a load fault, since it could never match.

use regex::{Regex, RegexBuilder};
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson::pikevm::{Cache as VmCache, PikeVM};
use regex_automata::nfa::thompson::{self, WhichCaptures, NFA};
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::{Hir, HirKind};
use std::sync::OnceLock;

/// Upper bound on a compiled pattern or set, so no data file can blow up memory or time.
const SIZE_LIMIT: usize = 32 << 20;

/// Text with its ASCII letters lower-cased: what patterns match. Byte offsets are the original's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded(String);

impl Folded {
    pub fn new(text: &str) -> Folded {
        Folded(text.to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The scratch space one search needs, pooled so that a set is shared across threads.
type Caches = (DfaCache, VmCache);
type MakeCaches =
    Box<dyn Fn() -> Caches + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// A list of patterns: one regex set over all, and each pattern alone on demand.
///
/// The set is a forward lazy DFA over all the patterns that reports every pattern that matches
/// (what `regex::RegexSet` does, built directly so that it carries no capture states, no reverse
/// automaton and no prefilter: it only answers which patterns fire). Should the lazy DFA give
/// up (its cache thrashing on a pathological text), the same NFA runs in the PikeVM, which is
/// slower but linear and never fails.
pub struct PatternSet {
    dfa: DFA,
    vm: PikeVM,
    caches: Pool<Caches, MakeCaches>,
    sources: Vec<String>,
    singles: Vec<OnceLock<Regex>>,
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
        let nfa: NFA = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
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
                    // A Unicode `\b` (intents/ rewrites them to ASCII) works on ASCII text; on
                    // other text the lazy DFA stops and the PikeVM answers.
                    .unicode_word_boundary(true)
                    .cache_capacity(SIZE_LIMIT)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| fail(&e))?;
        let vm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .map_err(|e| fail(&e))?;
        let (dfa_for_caches, vm_for_caches) = (dfa.clone(), vm.clone());
        let make: MakeCaches =
            Box::new(move || (dfa_for_caches.create_cache(), vm_for_caches.create_cache()));
        let sources: Vec<String> = checked.into_iter().map(|c| c.source).collect();
        let singles = sources.iter().map(|_| OnceLock::new()).collect();
        Ok(PatternSet {
            dfa,
            vm,
            caches: Pool::new(make),
            sources,
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

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Which patterns match somewhere in `text`, in pattern order.
    pub fn matches(&self, text: &Folded) -> Vec<usize> {
        let input = Input::new(text.as_str());
        let mut fired = regex_automata::PatternSet::new(self.sources.len());
        let mut caches = self.caches.get();
        let (dfa_cache, vm_cache) = &mut *caches;
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

    /// Whether pattern `i` matches `text` starting exactly at `at`.
    fn matches_at(&self, i: usize, text: &str, at: usize) -> bool {
        let pattern = Anchored::Pattern(PatternID::new_unchecked(i));
        let input = Input::new(text).range(at..).anchored(pattern);
        let mut caches = self.caches.get();
        let (dfa_cache, vm_cache) = &mut *caches;
        match self.dfa.try_search_fwd(dfa_cache, &input) {
            Ok(found) => found.is_some(),
            Err(_) => self.vm.search_slots(vm_cache, &input, &mut []).is_some(),
        }
    }

    /// Pattern `i` alone, compiled on first use.
    pub fn regex(&self, i: usize) -> &Regex {
        self.singles[i].get_or_init(|| {
            single(&self.sources[i]).unwrap_or_else(|e| {
                // Unreachable: the same pattern compiled as part of the set, under the same limits.
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

fn single(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
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
            set.regex(1).captures(text.as_str()).unwrap()["n"].to_string(),
            "2"
        );
        assert!(set
            .example_faults(0, &["MET".into()], &["metro".into()])
            .is_empty());
        assert_eq!(set.example_faults(0, &["x".into()], &[]).len(), 1);
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
