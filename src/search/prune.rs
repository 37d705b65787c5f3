//! Passing over matches that cannot reach the top of the results, without scoring
//! them: "MaxScore" (Turtle and Flood, 1995), as search engines do it.
//!
//! A broad search ("lonely", "exercise") matches a tenth of a large directory, and
//! scoring every match was most of its time: a text query is a sum of many small
//! queries (the words in each field, their related words, their types), and tantivy
//! scores every one of them on every match. Its own pruning (block-max WAND) only
//! applies to a flat list of words, which Signpost's grouped query is not.
//!
//! Each small query (a *leaf*) can add at most a known amount to a score: its BM25
//! weight (idf × boost; the term-frequency part is below 1), or its constant. Once
//! the results kept so far are all above some score θ, the leaves whose bounds add up
//! to less than θ cannot lift a listing into them on their own. So only listings
//! matching one of the other, *essential*, leaves are looked at; the rest are asked
//! about those listings only (a skip in their postings, not a walk), and a listing is
//! scored in full only if its essential part plus everything the others could add
//! reaches θ. As θ rises, more leaves stop being essential.
//!
//! This only runs after counting has stopped (`collect`): below the count threshold
//! every match is visited anyway. The kept results are the same as scoring every
//! match, except that a score here is summed in a different order, so two listings
//! whose scores tie exactly may differ in the last bit and swap.

use tantivy::query::{Bm25Weight, BooleanQuery, EnableScoring, Occur, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use super::collect::SegmentGather;

/// How much a leaf can add to a score.
#[derive(Debug, Clone)]
pub enum LeafBound {
    /// BM25 of term sets times a boost: each set is one scorer's terms (one term, or
    /// a phrase's terms, whose BM25 weights add), and the sets' scores add.
    Bm25 {
        scored: Vec<Vec<Term>>,
        boost: Score,
    },
    /// A constant score.
    Constant(Score),
    /// Not known (fuzzy matches): always essential.
    Unknown,
}

/// One of the small queries a text query adds up.
#[derive(Debug)]
pub struct Leaf {
    query: Box<dyn Query>,
    bound: LeafBound,
}

impl Leaf {
    pub fn new(query: Box<dyn Query>, bound: LeafBound) -> Leaf {
        Leaf { query, bound }
    }

    /// The most this leaf adds to any listing's score in `searcher`.
    fn most(&self, searcher: &tantivy::Searcher) -> tantivy::Result<Score> {
        Ok(match &self.bound {
            LeafBound::Bm25 { scored, boost } => {
                let mut sum = 0.0;
                for terms in scored {
                    // The term-frequency factor tf / (tf + norm) is below 1, and
                    // reaches it for an endless frequency in the shortest field.
                    sum += Bm25Weight::for_terms(searcher, terms)?
                        .boost_by(*boost)
                        .score(0, u32::MAX);
                }
                sum
            }
            LeafBound::Constant(c) => *c,
            LeafBound::Unknown => Score::INFINITY,
        })
    }
}

/// A text query's leaves and how their matches combine: a listing matches when at
/// least `min_core` of the `core` groups have a matching leaf (the leaves of optional
/// groups only add to the score), and its score is the sum of its matching leaves'
/// scores.
#[derive(Debug, Default)]
pub struct Shape {
    leaves: Vec<Leaf>,
    pub(super) core: Vec<Vec<usize>>,
    pub(super) min_core: usize,
}

impl Shape {
    /// Adds one group's leaves; returns their numbers.
    pub(super) fn add(&mut self, leaves: Vec<Leaf>) -> Vec<usize> {
        let first = self.leaves.len();
        self.leaves.extend(leaves);
        (first..self.leaves.len()).collect()
    }
}

/// A text query made ready to skip what cannot rank, for one searcher. Made only
/// when a segment first needs it ([`Prune::get`]): most searches never stop counting,
/// and the leaves' weights cost a look-up of every term.
pub struct Prune {
    searcher: tantivy::Searcher,
    shape: Shape,
    /// The query's other conditions (place, filters) together, if any.
    filter: Option<BooleanQuery>,
    ready: std::sync::OnceLock<tantivy::Result<Ready>>,
    /// Documents looked at together when there are no other conditions (a multiple
    /// of 64; see [`Ready::rank_windows`]).
    window: usize,
}

/// [`Prune`]'s leaves, weighed, in rising order of their bound.
struct Ready {
    /// Each leaf's weight, scoring, in rising order of bound.
    leaves: Vec<Box<dyn Weight>>,
    /// The core groups, as positions in `leaves`.
    core: Vec<Vec<usize>>,
    min_core: usize,
    /// `below[k]`: the most the first `k` leaves can add up to, rounded up.
    below: Vec<Score>,
    /// The query's other conditions (place, filters), if any.
    filter: Option<Box<dyn Weight>>,
}

impl std::fmt::Debug for Prune {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prune").field("shape", &self.shape).finish()
    }
}

/// Documents [`Ready::rank_windows`] looks at together: its slots (12 bytes each)
/// stay in the CPU's nearest caches.
const WINDOW: usize = 4096;

/// Float sums in another order can differ in the last bits: bounds are rounded up
/// by this much, so a listing is never passed over for a rounding.
const ROUND_UP: Score = 1.0001;

impl Prune {
    /// `filters` are the query's conditions beside the text (each must match).
    pub fn new(shape: Shape, searcher: &tantivy::Searcher, filters: Vec<Box<dyn Query>>) -> Prune {
        let filter = (!filters.is_empty())
            .then(|| BooleanQuery::new(filters.into_iter().map(|q| (Occur::Must, q)).collect()));
        Prune {
            searcher: searcher.clone(),
            shape,
            filter,
            ready: std::sync::OnceLock::new(),
            window: WINDOW,
        }
    }

    /// The same with windows of `window` documents (tests: many windows on a small
    /// index).
    #[cfg(test)]
    fn with_window(mut self, window: usize) -> Prune {
        assert!(window > 0 && window.is_multiple_of(64));
        self.window = window;
        self
    }

    fn get(&self) -> tantivy::Result<&Ready> {
        self.ready
            .get_or_init(|| Ready::new(&self.shape, &self.searcher, self.filter.as_ref()))
            .as_ref()
            .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))
    }

    /// Whether, with the kept results all at `threshold` or above, some leaves can
    /// no longer lift a listing into them.
    pub(super) fn can_skip(&self, threshold: Score) -> tantivy::Result<bool> {
        Ok(self.get()?.non_essential(threshold) > 0)
    }

    /// Ranks a segment's matches from `from` on (counting has stopped), looking only
    /// at listings that could enter `child`'s kept results.
    pub(super) fn rank(
        &self,
        reader: &SegmentReader,
        from: DocId,
        child: &mut SegmentGather,
        is_alive: &dyn Fn(DocId) -> bool,
    ) -> tantivy::Result<()> {
        self.get()?.rank(reader, from, child, is_alive, self.window)
    }
}

impl Ready {
    fn new(
        shape: &Shape,
        searcher: &tantivy::Searcher,
        filter: Option<&BooleanQuery>,
    ) -> tantivy::Result<Ready> {
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        let mut bounds = Vec::with_capacity(shape.leaves.len());
        for leaf in &shape.leaves {
            bounds.push(leaf.most(searcher)?);
        }
        let mut order: Vec<usize> = (0..bounds.len()).collect();
        order.sort_by(|&a, &b| bounds[a].total_cmp(&bounds[b]));
        let mut position = vec![0; order.len()];
        let mut leaves = Vec::with_capacity(order.len());
        let mut below = Vec::with_capacity(order.len() + 1);
        let mut sum: Score = 0.0;
        below.push(0.0);
        for (p, &i) in order.iter().enumerate() {
            position[i] = p;
            leaves.push(shape.leaves[i].query.weight(scoring)?);
            sum += bounds[i];
            below.push(sum * ROUND_UP + 1e-6);
        }
        let core = shape
            .core
            .iter()
            .map(|group| group.iter().map(|&i| position[i]).collect())
            .collect();
        let filter = match filter {
            Some(q) => Some(q.weight(EnableScoring::disabled_from_searcher(searcher))?),
            None => None,
        };
        Ok(Ready {
            leaves,
            core,
            min_core: shape.min_core,
            below,
            filter,
        })
    }

    /// How many leaves (of lowest bound) cannot lift a listing above `threshold`.
    fn non_essential(&self, threshold: Score) -> usize {
        self.below[1..].partition_point(|&b| b < threshold)
    }

    fn rank(
        &self,
        reader: &SegmentReader,
        from: DocId,
        child: &mut SegmentGather,
        is_alive: &dyn Fn(DocId) -> bool,
        window: usize,
    ) -> tantivy::Result<()> {
        let mut leaves: Vec<Box<dyn Scorer>> = Vec::with_capacity(self.leaves.len());
        for w in &self.leaves {
            let mut s = w.scorer(reader, 1.0)?;
            if s.doc() < from {
                s.seek(from);
            }
            leaves.push(s);
        }
        let mut filter = match &self.filter {
            Some(w) => Some(w.scorer(reader, 1.0)?),
            None => None,
        };
        // Each leaf's current document, kept here side by side: the loop below
        // looks at every essential leaf's for every candidate, and asking a scorer
        // is a call through a trait object.
        let mut at: Vec<DocId> = leaves.iter().map(|s| s.doc()).collect();
        if filter.is_none() && leaves.len() <= 64 {
            self.rank_windows(&mut leaves, &mut at, child, is_alive, window);
            return Ok(());
        }
        let mut threshold = child.worst();
        let mut m = self.non_essential(threshold);
        loop {
            let doc = at[m..].iter().copied().min().unwrap_or(TERMINATED);
            if doc == TERMINATED {
                break;
            }
            // The other conditions (a place, filters) are often the rarer: when the
            // next listing that meets them is further on, the leaves jump to it.
            if let Some(f) = filter.as_deref_mut() {
                let next = if f.doc() < doc { f.seek(doc) } else { f.doc() };
                if next == TERMINATED {
                    break;
                }
                if next > doc {
                    for (a, l) in at[m..].iter_mut().zip(&mut leaves[m..]) {
                        if *a < next {
                            *a = l.seek(next);
                        }
                    }
                    continue;
                }
            }
            let mut partial = 0.0;
            for j in m..at.len() {
                if at[j] == doc {
                    partial += leaves[j].score();
                }
            }
            if partial + self.below[m] >= threshold
                && is_alive(doc)
                && let Some(reach) = self.lift(&mut leaves, &mut at, doc, m, partial, threshold)
                && self.matches(&at, doc)
            {
                child.rank_only(doc, reach);
                let worst = child.worst();
                if worst > threshold {
                    threshold = worst;
                    m = self.non_essential(threshold);
                }
            }
            for j in m..at.len() {
                if at[j] == doc {
                    at[j] = leaves[j].advance();
                }
            }
        }
        Ok(())
    }

    /// [`rank`](Self::rank) without other conditions, a window of documents at a
    /// time, as Lucene's `MaxScoreBulkScorer` does. Finding the next candidate one at
    /// a time asks every essential leaf where it is, for every candidate: with a
    /// broad need's 20 to 30 leaves that was a third of the search. Here each
    /// essential leaf instead walks its own matches in the window, adding its scores
    /// into the window's slots (in the same leaf order, so the sums are the same to
    /// the bit), and the candidates are then taken in order from the slots filled.
    /// The essential leaves stay the same for a whole window; the threshold still
    /// rises within it.
    fn rank_windows(
        &self,
        leaves: &mut [Box<dyn Scorer>],
        at: &mut [DocId],
        child: &mut SegmentGather,
        is_alive: &dyn Fn(DocId) -> bool,
        window: usize,
    ) {
        let mut sum = vec![0.0 as Score; window];
        // Which leaves matched each slot's document (bit j for leaf j; at most 64).
        let mut hit = vec![0u64; window];
        let mut filled = vec![0u64; window / 64];
        let mut threshold = child.worst();
        let mut m = self.non_essential(threshold);
        loop {
            let start = at[m..].iter().copied().min().unwrap_or(TERMINATED);
            if start == TERMINATED {
                break;
            }
            let end = start.saturating_add(window as DocId);
            for j in m..at.len() {
                while at[j] < end {
                    let slot = (at[j] - start) as usize;
                    sum[slot] += leaves[j].score();
                    hit[slot] |= 1 << j;
                    filled[slot / 64] |= 1 << (slot % 64);
                    at[j] = leaves[j].advance();
                }
            }
            for (word, filled) in filled.iter_mut().enumerate() {
                let mut bits = std::mem::take(filled);
                while bits != 0 {
                    let slot = word * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let doc = start + slot as DocId;
                    let partial = std::mem::take(&mut sum[slot]);
                    let essential = std::mem::take(&mut hit[slot]);
                    if partial + self.below[m] < threshold || !is_alive(doc) {
                        continue;
                    }
                    let Some(reach) = self.lift(leaves, at, doc, m, partial, threshold) else {
                        continue;
                    };
                    let on = |j: usize| {
                        if j >= m {
                            essential & (1 << j) != 0
                        } else {
                            at[j] == doc
                        }
                    };
                    if self.matches_with(on) {
                        child.rank_only(doc, reach);
                        threshold = threshold.max(child.worst());
                    }
                }
            }
            m = self.non_essential(threshold);
        }
    }

    /// A candidate's score: its essential leaves' `partial` plus what the first `m`
    /// (non-essential) leaves add, asked from the likeliest to lift it first, each
    /// moved to `doc`. `None` as soon as what is left of them cannot lift it to
    /// `threshold`.
    fn lift(
        &self,
        leaves: &mut [Box<dyn Scorer>],
        at: &mut [DocId],
        doc: DocId,
        m: usize,
        partial: Score,
        threshold: Score,
    ) -> Option<Score> {
        let mut reach = partial;
        for j in (0..m).rev() {
            if reach + self.below[j + 1] < threshold {
                return None;
            }
            if at[j] < doc {
                at[j] = leaves[j].seek(doc);
            }
            if at[j] == doc {
                reach += leaves[j].score();
            }
        }
        Some(reach)
    }

    /// Whether enough core groups have a leaf on `doc` (every leaf is at or past it).
    fn matches(&self, at: &[DocId], doc: DocId) -> bool {
        self.matches_with(|j| at[j] == doc)
    }

    /// Whether enough core groups have a leaf for which `on` holds.
    fn matches_with(&self, on: impl Fn(usize) -> bool) -> bool {
        let matched = self
            .core
            .iter()
            .filter(|group| group.iter().any(|&j| on(j)))
            .count();
        matched >= self.min_core
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::geo::locate::{Located, Precision};
    use crate::listing::Taxonomy;
    use crate::search::collect::{Gather, Gathered, Ranking};
    use crate::search::text::{self, Lexicon, Matching};
    use crate::search::{Engine, SearchIndex, SearchRequest, Sort};

    /// Broad and narrow texts: one word, a need with related words in descriptions,
    /// an activity's name, two words, a filler word, a typo, a phrase.
    const TEXTS: &[&str] = &[
        "walking",
        "lonely",
        "exercise",
        "carers support",
        "art group",
        "memory cafe",
        "knittin",
        "dementia",
        "low mood",
        "somewhere to sing",
        "volunteering",
    ];

    /// 6,000 synthetic listings with ids 1..=6000, in several segments.
    fn index() -> SearchIndex {
        crate::search::collect::tests::synthetic_index(6000)
    }

    fn gather(prune: Option<Arc<Prune>>) -> Gather {
        Gather {
            types: Taxonomy::embedded().types.len(),
            fresh_from: 0,
            keep: 20,
            ranking: Ranking {
                around: None,
                sort: Sort::Relevance,
                has_text: true,
            },
            count_up_to: 40,
            prune,
            by_id: None,
        }
    }

    /// The kept results are those of scoring every match: the same listings in the
    /// same order with the same keys (to a rounding), while fewer matches are scored.
    #[test]
    fn keeps_what_scoring_every_match_keeps_and_scores_fewer() {
        let index = index();
        let searcher = index.reader.searcher();
        assert!(searcher.segment_readers().len() > 1, "several segments");
        let (folded, stemmed) = text::analyzers(&index.index);
        let lexicon = Lexicon::new(Taxonomy::embedded(), folded, stemmed);
        let f = &index.fields;
        let mut skipped_somewhere = 0;
        for q in TEXTS {
            let (query, _) = text::build_shaped(q, f, &lexicon, &searcher, Matching::Most).unwrap();
            let every: Gathered = searcher.search(&query, &gather(None)).unwrap();
            // Many small windows, and one window for a whole segment.
            for window in [64, 192, WINDOW] {
                let (_, shape) =
                    text::build_shaped(q, f, &lexicon, &searcher, Matching::Most).unwrap();
                let prune = Prune::new(shape, &searcher, Vec::new()).with_window(window);
                let pruned = searcher
                    .search(&query, &gather(Some(Arc::new(prune))))
                    .unwrap();
                assert_eq!(pruned.total, every.total, "{q}: counting is unchanged");
                assert_eq!(pruned.per_type, every.per_type, "{q}");
                let ids = |g: &Gathered| g.best.iter().map(|r| r.id).collect::<Vec<_>>();
                assert_eq!(ids(&pruned), ids(&every), "{q}: the same results in order");
                for (a, b) in pruned.best.iter().zip(&every.best) {
                    assert!(
                        (a.key - b.key).abs() <= 1e-4 * b.key.abs(),
                        "{q}: {a:?} {b:?}"
                    );
                }
                assert!(pruned.ranked <= every.ranked, "{q}");
                if pruned.ranked < every.ranked / 2 && window == WINDOW {
                    skipped_somewhere += 1;
                }
            }
        }
        assert!(
            skipped_somewhere >= TEXTS.len() / 2,
            "most of these searches pass over at least half of what they used to score \
             ({skipped_somewhere} of {})",
            TEXTS.len()
        );
    }

    /// Through the engine, with a place and filters (which the leaves must meet too)
    /// and with words that match nothing together: the same pages as without pruning.
    #[test]
    fn the_engine_gives_the_same_pages_with_and_without() {
        let engine = Engine::new(index(), Taxonomy::embedded());
        engine.set_count_up_to(40);
        let now = crate::clock::parse_now("2026-11-24T09:00").unwrap();
        let place = Located {
            label: "M33".into(),
            lat: 53.42,
            lon: -2.32,
            precision: Precision::District,
            district: Some("M33".into()),
            area: Some("M".into()),
            note: None,
        };
        let mut compared = 0;
        for q in TEXTS.iter().chain(&["zzqx walking", "free walking"]) {
            for (near, within, free) in [
                (false, 5.0, false),
                (true, 50.0, false),
                (true, 200.0, true),
            ] {
                let req = SearchRequest {
                    q: q.to_string(),
                    within,
                    free,
                    page: 1,
                    ..Default::default()
                };
                let loc = near.then_some(&place);
                let ids = |on: bool| {
                    engine.set_pruning(on);
                    let r = engine.search(&req, loc, now).unwrap();
                    (r.total, r.hits.iter().map(|h| h.id).collect::<Vec<_>>())
                };
                let (with, without) = (ids(true), ids(false));
                assert_eq!(
                    with, without,
                    "{q:?} near {near} within {within} free {free}"
                );
                compared += usize::from(!with.1.is_empty());
            }
        }
        assert!(
            compared > 20,
            "most searches had results to compare ({compared})"
        );
    }
}
