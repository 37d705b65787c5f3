//! A search request: parsed and checked once, the same way for the pages, the JSON
//! API and the CLI (which turns its flags into the same name/value pairs).
//!
//! Parsing never fails on the query text itself (any `q` is searchable); it fails, with
//! a message a person can act on, only on values that cannot mean anything: an unknown
//! type, a radius that isn't a number, an invalid postcode. Unknown parameters are
//! ignored so that old links and tracking junk don't break a search.

use serde::Serialize;

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
}

/// One parameter that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamError {
    pub param: String,
    pub message: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(param: &str, message: impl Into<String>) -> ParamError {
    ParamError {
        param: param.to_string(),
        message: message.into(),
    }
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
            let v = value.trim();
            match name {
                "q" => {
                    r.q = v.chars().take(MAX_QUERY_CHARS).collect();
                }
                "near" => {
                    r.near_input = v.chars().take(40).collect();
                    if v.is_empty() {
                        continue;
                    }
                    match Near::parse(v) {
                        Ok(n) => r.near = Some(n),
                        Err(e) => errors.push(err("near", e)),
                    }
                }
                "within" => {
                    if v.is_empty() {
                        continue;
                    }
                    match v.trim_end_matches("miles").trim().parse::<f64>() {
                        Ok(m) if m.is_finite() && (MIN_WITHIN_MILES..=MAX_WITHIN_MILES).contains(&m) => {
                            r.within = m
                        }
                        _ => errors.push(err(
                            "within",
                            format!(
                                "Distance must be a number of miles from {MIN_WITHIN_MILES} to {MAX_WITHIN_MILES}, like 3"
                            ),
                        )),
                    }
                }
                "type" => {
                    if v.is_empty() {
                        continue;
                    }
                    if taxonomy.activity_type(v).is_some() {
                        if !r.types.iter().any(|t| t == v) {
                            r.types.push(v.to_string());
                        }
                    } else {
                        errors.push(err(
                            "type",
                            format!("'{}' is not a type of activity we list", quote(v)),
                        ));
                    }
                }
                "access" => {
                    if v.is_empty() {
                        continue;
                    }
                    if taxonomy.access_feature(v).is_some() {
                        if !r.access.iter().any(|t| t == v) {
                            r.access.push(v.to_string());
                        }
                    } else {
                        errors.push(err(
                            "access",
                            format!("'{}' is not an accessibility feature we know", quote(v)),
                        ));
                    }
                }
                "free" => match v {
                    "" | "0" | "false" | "no" | "off" => r.free = false,
                    "1" | "true" | "yes" | "on" => r.free = true,
                    _ => errors.push(err("free", "Free must be 1 (only free activities) or 0")),
                },
                "day" => {
                    if v.is_empty() {
                        continue;
                    }
                    match Day::from_slug(v) {
                        Some(d) if !r.days.contains(&d) => r.days.push(d),
                        Some(_) => {}
                        None => errors.push(err(
                            "day",
                            format!(
                                "'{}' is not a day. Use mon, tue, wed, thu, fri, sat or sun",
                                quote(v)
                            ),
                        )),
                    }
                }
                "time" => {
                    if v.is_empty() {
                        continue;
                    }
                    match TimeOfDay::from_slug(&v.to_ascii_lowercase()) {
                        Some(t) if !r.times.contains(&t) => r.times.push(t),
                        Some(_) => {}
                        None => errors.push(err(
                            "time",
                            "Time of day must be morning, afternoon or evening",
                        )),
                    }
                }
                "age" => {
                    if v.is_empty() {
                        continue;
                    }
                    match v.parse::<u8>() {
                        Ok(a) if a <= 120 => r.age = Some(a),
                        _ => errors.push(err("age", "Age must be a whole number from 0 to 120")),
                    }
                }
                "mode" => {
                    if v.is_empty() {
                        continue;
                    }
                    match Mode::from_slug(&v.to_ascii_lowercase()) {
                        Some(m) if !r.modes.contains(&m) => r.modes.push(m),
                        Some(_) => {}
                        None => errors.push(err(
                            "mode",
                            "How it happens must be in-person, online, phone or home-visit",
                        )),
                    }
                }
                "sort" => match v {
                    "" => {}
                    "relevance" => r.sort = Some(Sort::Relevance),
                    "distance" => r.sort = Some(Sort::Distance),
                    _ => errors.push(err("sort", "Sort must be relevance or distance")),
                },
                "page" => {
                    if v.is_empty() {
                        continue;
                    }
                    match v.parse::<usize>() {
                        Ok(p) if (1..=MAX_PAGE).contains(&p) => r.page = p,
                        _ => errors.push(err(
                            "page",
                            format!("Page must be a whole number from 1 to {MAX_PAGE}"),
                        )),
                    }
                }
                _ => {}
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

    /// Parses a raw query string (lossy on bad percent-encoding, never fails).
    pub fn from_query_string(qs: &str, taxonomy: &Taxonomy) -> (SearchRequest, Vec<ParamError>) {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(qs.as_bytes()).into_owned().collect();
        Self::from_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            taxonomy,
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(qs: &str) -> (SearchRequest, Vec<ParamError>) {
        SearchRequest::from_query_string(qs, Taxonomy::embedded())
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
        let (r, errs) = parse("q=walk&within=far&type=nope&day=someday&page=0&age=-1&near=zzz");
        assert_eq!(r.q, "walk");
        let params: Vec<_> = errs.iter().map(|e| e.param.as_str()).collect();
        assert_eq!(params, vec!["within", "type", "day", "page", "age", "near"]);
        assert!(errs[0].message.contains("miles"));
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
