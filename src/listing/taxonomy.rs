//! The project's own vocabulary: activity types, accessibility features, circumstances,
//! and the thesaurus that maps what people say to what groups call things.
//!
//! The thesaurus comes from two files read the same way: `content/thesaurus.toml`,
//! written by hand for feelings and activities, and `content/needs.toml`, the needs
//! vocabulary derived by `tools/build_needs_vocabulary.py` from WordNet and an editors'
//! seed, whose every entry names where its words come from (`sources`).
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
    /// Where the `says` words come from (`wordnet:LEMMA.POS.NN`, `signpost-editors`);
    /// required in `content/needs.toml`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Words of someone who may be in crisis (suicidal thoughts): they find crisis
    /// and listening services only (no activity types), and the search page leads
    /// with where to get help now.
    #[serde(default)]
    pub crisis: bool,
}

/// The sources a needs entry may name: a WordNet 3.0 synset, or Signpost's editors.
const SOURCE_KINDS: &[&str] = &["wordnet:", "signpost-editors"];

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

/// Everything in `content/taxonomy.toml`, `content/thesaurus.toml` and
/// `content/needs.toml`, indexed.
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
    /// Every Activity List concept (short id) whose nearest mapped concept, walking
    /// `broader`, gives it a type.
    concept_types: HashMap<String, String>,
    /// Activity List labels (`prefLabel` and `altLabel`s, see [`label_key`]) to short ids.
    concept_labels: HashMap<String, String>,
    /// Each Activity List concept's `prefLabel`, by short id.
    concept_names: HashMap<String, String>,
    /// Each broader concept of an Activity List concept, by short id.
    concept_broader: HashMap<String, Vec<String>>,
    /// The crisis phrases as the search reads them ([`says_key`]), each between
    /// spaces, read once: every search page asks [`Taxonomy::has_crisis_words`].
    crisis_keys: Vec<String>,
}

/// The general type: records that fit no other type are imported with it (see
/// `content/taxonomy.toml`).
pub const GENERAL_TYPE: &str = "other";

const ACTIVITY_LIST: &str = "https://openactive.io/activity-list#";
const ACTIVITIES_CSV: &str = include_str!("../../content/openactive-activities.csv");

/// An Activity List concept's short id (the UUID after `#`), from a full id or a
/// bare one.
fn concept_short_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix(ACTIVITY_LIST)
        .or_else(|| id.strip_prefix("http://openactive.io/activity-list#"))
        .unwrap_or(id)
}

/// How a label is compared: lowercase words, trade marks and punctuation dropped
/// ("Bodybalance™" and "BODYBALANCE" are the same).
pub fn label_key(label: &str) -> String {
    label
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Activity List as shipped in `content/openactive-activities.csv` (derived by
/// `examples/derive_activities.rs`): each concept's `broader` concepts, and its labels.
type Concepts = (
    HashMap<String, Vec<String>>,
    HashMap<String, String>,
    HashMap<String, String>,
);

fn read_concepts(csv_text: &str) -> Concepts {
    let mut broader = HashMap::new();
    let mut labels = HashMap::new();
    let mut names = HashMap::new();
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    for row in rows.records().flatten() {
        let (Some(id), Some(up), Some(labels_of)) = (row.get(0), row.get(1), row.get(2)) else {
            continue;
        };
        broader.insert(
            id.to_string(),
            up.split_whitespace().map(String::from).collect(),
        );
        if let Some(pref) = labels_of.split('|').next() {
            names.insert(id.to_string(), pref.to_string());
        }
        for name in labels_of.split('|') {
            labels
                .entry(label_key(name))
                .or_insert_with(|| id.to_string());
        }
    }
    (broader, labels, names)
}

/// For every concept, the type of the nearest mapped concept reached by walking
/// `broader` (breadth first, so a nearer ancestor wins; at the same distance, the
/// first listed).
fn resolve_concepts(
    broader: &HashMap<String, Vec<String>>,
    mapped: &HashMap<String, String>,
) -> HashMap<String, String> {
    let direct = |id: &str| mapped.get(&format!("{ACTIVITY_LIST}{id}")).cloned();
    let mut out = HashMap::new();
    for start in broader.keys() {
        let mut level = vec![start.as_str()];
        let mut seen = std::collections::HashSet::from([start.as_str()]);
        while !level.is_empty() {
            if let Some(t) = level.iter().find_map(|id| direct(id)) {
                out.insert(start.clone(), t);
                break;
            }
            let mut next = Vec::new();
            for id in level {
                for up in broader.get(id).into_iter().flatten() {
                    if seen.insert(up.as_str()) {
                        next.push(up.as_str());
                    }
                }
            }
            level = next;
        }
    }
    out
}

const TAXONOMY_TOML: &str = include_str!("../../content/taxonomy.toml");
const THESAURUS_TOML: &str = include_str!("../../content/thesaurus.toml");
const NEEDS_TOML: &str = include_str!("../../content/needs.toml");

static EMBEDDED: LazyLock<Taxonomy> = LazyLock::new(|| {
    Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML, NEEDS_TOML)
        .expect("content/taxonomy.toml, thesaurus.toml and needs.toml are checked by tests")
});

/// How `says` phrases are compared across entries, as the search reads them: words
/// without case, punctuation or a possessive "'s" ("Down's syndrome" is "down
/// syndrome", "self-harm" is "self harm").
fn says_key(says: &str) -> String {
    let lower = says.to_lowercase().replace('\u{2019}', "'");
    let mut plain = String::with_capacity(lower.len());
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("'s") {
        let after = &rest[i + 2..];
        plain.push_str(&rest[..i]);
        if after.starts_with(|c: char| c.is_alphanumeric()) {
            plain.push_str("'s");
        }
        rest = after;
    }
    plain.push_str(rest);
    label_key(&plain)
}

impl Taxonomy {
    /// The taxonomy compiled into this binary.
    pub fn embedded() -> &'static Taxonomy {
        &EMBEDDED
    }

    /// Reads the taxonomy, the hand-written thesaurus and the needs vocabulary. The
    /// two word lists become one: a `says` phrase may be in one entry of either file
    /// only (so what a phrase finds is decided in one place), every type they name
    /// must be in the taxonomy, and each needs entry names its sources.
    pub fn from_toml(taxonomy: &str, thesaurus: &str, needs: &str) -> Result<Taxonomy, String> {
        let t: TaxonomyFile =
            toml::from_str(taxonomy).map_err(|e| format!("taxonomy.toml: {e}"))?;
        let th: ThesaurusFile =
            toml::from_str(thesaurus).map_err(|e| format!("thesaurus.toml: {e}"))?;
        let nd: ThesaurusFile = toml::from_str(needs).map_err(|e| format!("needs.toml: {e}"))?;
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
        // Each phrase (as the search reads it) and the entry that says it.
        let mut said: HashMap<String, (&str, usize, Option<&String>, &String)> = HashMap::new();
        let files = [("thesaurus.toml", &th.entry), ("needs.toml", &nd.entry)];
        for (file, entries) in files {
            for (n, e) in entries.iter().enumerate() {
                let first = e.says.first();
                if e.crisis && !e.types.is_empty() {
                    return Err(format!(
                        "{file}: entry {first:?} is crisis words: it must name no activity types"
                    ));
                }
                for ty in &e.types {
                    if !type_index.contains_key(ty) {
                        return Err(format!("{file}: entry {first:?} names unknown type '{ty}'"));
                    }
                }
                for s in &e.says {
                    match said.insert(says_key(s), (file, n, first, s)) {
                        Some((f, m, other, as_said)) if (f, m) != (file, n) => {
                            return Err(format!(
                                "{file}: entry {first:?} says '{s}', which {f}'s entry {other:?} already says as '{as_said}'"
                            ));
                        }
                        _ => {}
                    }
                }
                if file == "needs.toml" {
                    if e.sources.is_empty() {
                        return Err(format!("{file}: entry {first:?} names no sources"));
                    }
                    if let Some(bad) = e
                        .sources
                        .iter()
                        .find(|s| !SOURCE_KINDS.iter().any(|k| s.starts_with(k)))
                    {
                        return Err(format!(
                            "{file}: entry {first:?} names unknown source '{bad}'"
                        ));
                    }
                }
            }
        }
        let mut thesaurus = th.entry;
        thesaurus.extend(nd.entry);
        let (broader, concept_labels, concept_names) = read_concepts(ACTIVITIES_CSV);
        let concept_types = resolve_concepts(&broader, &openactive_index);
        let crisis_keys = thesaurus
            .iter()
            .filter(|e| e.crisis)
            .flat_map(|e| &e.says)
            .map(|s| format!(" {} ", says_key(s)))
            .collect();
        Ok(Taxonomy {
            crisis_keys,
            concept_types,
            concept_labels,
            concept_names,
            concept_broader: broader,
            types: t.types,
            access: t.access,
            circumstances: t.circumstances,
            thesaurus,
            type_index,
            access_index,
            circumstance_index,
            openactive_index,
        })
    }

    /// The one Activity List concept that stands for a type when Signpost publishes
    /// it (full id and `prefLabel`): of the concepts mapped to the type, the broadest
    /// (no broader concept also mapped to it) whose label comes first among the
    /// type's keywords, else the first broadest one. Any concept mapped to the type reads
    /// back as the same type. `None` for types with no OpenActive equivalent.
    pub fn openactive_activity(&self, slug: &str) -> Option<(&str, &str)> {
        let ty = self.activity_type(slug)?;
        let short: Vec<&str> = ty
            .openactive
            .iter()
            .map(|id| concept_short_id(id))
            .collect();
        let broadest = |i: &usize| {
            self.concept_broader
                .get(short[*i])
                .is_none_or(|up| up.iter().all(|u| !short.contains(&u.as_str())))
        };
        // Where the concept's label comes in the type's keywords (earlier is closer).
        let rank = |i: &usize| {
            self.concept_names
                .get(short[*i])
                .and_then(|n| ty.keywords.iter().position(|k| *k == label_key(n)))
                .unwrap_or(usize::MAX)
        };
        let roots: Vec<usize> = (0..short.len()).filter(broadest).collect();
        let pick = roots.iter().copied().min_by_key(rank)?;
        let name = self.concept_names.get(short[pick])?;
        Some((ty.openactive[pick].as_str(), name.as_str()))
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

    /// Our type for an OpenActive Activity List concept id, if one fits: the concept's
    /// own mapping, or that of the nearest concept it is narrower than
    /// (`Rpm™ → Indoor Cycling`).
    pub fn type_for_openactive(&self, concept_id: &str) -> Option<&str> {
        self.openactive_index
            .get(concept_id.trim())
            .or_else(|| self.concept_types.get(concept_short_id(concept_id)))
            .map(String::as_str)
    }

    /// Our type for an activity named in words, through the Activity List: a concept
    /// whose `prefLabel` or `altLabel` it is ("Bodybalance™", "Keep-Fit"), then its
    /// `broader` chain.
    pub fn type_for_activity_name(&self, label: &str) -> Option<&str> {
        let id = self.concept_labels.get(&label_key(label))?;
        self.concept_types.get(id).map(String::as_str)
    }

    /// The type for an activity a feed names by concept id and/or label: the id
    /// through the Activity List, then the label through it, then our own keywords.
    pub fn type_for_activity(&self, concept_id: Option<&str>, label: &str) -> Option<&str> {
        concept_id
            .and_then(|id| self.type_for_openactive(id))
            .or_else(|| self.type_for_activity_name(label))
            .or_else(|| self.type_for_label(label))
    }

    /// Types from a record's own words, best first: a keyword of ours or an Activity
    /// List name in its title, else in its description. At most `max`.
    pub fn types_for_text(&self, title: &str, description: &str, max: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let add = |out: &mut Vec<String>, t: Option<&str>| {
            if let Some(t) = t
                && out.len() < max
                && !out.iter().any(|x| x == t)
            {
                out.push(t.to_string());
            }
        };
        add(&mut out, self.type_for_activity_name(title));
        add(&mut out, self.type_for_label(title));
        if out.is_empty() {
            add(&mut out, self.type_for_label(description));
        }
        out
    }

    /// Whether `text` has crisis words of the thesaurus or the needs vocabulary
    /// ("ending it all"), as whole words in order.
    pub fn has_crisis_words(&self, text: &str) -> bool {
        let text = format!(" {} ", says_key(text));
        self.crisis_keys.iter().any(|k| text.contains(k.as_str()))
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
    fn each_type_publishes_as_its_broadest_named_concept() {
        let t = Taxonomy::embedded();
        let label = |slug: &str| t.openactive_activity(slug).map(|(_, l)| l);
        assert_eq!(label("walking"), Some("Walking"));
        assert_eq!(label("swimming"), Some("Swimming"));
        assert_eq!(label("dance"), Some("Dance"));
        assert_eq!(label("befriending"), None);
        for ty in &t.types {
            if let Some((id, _)) = t.openactive_activity(&ty.slug) {
                assert_eq!(t.type_for_openactive(id), Some(ty.slug.as_str()));
            }
        }
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
    fn activities_are_placed_through_broader() {
        let t = Taxonomy::embedded();
        // Rpm™ is mapped nowhere itself; its broader concept Indoor Cycling is.
        let rpm = "https://openactive.io/activity-list#2c2b9be5-9491-4958-bee8-70ced347d384";
        assert!(!t.openactive_index.contains_key(rpm));
        assert_eq!(t.type_for_openactive(rpm), Some("sport-fitness"));
        assert_eq!(
            t.type_for_openactive("2c2b9be5-9491-4958-bee8-70ced347d384"),
            Some("sport-fitness")
        );
        // By name only, with the trade mark or without.
        assert_eq!(t.type_for_activity_name("RPM"), Some("sport-fitness"));
        assert!(t.type_for_activity_name("Bodybalance™").is_some());
        assert_eq!(t.type_for_activity(None, "Keep-Fit"), Some("sport-fitness"));
        assert_eq!(t.type_for_activity(None, "no such thing"), None);
        assert!(t.activity_type(GENERAL_TYPE).is_some());
        // Most of the list now has a type.
        let placed = t.concept_types.len();
        assert!(placed > 550, "{placed} of 768 concepts placed");
    }

    #[test]
    fn unknown_type_in_thesaurus_is_rejected() {
        let err = Taxonomy::from_toml(
            TAXONOMY_TOML,
            "[[entry]]\nsays = [\"x\"]\ntypes = [\"no-such-type\"]\n",
            NEEDS_TOML,
        )
        .unwrap_err();
        assert!(err.contains("no-such-type"));
        let err = Taxonomy::from_toml(
            TAXONOMY_TOML,
            THESAURUS_TOML,
            "[[entry]]\nsays = [\"x\"]\ntypes = [\"no-such-type\"]\nsources = [\"signpost-editors\"]\n",
        )
        .unwrap_err();
        assert!(err.starts_with("needs.toml"), "{err}");
        assert!(err.contains("no-such-type"), "{err}");
    }

    #[test]
    fn the_needs_vocabulary_loads_beside_the_thesaurus_with_its_sources() {
        let t = Taxonomy::embedded();
        let needs: Vec<&ThesaurusEntry> = t
            .thesaurus
            .iter()
            .filter(|e| !e.sources.is_empty())
            .collect();
        assert!(needs.len() > 100, "{} needs entries", needs.len());
        let says = |w: &str| needs.iter().find(|e| e.says.iter().any(|s| s == w));
        let menopause = says("change of life").expect("WordNet's menopause.n.01");
        assert_eq!(menopause.sources, ["wordnet:menopause.n.01"]);
        assert!(menopause.finds.iter().any(|f| f == "menopause"));
        let sofa = says("sofa surfing").expect("an editors' phrase");
        assert_eq!(sofa.sources, ["signpost-editors"]);
        assert_eq!(sofa.types, ["advice"]);
        // Crisis words point to crisis services only, never to activity types.
        for w in ["suicidal", "suicidal thoughts", "self harm"] {
            let e = says(w).unwrap_or_else(|| panic!("{w} is in needs.toml"));
            assert!(e.crisis && e.types.is_empty(), "{w}");
            assert!(e.finds.iter().any(|f| f == "samaritans"), "{w}");
        }
        assert!(t.has_crisis_words("I feel like Ending it all."));
        assert!(t.has_crisis_words("self-harm"));
        assert!(!t.has_crisis_words("the ending of the film"));
        assert!(!t.has_crisis_words("knitting"));
        let typed = "[[entry]]\nsays = [\"zz\"]\ntypes = [\"befriending\"]\ncrisis = true\nsources = [\"signpost-editors\"]\n";
        let err = Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML, typed).unwrap_err();
        assert!(err.contains("no activity types"), "{err}");
    }

    #[test]
    fn a_phrase_is_said_by_one_entry_across_both_files() {
        let needs =
            "[[entry]]\nsays = [\"Lonely\"]\nfinds = [\"x\"]\nsources = [\"signpost-editors\"]\n";
        let err = Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML, needs).unwrap_err();
        assert!(
            err.contains("'Lonely'") && err.contains("thesaurus.toml"),
            "{err}"
        );
        let twice = "[[entry]]\nsays = [\"a\", \"b\"]\n[[entry]]\nsays = [\"b \"]\n";
        let err = Taxonomy::from_toml(TAXONOMY_TOML, twice, "entry = []").unwrap_err();
        assert!(err.contains("'b '"), "{err}");
        // Phrases the search reads as the same words are the same phrase...
        let needs = "[[entry]]\nsays = [\"Down syndrome\"]\nsources = [\"signpost-editors\"]\n";
        let err = Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML, needs).unwrap_err();
        assert!(err.contains("down's syndrome"), "{err}");
        // ...and may be spelt both ways within one entry.
        let one =
            "[[entry]]\nsays = [\"self-harm\", \"self harm\", \"parkinson's\", \"parkinsons\"]\n";
        assert!(Taxonomy::from_toml(TAXONOMY_TOML, one, "entry = []").is_ok());
        assert_eq!(says_key("Down’s  Syndrome"), "down syndrome");
        assert_eq!(says_key("it's a start"), "it a start");
        assert_eq!(says_key("lgbtq+"), "lgbtq");
    }

    #[test]
    fn needs_entries_name_known_sources() {
        let none = "[[entry]]\nsays = [\"zz\"]\n";
        let err = Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML, none).unwrap_err();
        assert!(err.contains("no sources"), "{err}");
        let made_up = "[[entry]]\nsays = [\"zz\"]\nsources = [\"lga-needs-list\"]\n";
        let err = Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML, made_up).unwrap_err();
        assert!(err.contains("unknown source 'lga-needs-list'"), "{err}");
        let unknown_field = "[[entry]]\nsays = [\"zz\"]\nsource = [\"signpost-editors\"]\n";
        assert!(Taxonomy::from_toml(TAXONOMY_TOML, THESAURUS_TOML, unknown_field).is_err());
    }
}
