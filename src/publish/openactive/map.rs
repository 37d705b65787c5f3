//! One listing as an OpenActive `SessionSeries` (Modelling Opportunity Data 2.0, with
//! the fields the social prescribing profile adds where Signpost knows them).
//!
//! Recurring sessions become `PartialSchedule`s in `eventSchedule` (`byDay`,
//! `repeatFrequency`, `startTime`, `endTime`, `scheduleTimezone`, `exceptDate`); one-off
//! dates become `ScheduledSession`s embedded as `subEvent`, so a change to a listing's
//! dates is one change to one feed item and a removed date cannot be left behind in
//! another feed. Activity types become their Activity List concept, accessibility
//! features their Accessibility Support concept. Only what Signpost knows is written:
//! no capacity, images or prices it was not told.

use chrono::{NaiveDate, NaiveTime, Timelike};
use chrono_tz::Europe::London;
use serde_json::{Map, Value, json};

use crate::geo::area::Authorities;
use crate::geo::postcode::Postcode;
use crate::listing::schedule::{Repeat, SessionRule};
use crate::listing::{Day, Gender, Listing, Mode, Taxonomy};

pub const CONTEXT: &str = "https://openactive.io/";
pub const ACTIVITY_LIST: &str = "https://openactive.io/activity-list";
pub const ACCESSIBILITY_SUPPORT: &str = "https://openactive.io/accessibility-support";
const TIMEZONE: &str = "Europe/London";

/// The draft OpenActive Accessibility Support list (CC BY 4.0, "OpenActive"): the
/// `prefLabel` of each concept `content/taxonomy.toml` maps features to.
const SUPPORT_LABELS: [(&str, &str); 6] = [
    ("1393f2dc-3fcc-4be9-a99f-f1e51f5ad277", "Visual impairment"),
    ("2bfb7228-5969-4927-8435-38b5005a8771", "Hearing impairment"),
    (
        "dd026873-6713-4ea1-af5a-08901f651d98",
        "Physical impairment",
    ),
    (
        "67902468-fd49-4238-8650-20a22d7f0e40",
        "Learning impairment",
    ),
    (
        "40b9b11f-bdd3-4aeb-8984-2ecf74a14c7a",
        "Mental health issues",
    ),
    (
        "69b689d4-be04-4e6d-be56-4ac72ec82444",
        "Social or behavioural problems",
    ),
];

/// Who to credit for a listing and under which licence it is republished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    pub name: String,
    pub licence: String,
}

/// Why a listing is not in the OpenActive feed (it stays on the site and in the
/// other APIs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpublishable {
    /// None of its types has an Activity List concept (a food bank, befriending):
    /// OpenActive requires one.
    NoActivity,
    /// Neither a venue nor online (phone lines, home visits): OpenActive needs a place.
    NoPlace,
    /// Not free and no price known ("ask about cost"): OpenActive needs an offer with
    /// a price, and Signpost does not make one up.
    NoPrice,
}

/// The listing's identity in the feed: its page on this site.
pub fn series_id(base: &str, id: i64) -> String {
    format!("{base}/listings/{id}")
}

fn day_url(d: Day) -> String {
    format!("https://schema.org/{}", d.name())
}

fn hm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// ISO 8601 duration of whole minutes: `PT1H30M`.
fn duration(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("PT{m}M"),
        (h, 0) => format!("PT{h}H"),
        (h, m) => format!("PT{h}H{m}M"),
    }
}

fn minutes_between(start: NaiveTime, end: NaiveTime) -> i64 {
    (end - start).num_minutes()
}

/// A UK local date and time with its offset (`2026-07-01T10:00:00+01:00`).
fn local(date: NaiveDate, time: NaiveTime) -> String {
    let naive = date.and_time(time.with_second(0).unwrap_or(time));
    match naive.and_local_timezone(London).earliest() {
        Some(t) => t.to_rfc3339(),
        // A time skipped by the clocks going forward: say it as written.
        None => naive.format("%Y-%m-%dT%H:%M:%S").to_string(),
    }
}

fn schedule_of(rule: &SessionRule, except: &[NaiveDate]) -> Value {
    let mut s = Map::new();
    s.insert("@type".into(), json!("PartialSchedule"));
    s.insert(
        "repeatFrequency".into(),
        json!(match rule.repeat {
            Repeat::Weekly => "P1W",
            Repeat::Fortnightly => "P2W",
            Repeat::Monthly => "P1M",
        }),
    );
    s.insert("byDay".into(), json!([day_url(rule.day)]));
    if let Some(w) = rule.week_of_month {
        // Not in OpenActive or schema.org yet: Signpost's own term (see `context`).
        s.insert("signpost:byMonthWeek".into(), json!(w));
    }
    s.insert("startTime".into(), json!(hm(rule.start)));
    if let Some(end) = rule.end {
        s.insert("endTime".into(), json!(hm(end)));
        s.insert(
            "duration".into(),
            json!(duration(minutes_between(rule.start, end))),
        );
    }
    if let Some(d) = rule.starting {
        s.insert("startDate".into(), json!(d.to_string()));
    }
    if let Some(d) = rule.until {
        s.insert("endDate".into(), json!(d.to_string()));
    }
    s.insert("scheduleTimezone".into(), json!(TIMEZONE));
    let off: Vec<String> = except
        .iter()
        .filter(|d| rule.runs_on(**d))
        .map(|d| d.to_string())
        .collect();
    if !off.is_empty() {
        s.insert("exceptDate".into(), json!(off));
    }
    Value::Object(s)
}

fn concept(id: &str, label: &str, scheme: &str) -> Value {
    json!({"@type": "Concept", "@id": id, "prefLabel": label, "inScheme": scheme})
}

fn activities(l: &Listing, taxonomy: &Taxonomy) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for t in &l.types {
        if let Some((id, label)) = taxonomy.openactive_activity(t)
            && !seen.contains(&id)
        {
            seen.push(id);
            out.push(concept(id, label, ACTIVITY_LIST));
        }
    }
    out
}

fn accessibility(l: &Listing, taxonomy: &Taxonomy) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for f in &l.access.features {
        let Some(feature) = taxonomy.access_feature(f) else {
            continue;
        };
        for id in &feature.openactive {
            let short = id.rsplit('#').next().unwrap_or(id);
            let Some((_, label)) = SUPPORT_LABELS.iter().find(|(s, _)| *s == short) else {
                continue;
            };
            if !out.iter().any(|c| c["@id"] == json!(id)) {
                out.push(concept(id, label, ACCESSIBILITY_SUPPORT));
            }
        }
    }
    out
}

fn place(l: &Listing) -> Option<Value> {
    let v = l.venue.as_ref()?;
    let mut p = Map::new();
    p.insert("@type".into(), json!("Place"));
    if !v.name.trim().is_empty() {
        p.insert("name".into(), json!(v.name));
    }
    let mut a = Map::new();
    a.insert("@type".into(), json!("PostalAddress"));
    // "Manchester Road, Chorlton": the street, then the town or neighbourhood.
    let parts: Vec<&str> = v
        .address
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    match parts.split_last() {
        Some((town, street)) if !street.is_empty() => {
            a.insert("streetAddress".into(), json!(street.join(", ")));
            a.insert("addressLocality".into(), json!(town));
        }
        Some((only, _)) => {
            a.insert("streetAddress".into(), json!(only));
        }
        None => {}
    }
    // The council area the postcode is in.
    let council = v
        .postcode
        .as_deref()
        .and_then(|pc| Postcode::parse(pc).ok())
        .and_then(|pc| Authorities::embedded().for_district(pc.outward()).cloned())
        .and_then(|a| a.name);
    if let Some(council) = council {
        if !a.contains_key("addressLocality") {
            a.insert("addressLocality".into(), json!(council));
        }
        a.insert("addressRegion".into(), json!(council));
    }
    if let Some(pc) = &v.postcode {
        a.insert("postalCode".into(), json!(pc));
    }
    a.insert("addressCountry".into(), json!("GB"));
    p.insert("address".into(), Value::Object(a));
    if let (Some(lat), Some(lon)) = (v.lat, v.lon) {
        p.insert(
            "geo".into(),
            json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon}),
        );
    }
    // The facilities OpenActive names that Signpost's accessibility features say are
    // there; nothing is said of those they do not mention.
    let has = |slug: &str| l.access.features.iter().any(|f| f == slug);
    let mut amenities = Vec::new();
    if has("parking") || has("blue-badge-parking") {
        amenities.push(json!({"@type": "Parking", "name": "Parking", "value": true}));
    }
    if has("accessible-toilet") {
        amenities.push(json!({"@type": "Toilets", "name": "Accessible toilet", "value": true}));
    }
    if !amenities.is_empty() {
        p.insert("amenityFeature".into(), Value::Array(amenities));
    }
    Some(Value::Object(p))
}

fn organizer(l: &Listing, id: &str) -> Option<Value> {
    let o = &l.organisation;
    if o.name.trim().is_empty() {
        return None;
    }
    let mut m = Map::new();
    m.insert("@type".into(), json!("Organization"));
    m.insert("@id".into(), json!(format!("{id}#organizer")));
    m.insert("name".into(), json!(o.name));
    if let Some(u) = &o.website {
        m.insert("url".into(), json!(u));
    }
    if let Some(e) = &o.email {
        m.insert("email".into(), json!(e));
    }
    if let Some(p) = &o.phone {
        m.insert("telephone".into(), json!(p));
    }
    Some(Value::Object(m))
}

/// The listing as a `SessionSeries`, or why it cannot be one. `base` is the site's
/// address; `context` the `@context` to use.
pub fn session_series(
    l: &Listing,
    base: &str,
    taxonomy: &Taxonomy,
    attribution: &Attribution,
) -> Result<Value, Unpublishable> {
    let activity = activities(l, taxonomy);
    if activity.is_empty() {
        return Err(Unpublishable::NoActivity);
    }
    let venue = l
        .modes
        .contains(&Mode::InPerson)
        .then(|| place(l))
        .flatten();
    let online = l.modes.contains(&Mode::Online);
    if venue.is_none() && !online {
        return Err(Unpublishable::NoPlace);
    }
    if !l.cost.free && l.cost.amount_pence.is_none() {
        return Err(Unpublishable::NoPrice);
    }
    let id = series_id(base, l.id);
    let mut s = Map::new();
    s.insert(
        "@context".into(),
        json!([CONTEXT, super::context_url(base)]),
    );
    s.insert("@type".into(), json!("SessionSeries"));
    s.insert("@id".into(), json!(id));
    s.insert("identifier".into(), json!(l.id.to_string()));
    s.insert("name".into(), json!(l.title));
    let description = if l.description.trim().is_empty() {
        &l.summary
    } else {
        &l.description
    };
    if !description.trim().is_empty() {
        s.insert("description".into(), json!(description));
    }
    s.insert("url".into(), json!(id));
    s.insert("activity".into(), Value::Array(activity));
    if let Some(o) = organizer(l, &id) {
        s.insert("organizer".into(), o);
    }
    s.insert(
        "eventAttendanceMode".into(),
        json!(match (venue.is_some(), online) {
            (true, true) => "https://schema.org/MixedEventAttendanceMode",
            (false, true) => "https://schema.org/OnlineEventAttendanceMode",
            _ => "https://schema.org/OfflineEventAttendanceMode",
        }),
    );
    if let Some(v) = venue {
        s.insert("location".into(), v);
    }
    let support = accessibility(l, taxonomy);
    if !support.is_empty() {
        s.insert("accessibilitySupport".into(), Value::Array(support));
    }
    if !l.access.notes.trim().is_empty() {
        s.insert("accessibilityInformation".into(), json!(l.access.notes));
    }
    let a = &l.audience;
    if a.age_min.is_some() || a.age_max.is_some() {
        let mut r = Map::new();
        r.insert("@type".into(), json!("QuantitativeValue"));
        if let Some(m) = a.age_min {
            r.insert("minValue".into(), json!(m));
        }
        if let Some(m) = a.age_max {
            r.insert("maxValue".into(), json!(m));
        }
        s.insert("ageRange".into(), Value::Object(r));
    }
    s.insert(
        "genderRestriction".into(),
        json!(match a.gender {
            Gender::Any => "https://openactive.io/NoRestriction",
            Gender::Women => "https://openactive.io/FemaleOnly",
            Gender::Men => "https://openactive.io/MaleOnly",
        }),
    );
    let circumstances: Vec<&str> = a
        .circumstances
        .iter()
        .filter_map(|c| taxonomy.circumstance(c).map(|c| c.label.as_str()))
        .collect();
    if !circumstances.is_empty() {
        s.insert("category".into(), json!(circumstances));
    }
    if l.cost.free {
        s.insert("isAccessibleForFree".into(), json!(true));
        s.insert(
            "offers".into(),
            json!([{"@type": "Offer", "@id": format!("{id}#offer"), "price": 0, "priceCurrency": "GBP"}]),
        );
    } else if let Some(p) = l.cost.amount_pence {
        s.insert("isAccessibleForFree".into(), json!(false));
        let mut offer = json!({
            "@type": "Offer",
            "@id": format!("{id}#offer"),
            "price": f64::from(p) / 100.0,
            "priceCurrency": "GBP",
        });
        if let Some(text) = &l.cost.price {
            offer["name"] = json!(text);
        }
        s.insert("offers".into(), json!([offer]));
    }
    if !l.join.details.trim().is_empty() {
        s.insert("attendeeInstructions".into(), json!(l.join.details));
    }
    if !l.join.meeting_point.trim().is_empty() {
        s.insert("meetingPoint".into(), json!(l.join.meeting_point));
    }
    if let Some(name) = &l.join.leader {
        s.insert(
            "leader".into(),
            json!([{"@type": "Person", "@id": format!("{id}#leader"), "name": name}]),
        );
    }
    if let Some(n) = l.join.places {
        s.insert("maximumAttendeeCapacity".into(), json!(n));
    }
    if let Some(level) = a.level {
        s.insert("level".into(), json!(level.openactive()));
    }
    let travel: Vec<Value> = l
        .access
        .travel
        .iter()
        .map(|t| {
            json!({"@type": "TransportNote", "transportMode": t.by.openactive(), "description": t.note})
        })
        .collect();
    // The accessibility profile's `transportNote`, which the OpenActive data model
    // does not define (its validator fails the unprefixed name): published under
    // Signpost's own namespace, as the model asks of extensions.
    if !travel.is_empty() {
        s.insert("signpost:transportNote".into(), Value::Array(travel));
    }
    let schedules: Vec<Value> = l
        .schedule
        .sessions
        .iter()
        .map(|r| schedule_of(r, &l.schedule.except))
        .collect();
    if !schedules.is_empty() {
        s.insert("eventSchedule".into(), Value::Array(schedules));
    }
    let sessions: Vec<Value> = l
        .schedule
        .dates
        .iter()
        .map(|d| {
            let mut e = Map::new();
            e.insert("@type".into(), json!("ScheduledSession"));
            e.insert(
                "@id".into(),
                json!(format!("{id}#{}T{}", d.date, d.start.format("%H%M"))),
            );
            e.insert("startDate".into(), json!(local(d.date, d.start)));
            if let Some(end) = d.end {
                e.insert("endDate".into(), json!(local(d.date, end)));
                e.insert(
                    "duration".into(),
                    json!(duration(minutes_between(d.start, end))),
                );
            }
            Value::Object(e)
        })
        .collect();
    if !sessions.is_empty() {
        s.insert("subEvent".into(), Value::Array(sessions));
    }
    if !l.schedule.note.trim().is_empty() {
        s.insert("schedulingNote".into(), json!(l.schedule.note));
    }
    s.insert(
        "signpost:attribution".into(),
        json!({"@type": "Organization", "name": attribution.name}),
    );
    s.insert("signpost:license".into(), json!(attribution.licence));
    Ok(Value::Object(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::schedule::{OneOff, Schedule};
    use crate::listing::{Cost, Venue};

    fn listing() -> Listing {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        Listing {
            id: 7,
            title: "Walk and talk".into(),
            summary: String::new(),
            description: "A gentle walk.".into(),
            organisation: Default::default(),
            types: vec!["walking".into(), "befriending".into()],
            modes: vec![Mode::InPerson],
            venue: Some(Venue {
                name: "Library".into(),
                address: "Tatton Road, Sale".into(),
                postcode: Some("M33 7YH".into()),
                lat: Some(53.42),
                lon: Some(-2.32),
                geo_precision: None,
            }),
            area_served: Default::default(),
            schedule: Schedule {
                sessions: vec![SessionRule {
                    repeat: Repeat::Monthly,
                    day: Day::Tue,
                    week_of_month: Some(-1),
                    start: t(10, 0),
                    end: Some(t(11, 30)),
                    starting: None,
                    until: None,
                }],
                dates: vec![OneOff {
                    date: NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
                    start: t(14, 0),
                    end: None,
                }],
                except: vec![
                    NaiveDate::from_ymd_opt(2026, 12, 29).unwrap(),
                    NaiveDate::from_ymd_opt(2026, 12, 30).unwrap(),
                ],
                note: String::new(),
            },
            cost: Cost {
                free: true,
                ..Default::default()
            },
            access: Default::default(),
            audience: Default::default(),
            join: Default::default(),
            provenance: Default::default(),
            status: Default::default(),
        }
    }

    fn attribution() -> Attribution {
        Attribution {
            name: "Groups".into(),
            licence: "https://creativecommons.org/licenses/by/4.0/".into(),
        }
    }

    #[test]
    fn a_listing_becomes_a_session_series() {
        let tx = Taxonomy::embedded();
        let s = session_series(&listing(), "https://s.example", tx, &attribution()).unwrap();
        assert_eq!(s["@id"], "https://s.example/listings/7");
        assert_eq!(
            s["activity"].as_array().unwrap().len(),
            1,
            "befriending has none"
        );
        assert_eq!(s["activity"][0]["prefLabel"], "Walking");
        let e = &s["eventSchedule"][0];
        assert_eq!(e["repeatFrequency"], "P1M");
        assert_eq!(e["signpost:byMonthWeek"], -1);
        assert_eq!(e["byDay"], json!(["https://schema.org/Tuesday"]));
        assert_eq!(e["duration"], "PT1H30M");
        // Only the dates off this rule would have run on (29 December is a Tuesday).
        assert_eq!(e["exceptDate"], json!(["2026-12-29"]));
        assert_eq!(s["subEvent"][0]["startDate"], "2026-12-24T14:00:00+00:00");
        let a = &s["location"]["address"];
        assert_eq!(a["streetAddress"], "Tatton Road");
        assert_eq!(a["addressLocality"], "Sale");
        assert_eq!(a["addressRegion"], "Trafford");
        assert_eq!(s["isAccessibleForFree"], true);
        assert_eq!(s["offers"][0]["price"], 0);
        assert!(s["location"].get("amenityFeature").is_none(), "none said");
        for absent in ["leader", "level", "meetingPoint", "maximumAttendeeCapacity"] {
            assert!(s.get(absent).is_none(), "{absent}");
        }

        // What the group said about joining and getting there, in OpenActive's words.
        let mut l = listing();
        l.access.features = vec!["blue-badge-parking".into(), "accessible-toilet".into()];
        l.access.travel = vec![crate::listing::Travel {
            by: crate::listing::TravelMode::Car,
            note: "Car park behind the hall.".into(),
        }];
        l.audience.level = Some(crate::listing::Level::Mixed);
        l.join.leader = Some("Sue".into());
        l.join.places = Some(12);
        l.join.meeting_point = "The side door.".into();
        let s = session_series(&l, "https://s.example", tx, &attribution()).unwrap();
        assert_eq!(
            s["location"]["amenityFeature"],
            json!([
                {"@type": "Parking", "name": "Parking", "value": true},
                {"@type": "Toilets", "name": "Accessible toilet", "value": true}
            ])
        );
        assert_eq!(s["leader"][0]["name"], "Sue");
        assert_eq!(s["leader"][0]["@type"], "Person");
        assert_eq!(s["maximumAttendeeCapacity"], 12);
        assert_eq!(s["meetingPoint"], "The side door.");
        assert_eq!(s["level"], json!(["Beginner", "Intermediate", "Advanced"]));
        assert_eq!(
            s["signpost:transportNote"],
            json!([{"@type": "TransportNote", "transportMode": "car", "description": "Car park behind the hall."}])
        );
    }

    #[test]
    fn what_openactive_cannot_carry_is_left_out() {
        let tx = Taxonomy::embedded();
        let a = attribution();
        let mut l = listing();
        l.types = vec!["befriending".into()];
        assert_eq!(
            session_series(&l, "b", tx, &a).unwrap_err(),
            Unpublishable::NoActivity
        );
        let mut l = listing();
        l.modes = vec![Mode::Phone];
        assert_eq!(
            session_series(&l, "b", tx, &a).unwrap_err(),
            Unpublishable::NoPlace
        );
        let mut l = listing();
        l.cost = Cost {
            price: Some("Ask".into()),
            ..Default::default()
        };
        assert_eq!(
            session_series(&l, "b", tx, &a).unwrap_err(),
            Unpublishable::NoPrice
        );
    }

    #[test]
    fn durations_and_local_times() {
        assert_eq!(duration(90), "PT1H30M");
        assert_eq!(duration(60), "PT1H");
        assert_eq!(duration(45), "PT45M");
        let d = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let t = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        assert_eq!(local(d, t), "2026-07-01T10:00:00+01:00");
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(local(d, t), "2026-12-01T10:00:00+00:00");
    }
}
