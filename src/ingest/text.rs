//! Text clean-up shared by every importer.
//!
//! Council directories, OpenActive feeds and spreadsheets all carry the same mess:
//! HTML pasted into descriptions, entities, stray whitespace, and access information as
//! free text. One copy of each clean-up here keeps the importers consistent.

/// Plain text from text that may contain HTML: tags dropped, block ends as paragraph
/// breaks, the common entities decoded, whitespace tidied.
pub fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('>') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let tag = rest[i + 1..i + j]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        let name = tag
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        if matches!(
            name,
            "p" | "br" | "div" | "li" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "tr"
        ) {
            out.push_str("\n\n");
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&pound;", "£");
    decoded
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The first paragraph, cut at a sentence (or word) to fit a result card.
pub fn summary_of(description: &str) -> String {
    let first = description.split("\n\n").next().unwrap_or("");
    if first.chars().count() <= 200 {
        return first.to_string();
    }
    let cut: String = first.chars().take(200).collect();
    match cut.rfind(". ") {
        Some(i) if i > 60 => cut[..=i].to_string(),
        _ => format!("{}…", cut[..cut.rfind(' ').unwrap_or(cut.len())].trim_end()),
    }
}

/// At most `max` characters, cut at a word with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut[..cut.rfind(' ').unwrap_or(cut.len())].trim_end())
}

/// Phrases that mean an accessibility feature (a taxonomy slug) in free text.
const ACCESS_PHRASES: &[(&str, &[&str])] = &[
    ("wheelchair", &["wheelchair"]),
    (
        "step-free",
        &[
            "step-free",
            "step free",
            "level access",
            "ramp",
            "lift access",
            "no steps",
        ],
    ),
    (
        "accessible-toilet",
        &[
            "accessible toilet",
            "disabled toilet",
            "accessible wc",
            "disabled wc",
        ],
    ),
    (
        "hearing-loop",
        &["hearing loop", "induction loop", "loop system"],
    ),
    ("bsl", &["bsl", "british sign language"]),
    ("large-print", &["large print"]),
    ("quiet", &["quiet room", "quiet space", "calm space"]),
    (
        "dementia-friendly",
        &["dementia friendly", "dementia-friendly"],
    ),
    ("autism-friendly", &["autism friendly", "autism-friendly"]),
    (
        "blue-badge-parking",
        &["blue badge", "disabled parking", "accessible parking"],
    ),
    ("parking", &["parking", "car park"]),
    (
        "carer-free",
        &["carers go free", "carer goes free", "carers free"],
    ),
];

/// Words just before a phrase that turn it around ("no wheelchair access").
const NEGATIONS: &[&str] = &["no", "not", "without", "isn't", "unfortunately"];

/// The accessibility features free text says a place has, skipping negated mentions.
pub fn access_features_in(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for (slug, phrases) in ACCESS_PHRASES {
        let hit = phrases.iter().any(|p| {
            lower.match_indices(p).any(|(i, _)| {
                let before = &lower[..i];
                let start_ok = before
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                let end = i + p.len();
                let end_ok = lower[end..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric() || p.len() > 4);
                let negated = before.split_whitespace().rev().take(3).any(|w| {
                    NEGATIONS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''))
                });
                start_ok && end_ok && !negated
            })
        });
        if hit {
            out.push(*slug);
        }
    }
    out
}

/// A phone number with stray quotes and spaces tidied.
pub fn phone_number(s: &str) -> Option<String> {
    let t = s.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    (digits >= 6).then(|| t.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_clean_text() {
        assert_eq!(
            strip_html("<p>Fun &amp; games</p><p>Bring  <b>shoes</b>.<br>Tea&nbsp;after</p>"),
            "Fun & games\n\nBring shoes.\n\nTea after"
        );
        assert_eq!(strip_html("a < b"), "a < b");
    }

    #[test]
    fn access_text_matches_features() {
        assert_eq!(
            access_features_in(
                "The building is equipped with induction loops for hearing aids. Wheelchair access is possible on all levels."
            ),
            vec!["wheelchair", "hearing-loop"]
        );
        assert!(access_features_in("Sorry, no wheelchair access").is_empty());
        assert_eq!(
            access_features_in("Free car park, blue badge bays"),
            vec!["blue-badge-parking", "parking"]
        );
    }

    #[test]
    fn contact_values() {
        assert_eq!(
            phone_number("\"+44 1234 234567\"").as_deref(),
            Some("+44 1234 234567")
        );
    }
}
