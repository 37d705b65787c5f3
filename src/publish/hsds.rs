//! A listing as an HSDS 3.0 service, in the Open Referral UK 3.0 profile.
//!
//! The shape follows `../shared/data/oruk/uk-profile-3.0/` (the compiled
//! `service_with_definitions.json`): the service with its organization, its
//! service_at_locations (location, address, accessibility), schedules as RRULE parts,
//! cost options, contacts, attributes linking it to Signpost's published taxonomy
//! (`publish::taxonomy`), service areas and languages. A few HSDS 3.0 core fields
//! that the UK profile leaves out but consumers (and Signpost's own importer) read are
//! kept, since the profile allows extra properties: `phones`, `eligibility_description`,
//! `application_process` and contact e-mails.
//!
//! Every id is stable (`publish::ids`), so a consumer can match a record to the one it
//! already holds. Only what the listing really says is written: an empty field is left
//! out rather than filled with a placeholder, except where the profile requires the
//! property (an address's city and county), which are then empty strings.
//!
//! `last_modified` is when the listing last changed *here* (the store's change time),
//! the same clock `modified_after` filters on, so an incremental sync never misses a
//! change that arrived with an older time at its source.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::ids;
use super::taxonomy::{Term, Vocab, term};
use crate::listing::schedule::{OneOff, Repeat, SessionRule};
use crate::listing::{JoinMethod, Listing, Mode, Taxonomy, Venue};

/// The HSDS version string Signpost's API reports (as the ORUK validator expects).
pub const VERSION: &str = "HSDS-UK-3.0";
/// Where the profile is documented.
pub const PROFILE_URL: &str =
    "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md";
/// The profile's OpenAPI document.
pub const OPENAPI_URL: &str = "https://docs.openreferraluk.org/en/latest/openapi30.json";

/// What the mapping needs besides the listing.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub taxonomy: &'a Taxonomy,
    /// When the listing last changed in the store.
    pub modified: Option<DateTime<Utc>>,
    /// False for a listing withdrawn from the directory: published as `inactive`.
    pub active: bool,
}

/// Inserts `v` unless it is an empty string, an empty list or null.
fn put(map: &mut Map<String, Value>, key: &str, v: Value) {
    let empty = match &v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    if !empty {
        map.insert(key.to_string(), v);
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn hm(t: chrono::NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// Words for how people take part, in the ORUK `attending_type` style.
fn attending(modes: &[Mode]) -> String {
    modes
        .iter()
        .map(|m| match m {
            Mode::InPerson => "in person",
            Mode::Online => "online",
            Mode::Phone => "by phone",
            Mode::HomeVisit => "home visit",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn rule_schedule(sid: Uuid, id: Uuid, r: &SessionRule, attending_type: &str) -> Value {
    let (freq, interval, byday) = match r.repeat {
        Repeat::Weekly => ("WEEKLY", 1, r.day.rfc5545().to_string()),
        Repeat::Fortnightly => ("WEEKLY", 2, r.day.rfc5545().to_string()),
        Repeat::Monthly => (
            "MONTHLY",
            1,
            format!("{}{}", r.week_of_month.unwrap_or(1), r.day.rfc5545()),
        ),
    };
    let mut m = obj(json!({
        "id": id, "service_id": sid, "freq": freq, "interval": interval, "byday": byday,
        "opens_at": hm(r.start), "notes": r.describe(),
    }));
    put(&mut m, "closes_at", json!(r.end.map(hm)));
    let from = r.starting.map(|d| d.to_string());
    put(&mut m, "dtstart", json!(from));
    put(&mut m, "valid_from", json!(from));
    put(&mut m, "valid_to", json!(r.until.map(|d| d.to_string())));
    put(&mut m, "attending_type", json!(attending_type));
    Value::Object(m)
}

fn date_schedule(sid: Uuid, id: Uuid, d: &OneOff, attending_type: &str) -> Value {
    let day = d.date.to_string();
    let mut m = obj(json!({
        "id": id, "service_id": sid, "dtstart": day, "valid_from": day, "valid_to": day,
        "opens_at": hm(d.start), "notes": d.date.format("%A %-d %B %Y").to_string(),
    }));
    put(&mut m, "closes_at", json!(d.end.map(hm)));
    put(&mut m, "attending_type", json!(attending_type));
    Value::Object(m)
}

/// Rules, then dates. The listing's schedule note is the first schedule's
/// description (or a schedule of its own when there are no times), so it reads as
/// one note, as it was written; each schedule's own words are in `notes`.
fn schedules(l: &Listing, sid: Uuid) -> Vec<Value> {
    let att = attending(&l.modes);
    let mut out: Vec<Value> = Vec::new();
    for (i, r) in l.schedule.sessions.iter().enumerate() {
        out.push(rule_schedule(
            sid,
            ids::part(sid, &format!("schedule/{i}")),
            r,
            &att,
        ));
    }
    for (i, d) in l.schedule.dates.iter().enumerate() {
        out.push(date_schedule(
            sid,
            ids::part(sid, &format!("date/{i}")),
            d,
            &att,
        ));
    }
    let note = l.schedule.note.trim();
    if !note.is_empty() {
        match out.first_mut() {
            Some(Value::Object(first)) => {
                first.insert("description".into(), json!(note));
            }
            _ => out.push(json!({
                "id": ids::part(sid, "schedule-note"), "service_id": sid, "description": note,
            })),
        }
    }
    out
}

/// "12 High Street, Sale" → ("12 High Street", "Sale"): the last part is the town.
fn split_address(address: &str) -> (String, String) {
    match address.rsplit_once(", ") {
        Some((street, town)) => (street.trim().to_string(), town.trim().to_string()),
        None => (address.trim().to_string(), String::new()),
    }
}

fn physical_location(l: &Listing, sid: Uuid, v: &Venue) -> Value {
    let lid = ids::part(sid, "location");
    let (address_1, city) = split_address(&v.address);
    let mut loc = obj(json!({ "id": lid, "location_type": "physical" }));
    put(&mut loc, "name", json!(v.name));
    put(&mut loc, "latitude", json!(v.lat));
    put(&mut loc, "longitude", json!(v.lon));
    if !address_1.is_empty() || v.postcode.is_some() {
        loc.insert(
            "addresses".into(),
            json!([{
                "id": ids::part(sid, "address"), "location_id": lid,
                "address_1": address_1, "city": city, "state_province": "",
                "postal_code": v.postcode.clone().unwrap_or_default(),
                "country": "GB", "address_type": "physical",
            }]),
        );
    }
    let notes = l.access.notes.trim();
    let mut accessibility = Vec::new();
    if !notes.is_empty() {
        accessibility.push(
            json!({ "id": ids::part(sid, "accessibility"), "location_id": lid, "description": notes }),
        );
    }
    // How to get there: the UK profile takes `transportation` out of the location,
    // so each note is an accessibility record, headed by its way of travelling
    // (which `ingest::openreferral` reads back).
    for (i, t) in l.access.travel.iter().enumerate() {
        accessibility.push(json!({
            "id": ids::part(sid, &format!("accessibility/travel/{i}")), "location_id": lid,
            "description": format!("{}: {}", t.by.label(), t.note.trim()),
        }));
    }
    if !accessibility.is_empty() {
        loc.insert("accessibility".into(), Value::Array(accessibility));
    }
    let mut sal = obj(json!({
        "id": ids::part(sid, "service_at_location"), "service_id": sid, "location_id": lid,
    }));
    sal.insert("location".into(), Value::Object(loc));
    Value::Object(sal)
}

fn virtual_location(sid: Uuid) -> Value {
    let lid = ids::part(sid, "online");
    json!({
        "id": ids::part(sid, "service_at_location/online"), "service_id": sid, "location_id": lid,
        "location": { "id": lid, "location_type": "virtual", "name": "Online" },
    })
}

/// An attribute linking the service to one term of Signpost's taxonomy.
fn attribute(sid: Uuid, vocab: Vocab, code: &str, term: &PublishedTerm) -> Value {
    let mut m = obj(json!({
        "id": ids::part(sid, &format!("attribute/{}/{}", vocab.key(), code)),
        "link_id": sid, "link_type": "service", "taxonomy_term_id": term.id,
    }));
    m.insert("taxonomy_term".into(), term.json.clone());
    Value::Object(m)
}

/// A term as every attribute that links to it shows it: worked out once.
struct PublishedTerm {
    id: Uuid,
    json: Value,
}

/// Published terms of the embedded taxonomy by vocabulary and slug. A page of fifty
/// services names the same few dozen terms again and again, and working each out
/// (its id is a SHA-1 name hash) was a fifth of the page's time.
type TermKey = (Vocab, String);
static PUBLISHED_TERMS: std::sync::LazyLock<
    std::sync::RwLock<std::collections::HashMap<TermKey, std::sync::Arc<PublishedTerm>>>,
> = std::sync::LazyLock::new(Default::default);

fn published_term(
    taxonomy: &Taxonomy,
    vocab: Vocab,
    code: &str,
) -> Option<std::sync::Arc<PublishedTerm>> {
    let work_out = || {
        let t = term(taxonomy, vocab, code)?;
        Some(std::sync::Arc::new(PublishedTerm {
            id: t.id,
            json: term_json(&t),
        }))
    };
    if !std::ptr::eq(taxonomy, Taxonomy::embedded()) {
        return work_out();
    }
    let key = (vocab, code.to_string());
    if let Some(t) = PUBLISHED_TERMS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
    {
        return Some(t.clone());
    }
    let published = work_out()?;
    PUBLISHED_TERMS
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, published.clone());
    Some(published)
}

/// A taxonomy term as HSDS: `term` is the slug, `taxonomy` the taxonomy's name.
/// OpenActive equivalents go in `term_uri` when there is exactly one; the full list
/// is at `/openreferral/taxonomy_terms/{id}` (`exact_match`, not an HSDS field).
pub fn term_json(t: &Term) -> Value {
    let mut m = obj(json!({
        "id": t.id, "name": t.name, "description": t.description, "term": t.code,
        "taxonomy": t.vocab.name(), "taxonomy_id": t.vocab.id(),
    }));
    if let [only] = t.equivalents.as_slice() {
        m.insert("term_uri".into(), json!(only));
    }
    Value::Object(m)
}

/// The full term, with every OpenActive equivalent.
pub fn term_full_json(t: &Term) -> Value {
    let mut v = term_json(t);
    if let Value::Object(m) = &mut v
        && !t.equivalents.is_empty()
    {
        m.insert("exact_match".into(), json!(t.equivalents));
    }
    v
}

fn attributes(l: &Listing, taxonomy: &Taxonomy, sid: Uuid) -> Vec<Value> {
    let slugs = [
        (Vocab::Types, &l.types),
        (Vocab::Access, &l.access.features),
        (Vocab::Circumstances, &l.audience.circumstances),
    ];
    slugs
        .iter()
        .flat_map(|(vocab, list)| list.iter().map(move |s| (*vocab, s)))
        .filter_map(|(vocab, s)| {
            Some(attribute(
                sid,
                vocab,
                s,
                &*published_term(taxonomy, vocab, s)?,
            ))
        })
        .collect()
}

fn cost_options(l: &Listing, sid: Uuid) -> Vec<Value> {
    let c = &l.cost;
    let mut out = Vec::new();
    if c.free {
        out.push(json!({
            "id": ids::part(sid, "cost/free"), "service_id": sid, "option": "Free",
            "amount": 0, "currency": "GBP",
        }));
    } else if let Some(p) = c.amount_pence {
        let mut m = obj(json!({
            "id": ids::part(sid, "cost/standard"), "service_id": sid,
            "amount": p as f64 / 100.0, "currency": "GBP",
        }));
        put(&mut m, "amount_description", json!(c.price));
        out.push(Value::Object(m));
    }
    if let Some(conc) = c.concessions.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push(json!({
            "id": ids::part(sid, "cost/concessions"), "service_id": sid,
            "option": "Concessions", "amount_description": conc,
        }));
    }
    out
}

/// The price in words for `fees`: what the page says.
fn fees(l: &Listing) -> String {
    let c = &l.cost;
    let mut parts: Vec<String> = Vec::new();
    if c.free {
        parts.push("Free".into());
    } else if let Some(p) = &c.price {
        parts.push(p.clone());
    }
    let said = parts
        .iter()
        .any(|p| p.to_lowercase().contains("pay what you can"));
    if c.pay_what_you_can && !said {
        parts.push("Pay what you can".into());
    }
    parts.join(". ")
}

fn service_areas(l: &Listing, sid: Uuid) -> Vec<Value> {
    let a = &l.area_served;
    let mut out = Vec::new();
    if !a.description.trim().is_empty() {
        out.push(json!({
            "id": ids::part(sid, "area"), "service_id": sid,
            "name": a.description, "service_area": a.description,
        }));
    }
    for p in &a.postcodes {
        out.push(json!({
            "id": ids::part(sid, &format!("area/{p}")), "service_id": sid,
            "name": p, "service_area": p, "extent_type": "postcode district",
        }));
    }
    out
}

fn organization(l: &Listing) -> Option<Value> {
    let o = &l.organisation;
    let name = o.name.trim();
    if name.is_empty() {
        return None;
    }
    let oid = ids::organization(name);
    let mut m = obj(json!({ "id": oid, "name": name, "description": name }));
    put(&mut m, "website", json!(o.website));
    put(&mut m, "email", json!(o.email));
    if let Some(phone) = &o.phone {
        m.insert(
            "phones".into(),
            json!([{ "id": Uuid::new_v5(&oid, b"phone"), "number": phone }]),
        );
    }
    Some(Value::Object(m))
}

/// How to join in words: the group's own, else what the method means.
fn application_process(l: &Listing) -> String {
    let details = l.join.details.trim();
    if !details.is_empty() {
        return details.to_string();
    }
    match l.join.method {
        JoinMethod::DropIn => "Drop in: just turn up.".into(),
        JoinMethod::Book => "Book first.".into(),
        JoinMethod::Referral => "Referral needed.".into(),
    }
}

/// The full service record.
pub fn service(l: &Listing, cx: &Context) -> Value {
    let sid = ids::listing(l);
    let mut s = obj(json!({
        "id": sid, "name": l.title,
        "description": l.description,
        "status": if cx.active { "active" } else { "inactive" },
    }));
    let c = &l.join.contact;
    put(&mut s, "url", json!(c.url));
    put(&mut s, "email", json!(c.email));
    put(&mut s, "fees", json!(fees(l)));
    put(&mut s, "fees_description", json!(fees(l)));
    put(&mut s, "minimum_age", json!(l.audience.age_min));
    put(&mut s, "maximum_age", json!(l.audience.age_max));
    put(
        &mut s,
        "assured_date",
        json!(l.provenance.verified_at.map(|t| t.date_naive().to_string())),
    );
    put(
        &mut s,
        "last_modified",
        json!(
            cx.modified
                .or(l.provenance.updated_at)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        ),
    );
    put(&mut s, "application_process", json!(application_process(l)));
    put(&mut s, "eligibility_description", json!(l.audience.notes));
    put(&mut s, "attending_type", json!(attending(&l.modes)));
    if let Some(org) = organization(l) {
        s.insert("organization_id".into(), org["id"].clone());
        s.insert("organization".into(), org);
    }
    let mut sals = Vec::new();
    if let Some(v) = &l.venue {
        sals.push(physical_location(l, sid, v));
    }
    if l.modes.contains(&Mode::Online) {
        sals.push(virtual_location(sid));
    }
    put(&mut s, "service_at_locations", Value::Array(sals));
    put(&mut s, "schedules", Value::Array(schedules(l, sid)));
    put(&mut s, "cost_options", Value::Array(cost_options(l, sid)));
    let mut contact = obj(json!({ "id": ids::part(sid, "contact"), "service_id": sid }));
    put(&mut contact, "name", json!(c.name));
    put(&mut contact, "email", json!(c.email));
    if let Some(phone) = &c.phone {
        let phones = json!([{ "id": ids::part(sid, "phone"), "number": phone }]);
        s.insert("phones".into(), phones.clone());
        contact.insert("phones".into(), phones);
    }
    if contact.len() > 2 {
        s.insert(
            "contacts".into(),
            Value::Array(vec![Value::Object(contact)]),
        );
    }
    put(
        &mut s,
        "attributes",
        Value::Array(attributes(l, cx.taxonomy, sid)),
    );
    put(&mut s, "service_areas", Value::Array(service_areas(l, sid)));
    if l.access.features.iter().any(|f| f == "bsl") {
        s.insert(
            "languages".into(),
            json!([{ "id": ids::part(sid, "language/bsl"), "service_id": sid,
                     "name": "British Sign Language", "code": "bfi" }]),
        );
    }
    Value::Object(s)
}

/// A service_at_location with its service, for `/service_at_locations`: the one
/// with id `which`, or else the listing's first (its venue, or else online).
pub fn service_at_location(l: &Listing, cx: &Context, which: Option<Uuid>) -> Option<Value> {
    let full = service(l, cx);
    let sals = full.get("service_at_locations")?.as_array()?;
    let sal = match which {
        Some(id) => {
            let id = id.to_string();
            sals.iter()
                .find(|s| s["id"].as_str() == Some(id.as_str()))?
        }
        None => sals.first()?,
    };
    let mut m = obj(sal.clone());
    let mut svc = obj(full);
    svc.remove("service_at_locations");
    m.insert("service".into(), Value::Object(svc));
    Some(Value::Object(m))
}
