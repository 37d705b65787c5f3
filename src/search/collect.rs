//! One pass over the matches that leaves out stale listings, counts the rest in total
//! and per activity type, and keeps the best few in rank order.
//!
//! This is where a broad search spends its time: "exercise" matches a quarter of a
//! million listings at 1M, and an exact total and exact counts per type mean every
//! one of them is visited. So the work per match is kept to what it must be:
//!
//! - freshness is one fast-field read (`checked`, a day number), not a must-not over
//!   date terms that every match would have to be checked against;
//! - counting is one read of the `type_mask` bit set and a few increments;
//! - ranking reads the position (for distance) and the listing id (for ties) only
//!   when the match could enter the top of the list: the distance decay never raises
//!   a score, so a match whose text score is already below the worst kept result is
//!   passed over unread.
//!
//! Columns are read through their values directly when every document has one (the
//! schema makes sure they do), which skips tantivy's per-read optional-value lookup.
//!
//! Nobody reads "141,786 results": counting stops once a segment has counted more than
//! [`Gather::count_up_to`] fresh matches, and the search says "more than" that many.
//! Ranking cannot stop there (the best match may be the last one visited), but past
//! the threshold a match costs only its score: the type mask is not read, and the
//! freshness day, the position and the id only when the score could enter the top.
//! And once the kept results are good enough, `prune` passes over the matches whose
//! score could not reach them without computing it.

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, ColumnValues};
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

use super::by_id::ById;
use super::prune::Prune;
use super::request::Sort;
use super::schema::{NO_POSITION, unpack_position};

/// Distances from one point, cheap enough to compute for every match.
#[derive(Debug, Clone, Copy)]
pub struct Around {
    center: (f64, f64),
    miles_per_degree_lon: f64,
}

const MILES_PER_DEGREE_LAT: f64 = 69.05;

impl Around {
    /// Over the few miles a search covers, a flat-earth approximation is within a
    /// fraction of a percent of the great-circle distance and about twenty times
    /// cheaper, so it ranks and filters; only points near the edge of a circle get
    /// the exact check, and displayed distances are always exact.
    pub fn new(center: (f64, f64)) -> Around {
        Around {
            center,
            miles_per_degree_lon: MILES_PER_DEGREE_LAT * center.0.to_radians().cos(),
        }
    }

    pub fn approx_miles(&self, p: (f64, f64)) -> f64 {
        let dy = (p.0 - self.center.0) * MILES_PER_DEGREE_LAT;
        let dx = (p.1 - self.center.1) * self.miles_per_degree_lon;
        (dx * dx + dy * dy).sqrt()
    }

    pub fn is_within(&self, p: (f64, f64), miles: f64) -> bool {
        let d = self.approx_miles(p);
        if d < miles * 0.98 {
            true
        } else if d > miles * 1.02 + 0.01 {
            false
        } else {
            crate::geo::distance::miles_between(self.center, p) <= miles
        }
    }
}

/// How results are put in order.
#[derive(Debug, Clone, Copy)]
pub struct Ranking {
    /// The place searched from, if any.
    pub around: Option<Around>,
    pub sort: Sort,
    /// Whether words were given (without them every text score is the same).
    pub has_text: bool,
}

impl Ranking {
    /// Every match has the same key: nothing but the listing id orders them.
    pub fn is_flat(&self) -> bool {
        self.around.is_none() && !self.has_text
    }

    /// The highest key a match with this text score can have, before reading
    /// anything else about it.
    fn bound(&self, score: Score) -> f32 {
        match (self.around, self.sort) {
            (None, _) => score,
            (Some(_), Sort::Distance) => f32::INFINITY,
            (Some(_), Sort::Relevance) => {
                if self.has_text {
                    score
                } else {
                    1.0
                }
            }
        }
    }

    /// The key: BM25 on the text, multiplied by a gentle distance decay when a place
    /// is given (half way between 1 and 0.5 at 3 miles), or nearest first when sorting
    /// by distance. Listings without a point (online, phone) rank as if 3 miles away.
    fn key(&self, score: Score, pos: u64) -> f32 {
        let Some(around) = self.around else {
            return score;
        };
        let d = unpack_position(pos).map(|p| around.approx_miles(p));
        match self.sort {
            Sort::Distance => -(d.unwrap_or(1.0e6) as f32),
            Sort::Relevance => {
                let decay = match d {
                    Some(d) => 0.5 + 0.5 * (-(d / 3.0) * std::f64::consts::LN_2).exp(),
                    None => 0.75,
                } as f32;
                let base = if self.has_text { score } else { 1.0 };
                base * decay
            }
        }
    }
}

/// The collector: give it to `Searcher::search` with the query.
pub struct Gather {
    /// Number of activity types (bits of `type_mask`).
    pub types: usize,
    /// Day number (days from the common era) before which a listing's last check
    /// makes it stale; 0 keeps everything.
    pub fresh_from: u64,
    /// How many of the best to keep (offset plus page size); 0 for counts only.
    pub keep: usize,
    pub ranking: Ranking,
    /// Counting stops once more than this many fresh matches are counted (the total
    /// is then "more than" this); `usize::MAX` counts every match exactly.
    pub count_up_to: usize,
    /// The text query made ready to pass over matches that cannot rank, once
    /// counting has stopped (see `prune`); only for a ranking whose key is at most
    /// the text score, and only with the very query searched.
    pub prune: Option<Arc<Prune>>,
    /// Segments in listing-id order, for a ranking that scores every match the same
    /// (no words, no place): matches are then marked and taken in that order (see
    /// `by_id`) instead of each being weighed against the kept results.
    pub by_id: Option<ById>,
}

/// One kept result: its key, listing id and address.
#[derive(Debug, Clone, Copy)]
pub struct Ranked {
    pub key: f32,
    pub id: u64,
    pub addr: DocAddress,
}

impl Ranked {
    /// Better first: higher key, then lower listing id, so equal keys come out in the
    /// same order however the index happens to be segmented.
    fn order(&self, other: &Ranked) -> std::cmp::Ordering {
        other.key.total_cmp(&self.key).then(self.id.cmp(&other.id))
    }
}

/// What a search gathers: the total, counts per type position, and the best results
/// in rank order.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Every fresh match, or `count_up_to` when there are more (see `more`).
    pub total: usize,
    /// Counting stopped: there are more than `total` matches, and the counts per type
    /// are only what was counted before it stopped (each at most `total`).
    pub more: bool,
    pub per_type: Vec<u64>,
    pub best: Vec<Ranked>,
    /// Matches whose score was weighed against the kept results after counting
    /// stopped: every one of them, unless `prune` passed some over.
    pub ranked: usize,
}

/// A segment's column as plain values: direct when every document has a value (as
/// the schema ensures), otherwise through tantivy's first-value adapter.
pub(super) fn dense(
    seg: &SegmentReader,
    name: &str,
    default: u64,
) -> tantivy::Result<Arc<dyn ColumnValues<u64>>> {
    let col = seg.fast_fields().u64(name)?;
    Ok(if col.get_cardinality() == Cardinality::Full {
        col.values
    } else {
        col.first_or_default_col(default)
    })
}

/// The positions of a segment's documents, for the radius check.
pub fn positions(seg: &SegmentReader) -> tantivy::Result<Arc<dyn ColumnValues<u64>>> {
    dense(seg, "pos", NO_POSITION)
}

impl Gather {
    /// A flat ranking's pass (see `by_id`): counts and marks every fresh match, then
    /// takes the segment's documents in id order while they are marked, until it
    /// has `keep`.
    fn collect_by_id(
        &self,
        by: &ById,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Gathered> {
        let order = by.orders.of(reader)?;
        let mut child = self.for_segment(segment_ord, reader)?;
        child.keep = 0;
        let alive = reader.alive_bitset();
        // Every live document, and nothing to count of them but how many.
        let everything = by.everything && self.fresh_from == 0 && self.types == 0;
        let marks = if everything {
            child.count(reader.num_docs() as usize);
            None
        } else {
            child.marks = Some(tantivy::BitSet::with_max_value(reader.max_doc().max(1)));
            child.collect_unscored(weight, reader)?;
            child.flush();
            child.marks.take()
        };
        let taken = |doc: DocId| match &marks {
            Some(marks) => marks.contains(doc),
            None => alive.is_none_or(|a| a.is_alive(doc)),
        };
        let mut best = Vec::with_capacity(self.keep.min(1024));
        for (&doc, &id) in order.docs.iter().zip(&order.ids) {
            if best.len() == self.keep {
                break;
            }
            if taken(doc) {
                best.push(Ranked {
                    key: 0.0,
                    id,
                    addr: DocAddress::new(segment_ord, doc),
                });
            }
        }
        let mut gathered = child.harvest();
        gathered.best = best;
        Ok(gathered)
    }
}

impl Collector for Gather {
    type Fruit = Gathered;
    type Child = SegmentGather;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentGather> {
        Ok(SegmentGather {
            segment,
            types: dense(reader, "type_mask", 0)?,
            checked: dense(reader, "checked", 0)?,
            pos: positions(reader)?,
            ids: dense(reader, "id", u64::MAX)?,
            fresh_from: self.fresh_from,
            keep: self.keep,
            ranking: self.ranking,
            count_up_to: self.count_up_to,
            counting: true,
            ranked: 0,
            total: 0,
            per_type: vec![0; self.types],
            best: std::collections::BinaryHeap::with_capacity(self.keep + 1),
            worst: f32::NEG_INFINITY,
            worst_id: u64::MAX,
            docs: Vec::with_capacity(BATCH),
            scores: Vec::with_capacity(BATCH),
            masks: [0; BATCH],
            found: [0; BATCH],
            marks: None,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.keep > 0 && self.ranking.has_text
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Gathered> {
        if let Some(by) = self.by_id.as_ref()
            && self.keep > 0
            && self.ranking.is_flat()
        {
            return self.collect_by_id(by, weight, segment_ord, reader);
        }
        let mut child = self.for_segment(segment_ord, reader)?;
        if self.count_up_to == usize::MAX {
            // Every match counted: tantivy's own loops (batched when nothing is scored).
            match (reader.alive_bitset(), self.requires_scoring()) {
                (Some(alive), true) => weight.for_each(reader, &mut |doc, score| {
                    if alive.is_alive(doc) {
                        child.collect(doc, score);
                    }
                })?,
                (None, true) => weight.for_each(reader, &mut |doc, score| {
                    child.collect(doc, score);
                })?,
                (_, false) => child.collect_unscored(weight, reader)?,
            }
            return Ok(child.harvest());
        }
        let scoring = self.requires_scoring();
        let alive = reader.alive_bitset();
        let is_alive = |doc: DocId| alive.is_none_or(|a| a.is_alive(doc));
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        // Counting and ranking, a batch at a time, until the count passes the threshold.
        while doc != TERMINATED && child.counting {
            if is_alive(doc) {
                child.collect(doc, if scoring { scorer.score() } else { 0.0 });
            }
            doc = scorer.advance();
        }
        // Then ranking only: the rest of the matches could still hold the best ones.
        if self.keep > 0 {
            child.flush();
            let prune = self.prune.as_deref().filter(|_| scoring);
            let mut prunable = false;
            while doc != TERMINATED && !prunable {
                if is_alive(doc) {
                    let worst = child.worst;
                    child.rank_only(doc, if scoring { scorer.score() } else { 0.0 });
                    if child.worst > worst
                        && let Some(p) = prune
                    {
                        prunable = p.can_skip(child.worst)?;
                    }
                }
                doc = scorer.advance();
            }
            // Once some leaves cannot lift a match into the kept results on their
            // own, only the matches of the others are looked at.
            if let (Some(p), true) = (prune, doc != TERMINATED) {
                p.rank(reader, doc, &mut child, &is_alive)?;
            }
        }
        Ok(child.harvest())
    }

    fn merge_fruits(&self, fruits: Vec<Gathered>) -> tantivy::Result<Gathered> {
        let mut all = Gathered {
            per_type: vec![0; self.types],
            ..Default::default()
        };
        for f in fruits {
            all.total += f.total;
            all.ranked += f.ranked;
            all.more |= f.more;
            for (acc, v) in all.per_type.iter_mut().zip(f.per_type) {
                *acc += v;
            }
            all.best.extend(f.best);
        }
        all.best.sort_by(Ranked::order);
        all.best.truncate(self.keep);
        if all.more || all.total > self.count_up_to {
            all.more = true;
            all.total = self.count_up_to;
            for c in &mut all.per_type {
                *c = (*c).min(self.count_up_to as u64);
            }
        }
        Ok(all)
    }
}

pub struct SegmentGather {
    segment: SegmentOrdinal,
    types: Arc<dyn ColumnValues<u64>>,
    checked: Arc<dyn ColumnValues<u64>>,
    pos: Arc<dyn ColumnValues<u64>>,
    ids: Arc<dyn ColumnValues<u64>>,
    fresh_from: u64,
    keep: usize,
    ranking: Ranking,
    count_up_to: usize,
    /// Still counting: false once `total` passed `count_up_to`.
    counting: bool,
    /// See [`Gathered::ranked`].
    ranked: usize,
    total: usize,
    per_type: Vec<u64>,
    /// The best so far, at most `keep`, the worst of them on top.
    best: std::collections::BinaryHeap<Worse>,
    /// The key of the worst kept result once `best` is full (else -inf).
    worst: f32,
    /// Its listing id once `best` is full (else the greatest): of two equal keys the
    /// lower id ranks first.
    worst_id: u64,
    /// Matches waiting to be looked at, a batch at a time: reading a column for a
    /// batch of documents is one call that the compiler unrolls, where reading it per
    /// match is a call through a trait object each time.
    docs: Vec<DocId>,
    scores: Vec<Score>,
    masks: [u64; BATCH],
    /// A column read for the batch: the freshness days, then the listing ids.
    found: [u64; BATCH],
    /// Every fresh match, when they are taken in id order afterwards (`by_id`).
    marks: Option<tantivy::BitSet>,
}

/// Matches looked at together.
const BATCH: usize = 64;

impl SegmentGather {
    /// The key of the worst kept result once the kept results are full (else -inf):
    /// a match must reach it to be kept.
    pub(super) fn worst(&self) -> f32 {
        self.worst
    }

    /// A match after counting stopped: read nothing unless its score could enter
    /// the top, then leave it out if it is stale.
    pub(super) fn rank_only(&mut self, doc: DocId, score: Score) {
        self.ranked += 1;
        if self.ranking.bound(score) < self.worst {
            return;
        }
        if self.fresh_from > 0 {
            let checked = self.checked.get_val(doc);
            if checked != 0 && checked < self.fresh_from {
                return;
            }
        }
        self.offer(doc, score);
    }

    fn offer(&mut self, doc: DocId, score: Score) {
        if self.ranking.bound(score) < self.worst {
            return;
        }
        let key = self.ranking.key(score, self.pos.get_val(doc));
        if key < self.worst {
            return;
        }
        self.consider(Ranked {
            key,
            id: self.ids.get_val(doc),
            addr: DocAddress::new(self.segment, doc),
        });
    }

    /// The first `m` waiting matches, each of which could enter the top. Without a
    /// place the key is the text score, so a match's position is never read and the
    /// listing ids (which break ties, and are all that orders a browse without words)
    /// are read for the batch in one call.
    fn offer_batch(&mut self, m: usize) {
        if self.ranking.around.is_some() {
            for i in 0..m {
                self.offer(self.docs[i], self.scores[i]);
            }
            return;
        }
        self.ids.get_vals(&self.docs[..m], &mut self.found[..m]);
        for i in 0..m {
            let key = self.scores[i];
            // Most matches lose to the worst kept result here, before any heap work:
            // a browse without words has one key for all, and its ids decide.
            if key < self.worst || (key == self.worst && self.found[i] > self.worst_id) {
                continue;
            }
            self.consider(Ranked {
                key,
                id: self.found[i],
                addr: DocAddress::new(self.segment, self.docs[i]),
            });
        }
    }

    /// Keeps `candidate` if it is better than the worst kept result, or if there is
    /// still room.
    #[inline]
    fn consider(&mut self, candidate: Ranked) {
        let candidate = Worse(candidate);
        if self.best.len() < self.keep {
            self.best.push(candidate);
        } else if self
            .best
            .peek()
            .is_some_and(|worst| candidate.cmp(worst) == std::cmp::Ordering::Less)
        {
            self.best.pop();
            self.best.push(candidate);
        } else {
            return;
        }
        if self.best.len() == self.keep
            && let Some(w) = self.best.peek()
        {
            (self.worst, self.worst_id) = (w.0.key, w.0.id);
        }
    }
}

/// A kept result ordered so that the worst is the greatest: the top of the heap is
/// the one a better match replaces.
#[derive(Debug, Clone, Copy)]
struct Worse(Ranked);

impl PartialEq for Worse {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Worse {}

impl PartialOrd for Worse {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Worse {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.order(&other.0)
    }
}

impl SegmentGather {
    /// Every match of `weight`, unscored, alive ones only, in tantivy's batches.
    fn collect_unscored(
        &mut self,
        weight: &dyn Weight,
        reader: &SegmentReader,
    ) -> tantivy::Result<()> {
        match reader.alive_bitset() {
            Some(alive) => weight.for_each_no_score(reader, &mut |docs| {
                for &doc in docs {
                    if alive.is_alive(doc) {
                        self.collect(doc, 0.0);
                    }
                }
            }),
            None => weight.for_each_no_score(reader, &mut |docs| self.collect_block(docs)),
        }
    }

    /// Adds `n` fresh matches to the total while counting, as counting them one by
    /// one would: it stops one past `count_up_to`.
    fn count(&mut self, n: usize) {
        if self.counting {
            self.total += n;
            if self.total > self.count_up_to {
                self.total = self.count_up_to.saturating_add(1);
                self.counting = false;
            }
        }
    }

    /// Looks at the waiting matches: freshness, counts, then ranking.
    fn flush(&mut self) {
        let n = self.docs.len();
        if n == 0 {
            return;
        }
        // Types are read only while they are counted, and only when asked for.
        let count_types = self.counting && !self.per_type.is_empty();
        if self.fresh_from == 0 && !count_types && self.keep == 0 {
            // Nothing to read: a total, and the marks of a browse in id order (the
            // Open Referral API's listing of a whole directory comes this way).
            if let Some(marks) = self.marks.as_mut() {
                for &doc in &self.docs {
                    marks.insert(doc);
                }
            }
            self.count(n);
            self.docs.clear();
            self.scores.clear();
            return;
        }
        if count_types {
            self.types.get_vals(&self.docs, &mut self.masks[..n]);
        }
        let fresh_from = self.fresh_from;
        if fresh_from > 0 {
            self.checked.get_vals(&self.docs, &mut self.found[..n]);
        }
        // The matches that could still enter the top move to the front.
        let mut waiting = 0;
        for i in 0..n {
            if fresh_from > 0 {
                let checked = self.found[i];
                if checked != 0 && checked < fresh_from {
                    continue;
                }
            }
            if let Some(marks) = self.marks.as_mut() {
                marks.insert(self.docs[i]);
            }
            if self.counting {
                self.total += 1;
                if count_types {
                    let mut mask = self.masks[i];
                    while mask != 0 {
                        let bit = mask.trailing_zeros() as usize;
                        if let Some(c) = self.per_type.get_mut(bit) {
                            *c += 1;
                        }
                        mask &= mask - 1;
                    }
                }
                self.counting = self.total <= self.count_up_to;
            }
            if self.keep > 0 && self.ranking.bound(self.scores[i]) >= self.worst {
                self.docs[waiting] = self.docs[i];
                self.scores[waiting] = self.scores[i];
                waiting += 1;
            }
        }
        if waiting > 0 {
            self.offer_batch(waiting);
        }
        self.docs.clear();
        self.scores.clear();
    }
}

impl SegmentCollector for SegmentGather {
    type Fruit = Gathered;

    #[inline]
    fn collect(&mut self, doc: DocId, score: Score) {
        self.docs.push(doc);
        self.scores.push(score);
        if self.docs.len() == BATCH {
            self.flush();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        // Unscored matches come in blocks: take them a batch at a time.
        let mut rest = docs;
        while !rest.is_empty() {
            let room = BATCH - self.docs.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.docs.extend_from_slice(now);
            self.scores.resize(self.docs.len(), 0.0);
            if self.docs.len() == BATCH {
                self.flush();
            }
            rest = later;
        }
    }

    fn harvest(mut self) -> Gathered {
        self.flush();
        Gathered {
            total: self.total,
            more: !self.counting,
            per_type: self.per_type,
            best: self.best.into_iter().map(|w| w.0).collect(),
            ranked: self.ranked,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::listing::Taxonomy;
    use crate::search::SearchIndex;
    use crate::search::schema::{pack_position, unpack_position};
    use tantivy::query::AllQuery;

    /// An empty in-memory index and its writer.
    fn empty_index() -> (SearchIndex, crate::search::index::Indexer) {
        let index = SearchIndex::in_memory().unwrap();
        let indexer = index
            .indexer(crate::search::index::DEFAULT_WRITER_HEAP)
            .unwrap();
        (index, indexer)
    }

    /// An index of `n` synthetic listings with ids 1..=n, in a few segments.
    pub(in crate::search) fn synthetic_index(n: u64) -> SearchIndex {
        let taxonomy = Taxonomy::embedded();
        let districts = crate::synth::district_list();
        let (index, mut indexer) = empty_index();
        for chunk in (1..=n).collect::<Vec<_>>().chunks(1000) {
            let listings: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    let mut l = crate::synth::listing(5, i, taxonomy, &districts);
                    l.id = i as i64;
                    l
                })
                .collect();
            indexer.add_documents(listings, taxonomy).unwrap();
            indexer.commit(1).unwrap();
        }
        index
    }

    /// A browse without words or a place takes each segment's matches in listing-id
    /// order (`by_id`): the same results in the same order, and the same counts, as
    /// weighing every match, with ids out of document order, deleted documents,
    /// stale listings, a filter, pages deep into the results and a count that stops.
    #[test]
    fn a_flat_browse_in_id_order_keeps_what_weighing_every_match_keeps() {
        use crate::search::by_id::IdOrders;
        use crate::search::schema::filter_term;
        use tantivy::query::{Query, TermQuery};
        use tantivy::schema::IndexRecordOption;

        let taxonomy = Taxonomy::embedded();
        let districts = crate::synth::district_list();
        let (index, mut indexer) = empty_index();
        let mut ids: Vec<u64> = (1..=4000).collect();
        fastrand::Rng::with_seed(7).shuffle(&mut ids);
        for chunk in ids.chunks(900) {
            let listings: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    let mut l = crate::synth::listing(5, i, taxonomy, &districts);
                    l.id = i as i64;
                    let checked = "2026-01-01T10:00:00Z".parse::<chrono::DateTime<chrono::Utc>>();
                    l.provenance.verified_at =
                        Some(checked.unwrap() + chrono::Duration::days((i % 300) as i64));
                    l
                })
                .collect();
            indexer.add_documents(listings, taxonomy).unwrap();
            indexer.commit(1).unwrap();
        }
        for id in (3..4000).step_by(7) {
            indexer.delete_listing(id);
        }
        indexer.commit(1).unwrap();
        let searcher = index.reader.searcher();
        let segments = searcher.segment_readers();
        assert!(segments.len() > 1, "several segments");
        assert!(
            segments.iter().any(|s| s.alive_bitset().is_some()),
            "deletes"
        );
        // Stale from the middle day a listing was checked on, so some are left out.
        let mut days: Vec<u64> = segments
            .iter()
            .flat_map(|s| {
                let col = dense(s, "checked", 0).unwrap();
                (0..s.max_doc()).map(move |d| col.get_val(d))
            })
            .collect();
        days.sort_unstable();
        let middle = days[days.len() / 2];
        assert!(
            days[0] < middle,
            "some listings are stale from the middle day"
        );

        let orders = Arc::new(IdOrders::default());
        let gather =
            |keep: usize, count_up_to: usize, fresh_from: u64, by_id: bool, everything: bool| {
                Gather {
                    // Without the freshness rule, types are not counted either: the quickest
                    // pass, the Open Referral API's.
                    types: if fresh_from == 0 {
                        0
                    } else {
                        taxonomy.types.len()
                    },
                    fresh_from,
                    keep,
                    ranking: Ranking {
                        around: None,
                        sort: Sort::Relevance,
                        has_text: false,
                    },
                    count_up_to,
                    prune: None,
                    by_id: by_id.then(|| ById {
                        orders: orders.clone(),
                        everything,
                    }),
                }
            };
        let tuesdays = TermQuery::new(
            filter_term(&index.fields, "day", "tue"),
            IndexRecordOption::Basic,
        );
        let queries: [(&str, &dyn Query); 2] = [("all", &AllQuery), ("tuesdays", &tuesdays)];
        for (name, query) in queries {
            for keep in [1, 20, 700, 3000, 5000] {
                for count_up_to in [usize::MAX, 100] {
                    for fresh_from in [0, middle] {
                        let weighed = searcher
                            .search(query, &gather(keep, count_up_to, fresh_from, false, false))
                            .unwrap();
                        let taken = searcher
                            .search(
                                query,
                                &gather(keep, count_up_to, fresh_from, true, name == "all"),
                            )
                            .unwrap();
                        let case =
                            format!("{name}, keep {keep}, up to {count_up_to}, fresh {fresh_from}");
                        let ids = |g: &Gathered| {
                            g.best.iter().map(|r| (r.id, r.addr)).collect::<Vec<_>>()
                        };
                        assert!(!weighed.best.is_empty(), "{case}");
                        assert_eq!(ids(&taken), ids(&weighed), "{case}");
                        assert_eq!(
                            (taken.total, taken.more, &taken.per_type),
                            (weighed.total, weighed.more, &weighed.per_type),
                            "{case}"
                        );
                        let mut sorted = ids(&taken);
                        sorted.sort();
                        assert_eq!(sorted, ids(&taken), "{case}: lowest id first");
                    }
                }
            }
        }
        // Segments merged away are forgotten.
        orders.keep_only(&[]);
        assert_eq!(format!("{orders:?}"), "IdOrders(0 segments)");
    }

    /// Counting stops past the threshold and says so, per type too, while the kept
    /// results are exactly those of counting everything: every match is still ranked.
    #[test]
    fn stops_counting_past_the_threshold_but_ranks_every_match() {
        let taxonomy = Taxonomy::embedded();
        let index = synthetic_index(3000);
        let searcher = index.reader.searcher();
        assert!(searcher.segment_readers().len() > 1, "several segments");
        let around = Around::new((51.5, -0.12));
        let gather = |count_up_to: usize, sort: Sort| Gather {
            types: taxonomy.types.len(),
            fresh_from: 0,
            keep: 20,
            ranking: Ranking {
                around: Some(around),
                sort,
                has_text: false,
            },
            count_up_to,
            prune: None,
            by_id: None,
        };
        for sort in [Sort::Distance, Sort::Relevance] {
            let exact = searcher
                .search(&AllQuery, &gather(usize::MAX, sort))
                .unwrap();
            assert_eq!((exact.total, exact.more), (3000, false));
            let ids = |g: &Gathered| g.best.iter().map(|r| r.id).collect::<Vec<_>>();

            let capped = searcher.search(&AllQuery, &gather(500, sort)).unwrap();
            assert_eq!((capped.total, capped.more), (500, true), "{sort:?}");
            assert!(capped.per_type.iter().all(|&c| c <= 500));
            for (part, all) in capped.per_type.iter().zip(&exact.per_type) {
                assert!(part <= all, "a partial count is a lower bound");
            }
            assert_eq!(ids(&capped), ids(&exact), "{sort:?}: the same best results");

            // At the threshold exactly, the count is still exact.
            let at = searcher.search(&AllQuery, &gather(3000, sort)).unwrap();
            assert_eq!((at.total, at.more), (3000, false));
            assert_eq!(at.per_type, exact.per_type);
            assert_eq!(ids(&at), ids(&exact));
            let below = searcher.search(&AllQuery, &gather(2999, sort)).unwrap();
            assert_eq!((below.total, below.more), (2999, true));
            assert_eq!(ids(&below), ids(&exact));
        }
        // Counts only (the per-type pass): capped the same way.
        let counts = searcher
            .search(
                &AllQuery,
                &Gather {
                    keep: 0,
                    ..gather(100, Sort::Relevance)
                },
            )
            .unwrap();
        assert_eq!((counts.total, counts.more), (100, true));
        assert!(counts.best.is_empty());
    }

    /// Every way of ranking, checked against sorting every listing by hand: the kept
    /// results, their order (ties to the lower id) and the counts.
    #[test]
    fn keeps_exactly_the_best_in_order() {
        let taxonomy = Taxonomy::embedded();
        let districts = crate::synth::district_list();
        let (index, mut indexer) = empty_index();
        let listings: Vec<_> = (1..=3000u64)
            .map(|n| {
                let mut l = crate::synth::listing(3, n, taxonomy, &districts);
                l.id = n as i64;
                l
            })
            .collect();
        // Nearest last, so a naive keeper would replace its worst on every listing.
        let around = Around::new((53.4, -2.3));
        let mut added = listings.clone();
        added.sort_by(|a, b| {
            let d = |l: &crate::listing::Listing| {
                l.venue
                    .as_ref()
                    .and_then(|v| Some(around.approx_miles((v.lat?, v.lon?))))
                    .unwrap_or(1e6)
            };
            d(b).total_cmp(&d(a))
        });
        indexer.add_documents(added, taxonomy).unwrap();
        indexer.commit(1).unwrap();
        let searcher = index.reader.searcher();
        for (sort, keep) in [
            (Sort::Distance, 25),
            (Sort::Relevance, 40),
            (Sort::Distance, 1),
        ] {
            let ranking = Ranking {
                around: Some(around),
                sort,
                has_text: false,
            };
            let got = searcher
                .search(
                    &AllQuery,
                    &Gather {
                        types: taxonomy.types.len(),
                        fresh_from: 0,
                        keep,
                        ranking,
                        count_up_to: usize::MAX,
                        prune: None,
                        by_id: None,
                    },
                )
                .unwrap();
            assert_eq!(got.total, listings.len());
            assert!(!got.more);
            assert_eq!(got.per_type.iter().sum::<u64>(), 3000, "one type each");
            let mut want: Vec<(f32, u64)> = listings
                .iter()
                .map(|l| {
                    let pos = l
                        .venue
                        .as_ref()
                        .and_then(|v| Some(pack_position(v.lat?, v.lon?)))
                        .filter(|_| l.modes.contains(&crate::listing::Mode::InPerson))
                        .unwrap_or(NO_POSITION);
                    // Positions are stored to about a metre.
                    let pos =
                        unpack_position(pos).map_or(NO_POSITION, |(a, o)| pack_position(a, o));
                    (ranking.key(0.0, pos), l.id as u64)
                })
                .collect();
            want.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let got: Vec<(f32, u64)> = got.best.iter().map(|r| (r.key, r.id)).collect();
            assert_eq!(got, want[..keep], "{sort:?} keep {keep}");
        }
    }
}
