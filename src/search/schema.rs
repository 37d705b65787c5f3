//! The tantivy schema, and how a `Listing` becomes a search document.
//!
//! Text goes in twice: stemmed with ASCII folding (so "walks" finds "walking" and
//! "café" finds "cafe"), and unstemmed in `words` for typo tolerance (a typo in a
//! stemmed term is often several edits from the stem: "knittin" vs "knit").
//! Filters are exact keyword terms in one field (`f`) with a prefix per kind, e.g.
//! `access:hearing-loop`, `day:tue`, `area:M33`, which keeps the schema small and
//! every filter a cheap term lookup. Position is two f64 fast fields, and the result
//! card is stored as JSON so a page of hits needs no trip to the store.

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
pub const SCHEMA_VERSION: u32 = 5;

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
    pub type_mask: Field,
    pub filter: Field,
    pub pos: Field,
    pub age_min: Field,
    pub age_max: Field,
    pub card: Field,
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
        type_mask: b.add_u64_field("type_mask", FAST),
        filter: b.add_text_field("f", STRING),
        pos: b.add_u64_field("pos", FAST),
        age_min: b.add_u64_field("age_min", FAST),
        age_max: b.add_u64_field("age_max", FAST),
        card: b.add_bytes_field("card", STORED),
    };
    (b.build(), fields)
}

pub fn register_tokenizers(index: &Index) {
    let stem = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build();
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
    doc.add_text(f.title, &l.title);
    doc.add_text(f.org, &l.organisation.name);

    let mut tags = String::new();
    let mut type_mask = 0u64;
    for t in &l.types {
        if let Some(ty) = taxonomy.activity_type(t) {
            tags.push_str(&ty.label);
            tags.push_str(". ");
        }
        add_filter(&mut doc, f, "type", t);
        let position = taxonomy.type_position(t);
        if position < 64 {
            type_mask |= 1 << position;
        }
    }
    doc.add_u64(f.type_mask, type_mask);
    for a in &l.access.features {
        tags.push_str(taxonomy.access_label(a));
        tags.push_str(". ");
        add_filter(&mut doc, f, "access", a);
    }
    for c in &l.audience.circumstances {
        if let Some(c) = taxonomy.circumstance(c) {
            tags.push_str(&c.label);
            tags.push_str(". ");
        }
        add_filter(&mut doc, f, "for", c);
    }
    doc.add_text(f.tags, &tags);

    let (venue_name, venue_address) = l
        .venue
        .as_ref()
        .map(|v| (v.name.as_str(), v.address.as_str()))
        .unwrap_or(("", ""));
    let body = [
        l.summary.as_str(),
        l.description.as_str(),
        venue_name,
        venue_address,
        l.area_served.description.as_str(),
        l.access.notes.as_str(),
        l.audience.notes.as_str(),
    ]
    .join("\n");
    doc.add_text(f.body, &body);
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

    for m in &l.modes {
        add_filter(&mut doc, f, "mode", m.slug());
    }
    for d in l.schedule.days(today) {
        add_filter(&mut doc, f, "day", d.slug());
    }
    for t in l.schedule.times_of_day(today) {
        add_filter(&mut doc, f, "time", t);
    }
    if l.cost.free {
        add_filter(&mut doc, f, "free", "yes");
    }

    // Where it can be reached from: a point for venues, and for anything delivered
    // remotely either "anywhere" or the postcode districts/areas it covers.
    let point = l
        .venue
        .as_ref()
        .and_then(|v| Some((v.lat?, v.lon?)))
        .filter(|_| l.modes.contains(&Mode::InPerson));
    if let Some((lat, lon)) = point {
        doc.add_u64(f.pos, pack_position(lat, lon));
        add_filter(&mut doc, f, "reach", "point");
        for level in 0..GRID_LEVELS.len() {
            add_filter(&mut doc, f, "cell", &cell(level, lat, lon));
        }
    } else {
        // Every document has a value, so the columns stay dense and fast to read.
        doc.add_u64(f.pos, NO_POSITION);
    }
    let remote = l.modes.iter().any(|m| *m != Mode::InPerson);
    if remote {
        if l.area_served.postcodes.is_empty() {
            add_filter(&mut doc, f, "reach", "anywhere");
        } else {
            for pc in &l.area_served.postcodes {
                add_filter(&mut doc, f, "area", pc);
            }
        }
    }

    doc.add_u64(f.age_min, l.audience.age_min.unwrap_or(0) as u64);
    doc.add_u64(f.age_max, l.audience.age_max.unwrap_or(u8::MAX) as u64);
    // The month it was last checked, for leaving stale listings out of results.
    if let Some(c) = l.provenance.verified_at.or(l.provenance.updated_at) {
        add_filter(&mut doc, f, "checked", &c.format("%Y-%m").to_string());
        add_filter(
            &mut doc,
            f,
            "checked-day",
            &c.format("%Y-%m-%d").to_string(),
        );
    }

    let card = Card {
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
    };
    doc.add_bytes(
        f.card,
        &serde_json::to_vec(&card).expect("a Card always serialises"),
    );
    doc
}

fn add_filter(doc: &mut TantivyDocument, f: &Fields, kind: &str, value: &str) {
    doc.add_text(f.filter, format!("{kind}:{value}"));
}

/// Every day slug, for documentation and validation.
pub fn day_slugs() -> impl Iterator<Item = &'static str> {
    Day::ALL.into_iter().map(Day::slug)
}
