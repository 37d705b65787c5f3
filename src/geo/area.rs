//! The area a source covers, as a person writes it: postcode areas (`DN`), postcode
//! districts (`DN15 DN16`), local-authority GSS codes (`E06000013`) or a local
//! authority's name (`North Lincolnshire`).
//!
//! Many real directories (most council Open Referral feeds) say nothing about where
//! each service is: the council publishes them because they serve its area. A source's
//! area lets such records be found by a location search inside that area, labelled
//! "Covers North Lincolnshire", without pretending to know a distance.
//!
//! Local authorities are turned into postcode districts by the table shipped in
//! `content/local-authority-districts.csv`, derived from OS Code-Point Open (its
//! `admin_district_code` column) by `examples/derive_districts.rs`: a district belongs
//! to an authority when at least a twentieth of its postcode units lie in it.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::districts::Districts;
use super::postcode::Postcode;
use super::table::is_gss_code;

const EMBEDDED_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/content/local-authority-districts.csv"
));

static EMBEDDED: LazyLock<Authorities> = LazyLock::new(|| Authorities::from_csv(EMBEDDED_CSV));

/// One local authority: its GSS code, its name when known, its postcode districts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub code: String,
    pub name: Option<String>,
    pub districts: Vec<String>,
}

/// Local authorities by code and by name.
#[derive(Debug, Default)]
pub struct Authorities {
    list: Vec<Authority>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    /// For each postcode district, the authority with most of its postcodes (and how
    /// many), for naming the council area of an address.
    by_district: HashMap<String, (usize, u64)>,
}

impl Authorities {
    /// The table compiled into this binary.
    pub fn embedded() -> &'static Authorities {
        &EMBEDDED
    }

    /// Parses `code,name,outcode,postcode_count` (rows of one authority together or
    /// not); bad lines are skipped (the shipped file is checked by a test).
    pub fn from_csv(text: &str) -> Authorities {
        let mut out = Authorities::default();
        let mut rows = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        for row in rows.records().flatten() {
            let (Some(code), Some(name), Some(outcode)) = (row.get(0), row.get(1), row.get(2))
            else {
                continue;
            };
            if !is_gss_code(code) || outcode.is_empty() {
                continue;
            }
            let i = *out.by_code.entry(code.to_string()).or_insert_with(|| {
                out.list.push(Authority {
                    code: code.to_string(),
                    name: None,
                    districts: Vec::new(),
                });
                out.list.len() - 1
            });
            let a = &mut out.list[i];
            if a.name.is_none() && !name.trim().is_empty() {
                a.name = Some(name.trim().to_string());
                out.by_name.insert(name_key(name), i);
            }
            if !a.districts.iter().any(|d| d == outcode) {
                a.districts.push(outcode.to_string());
            }
            let count = row.get(3).and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
            let best = out
                .by_district
                .entry(outcode.to_string())
                .or_insert((i, count));
            if count > best.1 {
                *best = (i, count);
            }
        }
        out
    }

    pub fn by_code(&self, code: &str) -> Option<&Authority> {
        self.by_code
            .get(&code.trim().to_ascii_uppercase())
            .map(|&i| &self.list[i])
    }

    /// The authority most of a postcode district (`M33`) is in.
    pub fn for_district(&self, district: &str) -> Option<&Authority> {
        self.by_district
            .get(&district.trim().to_ascii_uppercase())
            .map(|&(i, _)| &self.list[i])
    }

    /// An authority by its name, ignoring case, punctuation and a trailing "Council".
    pub fn by_name(&self, name: &str) -> Option<&Authority> {
        self.by_name.get(&name_key(name)).map(|&i| &self.list[i])
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Authority> {
        self.list.iter()
    }
}

fn name_key(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    while words
        .last()
        .is_some_and(|w| matches!(*w, "council" | "borough" | "district" | "city"))
        && words.len() > 1
    {
        words.pop();
    }
    if words.len() > 2 && words[..2] == ["city", "of"] {
        words.drain(..2);
    }
    words.join(" ")
}

/// A parsed area: what it is called and the postcode districts (or areas) it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    label: String,
    postcodes: Vec<String>,
}

impl Area {
    /// Reads an area as written in `sources.toml` or `--area`: one or more postcode
    /// areas, districts or GSS codes separated by spaces or commas, or one local
    /// authority's name.
    pub fn parse(text: &str) -> Result<Area, String> {
        Area::parse_with(text, Authorities::embedded(), Districts::embedded())
    }

    /// [`Area::parse`] with given tables (for tests).
    pub fn parse_with(
        text: &str,
        authorities: &Authorities,
        districts: &Districts,
    ) -> Result<Area, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(
                "the area is empty: give postcode areas or districts (DN, DN15 DN16) \
                        or a local authority's code (E06000013)"
                    .into(),
            );
        }
        if let Some(a) = authorities.by_name(text) {
            return Ok(Area::of_authorities(&[a]));
        }
        let mut found: Vec<&Authority> = Vec::new();
        let mut codes: Vec<String> = Vec::new();
        for token in text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|t| !t.is_empty())
        {
            let upper = token.to_ascii_uppercase();
            if is_gss_code(&upper) {
                match authorities.by_code(&upper) {
                    Some(a) => found.push(a),
                    None => {
                        return Err(format!(
                            "'{token}' looks like a local authority code, but no postcodes \
                             are known for it (codes are those of OS Code-Point Open, 2014)"
                        ));
                    }
                }
            } else if is_postcode_area(&upper, districts) {
                codes.push(upper);
            } else if let Ok(pc) = Postcode::parse(&upper)
                && !pc.is_full()
                && districts.get(pc.outward()).is_some()
            {
                codes.push(pc.outward().to_string());
            } else {
                return Err(format!(
                    "'{token}' is not a postcode area (DN), a postcode district (DN15), a \
                     local authority code (E06000013) or a local authority's name"
                ));
            }
        }
        let mut area = Area::of_authorities(&found);
        for c in codes {
            if !area.postcodes.contains(&c) {
                if !area.label.is_empty() {
                    area.label.push_str(", ");
                }
                area.label.push_str(&c);
                area.postcodes.push(c);
            }
        }
        Ok(area)
    }

    fn of_authorities(list: &[&Authority]) -> Area {
        let mut postcodes: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for a in list {
            for d in &a.districts {
                if !postcodes.contains(d) {
                    postcodes.push(d.clone());
                }
            }
            names.push(
                a.name
                    .clone()
                    .unwrap_or_else(|| format!("postcodes {}", a.districts.join(", "))),
            );
        }
        Area {
            label: join_and(&names),
            postcodes,
        }
    }

    /// An area with its own label, e.g. a service area a record names.
    pub fn with_label(mut self, label: &str) -> Area {
        self.label = label.trim().to_string();
        self
    }

    /// Plain words for people: "North Lincolnshire", "DN15, DN16".
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The postcode districts (`DN15`) and areas (`DN`) the area covers.
    pub fn postcodes(&self) -> &[String] {
        &self.postcodes
    }

    /// Whether a postcode district lies in the area (in one of its districts, or in
    /// one of its postcode areas).
    pub fn covers(&self, district: &str) -> bool {
        let area: String = district
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        self.postcodes.iter().any(|p| p == district || *p == area)
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl std::str::FromStr for Area {
    type Err = String;

    fn from_str(s: &str) -> Result<Area, String> {
        Area::parse(s)
    }
}

/// A postcode area such as `DN`: one or two letters that begin some district.
fn is_postcode_area(s: &str, districts: &Districts) -> bool {
    (1..=2).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_uppercase())
        && districts.iter().any(|(code, _, _)| {
            code.strip_prefix(s)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_of_a_district_is_the_one_with_most_of_it() {
        let a = Authorities::from_csv(
            "code,name,outcode,postcode_count\nE08000009,Trafford,M33,900\n\
             E08000003,Manchester,M33,12\nE08000003,Manchester,M21,700\n",
        );
        assert_eq!(a.for_district("m33").unwrap().code, "E08000009");
        assert_eq!(a.for_district("M21").unwrap().code, "E08000003");
        assert!(a.for_district("ZZ1").is_none());
    }

    #[test]
    fn authorities_codes_districts_and_names() {
        let a = Area::parse("E06000013").unwrap();
        assert_eq!(a.label(), "North Lincolnshire");
        for d in ["DN15", "DN16", "DN17", "DN18", "DN19", "DN20"] {
            assert!(a.covers(d), "{d} in {:?}", a.postcodes());
        }
        assert!(!a.covers("M33"));
        assert_eq!(Area::parse("north lincolnshire council").unwrap(), a);
        let d = Area::parse("dn15, DN16").unwrap();
        assert_eq!(d.label(), "DN15, DN16");
        assert_eq!(d.postcodes(), ["DN15", "DN16"]);
        let area = Area::parse("DN").unwrap();
        assert!(area.covers("DN40") && !area.covers("D1"));
        let both = Area::parse("E06000013 M33").unwrap();
        assert_eq!(both.label(), "North Lincolnshire, M33");
    }

    #[test]
    fn bad_areas_say_what_is_wanted() {
        for bad in [
            "",
            "  ",
            "E99000000",
            "ZZ",
            "DN99",
            "Atlantis",
            "DN15 nowhere",
            "M1 1AA",
        ] {
            let e = Area::parse(bad).unwrap_err();
            assert!(
                e.contains("postcode area") || e.contains("local authority"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn shipped_table_covers_great_britain() {
        let t = Authorities::embedded();
        assert!(t.len() > 370, "{}", t.len());
        let named = t.iter().filter(|a| a.name.is_some()).count();
        assert!(named > 300, "{named} named");
        let districts = Districts::embedded();
        for a in t.iter() {
            assert!(!a.districts.is_empty(), "{}", a.code);
            for d in &a.districts {
                assert!(districts.get(d).is_some(), "{} names unknown {d}", a.code);
            }
        }
    }
}
