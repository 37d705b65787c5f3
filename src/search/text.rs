//! Turning what someone typed into a tantivy query.
//!
//! There is no query syntax to get wrong: the text is split into words, so no input
//! can be a parse error. Then, left to right, the longest run of words that the
//! thesaurus or the taxonomy knows ("on my own", "low mood", "food") becomes one
//! group that also matches what groups call that need, and the activity types it
//! points to. Every other word is a group of its own: the word itself (stemmed, in
//! title, organisation, tags and description, weighted in that order) or a typo of it
//! (a low, constant-score fuzzy match on unstemmed words). Most groups must match
//! (all of them for one or two, all but a third for more), so a stray word doesn't
//! empty the results; filler words ("group", "club", "near", and the words people
//! wrap a need in: "somewhere to", "help with", "things to do") only add to the
//! score, and only from names and labels ("class" too, though the taxonomy knows
//! it). Who a need is about ("dad" in "my dad has dementia") is left out like a
//! common word. When that finds nothing, the engine asks again for any of the words
//! ([`Matching::Any`]): listings with more of them score higher, and the page says
//! not every word was found. When the matches run out on a page, listings with some
//! of the words that are close in meaning follow them, apart (`Engine::search`).
//!
//! Several words together ("memory cafe", "walking football") are matched in names and
//! labels as adjacent word pairs, one indexed term per pair (see
//! `schema::pair_term`), and in descriptions as a phrase. The pairs keep the words in
//! order and cost one short posting list, where an intersection of the single words
//! would walk every listing that has either.

use std::collections::HashMap;

use tantivy::Term;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;

use super::prune::{Leaf, LeafBound, Shape};
use super::schema::{FOLDED, Fields, PairField, STEMMED, filter_term, is_possessive_s, pair_term};
use crate::listing::Taxonomy;

/// Words that carry no meaning on their own in a search for activities.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "but",
    "by",
    "can",
    "do",
    "does",
    "for",
    "from",
    "get",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "me",
    "my",
    "of",
    "on",
    "or",
    "our",
    "so",
    "some",
    "something",
    "that",
    "the",
    "their",
    "there",
    "this",
    "to",
    "want",
    "was",
    "we",
    "what",
    "where",
    "which",
    "who",
    "with",
    "would",
    "you",
    "your",
    "looking",
    "find",
    "like",
    "am",
    "have",
    "has",
];

/// Words that describe the shape of any activity: they count towards the score but
/// a listing need not contain them.
const FILLER: &[&str] = &[
    "group",
    "groups",
    "club",
    "clubs",
    "class",
    "classes",
    "session",
    "sessions",
    "activity",
    "activities",
    "local",
    "near",
    "nearby",
    "people",
    "meet",
    "meets",
    "meeting",
    "service",
    "services",
    "support",
    // How people phrase a need rather than name an activity: "somewhere to sing",
    // "things to do with my toddler", "help with drinking", "where can I go".
    "somewhere",
    "someplace",
    "place",
    "places",
    "thing",
    "things",
    "stuff",
    "help",
    "helping",
    "how",
    "need",
    "needs",
    "go",
    "going",
    "join",
    "try",
    "way",
    "ways",
    "someone",
    "somebody",
    "anyone",
    "anything",
    "around",
    "please",
    "know",
    "tell",
    "could",
    "should",
    "will",
];

const MAX_PHRASE_WORDS: usize = 5;
const MAX_GROUPS: usize = 12;
const MAX_EXPANSIONS: usize = 6;

/// What a known phrase expands to.
#[derive(Debug, Default, Clone)]
struct Expansion {
    finds: Vec<Vec<String>>,
    types: Vec<String>,
    /// The phrase names a kind of activity (a type's label or keyword) or is crisis
    /// words: a person who types "choir" wants choirs, so its related words ("music",
    /// "band") are looked for in names and labels only. A need in a person's words
    /// ("lonely", "help with drinking") names no activity, and the services for it are
    /// found by what their descriptions say ("friendship", "alcohol"): see
    /// [`expansion_fields`].
    names_a_kind: bool,
}

/// The phrases the query builder recognises, keyed by their folded words.
pub struct Lexicon {
    phrases: HashMap<Vec<String>, Expansion>,
    folded: TextAnalyzer,
    stemmed: TextAnalyzer,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("phrases", &self.phrases.len())
            .finish()
    }
}

/// The words of `text` as the index holds them, without the lone "s" the tokenizer
/// leaves of a possessive ("men's" is "men"), as `schema::add_pairs` does.
fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        if !is_possessive_s(&t.text) {
            out.push(t.text.clone());
        }
    }
    out
}

impl Lexicon {
    /// The first word of `text` stemmed as the index stems it (possessive "s" left out).
    pub(super) fn stem(&self, text: &str) -> Option<String> {
        tokens(&mut self.stemmed.clone(), text).into_iter().next()
    }

    pub fn new(taxonomy: &Taxonomy, folded: TextAnalyzer, stemmed: TextAnalyzer) -> Lexicon {
        let mut lex = Lexicon {
            phrases: HashMap::new(),
            folded,
            stemmed,
        };
        let add =
            |lex: &mut Lexicon, says: &str, finds: &[String], types: &[String], kind: bool| {
                let key = tokens(&mut lex.folded, says);
                if key.is_empty() || key.len() > MAX_PHRASE_WORDS {
                    return;
                }
                let finds: Vec<Vec<String>> = finds
                    .iter()
                    .map(|f| tokens(&mut lex.stemmed, f))
                    .filter(|f| !f.is_empty())
                    .collect();
                let e = lex.phrases.entry(key).or_default();
                e.names_a_kind |= kind;
                for f in finds {
                    if !e.finds.contains(&f) {
                        e.finds.push(f);
                    }
                }
                for t in types {
                    if !e.types.contains(t) {
                        e.types.push(t.clone());
                    }
                }
            };
        for entry in &taxonomy.thesaurus {
            for says in &entry.says {
                // Crisis words' related words name the services that answer a crisis
                // ("samaritans", "hopeline"); in descriptions they are also everyday
                // words ("a safe space to play"), and a wrong answer costs most there.
                add(&mut lex, says, &entry.finds, &entry.types, entry.crisis);
            }
        }
        for ty in &taxonomy.types {
            let types = std::slice::from_ref(&ty.slug);
            add(&mut lex, &ty.label, &[], types, true);
            for k in &ty.keywords {
                add(&mut lex, k, std::slice::from_ref(k), types, true);
            }
        }
        for c in &taxonomy.circumstances {
            for k in &c.keywords {
                add(&mut lex, k, &[c.label.clone(), k.clone()], &[], false);
            }
        }
        lex
    }

    /// Splits the text into groups: known phrases (longest first) and single words.
    fn groups(&self, text: &str) -> Vec<Group> {
        let mut folded = self.folded.clone();
        let words = tokens(&mut folded, text);
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() && out.len() < MAX_GROUPS {
            let longest = (1..=MAX_PHRASE_WORDS.min(words.len() - i))
                .rev()
                .find_map(|n| self.phrases.get(&words[i..i + n]).map(|e| (n, e)));
            match longest {
                Some((n, e)) => {
                    out.push(Group {
                        words: words[i..i + n].to_vec(),
                        expansion: Some(e.clone()),
                        relation: false,
                    });
                    i += n;
                }
                None => {
                    out.push(Group {
                        words: vec![words[i].clone()],
                        expansion: None,
                        relation: false,
                    });
                    i += 1;
                }
            }
        }
        mark_relations(&mut out);
        out
    }
}

#[derive(Debug)]
struct Group {
    words: Vec<String>,
    expansion: Option<Expansion>,
    /// Who the need is about, after "my" (see [`RELATIONS`]).
    relation: bool,
}

impl Group {
    /// A word that says nothing: a stopword, a lone letter (the "s" that the
    /// tokenizer leaves of a possessive: "men's shed" is "men" and "shed"), or who
    /// the need is about ("dad" in "my dad has dementia").
    fn is_stopword(&self) -> bool {
        self.relation
            || self.expansion.is_none()
                && self.words.len() == 1
                && (STOPWORDS.contains(&self.words[0].as_str())
                    || self.words[0].chars().count() == 1
                        && !self.words[0].chars().all(|c| c.is_ascii_digit()))
    }

    /// A word that describes the shape of any activity. It stays filler when the
    /// taxonomy also knows it ("class" names adult learning): in "art class" the
    /// person wants art, and an "Art Club" must not be dropped for lacking "class".
    fn is_filler(&self) -> bool {
        self.words.len() == 1 && FILLER.contains(&self.words[0].as_str())
    }
}

/// The people a need can be about. After "my" ("my dad has dementia", "my wife's
/// memory", "my mum is lonely") the word says who the person is asking for, not what
/// they want, so it is left out like a common word: "dad" must not put dads' groups
/// first.
/// Children are left out: in "things to do with my toddler" the child is the point.
const RELATIONS: &[&str] = &[
    "mum",
    "mam",
    "mom",
    "mother",
    "dad",
    "father",
    "parent",
    "parents",
    "husband",
    "wife",
    "partner",
    "spouse",
    "nan",
    "nana",
    "gran",
    "granny",
    "grandma",
    "grandmother",
    "grandad",
    "grandpa",
    "grandfather",
    "brother",
    "sister",
    "friend",
    "neighbour",
    "neighbor",
    "uncle",
    "aunt",
    "auntie",
    "son",
    "daughter",
];

/// Marks each relation word that follows "my" (see [`RELATIONS`]).
fn mark_relations(groups: &mut [Group]) {
    for i in 1..groups.len() {
        let after_my = groups[i - 1].words == ["my"];
        let g = &mut groups[i];
        if after_my && g.words.len() == 1 && RELATIONS.contains(&g.words[0].as_str()) {
            g.relation = true;
        }
    }
}

/// How many of the words a listing must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// All words for one or two, all but a third for more: a stray word does not
    /// empty the results, and every result is about what was asked.
    Most,
    /// Any one word, the listings with more of them first: for when `Most` found
    /// nothing, so a person is never left with an empty page.
    Any,
}

/// Whether `text` has more than one word that a listing must match, so that
/// [`Matching::Any`] could find more than [`Matching::Most`].
pub fn can_loosen(text: &str, lexicon: &Lexicon) -> bool {
    lexicon
        .groups(text)
        .iter()
        .filter(|g| !g.is_stopword() && !g.is_filler())
        .count()
        > 1
}

/// The groups of `text` a listing must match and those that only add to the score,
/// or `None` if nothing searchable was typed.
fn required_and_optional(text: &str, lexicon: &Lexicon) -> Option<(Vec<Group>, Vec<Group>)> {
    // Common words are dropped, unless they are all there is: a name made only of
    // them ("We Are With You") is still searched for.
    let all = lexicon.groups(text);
    let meaningful = all.iter().any(|g| !g.is_stopword());
    let groups: Vec<Group> = all
        .into_iter()
        .filter(|g| !meaningful || !g.is_stopword())
        .collect();
    if groups.is_empty() {
        return None;
    }
    let (filler, required): (Vec<Group>, Vec<Group>) =
        groups.into_iter().partition(|g| g.is_filler());
    Some(if required.is_empty() {
        (filler, Vec::new())
    } else {
        (required, filler)
    })
}

/// How many of `n` required groups a listing must match.
fn min_required(n: usize, matching: Matching) -> usize {
    match matching {
        Matching::Any => 1,
        Matching::Most if n <= 2 => n,
        Matching::Most => n - n / 3,
    }
}

/// One group of a [`TextPlan`].
#[derive(Debug, Clone)]
pub struct PlannedGroup {
    /// The words as typed, folded (what a typo is looked up by).
    pub words: Vec<String>,
    /// The words stemmed, matched in order in any field.
    pub stems: Vec<String>,
    /// Related phrases (stemmed), matched in names and labels, and also in
    /// descriptions when `expansions_in_descriptions` (see [`expansion_fields`]).
    pub expansions: Vec<Vec<String>>,
    /// The group is a need in a person's words, not the name of a kind of activity
    /// or crisis words, so its related phrases are looked for in descriptions too.
    pub expansions_in_descriptions: bool,
    /// Activity types the group also matches.
    pub types: Vec<String>,
    /// A plain word (no known phrase): a typo of it matches too, when the index has
    /// never seen it.
    pub plain: bool,
}

/// What a search for some text asks of a listing, written out so that another
/// engine can be asked the same (`benches/postgres.rs` builds the same search in
/// SQL): at least `min_required` of `required`; `optional` only add to the score.
#[derive(Debug, Clone)]
pub struct TextPlan {
    pub required: Vec<PlannedGroup>,
    pub min_required: usize,
    pub optional: Vec<PlannedGroup>,
}

/// The [`TextPlan`] of `text`, or `None` if nothing searchable was typed.
pub fn plan(text: &str, lexicon: &Lexicon, matching: Matching) -> Option<TextPlan> {
    let (required, optional) = required_and_optional(text, lexicon)?;
    let mut stemmer = lexicon.stemmed.clone();
    let mut planned = |groups: Vec<Group>| -> Vec<PlannedGroup> {
        groups
            .into_iter()
            .map(|g| {
                let stems = tokens(&mut stemmer, &g.words.join(" "));
                let (expansions, types, in_descriptions) = match &g.expansion {
                    Some(e) => (
                        e.finds
                            .iter()
                            .take(MAX_EXPANSIONS)
                            .filter(|f| **f != stems)
                            .cloned()
                            .collect(),
                        e.types.clone(),
                        !e.names_a_kind,
                    ),
                    None => (Vec::new(), Vec::new(), false),
                };
                PlannedGroup {
                    plain: g.expansion.is_none(),
                    words: g.words,
                    stems,
                    expansions,
                    expansions_in_descriptions: in_descriptions,
                    types,
                }
            })
            .collect()
    };
    let required = planned(required);
    let optional = planned(optional);
    Some(TextPlan {
        min_required: min_required(required.len(), matching),
        required,
        optional,
    })
}

/// Builds the scoring query for `text`, or `None` if nothing searchable was typed.
pub fn build(
    text: &str,
    fields: &Fields,
    lexicon: &Lexicon,
    searcher: &tantivy::Searcher,
    matching: Matching,
) -> Option<Box<dyn Query>> {
    build_shaped(text, fields, lexicon, searcher, matching).map(|(q, _)| q)
}

/// [`build`], with the query's [`Shape`]: its leaves and how their matches combine,
/// which lets a search skip listings that cannot rank (see `prune`).
pub(super) fn build_shaped(
    text: &str,
    fields: &Fields,
    lexicon: &Lexicon,
    searcher: &tantivy::Searcher,
    matching: Matching,
) -> Option<(Box<dyn Query>, Shape)> {
    let (required, optional) = required_and_optional(text, lexicon)?;
    let mut stemmer = lexicon.stemmed.clone();
    let mut shape = Shape::default();
    let mut required_queries: Vec<Box<dyn Query>> = Vec::with_capacity(required.len());
    for g in &required {
        let (q, leaves) = group_query(g, fields, &mut stemmer, searcher, false);
        let numbers = shape.add(leaves);
        shape.core.push(numbers);
        required_queries.push(q);
    }
    let n = required_queries.len();
    shape.min_core = if n == 1 { 1 } else { min_required(n, matching) };
    let core: Box<dyn Query> = if n == 1 {
        required_queries.into_iter().next().expect("one query")
    } else {
        Box::new(BooleanQuery::with_minimum_required_clauses(
            required_queries
                .into_iter()
                .map(|q| (Occur::Should, q))
                .collect(),
            shape.min_core,
        ))
    };
    if optional.is_empty() {
        return Some((core, shape));
    }
    let mut clauses = vec![(Occur::Must, core)];
    for g in &optional {
        let (q, leaves) = group_query(g, fields, &mut stemmer, searcher, true);
        shape.add(leaves);
        clauses.push((Occur::Should, q));
    }
    Some((Box::new(BooleanQuery::new(clauses)), shape))
}

/// A field to match, where its adjacent word pairs are (if they are indexed), and its
/// weight.
type Weighted = [(tantivy::schema::Field, Option<PairField>, f32)];

/// Field weights: a word in the title says more than one in the description.
fn all_fields(f: &Fields) -> [(tantivy::schema::Field, Option<PairField>, f32); 4] {
    [
        (f.title, Some(PairField::Title), 3.0),
        (f.org, Some(PairField::Organisation), 2.0),
        (f.tags, Some(PairField::Tags), 2.0),
        (f.body, None, 1.0),
    ]
}

/// Where thesaurus expansions are looked for: names, labels and descriptions, as the
/// words themselves are (the expansion's own boost keeps each below the word typed).
/// Not organisations' names: "Age UK" is not about everything age brings. Most
/// council directories publish a name and a description and no labels, so a need
/// ("help with drinking") reaches the service ("We Are With You") only through what
/// its description says ("alcohol", "recovery"). On the development directory,
/// names and labels only gave NDCG@10 0.742; with descriptions at weight 0.5, 0.758;
/// at 1, 0.771.
fn expansion_fields(f: &Fields) -> [(tantivy::schema::Field, Option<PairField>, f32); 3] {
    [
        (f.title, Some(PairField::Title), 3.0),
        (f.tags, Some(PairField::Tags), 2.0),
        (f.body, None, 1.0),
    ]
}

/// Several words in order in a name or label: one pairs term per adjacent pair.
fn pairs_query(f: &Fields, field: PairField, stems: &[String]) -> Box<dyn Query> {
    let mut terms: Vec<(Occur, Box<dyn Query>)> = stems
        .windows(2)
        .map(|w| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                pair_term(f, field, &w[0], &w[1]),
                IndexRecordOption::WithFreqs,
            ));
            (Occur::Must, q)
        })
        .collect();
    if terms.len() == 1 {
        return terms.pop().expect("one pair").1;
    }
    Box::new(BooleanQuery::new(terms))
}

/// The query for one group. An `optional` group (a filler word next to others) is
/// only looked for in names and labels: "group" in "art group" says something when a
/// listing is called a group, nothing when its description happens to use the word,
/// and it is in most descriptions.
fn group_query(
    g: &Group,
    f: &Fields,
    stemmer: &mut TextAnalyzer,
    searcher: &tantivy::Searcher,
    optional: bool,
) -> (Box<dyn Query>, Vec<Leaf>) {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut leaves: Vec<Leaf> = Vec::new();
    let literal = tokens(stemmer, &g.words.join(" "));
    let fields = all_fields(f);
    let fields = if optional { &fields[..3] } else { &fields[..] };
    push_text(&mut should, &mut leaves, f, fields, &literal, 1.0);
    match &g.expansion {
        Some(e) => {
            // The first few expansions carry the meaning; more cost time and add noise.
            let where_ = expansion_fields(f);
            let where_ = if e.names_a_kind {
                &where_[..2]
            } else {
                &where_[..]
            };
            for find in e.finds.iter().take(MAX_EXPANSIONS) {
                if find != &literal {
                    push_text(&mut should, &mut leaves, f, where_, find, 0.6);
                }
            }
            for t in &e.types {
                let term = filter_term(f, "type", t);
                let q: Box<dyn Query> = Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    1.0,
                ));
                leaves.push(Leaf::new(q.box_clone(), LeafBound::Constant(1.0)));
                should.push((Occur::Should, q));
            }
        }
        None => {
            // Typo tolerance, only for words the index has never seen: a known word
            // is not a typo, and fuzzy matching is the costliest part of a query.
            let word = &g.words[0];
            let len = word.chars().count();
            let term = Term::from_field_text(f.words, word);
            let known = |t: &Term| searcher.doc_freq(t).map(|n| n > 0).unwrap_or(true);
            // A possessive typed without its apostrophe ("mens shed") is the word
            // the index holds without the "s" ("Men's" is "men" and "s").
            if !known(&term)
                && let Some(plain) = word.strip_suffix('s').filter(|p| p.len() >= 3)
                && known(&Term::from_field_text(f.words, plain))
            {
                let stems = tokens(stemmer, plain);
                push_text(&mut should, &mut leaves, f, fields, &stems, 1.0);
            }
            if !known(&term) && len >= 4 && !word.chars().all(|c| c.is_ascii_digit()) {
                let distance = if len >= 8 { 2 } else { 1 };
                let q: Box<dyn Query> = Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(term, distance, true)),
                    0.5,
                ));
                leaves.push(Leaf::new(q.box_clone(), LeafBound::Unknown));
                should.push((Occur::Should, q));
            }
        }
    }
    if should.len() == 1 {
        return (should.pop().expect("one clause").1, leaves);
    }
    (Box::new(BooleanQuery::new(should)), leaves)
}

/// Adds a word or phrase (already stemmed) matched against each weighted field: a
/// phrase as word pairs where the field has them, else with positions.
fn push_text(
    out: &mut Vec<(Occur, Box<dyn Query>)>,
    leaves: &mut Vec<Leaf>,
    f: &Fields,
    fields: &Weighted,
    stems: &[String],
    boost: f32,
) {
    if stems.is_empty() {
        return;
    }
    for &(field, pairs, weight) in fields {
        let (q, scored): (Box<dyn Query>, Vec<Vec<Term>>) = match (stems.len(), pairs) {
            (1, _) => {
                let term = Term::from_field_text(field, &stems[0]);
                (
                    Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                    vec![vec![term]],
                )
            }
            (_, Some(pf)) => (
                pairs_query(f, pf, stems),
                stems
                    .windows(2)
                    .map(|w| vec![pair_term(f, pf, &w[0], &w[1])])
                    .collect(),
            ),
            (_, None) => {
                let terms: Vec<Term> = stems
                    .iter()
                    .map(|s| Term::from_field_text(field, s))
                    .collect();
                (Box::new(PhraseQuery::new(terms.clone())), vec![terms])
            }
        };
        let q: Box<dyn Query> = Box::new(BoostQuery::new(q, weight * boost));
        leaves.push(Leaf::new(
            q.box_clone(),
            LeafBound::Bm25 {
                scored,
                boost: weight * boost,
            },
        ));
        out.push((Occur::Should, q));
    }
}

/// The analyzers the lexicon needs, taken from the index so query and documents are
/// tokenised the same way.
pub fn analyzers(index: &tantivy::Index) -> (TextAnalyzer, TextAnalyzer) {
    let folded = index.tokenizers().get(FOLDED).expect("registered");
    let stemmed = index.tokenizers().get(STEMMED).expect("registered");
    (folded, stemmed)
}
