//! Meaning as well as words: a static word-piece embedding table and the vector maths
//! that use it to rerank the best lexical candidates.
//!
//! Why a static table: a sentence model knows that "somewhere to sing" is about a
//! choir, but running one per query (and per listing at index time) needs a model
//! runtime and a lot of CPU at 1M listings. `tools/distill_embeddings.py` runs
//! all-MiniLM-L6-v2 (Apache-2.0) once on every token of its WordPiece vocabulary and
//! keeps one 128-dimension signed-byte vector per token (Model2Vec-style). Here a text
//! is tokenised exactly as BERT's uncased tokenizer does (lower case, accents off,
//! split at spaces and punctuation, greedy longest-match word pieces) and its vector is
//! the weighted mean of its tokens' vectors. The table is compiled in, so a fresh
//! machine needs no Python and no download.
//!
//! Frequent tokens say little about meaning, so each token is weighted by the log of
//! its rank in the vocabulary (BERT's word pieces after the first 1996 entries are in
//! order of frequency) — the Zipf weighting Model2Vec uses, taken from the model, not
//! from any query.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &[u8] = include_bytes!("../../content/embeddings/minilm-l6-static.i8");
const VOCAB: &str = include_str!("../../content/embeddings/vocab.txt");
/// Row of the first ordinary word piece ("the"): rows before it are special tokens,
/// unused slots and single characters.
const FIRST_WORD: usize = 1996;
const MAX_WORD_CHARS: usize = 100;

/// The embedding table: one quantised vector per vocabulary token.
pub struct Embeddings {
    ids: HashMap<&'static str, u32>,
    dims: usize,
    scale: f32,
    rows: &'static [i8],
}

impl std::fmt::Debug for Embeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embeddings")
            .field("tokens", &self.ids.len())
            .field("dims", &self.dims)
            .finish()
    }
}

/// The table compiled into the binary, parsed once.
pub fn embeddings() -> &'static Embeddings {
    static E: OnceLock<Embeddings> = OnceLock::new();
    E.get_or_init(|| Embeddings::parse(TABLE, VOCAB).expect("the shipped embedding table is valid"))
}

impl Embeddings {
    /// Parses a table written by `tools/distill_embeddings.py` and its vocabulary.
    pub fn parse(table: &'static [u8], vocab: &'static str) -> Result<Embeddings, String> {
        if table.len() < 20 || &table[..8] != b"SPEMB1\0\0" {
            return Err("not a Signpost embedding table".into());
        }
        let u32_at = |i: usize| u32::from_le_bytes(table[i..i + 4].try_into().unwrap());
        let rows = u32_at(8) as usize;
        let dims = u32_at(12) as usize;
        let scale = f32::from_le_bytes(table[16..20].try_into().unwrap());
        let body = &table[20..];
        if body.len() != rows * dims {
            return Err(format!(
                "table body is {} bytes, expected {}",
                body.len(),
                rows * dims
            ));
        }
        let ids: HashMap<&str, u32> = vocab
            .lines()
            .enumerate()
            .map(|(i, t)| (t, i as u32))
            .collect();
        if vocab.lines().count() != rows {
            return Err("vocabulary and table have different lengths".into());
        }
        // SAFETY-free reinterpretation: i8 and u8 have the same size and alignment.
        let rows_i8: &'static [i8] = bytemuck_i8(body);
        Ok(Embeddings {
            ids,
            dims,
            scale,
            rows: rows_i8,
        })
    }

    /// Whether `word` (lower case) is a whole word of the model's vocabulary: a real
    /// word, so not a typo.
    pub fn is_word(&self, word: &str) -> bool {
        !word.starts_with("##")
            && self
                .ids
                .get(word)
                .is_some_and(|&id| id as usize >= FIRST_WORD)
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// BERT uncased tokenisation of `text` into vocabulary rows; words with no word
    /// pieces in the vocabulary are left out.
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for word in basic_words(text) {
            self.word_pieces(&word, &mut out);
        }
        out
    }

    /// Greedy longest-match-first WordPiece, as BERT does: the whole word is lost
    /// (nothing pushed) when some part of it matches no piece.
    fn word_pieces(&self, word: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            return;
        }
        let start_len = out.len();
        let mut start = 0;
        let mut piece = String::new();
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.extend(&chars[start..end]);
                if let Some(&id) = self.ids.get(piece.as_str()) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => out.push(id),
                None => {
                    out.truncate(start_len);
                    return;
                }
            }
            start = end;
        }
    }

    /// The unit-length weighted mean of the tokens' vectors, or `None` when no token
    /// of `text` is known.
    pub fn embed(&self, text: &str) -> Option<Vec<f32>> {
        let mut v = vec![0f32; self.dims];
        let mut any = false;
        for id in self.tokenize(text) {
            let w = token_weight(id as usize);
            let row = &self.rows[id as usize * self.dims..(id as usize + 1) * self.dims];
            for (x, &q) in v.iter_mut().zip(row) {
                *x += w * f32::from(q) * self.scale;
            }
            any = true;
        }
        (any && normalize(&mut v)).then_some(v)
    }
}

impl Embeddings {
    /// A listing's vector: its title and its types and summary count equally, so a
    /// long summary does not drown what the listing is called.
    pub fn embed_listing(&self, title: &str, types: &[String], summary: &str) -> Option<Vec<f32>> {
        let body = format!("{} {summary}", types.join(" "));
        let mut v = vec![0f32; self.dims];
        let mut any = false;
        for part in [self.embed(title), self.embed(&body)].into_iter().flatten() {
            v.iter_mut().zip(&part).for_each(|(x, p)| *x += p);
            any = true;
        }
        (any && normalize(&mut v)).then_some(v)
    }
}

/// Words of a stored vector: 128 signed bytes in 16 u64 fast fields.
pub const STORED_WORDS: usize = 16;
/// Scale of a stored vector's bytes (components of a unit vector rarely pass 0.6).
const STORE_SCALE: f32 = 200.0;

/// A unit vector as the fast-field words it is stored in (zero for no vector).
pub fn pack(v: Option<&[f32]>) -> [u64; STORED_WORDS] {
    let mut out = [0u64; STORED_WORDS];
    if let Some(v) = v {
        for (i, x) in v.iter().take(STORED_WORDS * 8).enumerate() {
            let b = (x * STORE_SCALE).round().clamp(-127.0, 127.0) as i8 as u8;
            out[i / 8] |= u64::from(b) << ((i % 8) * 8);
        }
    }
    out
}

/// The cosine of a unit query vector and a stored vector (0 when none was stored).
pub fn cosine_packed(query: &[f32], words: &[u64; STORED_WORDS]) -> f32 {
    let (mut dot, mut norm) = (0f32, 0f32);
    for (i, q) in query.iter().take(STORED_WORDS * 8).enumerate() {
        let x = f32::from((words[i / 8] >> ((i % 8) * 8)) as u8 as i8);
        dot += q * x;
        norm += x * x;
    }
    if norm == 0.0 { 0.0 } else { dot / norm.sqrt() }
}

fn bytemuck_i8(b: &'static [u8]) -> &'static [i8] {
    // u8 -> i8 is a plain reinterpretation of each byte.
    unsafe { std::slice::from_raw_parts(b.as_ptr().cast::<i8>(), b.len()) }
}

/// Zipf weight of a vocabulary row: rarer word pieces count for more.
fn token_weight(row: usize) -> f32 {
    if row < FIRST_WORD {
        1.0
    } else {
        ((row - FIRST_WORD + 2) as f32).ln()
    }
}

/// BERT's basic tokenizer for an uncased model: lower case, accents removed, split at
/// whitespace, with each punctuation character a word of its own.
pub fn basic_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in text.to_lowercase().chars().map(fold_accent) {
        if c.is_control() || ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        if c.is_whitespace() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        } else if c.is_ascii_punctuation() || (!c.is_alphanumeric() && !c.is_whitespace()) {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            words.push(c.to_string());
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// The unaccented letter for the accented Latin letters of western European names
/// (BERT strips accents after Unicode decomposition; these are the ones listings use).
fn fold_accent(c: char) -> char {
    match c {
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        _ => c,
    }
}

/// Scales `v` to unit length; false for a zero vector.
pub fn normalize(v: &mut [f32]) -> bool {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n == 0.0 || !n.is_finite() {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= n);
    true
}

/// Dot product; the cosine of two unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// How many of the best lexical results are reranked by meaning on a large index.
/// More made no difference on the development set (50, 100 and 1,000 scored the
/// same); each costs 16 fast-field reads.
pub const CANDIDATES: usize = 50;

/// How close in meaning (cosine) a listing with only some of the words must be to
/// join a search whose matches run out. On the development directory the services
/// people were looking for sat at 0.32 to 0.45 ("quit smoking": "Swap to Stop
/// Incentive" 0.45, "Healthy Lifestyles" 0.42) and listings that merely shared a
/// word at 0.14 to 0.29; the joining rows in BENCHMARKS.md measured 0.3 and 0.5.
pub const CLOSE_IN_MEANING: f32 = 0.3;

/// How much of the final score is meaning rather than words. Measured on the
/// development set: 0.4 gives NDCG@10 0.652, 0.5 0.675, 0.6 0.682; at 0.6 meaning
/// overrides the thesaurus's phrase matches ("forgetful": "Memory Café" before a
/// listing that only has "memory" in its name), so 0.5.
pub const BLEND: f32 = 0.5;

/// Blends a lexical score (scaled by the best lexical score among the candidates)
/// with the cosine similarity of query and listing.
pub fn blend(lexical: f32, best_lexical: f32, cosine: f32) -> f32 {
    let lex = if best_lexical > 0.0 {
        lexical / best_lexical
    } else {
        0.0
    };
    (1.0 - BLEND) * lex + BLEND * cosine
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_words_split_punctuation_and_fold_case_and_accents() {
        assert_eq!(
            basic_words("Men's  Café-Club!"),
            ["men", "'", "s", "cafe", "-", "club", "!"]
        );
    }

    #[test]
    fn word_pieces_use_greedy_longest_match() {
        let e = embeddings();
        let id = |t: &str| e.ids[t];
        assert_eq!(e.tokenize("choir"), [id("choir")]);
        // "pillates" is not a word: longest prefix first, then continuation pieces.
        let pieces = e.tokenize("pillates");
        assert!(pieces.len() > 1);
        assert_eq!(pieces[0], id("pill"));
        assert!(
            pieces[1..]
                .iter()
                .all(|&p| VOCAB.lines().nth(p as usize).unwrap().starts_with("##"))
        );
    }

    #[test]
    fn unknown_text_has_no_vector() {
        assert!(embeddings().embed("   ").is_none());
        assert!(embeddings().embed("\u{1F600}").is_none());
    }

    #[test]
    fn vectors_are_unit_length_and_related_words_are_closer() {
        let e = embeddings();
        let sing = e.embed("somewhere to sing").unwrap();
        assert!((dot(&sing, &sing) - 1.0).abs() < 1e-4);
        let choir = e.embed("community choir").unwrap();
        let debt = e.embed("debt advice").unwrap();
        assert!(dot(&sing, &choir) > dot(&sing, &debt));
    }

    #[test]
    fn normalize_and_blend() {
        let mut v = [3.0, 4.0];
        assert!(normalize(&mut v));
        assert_eq!(v, [0.6, 0.8]);
        assert!(!normalize(&mut [0.0, 0.0]));
        assert!((blend(5.0, 10.0, 1.0) - ((1.0 - BLEND) * 0.5 + BLEND)).abs() < 1e-6);
        assert!((blend(10.0, 10.0, 0.0) - (1.0 - BLEND)).abs() < 1e-6);
        assert!((blend(0.0, 10.0, 1.0) - BLEND).abs() < 1e-6);
        assert_eq!(blend(5.0, 0.0, 0.0), 0.0);
    }

    #[test]
    fn stored_vectors_keep_their_cosines() {
        let e = embeddings();
        let sing = e.embed("somewhere to sing").unwrap();
        let choir = e.embed("community choir").unwrap();
        let exact = dot(&sing, &choir);
        let stored = cosine_packed(&sing, &pack(Some(&choir)));
        assert!((exact - stored).abs() < 0.01, "{exact} against {stored}");
        assert!((cosine_packed(&sing, &pack(Some(&sing))) - 1.0).abs() < 0.01);
        assert_eq!(cosine_packed(&sing, &pack(None)), 0.0);
    }

    #[test]
    fn whole_words_of_the_vocabulary_are_words() {
        let e = embeddings();
        assert!(e.is_word("drinking") && e.is_word("dementia"));
        assert!(!e.is_word("demensia") && !e.is_word("##ing") && !e.is_word("[CLS]"));
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(Embeddings::parse(b"nope", "").is_err());
        assert!(
            Embeddings::parse(b"SPEMB1\0\0\x01\0\0\0\x02\0\0\0\0\0\x80\x3f\x01", "a\n").is_err()
        );
    }
}
