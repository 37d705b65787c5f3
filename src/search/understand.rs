//! Filters understood from the words people type: "free yoga tuesday mornings near
//! Sale" is a search for "yoga", free only, on Tuesdays, in the morning, near Sale.
//!
//! People type what they want in one box; few open a filter panel. Reading the words
//! that name a filter (cost, day, time of day, age, an accessibility need, how it
//! happens, a place) and turning them into that filter finds what they meant: as words
//! they would only match listings that happen to repeat them. The search page shows
//! what was understood as removable filters, with a link to search all the words as
//! typed, so nothing is hidden and a wrong guess costs one click.
//!
//! What is never taken:
//! - a word that is part of a name in the directory: "Free Spirits Choir" or "Tuesday
//!   Club" keep their words (the name's adjacent word pair is looked up in the index's
//!   titles and organisations, see [`Names`]);
//! - a place that the gazetteer does not know, or any place when the place box is
//!   already filled in;
//! - words that only sometimes mean a filter ("sat", "sun", "wed", "parking", a lone
//!   "phone"), which are left as words.

use crate::geo::postcode::Postcode;
use crate::listing::{Day, Mode, Taxonomy, TimeOfDay};

use super::request::{Near, SearchRequest, push_new};

/// What the directory can tell the reader: names and places it knows.
pub trait Names {
    /// Whether `first second` (two adjacent words) is in any listing's name or its
    /// organisation's name.
    fn in_a_name(&self, first: &str, second: &str) -> bool;
    /// Whether `typed` is a postcode or a place the site can search near (an
    /// ambiguous place counts: the page then offers the choice).
    fn is_place(&self, typed: &str) -> bool;
}

/// One filter read from the words.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Free,
    Day(Day),
    Time(TimeOfDay),
    Age(u8),
    Access(String),
    Mode(Mode),
    Near(String),
}

/// The words as typed that gave a filter, and the filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    pub words: String,
    pub filter: Filter,
}

/// What was understood: the words left to search for and the filters taken.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Understanding {
    pub q: String,
    pub taken: Vec<Taken>,
}

impl Understanding {
    /// The request with the filters applied and the words that named them taken out.
    /// Filters the request already has stay; a place is only set when it had none.
    pub fn apply(&self, req: &mut SearchRequest) {
        req.q = self.q.clone();
        for t in &self.taken {
            match &t.filter {
                Filter::Free => req.free = true,
                Filter::Day(d) => push_new(&mut req.days, *d),
                Filter::Time(t) => push_new(&mut req.times, *t),
                Filter::Age(a) => {
                    req.age.get_or_insert(*a);
                }
                Filter::Access(slug) => push_new(&mut req.access, slug.clone()),
                Filter::Mode(m) => push_new(&mut req.modes, *m),
                Filter::Near(place) => {
                    if req.near.is_none()
                        && let Ok(near) = Near::parse(place)
                    {
                        req.near = Some(near);
                        req.near_input = place.clone();
                    }
                }
            }
        }
    }

    /// The opposite of [`apply`](Self::apply): the words as `typed` and the filters
    /// read from them taken off, for the search of every word as typed.
    pub fn undo(&self, req: &mut SearchRequest, typed: &str) {
        req.q = typed.to_string();
        for t in &self.taken {
            match &t.filter {
                Filter::Free => req.free = false,
                Filter::Day(d) => req.days.retain(|x| x != d),
                Filter::Time(time) => req.times.retain(|x| x != time),
                Filter::Age(_) => req.age = None,
                Filter::Access(slug) => req.access.retain(|x| x != slug),
                Filter::Mode(m) => req.modes.retain(|x| x != m),
                Filter::Near(_) => {
                    req.near = None;
                    req.near_input.clear();
                }
            }
        }
    }
}

/// Words that join a filter to the rest of a query ("yoga *on* tuesdays", "classes
/// *for* over 60s"); dropped with the filter they introduce.
const JOINERS: &[&str] = &["on", "at", "for", "in", "and", "with", "every", "only"];

/// Words before a place.
const PLACE_WORDS: &[&str] = &["near", "in", "around", "nr"];

/// Reads the filters out of `q`. `place_given`: the place box is filled in, so the
/// words are not read for a place.
pub fn understand(
    q: &str,
    taxonomy: &Taxonomy,
    names: &dyn Names,
    place_given: bool,
) -> Understanding {
    let typed: Vec<&str> = q.split_whitespace().collect();
    let words: Vec<String> = typed.iter().map(|w| normal(w)).collect();
    let mut taken_at = vec![false; typed.len()];
    let mut taken = Vec::new();
    let mut i = 0;
    while i < typed.len() {
        let place = (!place_given)
            .then(|| place_at(&typed, &words, i, names))
            .flatten()
            .map(|(end, f)| (end, vec![f]));
        let found = place.or_else(|| {
            filter_at(&words, i, taxonomy).filter(|(end, _)| !in_a_name(&words, i, *end, names))
        });
        match found {
            Some((end, filters)) => {
                for filter in filters {
                    taken.push(Taken {
                        words: typed[i..end].join(" "),
                        filter,
                    });
                }
                taken_at[i..end].iter_mut().for_each(|t| *t = true);
                // A joiner just before the filter goes with it.
                if i > 0 && !taken_at[i - 1] && JOINERS.contains(&words[i - 1].as_str()) {
                    taken_at[i - 1] = true;
                }
                i = end;
            }
            None => i += 1,
        }
    }
    if taken.is_empty() {
        return Understanding {
            q: q.to_string(),
            taken,
        };
    }
    let rest: Vec<&str> = typed
        .iter()
        .zip(&taken_at)
        .filter(|(_, t)| !**t)
        .map(|(w, _)| *w)
        .collect();
    Understanding {
        q: rest.join(" "),
        taken,
    }
}

/// A word lower-cased, without the punctuation around it ("Tuesdays," → "tuesdays").
fn normal(w: &str) -> String {
    w.trim_matches(|c: char| !c.is_alphanumeric() && c != '+')
        .to_lowercase()
        .replace('’', "'")
}

/// Whether the words `start..end` are part of a name with the word before or after
/// ("Free Spirits", "Coffee Morning"). A joining word next to them says nothing: "for
/// over" is in "Walking Football for Over 50s", yet "exercise for over 65s" asks for
/// an age.
fn in_a_name(words: &[String], start: usize, end: usize, names: &dyn Names) -> bool {
    let names_it =
        |a: &str, b: &str, neighbour: &str| !JOINERS.contains(&neighbour) && names.in_a_name(a, b);
    (start > 0 && names_it(&words[start - 1], &words[start], &words[start - 1]))
        || (end < words.len() && names_it(&words[end - 1], &words[end], &words[end]))
}

/// A place: "near Sale", "in Chorlton", "around M33", or a postcode on its own
/// ("M33 7XW", "DN15"). Returns the end of the words taken.
fn place_at(
    typed: &[&str],
    words: &[String],
    i: usize,
    names: &dyn Names,
) -> Option<(usize, Filter)> {
    let n = typed.len();
    let clean = |a: usize, b: usize| -> String {
        typed[a..b]
            .iter()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // "near X", "close to X": the longest place of up to three words.
    let lead = if words[i] == "close" && words.get(i + 1).is_some_and(|w| w == "to") {
        2
    } else if PLACE_WORDS.contains(&words[i].as_str()) {
        1
    } else {
        0
    };
    if lead > 0 {
        let from = i + lead;
        for end in (from + 1..=(from + 3).min(n)).rev() {
            let place = clean(from, end);
            if Near::parse(&place).is_ok() && names.is_place(&place) {
                return Some((end, Filter::Near(place)));
            }
        }
        return None;
    }
    // A postcode without a word before it: a full one (two words) or an outward code.
    for end in [i + 2, i + 1] {
        if end > n {
            continue;
        }
        let pc = clean(i, end);
        if pc.chars().any(|c| c.is_ascii_digit())
            && Postcode::parse(&pc).is_ok()
            && names.is_place(&pc)
        {
            return Some((end, Filter::Near(pc)));
        }
    }
    None
}

/// Any other filter starting at word `i`: the end of its words and the filter.
fn filter_at(words: &[String], i: usize, taxonomy: &Taxonomy) -> Option<(usize, Vec<Filter>)> {
    let w = words[i].as_str();
    let next = words.get(i + 1).map(String::as_str).unwrap_or("");
    let after = words.get(i + 2).map(String::as_str).unwrap_or("");
    let one = |f: Filter| Some((i + 1, vec![f]));
    let take = |len: usize, f: Filter| Some((i + len, vec![f]));
    match (w, next, after) {
        ("free", "of", "charge") => return take(3, Filter::Free),
        ("no", "cost", _) => return take(2, Filter::Free),
        ("free" | "free-of-charge", _, _) => return one(Filter::Free),
        _ => {}
    }
    if let Some(days) = days_of(w) {
        return Some((i + 1, days.into_iter().map(Filter::Day).collect()));
    }
    if let Some(t) = time_of(w) {
        return one(Filter::Time(t));
    }
    if let Some((len, age)) = age_at(words, i) {
        return take(len, Filter::Age(age));
    }
    if let Some((len, slug)) = access_at(words, i, taxonomy) {
        return take(len, Filter::Access(slug));
    }
    match (w, next, after) {
        ("online" | "virtual", _, _) => one(Filter::Mode(Mode::Online)),
        ("by" | "on" | "over", "phone" | "telephone", _) => take(2, Filter::Mode(Mode::Phone)),
        ("over", "the", "phone" | "telephone") => take(3, Filter::Mode(Mode::Phone)),
        ("home", "visit" | "visits", _) => take(2, Filter::Mode(Mode::HomeVisit)),
        ("in", "person", _) => take(2, Filter::Mode(Mode::InPerson)),
        ("face", "to", "face") => take(3, Filter::Mode(Mode::InPerson)),
        _ => None,
    }
}

/// Day names, singular or plural, "weekends" and "weekdays", and the short forms that
/// mean nothing else ("sat", "sun" and "wed" do).
fn days_of(w: &str) -> Option<Vec<Day>> {
    let w = w
        .strip_suffix('s')
        .filter(|s| s.ends_with("day") || *s == "weekend")
        .unwrap_or(w);
    Some(match w {
        "monday" => vec![Day::Mon],
        "tuesday" | "tues" => vec![Day::Tue],
        "wednesday" | "weds" => vec![Day::Wed],
        "thursday" | "thurs" => vec![Day::Thu],
        "friday" => vec![Day::Fri],
        "saturday" => vec![Day::Sat],
        "sunday" => vec![Day::Sun],
        "weekend" => vec![Day::Sat, Day::Sun],
        "weekday" => vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
        _ => return None,
    })
}

fn time_of(w: &str) -> Option<TimeOfDay> {
    match w {
        "morning" | "mornings" => Some(TimeOfDay::Morning),
        "afternoon" | "afternoons" => Some(TimeOfDay::Afternoon),
        "evening" | "evenings" => Some(TimeOfDay::Evening),
        _ => None,
    }
}

/// "over 60s", "over-60s", "60+", "60 and over", "aged 60+", "under 18s": the
/// number of words and the age to filter for (the youngest age of "over N", the
/// oldest of "under N").
fn age_at(words: &[String], i: usize) -> Option<(usize, u8)> {
    let number = |w: &str| -> Option<u8> {
        let w = w.trim_end_matches('+');
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix('s'))
            .unwrap_or(w);
        w.parse::<u8>().ok().filter(|n| (1..=110).contains(n))
    };
    let w = words[i].as_str();
    let next = words.get(i + 1).map(String::as_str).unwrap_or("");
    let after = words.get(i + 2).map(String::as_str).unwrap_or("");
    if let Some(rest) = w.strip_prefix("over-") {
        return number(rest).map(|n| (1, n));
    }
    if let Some(rest) = w.strip_prefix("under-") {
        return number(rest).map(|n| (1, n.saturating_sub(1)));
    }
    match w {
        "over" | "aged" => number(next).map(|n| (2, n)),
        "under" => number(next).map(|n| (2, n.saturating_sub(1))),
        _ if w.ends_with('+') => number(w).map(|n| (1, n)),
        _ if after == "over" && next == "and" => number(w).map(|n| (3, n)),
        _ => None,
    }
}

/// An accessibility feature named by its label ("wheelchair accessible", "hearing
/// loop") or a common way of saying it ("step free", "disabled access"). Labels of a
/// single common word ("Parking", "Quiet") are left as words.
fn access_at(words: &[String], i: usize, taxonomy: &Taxonomy) -> Option<(usize, String)> {
    const SAID: &[(&str, &str)] = &[
        ("wheelchair access", "wheelchair"),
        ("wheelchair friendly", "wheelchair"),
        ("disabled access", "wheelchair"),
        ("step free", "step-free"),
        ("disabled toilet", "accessible-toilet"),
        ("disabled toilets", "accessible-toilet"),
        ("accessible toilets", "accessible-toilet"),
        ("induction loop", "hearing-loop"),
        ("sign language", "bsl"),
        ("bsl", "bsl"),
        ("disabled parking", "blue-badge-parking"),
    ];
    let phrase = |len: usize| -> Option<String> {
        (i + len <= words.len()).then(|| {
            words[i..i + len]
                .iter()
                .map(|w| w.replace('-', " "))
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    for len in [3, 2, 1] {
        let Some(p) = phrase(len) else { continue };
        for a in &taxonomy.access {
            let label = a.label.to_lowercase().replace('-', " ");
            if label.contains(' ') && label == p {
                return Some((len, a.slug.clone()));
            }
        }
        if let Some((_, slug)) = SAID.iter().find(|(said, _)| *said == p)
            && taxonomy.access_feature(slug).is_some()
        {
            return Some((len, slug.to_string()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names and places for the tests: a few of each.
    struct Known;
    impl Names for Known {
        fn in_a_name(&self, first: &str, second: &str) -> bool {
            matches!(
                (first, second),
                ("free", "spirits") | ("tuesday", "club") | ("online", "safety") | ("for", "over")
            )
        }
        fn is_place(&self, typed: &str) -> bool {
            matches!(
                typed.to_lowercase().as_str(),
                "sale" | "m33" | "m33 7xw" | "chorlton" | "newton"
            )
        }
    }

    fn read(q: &str) -> Understanding {
        understand(q, Taxonomy::embedded(), &Known, false)
    }

    fn filters(q: &str) -> (String, Vec<Filter>) {
        let u = read(q);
        (u.q, u.taken.into_iter().map(|t| t.filter).collect())
    }

    #[test]
    fn each_filter_word_becomes_its_filter() {
        assert_eq!(
            filters("free yoga tuesday mornings near Sale"),
            (
                "yoga".into(),
                vec![
                    Filter::Free,
                    Filter::Day(Day::Tue),
                    Filter::Time(TimeOfDay::Morning),
                    Filter::Near("Sale".into())
                ]
            )
        );
        assert_eq!(
            filters("exercise classes for over 60s"),
            ("exercise classes".into(), vec![Filter::Age(60)])
        );
        assert_eq!(filters("over-50s lunch club").1, vec![Filter::Age(50)]);
        assert_eq!(filters("swimming 65+").1, vec![Filter::Age(65)]);
        assert_eq!(filters("60 and over dance").1, vec![Filter::Age(60)]);
        assert_eq!(filters("under 5s music").1, vec![Filter::Age(4)]);
        assert_eq!(
            filters("wheelchair accessible gym"),
            ("gym".into(), vec![Filter::Access("wheelchair".into())])
        );
        assert_eq!(
            filters("step-free art class").1,
            vec![Filter::Access("step-free".into())]
        );
        assert_eq!(
            filters("church with a hearing loop").1,
            vec![Filter::Access("hearing-loop".into())]
        );
        assert_eq!(
            filters("befriending by phone"),
            ("befriending".into(), vec![Filter::Mode(Mode::Phone)])
        );
        assert_eq!(filters("online choir").1, vec![Filter::Mode(Mode::Online)]);
        assert_eq!(
            filters("walking Sunday afternoons").1,
            vec![Filter::Day(Day::Sun), Filter::Time(TimeOfDay::Afternoon)]
        );
        assert_eq!(filters("Free of charge swimming").0, "swimming");
    }

    #[test]
    fn weekends_are_two_days() {
        assert_eq!(
            filters("things to do at weekends"),
            (
                "things to do".into(),
                vec![Filter::Day(Day::Sat), Filter::Day(Day::Sun)]
            )
        );
    }

    #[test]
    fn postcodes_and_towns_become_the_place() {
        assert_eq!(
            filters("walking M33 7XW"),
            ("walking".into(), vec![Filter::Near("M33 7XW".into())])
        );
        assert_eq!(filters("choir m33").1, vec![Filter::Near("m33".into())]);
        assert_eq!(
            filters("art in Chorlton").1,
            vec![Filter::Near("Chorlton".into())]
        );
        assert_eq!(filters("yoga close to Sale").0, "yoga");
        // A place the directory does not know stays as words.
        assert_eq!(
            filters("help in the home"),
            ("help in the home".into(), vec![])
        );
        assert_eq!(filters("walks near Atlantis").1, vec![]);
        // With the place box filled in, the words are not read for a place.
        let u = understand("art in Chorlton", Taxonomy::embedded(), &Known, true);
        assert_eq!(u.q, "art in Chorlton");
    }

    #[test]
    fn words_in_a_name_stay_words() {
        assert_eq!(
            filters("Free Spirits Choir"),
            ("Free Spirits Choir".into(), vec![])
        );
        assert_eq!(filters("the tuesday club").1, vec![]);
        assert_eq!(filters("online safety course").1, vec![]);
        // The same words elsewhere in the query are still filters.
        assert_eq!(filters("free choir").1, vec![Filter::Free]);
        // A joining word beside a filter is not a name ("Football for Over 50s").
        assert_eq!(filters("exercise for over 60s").1, vec![Filter::Age(60)]);
    }

    #[test]
    fn words_that_only_sometimes_mean_a_filter_stay_words() {
        for q in [
            "sat nav help",
            "sun lounge",
            "wed reception",
            "parking permits",
            "phone repair",
            "over the moon",
            "under the sea",
            "home help",
        ] {
            assert_eq!(filters(q), (q.to_string(), vec![]), "{q}");
        }
    }

    #[test]
    fn applying_keeps_what_the_request_had() {
        let (mut req, _) = SearchRequest::from_query_string(
            "q=free+yoga+near+Sale&near=M33&day=mon",
            Taxonomy::embedded(),
        );
        let u = understand(&req.q, Taxonomy::embedded(), &Known, req.near.is_some());
        u.apply(&mut req);
        assert_eq!(req.q, "yoga near Sale");
        assert!(req.free);
        assert_eq!(req.near_input, "M33", "the place box wins");
        assert_eq!(req.days, vec![Day::Mon]);
    }

    #[test]
    fn undoing_gives_back_the_words_and_the_filters_that_were_there() {
        let typed = "free yoga tuesday mornings near Sale";
        let (mut req, _) = SearchRequest::from_query_string("q=x&day=mon", Taxonomy::embedded());
        let u = understand(typed, Taxonomy::embedded(), &Known, false);
        u.apply(&mut req);
        assert!(req.free && req.near.is_some());
        u.undo(&mut req, typed);
        assert_eq!(req.q, typed);
        assert!(!req.free && req.near.is_none() && req.near_input.is_empty());
        assert_eq!(
            req.days,
            vec![Day::Mon],
            "a filter chosen in the panel stays"
        );
        assert!(req.times.is_empty());
    }
}
