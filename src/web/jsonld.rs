//! schema.org JSON-LD for a listing page, so search engines can show the activity
//! with its times, place and price.
//!
//! A recurring activity is an `Event` with an `eventSchedule` (schema.org `Schedule`),
//! the pattern Google documents for repeating events. The JSON is embedded in a
//! `<script type="application/ld+json">` data block, which browsers never execute, so
//! the strict CSP still holds; `<` is escaped so text can never close the element.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::listing::schedule::Repeat;
use crate::listing::{Listing, Mode};

pub fn listing(l: &Listing, page_url: &str, now: NaiveDateTime) -> String {
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": l.title,
        "description": if l.summary.is_empty() { &l.description } else { &l.summary },
        "url": page_url,
        "eventStatus": "https://schema.org/EventScheduled",
        "isAccessibleForFree": l.cost.free,
    });
    let online = l.modes.contains(&Mode::Online);
    let in_person = l.modes.contains(&Mode::InPerson);
    v["eventAttendanceMode"] = json!(match (in_person, online) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (false, true) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    });
    if !l.organisation.name.is_empty() {
        let mut org = json!({"@type": "Organization", "name": l.organisation.name});
        if let Some(w) = &l.organisation.website {
            org["url"] = json!(w);
        }
        v["organizer"] = org;
    }
    if let Some(venue) = l.venue.as_ref().filter(|_| in_person) {
        let mut place = json!({
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": venue.address,
                "postalCode": venue.postcode,
                "addressCountry": "GB",
            },
        });
        if let (Some(lat), Some(lon)) = (venue.lat, venue.lon) {
            place["geo"] = json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon});
        }
        v["location"] = place;
    } else if online {
        v["location"] = json!({"@type": "VirtualLocation", "url": page_url});
    }
    if let Some(next) = l.schedule.next(now) {
        v["startDate"] = json!(next.start.format("%Y-%m-%dT%H:%M").to_string());
        if let Some(end) = next.end {
            v["endDate"] = json!(end.format("%Y-%m-%dT%H:%M").to_string());
        }
    }
    let schedules: Vec<Value> = l
        .schedule
        .sessions
        .iter()
        .map(|s| {
            let mut sch = json!({
                "@type": "Schedule",
                "byDay": format!("https://schema.org/{}", s.day.name()),
                "startTime": s.start.format("%H:%M").to_string(),
                "scheduleTimezone": "Europe/London",
                "repeatFrequency": match s.repeat {
                    Repeat::Weekly => "P1W",
                    Repeat::Fortnightly => "P2W",
                    Repeat::Monthly => "P1M",
                },
            });
            if let Some(e) = s.end {
                sch["endTime"] = json!(e.format("%H:%M").to_string());
            }
            if let Some(w) = s.week_of_month {
                sch["byMonthWeek"] = json!(w);
            }
            sch
        })
        .collect();
    if !schedules.is_empty() {
        v["eventSchedule"] = json!(schedules);
    }
    let mut offer = json!({"@type": "Offer", "priceCurrency": "GBP", "url": page_url});
    if l.cost.free {
        offer["price"] = json!("0");
    } else if let Some(p) = l.cost.amount_pence {
        offer["price"] = json!(format!("{}.{:02}", p / 100, p % 100));
    }
    if let Some(p) = &l.cost.price {
        offer["description"] = json!(p);
    }
    v["offers"] = offer;
    if let Some(min) = l.audience.age_min {
        v["typicalAgeRange"] = json!(match l.audience.age_max {
            Some(max) => format!("{min}-{max}"),
            None => format!("{min}-"),
        });
    }
    data_block(&v)
}

/// JSON for a `<script type="application/ld+json">` block: `<`, `>` and `&` escaped so
/// no text in it can close the element.
pub fn data_block(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
