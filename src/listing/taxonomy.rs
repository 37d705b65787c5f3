//! The project's own vocabulary: activity types, accessibility features, circumstances,
//! and the thesaurus that maps what people say to what groups call things.
//!
//! They live as data in `content/` (reviewable by non-programmers, mapped to OpenActive
//! concept ids) and are compiled into the binary, so a fresh machine needs no files.
//! Slugs from here are the only values accepted in `type`, `access` and circumstances.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityType {
    pub slug: String,
    pub label: String,
    pub description: String,
    #[serde(default)]
    pub openactive: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessFeature {
    pub slug: String,
    pub label: String,
    pub description: String,
    #[serde(default)]
    pub openactive: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circumstance {
    pub slug: String,
    pub label: String,
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThesaurusEntry {
    /// Lay words and phrases a person might type.
    pub says: Vec<String>,
    /// Words and phrases listings use for the same need.
    #[serde(default)]
    pub finds: Vec<String>,
    /// Activity types the need points to.
    #[serde(default)]
    pub types: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    types: Vec<ActivityType>,
    access: Vec<AccessFeature>,
    circumstances: Vec<Circumstance>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThesaurusFile {
    entry: Vec<ThesaurusEntry>,
}

/// Everything in `content/taxonomy.toml` and `content/thesaurus.toml`, indexed.
#[derive(Debug)]
pub struct Taxonomy {
    pub types: Vec<ActivityType>,
    pub access: Vec<AccessFeature>,
    pub circumstances: Vec<Circumstance>,
    pub thesaurus: Vec<ThesaurusEntry>,
    type_index: HashMap<String, usize>,
    access_index: HashMap<String, usize>,
    circumstance_index: HashMap<String, usize>,
    openactive_index: HashMap<String, String>,
}

const TAXONOMY_TOML: &str = include_str!("../../content/taxonomy.toml");
const THESAURUS_TOML: &str = include_str!("../../content/thesaurus.toml");

static EMBEDDED: LazyLock<Taxonomy> = LazyLock::new(|| {
    Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML)
        .expect("content/taxonomy.toml and content/thesaurus.toml are checked by tests")
});

impl Taxonomy {
    /// The taxonomy compiled into this binary.
    pub fn embedded() -> &'static Taxonomy {
        &EMBEDDED
    }

    pub fn from_toml(taxonomy: &str, thesaurus: &str) -> Result<Taxonomy, String> {
        let t: TaxonomyFile =
            toml::from_str(taxonomy).map_err(|e| format!("taxonomy.toml: {e}"))?;
        let th: ThesaurusFile =
            toml::from_str(thesaurus).map_err(|e| format!("thesaurus.toml: {e}"))?;
        let index = |slugs: Vec<&String>, what: &str| -> Result<HashMap<String, usize>, String> {
            let mut m = HashMap::new();
            for (i, s) in slugs.into_iter().enumerate() {
                if m.insert(s.clone(), i).is_some() {
                    return Err(format!("taxonomy.toml: {what} slug '{s}' appears twice"));
                }
            }
            Ok(m)
        };
        if t.types.len() > 64 {
            // The search index keeps a document's types as bits of one u64.
            return Err("taxonomy.toml: at most 64 activity types are supported".into());
        }
        let type_index = index(t.types.iter().map(|x| &x.slug).collect(), "type")?;
        let access_index = index(t.access.iter().map(|x| &x.slug).collect(), "access")?;
        let circumstance_index = index(
            t.circumstances.iter().map(|x| &x.slug).collect(),
            "circumstance",
        )?;
        let mut openactive_index = HashMap::new();
        for ty in &t.types {
            for id in &ty.openactive {
                if let Some(prev) = openactive_index.insert(id.clone(), ty.slug.clone()) {
                    return Err(format!(
                        "taxonomy.toml: OpenActive concept {id} is mapped to both '{prev}' and '{}'",
                        ty.slug
                    ));
                }
            }
        }
        for e in &th.entry {
            for ty in &e.types {
                if !type_index.contains_key(ty) {
                    return Err(format!(
                        "thesaurus.toml: entry {:?} names unknown type '{ty}'",
                        e.says.first()
                    ));
                }
            }
        }
        Ok(Taxonomy {
            types: t.types,
            access: t.access,
            circumstances: t.circumstances,
            thesaurus: th.entry,
            type_index,
            access_index,
            circumstance_index,
            openactive_index,
        })
    }

    pub fn activity_type(&self, slug: &str) -> Option<&ActivityType> {
        self.type_index.get(slug).map(|&i| &self.types[i])
    }

    pub fn access_feature(&self, slug: &str) -> Option<&AccessFeature> {
        self.access_index.get(slug).map(|&i| &self.access[i])
    }

    pub fn circumstance(&self, slug: &str) -> Option<&Circumstance> {
        self.circumstance_index
            .get(slug)
            .map(|&i| &self.circumstances[i])
    }

    /// Our type for an OpenActive Activity List concept id, if one fits.
    pub fn type_for_openactive(&self, concept_id: &str) -> Option<&str> {
        self.openactive_index.get(concept_id).map(String::as_str)
    }

    /// Position of a type in the taxonomy, for a stable display order.
    /// The accessibility features an OpenActive accessibility-support concept implies.
    pub fn access_for_openactive(&self, concept_id: &str) -> Vec<&str> {
        self.access
            .iter()
            .filter(|a| a.openactive.iter().any(|id| id == concept_id))
            .map(|a| a.slug.as_str())
            .collect()
    }

    /// The type a free-text activity name means ("Aquafit", "Group Cycling"): an exact
    /// keyword first, then the longest keyword found as whole words inside it.
    pub fn type_for_label(&self, label: &str) -> Option<&str> {
        let l = label.to_lowercase();
        let words: Vec<&str> = l
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let joined = words.join(" ");
        let mut best: Option<(&str, usize)> = None;
        for t in &self.types {
            for k in &t.keywords {
                let hit = if *k == joined {
                    usize::MAX
                } else if format!(" {joined} ").contains(&format!(" {k} ")) {
                    k.len()
                } else {
                    continue;
                };
                if best.is_none_or(|(_, n)| hit > n) {
                    best = Some((t.slug.as_str(), hit));
                }
            }
        }
        best.map(|(s, _)| s)
    }

    pub fn type_position(&self, slug: &str) -> usize {
        self.type_index.get(slug).copied().unwrap_or(usize::MAX)
    }

    pub fn type_label<'a>(&'a self, slug: &'a str) -> &'a str {
        self.activity_type(slug).map_or(slug, |t| t.label.as_str())
    }

    pub fn access_label<'a>(&'a self, slug: &'a str) -> &'a str {
        self.access_feature(slug).map_or(slug, |t| t.label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_taxonomy_loads_and_is_complete() {
        let t = Taxonomy::embedded();
        assert!(t.types.len() >= 12, "at least 12 activity types");
        for slug in [
            "wheelchair",
            "step-free",
            "accessible-toilet",
            "hearing-loop",
            "bsl",
            "large-print",
            "quiet",
            "dementia-friendly",
            "autism-friendly",
            "parking",
            "blue-badge-parking",
            "public-transport",
            "carer-free",
        ] {
            assert!(
                t.access_feature(slug).is_some(),
                "missing access feature {slug}"
            );
        }
        assert!(
            t.thesaurus
                .iter()
                .any(|e| e.says.iter().any(|s| s == "lonely"))
        );
    }

    #[test]
    fn openactive_ids_map_to_types() {
        let t = Taxonomy::embedded();
        let mapped: usize = t.types.iter().map(|ty| ty.openactive.len()).sum();
        assert!(mapped > 50, "only {mapped} OpenActive concepts mapped");
        let walking_football = t
            .types
            .iter()
            .find(|ty| ty.slug == "walking-sports")
            .expect("walking-sports type");
        let id = &walking_football.openactive[0];
        assert_eq!(t.type_for_openactive(id), Some("walking-sports"));
    }

    #[test]
    fn unknown_type_in_thesaurus_is_rejected() {
        let err = Taxonomy::from_toml(
            TAXONOMY_TOML,
            "[[entry]]\nsays = [\"x\"]\ntypes = [\"no-such-type\"]\n",
        )
        .unwrap_err();
        assert!(err.contains("no-such-type"));
    }
}
