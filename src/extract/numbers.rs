//! Numbers as clinicians write them: digits, words, shorthand and units.
//!
//! The intent patterns decide *where* a number is ("3 liver mets", "largest 25 mm"); these
//! functions turn the captured text into a value. They never fail loudly: text that holds no
//! number gives `None` and the mention records nothing.

use regex::Regex;
use std::sync::LazyLock;

static DECIMAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:[.,][0-9]+)?|\.[0-9]+").unwrap());

const WORDS: &[(&str, i64)] = &[
    ("a single", 1),
    ("single", 1),
    ("solitary", 1),
    ("isolated", 1),
    ("one", 1),
    ("two", 2),
    ("a couple of", 2),
    ("couple of", 2),
    ("a pair of", 2),
    ("both", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("a dozen", 12),
    ("dozen", 12),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("twenty", 20),
];

/// Every number in `text`, in order. A comma between digits is a decimal mark only when one or two
/// digits follow it ("2,5 cm"), so "1,2 and 3" lists stay apart.
fn decimals(text: &str) -> impl Iterator<Item = f64> + '_ {
    DECIMAL.find_iter(text).filter_map(|m| {
        let s = m.as_str();
        let s = match s.split_once(',') {
            Some((_, frac)) if frac.len() <= 2 => s.replacen(',', ".", 1),
            Some((int, _)) => int.to_string(),
            None => s.to_string(),
        };
        s.parse::<f64>().ok()
    })
}

/// A count: "3", "x4", "4+", ">10", "three", "a dozen", "solitary". The largest number written
/// wins ("4-5" → 5), so a range never understates the burden.
pub fn count(text: &str) -> Option<i64> {
    if let Some(n) = largest(text) {
        return (0.0..10_000.0).contains(&n).then_some(n.round() as i64);
    }
    let lower = text.to_ascii_lowercase();
    let words = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    WORDS
        .iter()
        .find(|(w, _)| contains_word(&words, w))
        .map(|(_, n)| *n)
}

/// Whether `word` stands in `text` as whole words, not inside another ("one" is not in "tone").
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The largest size in `text`, in centimetres: "2 cm", "25 mm" → 2.5, "1.2 and 1.8 cm" → 1.8.
/// Without a unit the number is taken as centimetres.
pub fn largest_cm(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let scale = if lower.contains("mm") { 0.1 } else { 1.0 };
    max(decimals(text)
        .map(|x| x * scale)
        .filter(|x| *x > 0.0 && *x < 100.0))
    .map(|x| (x * 100.0).round() / 100.0)
}

/// The largest plain number in `text`: "35", "15-20" → 20, "0-1" → 1.
pub fn largest(text: &str) -> Option<f64> {
    max(decimals(text))
}

fn max(numbers: impl Iterator<Item = f64>) -> Option<f64> {
    numbers
        .filter(|x| x.is_finite())
        .fold(None, |acc, x| Some(acc.map_or(x, |a: f64| a.max(x))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_digits_words_and_shorthand() {
        assert_eq!(count("3"), Some(3));
        assert_eq!(count("x4"), Some(4));
        assert_eq!(count("4+"), Some(4));
        assert_eq!(count(">10"), Some(10));
        assert_eq!(count("4-5"), Some(5));
        assert_eq!(count("three"), Some(3));
        assert_eq!(count("Three"), Some(3));
        assert_eq!(count("a dozen"), Some(12));
        assert_eq!(count("solitary"), Some(1));
        assert_eq!(count("several"), None);
        assert_eq!(count("tone"), None, "words are matched whole");
    }

    #[test]
    fn sizes_become_centimetres_and_the_largest_wins() {
        assert_eq!(largest_cm("2 cm"), Some(2.0));
        assert_eq!(largest_cm("25 mm"), Some(2.5));
        assert_eq!(largest_cm("1.2 and 1.8 cm"), Some(1.8));
        assert_eq!(largest_cm("2,5 cm"), Some(2.5));
        assert_eq!(largest_cm("up to 3.5 cm"), Some(3.5));
        assert_eq!(largest_cm("cm"), None);
    }

    #[test]
    fn plain_numbers_take_the_upper_end_of_a_range() {
        assert_eq!(largest("15-20"), Some(20.0));
        assert_eq!(largest("0-1"), Some(1.0));
        assert_eq!(largest("none"), None);
    }
}
