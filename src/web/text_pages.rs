//! The text pages (about, privacy, accessibility statement), written in Markdown in
//! `content/pages/` so they can be edited without touching code.
//!
//! They are compiled into the binary and rendered once. Raw HTML in the Markdown is
//! dropped rather than passed through, so the pages cannot carry script or styles
//! that the CSP would block anyway.

use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

pub struct TextPage {
    pub slug: &'static str,
    pub title: String,
    pub html: String,
}

const SOURCES: &[(&str, &str)] = &[
    ("about", include_str!("../../content/pages/about.md")),
    ("privacy", include_str!("../../content/pages/privacy.md")),
    (
        "accessibility",
        include_str!("../../content/pages/accessibility.md"),
    ),
];

pub fn all() -> &'static [TextPage] {
    static PAGES: OnceLock<Vec<TextPage>> = OnceLock::new();
    PAGES.get_or_init(|| SOURCES.iter().map(|(slug, md)| render(slug, md)).collect())
}

pub fn get(slug: &str) -> Option<&'static TextPage> {
    all().iter().find(|p| p.slug == slug)
}

/// Renders Markdown; the first `# heading` becomes the page title.
fn render(slug: &'static str, md: &str) -> TextPage {
    let mut title = String::new();
    let mut in_h1 = false;
    let events = Parser::new_ext(md, Options::ENABLE_TABLES).filter_map(|e| match &e {
        Event::Start(Tag::Heading { level, .. }) if *level == pulldown_cmark::HeadingLevel::H1 => {
            in_h1 = true;
            Some(e)
        }
        Event::End(TagEnd::Heading(pulldown_cmark::HeadingLevel::H1)) => {
            in_h1 = false;
            Some(e)
        }
        Event::Text(t) if in_h1 => {
            title.push_str(t);
            Some(e)
        }
        Event::Html(_) | Event::InlineHtml(_) => None,
        _ => Some(e),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    TextPage { slug, title, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_has_a_title_and_no_raw_html() {
        for p in all() {
            assert!(!p.title.is_empty(), "{} has no # title", p.slug);
            assert!(!p.html.contains("<script"), "{}", p.slug);
        }
        let p = render("x", "# T\n\n<script>alert(1)</script>\n\nText <b>bold</b>");
        assert_eq!(p.title, "T");
        assert!(
            !p.html.contains("<script") && !p.html.contains("<b>"),
            "{}",
            p.html
        );
    }
}
