//! The tantivy schema, and how a `Listing` becomes a search document.
//!
//! Text goes in twice: stemmed with ASCII folding (so "walks" finds "walking" and
//! "café" finds "cafe"), and unstemmed in `words` for typo tolerance (a typo in a
//! stemmed term is often several edits from the stem: "knittin" vs "knit").
//! Filters are exact keyword terms in one field (`f`) with a prefix per kind, e.g.
//! `access:hearing-loop`, `day:tue`, `area:M33`, which keeps the schema small and
//! every filter a cheap term lookup. What is read for every match (types, position,
//! last-checked day, id) is a dense u64 fast field, and the result card is stored as
//! JSON so a page of hits needs no trip to the store.

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{Index, TantivyDocument, Term};

use crate::listing::{Day, Listing, Mode, Schedule, Taxonomy};

/// Bump when the schema or what goes into a document changes: the index is then
/// rebuilt from the store on the next start.
pub const SCHEMA_VERSION: u32 = 8;

/// Geographic grid levels: cell height in degrees of latitude. Cells are 1.7 times as
/// wide in longitude, which makes them roughly square at British latitudes. A radius
/// search unions the few cells that cover its circle at the finest level that needs
/// no more than [`MAX_CELLS`] of them, then checks the exact distance: a handful of
/// posting lists instead of scanning every position in the index.
pub const GRID_LEVELS: [f64; 7] = [0.8, 0.4, 0.2, 0.1, 0.05, 0.025, 0.0125];
pub const GRID_LON_FACTOR: f64 = 1.7;
pub const MAX_CELLS: i64 = 64;

/// Stored in `pos` for listings without a venue.
pub const NO_POSITION: u64 = u64::MAX;

/// Packs a position into one u64 (latitude and longitude in units of 1e-5 degrees,
/// about a metre), so ranking and the radius check read one fast field, not two.
pub fn pack_position(lat: f64, lon: f64) -> u64 {
    let a = ((lat + 90.0) * 1e5).round() as u64;
    let o = ((lon + 180.0) * 1e5).round() as u64;
    (a << 32) | o
}

pub fn unpack_position(v: u64) -> Option<(f64, f64)> {
    (v != NO_POSITION).then(|| {
        (
            (v >> 32) as f64 / 1e5 - 90.0,
            (v & 0xFFFF_FFFF) as f64 / 1e5 - 180.0,
        )
    })
}

pub const STEMMED: &str = "en_folded_stem";
pub const FOLDED: &str = "en_folded";

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub org: Field,
    pub tags: Field,
    pub body: Field,
    pub words: Field,
    pub pairs: Field,
    pub type_mask: Field,
    pub filter: Field,
    pub pos: Field,
    pub age_min: Field,
    pub age_max: Field,
    pub checked: Field,
    pub card: Field,
    /// The listing's meaning vector (`semantic::pack`), computed here at index time.
    pub vec: [Field; super::semantic::STORED_WORDS],
}

pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEMMED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(FOLDED)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        title: b.add_text_field("title", stemmed.clone()),
        org: b.add_text_field("org", stemmed.clone()),
        tags: b.add_text_field("tags", stemmed.clone()),
        body: b.add_text_field("body", stemmed),
        words: b.add_text_field("words", words),
        pairs: b.add_text_field(
            "pairs",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        type_mask: b.add_u64_field("type_mask", FAST),
        filter: b.add_text_field("f", STRING),
        pos: b.add_u64_field("pos", FAST),
        age_min: b.add_u64_field("age_min", FAST),
        age_max: b.add_u64_field("age_max", FAST),
        checked: b.add_u64_field("checked", FAST),
        card: b.add_bytes_field("card", STORED),
        vec: std::array::from_fn(|i| b.add_u64_field(&vector_field(i), FAST)),
    };
    (b.build(), fields)
}

/// The name of the fast field holding word `i` of a listing's meaning vector.
pub fn vector_field(i: usize) -> String {
    format!("vec{i}")
}

/// Words folded to ASCII, lower-cased and stemmed: how text is matched.
pub fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

pub fn register_tokenizers(index: &Index) {
    let stem = stemmed_analyzer();
    let fold = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(STEMMED, stem);
    index.tokenizers().register(FOLDED, fold);
}

/// The grid cell containing a point at one level, as a filter value.
pub fn cell(level: usize, lat: f64, lon: f64) -> String {
    let (i, j) = cell_index(level, lat, lon);
    format!("{level}:{i}:{j}")
}

pub fn cell_index(level: usize, lat: f64, lon: f64) -> (i64, i64) {
    let h = GRID_LEVELS[level];
    (
        (lat / h).floor() as i64,
        (lon / (h * GRID_LON_FACTOR)).floor() as i64,
    )
}

pub fn filter_term(fields: &Fields, kind: &str, value: &str) -> Term {
    Term::from_field_text(fields.filter, &format!("{kind}:{value}"))
}

pub fn id_term(fields: &Fields, id: i64) -> Term {
    Term::from_field_u64(fields.id, id as u64)
}

/// What a result card needs, stored in the index beside the document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub organisation: String,
    pub types: Vec<String>,
    pub access: Vec<String>,
    pub modes: Vec<Mode>,
    pub free: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<(f64, f64)>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub area: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub area_postcodes: Vec<String>,
    pub schedule: Schedule,
}

/// Builds the search document for a published listing.
///
/// `today` (UK local date) decides which one-off dates still count for the day and
/// time-of-day filters.
pub fn to_document(
    f: &Fields,
    l: &Listing,
    taxonomy: &Taxonomy,
    today: chrono::NaiveDate,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_u64(f.id, l.id as u64);
    add_words(&mut doc, f, l, taxonomy);
    add_when_and_how(&mut doc, f, l, today);
    let point = add_reach(&mut doc, f, l);
    doc.add_u64(f.age_min, l.audience.age_min.unwrap_or(0) as u64);
    doc.add_u64(f.age_max, l.audience.age_max.unwrap_or(u8::MAX) as u64);
    // The day it was last checked (days from the common era, 0 if never), for
    // leaving stale listings out of results.
    let checked = l
        .provenance
        .verified_at
        .or(l.provenance.updated_at)
        .map_or(0, |c| c.date_naive().num_days_from_ce().max(1) as u64);
    doc.add_u64(f.checked, checked);
    let card = card_of(l, point);
    let table = super::semantic::embeddings();
    // The meaning vector, once per listing here rather than per query (see `semantic`).
    let vector = table.embed_listing(&card.title, &card.types, &card.summary);
    for (field, word) in f.vec.iter().zip(super::semantic::pack(vector.as_deref())) {
        doc.add_u64(*field, word);
    }
    doc.add_bytes(
        f.card,
        &serde_json::to_vec(&card).expect("a Card always serialises"),
    );
    doc
}

/// The searchable words: title, organisation, the labels of its types, accessibility
/// features and circumstances (with their filter terms), the body, and word pairs.
fn add_words(doc: &mut TantivyDocument, f: &Fields, l: &Listing, taxonomy: &Taxonomy) {
    doc.add_text(f.title, &l.title);
    doc.add_text(f.org, &l.organisation.name);

    let mut type_mask = 0u64;
    for t in &l.types {
        add_filter(doc, f, "type", t);
        let position = taxonomy.type_position(t);
        if position < 64 {
            type_mask |= 1 << position;
        }
    }
    doc.add_u64(f.type_mask, type_mask);
    for a in &l.access.features {
        add_filter(doc, f, "access", a);
    }
    for c in &l.audience.circumstances {
        add_filter(doc, f, "for", c);
    }
    let tags = labels(l, taxonomy);
    doc.add_text(f.tags, &tags);
    doc.add_text(f.body, format!("{}\n{}", l.summary, details(l)));
    add_pairs(doc, f, PairField::Title, &l.title);
    add_pairs(doc, f, PairField::Organisation, &l.organisation.name);
    for label in tags.split(". ") {
        add_pairs(doc, f, PairField::Tags, label);
    }
    doc.add_text(
        f.words,
        [
            l.title.as_str(),
            &l.organisation.name,
            &tags,
            &l.summary,
            &l.description,
        ]
        .join(" "),
    );
}

/// The labels of a listing's types, accessibility features and circumstances, each
/// followed by ". " (the `tags` field).
pub fn labels(l: &Listing, taxonomy: &Taxonomy) -> String {
    let mut tags = String::new();
    let types = l.types.iter().filter_map(|t| taxonomy.activity_type(t));
    let circumstances = l
        .audience
        .circumstances
        .iter()
        .filter_map(|c| taxonomy.circumstance(c));
    let all = types
        .map(|t| t.label.as_str())
        .chain(l.access.features.iter().map(|a| taxonomy.access_label(a)))
        .chain(circumstances.map(|c| c.label.as_str()));
    for label in all {
        tags.push_str(label);
        tags.push_str(". ");
    }
    tags
}

/// What the `body` field holds after the summary: the description, the venue's name
/// and address, and the notes on area, access, getting there and audience.
pub fn details(l: &Listing) -> String {
    let travel: Vec<&str> = l.access.travel.iter().map(|t| t.note.as_str()).collect();
    let travel = travel.join("\n");
    let (venue_name, venue_address) = l
        .venue
        .as_ref()
        .map(|v| (v.name.as_str(), v.address.as_str()))
        .unwrap_or(("", ""));
    [
        l.description.as_str(),
        venue_name,
        venue_address,
        l.area_served.description.as_str(),
        l.access.notes.as_str(),
        travel.as_str(),
        l.audience.notes.as_str(),
    ]
    .join("\n")
}

/// Filter terms for how it happens, the days and times of day it runs (one-off dates
/// before `today` no longer count), and whether it is free.
fn add_when_and_how(doc: &mut TantivyDocument, f: &Fields, l: &Listing, today: chrono::NaiveDate) {
    for m in &l.modes {
        add_filter(doc, f, "mode", m.slug());
    }
    for d in l.schedule.days(today) {
        add_filter(doc, f, "day", d.slug());
    }
    for t in l.schedule.times_of_day(today) {
        add_filter(doc, f, "time", t);
    }
    if l.cost.free {
        add_filter(doc, f, "free", "yes");
    }
}

/// Where it can be reached from: a point for venues, and for anything delivered
/// remotely or placed only by area either "anywhere" or the postcode districts and
/// areas it covers. A listing with neither ("Area not stated") is found only by text.
/// Returns the venue's point, if it has one.
fn add_reach(doc: &mut TantivyDocument, f: &Fields, l: &Listing) -> Option<(f64, f64)> {
    let reach = Reach::of(l);
    if let Some((lat, lon)) = reach.point {
        doc.add_u64(f.pos, pack_position(lat, lon));
        add_filter(doc, f, "reach", "point");
        for level in 0..GRID_LEVELS.len() {
            add_filter(doc, f, "cell", &cell(level, lat, lon));
        }
    } else {
        // Every document has a value, so the columns stay dense and fast to read.
        doc.add_u64(f.pos, NO_POSITION);
    }
    if reach.anywhere {
        add_filter(doc, f, "reach", "anywhere");
    }
    for pc in reach.areas {
        add_filter(doc, f, "area", pc);
    }
    reach.point
}

/// Where a listing is found from by a search around a place.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach<'a> {
    /// Its venue, if it meets in person there: found within a radius of it.
    pub point: Option<(f64, f64)>,
    /// Found by every location search.
    pub anywhere: bool,
    /// Found from these postcode districts and areas.
    pub areas: &'a [String],
}

impl Reach<'_> {
    pub fn of(l: &Listing) -> Reach<'_> {
        let point = venue_point(l);
        // A listing with no place of its own but an area (a council service placed
        // by its directory's area) is reached from that area too, whatever its modes.
        let remote = l.modes.iter().any(|m| *m != Mode::InPerson);
        let by_area = remote || (point.is_none() && !l.area_served.postcodes.is_empty());
        let anywhere = by_area && reaches_anywhere(&l.modes, &l.area_served.postcodes);
        Reach {
            point,
            anywhere,
            areas: if by_area && !anywhere {
                &l.area_served.postcodes
            } else {
                &[]
            },
        }
    }
}

/// What a result card shows, stored with the document so a page of results needs no
/// store reads.
fn card_of(l: &Listing, point: Option<(f64, f64)>) -> Card {
    Card {
        id: l.id,
        title: l.title.clone(),
        summary: l.summary.clone(),
        organisation: l.organisation.name.clone(),
        types: l.types.clone(),
        access: l.access.features.clone(),
        modes: l.modes.clone(),
        free: l.cost.free,
        price: l.cost.price.clone(),
        venue_name: l
            .venue
            .as_ref()
            .map(|v| v.name.clone())
            .filter(|n| !n.is_empty()),
        postcode: l.venue.as_ref().and_then(|v| v.postcode.clone()),
        point,
        area: l.area_served.description.clone(),
        area_postcodes: l.area_served.postcodes.clone(),
        schedule: l.schedule.clone(),
    }
}

/// Whether a listing is matched by every location search: it is delivered online or
/// by phone (as well as, or instead of, in person) and its area is not limited.
fn reaches_anywhere(modes: &[Mode], area_postcodes: &[String]) -> bool {
    modes.iter().any(|m| *m != Mode::InPerson) && area_postcodes.is_empty()
}

/// Where a listing can be found on a map: its venue, if it meets in person there.
fn venue_point(l: &Listing) -> Option<(f64, f64)> {
    point_of(
        &l.modes,
        l.venue.as_ref().and_then(|v| Some((v.lat?, v.lon?))),
    )
}

fn point_of(modes: &[Mode], venue: Option<(f64, f64)>) -> Option<(f64, f64)> {
    venue.filter(|_| modes.contains(&Mode::InPerson))
}

/// The order a full rebuild adds listings in, so that what a search around one place
/// reads is a few contiguous runs of each segment (see `search::index`): listings with
/// a venue by [`position_key`], then those every location search matches ("anywhere",
/// even with a venue, so they are one run rather than scattered through the rest),
/// then those matched by the area they cover.
pub fn spatial_key(l: &Listing) -> u64 {
    if reaches_anywhere(&l.modes, &l.area_served.postcodes) {
        return u64::MAX - 1;
    }
    position_key(venue_point(l))
}

/// [`spatial_key`] of a listing as stored (its JSON), reading only the fields it needs.
pub fn spatial_key_json(data: &str) -> u64 {
    #[derive(Deserialize)]
    struct Placed {
        #[serde(default)]
        modes: Vec<Mode>,
        #[serde(default)]
        venue: Option<At>,
        #[serde(default)]
        area_served: Covers,
    }
    #[derive(Deserialize)]
    struct At {
        lat: Option<f64>,
        lon: Option<f64>,
    }
    #[derive(Deserialize, Default)]
    struct Covers {
        #[serde(default)]
        postcodes: Vec<String>,
    }
    let Ok(p) = serde_json::from_str::<Placed>(data) else {
        return u64::MAX;
    };
    if reaches_anywhere(&p.modes, &p.area_served.postcodes) {
        return u64::MAX - 1;
    }
    let venue = p.venue.and_then(|v| Some((v.lat?, v.lon?)));
    position_key(point_of(&p.modes, venue))
}

/// A position on a Z-order curve (latitude and longitude bits interleaved, about
/// 300 m resolution), so sorting by it puts places that are near each other next to
/// each other. No position sorts last.
pub fn position_key(point: Option<(f64, f64)>) -> u64 {
    let Some((lat, lon)) = point else {
        return u64::MAX;
    };
    let quantise = |v: f64, lo: f64, span: f64| -> u64 {
        (((v - lo) / span).clamp(0.0, 1.0) * f64::from(u16::MAX)) as u64
    };
    let spread = |mut v: u64| -> u64 {
        v = (v | (v << 8)) & 0x00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    (spread(quantise(lat, -90.0, 180.0)) << 1) | spread(quantise(lon, -180.0, 360.0))
}

/// The fields whose adjacent word pairs are indexed, and the prefix that keeps their
/// pairs apart in the one `pairs` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairField {
    Title,
    Organisation,
    Tags,
}

impl PairField {
    fn prefix(self) -> &'static str {
        match self {
            PairField::Title => "t",
            PairField::Organisation => "o",
            PairField::Tags => "g",
        }
    }
}

/// The `pairs` term for two adjacent stemmed words of a field, e.g. `g:dementia_friend`
/// for "Dementia friendly" in the tags.
///
/// Names and labels are where several-word phrases ("memory cafe", "walking
/// football", "dementia friendly") are looked for. Matching them as an intersection of
/// their words, or as a phrase with positions, walks every posting of words that are
/// common on their own ("memory", "friendly" is in 30% of listings' labels); one term
/// per adjacent pair is a single short posting list, and it also keeps the words in
/// order.
pub fn pair_term(fields: &Fields, field: PairField, first: &str, second: &str) -> Term {
    Term::from_field_text(
        fields.pairs,
        &format!("{}:{first}_{second}", field.prefix()),
    )
}

fn add_pairs(doc: &mut TantivyDocument, f: &Fields, field: PairField, text: &str) {
    thread_local! {
        static STEM: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::new(stemmed_analyzer());
    }
    let words: Vec<String> = STEM.with(|a| {
        let mut a = a.borrow_mut();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            if !is_possessive_s(&t.text) {
                out.push(t.text.clone());
            }
        }
        out
    });
    for w in words.windows(2) {
        let term = pair_term(f, field, &w[0], &w[1]);
        doc.add_text(f.pairs, term.value().as_str().unwrap_or_default());
    }
}

/// The "s" the tokenizer splits off a possessive ("Men's" is "men" and "s"): left out
/// of word pairs, so "Men's Shed" pairs as "men shed", as people type it.
pub fn is_possessive_s(word: &str) -> bool {
    word == "s"
}

fn add_filter(doc: &mut TantivyDocument, f: &Fields, kind: &str, value: &str) {
    doc.add_text(f.filter, format!("{kind}:{value}"));
}

/// Every day slug, for documentation and validation.
pub fn day_slugs() -> impl Iterator<Item = &'static str> {
    Day::ALL.into_iter().map(Day::slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{AreaServed, Taxonomy};
    use tantivy::schema::Value;

    fn some_listings() -> Vec<Listing> {
        let taxonomy = Taxonomy::embedded();
        let districts = crate::synth::district_list();
        (1..=400)
            .map(|n| crate::synth::listing(7, n, taxonomy, &districts))
            .collect()
    }

    #[test]
    fn the_stored_form_sorts_exactly_like_the_listing() {
        let listings = some_listings();
        let mut kinds = [0; 3];
        for l in &listings {
            let key = spatial_key(l);
            assert_eq!(
                spatial_key_json(&serde_json::to_string(l).unwrap()),
                key,
                "{l:?}"
            );
            kinds[match key {
                u64::MAX => 2,
                k if k == u64::MAX - 1 => 1,
                _ => 0,
            }] += 1;
        }
        // The sample has venues, online-anywhere and area-limited services.
        assert!(kinds.iter().all(|&k| k > 0), "{kinds:?}");
        assert_eq!(spatial_key_json("not json"), u64::MAX);
    }

    #[test]
    fn what_every_location_search_matches_sorts_after_venues_and_together() {
        let mut l = some_listings()
            .into_iter()
            .find(|l| l.modes == [Mode::InPerson] && l.venue.is_some())
            .unwrap();
        assert!(spatial_key(&l) < u64::MAX - 1);
        l.modes.push(Mode::Online);
        assert_eq!(spatial_key(&l), u64::MAX - 1, "online too, anywhere");
        l.area_served = AreaServed {
            description: "Trafford".into(),
            postcodes: vec!["M33".into()],
        };
        assert!(
            spatial_key(&l) < u64::MAX - 1,
            "limited to an area: its venue"
        );
        l.modes = vec![Mode::Phone];
        assert_eq!(spatial_key(&l), u64::MAX, "no venue, one area");
    }

    #[test]
    fn nearby_places_get_nearby_keys() {
        let key = |lat, lon| position_key(Some((lat, lon))) as i128;
        let manchester = key(53.48, -2.24);
        let sale = key(53.42, -2.32);
        let london = key(51.51, -0.12);
        assert!((manchester - sale).abs() < (manchester - london).abs());
        assert_eq!(position_key(None), u64::MAX);
    }

    #[test]
    fn names_and_labels_get_their_word_pairs() {
        let taxonomy = Taxonomy::embedded();
        let mut l = some_listings().remove(0);
        l.title = "Memory Café for carers".into();
        l.access.features = vec!["dementia-friendly".into()];
        let (_, f) = build_schema();
        let doc = to_document(
            &f,
            &l,
            taxonomy,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        );
        let pairs: Vec<String> = doc
            .get_all(f.pairs)
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        for want in [
            "t:memori_cafe",
            "t:cafe_for",
            "t:for_carer",
            "g:dementia_friend",
        ] {
            assert!(pairs.iter().any(|p| p == want), "{want} not in {pairs:?}");
        }
        // Pairs do not run across two labels.
        assert!(
            !pairs.iter().any(|p| p.starts_with("g:friend")),
            "{pairs:?}"
        );
    }
}
