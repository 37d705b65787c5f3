//! Spelling correction from the index's own vocabulary.
//!
//! A word the index has never seen ("demensia", "pillates") is most likely a typo of
//! a word it has. It is replaced by the most common indexed word one edit away (two
//! for words of ten letters or more; a swap of two neighbouring letters is one
//! edit) that starts with the same two letters. Why so strict: a correction that
//! over-reaches changes the meaning ("hoarding" is not "boarding"), and people rarely
//! get the first letters of a word wrong. Known words are never touched, so a
//! directory that has hoarding support finds it, and neither are the whole words of
//! the embedding model's vocabulary (about 20,000 common English words: "drinking"
//! is not a typo of "driving" just because no listing says "drinking"). Only words
//! of five letters or more are corrected: short words have too many neighbours.
//!
//! The candidates are the indexed words sharing the two-letter prefix, read from the
//! term dictionary as one range; only unknown words pay for it.

use std::collections::HashMap;

use tantivy::Term;
use tantivy::schema::Field;

/// Shortest word that is corrected.
const MIN_LEN: usize = 5;
/// Words this long or longer may be two edits from their correction. At eight,
/// "hoarding" became "holding" on a council directory that has no hoarding service
/// (two edits); the misspellings people type are mostly one edit ("demensia",
/// "pillates", "gardning", "menapause").
const TWO_EDITS_FROM: usize = 10;

/// `text` with each unknown word replaced by its correction, or `None` when nothing
/// was corrected.
pub fn correct(text: &str, searcher: &tantivy::Searcher, field: Field) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, changed: &mut bool| {
        if word.is_empty() {
            return;
        }
        match correction(&word.to_lowercase(), searcher, field) {
            Some(c) => {
                out.push_str(&c);
                *changed = true;
            }
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut changed);
            out.push(c);
        }
    }
    flush(&mut word, &mut out, &mut changed);
    changed.then_some(out)
}

/// The correction of one lower-case word, if it is unknown and has one.
fn correction(word: &str, searcher: &tantivy::Searcher, field: Field) -> Option<String> {
    let len = word.len();
    if len < MIN_LEN || known(word, searcher, field) || super::semantic::embeddings().is_word(word)
    {
        return None;
    }
    // "mens" for "men's": the index holds "men"; that is not a typo.
    if word
        .strip_suffix('s')
        .is_some_and(|w| known(w, searcher, field))
    {
        return None;
    }
    let max = if len >= TWO_EDITS_FROM { 2 } else { 1 };
    let prefix = &word.as_bytes()[..2];
    let mut upper = prefix.to_vec();
    upper[1] += 1;
    let mut freq: HashMap<Vec<u8>, u64> = HashMap::new();
    for seg in searcher.segment_readers() {
        let Ok(inverted) = seg.inverted_index(field) else {
            continue;
        };
        let Ok(mut terms) = inverted.terms().range().ge(prefix).lt(&upper).into_stream() else {
            continue;
        };
        while terms.advance() {
            let key = terms.key();
            if key.len().abs_diff(len) <= max {
                *freq.entry(key.to_vec()).or_default() += u64::from(terms.value().doc_freq);
            }
        }
    }
    freq.into_iter()
        .filter_map(|(k, n)| {
            let candidate = String::from_utf8(k).ok()?;
            let d = edits(word.as_bytes(), candidate.as_bytes(), max)?;
            Some((d, std::cmp::Reverse(n), candidate))
        })
        .min()
        .map(|(_, _, c)| c)
}

fn known(word: &str, searcher: &tantivy::Searcher, field: Field) -> bool {
    searcher
        .doc_freq(&Term::from_field_text(field, word))
        .map_or(true, |n| n > 0)
}

/// Edit distance (insert, delete, substitute, swap two neighbours) when it is at
/// most `max`.
fn edits(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        let mut best = usize::MAX;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
            best = best.min(v);
        }
        if best > max {
            return None;
        }
    }
    (d[n][m] <= max).then_some(d[n][m])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::Taxonomy;
    use crate::search::index::{DEFAULT_WRITER_HEAP, SearchIndex};

    /// An index of a few listings with these titles and nothing else to say.
    fn index_of(titles: &[&str]) -> SearchIndex {
        let taxonomy = Taxonomy::embedded();
        let districts = crate::synth::district_list();
        let index = SearchIndex::in_memory().unwrap();
        let mut indexer = index.indexer(DEFAULT_WRITER_HEAP).unwrap();
        let listings: Vec<_> = titles
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut l = crate::synth::listing(1, i as u64 + 1, taxonomy, &districts);
                l.id = i as i64 + 1;
                l.title = t.to_string();
                l.summary = String::new();
                l.description = String::new();
                l
            })
            .collect();
        indexer.add_documents(listings, taxonomy).unwrap();
        indexer.commit(1).unwrap();
        index
    }

    #[test]
    fn unknown_words_become_the_indexed_word_they_misspell() {
        let index = index_of(&["Dementia Cafe", "Pilates Class", "Boarding Kennels"]);
        let searcher = index.reader.searcher();
        let words = index.fields.words;
        assert_eq!(
            correct("my dad has Demensia", &searcher, words).as_deref(),
            Some("my dad has dementia")
        );
        assert_eq!(
            correct("pillates!", &searcher, words).as_deref(),
            Some("pilates!")
        );
        // Known words, real English words and other first letters are left alone.
        assert_eq!(correct("dementia cafe", &searcher, words), None);
        assert_eq!(correct("hoarding", &searcher, words), None);
        assert_eq!(correct("drinking", &searcher, words), None);
        assert_eq!(correct("pi", &searcher, words), None);
    }

    #[test]
    fn edits_count_swaps_as_one() {
        assert_eq!(edits(b"demensia", b"dementia", 2), Some(1));
        assert_eq!(edits(b"pillates", b"pilates", 2), Some(1));
        assert_eq!(edits(b"wlaking", b"walking", 1), Some(1));
        assert_eq!(edits(b"abcdef", b"uvwxyz", 2), None);
        assert_eq!(edits(b"same", b"same", 0), Some(0));
    }
}
