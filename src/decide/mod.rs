//! The decision module: case features → the options that apply, how well each fits and why, the
//! caveats about their evidence, and the missing information that would change the answer.
//!
//! Pure and deterministic: [`decide`] reads only the loaded [`Knowledge`] and the case, and every
//! fit comes with the rules that set it (the trace). How rules combine for one option: the best
//! `support` that fired, limited by the lowest `cap` that fired (favoured > possible > caution >
//! not favoured); an option only capped is listed with its cap and the reason, so an option the
//! case rules out is never dropped silently. Rules that fire add their reasons and caveats;
//! rules that name missing information add it once per feature.
//!
//! It imports nothing of Discord, HTTP or async: other integrations use it as a library.

use crate::case::{CaseFeatures, FeatureId};
pub use crate::knowledge::rules::Caveat;
use crate::knowledge::rules::{Effect, Fit};
use crate::knowledge::{Category, Evidence, Knowledge};
use crate::question::{OptionId, Question};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The decision for one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// The options the case makes relevant, best fit first.
    pub options: Vec<AdvisedOption>,
    /// Unknown features that would change an option's fit, each with why.
    pub missing: Vec<Missing>,
    /// General caveats that fired, not tied to one option.
    pub notes: Vec<Caveat>,
    /// The options the question names, whether or not a rule speaks to this case: what each is,
    /// its evidence, and every caveat the knowledge base records for it (its harms, for a
    /// toxicity question).
    pub asked: Vec<Brief>,
}

impl Advice {
    /// The caveats an answer shows, with their option: those of every option it does not rule
    /// out (a caveat about an option not favoured would only distract).
    pub fn shown_caveats(&self) -> impl Iterator<Item = (&AdvisedOption, &Caveat)> {
        self.options
            .iter()
            .filter(|o| o.fit != Fit::NotFavoured)
            .flat_map(|o| o.caveats.iter().map(move |c| (o, c)))
    }

    /// Every source the answer cites — options' evidence and caveats, general notes, the briefs
    /// of asked options — once each, in order of first citation.
    pub fn cited_sources(&self) -> Vec<&str> {
        let options = self.options.iter().flat_map(|o| {
            o.evidence
                .sources
                .iter()
                .chain(o.caveats.iter().flat_map(|c| c.sources.iter()))
        });
        let notes = self.notes.iter().flat_map(|n| n.sources.iter());
        let asked = self.asked.iter().flat_map(|b| {
            b.evidence
                .sources
                .iter()
                .chain(b.caveats.iter().flat_map(|c| c.sources.iter()))
        });
        let mut cited: Vec<&str> = Vec::new();
        for id in options.chain(notes).chain(asked) {
            if !cited.contains(&id.as_str()) {
                cited.push(id);
            }
        }
        cited
    }
}

/// What the knowledge base says of one option the question names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    pub id: OptionId,
    pub title: Arc<str>,
    pub what: Arc<str>,
    /// Its fit for this case, when any rule speaks to it.
    pub fit: Option<Fit>,
    pub evidence: Arc<Evidence>,
    pub caveats: Vec<Caveat>,
}

/// One option with its fit for the case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdvisedOption {
    pub id: OptionId,
    pub title: Arc<str>,
    /// The name a quick answer uses.
    pub short: Arc<str>,
    pub category: Category,
    pub fit: Fit,
    /// The reasons of the rules that set the fit.
    pub why: Vec<Arc<str>>,
    pub caveats: Vec<Caveat>,
    pub evidence: Arc<Evidence>,
    /// The ids of the rules that fired for this option: the trace.
    pub rules: Vec<String>,
}

/// A feature whose value would change the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Missing {
    pub feature: FeatureId,
    pub why: Arc<str>,
}

#[derive(Default)]
struct Tally {
    best_support: Option<Fit>,
    lowest_cap: Option<Fit>,
    why: Vec<Arc<str>>,
    caveats: Vec<Caveat>,
    rules: Vec<String>,
}

/// Decides the options for `case`. An option the question names is listed whenever any rule
/// speaks of it for this case, whatever its fit.
pub fn decide(knowledge: &Knowledge, question: &Question, case: &CaseFeatures) -> Advice {
    let mut tallies: BTreeMap<OptionId, Tally> = BTreeMap::new();
    let mut missing: Vec<Missing> = Vec::new();
    let mut notes: Vec<Caveat> = Vec::new();
    for rule in knowledge.rules().iter().filter(|r| r.when.holds(case)) {
        if let Some(feature) = rule.missing {
            if case.get(feature).is_none() && !missing.iter().any(|m| m.feature == feature) {
                missing.push(Missing {
                    feature,
                    why: rule.reason.clone(),
                });
            }
        }
        let Some(option) = rule.option else {
            notes.extend(rule.caveat.clone());
            continue;
        };
        let tally = tallies.entry(option).or_default();
        match rule.effect {
            Effect::Support(fit) => tally.best_support = tally.best_support.max(Some(fit)),
            Effect::Cap(fit) => {
                tally.lowest_cap = Some(tally.lowest_cap.map_or(fit, |c| c.min(fit)))
            }
            Effect::None => {}
        }
        if rule.effect != Effect::None && !tally.why.contains(&rule.reason) {
            tally.why.push(rule.reason.clone());
        }
        tally.caveats.extend(rule.caveat.clone());
        tally.rules.push(rule.id.clone());
    }
    let mut options: Vec<AdvisedOption> = tallies
        .into_iter()
        .filter_map(|(id, t)| {
            let fit = match (t.best_support, t.lowest_cap) {
                (Some(s), Some(c)) => s.min(c),
                (Some(s), None) => s,
                (None, Some(c)) => c,
                // Only caveats fired: listed when asked about, with its catalogue evidence.
                (None, None) if question.options.contains(&id) => Fit::Possible,
                (None, None) => return None,
            };
            Some(advised(knowledge, id, fit, t))
        })
        .collect();
    let rank = |id: OptionId| OptionId::ALL.iter().position(|o| *o == id);
    options.sort_by_key(|o| (std::cmp::Reverse(o.fit), rank(o.id)));
    let asked = question
        .options
        .iter()
        .map(|&id| brief(knowledge, id, &options))
        .collect();
    Advice {
        options,
        missing,
        notes,
        asked,
    }
}

fn advised(knowledge: &Knowledge, id: OptionId, fit: Fit, tally: Tally) -> AdvisedOption {
    let entry = knowledge.option(id);
    AdvisedOption {
        id,
        title: entry.title.clone(),
        short: entry.short.clone(),
        category: entry.category,
        fit,
        why: tally.why,
        caveats: tally.caveats,
        evidence: entry.evidence.clone(),
        rules: tally.rules,
    }
}

fn brief(knowledge: &Knowledge, id: OptionId, options: &[AdvisedOption]) -> Brief {
    let entry = knowledge.option(id);
    let mut caveats: Vec<Caveat> = Vec::new();
    for rule in knowledge.rules().iter().filter(|r| r.option == Some(id)) {
        if let Some(caveat) = &rule.caveat {
            if !caveats.iter().any(|c| c.text == caveat.text) {
                caveats.push(caveat.clone());
            }
        }
    }
    Brief {
        id,
        title: entry.title.clone(),
        what: entry.what.clone(),
        fit: options.iter().find(|o| o.id == id).map(|o| o.fit),
        evidence: entry.evidence.clone(),
        caveats,
    }
}
