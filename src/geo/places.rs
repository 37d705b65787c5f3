//! Places as people say them: "Sale", "Chorlton", "Altrincham".
//!
//! People type their town or neighbourhood, not a postcode. The project ships no
//! gazetteer, and a national one would be large and mostly irrelevant, so Signpost
//! learns one from its own listings: the locality at the end of each venue's address
//! ("Broad Road, Sale") placed where that venue is, and the named areas that area-wide
//! services cover ("Trafford": the postcode districts listed with it). The store
//! rebuilds it as listings change (`Store::gazetteer`), so a new source that names a
//! new town teaches it that town.
//!
//! The same name in two places far apart ("Newton" near Hyde and near Warrington)
//! becomes two places, and a search for it offers the choice. A name can be narrowed
//! by a postcode district, as the choices are written: "Newton, SK14".

use std::collections::HashMap;

use super::distance::miles_between;
use super::districts::Districts;
use super::postcode::Postcode;

/// Venues with the same locality name further apart than this are different places.
const SAME_PLACE_MILES: f64 = 8.0;

/// Words that end a street name: an address part ending in one is not a locality.
const STREET_WORDS: &[&str] = &[
    "road",
    "rd",
    "street",
    "st",
    "lane",
    "ln",
    "avenue",
    "ave",
    "drive",
    "dr",
    "close",
    "way",
    "grove",
    "crescent",
    "place",
    "square",
    "terrace",
    "walk",
    "gardens",
    "court",
    "row",
    "hill",
    "parade",
    "mews",
    "park",
    "plaza",
    "precinct",
    "centre",
    "center",
    "building",
    "house",
    "hall",
    "estate",
    "view",
    "rise",
    "green",
    "brow",
    "fold",
    "vale",
    "wharf",
    "quay",
    "boulevard",
    "circus",
    "broadway",
    "yard",
    "gate",
];

/// One piece of evidence that a name is somewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// The postcode district of the venue, when known.
    pub district: Option<String>,
}

/// A place people can search around.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The name as most listings spell it: "Sale".
    pub name: String,
    /// The middle of the listings (or districts) that name it.
    pub lat: f64,
    pub lon: f64,
    /// The postcode district most of it is in: "M33".
    pub district: Option<String>,
    /// How many listings (or districts, for an area) it was learned from.
    pub evidence: usize,
    /// A named area (a local authority or similar), not a town or neighbourhood.
    pub is_area: bool,
}

impl Place {
    /// "Sale, M33": the name narrowed to one district, as choices are offered.
    pub fn qualified(&self) -> String {
        match &self.district {
            Some(d) => format!("{}, {d}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a typed place name means.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(Place),
    /// More than one place has this name; the most listed first.
    Ambiguous(Vec<Place>),
    Unknown,
}

#[derive(Debug, Default)]
pub struct Gazetteer {
    by_key: HashMap<String, Vec<Place>>,
}

impl Gazetteer {
    /// Builds the gazetteer from venue localities and named areas.
    pub fn build(localities: Vec<Evidence>, areas: Vec<Evidence>) -> Gazetteer {
        let mut by_key: HashMap<String, Vec<Place>> = HashMap::new();
        for (evidence, is_area) in [(localities, false), (areas, true)] {
            let mut grouped: HashMap<String, Vec<Evidence>> = HashMap::new();
            for e in evidence {
                let key = key(&e.name);
                if !key.is_empty() {
                    grouped.entry(key).or_default().push(e);
                }
            }
            for (key, items) in grouped {
                let places = cluster(items, is_area);
                let entry = by_key.entry(key).or_default();
                // A town and an area with the same name: the town is what people mean.
                if is_area && !entry.is_empty() {
                    continue;
                }
                entry.extend(places);
            }
        }
        for places in by_key.values_mut() {
            places.sort_by(|a, b| b.evidence.cmp(&a.evidence).then(a.name.cmp(&b.name)));
        }
        Gazetteer { by_key }
    }

    pub fn len(&self) -> usize {
        self.by_key.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Every place, in name order (for tests and the command line).
    pub fn places(&self) -> Vec<&Place> {
        let mut all: Vec<&Place> = self.by_key.values().flatten().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name).then(a.district.cmp(&b.district)));
        all
    }

    /// Looks up what someone typed: "Sale", "sale ", "Newton, SK14", "Newton (SK14)".
    pub fn lookup(&self, typed: &str) -> Lookup {
        let (name, within) = split_qualifier(typed);
        let Some(places) = self.by_key.get(&key(name)) else {
            return Lookup::Unknown;
        };
        let matching: Vec<&Place> = match &within {
            Some(q) => places
                .iter()
                .filter(|p| {
                    p.district.as_deref().is_some_and(|d| {
                        d == q.as_str()
                            || (q.chars().all(|c| c.is_ascii_alphabetic()) && area(d) == q)
                    })
                })
                .collect(),
            None => places.iter().collect(),
        };
        match matching.as_slice() {
            [] => Lookup::Unknown,
            [one] => Lookup::Found((*one).clone()),
            many => Lookup::Ambiguous(many.iter().map(|p| (*p).clone()).collect()),
        }
    }
}

/// The localities in a street address: the parts after the first that are not a street,
/// a number or a postcode. "Broad Road, Sale" gives "Sale"; "1 High St, Chorlton,
/// Manchester" gives "Chorlton" and "Manchester".
pub fn localities(address: &str) -> Vec<String> {
    let parts: Vec<&str> = address
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        // A one-part address is a street or a building, not a town.
        if i == 0 && parts.len() > 1 || parts.len() == 1 {
            continue;
        }
        if looks_like_locality(part) {
            let tidy = part.split_whitespace().collect::<Vec<_>>().join(" ");
            if !out.contains(&tidy) {
                out.push(tidy);
            }
        }
    }
    out
}

fn looks_like_locality(part: &str) -> bool {
    let words: Vec<&str> = part.split_whitespace().collect();
    if words.is_empty() || words.len() > 4 || part.chars().count() > 40 {
        return false;
    }
    if part.chars().any(|c| c.is_ascii_digit()) || Postcode::parse(part).is_ok() {
        return false;
    }
    if !part
        .chars()
        .all(|c| c.is_alphabetic() || " '-.&()".contains(c))
    {
        return false;
    }
    let last = words[words.len() - 1].trim_end_matches('.').to_lowercase();
    !STREET_WORDS.contains(&last.as_str())
}

/// Evidence for a named area from the districts it covers, placed at their middle.
pub fn area_evidence(name: &str, districts: &[String], table: &Districts) -> Vec<Evidence> {
    let name = name.trim();
    if name.is_empty() || !looks_like_locality(name) {
        return Vec::new();
    }
    districts
        .iter()
        .filter_map(|d| {
            let d = d.trim().to_ascii_uppercase();
            table.get(&d).map(|(lat, lon)| Evidence {
                name: name.to_string(),
                lat,
                lon,
                district: Some(d),
            })
        })
        .collect()
}

/// The lookup key: lower case, letters and single spaces ("St. Annes" = "st annes").
fn key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn area(district: &str) -> &str {
    let end = district
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(district.len());
    &district[..end]
}

/// Splits "Newton, SK14" or "Newton (SK14)" into the name and the district.
fn split_qualifier(typed: &str) -> (&str, Option<String>) {
    let typed = typed.trim();
    let (name, rest) = if let Some((n, r)) = typed.rsplit_once(',') {
        (n, r)
    } else if let Some(open) = typed.rfind('(')
        && typed.ends_with(')')
    {
        (&typed[..open], &typed[open + 1..typed.len() - 1])
    } else {
        return (typed, None);
    };
    let q = rest.trim().to_ascii_uppercase();
    let is_district = !q.is_empty()
        && q.len() <= 4
        && q.starts_with(|c: char| c.is_ascii_alphabetic())
        && q.chars().all(|c| c.is_ascii_alphanumeric());
    if is_district {
        (name.trim(), Some(q))
    } else {
        (typed, None)
    }
}

/// Groups one name's evidence into places: venues within `SAME_PLACE_MILES` of a
/// group's middle join it.
fn cluster(items: Vec<Evidence>, is_area: bool) -> Vec<Place> {
    struct Group {
        lat: f64,
        lon: f64,
        items: Vec<Evidence>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for e in items {
        // An area is one place whatever it covers; a locality joins a group near it.
        let at = if is_area {
            (!groups.is_empty()).then_some(0)
        } else {
            groups
                .iter()
                .position(|g| miles_between((g.lat, g.lon), (e.lat, e.lon)) <= SAME_PLACE_MILES)
        };
        match at {
            Some(i) => {
                let g = &mut groups[i];
                let n = g.items.len() as f64;
                g.lat = (g.lat * n + e.lat) / (n + 1.0);
                g.lon = (g.lon * n + e.lon) / (n + 1.0);
                g.items.push(e);
            }
            None => groups.push(Group {
                lat: e.lat,
                lon: e.lon,
                items: vec![e],
            }),
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let name = most_common(g.items.iter().map(|e| e.name.as_str()))
                .unwrap_or_default()
                .to_string();
            let district = if is_area {
                // The district nearest the middle, for services that cover it.
                g.items
                    .iter()
                    .min_by(|a, b| {
                        miles_between((g.lat, g.lon), (a.lat, a.lon))
                            .total_cmp(&miles_between((g.lat, g.lon), (b.lat, b.lon)))
                    })
                    .and_then(|e| e.district.clone())
            } else {
                most_common(g.items.iter().filter_map(|e| e.district.as_deref())).map(String::from)
            };
            Place {
                name,
                lat: g.lat,
                lon: g.lon,
                district,
                evidence: g.items.len(),
                is_area,
            }
        })
        .collect()
}

fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(x, _)| *x == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    // Most common; ties go to the first seen.
    let max = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == max).map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, lat: f64, lon: f64, d: &str) -> Evidence {
        Evidence {
            name: name.into(),
            lat,
            lon,
            district: Some(d.into()),
        }
    }

    #[test]
    fn localities_from_addresses() {
        assert_eq!(localities("Broad Road, Sale"), vec!["Sale"]);
        assert_eq!(
            localities("1 High St, Chorlton,  Manchester"),
            vec!["Chorlton", "Manchester"]
        );
        assert_eq!(
            localities("Sale Leisure Centre, Broad Road"),
            Vec::<String>::new()
        );
        assert_eq!(
            localities("The Hall, Flat 2, M33 7XW"),
            Vec::<String>::new()
        );
        assert_eq!(localities("Sale"), Vec::<String>::new());
        assert_eq!(localities(""), Vec::<String>::new());
        assert_eq!(
            localities("Unit 4, Waterside Plaza, St. Annes"),
            vec!["St. Annes"]
        );
    }

    #[test]
    fn finds_clusters_and_ambiguity() {
        let g = Gazetteer::build(
            vec![
                ev("Sale", 53.42, -2.32, "M33"),
                ev("sale", 53.43, -2.31, "M33"),
                ev("Sale", 53.41, -2.33, "M33"),
                ev("Newton", 53.45, -2.01, "SK14"),
                ev("Newton", 53.46, -2.62, "WA12"),
                ev("Newton", 53.46, -2.63, "WA12"),
            ],
            vec![
                ev("Trafford", 53.42, -2.32, "M33"),
                ev("Trafford", 53.45, -2.30, "M32"),
            ],
        );
        let Lookup::Found(sale) = g.lookup("  SALE ") else {
            panic!("Sale not found")
        };
        assert_eq!(sale.name, "Sale");
        assert_eq!(sale.district.as_deref(), Some("M33"));
        assert_eq!(sale.evidence, 3);
        assert!((sale.lat - 53.42).abs() < 0.01);
        let Lookup::Ambiguous(newtons) = g.lookup("Newton") else {
            panic!("Newton should be ambiguous")
        };
        assert_eq!(
            newtons.iter().map(Place::qualified).collect::<Vec<_>>(),
            vec!["Newton, WA12", "Newton, SK14"]
        );
        // Each choice, typed back, is one place.
        for n in &newtons {
            assert!(matches!(g.lookup(&n.qualified()), Lookup::Found(ref p) if p == n));
        }
        assert!(
            matches!(g.lookup("Newton (sk14)"), Lookup::Found(ref p) if p.district.as_deref() == Some("SK14"))
        );
        assert!(matches!(g.lookup("Newton, WA"), Lookup::Found(_)));
        assert_eq!(g.lookup("Newton, M1"), Lookup::Unknown);
        let Lookup::Found(t) = g.lookup("trafford") else {
            panic!("area not found")
        };
        assert!(t.is_area);
        assert_eq!(t.evidence, 2);
        assert_eq!(g.lookup("Atlantis"), Lookup::Unknown);
        assert_eq!(g.lookup(""), Lookup::Unknown);
    }
}
