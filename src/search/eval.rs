//! Measuring relevance against a judged set of queries.
//!
//! A judged set (like `../shared/data/quality/nlincs-queries.json`) lists queries people
//! type, each with the services judged relevant by reading the whole directory: grade 2
//! is what the person is looking for, grade 1 is relevant but not its main purpose. The
//! two figures that matter are **grade-2 hit@3** (does an ideal answer appear in the
//! first three, what a link worker reads in ten seconds) and **NDCG@10** (gain
//! 2^grade − 1, how good the whole first page is). Results are matched to judgements by
//! the source's own id, so the same set scores any import of the same directory.
//!
//! The search itself is passed in, so this module measures any ranking: the engine,
//! a variant being tried, or another system's output.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::{Engine, SearchError, SearchRequest};
use crate::store::Store;

/// A judged query.
#[derive(Debug, Clone, Deserialize)]
pub struct Judged {
    pub q: String,
    /// need, synonym, typo or direct.
    #[serde(default)]
    pub kind: String,
    /// Source id → grade (1 or 2).
    pub relevant: HashMap<String, u8>,
}

/// A judged set: its queries (other fields describe the set and are not needed).
#[derive(Debug, Clone, Deserialize)]
pub struct JudgedSet {
    pub queries: Vec<Judged>,
}

impl JudgedSet {
    pub fn parse(text: &str) -> Result<JudgedSet, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// One result as the measure sees it: the source's id and the title shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub source_id: String,
    pub title: String,
}

/// How one query did.
#[derive(Debug, Clone)]
pub struct QueryScore {
    pub q: String,
    pub kind: String,
    /// A grade-2 service is in the first three.
    pub hit3: bool,
    pub ndcg10: f64,
    /// How many results the search returned in all.
    pub total: usize,
    /// The first ten: title and grade (0 for unjudged).
    pub top: Vec<(String, u8)>,
}

/// The whole set's scores.
#[derive(Debug, Clone)]
pub struct Scores {
    pub queries: Vec<QueryScore>,
}

impl Scores {
    pub fn hit3(&self) -> usize {
        self.queries.iter().filter(|q| q.hit3).count()
    }

    pub fn ndcg10(&self) -> f64 {
        if self.queries.is_empty() {
            return 0.0;
        }
        self.queries.iter().map(|q| q.ndcg10).sum::<f64>() / self.queries.len() as f64
    }

    /// Queries that found nothing at all.
    pub fn empty(&self) -> usize {
        self.queries.iter().filter(|q| q.total == 0).count()
    }
}

impl std::fmt::Display for Scores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "grade-2 hit@3 {}/{}, NDCG@10 {:.3}, {} with no results",
            self.hit3(),
            self.queries.len(),
            self.ndcg10(),
            self.empty()
        )?;
        let mut kinds: BTreeMap<&str, Vec<&QueryScore>> = BTreeMap::new();
        for q in &self.queries {
            kinds.entry(q.kind.as_str()).or_default().push(q);
        }
        for (kind, qs) in &kinds {
            let hits = qs.iter().filter(|q| q.hit3).count();
            let ndcg = qs.iter().map(|q| q.ndcg10).sum::<f64>() / qs.len() as f64;
            writeln!(
                f,
                "  {kind:<8} hit@3 {hits}/{}, NDCG@10 {ndcg:.3}",
                qs.len()
            )?;
        }
        if f.alternate() {
            // `{:#}`: every query, with its first ten and their grades.
            for q in &self.queries {
                write!(
                    f,
                    "\"{}\" ({}, hit@3 {}, NDCG@10 {:.3}, {} results)",
                    q.q,
                    q.kind,
                    if q.hit3 { "yes" } else { "no" },
                    q.ndcg10,
                    q.total
                )?;
                for (title, grade) in &q.top {
                    write!(f, "\n    [{grade}] {title}")?;
                }
                writeln!(f)?;
            }
            return Ok(());
        }
        for q in self.queries.iter().filter(|q| !q.hit3) {
            write!(
                f,
                "miss: \"{}\" ({}, NDCG@10 {:.3}, {} results)",
                q.q, q.kind, q.ndcg10, q.total
            )?;
            for (title, grade) in q.top.iter().take(3) {
                write!(f, "\n    [{grade}] {title}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// NDCG@k of the grades in ranked order, against the best order of every judged
/// grade (gain 2^grade − 1, log2 discount).
pub fn ndcg(ranked: &[u8], judged: impl IntoIterator<Item = u8>, k: usize) -> f64 {
    let dcg = |grades: &[u8]| -> f64 {
        grades
            .iter()
            .take(k)
            .enumerate()
            .map(|(i, g)| (2f64.powi(*g as i32) - 1.0) / ((i + 2) as f64).log2())
            .fold(0.0, |a, b| a + b)
    };
    let mut ideal: Vec<u8> = judged.into_iter().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let best = dcg(&ideal);
    if best == 0.0 { 0.0 } else { dcg(ranked) / best }
}

/// Scores every query of `set` with `search`, which returns the results in order and
/// how many there were in all.
pub fn evaluate(set: &JudgedSet, mut search: impl FnMut(&str) -> (Vec<Ranked>, usize)) -> Scores {
    let queries = set
        .queries
        .iter()
        .map(|j| {
            let (ranked, total) = search(&j.q);
            let grades: Vec<u8> = ranked
                .iter()
                .map(|r| j.relevant.get(&r.source_id).copied().unwrap_or(0))
                .collect();
            QueryScore {
                q: j.q.clone(),
                kind: j.kind.clone(),
                hit3: grades.iter().take(3).any(|g| *g >= 2),
                ndcg10: ndcg(&grades, j.relevant.values().copied(), 10),
                total,
                top: ranked
                    .iter()
                    .zip(&grades)
                    .take(10)
                    .map(|(r, g)| (r.title.clone(), *g))
                    .collect(),
            }
        })
        .collect();
    Scores { queries }
}

/// Scores the engine's own ranking: each query searched as a person would type it
/// (no filters, first page), results matched to judgements by their source id.
pub fn score(
    engine: &Engine,
    store: &Store,
    set: &JudgedSet,
    now: NaiveDateTime,
) -> Result<Scores, SearchError> {
    let mut failure = None;
    let scores = evaluate(set, |q| {
        let req = SearchRequest {
            q: q.to_string(),
            page: 1,
            ..Default::default()
        };
        match engine.search(&req, None, now) {
            Ok(r) => {
                // As the page shows them: the matches, then those with some of the words.
                let ranked = r
                    .hits
                    .iter()
                    .chain(&r.also)
                    .map(|h| Ranked {
                        source_id: store
                            .get(h.id)
                            .ok()
                            .flatten()
                            .map(|l| l.provenance.source_id)
                            .unwrap_or_default(),
                        title: h.title.clone(),
                    })
                    .collect();
                (ranked, r.total)
            }
            Err(e) => {
                failure.get_or_insert(e);
                (Vec::new(), 0)
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(scores),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_is_one_for_the_ideal_order_and_less_otherwise() {
        assert!((ndcg(&[2, 2, 1], [2, 2, 1], 10) - 1.0).abs() < 1e-9);
        let worse = ndcg(&[1, 2, 2], [2, 2, 1], 10);
        assert!(worse < 1.0 && worse > 0.5, "{worse}");
        assert_eq!(ndcg(&[0, 0], [2], 10), 0.0);
        assert_eq!(ndcg(&[], std::iter::empty(), 10), 0.0);
        // A relevant result past k counts for nothing.
        assert_eq!(ndcg(&[0, 0, 2], [2], 2), 0.0);
    }

    #[test]
    fn evaluate_matches_results_by_source_id() {
        let set = JudgedSet::parse(
            r#"{"queries": [
                {"q": "sing", "kind": "need", "relevant": {"a": 2, "b": 1}},
                {"q": "walk", "kind": "direct", "relevant": {"c": 2}}
            ]}"#,
        )
        .unwrap();
        let scores = evaluate(&set, |q| {
            let ids: &[&str] = if q == "sing" {
                &["x", "b", "a"]
            } else {
                &["x", "y", "z", "c"]
            };
            let ranked: Vec<Ranked> = ids
                .iter()
                .map(|id| Ranked {
                    source_id: id.to_string(),
                    title: id.to_uppercase(),
                })
                .collect();
            let n = ranked.len();
            (ranked, n)
        });
        assert_eq!(scores.hit3(), 1);
        assert!(scores.queries[1].ndcg10 > 0.0 && scores.queries[1].ndcg10 < 0.5);
        let text = scores.to_string();
        assert!(text.contains("grade-2 hit@3 1/2"), "{text}");
        assert!(
            text.contains("miss: \"walk\"") && text.contains("[0] X"),
            "{text}"
        );
    }
}
