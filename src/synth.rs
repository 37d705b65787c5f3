//! Synthetic listings for benchmarks: realistic shape, reproducible from a seed.
//!
//! Real directories have a few hundred listings per town; the benchmarks need a
//! million. These are spread over real postcode-district centres across Great Britain
//! (so radius searches see realistic densities), with the word mix, schedules, costs
//! and accessibility of the demo content. Same seed, same listings.

use chrono::NaiveTime;

use crate::geo::districts::Districts;
use crate::listing::schedule::{Repeat, SessionRule};
use crate::listing::{
    Access, AreaServed, Audience, Cost, Day, Listing, Mode, Organisation, Provenance, Schedule,
    Status, Taxonomy, Venue,
};

const PLACES: &[&str] = &[
    "Community Centre",
    "Library",
    "Church Hall",
    "Leisure Centre",
    "Park",
    "Scout Hut",
    "Methodist Church",
    "Village Hall",
    "Allotments",
    "Town Hall",
    "Sports Club",
    "Mosque",
    "Gurdwara",
    "Family Hub",
    "Arts Centre",
    "Museum",
];
const ADJECTIVES: &[&str] = &[
    "Friendly",
    "Gentle",
    "Weekly",
    "Community",
    "Beginners'",
    "Over 50s",
    "Social",
    "Relaxed",
    "Neighbourhood",
    "Morning",
    "Evening",
    "Women's",
    "Men's",
    "Inclusive",
    "Drop-in",
];
const SENTENCES: &[&str] = &[
    "Everyone is welcome, whatever your age or ability.",
    "Come along and meet new people in a relaxed and friendly setting.",
    "Tea, coffee and biscuits are provided, and there is time to chat afterwards.",
    "No experience is needed and all equipment is provided.",
    "A volunteer will meet you at the door on your first visit.",
    "The sessions are led by trained volunteers who understand what it is like to feel isolated.",
    "It is a great way to build confidence, get active and make friends.",
    "You can come on your own or bring a friend, family member or carer.",
    "Wear comfortable clothes and flat shoes.",
    "We go at the pace of the slowest person, so nobody gets left behind.",
    "There is a quiet room if you need a break.",
    "Many people who come were referred by their GP or a social prescribing link worker.",
    "We also run trips out in the summer and a Christmas lunch.",
    "Our group has been meeting for over ten years and new members are always welcome.",
    "If you are worried about coming for the first time, ring us for a chat before you come.",
];
const ORG_SUFFIX: &[&str] = &[
    "Trust",
    "Community Group",
    "Friends",
    "Association",
    "Project",
    "CIC",
    "Network",
];

/// Builds listing number `n` from `seed`; the same inputs always give the same listing.
pub fn listing(
    seed: u64,
    n: u64,
    taxonomy: &Taxonomy,
    districts: &[(String, f64, f64)],
) -> Listing {
    let mut rng = fastrand::Rng::with_seed(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let ty = &taxonomy.types[rng.usize(..taxonomy.types.len())];
    let keyword = ty
        .keywords
        .get(rng.usize(..ty.keywords.len().max(1)))
        .cloned()
        .unwrap_or_else(|| ty.label.clone());
    let (district, dlat, dlon) = &districts[rng.usize(..districts.len())];
    let place = PLACES[rng.usize(..PLACES.len())];
    let title = format!(
        "{} {}",
        ADJECTIVES[rng.usize(..ADJECTIVES.len())],
        capitalise(&keyword)
    );
    let mut description = String::new();
    for _ in 0..rng.usize(3..7) {
        description.push_str(SENTENCES[rng.usize(..SENTENCES.len())]);
        description.push(' ');
    }
    let (modes, venue, area_served) = reach(&mut rng, district, *dlat, *dlon, place);
    let session = session(&mut rng);
    let free = rng.u8(..100) < 55;
    let all_access: Vec<String> = taxonomy.access.iter().map(|a| a.slug.clone()).collect();
    let access: Vec<String> = all_access
        .iter()
        .filter(|_| rng.u8(..100) < 30)
        .cloned()
        .collect();
    let age_min = [None, Some(18), Some(50), Some(55), Some(60), Some(65)][rng.usize(..6)];
    Listing {
        id: 0,
        title,
        summary: format!("{} at {district} {place}.", ty.description),
        description,
        organisation: Organisation {
            name: format!(
                "{district} {} {}",
                capitalise(&keyword),
                ORG_SUFFIX[rng.usize(..ORG_SUFFIX.len())]
            ),
            ..Default::default()
        },
        types: vec![ty.slug.clone()],
        modes,
        venue,
        area_served,
        schedule: Schedule {
            sessions: vec![session],
            ..Default::default()
        },
        cost: Cost {
            free,
            price: (!free).then(|| format!("£{} a session", rng.u8(2..8))),
            ..Default::default()
        },
        access: Access {
            features: access,
            notes: String::new(),
            travel: Vec::new(),
        },
        audience: Audience {
            age_min,
            ..Default::default()
        },
        join: Default::default(),
        provenance: Provenance {
            source: "synthetic".into(),
            source_id: format!("syn-{n}"),
            ..Default::default()
        },
        status: Status::Published,
    }
}

/// How and where listing's activity happens: most at a venue near the district's
/// centre, 12% by phone or online (most covering their district, a few anywhere), 5%
/// of venues online too.
fn reach(
    rng: &mut fastrand::Rng,
    district: &str,
    dlat: f64,
    dlon: f64,
    place: &str,
) -> (Vec<Mode>, Option<Venue>, AreaServed) {
    let remote = rng.u8(..100) < 12;
    let modes = if remote {
        vec![if rng.bool() {
            Mode::Online
        } else {
            Mode::Phone
        }]
    } else if rng.u8(..100) < 5 {
        vec![Mode::InPerson, Mode::Online]
    } else {
        vec![Mode::InPerson]
    };
    let venue = (!remote).then(|| Venue {
        name: format!("{district} {place}"),
        address: format!("{} High Street", rng.u16(1..300)),
        postcode: Some(format!(
            "{district} {}{}{}",
            rng.u8(1..10),
            letter(rng),
            letter(rng)
        )),
        // Within about 3 km of the district centre.
        lat: Some(dlat + (rng.f64() - 0.5) * 0.05),
        lon: Some(dlon + (rng.f64() - 0.5) * 0.08),
        geo_precision: None,
    });
    // Most remote services cover a local area; a few (national helplines) anywhere.
    let area_served = if remote && rng.u8(..100) >= 2 {
        AreaServed {
            description: format!("{district} and nearby"),
            postcodes: vec![district.to_string()],
        }
    } else {
        AreaServed::default()
    };
    (modes, venue, area_served)
}

/// A weekly session (a tenth monthly, a tenth fortnightly) at a usual time.
fn session(rng: &mut fastrand::Rng) -> SessionRule {
    let day = Day::ALL[rng.usize(..7)];
    let hour = [9u32, 10, 10, 11, 13, 14, 18, 19][rng.usize(..8)];
    let start = NaiveTime::from_hms_opt(hour, if rng.bool() { 0 } else { 30 }, 0).expect("valid");
    let (repeat, week_of_month, starting) = match rng.u8(..10) {
        0 => (Repeat::Monthly, Some([1i8, 2, 3, -1][rng.usize(..4)]), None),
        1 => (
            Repeat::Fortnightly,
            None,
            Some(
                chrono::NaiveDate::from_isoywd_opt(2026, 2, day.to_chrono())
                    .expect("valid week date"),
            ),
        ),
        _ => (Repeat::Weekly, None, None),
    };
    SessionRule {
        repeat,
        day,
        week_of_month,
        start,
        end: Some(start + chrono::Duration::minutes(90)),
        starting,
        until: None,
    }
}

/// District centres as a list, for drawing places from.
pub fn district_list() -> Vec<(String, f64, f64)> {
    Districts::embedded()
        .iter()
        .map(|(code, lat, lon)| (code.to_string(), lat, lon))
        .collect()
}

fn letter(rng: &mut fastrand::Rng) -> char {
    b"ABDEFGHJLNPQRSTUWXYZ"[rng.usize(..20)] as char
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
