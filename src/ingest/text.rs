//! Text clean-up shared by every importer.
//!
//! Council directories, OpenActive feeds and spreadsheets all carry the same mess:
//! HTML pasted into descriptions, entities, stray whitespace, and access information as
//! free text. One copy of each clean-up here keeps the importers consistent.

/// Elements that end a paragraph: each one's start and end become a paragraph break.
const BLOCKS: &[&str] = &[
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
];

/// Elements whose content is not text for people.
const HIDDEN: &[&str] = &["script", "style", "template", "noscript", "head", "title"];

/// Plain text from text that may contain HTML: tags dropped, block ends as paragraph
/// breaks, entities decoded, whitespace tidied.
///
/// The HTML is read by html5ever (through `scraper`), the parser browsers' rules are
/// written for, so entities are decoded exactly once (`&amp;lt;` is the text `&lt;`),
/// a `<` that starts no tag stays text, and scripts and styles are dropped. Text with
/// no `<` and no `&` cannot hold markup and skips the parser.
pub fn strip_html(s: &str) -> String {
    if s.contains(['<', '&']) {
        tidy(&html_text(&unclosed_as_text(s)))
    } else {
        tidy(s)
    }
}

/// A `<` with no `>` after it is a less-than sign in what a person typed ("a<b"), not
/// the start of a tag (which a browser would drop with everything after it).
fn unclosed_as_text(s: &str) -> std::borrow::Cow<'_, str> {
    let tail = s.rfind('>').map_or(0, |i| i + 1);
    if s[tail..].contains('<') {
        format!("{}{}", &s[..tail], s[tail..].replace('<', "&lt;")).into()
    } else {
        s.into()
    }
}

/// The text of an HTML fragment, with "\n\n" around each block element.
fn html_text(s: &str) -> String {
    use scraper::Node;
    let doc = scraper::Html::parse_fragment(s);
    let mut out = String::with_capacity(s.len());
    // (node, its children are done): a stack, not recursion, so deep nesting is safe.
    let mut stack = vec![(*doc.root_element(), false)];
    while let Some((node, done)) = stack.pop() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if HIDDEN.contains(&e.name()) => {}
            Node::Element(e) => {
                if BLOCKS.contains(&e.name()) {
                    out.push_str("\n\n");
                }
                if !done {
                    stack.push((node, true));
                    stack.extend(node.children().rev().map(|c| (c, false)));
                }
            }
            _ => {}
        }
    }
    out
}

/// Paragraphs (split at blank lines) with their whitespace collapsed to single spaces.
fn tidy(s: &str) -> String {
    s.split("\n\n")
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
        assert_eq!(strip_html("a<b"), "a<b", "no tag, so no text lost");
        assert_eq!(strip_html("Ages 5<11 & over"), "Ages 5<11 & over");
    }

    #[test]
    fn entities_are_decoded_once() {
        assert_eq!(
            strip_html("&amp;lt;b&amp;gt; is a tag"),
            "&lt;b&gt; is a tag"
        );
        assert_eq!(strip_html("Tea &pound;1 &hellip; &#163;2"), "Tea £1 … £2");
        assert_eq!(strip_html("AT&T &unknown;"), "AT&T &unknown;");
    }

    #[test]
    fn markup_that_is_not_text_is_dropped() {
        assert_eq!(
            strip_html("<style>p { color: red }</style><p>Hello</p><script>alert(1)</script>"),
            "Hello"
        );
        assert_eq!(strip_html("<!-- note -->Hi <b>there"), "Hi there");
        assert_eq!(
            strip_html("<ul><li>One</li><li>Two</li></ul>"),
            "One\n\nTwo"
        );
        assert_eq!(strip_html("Plain\n\ntext  here"), "Plain\n\ntext here");
        let deep = "<div>".repeat(10_000) + "deep";
        assert_eq!(strip_html(&deep), "deep");
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
