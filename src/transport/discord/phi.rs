//! Identifier detection: does a message look like it carries something that identifies a patient?
//!
//! Discord is not a HIPAA-covered service, so the bot warns (or, with `NETBOARD_PHI=refuse`,
//! declines) when a message carries what looks like an identifier: a record number or another long
//! ID number, a date of birth, a phone number, an e-mail address, a name after a title (Mr, Mrs,
//! Ms, Dr …) when it is about the patient, a street address. It reports only the *kinds* found —
//! never the matched words, which must not reach a log line or a reply.
//!
//! It is a screen, not a guarantee: it errs towards warning (a caution costs a line; a missed
//! identifier costs more), and the limits are admitted in the tests' comments. Clinical numbers
//! are left alone on purpose: sizes, Ki-67, counts, lab values and years have at most six digits
//! or carry units, so "long ID number" starts at seven digits.

use regex::Regex;
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

/// A kind of identifier a message seems to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IdentifierKind {
    RecordNumber,
    IdNumber,
    DateOfBirth,
    Phone,
    Email,
    NameWithTitle,
    StreetAddress,
}

impl IdentifierKind {
    /// The name used in logs (a kind, never the text).
    pub fn name(self) -> &'static str {
        match self {
            IdentifierKind::RecordNumber => "record_number",
            IdentifierKind::IdNumber => "id_number",
            IdentifierKind::DateOfBirth => "date_of_birth",
            IdentifierKind::Phone => "phone",
            IdentifierKind::Email => "email",
            IdentifierKind::NameWithTitle => "name_with_title",
            IdentifierKind::StreetAddress => "street_address",
        }
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentifierKind::RecordNumber => "a record number",
            IdentifierKind::IdNumber => "a long ID number",
            IdentifierKind::DateOfBirth => "a date of birth",
            IdentifierKind::Phone => "a phone number",
            IdentifierKind::Email => "an e-mail address",
            IdentifierKind::NameWithTitle => "a name",
            IdentifierKind::StreetAddress => "a street address",
        })
    }
}

const MONTH: &str = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?";

static PATTERNS: LazyLock<Vec<(IdentifierKind, Regex)>> = LazyLock::new(|| {
    let date = format!(
        r"(?:\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH},?\s+\d{{2,4}}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}}|(?:19|20)\d{{2}})"
    );
    let patterns = [
        (
            IdentifierKind::RecordNumber,
            r"(?i)\b(?:mrn|mr#|medical\s+record|record\s+(?:no|number|#)|hospital\s+(?:no|number|#)|nhs\s*(?:no|number|#)?|chi\s+(?:no|number)|ur\s+(?:no|number)|patient\s+id)\b\.?\s*[:#]?\s*[a-z]{0,3}\d[\w-]{2,}".to_string(),
        ),
        (
            IdentifierKind::IdNumber,
            r"\b(?:\d{7,}|\d{3}-\d{2}-\d{4})\b".to_string(),
        ),
        (
            IdentifierKind::DateOfBirth,
            format!(r"(?i)\b(?:dob|d\.o\.b|date\s+of\s+birth|born(?:\s+on|\s+in)?)\b\.?\s*[:\-]?\s*{date}"),
        ),
        (
            IdentifierKind::Phone,
            r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,5}\)[ .-]?|\b\d{2,5}[ .-])\d{3,4}[ .-]?\d{3,4}\b".to_string(),
        ),
        (
            IdentifierKind::Email,
            r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b".to_string(),
        ),
        (
            IdentifierKind::NameWithTitle,
            r"\b(?i:mr|mrs|ms|miss|mx|dr|prof)\.?\s+[A-Z][a-z'’-]+".to_string(),
        ),
        (
            IdentifierKind::StreetAddress,
            r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s+){1,3}(?i:street|st|road|rd|avenue|ave|lane|ln|drive|boulevard|blvd|way|court|ct|close|crescent|place|terrace|gardens|square)\b".to_string(),
        ),
    ];
    patterns
        .into_iter()
        .map(|(kind, p)| (kind, Regex::new(&p).expect("identifier patterns compile")))
        .collect()
});

/// Words right before a titled name that make it a colleague, not the patient ("discussed with
/// Dr Patel", "referred by Mr Jones").
const COLLEAGUE_CUES: &[&str] = &[
    "with",
    "by",
    "to",
    "per",
    "from",
    "cc",
    "under",
    "ask",
    "asked",
    "call",
    "called",
    "page",
    "paged",
    "surgeon",
    "oncologist",
    "radiologist",
    "consultant",
    "colleague",
    "team",
    "clinic",
    "thanks",
    "thank",
    "and",
];

/// The kinds of identifier `text` seems to carry, each once, in a fixed order.
pub fn identifiers(text: &str) -> Vec<IdentifierKind> {
    let spans: Vec<(IdentifierKind, Range<usize>)> = PATTERNS
        .iter()
        .flat_map(|(kind, re)| {
            re.find_iter(text)
                .filter(|m| counts(*kind, text, *m))
                .map(|m| (*kind, m.range()))
        })
        .collect();
    // A number inside a record number or a phone number is not also "a long ID number".
    let inside_another = |r: &Range<usize>| {
        spans.iter().any(|(k, o)| {
            matches!(k, IdentifierKind::RecordNumber | IdentifierKind::Phone)
                && o.start <= r.start
                && r.end <= o.end
        })
    };
    let mut kinds: Vec<IdentifierKind> = spans
        .iter()
        .filter(|(k, r)| *k != IdentifierKind::IdNumber || !inside_another(r))
        .map(|(k, _)| *k)
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Whether a match is the identifier its pattern looks for.
fn counts(kind: IdentifierKind, text: &str, m: regex::Match<'_>) -> bool {
    match kind {
        IdentifierKind::Phone => {
            let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
            (9..=15).contains(&digits)
        }
        IdentifierKind::NameWithTitle => {
            let before = text[..m.start()].to_ascii_lowercase();
            let cue = before
                .split(|c: char| !c.is_ascii_alphanumeric())
                .rfind(|w| !w.is_empty())
                .unwrap_or("");
            !COLLEAGUE_CUES.contains(&cue)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::IdentifierKind::*;
    use super::*;

    #[test]
    fn each_kind_is_found() {
        for (text, kind) in [
            ("MRN 48213377, pNET G2", RecordNumber),
            ("mrn: A123456 liver mets", RecordNumber),
            ("NHS no 943 476 5919", RecordNumber),
            ("hospital number 55-1234", RecordNumber),
            ("pt 12345678 with liver mets", IdNumber),
            ("SSN 123-45-6789", IdNumber),
            ("DOB 12/03/1956, ileal NET", DateOfBirth),
            ("date of birth: 3rd March 1956", DateOfBirth),
            ("born on March 3, 1956", DateOfBirth),
            ("d.o.b. 1956", DateOfBirth),
            ("call her on 555-123-4567", Phone),
            ("mobile (020) 7946 0958", Phone),
            ("+44 20 7946 0958", Phone),
            ("07700 900123", Phone),
            ("email jane.doe@example.org about it", Email),
            ("Mrs Jones, 64, pNET G2", NameWithTitle),
            ("mr. Smith has liver mets", NameWithTitle),
            ("patient Dr O'Neill, retired GP, ileal NET", NameWithTitle),
            ("lives at 221B Baker Street", StreetAddress),
            ("12 Elm Road", StreetAddress),
        ] {
            assert!(
                identifiers(text).contains(&kind),
                "{text:?} should show {kind:?}: {:?}",
                identifiers(text)
            );
        }
    }

    #[test]
    fn clinical_text_is_left_alone() {
        for text in [
            "pNET G2, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid — options?",
            "Ki-67 15%, eGFR 45, platelets 150000, creatinine 1.4 mg/dL, bilirubin 0.9",
            "CgA 1250 ng/mL, 5-HIAA 48 mg/24h, ECOG 1",
            "diagnosed 2019, PRRT x4 in 2021, progressing since 03/2024",
            "lesions 1.2 x 2.3 x 3.4 cm in segments 4, 7 and 8",
            "s/p Whipple 2018; MS on imaging? no",
            "discussed with Dr Patel (HPB), seen by Mr Jones the surgeon",
            "ileal NET, diffuse bilobar liver mets, SSTR+, progressing on octreotide",
            "Lu-177 7.4 GBq x 4 cycles, 2 cm lesion in segment 8",
        ] {
            assert_eq!(identifiers(text), vec![], "{text:?}");
        }
    }

    #[test]
    fn a_record_number_is_not_also_an_id_number() {
        assert_eq!(identifiers("MRN 48213377"), vec![RecordNumber]);
        assert_eq!(identifiers("555-123-4567"), vec![Phone]);
        assert_eq!(
            identifiers("MRN 48213377 and 99887766"),
            vec![RecordNumber, IdNumber]
        );
    }

    #[test]
    fn kinds_are_named_without_the_text() {
        let kinds = identifiers("Mrs Jones, DOB 12/03/1956, MRN 48213377");
        assert_eq!(kinds, vec![RecordNumber, DateOfBirth, NameWithTitle]);
        let shown: Vec<String> = kinds.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["a record number", "a date of birth", "a name"]);
        assert!(kinds.iter().all(|k| !k.name().contains("Jones")));
    }
}
