//! UK postcodes: parsing, normalising and explaining what is wrong with one.
//!
//! People type postcodes every way: "sw1a1aa", " SW1A  1AA ", "m33". We accept a full
//! unit or just the outward code (the district, "M33"), normalise to the Royal Mail
//! form, and check the shape only (letters and digits in the right places): whether a
//! postcode exists is the lookup's job, so a well-formed but unknown one gets a
//! different, more useful message later.

use std::fmt;

/// A normalised UK postcode: a full unit ("SW1A 1AA") or a district ("M33").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Postcode {
    outward: String,
    inward: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    #[error("Enter a postcode, like M33 7XW")]
    Empty,
    #[error("That is too long to be a postcode. Enter a postcode, like M33 7XW")]
    TooLong,
    #[error(
        "'{0}' is not a UK postcode. Check it and try again, or enter the first part only, like M33"
    )]
    Invalid(String),
}

/// Longest input we try to read as a postcode ("SW1A 1AA" with generous spacing).
const MAX_INPUT: usize = 16;

impl Postcode {
    pub fn parse(input: &str) -> Result<Postcode, PostcodeError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PostcodeError::Empty);
        }
        if trimmed.chars().count() > MAX_INPUT {
            return Err(PostcodeError::TooLong);
        }
        let invalid = || PostcodeError::Invalid(trimmed.chars().take(20).collect());
        let compact: String = trimmed
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid());
        }
        if compact == "GIR0AA" {
            return Ok(Postcode {
                outward: "GIR".into(),
                inward: Some("0AA".into()),
            });
        }
        // Full postcode: the last three characters are digit, letter, letter and the
        // rest is a valid outward code.
        if compact.len() >= 5 {
            let (out, inw) = compact.split_at(compact.len() - 3);
            if is_inward(inw) && is_outward(out) {
                return Ok(Postcode {
                    outward: out.to_string(),
                    inward: Some(inw.to_string()),
                });
            }
        }
        if is_outward(&compact) {
            return Ok(Postcode {
                outward: compact,
                inward: None,
            });
        }
        Err(invalid())
    }

    pub fn is_full(&self) -> bool {
        self.inward.is_some()
    }

    /// The outward code, which is the postcode district: "M33", "SW1A".
    pub fn outward(&self) -> &str {
        &self.outward
    }

    pub fn inward(&self) -> Option<&str> {
        self.inward.as_deref()
    }

    /// The postcode area: the leading letters ("SW", "M").
    pub fn area(&self) -> &str {
        let n = self
            .outward
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        &self.outward[..n]
    }

    /// The form used as a database key: the display form.
    pub fn as_key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inward {
            Some(i) => write!(f, "{} {}", self.outward, i),
            None => f.write_str(&self.outward),
        }
    }
}

fn is_inward(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b[0].is_ascii_digit()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_alphabetic()
}

/// A9, A99, AA9, AA99, A9A, AA9A.
fn is_outward(s: &str) -> bool {
    let shape: String = s
        .bytes()
        .map(|b| if b.is_ascii_digit() { '9' } else { 'A' })
        .collect();
    matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases(name: &str) -> Vec<(String, serde_json::Value)> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/bad-inputs/postcodes/"
        );
        let text = std::fs::read_to_string(format!("{path}ideal-postcodes_{name}.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["base"].as_str().unwrap().to_string(),
                    t["expected"].clone(),
                )
            })
            .collect()
    }

    #[test]
    fn validation_cases() {
        for (input, expected) in cases("validation") {
            let ok = Postcode::parse(&input).is_ok_and(|p| p.is_full());
            assert_eq!(ok, expected.as_bool().unwrap(), "{input}");
        }
    }

    #[test]
    fn normalisation_cases() {
        for (input, expected) in cases("normalisation") {
            let got = Postcode::parse(&input)
                .ok()
                .filter(|p| p.is_full())
                .map(|p| p.to_string());
            assert_eq!(got.as_deref(), expected.as_str(), "{input}");
        }
    }

    #[test]
    fn outward_and_unit_cases() {
        for (input, expected) in cases("outcodes") {
            let got = Postcode::parse(&input)
                .ok()
                .filter(|p| p.is_full())
                .map(|p| p.outward().to_string());
            assert_eq!(got.as_deref(), expected.as_str(), "{input}");
        }
        for (input, expected) in cases("units") {
            let got = Postcode::parse(&input)
                .ok()
                .and_then(|p| p.inward().map(|i| i[1..].to_string()));
            assert_eq!(got.as_deref(), expected.as_str(), "{input}");
        }
    }

    #[test]
    fn messy_input_and_districts() {
        assert_eq!(
            Postcode::parse(" sw1a  1aa ").unwrap().to_string(),
            "SW1A 1AA"
        );
        assert_eq!(Postcode::parse("m337xw").unwrap().to_string(), "M33 7XW");
        let d = Postcode::parse("wa14").unwrap();
        assert!(!d.is_full());
        assert_eq!((d.outward(), d.area()), ("WA14", "WA"));
        assert_eq!(Postcode::parse("gir 0aa").unwrap().to_string(), "GIR 0AA");
        assert_eq!(Postcode::parse("   "), Err(PostcodeError::Empty));
        assert_eq!(
            Postcode::parse("SW1A 1AA SW1A 1AA"),
            Err(PostcodeError::TooLong)
        );
        assert!(Postcode::parse("M33 7X").is_err());
        assert!(
            Postcode::parse("ＭＡ１").is_err(),
            "full-width letters are not ASCII"
        );
    }

    #[test]
    fn naughty_strings_never_panic() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/bad-inputs/blns/blns.txt"
        );
        let bytes = std::fs::read(path).unwrap();
        for line in String::from_utf8_lossy(&bytes).lines() {
            if let Err(e) = Postcode::parse(line) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}
