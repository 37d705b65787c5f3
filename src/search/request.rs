//! A search request: parsed and checked once, the same way for the pages, the JSON
//! API and the CLI (which turns its flags into the same name/value pairs).
//!
//! Parsing never fails on the query text itself (any `q` is searchable); it fails, with
//! a message a person can act on, only on values that cannot mean anything: an unknown
//! type, a radius that isn't a number, an invalid postcode. Unknown parameters are
//! ignored so that old links and tracking junk don't break a search.

use serde::Serialize;

use crate::geo::locate::LocateError;
pub use crate::geo::locate::Near;
use crate::listing::{Day, Mode, Taxonomy, TimeOfDay};

pub const PER_PAGE: usize = 10;
/// Deep pages are useless to people and costly to compute; stop well before.
pub const MAX_PAGE: usize = 100;
pub const DEFAULT_WITHIN_MILES: f64 = 5.0;
pub const MAX_WITHIN_MILES: f64 = 100.0;
pub const MIN_WITHIN_MILES: f64 = 0.1;
/// Longer queries are cut, not refused: nobody types 200 characters on purpose.
pub const MAX_QUERY_CHARS: usize = 200;
/// Longer places are cut too: no postcode, position or place name is this long.
pub const MAX_NEAR_CHARS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first; blended with distance when a location is given.
    #[default]
    Relevance,
    /// Nearest first; listings without a venue come after those with one.
    Distance,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchRequest {
    pub q: String,
    pub near: Option<Near>,
    /// What the person typed in `near`, echoed back in forms.
    pub near_input: String,
    pub within: f64,
    pub types: Vec<String>,
    pub access: Vec<String>,
    pub free: bool,
    pub days: Vec<Day>,
    pub times: Vec<TimeOfDay>,
    pub age: Option<u8>,
    pub modes: Vec<Mode>,
    /// `None` means "the default for this request": distance when only a place is
    /// given, relevance otherwise.
    pub sort: Option<Sort>,
    pub page: usize,
    /// Also find listings not checked for so long that they left default results.
    /// Never read from a public query string: for moderators, who look after them.
    pub include_stale: bool,
    /// Results a page; `None` is [`PER_PAGE`]. Never read from a public query string:
    /// set by callers that page differently (the Open Referral API's `per_page`).
    pub per_page: Option<usize>,
    /// Search every word as typed: no filters read from the words (`understand`).
    /// The page's "search for all your words instead" link sets it.
    pub as_typed: bool,
    /// Count every match, however many (the Open Referral API's pages need exact
    /// totals). Never read from a public query string.
    pub exact_counts: bool,
    /// Only the matches: no listings close to the search after them
    /// ([`super::SearchResults::also`]), for callers that page through matches
    /// exactly (the Open Referral API, moderators' find). Never read from a public
    /// query string.
    pub matches_only: bool,
    /// Leave out the counts per activity type, for callers that never show them (the
    /// Open Referral API, moderators' find): a match's types are then never read, and
    /// a type filter costs no second pass to count the other types. Never read from a
    /// public query string.
    pub without_type_counts: bool,
    /// Leave out the hits' cards: only [`super::SearchResults::ids`] is filled, for
    /// callers that read each listing from the store themselves (the Open Referral
    /// API). Never read from a public query string.
    pub ids_only: bool,
}

/// One parameter that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamError {
    pub param: String,
    pub message: String,
    /// Values the person could have meant (an ambiguous place: "Newton, SK14"), each
    /// offered as a link that searches with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

impl ParamError {
    pub fn new(param: &str, message: impl Into<String>) -> ParamError {
        ParamError {
            param: param.to_string(),
            message: message.into(),
            choices: Vec::new(),
        }
    }

    /// The `near` problem a person can correct (a postcode or place we do not know)
    /// or choose from (a name several places share); `None` when the postcode table
    /// failed, which is not theirs to fix.
    pub fn from_locate(e: &LocateError) -> Option<ParamError> {
        let mut error = ParamError::new("near", e.to_string());
        match e {
            LocateError::Unknown(_) | LocateError::UnknownPlace(_) => {}
            LocateError::Ambiguous { choices, .. } => error.choices = choices.clone(),
            LocateError::Table(_) => return None,
        }
        Some(error)
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(param: &str, message: impl Into<String>) -> ParamError {
    ParamError::new(param, message)
}

/// Shortens what someone typed for use inside a message.
pub fn quote(s: &str) -> String {
    let s = s.trim();
    let mut out: String = s.chars().take(30).collect();
    if s.chars().count() > 30 {
        out.push('…');
    }
    out
}

impl SearchRequest {
    /// Parses `application/x-www-form-urlencoded` pairs (repeated names allowed).
    ///
    /// Returns the request with every valid part filled in, plus every problem found:
    /// a page can show the problems and still keep what was typed.
    pub fn from_pairs<'a, I>(pairs: I, taxonomy: &Taxonomy) -> (SearchRequest, Vec<ParamError>)
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut r = SearchRequest {
            within: DEFAULT_WITHIN_MILES,
            page: 1,
            ..Default::default()
        };
        let mut errors = Vec::new();
        for (name, value) in pairs {
            if let Err(e) = r.set(name, value.trim(), taxonomy) {
                errors.push(e);
            }
        }
        if r.sort == Some(Sort::Distance)
            && r.near.is_none()
            && !errors.iter().any(|e| e.param == "near")
        {
            errors.push(err(
                "sort",
                "To sort by distance, enter a postcode to search near",
            ));
        }
        (r, errors)
    }

    /// Reads one parameter into the request. An empty value leaves the default; a
    /// repeated value of a list is kept once; unknown names are ignored.
    fn set(&mut self, name: &str, v: &str, taxonomy: &Taxonomy) -> Result<(), ParamError> {
        match name {
            "q" => self.q = v.chars().take(MAX_QUERY_CHARS).collect(),
            // The place is cut before it is read, so the links a page makes from the
            // request (next page, sort), which carry the cut text, ask for the same
            // search.
            "near" => {
                self.near_input = v.chars().take(MAX_NEAR_CHARS).collect();
                if !v.is_empty() {
                    let near = Near::parse(&self.near_input).map_err(|e| err("near", e))?;
                    self.near = Some(near);
                }
            }
            "free" => {
                self.free = match v {
                    "" | "0" | "false" | "no" | "off" => false,
                    "1" | "true" | "yes" | "on" => true,
                    _ => return Err(err("free", "Free must be 1 (only free activities) or 0")),
                }
            }
            "as_typed" => self.as_typed = matches!(v, "1" | "true" | "yes" | "on"),
            "sort" => {
                self.sort = match v {
                    "" => self.sort,
                    "relevance" => Some(Sort::Relevance),
                    "distance" => Some(Sort::Distance),
                    _ => return Err(err("sort", "Sort must be relevance or distance")),
                }
            }
            _ if v.is_empty() => {}
            "within" => self.within = parse_within(v)?,
            "type" => match taxonomy.activity_type(v) {
                Some(_) => push_new(&mut self.types, v.to_string()),
                None => {
                    return Err(err(
                        "type",
                        format!("'{}' is not a type of activity we list", quote(v)),
                    ));
                }
            },
            "access" => match taxonomy.access_feature(v) {
                Some(_) => push_new(&mut self.access, v.to_string()),
                None => {
                    return Err(err(
                        "access",
                        format!("'{}' is not an accessibility feature we know", quote(v)),
                    ));
                }
            },
            "day" => {
                let day = Day::from_slug(v).ok_or_else(|| {
                    err(
                        "day",
                        format!(
                            "'{}' is not a day. Use mon, tue, wed, thu, fri, sat or sun",
                            quote(v)
                        ),
                    )
                })?;
                push_new(&mut self.days, day);
            }
            "time" => {
                let time = TimeOfDay::from_slug(&v.to_ascii_lowercase()).ok_or_else(|| {
                    err("time", "Time of day must be morning, afternoon or evening")
                })?;
                push_new(&mut self.times, time);
            }
            "age" => match v.parse::<u8>() {
                Ok(a) if a <= 120 => self.age = Some(a),
                _ => return Err(err("age", "Age must be a whole number from 0 to 120")),
            },
            "mode" => {
                let mode = Mode::from_slug(&v.to_ascii_lowercase()).ok_or_else(|| {
                    err(
                        "mode",
                        "How it happens must be in-person, online, phone or home-visit",
                    )
                })?;
                push_new(&mut self.modes, mode);
            }
            "page" => match v.parse::<usize>() {
                Ok(p) if (1..=MAX_PAGE).contains(&p) => self.page = p,
                _ => {
                    return Err(err(
                        "page",
                        format!("Page must be a whole number from 1 to {MAX_PAGE}"),
                    ));
                }
            },
            _ => {}
        }
        Ok(())
    }

    /// Parses a raw query string (lossy on bad percent-encoding, never fails).
    pub fn from_query_string(qs: &str, taxonomy: &Taxonomy) -> (SearchRequest, Vec<ParamError>) {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(qs.as_bytes()).into_owned().collect();
        Self::from_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            taxonomy,
        )
    }

    /// Results a page.
    /// Whether anything narrows the search beyond its words and place: a type, an
    /// access need, free, a day or time, an age or a way of taking part.
    pub fn has_filters(&self) -> bool {
        !self.types.is_empty()
            || !self.access.is_empty()
            || self.free
            || !self.days.is_empty()
            || !self.times.is_empty()
            || self.age.is_some()
            || !self.modes.is_empty()
    }

    pub fn page_size(&self) -> usize {
        self.per_page.unwrap_or(PER_PAGE).max(1)
    }

    /// The sort actually used.
    pub fn effective_sort(&self) -> Sort {
        match self.sort {
            Some(s) => s,
            None if self.near.is_some() && self.q.trim().is_empty() => Sort::Distance,
            None => Sort::Relevance,
        }
    }

    /// The request as URL pairs, in a stable order (for links: pagination, sorting,
    /// shortlists). `page` is left out; callers add the one they want.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        if !self.q.is_empty() {
            out.push(("q", self.q.clone()));
        }
        if !self.near_input.is_empty() {
            out.push(("near", self.near_input.clone()));
        }
        // A distance chosen before a place is typed is kept, so the next page's form
        // still shows it (found by `props::queries::search_parameters_round_trip`).
        if !self.near_input.is_empty() || self.within != DEFAULT_WITHIN_MILES {
            out.push(("within", format_miles(self.within)));
        }
        out.extend(self.types.iter().map(|t| ("type", t.clone())));
        out.extend(self.access.iter().map(|t| ("access", t.clone())));
        if self.free {
            out.push(("free", "1".into()));
        }
        out.extend(self.days.iter().map(|d| ("day", d.slug().to_string())));
        out.extend(self.times.iter().map(|t| ("time", t.slug().to_string())));
        if let Some(a) = self.age {
            out.push(("age", a.to_string()));
        }
        out.extend(self.modes.iter().map(|m| ("mode", m.slug().to_string())));
        if self.as_typed {
            out.push(("as_typed", "1".into()));
        }
        if let Some(s) = self.sort {
            out.push((
                "sort",
                match s {
                    Sort::Relevance => "relevance",
                    Sort::Distance => "distance",
                }
                .into(),
            ));
        }
        out
    }

    pub fn to_query_string(&self, page: Option<usize>) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.to_pairs() {
            ser.append_pair(k, &v);
        }
        if let Some(p) = page.filter(|&p| p > 1) {
            ser.append_pair("page", &p.to_string());
        }
        ser.finish()
    }
}

pub fn format_miles(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        let s = format!("{m:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A radius in miles ("3", "3 miles"), within the limits a search allows.
fn parse_within(v: &str) -> Result<f64, ParamError> {
    match v.trim_end_matches("miles").trim().parse::<f64>() {
        Ok(m) if m.is_finite() && (MIN_WITHIN_MILES..=MAX_WITHIN_MILES).contains(&m) => Ok(m),
        _ => Err(err(
            "within",
            format!(
                "Distance must be a number of miles from {MIN_WITHIN_MILES} to {MAX_WITHIN_MILES}, like 3"
            ),
        )),
    }
}

/// Adds `x` to a list of choices unless it is there already.
pub(crate) fn push_new<T: PartialEq>(list: &mut Vec<T>, x: T) {
    if !list.contains(&x) {
        list.push(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(qs: &str) -> (SearchRequest, Vec<ParamError>) {
        SearchRequest::from_query_string(qs, Taxonomy::embedded())
    }

    /// Found by the search-parameter property (tests/it/props): a place longer than
    /// the 40 characters echoed was searched in full, but the page's links (next page,
    /// sort) carried the cut echo, so page 2 was another search.
    #[test]
    fn links_made_from_a_cut_request_ask_for_the_same_search() {
        let long_place = "a".repeat(60);
        let (r, errs) = parse(&format!("near={long_place}&q=walk"));
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(r.near_input.chars().count(), MAX_NEAR_CHARS);
        assert!(matches!(&r.near, Some(Near::Place(p)) if *p == r.near_input));
        let (again, errs) = parse(&r.to_query_string(Some(2)));
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(again, SearchRequest { page: 2, ..r });
    }

    #[test]
    fn parses_every_filter() {
        let (r, errs) = parse(
            "q=chair+yoga&near=m337xw&within=3&type=gentle-exercise&access=hearing-loop&access=wheelchair&free=1&day=tue&day=thu&time=morning&age=72&mode=in-person&sort=distance&page=2",
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(r.q, "chair yoga");
        assert!(matches!(r.near, Some(Near::Postcode(ref p)) if p.to_string() == "M33 7XW"));
        assert_eq!(r.within, 3.0);
        assert_eq!(r.types, vec!["gentle-exercise"]);
        assert_eq!(r.access.len(), 2);
        assert!(r.free);
        assert_eq!(r.days, vec![Day::Tue, Day::Thu]);
        assert_eq!(r.times, vec![TimeOfDay::Morning]);
        assert_eq!(r.age, Some(72));
        assert_eq!(r.modes, vec![Mode::InPerson]);
        assert_eq!(r.effective_sort(), Sort::Distance);
        assert_eq!(r.page, 2);
        // Round trip through the URL form.
        let (again, errs) = parse(&r.to_query_string(Some(2)));
        assert!(errs.is_empty());
        assert_eq!(again, r);
    }

    #[test]
    fn bad_values_are_explained_and_good_ones_kept() {
        let (r, errs) = parse("q=walk&within=far&type=nope&day=someday&page=0&age=-1&near=9zz");
        assert_eq!(r.q, "walk");
        let params: Vec<_> = errs.iter().map(|e| e.param.as_str()).collect();
        assert_eq!(params, vec!["within", "type", "day", "page", "age", "near"]);
        assert!(errs[0].message.contains("miles"));
    }

    #[test]
    fn place_names_are_kept_for_the_gazetteer() {
        for (typed, want) in [
            ("Sale", "Sale"),
            ("  chorlton  cum hardy ", "chorlton cum hardy"),
            ("Newton, SK14", "Newton, SK14"),
            ("Newton (WA12)", "Newton (WA12)"),
            ("St. Anne's-on-Sea", "St. Anne's-on-Sea"),
        ] {
            let (r, errs) = parse(&format!(
                "near={}",
                typed.replace(' ', "+").replace(',', "%2C")
            ));
            assert!(errs.is_empty(), "{typed}: {errs:?}");
            assert_eq!(r.near, Some(Near::Place(want.into())), "{typed}");
        }
        // Postcodes are still postcodes, and digits that are not one get its message.
        let (r, _) = parse("near=m33");
        assert!(matches!(r.near, Some(Near::Postcode(_))));
        for bad in ["12345", "Sale9", "%3Cscript%3E"] {
            let (_, errs) = parse(&format!("near={bad}"));
            assert_eq!(errs.len(), 1, "{bad}");
        }
    }

    #[test]
    fn lat_lon_and_defaults() {
        let (r, errs) = parse("near=53.42,-2.32");
        assert!(errs.is_empty());
        assert_eq!(
            r.near,
            Some(Near::Point {
                lat: 53.42,
                lon: -2.32
            })
        );
        assert_eq!(r.within, DEFAULT_WITHIN_MILES);
        assert_eq!(r.effective_sort(), Sort::Distance);
        let (r, _) = parse("q=choir&near=M33");
        assert_eq!(r.effective_sort(), Sort::Relevance);
        let (_, errs) = parse("near=0,0");
        assert_eq!(errs.len(), 1);
        let (_, errs) = parse("sort=distance");
        assert_eq!(errs[0].param, "sort");
    }

    #[test]
    fn hostile_bytes_never_panic() {
        for qs in [
            "q=%ff%fe",
            "q=%",
            "near=%00",
            "page=99999999999999999999",
            "within=NaN",
            "within=inf",
        ] {
            let _ = parse(qs);
        }
        let (r, _) = parse(&format!("q={}", "a".repeat(5000)));
        assert_eq!(r.q.chars().count(), MAX_QUERY_CHARS);
    }
}
