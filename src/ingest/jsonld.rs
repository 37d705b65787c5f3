//! schema.org JSON-LD out of HTML pages.
//!
//! Groups' websites (and OpenActive dataset sites) describe themselves in
//! `<script type="application/ld+json">` blocks, written by hand or by a CMS plugin.
//! They come as one object, an array, or an `@graph` whose nodes point at each other by
//! `@id`; `@type` may be a list or carry a `schema:` prefix. This module finds the
//! blocks with a real HTML parser (so a `<script>` inside a comment or an attribute is
//! not mistaken for one), parses each on its own (one broken block does not hide the
//! others), and flattens everything into a list of nodes with references resolved.

use std::collections::HashMap;

use scraper::{Html, Selector};
use serde_json::Value;

/// What the blocks on a page held.
#[derive(Debug, Default)]
pub struct Extracted {
    /// Every node, flattened, in page order.
    pub nodes: Vec<Value>,
    /// How many JSON-LD blocks the page has.
    pub blocks: usize,
    /// Blocks that could not be read, with why ("block 2: ...").
    pub problems: Vec<String>,
}

/// Finds and parses the JSON-LD blocks of an HTML page.
pub fn from_html(html: &str) -> Extracted {
    let doc = Html::parse_document(html);
    let scripts = Selector::parse("script[type]").expect("a valid selector");
    let mut out = Extracted::default();
    for el in doc.select(&scripts) {
        let ty = el.value().attr("type").unwrap_or("");
        if !ty
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/ld+json")
        {
            continue;
        }
        out.blocks += 1;
        let text: String = el.text().collect();
        match parse_block(&text) {
            Ok(v) => flatten(v, &mut out.nodes),
            Err(e) => out
                .problems
                .push(format!("JSON-LD block {}: {e}", out.blocks)),
        }
    }
    resolve_refs(&mut out.nodes);
    out
}

/// A whole JSON-LD document (served as JSON rather than embedded in HTML).
pub fn from_json(bytes: &[u8]) -> Extracted {
    let mut out = Extracted {
        blocks: 1,
        ..Default::default()
    };
    let text = String::from_utf8_lossy(bytes);
    match parse_block(&text) {
        Ok(v) => flatten(v, &mut out.nodes),
        Err(e) => out.problems.push(format!("the JSON-LD document: {e}")),
    }
    resolve_refs(&mut out.nodes);
    out
}

fn parse_block(text: &str) -> Result<Value, String> {
    // CMSs sometimes wrap the block in an HTML comment or CDATA guard.
    let t = text
        .trim()
        .trim_start_matches('\u{feff}')
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim_start_matches("//<![CDATA[")
        .trim_end_matches("//]]>")
        .trim();
    if t.is_empty() {
        return Err("it is empty".into());
    }
    serde_json::from_str(t).map_err(|e| format!("it is not valid JSON ({e})"))
}

/// Arrays, `@graph`s and `ItemList`s into one flat list of nodes.
fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a) => a.into_iter().for_each(|x| flatten(x, out)),
        Value::Object(mut o) => {
            if let Some(graph) = o.remove("@graph") {
                flatten(graph, out);
                // An object that is only a graph wrapper is not a node itself.
                if o.keys().all(|k| k == "@context" || k == "@id") {
                    return;
                }
            }
            let node = Value::Object(o);
            if has_type(&node, "ItemList") {
                for e in as_list(node.get("itemListElement")) {
                    match e.get("item") {
                        Some(item) if item.is_object() => flatten(item.clone(), out),
                        _ if !has_type(e, "ListItem") => flatten(e.clone(), out),
                        _ => {}
                    }
                }
                return;
            }
            out.push(node);
        }
        _ => {}
    }
}

/// Objects that are only `{"@id": ...}` replaced by the node with that id, so an
/// event's `location` or `organizer` given by reference reads like an embedded one.
fn resolve_refs(nodes: &mut [Value]) {
    let by_id: HashMap<String, Value> = nodes
        .iter()
        .filter_map(|n| Some((n.get("@id")?.as_str()?.to_string(), n.clone())))
        .collect();
    if by_id.is_empty() {
        return;
    }
    for n in nodes.iter_mut() {
        if let Value::Object(o) = n {
            for (k, v) in o.iter_mut() {
                if k != "@id" {
                    replace_refs(v, &by_id, 3);
                }
            }
        }
    }
}

fn replace_refs(v: &mut Value, by_id: &HashMap<String, Value>, depth: u8) {
    if depth == 0 {
        return;
    }
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| replace_refs(x, by_id, depth)),
        Value::Object(o) => {
            if o.len() == 1
                && let Some(target) = o
                    .get("@id")
                    .and_then(Value::as_str)
                    .and_then(|id| by_id.get(id))
            {
                let mut t = target.clone();
                replace_refs(&mut t, by_id, depth - 1);
                *v = t;
                return;
            }
            o.values_mut()
                .for_each(|x| replace_refs(x, by_id, depth - 1));
        }
        _ => {}
    }
}

pub fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    }
}

/// A node's types as bare schema.org names: `"schema:Event"`,
/// `"https://schema.org/Event"` and `["Event", "SportsEvent"]` all name `Event`.
pub fn types(v: &Value) -> Vec<String> {
    as_list(v.get("@type").or_else(|| v.get("type")))
        .into_iter()
        .filter_map(Value::as_str)
        .map(|t| {
            t.trim()
                .rsplit(['/', '#', ':'])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

pub fn has_type(v: &Value, name: &str) -> bool {
    types(v).iter().any(|t| t == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_graphs_and_references() {
        let html = r##"<html><head>
            <!-- <script type="application/ld+json">{"@type": "Event", "name": "commented out"}</script> -->
            <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
                {"@type": ["SportsEvent"], "@id": "#e", "name": "Walk", "location": {"@id": "#p"}},
                {"@type": "schema:Place", "@id": "#p", "name": "Park"}]}</script>
            <script type="application/ld+json">{"@type": "Event", "name": </script>
            <script type="APPLICATION/LD+JSON">[{"@type": "Organization", "name": "Club"}]</script>
            <script>var x = 1;</script></head></html>"##;
        let x = from_html(html);
        assert_eq!(x.blocks, 3);
        assert_eq!(x.nodes.len(), 3);
        assert_eq!(x.problems.len(), 1);
        assert!(x.problems[0].starts_with("JSON-LD block 2: it is not valid JSON"));
        assert_eq!(x.nodes[0]["location"]["name"], "Park");
        assert_eq!(types(&x.nodes[1]), vec!["Place"]);
        assert!(has_type(&x.nodes[0], "SportsEvent"));
    }
}
