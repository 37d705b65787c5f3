//! One Open Referral service record into a listing.
//!
//! HSDS 3.0 / ORUK 3.0 nest everything under the service (organization,
//! service_at_locations → location → addresses, schedules, cost_options); ORUK 1.0 uses
//! older names for the same things (regular_schedules, physical_addresses,
//! accessibility_for_disabilities, eligibilitys, service_taxonomys). Both are read here,
//! leniently where a value is merely untidy (HTML, quotes around phone numbers, a web
//! address without "https://", an e-mail address with the sentence's full stop) and
//! strictly where the record is wrong (no id, no name, not active): a wrong record is
//! reported with every reason at once, the way the ORUK validator reports it, rather
//! than imported as garbage. Problems we can work around (a contact detail that is not
//! what it says, an unplaceable location when the service is also online, a schedule
//! that ended years ago) become warnings: the detail is left out, the service comes in.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde_json::Value;

use crate::geo::area::Area;
use crate::geo::postcode::Postcode;
use crate::ingest::text::{access_features_in, phone_number, strip_html, summary_of, truncate};
use crate::listing::parse::{self, email_as_written, web_address_as_written};
use crate::listing::schedule::{OneOff, Repeat, SessionRule};
use crate::listing::{
    Access, AreaServed, Audience, Contact, Cost, Day, Join, JoinMethod, Listing, Mode,
    Organisation, Provenance, Schedule, Taxonomy, Travel, TravelMode, Venue,
};
use crate::publish::taxonomy::{self as published, Vocab};

/// A mapped service and what we had to leave out or guess.
#[derive(Debug)]
pub struct Mapped {
    pub listing: Listing,
    pub warnings: Vec<String>,
}

/// Why a record was not imported.
#[derive(Debug)]
pub struct Rejected {
    pub id: Option<String>,
    pub reasons: Vec<String>,
}

fn list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().filter(|x| !x.is_null()).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    }
}

/// A text field, cleaned; placeholders that just repeat the field's own name (real
/// example data has `"wait_time": "wait_time"`) count as empty.
fn text(v: &Value, key: &str) -> Option<String> {
    let s = match v.get(key)? {
        Value::String(s) => strip_html(s),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty() && !s.eq_ignore_ascii_case(key)).then_some(s)
}

/// The record's id as text (numbers are allowed: ORUK 1.0 feeds often use them).
pub fn id_of(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_start_matches('£').trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

fn time(v: Option<&Value>) -> Option<NaiveTime> {
    parse::time(v?.as_str()?)
}

fn date(v: Option<&Value>) -> Option<NaiveDate> {
    parse::date(v?.as_str()?)
}

/// "MO", "Monday", "2TU", "-1FR" → (day, week of month).
fn byday(s: &str) -> Option<(Day, Option<i8>)> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, name) = s.split_at(split);
    let week = if num.is_empty() {
        None
    } else {
        Some(num.trim_start_matches('+').parse::<i8>().ok()?)
    };
    let day = parse::day(name)?;
    Some((day, week))
}

fn first_on_or_after(d: NaiveDate, day: Day) -> NaiveDate {
    let mut d = d;
    for _ in 0..7 {
        if d.weekday() == day.to_chrono() {
            break;
        }
        d = d.succ_opt().unwrap_or(d);
    }
    d
}

/// One HSDS schedule (3.0 `schedules` or 1.0 `regular_schedules`) into rules and
/// dates. Anything the rules cannot say goes back as a warning.
fn schedule_of(s: &Value, today: NaiveDate, out: &mut Schedule, warnings: &mut Vec<String>) {
    let desc = text(s, "description");
    let Some(start) = time(s.get("opens_at")) else {
        if desc.is_none() {
            warnings.push("a schedule has no opening time, so it was left out".into());
        }
        return;
    };
    let mut end = time(s.get("closes_at"));
    if end.is_some_and(|e| e <= start) {
        warnings.push(format!(
            "a schedule closes before it opens ({}); the closing time was left out",
            s.get("closes_at").and_then(Value::as_str).unwrap_or("")
        ));
        end = None;
    }
    let until = [date(s.get("until")), date(s.get("valid_to"))]
        .into_iter()
        .flatten()
        .min();
    if let Some(u) = until
        && u < today
    {
        warnings.push(format!(
            "a schedule ended on {}, so it was left out",
            u.format("%-d %B %Y")
        ));
        return;
    }
    let from = [date(s.get("dtstart")), date(s.get("valid_from"))]
        .into_iter()
        .flatten()
        .max();
    let freq = s
        .get("freq")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_ascii_uppercase();
    let interval = s.get("interval").and_then(Value::as_u64).unwrap_or(1);
    let mut days = days_of(s);
    let one_off = freq.is_empty()
        && days.is_empty()
        && (s.get("count").and_then(Value::as_u64) == Some(1) || from.is_some());
    if one_off {
        if let Some(d) = from.filter(|d| *d >= today) {
            out.dates.push(OneOff {
                date: d,
                start,
                end,
            });
        }
        return;
    }
    if freq == "DAILY" && days.is_empty() {
        days = Day::ALL.iter().map(|d| (*d, None)).collect();
    }
    let repeat = match (freq.as_str(), interval) {
        ("WEEKLY" | "DAILY" | "", 1) => Repeat::Weekly,
        ("WEEKLY", 2) => Repeat::Fortnightly,
        ("MONTHLY", 1) => Repeat::Monthly,
        _ => {
            warnings.push(format!(
                "a schedule repeats in a way Signpost cannot show (freq {freq}, interval {interval}); its description was kept as a note"
            ));
            return;
        }
    };
    if days.is_empty() {
        warnings.push("a schedule names no days, so it was left out".into());
        return;
    }
    for (day, week) in days {
        let starting = match repeat {
            Repeat::Monthly => None,
            _ => from.map(|f| first_on_or_after(f, day)),
        };
        if repeat == Repeat::Fortnightly && starting.is_none() {
            warnings.push(format!(
                "a fortnightly {} session has no start date, so we cannot tell which weeks it runs; it was left out",
                day.name()
            ));
            continue;
        }
        let week_of_month = match repeat {
            Repeat::Monthly => match week {
                Some(w) if w == -1 || (1..=4).contains(&w) => Some(w),
                _ => {
                    warnings.push(format!(
                        "a monthly {} session does not say which week of the month; it was left out",
                        day.name()
                    ));
                    continue;
                }
            },
            _ => None,
        };
        let rule = SessionRule {
            repeat,
            day,
            week_of_month,
            start,
            end,
            starting: starting.filter(|s| until.is_none_or(|u| *s <= u)),
            until,
        };
        match rule.validate() {
            Ok(()) => {
                if !out.sessions.contains(&rule) {
                    out.sessions.push(rule)
                }
            }
            Err(e) => warnings.push(format!("a schedule was left out: {e}")),
        }
    }
}

/// The days a schedule names, with the week of the month where it gives one: 3.0's
/// RRULE `byday` ("MO,2TH,-1FR"), or 1.0's one `weekday` per regular schedule.
fn days_of(s: &Value) -> Vec<(Day, Option<i8>)> {
    let mut days: Vec<(Day, Option<i8>)> = s
        .get("byday")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(',')
        .filter(|x| !x.trim().is_empty())
        .filter_map(byday)
        .collect();
    if let Some(w) = s.get("weekday").and_then(Value::as_str).and_then(byday) {
        days.push(w);
    }
    days
}

fn in_uk(lat: f64, lon: f64) -> bool {
    (49.0..=61.5).contains(&lat) && (-9.0..=2.5).contains(&lon)
}

/// The first location we can place. Unplaceable ones are reported as warnings.
fn venue_of(service: &Value, warnings: &mut Vec<String>) -> (Option<Venue>, bool) {
    let mut virtual_only = false;
    let mut locations: Vec<&Value> = list(service.get("service_at_locations"))
        .into_iter()
        .filter_map(|sal| sal.get("location"))
        .collect();
    locations.extend(list(service.get("locations")));
    for loc in locations {
        let kind = loc
            .get("location_type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if kind == "virtual" {
            virtual_only = true;
            continue;
        }
        let mut addrs = list(loc.get("addresses"));
        addrs.extend(list(loc.get("physical_addresses")));
        let addr = addrs
            .iter()
            .find(|a| a.get("address_type").and_then(Value::as_str) == Some("physical"))
            .or_else(|| addrs.first())
            .copied();
        let name = text(loc, "name").unwrap_or_default();
        let (address, raw_pc) = match addr {
            Some(a) => (
                ["address_1", "address_2", "city"]
                    .iter()
                    .filter_map(|k| text(a, k))
                    .collect::<Vec<_>>()
                    .join(", "),
                text(a, "postal_code"),
            ),
            None => (String::new(), None),
        };
        let mut problems = Vec::new();
        let postcode = match &raw_pc {
            Some(p) => match Postcode::parse(p) {
                Ok(pc) if pc.is_full() => Some(pc.to_string()),
                _ => {
                    problems.push(format!("'{p}' is not a UK postcode"));
                    None
                }
            },
            None => None,
        };
        let (lat, lon) = match (number(loc.get("latitude")), number(loc.get("longitude"))) {
            (Some(a), Some(b)) if in_uk(a, b) => (Some(a), Some(b)),
            (Some(a), Some(b)) => {
                problems.push(format!("{a}, {b} is not a position in the UK"));
                (None, None)
            }
            _ => (None, None),
        };
        let label = if name.is_empty() {
            "a location".to_string()
        } else {
            format!("location '{name}'")
        };
        if postcode.is_none() && lat.is_none() {
            if problems.is_empty() {
                problems.push("it has no postcode or position".into());
            }
            warnings.push(format!("{label} was left out: {}", problems.join(" and ")));
            continue;
        }
        for p in problems {
            warnings.push(format!("{label}: {p}; the rest of the location was used"));
        }
        return (
            Some(Venue {
                name,
                address,
                postcode,
                lat,
                lon,
                geo_precision: None,
            }),
            false,
        );
    }
    (None, virtual_only)
}

fn cost_of(s: &Value, warnings: &mut Vec<String>) -> Cost {
    let mut options: Vec<(f64, Option<String>, Option<String>)> = Vec::new();
    for o in list(s.get("cost_options")) {
        let amount = number(o.get("amount"));
        if amount.is_some_and(|a| a < 0.0) {
            warnings.push("a cost option has a negative amount; it was left out".into());
            continue;
        }
        let currency = o.get("currency").and_then(Value::as_str).unwrap_or("GBP");
        if !currency.eq_ignore_ascii_case("gbp") {
            warnings.push(format!(
                "a cost option is in {currency}, not pounds; it was left out"
            ));
            continue;
        }
        options.push((
            amount.unwrap_or(f64::NAN),
            text(o, "option"),
            text(o, "amount_description"),
        ));
    }
    let fees = text(s, "fees_description").or_else(|| text(s, "fees"));
    let priced: Vec<&(f64, Option<String>, Option<String>)> =
        options.iter().filter(|o| !o.0.is_nan()).collect();
    let says_free = fees
        .as_deref()
        .is_some_and(|f| f.to_lowercase().contains("free") && !f.contains('£'));
    if (!priced.is_empty() && priced.iter().all(|o| o.0 == 0.0)) || (priced.is_empty() && says_free)
    {
        return Cost {
            free: true,
            ..Default::default()
        };
    }
    let money = |a: f64| {
        let p = (a * 100.0).round() as u32;
        if p.is_multiple_of(100) {
            format!("£{}", p / 100)
        } else {
            format!("£{}.{:02}", p / 100, p % 100)
        }
    };
    if priced.is_empty() {
        return Cost {
            price: fees.map(|f| truncate(&f, 300)),
            ..Default::default()
        };
    }
    let min = priced.iter().map(|o| o.0).fold(f64::INFINITY, f64::min);
    let max = priced.iter().map(|o| o.0).fold(0.0, f64::max);
    let describe = |o: &(f64, Option<String>, Option<String>)| {
        let mut t = money(o.0);
        // "amount": 3, "amount_description": "£3 a session" says the price once.
        if let Some(d) = o.2.as_ref().filter(|d| d.contains(&t)) {
            return d.clone();
        }
        if let Some(d) = &o.2 {
            t.push(' ');
            t.push_str(d);
        }
        t
    };
    if priced.len() == 1 || min == max {
        let o = priced[0];
        let mut price = describe(o);
        if let Some(who) = &o.1 {
            price = format!("{price} ({who})");
        }
        return Cost {
            price: Some(truncate(&price, 300)),
            amount_pence: Some((o.0 * 100.0).round() as u32),
            ..Default::default()
        };
    }
    let full = priced.iter().find(|o| o.0 == max).expect("a priced option");
    let concessions: Vec<String> = priced
        .iter()
        .filter(|o| o.0 < max)
        .map(|o| match &o.1 {
            Some(who) => format!("{who}: {}", describe(o)),
            None => describe(o),
        })
        .collect();
    Cost {
        free: false,
        price: Some(truncate(&describe(full), 300)),
        amount_pence: Some((max * 100.0).round() as u32),
        concessions: Some(truncate(&concessions.join("; "), 300)),
        pay_what_you_can: false,
    }
}

/// Taxonomy term names attached to the service, in both versions' shapes.
fn term_names(s: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for a in list(s.get("attributes")) {
        if let Some(t) = a.get("taxonomy_term") {
            out.extend(text(t, "name").or_else(|| text(t, "term")));
        }
    }
    for t in list(s.get("taxonomy_terms")) {
        out.extend(text(t, "name"));
    }
    for st in list(s.get("service_taxonomys")) {
        if let Some(t) = st.get("taxonomy") {
            out.extend(text(t, "name"));
        }
    }
    out
}

/// Slugs of Signpost's own published terms (`publish::taxonomy`) in one of its
/// taxonomies that the service's attributes link to: another Signpost's API says
/// exactly which types, features and circumstances a listing has, so they are read
/// as they are rather than guessed from words.
fn signpost_terms(s: &Value, taxonomy: &Taxonomy, vocab: Vocab) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in list(s.get("attributes")) {
        let id = a
            .get("taxonomy_term_id")
            .or_else(|| a.get("taxonomy_term").and_then(|t| t.get("id")))
            .and_then(Value::as_str)
            .and_then(|id| uuid::Uuid::parse_str(id.trim()).ok());
        if let Some(t) = id.and_then(|id| published::by_id(taxonomy, id))
            && t.vocab == vocab
            && !out.contains(&t.code)
        {
            out.push(t.code);
        }
    }
    out
}

/// Does the record describe itself in Signpost's published taxonomy (it came from
/// another Signpost)? Then its features and circumstances are exactly the terms it
/// links to, and none are guessed from its words.
fn uses_signpost_terms(s: &Value, taxonomy: &Taxonomy) -> bool {
    Vocab::ALL
        .iter()
        .any(|v| !signpost_terms(s, taxonomy, *v).is_empty())
}

/// Types from the record's taxonomy terms (Signpost's own, our keywords, or an
/// Activity List name), then from its words. Empty when nothing fits: the importer then gives the general
/// type.
fn types_of(s: &Value, title: &str, description: &str, taxonomy: &Taxonomy) -> Vec<String> {
    let mut types = signpost_terms(s, taxonomy, Vocab::Types);
    if !types.is_empty() {
        return types;
    }
    for name in term_names(s) {
        if let Some(t) = taxonomy.type_for_activity(None, &name)
            && !types.iter().any(|x| x == t)
        {
            types.push(t.to_string());
        }
    }
    if types.is_empty() {
        types = taxonomy.types_for_text(title, description, 1);
    }
    types.truncate(3);
    types
}

/// Text saying how people attend: ORUK 1.0 `attending_type`, 3.0 schedule
/// `attending_type`, and the `delivery` hints some councils add.
fn attending_text(s: &Value) -> String {
    let mut parts: Vec<String> = ["attending_type", "attending_access", "deliverable_type"]
        .iter()
        .filter_map(|k| text(s, k))
        .collect();
    for sc in list(s.get("schedules"))
        .into_iter()
        .chain(list(s.get("regular_schedules")))
    {
        parts.extend(text(sc, "attending_type"));
    }
    parts.join(" ").to_lowercase()
}

fn has_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// What a record must have right to be imported (an id, a name, active status), and
/// its contact details where they are what they say.
struct Basics {
    id: String,
    title: String,
    email: Option<String>,
    url: Option<String>,
    /// Contact details left out, and why.
    left_out: Vec<String>,
}

/// Checks what must be right, reporting every reason at once.
fn basics_of(s: &Value) -> Result<Basics, Rejected> {
    let id = id_of(s);
    if !s.is_object() {
        return Err(Rejected {
            id: None,
            reasons: vec!["the record is not a JSON object".into()],
        });
    }
    let mut reasons = Vec::new();
    if id.is_none() {
        reasons.push("the service has no id".to_string());
    }
    let title = match s.get("name") {
        Some(Value::String(n)) if !strip_html(n).is_empty() => strip_html(n),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            reasons.push("the service has no name".into());
            String::new()
        }
        Some(_) => {
            reasons.push("the service's name is not text".into());
            String::new()
        }
    };
    if let Some(status) = s.get("status").and_then(Value::as_str)
        && !status.trim().eq_ignore_ascii_case("active")
    {
        reasons.push(format!(
            "the service's status is '{}', not active",
            status.trim()
        ));
    }
    // A wrong contact detail would send people nowhere, so it is left out; the
    // service is still what the council publishes, and comes in.
    let mut left_out = Vec::new();
    let email = checked(s, "email", &mut left_out, email_as_written, |e| {
        format!("email: {e} is not an email address, so it was left out")
    });
    let url = checked(s, "url", &mut left_out, web_address_as_written, |u| {
        format!("url: {u} is not a web address, so it was left out")
    });
    for k in ["minimum_age", "maximum_age"] {
        if let Some(v) = s.get(k)
            && !v.is_null()
            && number(Some(v)).is_none()
        {
            reasons.push(format!("{k}: {v} is not a number"));
        }
    }
    match id {
        Some(id) if reasons.is_empty() => Ok(Basics {
            id,
            title,
            email,
            url,
            left_out,
        }),
        id => Err(Rejected { id, reasons }),
    }
}

/// An optional text field, kept when valid (empty counts as not given); otherwise
/// why it was not is added to `left_out`.
fn checked(
    s: &Value,
    key: &str,
    left_out: &mut Vec<String>,
    valid: fn(&str) -> Option<String>,
    wrong: impl Fn(String) -> String,
) -> Option<String> {
    match s.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) if v.trim().is_empty() => None,
        Some(Value::String(v)) => valid(v).or_else(|| {
            left_out.push(wrong(format!("'{v}'")));
            None
        }),
        Some(other) => {
            left_out.push(wrong(other.to_string()));
            None
        }
    }
}

/// How people take part: at the venue, online (a virtual location or the attending
/// words), by phone, at home. Empty when the record does not say.
fn modes_of(s: &Value, has_venue: bool, virtual_location: bool) -> Vec<Mode> {
    let attending = attending_text(s);
    let mut modes = Vec::new();
    if has_venue {
        modes.push(Mode::InPerson);
    }
    if virtual_location
        || has_word(
            &attending,
            &["online", "remote", "video", "virtual", "zoom", "teams"],
        )
    {
        modes.push(Mode::Online);
    }
    if has_word(&attending, &["phone", "telephone"]) {
        modes.push(Mode::Phone);
    }
    if has_word(&attending, &["home visit", "in your home", "at home"]) {
        modes.push(Mode::HomeVisit);
    }
    modes
}

/// Regular schedules and dated occurrences, from the service or, failing that, its
/// locations; their descriptions become the schedule's note.
fn schedule_for(s: &Value, today: NaiveDate, warnings: &mut Vec<String>) -> Schedule {
    let mut schedule = Schedule::default();
    let mut sched_values = list(s.get("schedules"));
    sched_values.extend(list(s.get("regular_schedules")));
    if sched_values.is_empty() {
        for sal in list(s.get("service_at_locations")) {
            sched_values.extend(list(sal.get("schedules")));
            sched_values.extend(list(sal.get("regular_schedules")));
        }
    }
    let mut notes = Vec::new();
    for sc in &sched_values {
        schedule_of(sc, today, &mut schedule, warnings);
        notes.extend(text(sc, "description"));
    }
    schedule.dates.sort_by_key(|d| (d.date, d.start));
    schedule.dates.dedup_by_key(|d| (d.date, d.start));
    notes.dedup();
    schedule.note = truncate(&notes.join(" "), 1_000);
    schedule
}

/// Accessibility of the first location: its notes, and the features they name.
fn access_of(s: &Value, taxonomy: &Taxonomy) -> Access {
    let mut access = Access {
        features: signpost_terms(s, taxonomy, Vocab::Access),
        ..Access::default()
    };
    let mut access_notes = Vec::new();
    let mut locs: Vec<&Value> = list(s.get("service_at_locations"))
        .into_iter()
        .filter_map(|sal| sal.get("location"))
        .collect();
    locs.extend(list(s.get("locations")));
    if let Some(loc) = locs.first() {
        let mut acc = list(loc.get("accessibility"));
        acc.extend(list(loc.get("accessibility_for_disabilities")));
        for a in acc {
            for key in ["description", "accessibility", "details"] {
                if let Some(t) = text(a, key) {
                    if let Some(travel) = travel_note(&t) {
                        if !access.travel.contains(&travel) {
                            access.travel.push(travel);
                        }
                    } else if !access_notes.contains(&t) {
                        access_notes.push(t);
                    }
                }
            }
        }
        if let Some(t) = text(loc, "transportation") {
            if has_word(
                &t.to_lowercase(),
                &["bus", "train", "tram", "metro", "station"],
            ) && !access.features.iter().any(|f| f == "public-transport")
            {
                access.features.push("public-transport".into());
            }
            access.travel.push(Travel {
                by: TravelMode::Any,
                note: truncate(&t, crate::listing::validate::MAX_TRAVEL),
            });
        }
    }
    if uses_signpost_terms(s, taxonomy) {
        access.features = signpost_terms(s, taxonomy, Vocab::Access);
        access.notes = truncate(&access_notes.join("\n\n"), 2_000);
        return access;
    }
    let travel: Vec<&str> = access.travel.iter().map(|t| t.note.as_str()).collect();
    for f in access_features_in(&format!("{} {}", access_notes.join(" "), travel.join(" "))) {
        if !access.features.iter().any(|x| x == f) {
            access.features.push(f.to_string());
        }
    }
    access.notes = truncate(&access_notes.join("\n\n"), 2_000);
    access
}

/// A note on getting there as Signpost publishes it, an accessibility record headed
/// by its way of travelling ("By car: parking behind the hall").
fn travel_note(description: &str) -> Option<Travel> {
    TravelMode::ALL.into_iter().find_map(|by| {
        let note = description
            .strip_prefix(by.label())?
            .strip_prefix(':')?
            .trim();
        (!note.is_empty()).then(|| Travel {
            by,
            note: truncate(note, crate::listing::validate::MAX_TRAVEL),
        })
    })
}

/// Ages and circumstances from the service's and its eligibility records' words.
fn audience_of(s: &Value, taxonomy: &Taxonomy, warnings: &mut Vec<String>) -> Audience {
    let mut audience = Audience::default();
    let mut ages = vec![(number(s.get("minimum_age")), number(s.get("maximum_age")))];
    let mut elig_notes: Vec<String> = text(s, "eligibility_description").into_iter().collect();
    for e in list(s.get("eligibilitys"))
        .into_iter()
        .chain(list(s.get("eligibility")))
    {
        ages.push((number(e.get("minimum_age")), number(e.get("maximum_age"))));
        elig_notes.extend(text(e, "eligibility"));
    }
    let age = |a: Option<f64>| a.filter(|a| (0.0..=120.0).contains(a)).map(|a| a as u8);
    audience.age_min = ages.iter().find_map(|a| age(a.0)).filter(|a| *a > 0);
    audience.age_max = ages
        .iter()
        .find_map(|a| age(a.1))
        .filter(|m| audience.age_min.is_none_or(|a| *m >= a));
    if ages.iter().any(|a| a.1.is_some_and(|m| m > 120.0)) {
        warnings.push("the maximum age is over 120, so it was left out".into());
    }
    let elig = elig_notes.join(" ");
    let words = format!(
        " {} ",
        elig.to_lowercase()
            .split(|ch: char| !ch.is_alphanumeric() && ch != '\'' && ch != '-')
            .collect::<Vec<_>>()
            .join(" ")
    );
    audience.circumstances = signpost_terms(s, taxonomy, Vocab::Circumstances);
    let guess = !uses_signpost_terms(s, taxonomy);
    for c in taxonomy.circumstances.iter().filter(|_| guess) {
        if audience.circumstances.contains(&c.slug) {
            continue;
        }
        if c.keywords.iter().any(|k| words.contains(&format!(" {k} "))) {
            audience.circumstances.push(c.slug.clone());
        }
    }
    audience.notes = truncate(&elig, 2_000);
    audience
}

fn first_phone(phones: &[&Value]) -> Option<String> {
    phones.iter().find_map(|p| {
        p.get("number")
            .and_then(Value::as_str)
            .and_then(phone_number)
    })
}

/// The organisation behind the service.
fn organisation_of(s: &Value) -> Organisation {
    match s.get("organization").filter(|o| o.is_object()) {
        Some(o) => Organisation {
            name: text(o, "name").unwrap_or_default(),
            website: ["website", "url", "uri"].iter().find_map(|k| {
                o.get(*k)
                    .and_then(Value::as_str)
                    .and_then(web_address_as_written)
            }),
            email: o
                .get("email")
                .and_then(Value::as_str)
                .and_then(email_as_written),
            phone: first_phone(&list(o.get("phones"))),
        },
        None => Organisation::default(),
    }
}

/// How to join, and whom to contact: the service's own details, then its contacts',
/// then its locations'.
fn join_of(s: &Value, basics: &Basics) -> Join {
    let mut phones: Vec<&Value> = list(s.get("phones"));
    let contacts = list(s.get("contacts"));
    for c in &contacts {
        phones.extend(list(c.get("phones")));
    }
    for sal in list(s.get("service_at_locations")) {
        phones.extend(list(sal.get("phones")));
    }
    let contact_email = basics.email.clone().or_else(|| {
        contacts.iter().find_map(|c| {
            c.get("email")
                .and_then(Value::as_str)
                .and_then(email_as_written)
        })
    });
    let process = text(s, "application_process").unwrap_or_default();
    let lp = process.to_lowercase();
    let method = if has_word(&lp, &["referral", "refer "]) {
        JoinMethod::Referral
    } else if has_word(&lp, &["book", "appointment", "register"]) {
        JoinMethod::Book
    } else {
        JoinMethod::DropIn
    };
    Join {
        method,
        details: truncate(&process, 2_000),
        contact: Contact {
            name: contacts.iter().find_map(|c| text(c, "name")),
            phone: first_phone(&phones),
            email: contact_email,
            url: basics.url.clone(),
        },
        ..Default::default()
    }
}

/// The areas a service says it serves (HSDS/ORUK 3.0 and ORUK 1.0 `service_areas`):
/// the first one's words, and the postcode districts of every one we can read as a
/// local authority, postcode area or district ("North Lincolnshire", "DN15"). When
/// some areas are marked as postcode districts (`extent_type`, as Signpost publishes
/// them), those are the districts, and the named area is only words.
fn area_of(s: &Value) -> AreaServed {
    let mut out = AreaServed::default();
    let areas = list(s.get("service_areas"));
    let is_district =
        |a: &Value| a.get("extent_type").and_then(Value::as_str) == Some("postcode district");
    let explicit = areas.iter().any(|a| is_district(a));
    for a in areas {
        if explicit && !is_district(a) {
            if let Some(words) = text(a, "service_area").or_else(|| text(a, "name"))
                && out.description.is_empty()
            {
                out.description = truncate(&words, 200);
            }
            continue;
        }
        let Some(words) = text(a, "service_area")
            .or_else(|| text(a, "name"))
            .or_else(|| text(a, "description"))
        else {
            continue;
        };
        if out.description.is_empty() {
            out.description = truncate(&words, 200);
        }
        if let Ok(area) = Area::parse(&words) {
            for p in area.postcodes() {
                if !out.postcodes.contains(p) {
                    out.postcodes.push(p.clone());
                }
            }
        }
    }
    out
}

/// Maps one service. `today` decides which schedules and dates are over. Only what is
/// wrong (no id or name, not active, contact details that are not what they say)
/// rejects a record; what is missing (a place, a type, times) is left to the importer
/// to fill from the source and to the pages to say.
pub fn service_to_listing(
    s: &Value,
    taxonomy: &Taxonomy,
    today: NaiveDate,
) -> Result<Mapped, Rejected> {
    let mut basics = basics_of(s)?;
    let mut warnings = std::mem::take(&mut basics.left_out);
    let description = text(s, "description").unwrap_or_default();
    if description.is_empty() {
        warnings.push("the service has no description".into());
    }
    let types = types_of(s, &basics.title, &description, taxonomy);
    let (venue, virtual_location) = venue_of(s, &mut warnings);
    let modes = modes_of(s, venue.is_some(), virtual_location);
    let mut area_served = area_of(s);
    if modes.contains(&Mode::InPerson) {
        // A venue places it.
        area_served = AreaServed::default();
    }
    let updated_at = s
        .get("last_modified")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.with_timezone(&Utc));
    let join = join_of(s, &basics);
    Ok(Mapped {
        listing: Listing {
            id: 0,
            summary: summary_of(&description),
            title: basics.title,
            description,
            organisation: organisation_of(s),
            types,
            modes,
            venue,
            area_served,
            schedule: schedule_for(s, today, &mut warnings),
            cost: cost_of(s, &mut warnings),
            access: access_of(s, taxonomy),
            audience: audience_of(s, taxonomy, &mut warnings),
            join,
            provenance: Provenance {
                source: String::new(),
                source_id: basics.id,
                source_url: basics.url,
                updated_at,
                verified_at: None,
            },
            status: Default::default(),
        },
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn schedules_become_rules_and_dates() {
        let mut out = Schedule::default();
        let mut w = Vec::new();
        for s in [
            json!({"freq": "WEEKLY", "byday": "TU,TH", "opens_at": "10:00:00", "closes_at": "11:30:00"}),
            json!({"freq": "WEEKLY", "interval": 2, "byday": "MO", "dtstart": "2026-11-25", "opens_at": "14:00"}),
            json!({"freq": "MONTHLY", "byday": "1FR,-1SA", "opens_at": "19:00", "closes_at": "21:00"}),
            json!({"dtstart": "2026-12-12", "opens_at": "10:00", "closes_at": "12:00"}),
            json!({"dtstart": "2020-12-12", "opens_at": "10:00"}),
            json!({"freq": "WEEKLY", "byday": "MO", "opens_at": "10:00", "until": "2005-01-01"}),
            json!({"freq": "YEARLY", "opens_at": "10:00"}),
        ] {
            schedule_of(&s, today(), &mut out, &mut w);
        }
        let described: Vec<String> = out.sessions.iter().map(|r| r.describe()).collect();
        assert_eq!(
            described,
            vec![
                "Every Tuesday, 10am to 11:30am",
                "Every Thursday, 10am to 11:30am",
                "Every other Monday, 2pm",
                "First Friday of the month, 7pm to 9pm",
                "Last Saturday of the month, 7pm to 9pm"
            ]
        );
        assert_eq!(
            out.sessions[2].starting,
            NaiveDate::from_ymd_opt(2026, 11, 30)
        );
        assert_eq!(out.dates.len(), 1);
        assert_eq!(
            out.dates[0].date,
            NaiveDate::from_ymd_opt(2026, 12, 12).unwrap()
        );
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("ended on 1 January 2005"));
        assert!(w[1].contains("YEARLY"));
    }

    #[test]
    fn cost_options() {
        let mut w = Vec::new();
        let c = cost_of(&json!({"cost_options": [{"amount": 0}]}), &mut w);
        assert!(c.free);
        let c = cost_of(
            &json!({"cost_options": [
                {"amount": 5, "amount_description": "a session"},
                {"amount": 2.5, "option": "Concessions", "amount_description": "a session"}
            ]}),
            &mut w,
        );
        assert_eq!(c.price.as_deref(), Some("£5 a session"));
        assert_eq!(c.amount_pence, Some(500));
        assert_eq!(
            c.concessions.as_deref(),
            Some("Concessions: £2.50 a session")
        );
        let c = cost_of(&json!({"fees": "Free to attend"}), &mut w);
        assert!(c.free);
    }
}
