//! Running a search: filters, location, ranking, counts and result cards in one pass.
//!
//! Location works in two parts. Listings with a venue are found with two fast-field
//! range queries over the circle's bounding box, then an exact haversine check.
//! Listings delivered by phone, online or by home visit have no point, so they are
//! matched by what they cover instead ("anywhere", or the postcode district or area of
//! the place searched from) and come back labelled, never silently dropped.
//!
//! Ranking is BM25 on the text, multiplied by a gentle distance decay when a place is
//! given (half way between 1 and 0.5 at 3 miles), or pure distance when sorting by
//! distance. Ties are broken by listing id so that the same store always gives the
//! same order, whichever way the index was built. Freshness, counting and ranking
//! happen in one pass over the matches (`collect`).
//!
//! When ordered by relevance, the best 50 text matches are then reordered by a blend
//! of their text score and how close each listing is in meaning to the query
//! (`semantic`; the listing's vector is stored in fast fields at index time). Meaning
//! only reorders: what matches, and so every total and count, is the words' business.
//! Where the matches run out on a page, listings with some of the words that are also
//! close in meaning fill the rest of it, apart (`SearchResults::also`), so a search
//! with one or two matches does not stop at them.

use std::ops::Bound;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, SegmentReader, TantivyDocument, Term};

use super::SearchError;
use super::by_id::{ById, IdOrders};
use super::collect::{Around, Gather, Gathered, Ranking, positions};
use super::index::SearchIndex;
use super::prune::Prune;
use super::request::{SearchRequest, Sort};
use super::schema::{
    Card, Fields, GRID_LEVELS, GRID_LON_FACTOR, MAX_CELLS, cell_index, filter_term, unpack_position,
};
use super::text::{self, Lexicon, Matching};
use super::{semantic, spell};
use crate::geo::distance::{bounding_box, miles_between};
use crate::geo::locate::Located;
use crate::listing::{Mode, Taxonomy};

/// Matches counted exactly before a search says "more than" instead: nobody reads
/// "141,786 results", and counting every match of a broad search was its slowest part.
pub const COUNT_UP_TO: usize = 10_000;

/// Given today, the first day a listing must have been checked on to stay in default
/// results, or `None` to keep every listing.
pub type StaleFrom = Arc<dyn Fn(NaiveDate) -> Option<NaiveDate> + Send + Sync>;

/// The search API used by the web layer, the CLI and the benchmarks.
pub struct Engine {
    pub index: SearchIndex,
    pub taxonomy: &'static Taxonomy,
    lexicon: Lexicon,
    /// The freshness rule: the first day a listing must have been checked on to stay
    /// in default results, given today (`None`: never left out). The rule is owned by
    /// `groups::freshness`; `App::open` and `serve` hand it in with `set_stale_from`.
    stale_from: std::sync::RwLock<StaleFrom>,
    /// Counts per type over the whole directory, with the index generation and the
    /// freshness cutoff they were counted for.
    everywhere: std::sync::Mutex<Option<(u64, u64, Vec<TypeCount>)>>,
    /// See [`COUNT_UP_TO`]; tests lower it with [`Engine::set_count_up_to`].
    count_up_to: std::sync::atomic::AtomicUsize,
    /// Whether a search passes over matches that cannot rank (see `prune`); on
    /// unless a benchmark or test compares it with scoring every match.
    pruning: std::sync::atomic::AtomicBool,
    /// Each segment's documents in listing-id order, for browsing without words or
    /// a place (see `by_id`).
    by_id: Arc<IdOrders>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("index", &self.index)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TypeCount {
    #[serde(rename = "type")]
    pub slug: String,
    pub label: String,
    pub count: u64,
    /// Counted only in part (the search has more than [`COUNT_UP_TO`] results): there
    /// are at least `count`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// How a hit relates to the place searched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// No place given.
    None,
    /// Has a venue within the radius.
    Distance,
    Online,
    Phone,
    HomeVisit,
    /// Covers the searched area in some other way.
    Area,
}

#[derive(Debug, Clone, Serialize)]
pub struct NextSession {
    pub start: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDateTime>,
    /// "Tuesday 1 December, 10am to 11:30am".
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub organisation: String,
    pub types: Vec<String>,
    pub access: Vec<String>,
    pub mode: Vec<Mode>,
    pub free: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_miles: Option<f64>,
    pub reach: Reach,
    /// Plain words for `reach`: "1.2 miles away", "Online", "By phone", "Covers your area".
    pub reach_label: String,
    pub next_session: Option<NextSession>,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// Every result, or the threshold when there are more (`more_than_total`).
    pub total: usize,
    /// There are more than `total` results: counting stopped at [`COUNT_UP_TO`].
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more_than_total: bool,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
    pub sort: Sort,
    /// Counts per activity type for everything else asked (so a person can see what
    /// choosing another type would give).
    pub type_counts: Vec<TypeCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Located>,
    pub hits: Vec<Hit>,
    /// The listing ids of the page's matches, in order: the same as the hits', and
    /// filled when the hits are left out (`SearchRequest::ids_only`).
    #[serde(skip)]
    pub ids: Vec<i64>,
    /// No listing had most of the words, so these have some of them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub some_words: bool,
    /// On the page where the matches run out: listings with some of the words but
    /// not most of them that are close in meaning to the search, best first, at most
    /// enough to fill the page. They are shown apart, after the matches, and are not
    /// counted in `total`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Hit>,
    /// The words with each one the index has never seen replaced by the indexed word
    /// it most likely misspells (`spell`), when there was one: "Did you mean".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
}

impl Engine {
    pub fn new(index: SearchIndex, taxonomy: &'static Taxonomy) -> Engine {
        let (folded, stemmed) = text::analyzers(&index.index);
        let lexicon = Lexicon::new(taxonomy, folded, stemmed);
        Engine {
            index,
            taxonomy,
            lexicon,
            stale_from: std::sync::RwLock::new(Arc::new(|_| None)),
            everywhere: std::sync::Mutex::new(None),
            count_up_to: std::sync::atomic::AtomicUsize::new(COUNT_UP_TO),
            pruning: std::sync::atomic::AtomicBool::new(true),
            by_id: Arc::default(),
        }
    }

    /// What a search for `q` asks of a listing (see [`text::plan`]), for asking
    /// another engine the same.
    pub fn text_plan(&self, q: &str) -> Option<text::TextPlan> {
        text::plan(q, &self.lexicon, Matching::Most)
    }

    /// Sets how many matches a search counts exactly before it says "more than".
    pub fn set_count_up_to(&self, n: usize) {
        self.count_up_to
            .store(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Turns passing over matches that cannot rank on or off (on by default), to
    /// compare it with scoring every match.
    pub fn set_pruning(&self, on: bool) {
        self.pruning.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Published, fresh listings per activity type across the whole directory, for
    /// the home and categories pages. Counting every listing costs milliseconds at a
    /// million, and the answer only changes when the index does (or the freshness
    /// cutoff moves to the next day), so it is counted once per index generation.
    pub fn type_counts_everywhere(
        &self,
        now: NaiveDateTime,
    ) -> Result<Vec<TypeCount>, SearchError> {
        let searcher = self.index.reader.searcher();
        let generation = searcher.generation().generation_id();
        let fresh_from = self.fresh_from(now);
        let mut cached = self.everywhere.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, f, counts)) = cached.as_ref()
            && *g == generation
            && *f == fresh_from
        {
            return Ok(counts.clone());
        }
        let gathered = searcher.search(
            &AllQuery,
            &Gather {
                types: self.taxonomy.types.len(),
                fresh_from,
                keep: 0,
                ranking: Ranking {
                    around: None,
                    sort: Sort::Relevance,
                    has_text: false,
                },
                count_up_to: usize::MAX,
                prune: None,
                by_id: None,
            },
        )?;
        let counts = self.type_counts(gathered.per_type, false);
        *cached = Some((generation, fresh_from, counts.clone()));
        Ok(counts)
    }

    /// Counts by type position as labelled counts, leaving out types with none.
    fn type_counts(&self, per_type: Vec<u64>, partial: bool) -> Vec<TypeCount> {
        self.taxonomy
            .types
            .iter()
            .zip(per_type)
            .filter(|(_, count)| *count > 0)
            .map(|(t, count)| TypeCount {
                slug: t.slug.clone(),
                label: t.label.clone(),
                count,
                partial,
            })
            .collect()
    }

    /// Runs `req`. `location` is `req.near` already located; `now` is UK local time,
    /// for next-session dates.
    pub fn search(
        &self,
        req: &SearchRequest,
        location: Option<&Located>,
        now: NaiveDateTime,
    ) -> Result<SearchResults, SearchError> {
        let per_page = req.page_size();
        let offset = (req.page.saturating_sub(1)) * per_page;
        let mut results = self.search_range(req, location, now, offset, per_page)?;
        let shown = results.ids.len();
        let room = per_page.saturating_sub(shown);
        let last_page = shown > 0 && offset + shown >= results.total;
        let ran_out = last_page && !results.more_than_total && !results.some_words;
        if room > 0 && ran_out && !req.matches_only {
            let meant = results.did_you_mean.as_deref().unwrap_or(&req.q);
            results.also = self.some_words_only(req, meant, location, now, room)?;
        }
        Ok(results)
    }

    /// The best `room` listings that have some of the words of `req.q` but not most
    /// of them (so are not among its matches) and are close to it in meaning: a
    /// search whose matches end on this page goes on with what is nearest to it,
    /// apart, instead of stopping at one or two ("quit smoking" finds "Stop Smoking
    /// Support", then "Swap to Stop"). A shared word alone is not enough ("quit" in a
    /// bowls club's "never quit"), and listings that share no word are not added: a
    /// search never returns what has nothing of what was typed. `meant` is the
    /// words with their spelling corrected, for the meaning.
    fn some_words_only(
        &self,
        req: &SearchRequest,
        meant: &str,
        location: Option<&Located>,
        now: NaiveDateTime,
        room: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let q = req.q.as_str();
        if !text::can_loosen(q, &self.lexicon) {
            return Ok(Vec::new());
        }
        let f = &self.index.fields;
        let searcher = self.index.reader.searcher();
        let (Some(any), Some(most)) = (
            text::build(q, f, &self.lexicon, &searcher, Matching::Any),
            text::build(q, f, &self.lexicon, &searcher, Matching::Most),
        ) else {
            return Ok(Vec::new());
        };
        let only_some: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Must, any),
            (Occur::MustNot, most),
        ]));
        let query = combine(Some(only_some), self.filters(req, location, true));
        // Ranked, not counted: the page shows no count of them.
        let gather = Gather {
            count_up_to: 0,
            ..self.gather(req, location, now, room, true)
        };
        let mut best = searcher.search(&query, &gather)?.best;
        let Some(meaning) = Meaning::of(&searcher, meant)? else {
            return Ok(Vec::new());
        };
        best.retain(|r| meaning.cosine(r.addr) >= semantic::CLOSE_IN_MEANING);
        if gather.ranking.sort == Sort::Relevance {
            meaning.rerank(&mut best);
        }
        best.iter()
            .take(room)
            .map(|r| self.hit(&searcher, r.addr, req, location, now))
            .collect()
    }

    /// What a search collects: the best `keep` (at least the meaning rerank's
    /// candidates, when it will run), ranked for `req`, and counts.
    fn gather(
        &self,
        req: &SearchRequest,
        location: Option<&Located>,
        now: NaiveDateTime,
        keep: usize,
        has_text: bool,
    ) -> Gather {
        let sort = if location.is_some() {
            req.effective_sort()
        } else {
            Sort::Relevance
        };
        let by_meaning = has_text && sort == Sort::Relevance;
        Gather {
            types: if req.without_type_counts {
                0
            } else {
                self.taxonomy.types.len()
            },
            fresh_from: if req.include_stale {
                0
            } else {
                self.fresh_from(now)
            },
            keep: if by_meaning {
                keep.max(semantic::CANDIDATES)
            } else {
                keep
            },
            ranking: Ranking {
                around: location.map(|l| Around::new((l.lat, l.lon))),
                sort,
                has_text,
            },
            count_up_to: if req.exact_counts {
                usize::MAX
            } else {
                self.count_up_to.load(std::sync::atomic::Ordering::Relaxed)
            },
            prune: None,
            by_id: None,
        }
    }

    /// Searches `req`'s words (with `matching`) and filters, keeping the best
    /// `keep`; returns the collector used (ranking by text when there are words) and
    /// what it gathered. Once counting stops, matches that cannot rank are passed
    /// over (`prune`).
    fn gather_text(
        &self,
        searcher: &tantivy::Searcher,
        req: &SearchRequest,
        location: Option<&Located>,
        now: NaiveDateTime,
        keep: usize,
        matching: Matching,
    ) -> Result<(Gather, Gathered), SearchError> {
        let f = &self.index.fields;
        let shaped = text::build_shaped(&req.q, f, &self.lexicon, searcher, matching);
        let filters = self.filters(req, location, true);
        let mut gather = self.gather(req, location, now, keep, shaped.is_some());
        let (text_query, shape) = match shaped {
            Some((q, shape)) => (Some(q), Some(shape)),
            None => (None, None),
        };
        let rank_phase = gather.keep > 0
            && gather.count_up_to != usize::MAX
            && self.pruning.load(std::sync::atomic::Ordering::Relaxed);
        // The distance decay only lowers a text score; nearest first ignores it.
        let key_within_score = gather.ranking.has_text && gather.ranking.sort == Sort::Relevance;
        if let (true, true, Some(shape)) = (rank_phase, key_within_score, shape) {
            let copies = filters.iter().map(|q| q.box_clone()).collect();
            gather.prune = Some(Arc::new(Prune::new(shape, searcher, copies)));
        }
        if gather.keep > 0 && gather.ranking.is_flat() {
            let live: Vec<_> = searcher
                .segment_readers()
                .iter()
                .map(|r| r.segment_id())
                .collect();
            self.by_id.keep_only(&live);
            gather.by_id = Some(ById {
                orders: self.by_id.clone(),
                everything: text_query.is_none() && filters.is_empty(),
            });
        }
        let gathered = searcher.search(&combine(text_query, filters), &gather)?;
        Ok((gather, gathered))
    }

    /// Like [`Engine::search`], but the `count` hits from `offset` on instead of one
    /// page's worth: for downloads of a whole search. `page` in the results is still
    /// the request's.
    pub fn search_range(
        &self,
        req: &SearchRequest,
        location: Option<&Located>,
        now: NaiveDateTime,
        offset: usize,
        count: usize,
    ) -> Result<SearchResults, SearchError> {
        let f = &self.index.fields;
        let searcher = self.index.reader.searcher();
        let mut matching = Matching::Most;
        // Unknown words are read as the indexed word they most likely misspell for
        // the meaning (see `spell`); the words keep their own typo tolerance, which
        // also finds other spellings.
        let corrected = spell::correct(&req.q, &searcher, f.words);
        let meant = corrected.as_deref().unwrap_or(&req.q);
        let q = req.q.as_str();
        let (mut gather, mut gathered) =
            self.gather_text(&searcher, req, location, now, offset + count, matching)?;
        let has_text = gather.ranking.has_text;
        if gathered.total == 0 && text::can_loosen(q, &self.lexicon) {
            // Nothing has most of the words: a page of listings with some of them
            // beats an empty one.
            matching = Matching::Any;
            (gather, gathered) =
                self.gather_text(&searcher, req, location, now, offset + count, matching)?;
        }
        let sort = gather.ranking.sort;
        let by_meaning = has_text && sort == Sort::Relevance;
        let Gathered {
            total,
            more,
            mut per_type,
            mut best,
            ..
        } = gathered;
        let mut partial = more;
        if by_meaning && let Some(meaning) = Meaning::of(&searcher, meant)? {
            meaning.rerank(&mut best);
        }
        if !req.types.is_empty() && !req.without_type_counts {
            // Counts per type ignore the type filter itself, so a person can see what
            // choosing another type would give.
            let text_again = text::build(q, f, &self.lexicon, &searcher, matching);
            let without_types = combine(text_again, self.filters(req, location, false));
            let counted = searcher.search(
                &without_types,
                &Gather {
                    keep: 0,
                    prune: None,
                    ..gather
                },
            )?;
            per_type = counted.per_type;
            partial = counted.more;
        }
        let type_counts = self.type_counts(per_type, partial);

        let page = best.get(offset..).unwrap_or_default();
        let page = &page[..count.min(page.len())];
        let ids = page.iter().map(|r| r.id as i64).collect();
        let mut hits = Vec::with_capacity(page.len());
        if !req.ids_only {
            for r in page {
                hits.push(self.hit(&searcher, r.addr, req, location, now)?);
            }
        }
        let per_page = req.page_size();
        Ok(SearchResults {
            total,
            more_than_total: more,
            page: req.page,
            per_page,
            pages: total.div_ceil(per_page),
            sort,
            type_counts,
            location: location.cloned(),
            hits,
            ids,
            some_words: matching == Matching::Any,
            also: Vec::new(),
            did_you_mean: corrected,
        })
    }

    fn hit(
        &self,
        searcher: &tantivy::Searcher,
        addr: DocAddress,
        req: &SearchRequest,
        location: Option<&Located>,
        now: NaiveDateTime,
    ) -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let bytes = doc
            .get_first(self.index.fields.card)
            .and_then(|v| v.as_bytes())
            .ok_or(SearchError::MissingCard)?;
        let card: Card = serde_json::from_slice(bytes).map_err(|_| SearchError::MissingCard)?;
        let distance = match (location, card.point) {
            (Some(loc), Some(p)) => Some(miles_between((loc.lat, loc.lon), p)),
            _ => None,
        };
        let (reach, reach_label) = reach_of(&card, location, distance, req.within);
        let next_session = card.schedule.next(now).map(|o| NextSession {
            start: o.start,
            end: o.end,
            text: o.describe(),
        });
        Ok(Hit {
            id: card.id,
            url: format!("/listings/{}", card.id),
            title: card.title,
            summary: card.summary,
            organisation: card.organisation,
            types: card.types,
            access: card.access,
            mode: card.modes,
            free: card.free,
            price: card.price,
            venue: card.venue_name,
            postcode: card.postcode,
            distance_miles: distance.map(|d| (d * 10.0).round() / 10.0),
            reach,
            reach_label,
            next_session,
        })
    }

    /// The first day (days from the common era) a listing must have been checked on
    /// to stay in default results: the stale cutoff, counted to the day, or 0 when
    /// stale listings are never left out. Time passing needs no re-indexing, and a
    /// listing leaves results on the day it goes stale.
    fn fresh_from(&self, now: NaiveDateTime) -> u64 {
        let rule = self
            .stale_from
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        rule(now.date()).map_or(0, |cutoff| cutoff.num_days_from_ce().max(1) as u64)
    }

    /// Whether two adjacent words are in a listing's name or its organisation's name
    /// (stemmed as the index stems them): "free spirits" of "Free Spirits Choir". One
    /// term lookup in the word-pair field each. See `understand`.
    pub fn in_a_name(&self, first: &str, second: &str) -> bool {
        let (Some(a), Some(b)) = (self.lexicon.stem(first), self.lexicon.stem(second)) else {
            return false;
        };
        let searcher = self.index.reader.searcher();
        use super::schema::{PairField, pair_term};
        [PairField::Title, PairField::Organisation]
            .into_iter()
            .any(|field| {
                let term = pair_term(&self.index.fields, field, &a, &b);
                searcher.doc_freq(&term).is_ok_and(|n| n > 0)
            })
    }

    /// Sets the freshness rule (see the `stale_from` field).
    pub fn set_stale_from(&self, rule: StaleFrom) {
        *self.stale_from.write().unwrap_or_else(|p| p.into_inner()) = rule;
    }

    /// Every filter in `req` as one non-scoring query.
    fn filters(
        &self,
        req: &SearchRequest,
        location: Option<&Located>,
        with_types: bool,
    ) -> Vec<Box<dyn Query>> {
        let f = &self.index.fields;
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        let any_of = |terms: Vec<Term>| -> Box<dyn Query> {
            if terms.len() == 1 {
                term_query(terms.into_iter().next().expect("one term"))
            } else {
                Box::new(BooleanQuery::new(
                    terms
                        .into_iter()
                        .map(|t| (Occur::Should, term_query(t)))
                        .collect(),
                ))
            }
        };
        if with_types && !req.types.is_empty() {
            must.push(any_of(
                req.types
                    .iter()
                    .map(|t| filter_term(f, "type", t))
                    .collect(),
            ));
        }
        for a in &req.access {
            must.push(term_query(filter_term(f, "access", a)));
        }
        if req.free {
            must.push(term_query(filter_term(f, "free", "yes")));
        }
        if !req.days.is_empty() {
            must.push(any_of(
                req.days
                    .iter()
                    .map(|d| filter_term(f, "day", d.slug()))
                    .collect(),
            ));
        }
        if !req.times.is_empty() {
            must.push(any_of(
                req.times
                    .iter()
                    .map(|t| filter_term(f, "time", t.slug()))
                    .collect(),
            ));
        }
        if !req.modes.is_empty() {
            must.push(any_of(
                req.modes
                    .iter()
                    .map(|m| filter_term(f, "mode", m.slug()))
                    .collect(),
            ));
        }
        if let Some(age) = req.age {
            let age = age as u64;
            must.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(f.age_min, 0)),
                Bound::Included(Term::from_field_u64(f.age_min, age)),
            )));
            must.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(f.age_max, age)),
                Bound::Included(Term::from_field_u64(f.age_max, u8::MAX as u64)),
            )));
        }
        if let Some(loc) = location {
            must.push(location_query(f, loc, req.within, &req.modes));
        }
        must
    }
}

fn term_query(t: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(t, IndexRecordOption::Basic))
}

/// Text (scoring) and filters (not scoring) as one query.
fn combine(text: Option<Box<dyn Query>>, filters: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    match text {
        Some(t) => clauses.push((Occur::Must, t)),
        None => clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(AllQuery), 1.0)),
        )),
    }
    for q in filters {
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
    }
    if clauses.len() == 1 {
        return clauses.pop().expect("one clause").1;
    }
    Box::new(BooleanQuery::new(clauses))
}

/// A query's meaning against a searcher's documents: the query's vector (see
/// `semantic`) and the listings' vectors, read from the fast fields written at index
/// time, one column per stored word. Made once per search and used for every
/// candidate.
struct Meaning {
    query: Vec<f32>,
    columns: Vec<Vec<Arc<dyn tantivy::columnar::ColumnValues<u64>>>>,
}

impl Meaning {
    /// `None` when the text has no vector (nothing the table knows).
    fn of(searcher: &tantivy::Searcher, text: &str) -> Result<Option<Meaning>, SearchError> {
        let Some(query) = semantic::embeddings().embed(text) else {
            return Ok(None);
        };
        let mut columns = Vec::new();
        for seg in searcher.segment_readers() {
            let mut cols = Vec::with_capacity(semantic::STORED_WORDS);
            for i in 0..semantic::STORED_WORDS {
                cols.push(super::collect::dense(
                    seg,
                    &super::schema::vector_field(i),
                    0,
                )?);
            }
            columns.push(cols);
        }
        Ok(Some(Meaning { query, columns }))
    }

    /// How close the listing at `addr` is in meaning to the query.
    fn cosine(&self, addr: DocAddress) -> f32 {
        let cols = &self.columns[addr.segment_ord as usize];
        let packed: [u64; semantic::STORED_WORDS] =
            std::array::from_fn(|i| cols[i].get_val(addr.doc_id));
        semantic::cosine_packed(&self.query, &packed)
    }

    /// Reorders the best `semantic::CANDIDATES` lexical results by a blend of their
    /// lexical score and how close the listing is in meaning. Results past the
    /// candidates keep their order, so every page agrees with the others, and what
    /// matches (and so every total) is the words' business alone.
    fn rerank(&self, best: &mut [super::collect::Ranked]) {
        let n = best.len().min(semantic::CANDIDATES);
        let top = best[..n].iter().map(|r| r.key).fold(0f32, f32::max);
        let mut keyed: Vec<(f32, super::collect::Ranked)> = best[..n]
            .iter()
            .map(|r| (semantic::blend(r.key, top, self.cosine(r.addr)), *r))
            .collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        for (slot, (_, r)) in best.iter_mut().zip(keyed) {
            *slot = r;
        }
    }
}

/// Venues within the circle, or remote services that reach the place.
fn location_query(f: &Fields, loc: &Located, within: f64, modes: &[Mode]) -> Box<dyn Query> {
    let center = (loc.lat, loc.lon);
    let around = Around::new(center);
    let circle = FunctionPredicate::from(move |seg: &SegmentReader| {
        let coords = positions(seg)?;
        Ok(move |doc: DocId| {
            unpack_position(coords.get_val(doc)).is_some_and(|p| around.is_within(p, within))
        })
    });
    let (inner, edge) = covering_cells(f, center, within);
    // Cells wholly inside the circle need no distance check; only edge cells do.
    let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(inner) = inner {
        parts.push((Occur::Should, inner));
    }
    if let Some(edge) = edge {
        parts.push((
            Occur::Should,
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, edge),
                (Occur::Must, Box::new(DocPredicateQuery::from(circle))),
            ])),
        ));
    }
    let point: Box<dyn Query> = Box::new(BooleanQuery::new(parts));
    if modes == [Mode::InPerson] {
        return point;
    }
    let mut should: Vec<(Occur, Box<dyn Query>)> = vec![
        (Occur::Should, point),
        (
            Occur::Should,
            term_query(filter_term(f, "reach", "anywhere")),
        ),
    ];
    for code in [loc.district.as_deref(), loc.area.as_deref()]
        .into_iter()
        .flatten()
    {
        should.push((Occur::Should, term_query(filter_term(f, "area", code))));
    }
    Box::new(BooleanQuery::new(should))
}

/// The grid cells covering the circle, at the finest level that needs at most
/// `MAX_CELLS` of them, split into cells wholly inside the circle and cells on its
/// edge. Cells wholly outside are left out.
type CellQueries = (Option<Box<dyn Query>>, Option<Box<dyn Query>>);

fn covering_cells(f: &Fields, center: (f64, f64), within: f64) -> CellQueries {
    let ((min_lat, min_lon), (max_lat, max_lon)) = bounding_box(center, within);
    let level = (0..GRID_LEVELS.len())
        .rev()
        .find(|&level| {
            let (i0, j0) = cell_index(level, min_lat, min_lon);
            let (i1, j1) = cell_index(level, max_lat, max_lon);
            (i1 - i0 + 1) * (j1 - j0 + 1) <= MAX_CELLS
        })
        .unwrap_or(0);
    let h = GRID_LEVELS[level];
    let w = h * GRID_LON_FACTOR;
    let (i0, j0) = cell_index(level, min_lat, min_lon);
    let (i1, j1) = cell_index(level, max_lat, max_lon);
    let (mut inner, mut edge) = (Vec::new(), Vec::new());
    for i in i0..=i1 {
        for j in j0..=j1 {
            let (lat0, lon0) = (i as f64 * h, j as f64 * w);
            let corners = [
                (lat0, lon0),
                (lat0 + h, lon0),
                (lat0, lon0 + w),
                (lat0 + h, lon0 + w),
            ];
            let farthest = corners
                .iter()
                .map(|&c| miles_between(center, c))
                .fold(0.0, f64::max);
            // Nearest point of the cell to the centre.
            let nearest = (
                center.0.clamp(lat0, lat0 + h),
                center.1.clamp(lon0, lon0 + w),
            );
            let term = term_query(filter_term(f, "cell", &format!("{level}:{i}:{j}")));
            if farthest <= within {
                inner.push((Occur::Should, term));
            } else if miles_between(center, nearest) <= within {
                edge.push((Occur::Should, term));
            }
        }
    }
    let union = |v: Vec<(Occur, Box<dyn Query>)>| -> Option<Box<dyn Query>> {
        (!v.is_empty()).then(|| Box::new(BooleanQuery::new(v)) as Box<dyn Query>)
    };
    (union(inner), union(edge))
}

fn reach_of(
    card: &Card,
    location: Option<&Located>,
    distance: Option<f64>,
    within: f64,
) -> (Reach, String) {
    if let Some(d) = distance
        && d <= within + 1e-9
    {
        let miles = (d * 10.0).round() / 10.0;
        let text = if miles < 0.1 {
            "Less than 0.1 miles away".to_string()
        } else if miles == 1.0 {
            "1 mile away".to_string()
        } else {
            format!("{miles} miles away")
        };
        return (Reach::Distance, text);
    }
    let covers = location.is_some_and(|l| {
        card.area_postcodes.iter().any(|p| {
            Some(p.as_str()) == l.district.as_deref() || Some(p.as_str()) == l.area.as_deref()
        })
    });
    if card.modes.contains(&Mode::Online) {
        return (Reach::Online, "Online".into());
    }
    if card.modes.contains(&Mode::Phone) {
        return (Reach::Phone, "By phone".into());
    }
    if location.is_some() && (covers || card.modes.contains(&Mode::HomeVisit)) {
        // Name the area when the listing does: "Covers Trafford" says more than
        // "your area", and tells the person why it is in the results.
        let named = (!card.area.is_empty()).then_some(card.area.as_str());
        if card.modes.contains(&Mode::HomeVisit) {
            return (
                Reach::HomeVisit,
                format!("Home visits in {}", named.unwrap_or("your area")),
            );
        }
        return (
            Reach::Area,
            format!("Covers {}", named.unwrap_or("your area")),
        );
    }
    if card.modes.contains(&Mode::HomeVisit) {
        return (Reach::HomeVisit, "Home visits".into());
    }
    // Placed only by area, or nowhere: say so rather than leave a blank.
    if card.modes.is_empty() && card.point.is_none() {
        if card.area.is_empty() {
            return (Reach::None, "Area not stated".into());
        }
        return (Reach::Area, format!("Covers {}", card.area));
    }
    (Reach::None, String::new())
}
