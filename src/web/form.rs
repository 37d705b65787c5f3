//! Form bodies and query strings as name/value pairs, parsed in one place.
//!
//! Handlers that read a form by hand (the listing form has fields that repeat and
//! fields it does not know in advance) take a [`Pairs`] as their body extractor, or
//! build one from a raw query string. A missing field reads as empty, which is what
//! every form here means by it.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};

/// Every `name=value` pair, in order, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// Parses an `application/x-www-form-urlencoded` body or query string. Nothing in
    /// it is an error: bad escapes are kept as they came.
    pub fn parse(input: &[u8]) -> Pairs {
        Pairs(
            form_urlencoded::parse(input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The pairs of a request's raw query string (none when there is none).
    pub fn query(raw: Option<&str>) -> Pairs {
        Pairs::parse(raw.unwrap_or("").as_bytes())
    }

    /// The first value of `name`, or `""` when it was not sent.
    pub fn get(&self, name: &str) -> &str {
        self.first(name).unwrap_or("")
    }

    /// The first value of `name`, if it was sent.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The request body as pairs, within the router's body limit (413 past it).
impl<S: Send + Sync> FromRequest<S> for Pairs {
    type Rejection = BytesRejection;

    async fn from_request(req: Request, state: &S) -> Result<Pairs, BytesRejection> {
        let body = Bytes::from_request(req, state).await?;
        Ok(Pairs::parse(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forms_and_queries() {
        let p = Pairs::parse(b"a=1&b=x+y&a=2&c=%E2%9C%93&bad=%ZZ");
        assert_eq!(p.get("a"), "1");
        assert_eq!(p.all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(p.get("b"), "x y");
        assert_eq!(p.get("c"), "\u{2713}");
        assert_eq!(p.get("bad"), "%ZZ");
        assert_eq!(p.get("missing"), "");
        assert_eq!(p.first("missing"), None);
        assert_eq!(p.iter().count(), 5);
        assert_eq!(Pairs::query(None), Pairs::default());
        assert_eq!(Pairs::query(Some("s=5.6&s=7")).all("s").count(), 2);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// A name or value: anything, or the characters form encoding is about.
        fn text() -> impl Strategy<Value = String> {
            prop_oneof![any::<String>(), "[=&+% ;#?\\x00-\\x1f€💩]{0,8}"]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Any body is read without a panic into no more pairs than it has `&`s
            /// and bytes; pairs a browser encodes come back exactly, in order, with
            /// repeats; `get` and `first` see the first of a repeated name.
            #[test]
            fn any_body_reads_and_encoded_pairs_round_trip(
                raw in prop::collection::vec(any::<u8>(), 0..400),
                pairs in prop::collection::vec((text(), text()), 0..8),
            ) {
                let p = Pairs::parse(&raw);
                prop_assert!(p.iter().count() <= raw.iter().filter(|b| **b == b'&').count() + 1);
                let mut s = form_urlencoded::Serializer::new(String::new());
                for (k, v) in &pairs {
                    s.append_pair(k, v);
                }
                let body = s.finish();
                let p = Pairs::parse(body.as_bytes());
                let back: Vec<(String, String)> =
                    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                prop_assert_eq!(&back, &pairs);
                if let Some((k, v)) = pairs.first() {
                    prop_assert_eq!(p.first(k), Some(v.as_str()));
                    prop_assert_eq!(p.get(k), v.as_str());
                }
            }
        }
    }
}
