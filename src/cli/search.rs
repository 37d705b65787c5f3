//! `signpost search`: the website's search from a terminal, with the same filters.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use signpost::App;
use signpost::config::Config;
use signpost::geo::locate::Geocoder;
use signpost::search::{Hit, ParamError, SearchRequest};

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to search for.
    query: Vec<String>,
    /// Postcode (or "lat,lon") to search near.
    #[arg(long)]
    near: Option<String>,
    /// Radius in miles.
    #[arg(long)]
    within: Option<String>,
    /// Activity type slug (repeatable).
    #[arg(long = "type")]
    types: Vec<String>,
    /// Accessibility feature slug (repeatable; all must match).
    #[arg(long)]
    access: Vec<String>,
    /// Only free activities.
    #[arg(long)]
    free: bool,
    /// Day: mon..sun (repeatable).
    #[arg(long)]
    day: Vec<String>,
    /// morning, afternoon or evening (repeatable).
    #[arg(long)]
    time: Vec<String>,
    /// Age of the person.
    #[arg(long)]
    age: Option<String>,
    /// in-person, online, phone or home-visit (repeatable).
    #[arg(long)]
    mode: Vec<String>,
    /// relevance or distance.
    #[arg(long)]
    sort: Option<String>,
    #[arg(long)]
    page: Option<String>,
    /// Print the same JSON as GET /api/search.
    #[arg(long)]
    json: bool,
}

impl SearchArgs {
    /// The flags as the same name/value pairs the website's URL carries.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = Vec::new();
        if !self.query.is_empty() {
            p.push(("q", self.query.join(" ")));
        }
        let one = [
            ("near", &self.near),
            ("within", &self.within),
            ("age", &self.age),
            ("sort", &self.sort),
            ("page", &self.page),
        ];
        for (k, v) in one {
            if let Some(v) = v {
                p.push((k, v.clone()));
            }
        }
        let many = [
            ("type", &self.types),
            ("access", &self.access),
            ("day", &self.day),
            ("time", &self.time),
            ("mode", &self.mode),
        ];
        for (k, vs) in many {
            p.extend(vs.iter().map(|v| (k, v.clone())));
        }
        if self.free {
            p.push(("free", "1".into()));
        }
        p
    }

    /// Says what is wrong with the parameters, as JSON or on standard error.
    fn refuse(&self, errors: &[ParamError]) -> ExitCode {
        if self.json {
            println!(
                "{}",
                serde_json::json!({"error": errors[0].message, "errors": errors})
            );
        } else {
            for e in errors {
                eprintln!("{} (--{})", e.message, e.param);
            }
        }
        ExitCode::from(2)
    }
}

pub fn run(config: &Config, args: &SearchArgs) -> Result<ExitCode> {
    let app = App::open(&config.data_dir)?;
    let pairs = args.pairs();
    let (req, errors) =
        SearchRequest::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())), app.taxonomy);
    if !errors.is_empty() {
        return Ok(args.refuse(&errors));
    }
    let location = match &req.near {
        Some(n) => match Geocoder::new(&app.store).locate(n) {
            Ok(l) => Some(l),
            Err(e) => match ParamError::from_locate(&e) {
                // A place the person must correct or choose: the site's message.
                Some(error) => return Ok(args.refuse(&[error])),
                None => return Err(e.into()),
            },
        },
        None => None,
    };
    let results = app
        .engine
        .search(&req, location.as_ref(), signpost::clock::uk_now())?;
    let mut out = String::new();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&results)?)?;
        super::emit(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{}{} result{}{}",
        if results.more_than_total {
            "More than "
        } else {
            ""
        },
        results.total,
        if results.total == 1 && !results.more_than_total {
            ""
        } else {
            "s"
        },
        location
            .as_ref()
            .map(|l| format!(" near {}", l.label))
            .unwrap_or_default()
    )?;
    if let Some(note) = location.as_ref().and_then(|l| l.note.as_ref()) {
        writeln!(out, "({note})")?;
    }
    if let Some(better) = &results.did_you_mean {
        writeln!(out, "Did you mean: {better}?")?;
    }
    for h in &results.hits {
        write_hit(&mut out, h)?;
    }
    if !results.also.is_empty() {
        writeln!(out, "\nClose to your search, with some of your words:")?;
        for h in &results.also {
            write_hit(&mut out, h)?;
        }
    }
    if results.pages > 1 {
        writeln!(out)?;
        writeln!(out, "page {} of {}", results.page, results.pages)?;
    }
    super::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn write_hit(out: &mut String, h: &Hit) -> std::fmt::Result {
    writeln!(out)?;
    writeln!(out, "{}  [{}]", h.title, h.id)?;
    if !h.organisation.is_empty() {
        writeln!(out, "  {}", h.organisation)?;
    }
    if !h.reach_label.is_empty() {
        writeln!(out, "  {}", h.reach_label)?;
    }
    if let Some(n) = &h.next_session {
        writeln!(out, "  Next: {}", n.text)?;
    }
    writeln!(
        out,
        "  {}",
        if h.free {
            "Free".to_string()
        } else {
            h.price.clone().unwrap_or_else(|| "Ask about cost".into())
        }
    )
}
