//! Configured sources (`content/sources.toml`), harvested together by `signpost crawl`.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An OpenActive RPDE feed URL, followed page by page and kept up to date.
    Openactive,
    /// A file or URL of Signpost JSON, imported whole (listings it drops are withdrawn).
    Signpost,
    /// Group web pages with schema.org JSON-LD: `urls = [...]`, or `url` naming a file
    /// of page URLs, one a line.
    Webpages,
    /// An OpenActive dataset site or data catalog URL; its RPDE feeds are discovered
    /// and harvested.
    OpenactiveDataset,
    /// An Open Referral (HSDS / ORUK 1.0 or 3.0) directory API's address, or a JSON
    /// file of services; services it drops are withdrawn.
    Openreferral,
    /// A CSV file or URL read through `mapping`; rows it drops are withdrawn.
    Csv,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short name recorded as each listing's source; unique.
    pub name: String,
    pub kind: Kind,
    /// Feed URL, or file path for `signpost`.
    #[serde(default)]
    pub url: String,
    /// Page URLs, for `webpages`.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Pause between pages, in milliseconds (default 200).
    #[serde(default = "default_delay")]
    pub delay_ms: u64,
    /// For `csv`: the column mapping file (TOML).
    #[serde(default)]
    pub mapping: Option<std::path::PathBuf>,
    /// Switch a source off without deleting it.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_delay() -> u64 {
    200
}
fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    #[serde(default, rename = "source")]
    pub sources: Vec<Source>,
}

impl Sources {
    pub fn parse(text: &str) -> Result<Sources, String> {
        let s: Sources = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut names = std::collections::HashSet::new();
        for src in &s.sources {
            if src.name.trim().is_empty() {
                return Err("a source has an empty name".into());
            }
            if !names.insert(src.name.as_str()) {
                return Err(format!("the source name '{}' is used twice", src.name));
            }
            let has_url = !src.url.trim().is_empty();
            if src.kind == Kind::Webpages {
                if !has_url && src.urls.is_empty() {
                    return Err(format!(
                        "the source '{}' needs urls = [...] (or url = a file of page URLs)",
                        src.name
                    ));
                }
            } else if !has_url {
                return Err(format!("the source '{}' has no url", src.name));
            }
        }
        Ok(s)
    }

    pub fn load(path: &Path) -> Result<Sources, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("could not read {}: {e}", path.display()))?;
        Sources::parse(&text).map_err(|e| format!("{} is not valid: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_sources_file_parses() {
        Sources::parse(include_str!("../../content/sources.toml")).unwrap();
        let s = Sources::parse(
            "[[source]]\nname = \"a\"\nkind = \"openactive\"\nurl = \"https://x/feed\"\n",
        )
        .unwrap();
        assert_eq!(s.sources[0].delay_ms, 200);
        let s = Sources::parse(
            "[[source]]\nname = \"c\"\nkind = \"csv\"\nurl = \"x.csv\"\nmapping = \"m.toml\"\n\n[[source]]\nname = \"d\"\nkind = \"openreferral\"\nurl = \"https://x/api\"\n",
        )
        .unwrap();
        assert_eq!(s.sources[0].kind, Kind::Csv);
        assert_eq!(s.sources[0].mapping.as_deref(), Some(Path::new("m.toml")));
        assert_eq!(s.sources[1].kind, Kind::Openreferral);
        assert!(Sources::parse("[[source]]\nname = \"a\"\nkind = \"ftp\"\nurl = \"x\"\n").is_err());
        assert!(
            Sources::parse(
                "[[source]]\nname = \"a\"\nkind = \"signpost\"\nurl = \"x\"\n[[source]]\nname = \"a\"\nkind = \"signpost\"\nurl = \"y\"\n"
            )
            .is_err()
        );
    }
}
