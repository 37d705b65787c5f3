//! Downloads: a search as CSV, a shortlist as one calendar, and the OpenAPI document
//! (checked against real responses with a JSON Schema validator).

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{self, TestApp};

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[tokio::test]
async fn a_search_downloads_as_csv_in_the_same_order() {
    let t = TestApp::with_demo();
    let qs = "q=walking&near=M33";
    let (status, headers, body) = t.get(&format!("/search.csv?{qs}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let header = csv::Reader::from_reader(body.as_bytes())
        .headers()
        .unwrap()
        .clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>()[..3],
        ["Title", "Organisation", "Summary"]
    );
    let rows = rows(&body);
    let first = t.search(qs).await;
    let total = first["total"].as_u64().unwrap() as usize;
    assert!(total > 10, "more than one page of results");
    assert_eq!(rows.len(), total, "every result, not one page");
    let second = t.search(&format!("{qs}&page=2")).await;
    let mut titles = common::titles(&first);
    titles.extend(common::titles(&second));
    let csv_titles: Vec<String> = rows
        .iter()
        .take(titles.len())
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(csv_titles, titles, "the results page's order");
    let link = rows[0].last().unwrap();
    let id = first["hits"][0]["id"].as_i64().unwrap();
    assert_eq!(link, &format!("http://localhost/listings/{id}"));
    assert!(
        rows.iter()
            .all(|r| r[8].is_empty() || r[8].parse::<f64>().is_ok())
    );

    // The page offers it, with the same search.
    let (_, _, page) = t.get(&format!("/search?{qs}")).await;
    assert!(
        page.contains(
            "href=\"/search.csv?q=walking&amp;near=M33&amp;within=5\">Download these results (CSV)"
        ),
        "the results page links to the CSV"
    );
    // Bad parameters are refused as on the page.
    let (status, _, _) = t.get("/search.csv?type=no-such-type").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn csv_cells_cannot_run_as_spreadsheet_formulas() {
    let t = TestApp::with_demo();
    let mut l = t.listing(common::ids(&t.search("q=walking").await)[0]);
    l.id = 0;
    l.provenance.source = "hostile".into();
    l.provenance.source_id = "1".into();
    l.title = "=HYPERLINK(\"http://evil.example\",\"Zumbaquist\")".into();
    l.organisation.name = "+44 161 000 0000".into();
    l.summary = "@SUM(1+1) -1 and, \"quoted\" text".into();
    t.app.store.upsert(&l).unwrap();
    t.sync();
    let (status, _, body) = t.get("/search.csv?q=zumbaquist").await;
    assert_eq!(status, StatusCode::OK);
    let rows = rows(&body);
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0][0], format!("'{}", l.title));
    assert_eq!(rows[0][1], "'+44 161 000 0000");
    assert_eq!(rows[0][2], "'@SUM(1+1) -1 and, \"quoted\" text");
    for r in &rows {
        for cell in r {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
}

#[tokio::test]
async fn a_shortlist_downloads_as_one_calendar() {
    let t = TestApp::with_demo();
    let v = t.search("q=walking&near=M33").await;
    let ids: Vec<i64> = common::ids(&v)
        .into_iter()
        .filter(|id| !t.listing(*id).schedule.sessions.is_empty())
        .take(3)
        .collect();
    assert_eq!(ids.len(), 3);
    let s = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(".");
    let (status, headers, body) = t.get(&format!("/shortlist/calendar.ics?s={s}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(body.matches("BEGIN:VCALENDAR").count(), 1);
    assert_eq!(body.matches("BEGIN:VTIMEZONE").count(), 1);
    for id in &ids {
        // Every event of the listing's own calendar file is in the shortlist's.
        let (_, _, one) = t.get(&format!("/listings/{id}/calendar.ics")).await;
        let events: Vec<&str> = one
            .split("BEGIN:VEVENT")
            .skip(1)
            .map(|e| e.split("DTSTAMP").next().unwrap())
            .collect();
        assert!(!events.is_empty());
        for e in events {
            assert!(body.contains(e), "listing {id}: {e}");
        }
    }
    let (_, _, page) = t.get(&format!("/shortlist?s={s}")).await;
    assert!(page.contains(&format!("href=\"/shortlist/calendar.ics?s={s}\"")));
    // Nothing on the list (or nothing with dates) is a 404, not an empty file.
    let (status, _, _) = t.get("/shortlist/calendar.ics?s=999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = t.get("/shortlist/calendar.ics").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Where to go on the day is in the event, for the phone that reminds you.
    let (_, _, one) = t.get("/listings/1/calendar.ics").await;
    let unfolded = one.replace("\r\n ", "");
    assert!(
        unfolded.contains("Your first visit: Come to the sports hall reception."),
        "{unfolded}"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_real_responses() {
    let t = TestApp::with_demo();
    let (status, doc) = t.json("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut checks = Vec::new();
    for qs in [
        "q=walking&near=M33",
        "q=walking&near=M33&page=2&sort=distance",
        "q=choir",
        "q=zzzzqqqxxx",
        "type=dance&day=tue&time=morning&free=1&age=70&mode=in-person&access=wheelchair",
        "near=Sale&within=2",
    ] {
        let v = t.search(qs).await;
        checks.push(json!({"schema": "SearchResults", "value": v}));
    }
    for qs in ["type=nope", "near=ZZ99+9ZZ", "page=0&within=far"] {
        let (status, v) = t.json(&format!("/api/search?{qs}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        checks.push(json!({"schema": "Error", "value": v}));
    }
    let (_, v) = t.json("/api/listings/999999").await;
    checks.push(json!({"schema": "Error", "value": v}));
    for (id, _) in t.app.store.ids_for_source("demo").unwrap() {
        let (status, v) = t.json(&format!("/api/listings/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        checks.push(json!({"schema": "Listing", "value": v}));
    }
    // Every search parameter the site reads is documented.
    let documented: Vec<&str> = doc["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "q", "near", "within", "type", "access", "free", "day", "time", "age", "mode", "sort",
        "page",
    ] {
        assert!(documented.contains(&p), "{p} is not documented");
    }

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        json!({"document": doc, "checks": checks}).to_string(),
    )
    .unwrap();
    let path = file.path().to_str().unwrap().to_string();
    let report = tokio::task::spawn_blocking(move || common::validators(&["openapi", &path]))
        .await
        .unwrap();
    assert_eq!(report["failures"], json!([]), "{report:#}");
    assert_eq!(report["problems"], json!([]), "{report:#}");
    assert!(report["checked"].as_u64().unwrap() > 50);
}
