//! OpenActive items into listings.
//!
//! One listing per real activity: a `SessionSeries` (or `Event`, `CourseInstance`,
//! `FacilityUse`, `HeadlineEvent`, `OnDemandEvent`, or the legacy pre-2.0 `Event` with
//! `subEvent`) is the listing, and its `ScheduledSession`s / `Slot`s (embedded, or from
//! another feed pointing at it by `superEvent` / `facilityUse`) become its dated
//! sessions. Recurring `eventSchedule`s become weekly, fortnightly or monthly rules.
//! Values are read leniently, because real publishers differ: ids or objects, strings
//! or numbers, arrays or single values, schema.org URLs or bare names.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use chrono_tz::Europe::London;
use serde_json::Value;

use crate::listing::parse;
use crate::listing::schedule::{OneOff, Repeat, Schedule, SessionRule};
use crate::listing::{
    Access, Audience, Contact, Cost, Day, Gender, Join, JoinMethod, Level, Listing, Mode,
    Organisation, Provenance, Taxonomy, Travel, TravelMode, Venue,
};
use crate::store::StoredItem;

/// Types that are a listing in their own right.
const PARENTS: &[&str] = &[
    "SessionSeries",
    "Event",
    "CourseInstance",
    "Course",
    "FacilityUse",
    "IndividualFacilityUse",
    "HeadlineEvent",
    "OnDemandEvent",
    "EventSeries",
    // A schema.org Service on a group's web page (see `ingest::webpage`).
    "Service",
];
/// Types that are dated occurrences of a parent.
const CHILDREN: &[&str] = &["ScheduledSession", "Slot"];

/// At most this many upcoming dates are kept from a feed.
const MAX_DATES: usize = 60;

pub fn type_of(v: &Value) -> &str {
    v.get("@type")
        .or_else(|| v.get("type"))
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
}

/// An object's identity: `@id`, `id` or `identifier`.
pub fn id_of(v: &Value) -> Option<String> {
    for key in ["@id", "id", "identifier"] {
        match v.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_string()),
            Some(Value::Number(n)) => return Some(n.to_string()),
            _ => {}
        }
    }
    None
}

/// The parent a child item points at (`superEvent` or `facilityUse`), as an id.
pub fn parent_ref(data: &Value) -> Option<String> {
    for key in ["superEvent", "facilityUse"] {
        match data.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_string()),
            Some(v @ Value::Object(_)) => return id_of(v),
            _ => {}
        }
    }
    None
}

/// Which listing an item belongs to: its parent's id for a child, its own id for a
/// parent. The RPDE item id is the fallback, qualified by feed so ids can't collide.
pub fn group_key(feed: &str, item_id: &str, data: &Value) -> String {
    if CHILDREN.contains(&type_of(data))
        && let Some(p) = parent_ref(data)
    {
        return p;
    }
    id_of(data).unwrap_or_else(|| format!("{feed}#{item_id}"))
}

fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => {
            let t = strip_html(s);
            (!t.is_empty()).then_some(t)
        }
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

pub use crate::ingest::text::strip_html;
use crate::ingest::text::{summary_of, truncate};
use crate::listing::validate;

/// "https://schema.org/Monday", "schema:Monday" or just "Monday".
fn day_of(v: &Value) -> Option<Day> {
    let s = v.as_str()?.trim();
    parse::day(s.rsplit(['/', '#', ':']).next().unwrap_or(s))
}

fn time_of(v: Option<&Value>) -> Option<NaiveTime> {
    parse::time(v?.as_str()?)
}

fn date_of(v: Option<&Value>) -> Option<NaiveDate> {
    parse::date(v?.as_str()?)
}

/// A date-time as UK local time. Values without an offset are taken as UK time already.
fn local_datetime(v: Option<&Value>) -> Option<NaiveDateTime> {
    let s = v?.as_str()?.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&London).naive_local());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()
}

/// ISO 8601 durations as used by schedules: P7D, P1W, P14D, P2W, P1M.
fn repeat_of(v: Option<&Value>) -> Option<Repeat> {
    match v?.as_str()?.trim().to_ascii_uppercase().as_str() {
        "P7D" | "P1W" => Some(Repeat::Weekly),
        "P14D" | "P2W" => Some(Repeat::Fortnightly),
        "P1M" => Some(Repeat::Monthly),
        _ => None,
    }
}

fn duration_minutes(v: Option<&Value>) -> Option<i64> {
    let s = v?.as_str()?.trim().to_ascii_uppercase();
    let t = s.strip_prefix("PT")?;
    let (mut mins, mut num) = (0i64, String::new());
    for c in t.chars() {
        match c {
            '0'..='9' => num.push(c),
            'H' => mins += std::mem::take(&mut num).parse::<i64>().ok()? * 60,
            'M' => mins += std::mem::take(&mut num).parse::<i64>().ok()?,
            'S' => num.clear(),
            _ => return None,
        }
    }
    Some(mins)
}

/// What an `eventSchedule` entry says: weekly, fortnightly or monthly rules, dates off,
/// and for daily schedules (a course or camp on consecutive days) the dates themselves.
type ScheduleParts = (Vec<SessionRule>, Vec<NaiveDate>, Vec<OneOff>);

fn rules_from(schedule: &Value) -> ScheduleParts {
    let mut rules = Vec::new();
    let mut except = Vec::new();
    let Some(start) = time_of(schedule.get("startTime")) else {
        return (rules, except, Vec::new());
    };
    let daily = schedule
        .get("repeatFrequency")
        .and_then(Value::as_str)
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("P1D"));
    if daily {
        let end = time_of(schedule.get("endTime")).filter(|e| *e > start);
        let mut dates = Vec::new();
        if let (Some(first), Some(last)) = (
            date_of(schedule.get("startDate")),
            date_of(schedule.get("endDate")),
        ) {
            let mut d = first;
            while d <= last && dates.len() < MAX_DATES {
                dates.push(OneOff {
                    date: d,
                    start,
                    end,
                });
                d = d.succ_opt().unwrap_or(last.succ_opt().unwrap_or(last));
            }
        }
        return (rules, except, dates);
    }
    let Some(repeat) = repeat_of(schedule.get("repeatFrequency")) else {
        return (rules, except, Vec::new());
    };
    let end = time_of(schedule.get("endTime")).or_else(|| {
        duration_minutes(schedule.get("duration"))
            .filter(|m| *m > 0 && *m < 24 * 60)
            .and_then(|m| {
                start
                    .overflowing_add_signed(chrono::Duration::minutes(m))
                    .0
                    .into()
            })
            .filter(|e: &NaiveTime| *e > start)
    });
    let starting = date_of(schedule.get("startDate"));
    let until = date_of(schedule.get("endDate"));
    let week_of_month = schedule
        .get("byMonthWeek")
        .or_else(|| schedule.get("schema:byMonthWeek"))
        .or_else(|| schedule.get("signpost:byMonthWeek"))
        .and_then(Value::as_i64)
        .and_then(|w| i8::try_from(w).ok());
    for d in as_list(schedule.get("byDay")) {
        let Some(day) = day_of(d) else { continue };
        // A fortnightly rule needs its first date on the right weekday.
        let first = starting.map(|s| {
            let mut s = s;
            while s.weekday() != day.to_chrono() {
                s = s.succ_opt().unwrap_or(s);
            }
            s
        });
        let rule = SessionRule {
            repeat,
            day,
            week_of_month: if repeat == Repeat::Monthly {
                Some(week_of_month.unwrap_or(1))
            } else {
                None
            },
            start,
            end: end.filter(|e| *e > start),
            starting: first,
            until: until.filter(|u| first.is_none_or(|f| *u >= f)),
        };
        if rule.validate().is_ok() {
            rules.push(rule);
        }
    }
    for x in as_list(schedule.get("exceptDate")) {
        if let Some(dt) = local_datetime(Some(x)) {
            except.push(dt.date());
        } else if let Some(d) = date_of(Some(x)) {
            except.push(d);
        }
    }
    (rules, except, Vec::new())
}

fn occurrence(v: &Value) -> Option<OneOff> {
    let start = local_datetime(v.get("startDate"))?;
    let end = local_datetime(v.get("endDate"))
        .filter(|e| e.date() == start.date() && *e > start)
        .map(|e| e.time())
        .or_else(|| {
            duration_minutes(v.get("duration"))
                .map(|m| start + chrono::Duration::minutes(m))
                .filter(|e| e.date() == start.date())
                .map(|e| e.time())
        });
    Some(OneOff {
        date: start.date(),
        start: start.time().with_second(0)?,
        end,
    })
}

fn organisation_of(v: Option<&Value>) -> Organisation {
    let Some(o) = as_list(v).into_iter().find(|o| o.is_object()) else {
        return Organisation::default();
    };
    let s = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    Organisation {
        name: s("name").unwrap_or_default(),
        website: s("url").as_deref().and_then(parse::web_address),
        email: s("email").as_deref().and_then(parse::email),
        phone: s("telephone"),
    }
}

fn venue_of(loc: &Value) -> Option<Venue> {
    if !loc.is_object() || type_of(loc) == "VirtualLocation" {
        return None;
    }
    let s = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let (address, mut postcode) = match loc.get("address") {
        Some(Value::String(a)) => (a.trim().to_string(), None),
        Some(a @ Value::Object(_)) => {
            let mut parts: Vec<String> = ["streetAddress", "addressLocality", "addressRegion"]
                .iter()
                .map(|k| s(a.get(*k)))
                .filter(|p| !p.is_empty())
                .collect();
            // A town that is also the region ("Trafford, Trafford") is said once.
            parts.dedup_by(|b, a| a.eq_ignore_ascii_case(b));
            let pc = s(a.get("postalCode"));
            (parts.join(", "), (!pc.is_empty()).then_some(pc))
        }
        _ => (String::new(), None),
    };
    if postcode.is_none() {
        // Legacy feeds put the postcode inside a one-line address.
        postcode = address
            .split(',')
            .map(str::trim)
            .find(|p| crate::geo::postcode::Postcode::parse(p).is_ok())
            .map(String::from);
    }
    let geo = loc.get("geo");
    let num = |k: &str| {
        geo.and_then(|g| g.get(k)).and_then(|v| {
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
    };
    let (lat, lon) = match (num("latitude"), num("longitude")) {
        (Some(a), Some(b))
            if (-90.0..=90.0).contains(&a)
                && (-180.0..=180.0).contains(&b)
                && (a, b) != (0.0, 0.0) =>
        {
            (Some(a), Some(b))
        }
        _ => (None, None),
    };
    Some(Venue {
        name: s(loc.get("name")),
        address,
        postcode,
        lat,
        lon,
        geo_precision: None,
    })
}

fn cost_of(p: &Value) -> Cost {
    let mut offers = as_list(p.get("offers"));
    offers.extend(as_list(p.get("offer")));
    let prices: Vec<f64> = offers
        .iter()
        .filter_map(|o| {
            let v = o.get("price")?;
            v.as_f64().or_else(|| {
                v.as_str()
                    .and_then(|s| s.trim().trim_start_matches('£').parse().ok())
            })
        })
        .filter(|p| p.is_finite() && *p >= 0.0)
        .collect();
    let free_flag = p.get("isAccessibleForFree").and_then(Value::as_bool) == Some(true);
    let min = prices.iter().copied().fold(f64::INFINITY, f64::min);
    if free_flag || (!prices.is_empty() && prices.iter().all(|p| *p == 0.0)) {
        return Cost {
            free: true,
            ..Default::default()
        };
    }
    if min.is_finite() {
        let pence = (min * 100.0).round() as u32;
        let mut price = format!("£{}.{:02}", pence / 100, pence % 100);
        if prices.len() > 1 && prices.iter().any(|p| *p > min) {
            price = format!("From {price}");
        }
        return Cost {
            free: false,
            price: Some(price),
            amount_pence: Some(pence),
            ..Default::default()
        };
    }
    Cost::default()
}

/// Types from the activities a record names, through the Activity List (its own
/// concept, then the nearest `broader` one that is mapped; or a concept found by its
/// label), then from its name. An activity that still fits none leaves the types
/// empty, and the importer takes them from the record's words or gives the general
/// type.
fn types_of(p: &Value, taxonomy: &Taxonomy) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for a in as_list(p.get("activity")) {
        let (id, label) = match a {
            Value::String(s) => (None, s.trim().to_string()),
            Value::Object(_) => (
                id_of(a),
                a.get("prefLabel")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            ),
            _ => continue,
        };
        if let Some(t) = taxonomy.type_for_activity(id.as_deref(), &label)
            && !types.iter().any(|x| x == t)
        {
            types.push(t.to_string());
        }
    }
    if types.is_empty()
        && let Some(t) = p
            .get("name")
            .and_then(Value::as_str)
            .and_then(|n| taxonomy.type_for_label(n))
    {
        types.push(t.to_string());
    }
    types.truncate(3);
    types
}

/// The parent with what it leaves out filled in from what it is an instance of: an
/// embedded `superEvent` (an `EventSeries`) or `instanceOfCourse` (a `Course`). Its own
/// values win.
fn inherit(p: Value) -> Value {
    let mut merged = serde_json::Map::new();
    for key in ["superEvent", "instanceOfCourse"] {
        if let Some(Value::Object(up)) = p.get(key) {
            for (k, v) in up {
                if !v.is_null()
                    && !matches!(k.as_str(), "@id" | "id" | "identifier" | "@type" | "type")
                {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
    }
    if let Value::Object(own) = p {
        for (k, v) in own {
            if !v.is_null() {
                merged.insert(k, v);
            }
        }
    }
    Value::Object(merged)
}

/// The parent of a group of items (a series, a facility use, a course): the one with
/// the group's id, else any parent, else one a child embeds.
fn parent_of(values: &[&Value], group_key: &str) -> Option<Value> {
    let is_parent = |v: &Value| {
        PARENTS.contains(&type_of(v))
            && parent_ref(v).is_none_or(|_| !CHILDREN.contains(&type_of(v)))
    };
    values
        .iter()
        .find(|v| is_parent(v) && id_of(v).as_deref() == Some(group_key))
        .or_else(|| values.iter().find(|v| is_parent(v)))
        .map(|v| (*v).clone())
        .or_else(|| {
            // A child that embeds its parent is enough on its own.
            values.iter().find_map(
                |v| match v.get("superEvent").or_else(|| v.get("facilityUse")) {
                    Some(o @ Value::Object(_)) => Some(o.clone()),
                    _ => None,
                },
            )
        })
}

/// In person when it has a venue (and is not online only), online when it says so.
fn modes_of(p: &Value, mode_word: &str, location: Option<&Value>, has_venue: bool) -> Vec<Mode> {
    let mut modes = Vec::new();
    let online = type_of(p) == "OnDemandEvent"
        || mode_word.ends_with("OnlineEventAttendanceMode")
        || mode_word.ends_with("MixedEventAttendanceMode")
        || location.is_some_and(|l| type_of(l) == "VirtualLocation")
        || p.get("virtualLocation").is_some();
    if !mode_word.ends_with("OnlineEventAttendanceMode")
        && type_of(p) != "OnDemandEvent"
        && has_venue
    {
        modes.push(Mode::InPerson);
    }
    if online {
        modes.push(Mode::Online);
    }
    modes
}

/// The rules of its `eventSchedule`s and its dated sessions from today on (at most
/// `MAX_DATES`); and whether it gave any dates at all, past ones included.
fn schedule_for(p: &Value, children: &[&Value], today: chrono::NaiveDate) -> (Schedule, bool) {
    let mut schedule = Schedule::default();
    let mut daily = Vec::new();
    for s in as_list(p.get("eventSchedule")) {
        let (rules, except, dates) = rules_from(s);
        schedule.sessions.extend(rules);
        schedule.except.extend(except);
        daily.extend(dates);
    }
    let had_dates = !children.is_empty() || occurrence(p).is_some() || !daily.is_empty();
    let mut dates: Vec<OneOff> = children
        .iter()
        .filter_map(|c| occurrence(c))
        .chain(occurrence(p))
        .chain(daily)
        .filter(|d| d.date >= today)
        .collect();
    dates.sort_by_key(|d| (d.date, d.start));
    dates.dedup_by_key(|d| (d.date, d.start));
    dates.truncate(MAX_DATES);
    schedule.dates = dates;
    schedule.except.sort();
    schedule.except.dedup();
    (schedule, had_dates)
}

/// Accessibility from the OpenActive support list, the venue's parking, and notes.
fn access_of(
    support: Vec<&Value>,
    location: Option<&Value>,
    information: Option<String>,
    taxonomy: &Taxonomy,
) -> Access {
    let mut access = Access::default();
    for a in support {
        if let Some(id) = id_of(a) {
            for slug in taxonomy.access_for_openactive(&id) {
                if !access.features.iter().any(|f| f == slug) {
                    access.features.push(slug.to_string());
                }
            }
        }
    }
    if let Some(loc) = location {
        for f in as_list(loc.get("amenityFeature")) {
            if f.get("value").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let name = text(f.get("name")).unwrap_or_default().to_lowercase();
            let slug = match type_of(f) {
                "Parking" => "parking",
                "Toilets" if name.contains("accessible") || name.contains("disabled") => {
                    "accessible-toilet"
                }
                _ => continue,
            };
            if !access.features.iter().any(|x| x == slug) {
                access.features.push(slug.into());
            }
        }
    }
    if let Some(info) = information {
        access.notes = info;
    }
    access
}

/// Ages (0 as a minimum means none) and who may come.
fn audience_of(age_range: Option<&Value>, gender: Option<&Value>) -> Audience {
    let mut audience = Audience::default();
    if let Some(r) = age_range {
        let n = |k: &str| {
            r.get(k)
                .and_then(Value::as_u64)
                .filter(|a| *a <= 120)
                .map(|a| a as u8)
        };
        audience.age_min = n("minValue").filter(|a| *a > 0);
        audience.age_max = n("maxValue").filter(|m| audience.age_min.is_none_or(|a| *m >= a));
    }
    let gender = gender
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    audience.gender = if gender.ends_with("femaleonly") || gender == "female" {
        Gender::Women
    } else if gender.ends_with("maleonly") || gender == "male" {
        Gender::Men
    } else {
        Gender::Any
    };
    audience
}

/// The leaders' names ("Sue", "Sue Smith and Raj"), from `Person`s or plain names.
fn leaders_of(v: Option<&Value>) -> Option<String> {
    let mut names: Vec<String> = as_list(v)
        .into_iter()
        .filter_map(|p| {
            text(p.get("name"))
                .or_else(|| {
                    let parts: Vec<String> = ["givenName", "familyName"]
                        .iter()
                        .filter_map(|k| text(p.get(*k)))
                        .collect();
                    (!parts.is_empty()).then(|| parts.join(" "))
                })
                .or_else(|| text(Some(p)))
        })
        .collect();
    // A feed may name a whole rota; the page says who to look for, not everyone.
    while names.len() > 1 && names.iter().map(|n| n.len() + 2).sum::<usize>() > 250 {
        names.pop();
    }
    match names.split_last() {
        None => None,
        Some((last, [])) if last.chars().count() > 250 => None,
        Some((last, [])) => Some(last.clone()),
        Some((last, rest)) => Some(format!("{} and {last}", rest.join(", "))),
    }
}

/// The accessibility profile's `TransportNote`s: how to get there, by way of travel.
fn travel_of(v: Option<&Value>) -> Vec<Travel> {
    as_list(v)
        .into_iter()
        .filter_map(|n| {
            let note = text(n.get("description")).or_else(|| text(Some(n)))?;
            let mode = n
                .get("transportMode")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase();
            let by = if [
                "bus", "train", "tram", "public", "rail", "metro", "tube", "coach",
            ]
            .iter()
            .any(|w| mode.contains(w))
            {
                TravelMode::PublicTransport
            } else if ["car", "driv", "park", "taxi"]
                .iter()
                .any(|w| mode.contains(w))
            {
                TravelMode::Car
            } else {
                TravelMode::Any
            };
            Some(Travel {
                by,
                note: truncate(&note, validate::MAX_TRAVEL),
            })
        })
        .collect()
}

/// Booking on the provider's site when it gives one, else drop in.
fn join_of(url: Option<String>) -> Join {
    Join {
        method: if url.is_some() {
            JoinMethod::Book
        } else {
            JoinMethod::DropIn
        },
        details: if url.is_some() {
            "Book or check availability on the provider's website.".into()
        } else {
            String::new()
        },
        contact: Contact {
            url,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Builds the listing for one group of stored items. `Ok(None)` means the group has no
/// parent yet (sessions whose series has not arrived), so there is nothing to list.
pub fn listing_for_group(
    source: &str,
    group_key: &str,
    items: &[StoredItem],
    taxonomy: &Taxonomy,
    now: NaiveDateTime,
) -> Result<Option<Listing>, String> {
    let values: Vec<Value> = items
        .iter()
        .filter_map(|i| serde_json::from_str(&i.data).ok())
        .collect();
    let values: Vec<&Value> = values.iter().collect();
    listing_for_values(source, group_key, &values, taxonomy, now)
}

/// [`listing_for_group`] on items already parsed: a harvest passes the items it has
/// just read from the feed rather than parse back the copies it stored.
pub fn listing_for_values(
    source: &str,
    group_key: &str,
    values: &[&Value],
    taxonomy: &Taxonomy,
    now: NaiveDateTime,
) -> Result<Option<Listing>, String> {
    let parent = parent_of(values, group_key);
    let Some(p) = parent else {
        return Ok(None);
    };
    let p = inherit(p);
    let children: Vec<&Value> = values
        .iter()
        .copied()
        .filter(|v| CHILDREN.contains(&type_of(v)))
        .chain(as_list(p.get("subEvent")))
        .chain(as_list(p.get("event")))
        .collect();

    // Fields a child may carry when the parent leaves them out.
    let field = |k: &str| -> Option<&Value> {
        p.get(k).filter(|v| !v.is_null()).or_else(|| {
            children
                .iter()
                .find_map(|c| c.get(k).filter(|v| !v.is_null()))
        })
    };
    let title = text(field("name")).ok_or("the activity has no name")?;
    let description = text(field("description")).unwrap_or_default();
    let types = types_of(&p, taxonomy);

    let mode_word = field("eventAttendanceMode")
        .and_then(Value::as_str)
        .unwrap_or("");
    let location = field("location");
    let venue = location.and_then(venue_of);
    let modes = modes_of(&p, mode_word, location, venue.is_some());

    let (schedule, had_dates) = schedule_for(&p, &children, now.date());
    if had_dates && schedule.sessions.is_empty() && schedule.dates.is_empty() {
        return Err(format!(
            "'{title}' was skipped: all of its sessions are in the past"
        ));
    }

    let access = access_of(
        as_list(field("accessibilitySupport")),
        location,
        text(field("accessibilityInformation")),
        taxonomy,
    );
    let audience = audience_of(field("ageRange"), field("genderRestriction"));

    let url = field("url")
        .and_then(Value::as_str)
        .and_then(parse::web_address);
    let organisation = {
        let mut o = organisation_of(field("organizer"));
        if o.name.is_empty() {
            o = organisation_of(field("provider"));
        }
        o
    };
    let mut join = join_of(url.clone());
    // What to do to take part, in the publisher's words (the social prescribing
    // profile's `attendeeInstructions`), says more than the generic line.
    if let Some(how) = text(field("attendeeInstructions")) {
        join.details = how;
    }
    if let Some(at) = text(field("meetingPoint")) {
        join.meeting_point = truncate(&at, validate::MAX_MEETING_POINT);
    }
    join.leader = leaders_of(field("leader"));
    join.places = field("maximumAttendeeCapacity")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
        .and_then(|n| u32::try_from(n).ok());
    let mut audience = audience;
    audience.level = Level::from_words(as_list(field("level")).into_iter().filter_map(|l| {
        l.as_str()
            .or_else(|| l.get("prefLabel").and_then(Value::as_str))
    }));
    let mut access = access;
    access.travel = travel_of(
        [
            "transportNote",
            "beta:transportNote",
            "signpost:transportNote",
        ]
        .iter()
        .find_map(|k| field(k)),
    );
    let mut schedule = schedule;
    if let Some(note) = text(field("schedulingNote")) {
        schedule.note = note;
    }

    Ok(Some(Listing {
        id: 0,
        title,
        summary: summary_of(&description),
        description,
        organisation,
        types,
        modes,
        venue,
        area_served: Default::default(),
        schedule,
        cost: cost_of(&p),
        access,
        audience,
        join,
        provenance: Provenance {
            source: source.to_string(),
            source_id: group_key.to_string(),
            source_url: url,
            updated_at: None,
            verified_at: None,
        },
        status: Default::default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_map_to_rules() {
        let s: Value = serde_json::json!({
            "byDay": ["https://schema.org/Thursday", "Monday"],
            "startTime": "11:00", "duration": "PT3H", "repeatFrequency": "P14D",
            "startDate": "2026-01-01", "exceptDate": ["2026-07-23T10:00:00.000Z"]
        });
        let (rules, except, _) = rules_from(&s);
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].day, Day::Thu);
        assert_eq!(rules[0].repeat, Repeat::Fortnightly);
        assert_eq!(rules[0].starting, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(rules[1].starting, NaiveDate::from_ymd_opt(2026, 1, 5));
        assert_eq!(rules[0].end, NaiveTime::from_hms_opt(14, 0, 0));
        assert_eq!(except, vec![NaiveDate::from_ymd_opt(2026, 7, 23).unwrap()]);
    }

    #[test]
    fn times_are_uk_local() {
        let v = serde_json::json!({"startDate": "2026-07-01T09:00:00Z", "endDate": "2026-07-01T10:30:00Z"});
        let o = occurrence(&v).unwrap();
        assert_eq!(o.start, NaiveTime::from_hms_opt(10, 0, 0).unwrap());
        assert_eq!(o.end, NaiveTime::from_hms_opt(11, 30, 0));
    }
}
