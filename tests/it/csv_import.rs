//! Spreadsheet imports through a column mapping: the real Trafford Data Lab files with
//! the mappings shipped in content/mappings/, a file full of bad rows (BOM, CRLF, ragged
//! rows, Windows-1252 bytes, bad values) written here, and the CLI.

use crate::common;

use std::path::PathBuf;

use common::listing;
use signpost::App;
use signpost::ingest::table::{self, Mapping};
use signpost::ingest::{ImportOptions, ImportReport, IngestError};
use signpost::listing::Taxonomy;

fn mapping(name: &str) -> Mapping {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("content/mappings")
        .join(name);
    Mapping::load(&path, Taxonomy::embedded()).unwrap()
}

fn run(app: &App, bytes: &[u8], m: &Mapping, source: &str) -> ImportReport {
    table::decode(bytes, m, app.taxonomy)
        .unwrap()
        .import(
            &app.store,
            app.taxonomy,
            &ImportOptions {
                source: source.into(),
                withdraw_missing: true,
                area: None,
            },
        )
        .unwrap()
}

#[test]
fn trafford_sports_clubs() {
    let (_dir, app) = common::new_app();
    let bytes = std::fs::read(common::shared(
        "community/trafford-datalab/sports_clubs/sports_clubs.csv",
    ))
    .unwrap();
    let m = mapping("trafford-sports-clubs.toml");
    let r = run(&app, &bytes, &m, "clubs");
    assert_eq!(r.read, 140);
    assert_eq!(r.created + r.failed.len(), 140, "{r}");
    assert!(r.created >= 135, "{r}");
    let l = listing(&app, "clubs", "Acre Gate Golf Club");
    assert_eq!(l.types, vec!["sport-fitness"]);
    let v = l.venue.as_ref().unwrap();
    assert_eq!(v.postcode.as_deref(), Some("M41 5DX"));
    assert_eq!(v.address, "Pennybridge Lane, Urmston");
    assert!(v.lat.is_some());
    assert_eq!(
        listing(&app, "clubs", "ABC Partington Badminton").types,
        vec!["sport-fitness"]
    );
    // Re-import changes nothing.
    let again = run(&app, &bytes, &m, "clubs");
    assert_eq!(
        (again.created, again.updated, again.withdrawn),
        (0, 0, 0),
        "{again}"
    );
    assert_eq!(again.unchanged, r.created);
}

#[test]
fn trafford_sport_facilities() {
    let (_dir, app) = common::new_app();
    let bytes = std::fs::read(common::shared(
        "community/trafford-datalab/sport_facilities/sports_facilities.csv",
    ))
    .unwrap();
    let r = run(
        &app,
        &bytes,
        &mapping("trafford-sport-facilities.toml"),
        "facilities",
    );
    assert_eq!(r.read, 314);
    let skipped = r
        .failed
        .iter()
        .filter(|p| p.reasons[0] == "left out by the mapping: access_type is 'Private Use'")
        .count();
    assert_eq!(skipped, 82, "{r}");
    assert_eq!(r.created + r.failed.len(), 314, "{r}");
    assert!(r.created >= 220, "{r}");
    // Row 2 of the file.
    let l = listing(&app, "facilities", "1043459/Sports halls");
    assert_eq!(l.title, "Sports halls at A S E Club");
    let v = l.venue.as_ref().unwrap();
    assert_eq!((v.lat, v.lon), (Some(53.38898), Some(-2.351755)));
    assert_eq!(v.address, "High Bank, Altrincham");
    assert_eq!(l.organisation.phone.as_deref(), Some("0161 928 1765"));
    assert_eq!(l.organisation.email, None, "NA is blank");
    // car_park Yes, disability_parking Yes, toilets No, entrance Yes, doorways Yes, activity area No.
    assert_eq!(
        l.access.features,
        vec!["blue-badge-parking", "parking", "step-free"]
    );
    // Row 3: free public access, with a website.
    let l = listing(&app, "facilities", "1042903/Outdoor tennis courts");
    assert!(l.cost.free);
    assert_eq!(
        l.join.contact.url.as_deref(),
        Some("https://traffordleisure.co.uk/")
    );
}

const BAD_MAPPING: &str = r#"
[columns]
source_id = "Ref"
title = "Group name"
description = "About"
postcode = "Postcode"
days = "Day"
start = "Starts"
end = "Ends"
cost = "Cost"
types = "Type"
ages = "Ages"
[access]
wheelchair = "Wheelchair?"
hearing-loop = "Loop"
"#;

#[test]
fn bad_rows_are_reported_by_row_number_and_the_rest_import() {
    let mut csv: Vec<u8> = vec![0xEF, 0xBB, 0xBF];
    csv.extend_from_slice(
        b"Ref,Group name,About,Postcode,Day,Starts,Ends,Cost,Type,Ages,Wheelchair?,Loop\r\n\
G1,Knit and natter,\"<p>Bring your needles &amp; wool</p>\",M33 7ZF,Tuesday,10am,12pm,\xa32,Knitting,18+,Y,N\r\n\
G2,,No name here,M33 7ZF,Monday,10:00,11:00,Free,Walking,,,\r\n\
G3,Caf\xe9 chat,Friendly caf\xe9,M41 5DE,Wednesdays,2pm,4pm,Free,Social,,Yes,Yes\r\n\
G4,Bad time,Time is wrong,M33 7ZF,Friday,25:99,,Free,Walking,,,\r\n\
G5,Nowhere,Bad postcode,ZZ9 9ZZ9,Friday,10:00,,Free,Walking,,,\r\n\
G6,Mystery,Unknown type,M33 7ZF,Friday,10:00,,Free,Quidditch,,,\r\n\
G7,Short row,Too few cells,M33 7ZF\r\n\
G8,Walk and talk,\"A walk,\r\nthen tea\",M33 7ZF,Sat,09:30,,Free,Walking,,Maybe,\r\n",
    );
    let (_dir, app) = common::new_app();
    let m = Mapping::parse(BAD_MAPPING, app.taxonomy).unwrap();
    let r = run(&app, &csv, &m, "bad");
    let text = r.to_string();
    assert_eq!(r.read, 8, "{text}");
    // Issue 11: a postcode we cannot place, an unknown type and a short row no longer
    // lose the row (G5, G6, G7 come in, with warnings); only G2 and G4 are rejected.
    assert_eq!(r.created, 6, "{text}");
    assert_eq!(r.failed.len(), 2, "{text}");
    assert!(
        text.contains("row 3 (G2): title: the row has no name"),
        "{text}"
    );
    assert!(
        text.contains("row 5 (G4): start: '25:99' is not a time (use 10:00 or 10am)\n"),
        "{text}"
    );
    assert!(text.contains("row 6 (G5): venue.postcode"), "{text}");
    assert!(
        text.contains("row 7 (G6): types: 'Quidditch' is not one of Signpost's activity types"),
        "{text}"
    );
    assert!(text.contains("row 1: the file is not UTF-8"), "{text}");
    assert!(
        text.contains("row 8 (G7): the row has 4 cells but the header has 12"),
        "{text}"
    );
    assert_eq!(
        r.gaps.area_not_stated, 1,
        "G5's postcode places nothing: {text}"
    );
    assert_eq!(r.gaps.general_type, 2, "G6 and G7 fit no type: {text}");
    let l = listing(&app, "bad", "G6");
    assert_eq!(l.types, ["other"]);
    let l = listing(&app, "bad", "G5");
    assert!(l.modes.is_empty() && l.area_served.postcodes.is_empty());
    assert!(
        text.contains("row 9 (G8): access.wheelchair: Wheelchair?: 'Maybe' is not a yes or no"),
        "{text}"
    );

    let l = listing(&app, "bad", "G1");
    assert_eq!(l.description, "Bring your needles & wool");
    assert_eq!(l.types, vec!["arts-crafts"]);
    assert_eq!(l.cost.amount_pence, Some(200));
    assert_eq!(l.cost.price.as_deref(), Some("£2"));
    assert_eq!(l.audience.age_min, Some(18));
    assert_eq!(l.access.features, vec!["wheelchair"]);
    assert_eq!(
        l.schedule.sessions[0].describe(),
        "Every Tuesday, 10am to midday"
    );
    let l = listing(&app, "bad", "G3");
    assert_eq!(l.title, "Café chat");
    assert_eq!(l.access.features, vec!["hearing-loop", "wheelchair"]);
    let l = listing(&app, "bad", "G8");
    assert_eq!(l.description, "A walk,\r\nthen tea".replace("\r\n", " "));
    assert_eq!(l.schedule.sessions[0].describe(), "Every Saturday, 9:30am");
}

#[test]
fn a_mapped_column_missing_from_the_file_is_named() {
    let app_dir = tempfile::tempdir().unwrap();
    let app = App::open(app_dir.path()).unwrap();
    let m = Mapping::parse(BAD_MAPPING, app.taxonomy).unwrap();
    let err =
        table::decode(b"Ref,Group name,Postcode\nG1,A,M33 7ZF\n", &m, app.taxonomy).unwrap_err();
    let IngestError::Mapping(msg) = err else {
        panic!("{err}")
    };
    assert!(msg.contains("'About' (for description)"), "{msg}");
    assert!(
        msg.contains("'Wheelchair?' (for access.wheelchair)"),
        "{msg}"
    );
    assert!(
        msg.contains("The file's columns are: Ref, Group name, Postcode"),
        "{msg}"
    );
    assert!(
        Mapping::parse(
            "[columns]\ntitle = \"a\"\n[access]\nlift = \"b\"\n",
            app.taxonomy
        )
        .unwrap_err()
        .contains("'lift'")
    );
    assert!(
        Mapping::parse("[columns]\ndescription = \"a\"\n", app.taxonomy)
            .unwrap_err()
            .contains("title")
    );
}

#[test]
fn cli_imports_csv_with_a_mapping_and_crawls_sources() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::shared("community/trafford-datalab/sports_clubs/sports_clubs.csv");
    let map = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("content/mappings/trafford-sports-clubs.toml");
    let cmd = || common::signpost_cmd(dir.path());
    let out = cmd()
        .args([
            "import",
            file.to_str().unwrap(),
            "--mapping",
            map.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = common::succeeded(&out);
    assert!(text.contains("sports_clubs: read 140, new"), "{text}");

    let out = cmd()
        .args(["import", file.to_str().unwrap(), "--format", "csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a column mapping"));

    let sources = dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!(
            "[[source]]\nname = \"sports_clubs\"\nkind = \"csv\"\nurl = {:?}\nmapping = {:?}\n\n[[source]]\nname = \"example\"\nkind = \"openreferral\"\nurl = {:?}\n",
            file.to_str().unwrap(),
            map.to_str().unwrap(),
            common::shared("oruk/uk-profile-3.0/examples/service_full.json").to_str().unwrap()
        ),
    )
    .unwrap();
    let out = cmd()
        .args(["crawl", "--sources", sources.to_str().unwrap()])
        .output()
        .unwrap();
    let text = common::succeeded(&out);
    assert!(
        text.contains("sports_clubs: read 140, new 0, updated 0, unchanged"),
        "{text}"
    );
    assert!(text.contains("example: read 1, new 1"), "{text}");
}

#[test]
fn a_spreadsheet_says_where_to_meet_who_leads_how_many_and_how_to_get_there() {
    let csv = "Ref,Name,Postcode,Day,Starts,Cost,Type,Meet,Leader,Max,Level,Travel\n\
S1,Sing for joy,M33 7ZF,Tuesday,10am,Free,Singing,At the church hall side door,Ruth,30,Beginners welcome,Bus 263 stops outside\n\
S2,Advanced choir,M33 7ZF,Thursday,7pm,Free,Singing,,Ruth and Ade,lots,Grade 5,\n";
    let m = Mapping::parse(
        r#"
[columns]
source_id = "Ref"
title = "Name"
postcode = "Postcode"
days = "Day"
start = "Starts"
cost = "Cost"
types = "Type"
meeting_point = "Meet"
leader = "Leader"
places = "Max"
level = "Level"
getting_there = "Travel"
"#,
        Taxonomy::embedded(),
    )
    .unwrap();
    let (_dir, app) = common::new_app();
    let r = run(&app, csv.as_bytes(), &m, "choirs");
    let text = r.to_string();
    assert_eq!((r.created, r.failed.len()), (2, 0), "{text}");
    let l = listing(&app, "choirs", "S1");
    assert_eq!(l.join.meeting_point, "At the church hall side door");
    assert_eq!(l.join.leader.as_deref(), Some("Ruth"));
    assert_eq!(l.join.places, Some(30));
    assert_eq!(l.audience.level, Some(signpost::listing::Level::Beginner));
    assert_eq!(l.access.travel.len(), 1);
    assert_eq!(l.access.travel[0].note, "Bus 263 stops outside");
    // What cannot be read is said, and the row still comes in without it.
    let l = listing(&app, "choirs", "S2");
    assert_eq!((l.join.places, l.audience.level), (None, None));
    assert_eq!(l.join.leader.as_deref(), Some("Ruth and Ade"));
    assert!(
        text.contains("places: 'lots' is not a number of people"),
        "{text}"
    );
    assert!(
        text.contains("level: 'Grade 5' is not a level Signpost knows"),
        "{text}"
    );
}
