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
//! same order, whichever way the index was built.

use std::ops::Bound;
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Score, SegmentReader, TantivyDocument, Term};

use super::SearchError;
use super::index::SearchIndex;
use super::request::{PER_PAGE, SearchRequest, Sort};
use super::schema::{Card, Fields, filter_term, type_facet};
use super::text::{self, Lexicon};
use crate::geo::distance::{bounding_box, miles_between};
use crate::geo::locate::Located;
use crate::listing::{Mode, Taxonomy};

/// The search API used by the web layer, the CLI and the benchmarks.
pub struct Engine {
    pub index: SearchIndex,
    pub taxonomy: &'static Taxonomy,
    lexicon: Lexicon,
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
    pub total: usize,
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
}

/// The composite sort key: higher is better; ties go to the lower id.
type Key = (Score, i64);

impl Engine {
    pub fn new(index: SearchIndex, taxonomy: &'static Taxonomy) -> Engine {
        let (folded, stemmed) = text::analyzers(&index.index);
        let lexicon = Lexicon::new(taxonomy, folded, stemmed);
        Engine {
            index,
            taxonomy,
            lexicon,
        }
    }

    /// Runs `req`. `location` is `req.near` already located; `now` is UK local time,
    /// for next-session dates.
    pub fn search(
        &self,
        req: &SearchRequest,
        location: Option<&Located>,
        now: NaiveDateTime,
    ) -> Result<SearchResults, SearchError> {
        let f = &self.index.fields;
        let text_query = text::build(&req.q, f, &self.lexicon);
        let has_text = text_query.is_some();
        let filters = self.filters(req, location, true);
        let query = combine(text_query, filters);

        let sort = if location.is_some() {
            req.effective_sort()
        } else {
            Sort::Relevance
        };
        let offset = (req.page.saturating_sub(1)) * PER_PAGE;
        let mut facets = FacetCollector::for_field("types");
        facets.add_facet("/t");
        let top = TopDocs::with_limit(PER_PAGE)
            .and_offset(offset)
            .tweak_score(ranker(location.cloned(), sort, has_text));

        let searcher = self.index.reader.searcher();
        let (top_docs, total, facet_counts) = if req.types.is_empty() {
            searcher.search(&query, &(top, Count, facets))?
        } else {
            let (top_docs, total) = searcher.search(&query, &(top, Count))?;
            // Counts per type ignore the type filter itself.
            let text_again = text::build(&req.q, f, &self.lexicon);
            let without_types = combine(text_again, self.filters(req, location, false));
            let facet_counts = searcher.search(&without_types, &facets)?;
            (top_docs, total, facet_counts)
        };

        let mut type_counts: Vec<TypeCount> = facet_counts
            .get("/t")
            .filter_map(|(facet, count)| {
                let slug = facet.to_path().last()?.to_string();
                let label = self.taxonomy.activity_type(&slug)?.label.clone();
                Some(TypeCount { slug, label, count })
            })
            .collect();
        type_counts.sort_by_key(|t| self.taxonomy.type_position(&t.slug));

        let mut hits = Vec::with_capacity(top_docs.len());
        for (_, addr) in top_docs {
            hits.push(self.hit(&searcher, addr, req, location, now)?);
        }
        Ok(SearchResults {
            total,
            page: req.page,
            per_page: PER_PAGE,
            pages: total.div_ceil(PER_PAGE),
            sort,
            type_counts,
            location: location.cloned(),
            hits,
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
                    .map(|t| Term::from_facet(f.types, &type_facet(t)))
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

/// Venues within the circle, or remote services that reach the place.
fn location_query(f: &Fields, loc: &Located, within: f64, modes: &[Mode]) -> Box<dyn Query> {
    let ((min_lat, min_lon), (max_lat, max_lon)) = bounding_box((loc.lat, loc.lon), within);
    let range = |field, lo: f64, hi: f64| -> Box<dyn Query> {
        Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_f64(field, lo)),
            Bound::Included(Term::from_field_f64(field, hi)),
        ))
    };
    let center = (loc.lat, loc.lon);
    let circle = FunctionPredicate::from(move |seg: &SegmentReader| {
        let coords = positions(seg)?;
        Ok(move |doc: DocId| {
            coords
                .as_ref()
                .and_then(|c| c.get(doc))
                .is_some_and(|p| miles_between(center, p) <= within)
        })
    });
    let point: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
        (Occur::Must, range(f.lat, min_lat, max_lat)),
        (Occur::Must, range(f.lon, min_lon, max_lon)),
        (Occur::Must, Box::new(DocPredicateQuery::from(circle))),
    ]));
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

/// The lat/lon columns of a segment; `None` when no document in it has a position.
struct Positions {
    lat: Column<f64>,
    lon: Column<f64>,
}

impl Positions {
    fn get(&self, doc: DocId) -> Option<(f64, f64)> {
        Some((self.lat.first(doc)?, self.lon.first(doc)?))
    }
}

fn positions(seg: &SegmentReader) -> tantivy::Result<Option<Positions>> {
    let ff = seg.fast_fields();
    Ok(ff
        .column_opt::<f64>("lat")?
        .zip(ff.column_opt::<f64>("lon")?)
        .map(|(lat, lon)| Positions { lat, lon }))
}

/// Builds the per-segment scoring function used by `TopDocs::tweak_score`.
fn ranker(
    location: Option<Located>,
    sort: Sort,
    has_text: bool,
) -> impl Fn(&SegmentReader) -> Box<dyn Fn(DocId, Score) -> Key> + Send + Sync + 'static {
    let location = Arc::new(location);
    move |seg: &SegmentReader| {
        let ids = seg
            .fast_fields()
            .u64("id")
            .expect("id is a fast field")
            .first_or_default_col(0);
        let Some(center) = location.as_ref().as_ref().map(|l| (l.lat, l.lon)) else {
            return Box::new(move |doc: DocId, score: Score| (score, -(ids.get_val(doc) as i64)));
        };
        // A segment may have no venues at all (every listing in it remote).
        let coords = positions(seg).ok().flatten();
        Box::new(move |doc: DocId, score: Score| -> Key {
            let id = ids.get_val(doc) as i64;
            let d = coords
                .as_ref()
                .and_then(|c| c.get(doc))
                .map(|p| miles_between(center, p));
            match sort {
                Sort::Distance => (-(d.unwrap_or(1.0e6) as f32), -id),
                Sort::Relevance => {
                    let decay = match d {
                        Some(d) => 0.5 + 0.5 * (-(d / 3.0) * std::f64::consts::LN_2).exp(),
                        None => 0.75,
                    } as f32;
                    let base = if has_text { score } else { 1.0 };
                    (base * decay, -id)
                }
            }
        })
    }
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
        if card.modes.contains(&Mode::HomeVisit) {
            return (Reach::HomeVisit, "Home visits in your area".into());
        }
        return (Reach::Area, "Covers your area".into());
    }
    if card.modes.contains(&Mode::HomeVisit) {
        return (Reach::HomeVisit, "Home visits".into());
    }
    (Reach::None, String::new())
}
