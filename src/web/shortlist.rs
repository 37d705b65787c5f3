//! The link worker's shortlist, kept entirely in the URL.
//!
//! A shortlist is only a list of public listing ids, so it carries no personal data and
//! needs no account, cookie or server-side profile: the `s` parameter (`s=12.45.7`)
//! rides along on every link and form, and a short code (`/h/c-19-7`, the ids in base
//! 36) makes the link short enough to read out, text or print as a QR code.

/// Most listings a shortlist holds: four fit on one printed A4 page, and link workers
/// aim to give people about three good options.
pub const MAX: usize = 4;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shortlist(Vec<i64>);

impl Shortlist {
    pub fn new(ids: impl IntoIterator<Item = i64>) -> Shortlist {
        let mut out = Vec::new();
        for id in ids {
            if id > 0 && !out.contains(&id) && out.len() < MAX {
                out.push(id);
            }
        }
        Shortlist(out)
    }

    /// Reads `s` from a raw query string. Anything that is not an id is ignored: a
    /// mangled link still shows whatever part of the list survived.
    pub fn from_query(raw: Option<&str>) -> Shortlist {
        let value = super::form::Pairs::query(raw)
            .all("s")
            .collect::<Vec<_>>()
            .join(".");
        Shortlist::parse(&value)
    }

    pub fn parse(value: &str) -> Shortlist {
        Shortlist::new(
            value
                .split(['.', ',', ' '])
                .filter_map(|p| p.trim().parse::<i64>().ok()),
        )
    }

    pub fn ids(&self) -> &[i64] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn contains(&self, id: i64) -> bool {
        self.0.contains(&id)
    }

    pub fn is_full(&self) -> bool {
        self.0.len() >= MAX
    }

    pub fn with(&self, id: i64) -> Shortlist {
        Shortlist::new(self.0.iter().copied().chain([id]))
    }

    pub fn without(&self, id: i64) -> Shortlist {
        Shortlist::new(self.0.iter().copied().filter(|&x| x != id))
    }

    /// The value of the `s` parameter.
    pub fn param(&self) -> String {
        self.0
            .iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
            .join(".")
    }

    /// `&s=...`, or nothing for an empty list, to append to a query string.
    pub fn query_suffix(&self) -> String {
        if self.is_empty() {
            String::new()
        } else {
            format!("&s={}", self.param())
        }
    }

    /// The short code: ids in base 36, joined by `-`.
    pub fn code(&self) -> String {
        self.0
            .iter()
            .map(|&id| base36(id as u64))
            .collect::<Vec<_>>()
            .join("-")
    }

    pub fn from_code(code: &str) -> Option<Shortlist> {
        if code.is_empty() || code.len() > 120 {
            return None;
        }
        let ids: Option<Vec<i64>> = code
            .split('-')
            .map(|p| {
                u64::from_str_radix(p, 36)
                    .ok()
                    .and_then(|n| i64::try_from(n).ok())
            })
            .collect();
        let list = Shortlist::new(ids?);
        (!list.is_empty()).then_some(list)
    }
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// An SVG QR code for `url`, sized by the viewer (no fixed width), dark on light.
pub fn qr_svg(url: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(160, 160)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_leniently_and_caps() {
        assert_eq!(Shortlist::parse("3.1,2 x 3 -4 0").ids(), &[3, 1, 2]);
        let many = (1..50).map(|i| i.to_string()).collect::<Vec<_>>().join(".");
        assert_eq!(Shortlist::parse(&many).len(), MAX);
        assert_eq!(
            Shortlist::from_query(Some("q=x&s=5.6&s=7")).ids(),
            &[5, 6, 7]
        );
        assert!(Shortlist::from_query(Some("s=%ZZ")).is_empty());
    }

    #[test]
    fn codes_round_trip() {
        let s = Shortlist::new([1, 35, 36, 1_000_000]);
        assert_eq!(s.code(), "1-z-10-lfls");
        assert_eq!(Shortlist::from_code(&s.code()), Some(s));
        assert_eq!(Shortlist::from_code("zzzzzzzzzzzzzzzzzzzz"), None);
        assert_eq!(Shortlist::from_code("a--b"), None);
        assert_eq!(Shortlist::from_code(""), None);
    }

    #[test]
    fn add_and_remove() {
        let s = Shortlist::new([4]).with(9).with(4);
        assert_eq!(s.ids(), &[4, 9]);
        assert_eq!(s.without(4).ids(), &[9]);
        assert_eq!(s.query_suffix(), "&s=4.9");
    }
}
