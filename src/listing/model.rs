//! The one `Listing` model every source is turned into.
//!
//! Importers know their own format and map it onto these types; search and the web
//! layer only ever see a `Listing`. The JSON form of these types is also Signpost's own
//! import format (`--format signpost`) and the body of `GET /api/listings/{id}`, so the
//! field names here are a public contract: rename with care.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::schedule::Schedule;

/// One activity, group or service that someone could be signposted to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// Store id; 0 until the store has assigned one.
    #[serde(default)]
    pub id: i64,
    pub title: String,
    /// One or two sentences shown on result cards.
    #[serde(default)]
    pub summary: String,
    /// The full description, plain text, paragraphs separated by blank lines.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub organisation: Organisation,
    /// Activity type slugs from the project taxonomy (`content/taxonomy.toml`).
    #[serde(default)]
    pub types: Vec<String>,
    /// How the activity is delivered; at least one.
    #[serde(default)]
    pub modes: Vec<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<Venue>,
    #[serde(default)]
    pub area_served: AreaServed,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub cost: Cost,
    #[serde(default)]
    pub access: Access,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub join: Join,
    #[serde(default)]
    pub provenance: Provenance,
    #[serde(default)]
    pub status: Status,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// How a person takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    InPerson,
    Online,
    Phone,
    HomeVisit,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::InPerson, Mode::Online, Mode::Phone, Mode::HomeVisit];

    pub fn slug(self) -> &'static str {
        match self {
            Mode::InPerson => "in-person",
            Mode::Online => "online",
            Mode::Phone => "phone",
            Mode::HomeVisit => "home-visit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::InPerson => "In person",
            Mode::Online => "Online",
            Mode::Phone => "By phone",
            Mode::HomeVisit => "Home visits",
        }
    }

    pub fn from_slug(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.slug() == s)
    }
}

/// Where an in-person activity happens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    #[serde(default)]
    pub name: String,
    /// Street address without the postcode, comma separated.
    #[serde(default)]
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// How exact `lat`/`lon` are: the venue itself, its postcode unit or only the
    /// postcode district. Set by geocoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_precision: Option<GeoPrecision>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GeoPrecision {
    /// Coordinates supplied by the source.
    Source,
    /// Centre of the full postcode unit.
    Postcode,
    /// Centre of the postcode district only (approximate).
    District,
}

/// The area a phone, online, home-visit or outreach service covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaServed {
    /// Plain words for people, e.g. "Trafford".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Postcode districts ("M33") or areas ("M") covered; empty means not limited to
    /// a place (for example a national phone line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postcodes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    #[serde(default)]
    pub free: bool,
    /// What it costs in plain words, e.g. "£3 a session".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// The usual price of one session in pence, for sorting and checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_pence: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concessions: Option<String>,
    #[serde(default)]
    pub pay_what_you_can: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// Accessibility feature slugs from the taxonomy.
    #[serde(default)]
    pub features: Vec<String>,
    /// What to expect, in the group's own words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// How to get there, by way of travel ("The 12 bus stops outside"). Wanted by
    /// link workers and never built by the directories they use; the OpenActive
    /// accessibility profile's `transportNote`, HSDS's `location.transportation`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub travel: Vec<Travel>,
}

/// One way of getting to the venue and what to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Travel {
    pub by: TravelMode,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TravelMode {
    PublicTransport,
    Car,
    /// A source's note that is not about one way of travelling (HSDS's
    /// `transportation` is one text for all of them).
    Any,
}

impl TravelMode {
    pub const ALL: [TravelMode; 3] = [
        TravelMode::PublicTransport,
        TravelMode::Car,
        TravelMode::Any,
    ];

    /// As written in JSON and in problems' field names.
    pub fn slug(self) -> &'static str {
        match self {
            TravelMode::PublicTransport => "public-transport",
            TravelMode::Car => "car",
            TravelMode::Any => "any",
        }
    }

    /// The heading a note gets on the listing page.
    pub fn label(self) -> &'static str {
        match self {
            TravelMode::PublicTransport => "By bus, tram or train",
            TravelMode::Car => "By car",
            TravelMode::Any => "Getting there",
        }
    }

    /// OpenActive's `transportMode` ("a brief description of the method of
    /// transport"); "any" for a note that covers every way.
    pub fn openactive(self) -> &'static str {
        match self {
            TravelMode::PublicTransport => "public transport",
            TravelMode::Car => "car",
            TravelMode::Any => "any",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_min: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_max: Option<u8>,
    #[serde(default)]
    pub gender: Gender,
    /// Circumstance slugs from the taxonomy (carers, bereavement, dementia, ...).
    #[serde(default)]
    pub circumstances: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Whether a newcomer with no experience can come, as the group says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
}

/// Who an activity suits by experience: the question a nervous newcomer asks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Beginner,
    Mixed,
    Experienced,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Beginner, Level::Mixed, Level::Experienced];

    pub fn slug(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Mixed => "mixed",
            Level::Experienced => "experienced",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Beginner => "Beginners welcome, no experience needed",
            Level::Mixed => "All abilities, beginners and experienced",
            Level::Experienced => "Some experience needed",
        }
    }

    /// OpenActive's `level` words (its examples: Beginner, Intermediate, Advanced).
    pub fn openactive(self) -> &'static [&'static str] {
        match self {
            Level::Beginner => &["Beginner"],
            Level::Mixed => &["Beginner", "Intermediate", "Advanced"],
            Level::Experienced => &["Intermediate", "Advanced"],
        }
    }

    pub fn from_slug(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.slug() == s)
    }

    /// A source's level words ("Beginner", "All levels", "Advanced", "Improvers"),
    /// together: beginners and experienced both named is a mixed group.
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Option<Level> {
        let (mut new, mut old) = (false, false);
        for w in words {
            let w = w.to_lowercase();
            let has = |xs: &[&str]| xs.iter().any(|x| w.contains(x));
            if has(&[
                "all level",
                "all abilit",
                "any level",
                "any abilit",
                "open to all",
                "all welcome",
                "mixed",
                "everyone",
            ]) {
                new = true;
                old = true;
            } else if has(&[
                "beginner",
                "novice",
                "no experience",
                "introduct",
                "taster",
                "starter",
                "easy",
            ]) {
                new = true;
            } else if has(&[
                "intermediate",
                "advanced",
                "improver",
                "experienced",
                "expert",
                "competitive",
            ]) {
                old = true;
            }
        }
        match (new, old) {
            (true, true) => Some(Level::Mixed),
            (true, false) => Some(Level::Beginner),
            (false, true) => Some(Level::Experienced),
            (false, false) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gender {
    #[default]
    Any,
    Women,
    Men,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    #[serde(default)]
    pub method: JoinMethod,
    /// The first step in plain words: "Just turn up", "Ring Sue to book a place".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub details: String,
    #[serde(default)]
    pub contact: Contact,
    /// Where to go and who to look for on a first visit ("the side door; Sue looks
    /// out for new people"): OpenActive's `meetingPoint`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub meeting_point: String,
    /// Who leads the sessions, as the group chose to publish it (a first name is
    /// enough): OpenActive's `leader`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    /// The most people one session takes: OpenActive's `maximumAttendeeCapacity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub places: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JoinMethod {
    #[default]
    DropIn,
    Book,
    Referral,
}

impl JoinMethod {
    pub fn label(self) -> &'static str {
        match self {
            JoinMethod::DropIn => "Drop in",
            JoinMethod::Book => "Book first",
            JoinMethod::Referral => "Referral needed",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Where a listing came from and how fresh it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Source name, e.g. "demo" or a configured source's name.
    #[serde(default)]
    pub source: String,
    /// The listing's id within its source; (source, source_id) is unique.
    #[serde(default)]
    pub source_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// When the record last changed at its source (or here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// When a person last confirmed the details are right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    #[default]
    Published,
    Pending,
    Archived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Pending => "pending",
            Status::Archived => "archived",
        }
    }
}

/// A day of the week, written `mon`..`sun` in URLs and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Day::Mon => "mon",
            Day::Tue => "tue",
            Day::Wed => "wed",
            Day::Thu => "thu",
            Day::Fri => "fri",
            Day::Sat => "sat",
            Day::Sun => "sun",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Day::Mon => "Monday",
            Day::Tue => "Tuesday",
            Day::Wed => "Wednesday",
            Day::Thu => "Thursday",
            Day::Fri => "Friday",
            Day::Sat => "Saturday",
            Day::Sun => "Sunday",
        }
    }

    /// The two-letter code RFC 5545 (iCalendar `BYDAY`, HSDS `byday`) uses.
    pub fn rfc5545(self) -> &'static str {
        match self {
            Day::Mon => "MO",
            Day::Tue => "TU",
            Day::Wed => "WE",
            Day::Thu => "TH",
            Day::Fri => "FR",
            Day::Sat => "SA",
            Day::Sun => "SU",
        }
    }

    pub fn from_slug(s: &str) -> Option<Day> {
        let s = s.trim().to_ascii_lowercase();
        Day::ALL
            .into_iter()
            .find(|d| d.slug() == s || d.name().eq_ignore_ascii_case(&s))
    }

    pub fn to_chrono(self) -> chrono::Weekday {
        use chrono::Weekday as W;
        match self {
            Day::Mon => W::Mon,
            Day::Tue => W::Tue,
            Day::Wed => W::Wed,
            Day::Thu => W::Thu,
            Day::Fri => W::Fri,
            Day::Sat => W::Sat,
            Day::Sun => W::Sun,
        }
    }

    pub fn from_chrono(w: chrono::Weekday) -> Day {
        Day::ALL[w.num_days_from_monday() as usize]
    }
}

/// Part of the day a session starts in, for the "time of day" filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeOfDay {
    Morning,
    Afternoon,
    Evening,
}

impl TimeOfDay {
    pub const ALL: [TimeOfDay; 3] = [TimeOfDay::Morning, TimeOfDay::Afternoon, TimeOfDay::Evening];

    /// Morning is before noon, afternoon before 5pm, evening after.
    pub fn of(t: NaiveTime) -> TimeOfDay {
        use chrono::Timelike;
        match t.hour() {
            0..=11 => TimeOfDay::Morning,
            12..=16 => TimeOfDay::Afternoon,
            _ => TimeOfDay::Evening,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            TimeOfDay::Morning => "morning",
            TimeOfDay::Afternoon => "afternoon",
            TimeOfDay::Evening => "evening",
        }
    }

    pub fn from_slug(s: &str) -> Option<TimeOfDay> {
        TimeOfDay::ALL.into_iter().find(|t| t.slug() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_words_from_sources_and_back() {
        let of = |w: &[&str]| Level::from_words(w.iter().copied());
        assert_eq!(of(&["Beginner"]), Some(Level::Beginner));
        assert_eq!(of(&["Easy", "Open to All"]), Some(Level::Mixed));
        assert_eq!(of(&["Beginners", "Advanced"]), Some(Level::Mixed));
        assert_eq!(of(&["Improvers"]), Some(Level::Experienced));
        assert_eq!(of(&["Grade 5"]), None);
        assert_eq!(of(&[]), None);
        // What Signpost publishes reads back as the same level.
        for level in Level::ALL {
            assert_eq!(of(level.openactive()), Some(level), "{level:?}");
            assert_eq!(Level::from_slug(level.slug()), Some(level));
        }
    }

    #[test]
    fn travel_slugs_are_the_json_names() {
        for by in TravelMode::ALL {
            assert_eq!(serde_json::to_value(by).unwrap(), by.slug());
        }
    }
}
