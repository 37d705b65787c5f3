//! The "Add your activity" form: what a group typed, kept exactly as typed, and how it
//! becomes a `Listing`.
//!
//! The form is a flat list of named values (the names are the HTML field names), so it
//! can travel between steps in hidden fields without cookies, be stored verbatim with a
//! submission (what a group typed is never "tidied" away before a moderator sees it),
//! and be compared field by field for the moderator's diff. Turning it into a `Listing`
//! checks every field and returns all problems at once, keyed by field name, for the
//! GOV.UK error summary.

use chrono::NaiveDate;

use crate::geo::locate::Geocoder;
use crate::geo::postcode::Postcode;
use crate::listing::parse;
use crate::listing::schedule::{Repeat, SessionRule};
use crate::listing::{
    Access, AreaServed, Audience, Contact, Cost, Day, GeoPrecision, Join, JoinMethod, Level,
    Listing, Mode, Organisation, Provenance, Schedule, Status, Taxonomy, Travel, TravelMode, Venue,
    validate,
};

/// (field name, message), in the order the fields appear on the page.
pub type FieldErrors = Vec<(String, String)>;

/// How many recurring sessions the form offers.
pub const SESSIONS: usize = 2;
/// Most web links allowed across the free-text fields (spam is mostly links).
pub const MAX_LINKS: usize = 5;
/// Longest value of a one-line field, and of a multi-line one.
pub const MAX_LINE: usize = 300;
pub const MAX_AREA: usize = 5_000;
/// Most people a session can take, as the form accepts it.
pub const MAX_PLACES: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Line,
    Area,
    /// Several values (checkboxes).
    Many,
    /// One of a fixed set (radios, selects).
    One,
}

/// One field: name, the question as shown on the check-answers page and in diffs.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
}

const fn f(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field { name, label, kind }
}

/// Every field, in page order.
pub const FIELDS: &[Field] = &[
    f("title", "Name of the activity", Kind::Line),
    f("summary", "Short summary", Kind::Area),
    f("description", "Full description", Kind::Area),
    f("organisation", "Group or organisation", Kind::Line),
    f("types", "Type of activity", Kind::Many),
    f("modes", "How people take part", Kind::Many),
    f("venue_name", "Venue name", Kind::Line),
    f("venue_address", "Venue address", Kind::Line),
    f("postcode", "Venue postcode", Kind::Line),
    f("area", "Area covered", Kind::Line),
    f("s1_repeat", "Session 1: how often", Kind::One),
    f("s1_day", "Session 1: day", Kind::One),
    f("s1_week", "Session 1: week of the month", Kind::One),
    f("s1_start", "Session 1: start time", Kind::Line),
    f("s1_end", "Session 1: end time", Kind::Line),
    f("s1_starting", "Session 1: first date", Kind::Line),
    f("s2_repeat", "Session 2: how often", Kind::One),
    f("s2_day", "Session 2: day", Kind::One),
    f("s2_week", "Session 2: week of the month", Kind::One),
    f("s2_start", "Session 2: start time", Kind::Line),
    f("s2_end", "Session 2: end time", Kind::Line),
    f("s2_starting", "Session 2: first date", Kind::Line),
    f(
        "schedule_note",
        "Anything else about when it runs",
        Kind::Area,
    ),
    f("free", "Is it free?", Kind::One),
    f("price", "What it costs", Kind::Line),
    f("concessions", "Discounts or help with cost", Kind::Line),
    f("access", "Accessibility", Kind::Many),
    f("access_notes", "What to expect when you arrive", Kind::Area),
    f(
        "by_public_transport",
        "Getting there by bus, tram or train",
        Kind::Area,
    ),
    f("by_car", "Getting there by car", Kind::Area),
    f("age_min", "Youngest age", Kind::Line),
    f("age_max", "Oldest age", Kind::Line),
    f("level", "Experience needed", Kind::One),
    f("join_method", "How to join", Kind::One),
    f("join_details", "The first step", Kind::Area),
    f(
        "meeting_point",
        "Where to go on the first visit",
        Kind::Area,
    ),
    f("leader", "Who leads it", Kind::Line),
    f("places", "Most people at a session", Kind::Line),
    f("contact_name", "Contact name", Kind::Line),
    f("contact_phone", "Contact phone", Kind::Line),
    f("contact_email", "Contact email", Kind::Line),
    f("website", "Website", Kind::Line),
    f(
        "your_email",
        "Your email address (not published)",
        Kind::Line,
    ),
];

pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

pub const REPEATS: &[(&str, &str)] = &[
    ("weekly", "Every week"),
    ("fortnightly", "Every other week"),
    ("monthly", "Once a month"),
];
pub const WEEKS: &[(&str, &str)] = &[
    ("1", "First"),
    ("2", "Second"),
    ("3", "Third"),
    ("4", "Fourth"),
    ("-1", "Last"),
];
/// The getting-there questions and the way of travelling each asks about.
const TRAVEL_QUESTIONS: [(&str, TravelMode); 2] = [
    ("by_public_transport", TravelMode::PublicTransport),
    ("by_car", TravelMode::Car),
];
pub const JOIN_METHODS: &[(&str, &str)] = &[
    ("drop-in", "Just turn up"),
    ("book", "Book a place first"),
    ("referral", "A referral is needed"),
];

/// What a group typed. Values are kept exactly as sent (no trimming), except that a
/// field sent twice keeps every value only for checkbox fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListingForm {
    values: Vec<(String, String)>,
}

impl ListingForm {
    /// From decoded form pairs; unknown names (buttons, tokens, honeypot) are dropped.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ListingForm {
        let mut values: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs {
            let Some(fd) = field(k) else { continue };
            if fd.kind == Kind::Many {
                if !v.is_empty() && !values.iter().any(|(a, b)| a == k && b == v) {
                    values.push((k.to_string(), v.to_string()));
                }
            } else if let Some(slot) = values.iter_mut().find(|(a, _)| a == k) {
                slot.1 = v.to_string();
            } else {
                values.push((k.to_string(), v.to_string()));
            }
        }
        ListingForm { values }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.values
    }

    pub fn get(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() {
            self.values.push((name.to_string(), value));
        }
    }

    /// The email address the group gave for their private link, if any.
    pub fn your_email(&self) -> Option<&str> {
        Some(self.get("your_email").trim()).filter(|e| !e.is_empty())
    }

    /// A field's value as shown to people (choice labels instead of codes).
    pub fn display(&self, name: &str, taxonomy: &Taxonomy) -> String {
        let label_of = |table: &[(&str, &'static str)], v: &str| -> String {
            table
                .iter()
                .find(|(k, _)| *k == v)
                .map_or(v.to_string(), |(_, l)| l.to_string())
        };
        match name {
            "types" => self
                .all(name)
                .iter()
                .map(|s| {
                    taxonomy
                        .activity_type(s)
                        .map_or(s.to_string(), |t| t.label.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
            "access" => self
                .all(name)
                .iter()
                .map(|s| {
                    taxonomy
                        .access_feature(s)
                        .map_or(s.to_string(), |t| t.label.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
            "modes" => self
                .all(name)
                .iter()
                .map(|s| Mode::from_slug(s).map_or(s.to_string(), |m| m.label().to_string()))
                .collect::<Vec<_>>()
                .join(", "),
            "s1_repeat" | "s2_repeat" => label_of(REPEATS, self.get(name)),
            "s1_week" | "s2_week" => label_of(WEEKS, self.get(name)),
            "s1_day" | "s2_day" => Day::from_slug(self.get(name))
                .map_or(self.get(name).to_string(), |d| d.name().to_string()),
            "join_method" => label_of(JOIN_METHODS, self.get(name)),
            "level" => Level::from_slug(self.get(name))
                .map_or(self.get(name).to_string(), |l| l.label().to_string()),
            "free" => match self.get(name) {
                "yes" => "Yes, it is free".into(),
                "no" => "No, there is a cost".into(),
                other => other.into(),
            },
            _ => self.get(name).to_string(),
        }
    }

    /// Fields whose values differ, in page order: (field, before, after).
    pub fn diff<'a>(&'a self, after: &'a ListingForm) -> Vec<&'static Field> {
        FIELDS
            .iter()
            .filter(|fd| fd.name != "your_email")
            .filter(|fd| {
                let norm = |f: &ListingForm| {
                    let mut v: Vec<String> = f
                        .all(fd.name)
                        .iter()
                        .map(|s| s.trim().to_string())
                        .collect();
                    v.sort();
                    v
                };
                norm(self) != norm(after)
            })
            .collect()
    }

    /// Problems that need no look-ups: sizes, links, formats.
    fn check_sizes(&self, errors: &mut FieldErrors) {
        for fd in FIELDS {
            let max = if fd.kind == Kind::Area {
                MAX_AREA
            } else {
                MAX_LINE
            };
            for v in self.all(fd.name) {
                if v.chars().count() > max {
                    push(
                        errors,
                        fd.name,
                        format!("{} must be {max} characters or fewer", fd.label),
                    );
                }
                if v.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
                {
                    push(
                        errors,
                        fd.name,
                        format!(
                            "{} contains characters that cannot be shown. Remove them and try again",
                            fd.label
                        ),
                    );
                }
            }
        }
        let links: usize = FIELDS
            .iter()
            .filter(|fd| matches!(fd.kind, Kind::Line | Kind::Area) && fd.name != "website")
            .map(|fd| count_links(self.get(fd.name)))
            .sum();
        if links > MAX_LINKS {
            push(
                errors,
                "description",
                format!(
                    "Include no more than {MAX_LINKS} web links in your answers. Put your website in the website question"
                ),
            );
        }
    }

    /// Checks everything and builds the listing (not yet stored: id 0, source id
    /// "pending"). The postcode is looked up, so its position is known.
    ///
    /// Each part of the listing has its own step below, in page order; every step
    /// adds its problems to one list, so the group sees them all at once.
    pub fn to_listing(
        &self,
        taxonomy: &Taxonomy,
        geocoder: &Geocoder<'_>,
    ) -> Result<Listing, FieldErrors> {
        let mut errors = FieldErrors::new();
        self.check_sizes(&mut errors);
        let modes: Vec<Mode> = self
            .all("modes")
            .iter()
            .filter_map(|m| Mode::from_slug(m))
            .collect();
        let venue = self.venue_of(&modes, geocoder, &mut errors);
        let sessions = self.sessions_of(&mut errors);
        let cost = self.cost_of(&mut errors);
        let audience = self.audience_of(&mut errors);
        let join = self.join_of(&mut errors);
        self.check_choices(taxonomy, &modes, &mut errors);

        let mut listing = Listing {
            id: 0,
            title: self.text("title"),
            summary: self.text("summary"),
            description: self.text("description"),
            organisation: Organisation {
                name: self.text("organisation"),
                website: self.given("website"),
                email: None,
                phone: None,
            },
            types: self.all("types").iter().map(|s| s.to_string()).collect(),
            modes,
            venue,
            area_served: AreaServed {
                description: self.text("area"),
                postcodes: Vec::new(),
            },
            schedule: Schedule {
                sessions,
                dates: Vec::new(),
                except: Vec::new(),
                note: self.text("schedule_note"),
            },
            cost,
            access: Access {
                features: self.all("access").iter().map(|s| s.to_string()).collect(),
                notes: self.text("access_notes"),
                travel: TRAVEL_QUESTIONS
                    .into_iter()
                    .filter_map(|(name, by)| self.given(name).map(|note| Travel { by, note }))
                    .collect(),
            },
            audience,
            join,
            provenance: Provenance {
                source: super::SOURCE.into(),
                source_id: "pending".into(),
                ..Default::default()
            },
            status: Status::Published,
        };
        check_listing(&mut listing, taxonomy, &mut errors);
        if errors.is_empty() {
            Ok(listing)
        } else {
            // Page order, so the summary reads top to bottom.
            errors.sort_by_key(|(k, _)| {
                FIELDS
                    .iter()
                    .position(|fd| fd.name == k)
                    .unwrap_or(usize::MAX)
            });
            Err(errors)
        }
    }

    /// A field's value without the spaces around it.
    fn text(&self, name: &str) -> String {
        self.get(name).trim().to_string()
    }

    /// A field's value without the spaces around it, if there is one.
    fn given(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|s| !s.is_empty())
    }

    /// The venue, when the activity has one (any venue field given, or in person);
    /// its postcode is looked up for its position.
    fn venue_of(
        &self,
        modes: &[Mode],
        geocoder: &Geocoder<'_>,
        errors: &mut FieldErrors,
    ) -> Option<Venue> {
        let in_person = modes.contains(&Mode::InPerson);
        let any_given = ["venue_name", "venue_address", "postcode"]
            .iter()
            .any(|n| !self.text(n).is_empty());
        if !(any_given || in_person) {
            return None;
        }
        let mut v = Venue {
            name: self.text("venue_name"),
            address: self.text("venue_address"),
            ..Default::default()
        };
        let pc = self.text("postcode");
        if pc.is_empty() {
            if in_person {
                push(
                    errors,
                    "postcode",
                    "Enter the postcode of the venue, like M33 7XW",
                );
            }
            return Some(v);
        }
        let p = match Postcode::parse(&pc) {
            Ok(p) if p.is_full() => p,
            Ok(_) => {
                push(
                    errors,
                    "postcode",
                    "Enter the full postcode of the venue, like M33 7XW, not just the first part",
                );
                return Some(v);
            }
            Err(e) => {
                push(errors, "postcode", e.to_string());
                return Some(v);
            }
        };
        match geocoder.position(&p) {
            Ok(Some((lat, lon, precision))) => {
                v.postcode = Some(p.to_string());
                v.lat = Some(lat);
                v.lon = Some(lon);
                v.geo_precision = Some(precision);
            }
            Ok(None) => push(
                errors,
                "postcode",
                format!("We could not find the postcode {p}. Check it and try again"),
            ),
            Err(e) => {
                tracing::error!("postcode look-up failed: {e}");
                push(
                    errors,
                    "postcode",
                    "We could not check the postcode just now. Try again in a minute",
                );
            }
        }
        Some(v)
    }

    /// The recurring sessions that were filled in (a session with no "how often" is
    /// left out).
    fn sessions_of(&self, errors: &mut FieldErrors) -> Vec<SessionRule> {
        (1..=SESSIONS)
            .filter_map(|i| self.session_of(i, errors))
            .collect()
    }

    /// Session `i` (fields `s{i}_...`), if it was filled in and is right.
    fn session_of(&self, i: usize, errors: &mut FieldErrors) -> Option<SessionRule> {
        let n = |s: &str| format!("s{i}_{s}");
        let repeat = match self.text(&n("repeat")).as_str() {
            "" => return None,
            "weekly" => Repeat::Weekly,
            "fortnightly" => Repeat::Fortnightly,
            "monthly" => Repeat::Monthly,
            _ => {
                push(
                    errors,
                    &n("repeat"),
                    format!("Session {i}: select how often it runs"),
                );
                return None;
            }
        };
        let day = Day::from_slug(&self.text(&n("day")));
        if day.is_none() {
            push(
                errors,
                &n("day"),
                format!("Session {i}: select the day it runs"),
            );
        }
        let start = parse::time(&self.text(&n("start")));
        if start.is_none() {
            push(
                errors,
                &n("start"),
                format!("Session {i}: enter the start time, like 10:30 or 14:00"),
            );
        }
        let end_text = self.text(&n("end"));
        let end = parse::time(&end_text);
        if !end_text.is_empty() && end.is_none() {
            push(
                errors,
                &n("end"),
                format!("Session {i}: enter the end time, like 12:00"),
            );
        }
        let week = self.week_of(i, repeat, errors);
        let starting = self.starting_of(i, repeat, errors);
        let rule = SessionRule {
            repeat,
            day: day?,
            week_of_month: week,
            start: start?,
            end,
            starting,
            until: None,
        };
        match rule.validate() {
            Ok(()) => Some(rule),
            Err(e) => {
                // Only when the fields themselves were right: the rule's own problem
                // (ends before it starts...) would repeat theirs.
                if errors
                    .iter()
                    .all(|(k, _)| !k.starts_with(&format!("s{i}_")))
                {
                    push(
                        errors,
                        &n("start"),
                        format!("Session {i}: {}", sentence(&e.to_string())),
                    );
                }
                None
            }
        }
    }

    /// Which week of the month session `i` runs, for a monthly session.
    fn week_of(&self, i: usize, repeat: Repeat, errors: &mut FieldErrors) -> Option<i8> {
        if repeat != Repeat::Monthly {
            return None;
        }
        let name = format!("s{i}_week");
        match self.text(&name).parse::<i8>() {
            Ok(w) if w == -1 || (1..=4).contains(&w) => Some(w),
            _ => {
                push(
                    errors,
                    &name,
                    format!("Session {i}: select which week of the month it runs"),
                );
                None
            }
        }
    }

    /// The first date of session `i`, which a fortnightly session must have.
    fn starting_of(&self, i: usize, repeat: Repeat, errors: &mut FieldErrors) -> Option<NaiveDate> {
        let name = format!("s{i}_starting");
        let text = self.text(&name);
        let starting = parse::date(&text);
        if !text.is_empty() && starting.is_none() {
            push(
                errors,
                &name,
                format!("Session {i}: enter the first date like 2027-01-12"),
            );
        }
        if repeat == Repeat::Fortnightly && text.is_empty() {
            push(
                errors,
                &name,
                format!(
                    "Session {i}: enter the date of one session, so we know which weeks it runs"
                ),
            );
        }
        starting
    }

    /// Free or not, and the price and discounts as typed.
    fn cost_of(&self, errors: &mut FieldErrors) -> Cost {
        let free = match self.get("free") {
            "yes" => true,
            "no" => false,
            _ => {
                push(errors, "free", "Select whether the activity is free");
                false
            }
        };
        if self.get("free") == "no" && self.text("price").is_empty() {
            push(errors, "price", "Say what it costs, like £3 a session");
        }
        Cost {
            free,
            price: if free { None } else { self.given("price") },
            amount_pence: None,
            concessions: self.given("concessions"),
            pay_what_you_can: false,
        }
    }

    /// The age range, when given.
    fn audience_of(&self, errors: &mut FieldErrors) -> Audience {
        let mut age = |name: &str| -> Option<u8> {
            let s = self.text(name);
            if s.is_empty() {
                return None;
            }
            match s.parse::<u8>() {
                Ok(a) if a <= 120 => Some(a),
                _ => {
                    push(
                        errors,
                        name,
                        "Enter an age as a number from 0 to 120, like 18",
                    );
                    None
                }
            }
        };
        let age_min = age("age_min");
        let age_max = age("age_max");
        let level = match self.text("level").as_str() {
            "" => None,
            slug => {
                let level = Level::from_slug(slug);
                if level.is_none() {
                    push(
                        errors,
                        "level",
                        "Select how much experience people need from the list",
                    );
                }
                level
            }
        };
        Audience {
            age_min,
            age_max,
            level,
            ..Default::default()
        }
    }

    /// How to join and who to contact; at least one way to get in touch is needed.
    fn join_of(&self, errors: &mut FieldErrors) -> Join {
        let method = match self.get("join_method") {
            "drop-in" => JoinMethod::DropIn,
            "book" => JoinMethod::Book,
            "referral" => JoinMethod::Referral,
            _ => {
                push(errors, "join_method", "Select how people join");
                JoinMethod::DropIn
            }
        };
        for name in ["contact_email", "your_email"] {
            let e = self.text(name);
            if !e.is_empty() && !parse::is_email(&e) {
                push(
                    errors,
                    name,
                    "Enter an email address in the correct format, like name@example.com",
                );
            }
        }
        let phone = self.text("contact_phone");
        let phone_ok = phone.chars().filter(|c| c.is_ascii_digit()).count() >= 6
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +()-".contains(c));
        if !phone.is_empty() && !phone_ok {
            push(
                errors,
                "contact_phone",
                "Enter a phone number, like 0161 123 4567",
            );
        }
        let website = self.text("website");
        if !website.is_empty() && parse::web_address(&website).is_none() {
            push(
                errors,
                "website",
                "Enter a web address starting with https://, like https://example.org",
            );
        }
        if [&phone, &self.text("contact_email"), &website]
            .iter()
            .all(|s| s.is_empty())
        {
            push(
                errors,
                "contact_phone",
                "Give at least one way to get in touch: a phone number, an email address or a website",
            );
        }
        let places = self.given("places").and_then(|s| match s.parse::<u32>() {
            Ok(n) if (1..=MAX_PLACES).contains(&n) => Some(n),
            _ => {
                push(
                    errors,
                    "places",
                    format!("Enter the most people at a session as a number from 1 to {MAX_PLACES}, like 12"),
                );
                None
            }
        });
        Join {
            method,
            details: self.text("join_details"),
            contact: Contact {
                name: self.given("contact_name"),
                phone: self.given("contact_phone"),
                email: self.given("contact_email"),
                url: self.given("website"),
            },
            meeting_point: self.text("meeting_point"),
            leader: self.given("leader"),
            places,
        }
    }

    /// Every ticked choice must be one the page offered.
    fn check_choices(&self, taxonomy: &Taxonomy, modes: &[Mode], errors: &mut FieldErrors) {
        if self
            .all("types")
            .iter()
            .any(|ty| taxonomy.activity_type(ty).is_none())
        {
            push(errors, "types", "Select types of activity from the list");
        }
        if self
            .all("access")
            .iter()
            .any(|a| taxonomy.access_feature(a).is_none())
        {
            push(
                errors,
                "access",
                "Select accessibility features from the list",
            );
        }
        if self.all("modes").len() != modes.len() {
            push(errors, "modes", "Select how people take part from the list");
        }
    }

    /// The form as it would be filled in for an existing listing (to edit it).
    pub fn from_listing(l: &Listing) -> ListingForm {
        let mut f = ListingForm::default();
        f.set("title", &l.title);
        f.set("summary", &l.summary);
        f.set("description", &l.description);
        f.set("organisation", &l.organisation.name);
        for t in &l.types {
            f.set("types", t);
        }
        for m in &l.modes {
            f.set("modes", m.slug());
        }
        if let Some(v) = &l.venue {
            f.set("venue_name", &v.name);
            f.set("venue_address", &v.address);
            f.set("postcode", v.postcode.clone().unwrap_or_default());
        }
        f.set("area", &l.area_served.description);
        for (i, s) in l.schedule.sessions.iter().take(SESSIONS).enumerate() {
            let n = |x: &str| format!("s{}_{x}", i + 1);
            f.set(
                &n("repeat"),
                match s.repeat {
                    Repeat::Weekly => "weekly",
                    Repeat::Fortnightly => "fortnightly",
                    Repeat::Monthly => "monthly",
                },
            );
            f.set(&n("day"), s.day.slug());
            if let Some(w) = s.week_of_month {
                f.set(&n("week"), w.to_string());
            }
            f.set(&n("start"), s.start.format("%H:%M").to_string());
            if let Some(e) = s.end {
                f.set(&n("end"), e.format("%H:%M").to_string());
            }
            if let Some(d) = s.starting {
                f.set(&n("starting"), d.to_string());
            }
        }
        f.set("schedule_note", &l.schedule.note);
        f.set("free", if l.cost.free { "yes" } else { "no" });
        f.set("price", l.cost.price.clone().unwrap_or_default());
        f.set(
            "concessions",
            l.cost.concessions.clone().unwrap_or_default(),
        );
        for a in &l.access.features {
            f.set("access", a);
        }
        f.set("access_notes", &l.access.notes);
        for (name, by) in TRAVEL_QUESTIONS {
            let notes: Vec<&str> = l
                .access
                .travel
                .iter()
                .filter(|t| t.by == by)
                .map(|t| t.note.as_str())
                .collect();
            f.set(name, notes.join("\n\n"));
        }
        if let Some(a) = l.audience.age_min {
            f.set("age_min", a.to_string());
        }
        if let Some(a) = l.audience.age_max {
            f.set("age_max", a.to_string());
        }
        if let Some(level) = l.audience.level {
            f.set("level", level.slug());
        }
        f.set(
            "join_method",
            match l.join.method {
                JoinMethod::DropIn => "drop-in",
                JoinMethod::Book => "book",
                JoinMethod::Referral => "referral",
            },
        );
        f.set("join_details", &l.join.details);
        f.set("meeting_point", &l.join.meeting_point);
        f.set("leader", l.join.leader.clone().unwrap_or_default());
        if let Some(n) = l.join.places {
            f.set("places", n.to_string());
        }
        let c = &l.join.contact;
        f.set("contact_name", c.name.clone().unwrap_or_default());
        f.set(
            "contact_phone",
            c.phone
                .clone()
                .or_else(|| l.organisation.phone.clone())
                .unwrap_or_default(),
        );
        f.set(
            "contact_email",
            c.email
                .clone()
                .or_else(|| l.organisation.email.clone())
                .unwrap_or_default(),
        );
        f.set(
            "website",
            l.organisation
                .website
                .clone()
                .or_else(|| c.url.clone())
                .unwrap_or_default(),
        );
        f
    }
}

/// Keeps what a moderator or group edit does not touch (ids, provenance, fields the
/// form does not cover) from the live listing.
pub fn merge_into(live: &Listing, mut proposed: Listing) -> Listing {
    proposed.id = live.id;
    proposed.provenance = live.provenance.clone();
    proposed.status = live.status;
    proposed.area_served.postcodes = live.area_served.postcodes.clone();
    proposed.audience.gender = live.audience.gender;
    proposed.audience.circumstances = live.audience.circumstances.clone();
    proposed.audience.notes = live.audience.notes.clone();
    proposed.schedule.dates = live.schedule.dates.clone();
    proposed.schedule.except = live.schedule.except.clone();
    if proposed.schedule.sessions.len() == SESSIONS && live.schedule.sessions.len() > SESSIONS {
        proposed
            .schedule
            .sessions
            .extend(live.schedule.sessions[SESSIONS..].iter().cloned());
    }
    proposed.cost.amount_pence = live.cost.amount_pence;
    proposed.cost.pay_what_you_can = live.cost.pay_what_you_can;
    // A source's note on getting there that is not about one way of travelling has
    // no form question of its own; an edit keeps it.
    proposed.access.travel.extend(
        live.access
            .travel
            .iter()
            .filter(|t| t.by == TravelMode::Any)
            .cloned(),
    );
    proposed.organisation.email = live.organisation.email.clone();
    proposed.organisation.phone = live.organisation.phone.clone();
    if let (Some(p), Some(l)) = (&mut proposed.venue, &live.venue)
        && p.postcode == l.postcode
        && l.geo_precision == Some(GeoPrecision::Source)
    {
        p.lat = l.lat;
        p.lon = l.lon;
        p.geo_precision = l.geo_precision;
    }
    proposed
}

/// The checks every listing gets ([`validate::tidy_and_check`]), with each problem
/// put against the form field it comes from, in the form's own words.
fn check_listing(listing: &mut Listing, taxonomy: &Taxonomy, errors: &mut FieldErrors) {
    for p in validate::tidy_and_check(listing, taxonomy) {
        let name = match p.field.as_str() {
            "organisation.name" => "organisation",
            "access.notes" => "access_notes",
            "join.details" => "join_details",
            "join.meeting_point" => "meeting_point",
            "join.leader" => "leader",
            "access.travel.car" => "by_car",
            s if s.starts_with("access.travel") => "by_public_transport",
            "schedule.note" => "schedule_note",
            "audience.age_min" => "age_min",
            "audience.age_max" => "age_max",
            "venue" | "venue.postcode" => "postcode",
            "types" => "types",
            "access.features" => "access",
            "modes" => "modes",
            s if s.starts_with("schedule") => "s1_start",
            s => field(s).map_or("title", |fd| fd.name),
        };
        let msg = match name {
            "types" if listing.types.is_empty() => {
                "Select at least one type of activity".to_string()
            }
            "modes" => "Select how people take part: in person, online, by phone or home visits"
                .to_string(),
            "postcode" if errors.iter().any(|(k, _)| k == "postcode") => continue,
            // "This must be 250 characters or fewer" names its question, as the
            // form's own size checks do.
            _ => match p.message.strip_prefix("This must be") {
                Some(rest) => format!(
                    "{} must be{rest}",
                    field(name).map_or("This", |fd| fd.label)
                ),
                None => p.message,
            },
        };
        push(errors, name, msg);
    }
}

fn push(errors: &mut FieldErrors, field: &str, msg: impl Into<String>) {
    let msg = msg.into();
    if !errors.iter().any(|(k, m)| k == field && *m == msg) {
        errors.push((field.to_string(), msg));
    }
}

fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn count_links(s: &str) -> usize {
    let lower = s.to_ascii_lowercase();
    lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower.matches("www.").count()
}
