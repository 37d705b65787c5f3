//! Form input: every field of the group submission form (also what a moderator edits) through
//! `ListingForm::to_listing`, and the listing checks (`listing::validate`). The urlencoded body parser under every POST
//! (`web::form::Pairs`) is private to the web layer; its property is a unit test there.

use std::time::Duration;

use proptest::prelude::*;
use signpost::geo::locate::Geocoder;
use signpost::groups::form::{FIELDS, Kind, ListingForm};
use signpost::listing::{Taxonomy, validate};

use super::{config, demo, edge_string, json_round_trip, within};

/// A valid value for a form field, so that generated forms often pass and reach the
/// listing they describe.
fn valid_value(name: &'static str) -> BoxedStrategy<String> {
    let t = Taxonomy::embedded();
    let pick = |v: &[&str]| {
        prop::sample::select(v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).boxed()
    };
    match name {
        "title" | "organisation" | "venue_name" | "contact_name" => {
            "[A-Z][a-z]{2,12}( [A-Za-z']{1,10}){0,3}".boxed()
        }
        "summary" | "description" | "schedule_note" | "access_notes" | "join_details" => {
            "[A-Z][a-z ,.'£]{10,120}".boxed()
        }
        "types" => {
            prop::sample::select(t.types.iter().map(|x| x.slug.clone()).collect::<Vec<_>>()).boxed()
        }
        "access" => {
            prop::sample::select(t.access.iter().map(|x| x.slug.clone()).collect::<Vec<_>>())
                .boxed()
        }
        "modes" => pick(&["in-person", "online", "phone", "home-visit"]),
        "venue_address" => "[0-9]{1,3} [A-Z][a-z]{3,10} (Road|Street|Lane), Sale".boxed(),
        "postcode" => pick(&["M33 7XW", "m41 0xx", "WA14 1AA", " m337xw "]),
        "area" => pick(&["Trafford", "Sale and Altrincham", ""]),
        "s1_repeat" | "s2_repeat" => pick(&["weekly", "fortnightly", "monthly"]),
        "s1_day" | "s2_day" => pick(&["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        "s1_week" | "s2_week" => pick(&["1", "2", "3", "4", "-1"]),
        "s1_start" | "s2_start" => "(0[7-9]|1[0-3]):(00|15|30|45)".boxed(),
        "s1_end" | "s2_end" => "(1[4-9]|2[0-2]):(00|30)".boxed(),
        "s1_starting" | "s2_starting" => {
            pick(&["2026-11-24", "2026-12-01", "2027-03-28", "2026-10-25"])
        }
        "free" => pick(&["yes", "no"]),
        "price" => pick(&["£3", "£2.50 a session", "Donations welcome"]),
        "concessions" => pick(&["Half price for carers", ""]),
        "age_min" => pick(&["0", "18", "50", "65"]),
        "age_max" => pick(&["", "99", "120"]),
        "join_method" => pick(&["drop-in", "book", "referral"]),
        "contact_phone" => pick(&["0161 912 2000", "07700 900123", "+44 161 000 0000"]),
        "contact_email" | "your_email" => pick(&["group@example.org", "a.b@sale.example.org.uk"]),
        "website" => pick(&[
            "https://example.org/group",
            "http://sale.example.org.uk/walks?id=3",
        ]),
        _ => edge_string().boxed(),
    }
}

/// A form a group could send: every question answered validly (optional ones
/// sometimes left out, a second session sometimes given), then up to two answers
/// replaced by edge values or names that are not fields.
fn sensible_form() -> impl Strategy<Value = Vec<(String, String)>> {
    let one = |name: &'static str| valid_value(name).prop_map(move |v| vec![(name.to_string(), v)]);
    let maybe = |name: &'static str| {
        prop::option::of(valid_value(name)).prop_map(move |v| {
            v.into_iter()
                .map(|v| (name.to_string(), v))
                .collect::<Vec<_>>()
        })
    };
    let many = |name: &'static str, n: std::ops::Range<usize>| {
        prop::collection::vec(valid_value(name), n).prop_map(move |vs| {
            vs.into_iter()
                .map(|v| (name.to_string(), v))
                .collect::<Vec<_>>()
        })
    };
    let session = |n: u8| {
        (
            prop::bool::ANY,
            valid_value("s1_day"),
            valid_value("s1_week"),
            valid_value("s1_start"),
            prop::option::of(valid_value("s1_end")),
        )
            .prop_map(move |(monthly, day, week, start, end)| {
                let k = |f: &str| format!("s{n}_{f}");
                let mut out = vec![
                    (
                        k("repeat"),
                        if monthly { "monthly" } else { "weekly" }.to_string(),
                    ),
                    (k("day"), day),
                    (k("start"), start),
                ];
                if monthly {
                    out.push((k("week"), week));
                }
                if let Some(e) = end {
                    out.push((k("end"), e));
                }
                out
            })
    };
    let answers = (
        (
            one("title"),
            maybe("summary"),
            maybe("description"),
            maybe("organisation"),
            many("types", 1..3),
            Just(vec![("modes".to_string(), "in-person".to_string())]),
            many("modes", 0..2),
        ),
        (
            one("venue_name"),
            one("venue_address"),
            one("postcode"),
            maybe("area"),
        ),
        (
            session(1),
            prop::option::of(session(2)).prop_map(Option::unwrap_or_default),
            maybe("schedule_note"),
        ),
        (
            prop::bool::ANY,
            valid_value("price"),
            maybe("concessions"),
            many("access", 0..3),
            maybe("access_notes"),
        ),
        (
            prop::sample::select(vec![("", ""), ("0", "99"), ("18", "120"), ("50", "")]),
            one("join_method"),
            maybe("join_details"),
            maybe("contact_name"),
            one("contact_phone"),
            maybe("contact_email"),
            maybe("website"),
            maybe("your_email"),
        ),
    )
        .prop_map(|(a, b, c, d, e)| {
            let mut out: Vec<(String, String)> = Vec::new();
            out.extend([a.0, a.1, a.2, a.3, a.4, a.5, a.6].concat());
            out.extend([b.0, b.1, b.2, b.3].concat());
            out.extend([c.0, c.1, c.2].concat());
            let (free, price, conc, access, notes) = d;
            out.push(("free".into(), if free { "yes" } else { "no" }.into()));
            if !free {
                out.push(("price".into(), price));
            }
            out.extend([conc, access, notes].concat());
            let ((min, max), join, details, cname, phone, email, web, yours) = e;
            for (k, v) in [("age_min", min), ("age_max", max)] {
                if !v.is_empty() {
                    out.push((k.into(), v.into()));
                }
            }
            out.extend([join, details, cname, phone, email, web, yours].concat());
            out
        });
    (
        answers,
        prop::collection::vec(
            (any::<prop::sample::Index>(), edge_string(), any::<bool>()),
            0..3,
        ),
    )
        .prop_map(|(mut out, changes)| {
            for (i, v, replace) in changes {
                let i = i.index(out.len());
                if replace {
                    out[i].1 = v;
                } else {
                    out.insert(i, (v.clone(), v));
                }
            }
            out
        })
}

/// A submitted form: every field, each valid or (sometimes) an edge value, plus
/// names that are not fields at all.
fn form() -> impl Strategy<Value = Vec<(String, String)>> {
    let fields: Vec<BoxedStrategy<Vec<(String, String)>>> = FIELDS
        .iter()
        .map(|fd| {
            let one = prop_oneof![6 => valid_value(fd.name), 1 => edge_string(), 1 => Just(String::new())];
            let n = if fd.kind == Kind::Many { 0..4 } else { 0..2 };
            prop::collection::vec(one, n)
                .prop_map(move |vs| vs.into_iter().map(|v| (fd.name.to_string(), v)).collect::<Vec<_>>())
                .boxed()
        })
        .collect();
    let chaotic = (
        fields,
        prop::collection::vec((edge_string(), edge_string()), 0..3),
    )
        .prop_map(|(fs, extra)| {
            let mut out: Vec<(String, String)> = fs.into_iter().flatten().collect();
            out.extend(extra);
            out
        });
    prop_oneof![3 => sensible_form(), 1 => chaotic]
}

proptest! {
    #![proptest_config(config(192))]

    /// Any form: a listing or a message for each wrong field, never a panic. A listing
    /// made from a form passes the store's checks, survives a JSON round trip, and is
    /// the same listing when its own form (as shown for editing) is sent again.
    #[test]
    fn submission_form(pairs in form()) {
        let t = demo();
        let form = ListingForm::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let geocoder = Geocoder::new(&*t.app.store);
        let made = within(Duration::from_secs(1), "to_listing", || form.to_listing(t.app.taxonomy, &geocoder));
        match made {
            Ok(mut l) => {
                let edited = ListingForm::from_listing(&l);
                let again = edited.to_listing(t.app.taxonomy, &geocoder);
                prop_assert_eq!(again.as_ref(), Ok(&l), "the listing's own form gave another listing");
                json_round_trip(&l);
                let problems = validate::tidy_and_check(&mut l, t.app.taxonomy);
                prop_assert!(problems.is_empty(), "a listing the form accepted fails the store's checks: {:?}", problems);
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for (field, message) in &errors {
                    prop_assert!(FIELDS.iter().any(|f| f.name == field) || field == "form", "{field}: {message}");
                    prop_assert!(!message.trim().is_empty());
                }
            }
        }
    }
}

/// The generator above reaches valid forms often, so the round trip in
/// `submission_form` is exercised, not skipped.
#[test]
fn generated_forms_often_make_listings() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let t = demo();
    let geocoder = Geocoder::new(&*t.app.store);
    let mut runner = TestRunner::deterministic();
    let made = (0..100)
        .filter(|_| {
            let pairs = form().new_tree(&mut runner).unwrap().current();
            let form = ListingForm::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            form.to_listing(t.app.taxonomy, &geocoder).is_ok()
        })
        .count();
    assert!(
        made >= 30,
        "only {made} of 100 generated forms made a listing"
    );
}
