//! Signpost's vocabulary as a published taxonomy.
//!
//! Three taxonomies, each straight from `content/taxonomy.toml` (through
//! `listing::Taxonomy`, so there is one list of types, features and circumstances, not
//! a copy): activity types, accessibility features and circumstances. Each term has a
//! stable id (`ids::term`, from its slug, which never changes), the slug as its code,
//! the label and description people see, and the OpenActive concepts it corresponds
//! to (the Activity List for types, the Accessibility Support list for features), the
//! same mapping the OpenActive importer reads. The local government (LGA/ESD) service
//! lists have no mapping in `content/` yet, so none is claimed.

use uuid::Uuid;

use super::ids;
use crate::listing::Taxonomy;

/// One of the published taxonomies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vocab {
    Types,
    Access,
    Circumstances,
}

impl Vocab {
    pub const ALL: [Vocab; 3] = [Vocab::Types, Vocab::Access, Vocab::Circumstances];

    /// Short name, used in ids and URLs.
    pub fn key(self) -> &'static str {
        match self {
            Vocab::Types => "types",
            Vocab::Access => "access",
            Vocab::Circumstances => "circumstances",
        }
    }

    pub fn id(self) -> Uuid {
        ids::taxonomy(self.key())
    }

    pub fn name(self) -> &'static str {
        match self {
            Vocab::Types => "Signpost activity types",
            Vocab::Access => "Signpost accessibility features",
            Vocab::Circumstances => "Signpost circumstances",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Vocab::Types => {
                "What kind of activity a listing is: walking groups, arts and crafts, support groups and so on. Terms map to the OpenActive Activity List where a concept fits."
            }
            Vocab::Access => {
                "What a venue or activity offers for access: step-free entry, hearing loops, quiet spaces and so on. Terms map loosely to the draft OpenActive Accessibility Support list."
            }
            Vocab::Circumstances => {
                "Life circumstances an activity is meant for: carers, bereavement, dementia and so on."
            }
        }
    }

    /// Where the vocabulary it maps to is published, if it maps to one.
    pub fn equivalent_scheme(self) -> Option<&'static str> {
        match self {
            Vocab::Types => Some("https://openactive.io/activity-list"),
            Vocab::Access => Some("https://openactive.io/accessibility-support"),
            Vocab::Circumstances => None,
        }
    }
}

/// One published term.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub id: Uuid,
    pub vocab: Vocab,
    /// The slug: what Signpost's URLs and stored listings use.
    pub code: String,
    pub name: String,
    pub description: String,
    /// Concept URIs in the vocabulary `vocab.equivalent_scheme()` names.
    pub equivalents: Vec<String>,
}

/// The slugs of one taxonomy, in its own order.
fn slugs(taxonomy: &Taxonomy, vocab: Vocab) -> Vec<&str> {
    match vocab {
        Vocab::Types => taxonomy.types.iter().map(|t| t.slug.as_str()).collect(),
        Vocab::Access => taxonomy.access.iter().map(|a| a.slug.as_str()).collect(),
        Vocab::Circumstances => taxonomy
            .circumstances
            .iter()
            .map(|c| c.slug.as_str())
            .collect(),
    }
}

/// Every term of one taxonomy, in the taxonomy's own order.
pub fn terms(taxonomy: &Taxonomy, vocab: Vocab) -> Vec<Term> {
    slugs(taxonomy, vocab)
        .into_iter()
        .filter_map(|s| term(taxonomy, vocab, s))
        .collect()
}

/// Every term of every taxonomy.
pub fn all_terms(taxonomy: &Taxonomy) -> Vec<Term> {
    Vocab::ALL
        .iter()
        .flat_map(|v| terms(taxonomy, *v))
        .collect()
}

/// The term with this slug in one taxonomy (a lookup, not a scan: this is called for
/// every term of every published service).
pub fn term(taxonomy: &Taxonomy, vocab: Vocab, code: &str) -> Option<Term> {
    let make = |name: &str, description: String, equivalents: &[String]| Term {
        id: ids::term(vocab.key(), code),
        vocab,
        code: code.to_string(),
        name: name.to_string(),
        description,
        equivalents: equivalents.to_vec(),
    };
    match vocab {
        Vocab::Types => taxonomy
            .activity_type(code)
            .map(|t| make(&t.label, t.description.clone(), &t.openactive)),
        Vocab::Access => taxonomy
            .access_feature(code)
            .map(|a| make(&a.label, a.description.clone(), &a.openactive)),
        Vocab::Circumstances => taxonomy.circumstance(code).map(|c| {
            let description = format!("For people affected by this: {}.", c.label);
            make(&c.label, description, &[])
        }),
    }
}

/// The term with this published id, in any taxonomy.
pub fn by_id(taxonomy: &Taxonomy, id: Uuid) -> Option<Term> {
    Vocab::ALL.into_iter().find_map(|v| {
        slugs(taxonomy, v)
            .into_iter()
            .find(|s| ids::term(v.key(), s) == id)
            .and_then(|s| term(taxonomy, v, s))
    })
}

/// The taxonomy with this published id.
pub fn vocab_by_id(id: Uuid) -> Option<Vocab> {
    Vocab::ALL.into_iter().find(|v| v.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slug_is_published_once_with_a_stable_id() {
        let t = Taxonomy::embedded();
        let all = all_terms(t);
        assert_eq!(
            all.len(),
            t.types.len() + t.access.len() + t.circumstances.len()
        );
        let mut ids: Vec<Uuid> = all.iter().map(|t| t.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "term ids are unique");
        let walking = term(t, Vocab::Types, "walking").expect("walking type");
        assert_eq!(walking.id, ids::term("types", "walking"));
        assert!(
            walking
                .equivalents
                .iter()
                .any(|u| u.contains("activity-list#"))
        );
        assert_eq!(by_id(t, walking.id), Some(walking));
        assert_eq!(vocab_by_id(Vocab::Access.id()), Some(Vocab::Access));
        assert!(
            all.iter()
                .all(|t| !t.name.is_empty() && !t.description.is_empty())
        );
    }
}
