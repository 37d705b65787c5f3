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

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, ColumnValues};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

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
    pub total: usize,
    pub per_type: Vec<u64>,
    pub best: Vec<Ranked>,
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
            total: 0,
            per_type: vec![0; self.types],
            best: std::collections::BinaryHeap::with_capacity(self.keep + 1),
            worst: f32::NEG_INFINITY,
            docs: Vec::with_capacity(BATCH),
            scores: Vec::with_capacity(BATCH),
            masks: [0; BATCH],
            days: [0; BATCH],
        })
    }

    fn requires_scoring(&self) -> bool {
        self.keep > 0 && self.ranking.has_text
    }

    fn merge_fruits(&self, fruits: Vec<Gathered>) -> tantivy::Result<Gathered> {
        let mut all = Gathered {
            per_type: vec![0; self.types],
            ..Default::default()
        };
        for f in fruits {
            all.total += f.total;
            for (acc, v) in all.per_type.iter_mut().zip(f.per_type) {
                *acc += v;
            }
            all.best.extend(f.best);
        }
        all.best.sort_by(Ranked::order);
        all.best.truncate(self.keep);
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
    total: usize,
    per_type: Vec<u64>,
    /// The best so far, at most `keep`, the worst of them on top.
    best: std::collections::BinaryHeap<Worse>,
    /// The key of the worst kept result once `best` is full (else -inf).
    worst: f32,
    /// Matches waiting to be looked at, a batch at a time: reading a column for a
    /// batch of documents is one call that the compiler unrolls, where reading it per
    /// match is a call through a trait object each time.
    docs: Vec<DocId>,
    scores: Vec<Score>,
    masks: [u64; BATCH],
    days: [u64; BATCH],
}

/// Matches looked at together.
const BATCH: usize = 64;

impl SegmentGather {
    fn offer(&mut self, doc: DocId, score: Score) {
        if self.ranking.bound(score) < self.worst {
            return;
        }
        let key = self.ranking.key(score, self.pos.get_val(doc));
        if key < self.worst {
            return;
        }
        let candidate = Worse(Ranked {
            key,
            id: self.ids.get_val(doc),
            addr: DocAddress::new(self.segment, doc),
        });
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
        if self.best.len() == self.keep {
            self.worst = self.best.peek().map_or(f32::NEG_INFINITY, |w| w.0.key);
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
    /// Looks at the waiting matches: freshness, counts, then ranking.
    fn flush(&mut self) {
        let n = self.docs.len();
        if n == 0 {
            return;
        }
        self.types.get_vals(&self.docs, &mut self.masks[..n]);
        let fresh_from = self.fresh_from;
        if fresh_from > 0 {
            self.checked.get_vals(&self.docs, &mut self.days[..n]);
        }
        for i in 0..n {
            if fresh_from > 0 {
                let checked = self.days[i];
                if checked != 0 && checked < fresh_from {
                    continue;
                }
            }
            self.total += 1;
            let mut mask = self.masks[i];
            while mask != 0 {
                let bit = mask.trailing_zeros() as usize;
                if let Some(c) = self.per_type.get_mut(bit) {
                    *c += 1;
                }
                mask &= mask - 1;
            }
            if self.keep > 0 {
                self.offer(self.docs[i], self.scores[i]);
            }
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
        for &doc in docs {
            self.collect(doc, 0.0);
        }
    }

    fn harvest(mut self) -> Gathered {
        self.flush();
        Gathered {
            total: self.total,
            per_type: self.per_type,
            best: self.best.into_iter().map(|w| w.0).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::Taxonomy;
    use crate::search::SearchIndex;
    use crate::search::schema::{pack_position, unpack_position};
    use tantivy::query::AllQuery;

    /// Every way of ranking, checked against sorting every listing by hand: the kept
    /// results, their order (ties to the lower id) and the counts.
    #[test]
    fn keeps_exactly_the_best_in_order() {
        let taxonomy = Taxonomy::embedded();
        let districts = crate::synth::district_list();
        let index = SearchIndex::in_memory().unwrap();
        let mut indexer = index
            .indexer(crate::search::index::DEFAULT_WRITER_HEAP)
            .unwrap();
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
                    },
                )
                .unwrap();
            assert_eq!(got.total, listings.len());
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
