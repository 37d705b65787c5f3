//! The hostile-input lists in `../shared/data/bad-inputs/` (the Big List of Naughty
//! Strings, PayloadsAllTheThings' XSS, SQL injection and open-redirect lists, and
//! ideal-postcodes' postcode cases) through every query parameter, form field, CSV
//! cell, feed field and request header the site reads: never a 5xx, always a clear
//! message or a result, nothing reflected unescaped, and what is stored is stored
//! exactly.

use crate::{common, groups};

use axum::http::StatusCode;
use common::{TestApp, enc, hostile_strings};

const PARAMS: &[&str] = &[
    "q", "near", "within", "type", "access", "free", "day", "time", "age", "mode", "sort", "page",
];

#[tokio::test]
async fn api_never_fails_on_hostile_input() {
    let t = TestApp::with_demo();
    let strings = hostile_strings();
    assert!(
        strings.len() > 1000,
        "only {} hostile strings",
        strings.len()
    );
    let mut bad_requests = 0;
    for s in strings {
        for p in PARAMS {
            let uri = format!("/api/search?{p}={}", enc(s));
            let (status, headers, body) = t.get(&uri).await;
            assert!(status.as_u16() < 500, "{uri} gave {status}");
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json")
            );
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            if status.is_client_error() {
                bad_requests += 1;
                assert!(
                    v["error"].as_str().is_some_and(|m| !m.is_empty()),
                    "{uri}: {body}"
                );
            } else {
                assert!(v["total"].is_u64(), "{uri}: {body}");
            }
        }
    }
    assert!(bad_requests > 0);
}

#[tokio::test]
async fn pages_escape_everything_they_echo() {
    let t = TestApp::with_demo();
    for s in hostile_strings() {
        for p in ["q", "near", "age", "type"] {
            // Word for word: words that name a filter would otherwise send the page on
            // to the search with that filter (tested below).
            let uri = format!("/search?{p}={}&as_typed=1", enc(s));
            let (status, headers, body) = t.get(&uri).await;
            assert!(status.as_u16() < 500, "{uri} gave {status}");
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            assert!(!body.contains("<script"), "{uri} reflected a script tag");
            if s.contains('<') {
                assert!(
                    !body.contains(s.as_str()),
                    "{uri} reflected input unescaped"
                );
            }
            // What was typed comes back in its field, escaped.
            let echoed = match p {
                "q" => Some(s.trim().chars().take(200).collect::<String>()),
                "near" => Some(s.trim().chars().take(40).collect::<String>()),
                _ => None,
            };
            if let Some(e) = echoed {
                let escaped = maud::html! { (e) }.into_string().replace('"', "&quot;");
                assert!(
                    body.contains(&format!("name=\"{p}\" value=\"{escaped}\"")),
                    "{uri} did not echo the input escaped"
                );
            }
        }
    }
}

/// Filters read from hostile words: the redirect goes to a search page, which answers
/// without a server error and echoes nothing unescaped; so does a hostile `typed`.
#[tokio::test]
async fn filters_read_from_hostile_words_are_harmless() {
    let t = TestApp::with_demo();
    let mut redirected = 0;
    for s in hostile_strings() {
        let uri = format!("/search?q={}", enc(s));
        let (status, headers, body) = t.get(&uri).await;
        assert!(status.as_u16() < 500, "{uri} gave {status}");
        let (status, body) = if status == StatusCode::SEE_OTHER {
            redirected += 1;
            let to = headers["location"].to_str().unwrap().to_string();
            assert!(to.starts_with("/search?"), "{uri} went to {to}");
            let (status, _, body) = t.get(&to).await;
            assert!(status.as_u16() < 500, "{to} gave {status}");
            (status, body)
        } else {
            (status, body)
        };
        assert!(!status.is_redirection(), "{uri} redirected twice");
        assert!(!body.contains("<script"), "{uri} reflected a script tag");
        let uri = format!("/search?q=walking&typed={}", enc(s));
        let (status, _, body) = t.get(&uri).await;
        assert!(status.as_u16() < 500, "{uri} gave {status}");
        assert!(!body.contains("<script"), "{uri} reflected a script tag");
        if s.contains('<') {
            assert!(
                !body.contains(s.as_str()),
                "{uri} reflected input unescaped"
            );
        }
    }
    assert!(redirected > 0, "no hostile string named a filter");
}

#[tokio::test]
async fn raw_bytes_that_are_not_utf8_are_harmless() {
    let t = TestApp::with_demo();
    for qs in [
        "q=%ff%fe%fd",
        "q=%",
        "q=%%%",
        "near=%c0%af",
        "q=%00",
        "type=%e2%80%ae",
        "q[]=x",
        "q=a&q=b",
    ] {
        let (status, _, _) = t.get(&format!("/api/search?{qs}")).await;
        assert!(status.as_u16() < 500, "{qs}");
        let (status, _, _) = t.get(&format!("/search?{qs}")).await;
        assert!(status.as_u16() < 500, "{qs}");
    }
    // Path parameters too.
    for s in hostile_strings().iter().take(300) {
        let (status, _, _) = t.get(&format!("/listings/{}", enc(s))).await;
        assert!(status.as_u16() < 500);
        let (status, _, _) = t.get(&format!("/api/listings/{}", enc(s))).await;
        assert!(status.as_u16() < 500);
    }
}

#[tokio::test]
async fn shortlist_listing_and_handover_parameters_survive_hostile_input() {
    let t = TestApp::with_demo();
    for s in hostile_strings() {
        let e = enc(s);
        for uri in [
            format!("/?s={e}"),
            format!("/search?q=walking&s={e}"),
            format!("/shortlist?s={e}"),
            format!("/shortlist/print?s=1&size={e}"),
            format!("/shortlist/text?s=1.{e}"),
            format!("/listings/1?s={e}&from={e}"),
            format!("/listings/{e}"),
            format!("/listings/{e}/calendar.ics"),
            format!("/h/{e}"),
            format!("/categories/{e}"),
            format!("/sitemaps/{e}"),
        ] {
            let (status, _, body) = t.get(&uri).await;
            assert!(status.as_u16() < 500, "{uri} gave {status}");
            assert_escaped(&body, s, &uri);
        }
    }
}

/// Every hostile string as the name and the description of a listing a group sends:
/// stored, approved by a moderator, and read back from the API exactly as typed (less
/// the spaces around it, which every text field drops), and shown escaped on the
/// listing's page.
#[tokio::test]
async fn hostile_names_round_trip_exactly_through_approval() {
    let t = TestApp::with_demo();
    let r = groups::router(&t, |g| {
        g.max_pending = i64::MAX;
        g.indexer = None;
    });
    let ft = groups::form_token(&r).await;
    let (cookie, csrf) = groups::sign_in(&t, &r).await;
    let strings = hostile_strings();
    let mut approved = 0;
    for s in strings {
        let mut pairs = groups::valid("Hostile test");
        pairs.retain(|(k, _)| *k != "title");
        pairs.push(("title", s.clone()));
        pairs.push(("description", s.clone()));
        let body = groups::body_of(&pairs, &[("ft", &ft)]);
        let (status, _, page) = groups::send(&r, "POST", "/add/send", &body, None).await;
        assert!(status.as_u16() < 500, "{s:?} gave {status}");
        if status != StatusCode::OK {
            continue;
        }
        let reference = groups::between(&page, "<strong id=\"reference\">", "<");
        let id = signpost::groups::parse_reference(&reference).unwrap();
        let uri = format!("/moderate/submissions/{id}/approve");
        let (status, _, _) = groups::moderator_post(&r, &uri, &cookie, &csrf).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "approving {s:?}");
        let lid = t
            .app
            .store
            .submission(id)
            .unwrap()
            .unwrap()
            .listing_id
            .unwrap();
        let (status, v) = t.json(&format!("/api/listings/{lid}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["title"].as_str(), Some(s.trim()), "title of {s:?}");
        assert_eq!(
            v["description"].as_str(),
            Some(s.trim()),
            "description of {s:?}"
        );
        // Its page, for the strings with markup or beyond ASCII (the rest are words).
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') {
            let (status, _, page) = t.get(&format!("/listings/{lid}")).await;
            assert_eq!(status, StatusCode::OK);
            assert_escaped(&page, s, &format!("listing page of {s:?}"));
        }
        approved += 1;
    }
    assert!(
        approved > strings.len() / 2,
        "only {approved} of {} approved",
        strings.len()
    );
}

/// No script tag but the JSON-LD data blocks, and a string with markup never appears
/// as it was sent.
fn assert_escaped(body: &str, s: &str, what: &str) {
    let data_blocks = body
        .matches("<script type=\"application/ld+json\">")
        .count();
    assert_eq!(
        body.matches("<script").count(),
        data_blocks,
        "{what} reflected a script tag"
    );
    if s.contains('<') {
        let at = body
            .find(s)
            .map(|i| &body[i.saturating_sub(200)..(i + s.len() + 100).min(body.len())]);
        assert!(
            at.is_none(),
            "{what} reflected input unescaped: {s:?} in {at:?}"
        );
    }
}

/// The moderators' forms: sign-in, a rejection's reason, an edit before approving,
/// choosing types, and the queue's and audit log's parameters.
#[tokio::test]
async fn moderation_forms_survive_hostile_input() {
    let t = TestApp::with_demo();
    let r = groups::router(&t, |g| {
        g.max_pending = i64::MAX;
        g.indexer = None;
    });
    let ft = groups::form_token(&r).await;
    let (cookie, csrf) = groups::sign_in(&t, &r).await;
    let (_, _, login) = groups::send(&r, "GET", "/moderate/login", "", None).await;
    let login_ft = groups::hidden(&login, "ft");
    let new_submission = || async {
        let body = groups::body_of(&groups::valid("To moderate"), &[("ft", &ft)]);
        let (_, _, page) = groups::send(&r, "POST", "/add/send", &body, None).await;
        let reference = groups::between(&page, "<strong id=\"reference\">", "<");
        signpost::groups::parse_reference(&reference).unwrap()
    };
    let mut pending = new_submission().await;
    for (i, s) in hostile_strings().iter().enumerate() {
        let e = enc(s);
        let mut seen = Vec::new();
        // Each sign-in checks a password hash, which is slow by design: every tenth.
        if i % 10 == 0 {
            let body = format!("ft={}&username={e}&password={e}", enc(&login_ft));
            let answer = groups::send(&r, "POST", "/moderate/login", &body, None).await;
            seen.push(("sign in", answer));
        }
        let body = format!("csrf={csrf}&reason={e}");
        let uri = format!("/moderate/submissions/{pending}/reject");
        let rejected = groups::send(&r, "POST", &uri, &body, Some(&cookie)).await;
        let was_rejected = rejected.0 == StatusCode::SEE_OTHER;
        seen.push(("reject", rejected));
        if !was_rejected {
            let mut pairs = groups::valid("Edited");
            let field = ["title", "summary", "venue_address", "s1_start", "price"][i % 5];
            pairs.retain(|(k, _)| *k != field);
            pairs.push((field, s.clone()));
            let body = groups::body_of(&pairs, &[("csrf", &csrf)]);
            let uri = format!("/moderate/submissions/{pending}/edit");
            seen.push((
                "edit",
                groups::send(&r, "POST", &uri, &body, Some(&cookie)).await,
            ));
        }
        let body = format!("csrf={csrf}&type={e}");
        seen.push((
            "types",
            groups::send(
                &r,
                "POST",
                "/moderate/listings/1/types",
                &body,
                Some(&cookie),
            )
            .await,
        ));
        for uri in [
            format!("/moderate?done={e}"),
            format!("/moderate/audit?page={e}"),
            format!("/moderate/submissions/{e}"),
        ] {
            seen.push((
                "page",
                groups::send(&r, "GET", &uri, "", Some(&cookie)).await,
            ));
        }
        for (what, (status, _, body)) in &seen {
            assert!(status.as_u16() < 500, "{what} with {s:?} gave {status}");
            assert_escaped(body, s, &format!("{what} with {s:?}"));
        }
        if was_rejected {
            pending = new_submission().await;
        }
    }
}

/// Every hostile string in every cell of a spreadsheet row, and in the fields of
/// RPDE feed items and Open Referral services: imported or refused with reasons,
/// never a crash, and whatever is stored is shown escaped.
#[tokio::test]
async fn csv_cells_and_feed_fields_survive_hostile_input() {
    use signpost::ingest::table::{self, Mapping};
    use signpost::ingest::{ImportOptions, openactive, openreferral};
    let t = TestApp::with_demo();
    let strings = hostile_strings();
    let opts = |source: &str| ImportOptions {
        source: source.into(),
        withdraw_missing: false,
        area: None,
    };

    // A spreadsheet: the string in every column of its row.
    let mapping = Mapping::parse(
        "[columns]\nsource_id = \"row-{id}\"\ntitle = \"name\"\ndescription = \"about\"\norganisation = \"name\"\nvenue_name = \"name\"\naddress = \"address\"\npostcode = \"postcode\"\ndays = \"day\"\nstart = \"start\"\ncost = \"cost\"\nages = \"ages\"\ntypes = \"category\"\nemail = \"email\"\nwebsite = \"web\"\n[fixed]\nmodes = [\"in-person\"]\njoin = \"drop-in\"\ntypes = [\"walking\"]\n",
        t.app.taxonomy,
    )
    .unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id", "name", "about", "address", "postcode", "day", "start", "cost", "ages", "category",
        "email", "web",
    ])
    .unwrap();
    for (i, s) in strings.iter().enumerate() {
        let id = i.to_string();
        let mut row = vec![id.as_str()];
        row.extend(std::iter::repeat_n(s.as_str(), 11));
        w.write_record(&row).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    let report = table::decode(&bytes, &mapping, t.app.taxonomy)
        .unwrap()
        .import(&t.app.store, t.app.taxonomy, &opts("hostile-csv"))
        .unwrap();
    assert_eq!(report.read, strings.len(), "{report}");
    assert_eq!(
        report.created + report.failed.len(),
        strings.len(),
        "{report}"
    );

    // A feed page and a directory: the string as every text a record has.
    // A session series (from the OpenActive feed normaliser's fixtures), still running.
    let mut template =
        common::shared_json("openactive/feed-normaliser-fixtures/sessionseries-with-subevent.json");
    let data = template["data"].as_object_mut().unwrap();
    data.remove("endDate");
    data.remove("subEvent");
    let items: Vec<serde_json::Value> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut item = template.clone();
            item["id"] = serde_json::json!(format!("hostile-{i}"));
            item["modified"] = serde_json::json!(i);
            for k in ["name", "description"] {
                item["data"][k] = serde_json::json!(s);
            }
            item["data"]["location"] =
                serde_json::json!({ "type": "Place", "name": s, "address": s });
            item
        })
        .collect();
    let page = serde_json::json!({ "items": items, "next": "http://x/feeds/h?page=1" });
    let parsed = openactive::parse_page(page.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.items.len(), strings.len());
    let mut from_feed = Vec::new();
    for item in parsed.items.into_iter().flatten() {
        let data = item.data.unwrap();
        let key = openactive::map::group_key("h", &item.id, &data);
        let stored = signpost::store::StoredItem {
            feed: "h".into(),
            item_id: item.id,
            kind: item.kind,
            data: data.to_string(),
        };
        if let Ok(Some(mut l)) = openactive::map::listing_for_group(
            "hostile-feed",
            &key,
            &[stored],
            t.app.taxonomy,
            common::now(),
        ) {
            l.provenance.source_id = key;
            from_feed.push(Ok(l));
        }
    }
    let report = signpost::ingest::import(
        &t.app.store,
        t.app.taxonomy,
        from_feed,
        &opts("hostile-feed"),
    )
    .unwrap();
    assert!(report.created > 0, "{report}");
    let services: Vec<serde_json::Value> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| {
            serde_json::json!({
                "id": format!("svc-{i}"), "name": s, "description": s, "status": "active",
                "organization": { "id": "o", "name": s },
                "regular_schedules": [ { "id": "r", "weekday": s, "opens_at": s, "closes_at": s } ],
                "service_at_locations": [ { "id": "l", "location": { "id": "l", "name": s,
                    "physical_addresses": [ { "id": "a", "address_1": s, "postal_code": s } ] } } ],
            })
        })
        .collect();
    let bytes = serde_json::to_vec(&services).unwrap();
    let decoded = openreferral::decode(&bytes, t.app.taxonomy, common::now().date()).unwrap();
    assert_eq!(decoded.candidates.len(), strings.len());
    let report = signpost::ingest::import(
        &t.app.store,
        t.app.taxonomy,
        decoded.candidates,
        &opts("hostile-oruk"),
    )
    .unwrap();
    assert!(report.created > strings.len() / 2, "{report}");

    // Every listing stored from them is shown escaped, and its calendar too.
    t.sync();
    for source in ["hostile-csv", "hostile-feed", "hostile-oruk"] {
        for (id, _) in t.app.store.ids_for_source(source).unwrap() {
            let l = t.listing(id);
            let (status, _, body) = t.get(&format!("/listings/{id}")).await;
            // (A listing found to be the same activity as another redirects there.)
            assert!(
                status == StatusCode::OK || status == StatusCode::PERMANENT_REDIRECT,
                "{source} listing {id} gave {status}"
            );
            // (A title of a few characters, like "<" left where a feed's markup was
            // stripped, is in every page's own markup: only the script check for it.)
            let title = if l.title.chars().count() > 4 {
                l.title.as_str()
            } else {
                ""
            };
            assert_escaped(&body, title, &format!("{source} listing {id}"));
            let (status, _, _) = t.get(&format!("/listings/{id}/calendar.ics")).await;
            assert!(status.as_u16() < 500);
        }
    }
}

/// Every hostile string (that HTTP can carry) in every request header the site reads
/// or a proxy might pass on, on the pages that read them: Host (links in calendars,
/// sitemaps and QR codes), Cookie (moderators), and the rest.
#[tokio::test]
async fn request_headers_survive_hostile_input() {
    use axum::body::Body;
    use axum::http::{HeaderValue, Request};
    let t = TestApp::with_demo();
    let headers = [
        "host",
        "cookie",
        "user-agent",
        "referer",
        "accept-language",
        "accept-encoding",
        "x-forwarded-for",
        "x-real-ip",
        "forwarded",
        "if-none-match",
        "if-modified-since",
        "accept",
        "content-type",
    ];
    let pages = [
        "/",
        "/listings/1/calendar.ics",
        "/robots.txt",
        "/sitemap.xml",
        "/moderate",
        "/h/abc",
        "/shortlist/print?s=1",
        "/api/search?q=walk",
        "/listings/1",
        "/add",
    ];
    let mut sent = 0;
    for (i, s) in hostile_strings().iter().enumerate() {
        let Ok(value) = HeaderValue::from_bytes(s.as_bytes()) else {
            continue;
        };
        for (j, h) in headers.iter().enumerate() {
            let uri = pages[(i + j) % pages.len()];
            let req = Request::get(uri)
                .header(*h, value.clone())
                .body(Body::empty())
                .unwrap();
            let resp = tower::ServiceExt::oneshot(t.router.clone(), req)
                .await
                .unwrap();
            let status = resp.status();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            let body = String::from_utf8_lossy(&bytes);
            assert!(status.as_u16() < 500, "{h}: {s:?} on {uri} gave {status}");
            assert_escaped(&body, s, &format!("{h}: {s:?} on {uri}"));
            sent += 1;
        }
    }
    assert!(sent > 10_000, "only {sent} requests");
}
