//! The public site and the link-worker tools, through the real router: every page
//! type and state, the shortlist journey, hand-over formats, calendar, JSON-LD,
//! report a problem, sitemap, weight and headers.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, enc, hostile_strings, ids};
use serde_json::Value;

const CSS: &str = include_str!("../../src/web/site.css");

/// Every HTML page type, in the states a person can reach, with the status expected.
fn page_urls(listing: i64, other: i64) -> Vec<(String, StatusCode)> {
    let ok = StatusCode::OK;
    vec![
        ("/".into(), ok),
        ("/categories".into(), ok),
        ("/search?q=walking&near=M33&within=5".into(), ok),
        ("/search?q=choir&type=music-singing&free=1&day=wed&time=evening&age=70&mode=in-person&access=wheelchair".into(), ok),
        ("/search?q=zzzqqqxxx&near=M33&within=1&free=1".into(), ok),
        ("/search?q=walking&page=99".into(), ok),
        ("/search?near=nowhere+at+all".into(), StatusCode::BAD_REQUEST),
        ("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(), ok),
        (format!("/listings/{listing}"), ok),
        (format!("/listings/{listing}?s={other}&from=q%3Dwalking"), ok),
        (format!("/listings/{listing}/report"), ok),
        ("/shortlist".into(), ok),
        (format!("/shortlist?s={listing}.{other}"), ok),
        (format!("/shortlist/print?s={listing}.{other}"), ok),
        (format!("/shortlist/print?s={listing}.{other}&size=large"), ok),
        (format!("/h/{}", base36(listing)), ok),
        ("/about".into(), ok),
        ("/privacy".into(), ok),
        ("/accessibility".into(), ok),
        ("/no/such/page".into(), StatusCode::NOT_FOUND),
        ("/listings/999999".into(), StatusCode::NOT_FOUND),
    ]
}

fn base36(mut n: i64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    while n > 0 {
        out.push(digits[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

async fn two_listings(t: &TestApp) -> (i64, i64) {
    let v = t.search("q=walking&near=M33&mode=in-person").await;
    let ids = ids(&v);
    (ids[0], ids[1])
}

#[tokio::test]
async fn every_page_is_light_secure_cookie_free_and_well_formed() {
    let t = TestApp::with_demo();
    let (a, b) = two_listings(&t).await;
    for (url, want) in page_urls(a, b) {
        let (status, headers, body) = t.get(&url).await;
        assert_eq!(status, want, "{url}");
        let ct = headers["content-type"].to_str().unwrap();
        assert!(ct.starts_with("text/html"), "{url}: {ct}");
        let weight = body.len() + CSS.len();
        assert!(weight < 50 * 1024, "{url} weighs {weight} bytes with CSS");
        assert!(headers.get("set-cookie").is_none(), "{url} sets a cookie");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{url}"
        );
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(body.starts_with("<!DOCTYPE html>"), "{url}");
        assert!(body.contains(r#"<html lang="en-GB">"#), "{url}");
        assert_eq!(body.matches("<h1").count(), 1, "{url} has one h1");
        assert!(body.contains("<title>"), "{url}");
        // No script runs on any page: the only script element is JSON-LD data.
        let scripts = body.matches("<script").count();
        let data = body
            .matches(r#"<script type="application/ld+json">"#)
            .count();
        assert_eq!(scripts, data, "{url} has executable script");
        // Nothing is loaded from another site.
        for attr in [r#"src="http"#, r#"href="//"#, "@import"] {
            assert!(!body.contains(attr), "{url} loads {attr}");
        }
        for (i, _) in body.match_indices("<link ") {
            let tag = &body[i..body[i..].find('>').unwrap() + i];
            assert!(
                tag.contains(r#"href="/"#) || tag.contains("canonical"),
                "{url}: {tag}"
            );
        }
    }
}

#[tokio::test]
async fn home_has_focused_search_category_tiles_and_self_referral_help() {
    let t = TestApp::with_demo();
    let (status, _, body) = t.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"id="q" type="search" name="q""#));
    assert!(body.contains("autofocus"));
    assert!(body.contains(r#"id="near""#));
    assert!(body.contains(r#"href="/search?type=walking""#));
    assert!(body.contains(r#"href="/search?type=music-singing""#));
    assert!(body.contains("Looking for something for yourself?"));
    assert!(body.contains("You do not need to see a doctor"));
    // Category counts are real: the tile's count is what the search finds.
    let v = t.search("type=music-singing").await;
    assert!(body.contains(&format!(
        "Music and singing</a><span class=\"tile-count\"> ({})",
        v["total"]
    )));
}

#[tokio::test]
async fn categories_page_and_friendly_category_urls() {
    let t = TestApp::with_demo();
    let (status, _, body) = t.get("/categories").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Browse by category"));
    let (status, headers, _) = t.get("/categories/gardening-nature").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/search?type=gardening-nature");
    let (status, _, _) = t.get("/categories/%3Cscript%3E").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn result_cards_carry_what_a_person_needs_to_choose() {
    let t = TestApp::with_demo();
    let (_, _, body) = t.get("/search?q=walking&near=M33&within=3").await;
    assert!(body.contains("miles away") || body.contains("mile away"));
    assert!(body.contains("<dt>Next</dt>"));
    assert!(body.contains("<dt>Cost</dt>"));
    assert!(body.contains("<dt>Access</dt>"));
    assert!(body.contains(r#"<select id="sort-select" form="search" name="sort">"#));
    assert!(body.contains(r#"rel="next""#));
    assert!(body.contains("results near M33"));
    // Type counts in the filter form.
    assert!(body.contains("Walking groups ("));
    // Remote listings are labelled, not dropped.
    let mut labels = String::new();
    for page in 1..=30 {
        let (_, _, body) = t
            .get(&format!("/search?near=M33+7XW&within=1&page={page}"))
            .await;
        if !body.contains("class=\"card\"") {
            break;
        }
        labels.push_str(&body);
    }
    assert!(labels.contains("<strong>Online</strong>"));
    assert!(labels.contains("<strong>By phone</strong>"));
    // Area-wide services name the area they cover when the listing does ("Trafford").
    assert!(
        labels.contains("<strong>Covers your area</strong>")
            || labels.contains("<strong>Home visits in your area</strong>")
            || labels.contains("<strong>Covers Trafford</strong>")
            || labels.contains("<strong>Home visits in Trafford</strong>")
    );
}

#[tokio::test]
async fn empty_results_offer_links_that_loosen_the_search() {
    let t = TestApp::with_demo();
    let (status, _, body) = t
        .get("/search?q=walking+zzzqqq&near=M33&within=1&free=1&day=sun&time=evening")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("0 results"), "{body}");
    assert!(body.contains("Search within 5 miles"));
    assert!(body.contains("Remove all the filters"));
    assert!(body.contains("Search without the words"));
    assert!(body.contains("See everything offered by phone or online for this area"));
    // Each suggestion is a real search that finds something, or at least more.
    let links: Vec<String> = body
        .split("<li><a href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .filter(|h| h.starts_with("/search?"))
        .collect();
    assert_eq!(links.len(), 4, "{links:?}");
    let mut found = 0;
    for l in &links {
        let (status, _, body) = t.get(l).await;
        assert_eq!(status, StatusCode::OK, "{l}");
        if !body.contains(">0 results") {
            found += 1;
        }
    }
    assert!(found >= 1);
    // The services that work by phone or online for the place: every one of them
    // is labelled so (the demo has some for Sale).
    let remote = links.iter().find(|l| l.contains("mode=")).unwrap();
    assert!(remote.contains("near=M33"), "{remote}");
    let (_, _, body) = t.get(remote).await;
    assert!(!body.contains(">0 results"), "{body}");
    let v = t.search(&remote["/search?".len()..]).await;
    assert!(!v["hits"].as_array().unwrap().is_empty(), "{v}");
    for h in v["hits"].as_array().unwrap() {
        let mode = h["mode"].as_array().unwrap();
        assert!(mode.iter().any(|m| m == "phone" || m == "online"), "{h}");
    }
}

#[tokio::test]
async fn pagination_past_the_end_and_hostile_text_are_safe() {
    let t = TestApp::with_demo();
    let (status, _, body) = t.get("/search?q=walking&page=99").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("There are no more results"));
    assert!(body.contains("Go to the first page"));
    let (_, _, body) = t
        .get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&s=%3Cb%3E")
        .await;
    assert!(!body.contains("<script>alert"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

/// The whole link-worker journey through real links: search, add two results,
/// see the shortlist, print it, text it, open the short link, remove one.
#[tokio::test]
async fn shortlist_journey_without_javascript_or_storage() {
    let t = TestApp::with_demo();
    let (_, _, body) = t.get("/search?q=choir&near=M41&within=10").await;
    let add = add_button_url(&body).expect("an add button");
    assert!(add.contains("s="), "{add}");
    let (status, _, body) = t.get(&add).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("On your shortlist."));
    assert!(body.contains("Shortlist (1)"));
    let second = add_button_url(&body).unwrap();
    let (_, _, body) = t.get(&second).await;
    assert!(body.contains("Shortlist (2)"));
    let s_param = second
        .split(['?', '&', '#'])
        .find(|p| p.starts_with("s="))
        .unwrap()
        .to_string();
    let list_ids: Vec<i64> = s_param[2..]
        .split('.')
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(list_ids.len(), 2);
    let titles: Vec<String> = list_ids
        .iter()
        .map(|&id| maud::html! { (t.listing(id).title) }.into_string())
        .collect();

    let (status, _, body) = t.get(&format!("/shortlist?{s_param}")).await;
    assert_eq!(status, StatusCode::OK);
    for title in &titles {
        assert!(body.contains(title.as_str()), "{title}");
    }
    let code = list_ids
        .iter()
        .map(|&i| base36(i))
        .collect::<Vec<_>>()
        .join("-");
    assert!(body.contains(&format!("http://localhost/h/{code}")));
    assert!(body.contains(&format!(r#"src="/h/{code}/qr.svg""#)));

    let (status, _, print) = t.get(&format!("/shortlist/print?{s_param}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("Activities suggested for you"));
    assert!(print.contains("<svg"), "QR code inline");
    assert!(!print.contains("class=\"site\""), "no site chrome");
    for title in &titles {
        assert!(print.contains(title.as_str()));
    }
    let (_, _, large) = t
        .get(&format!("/shortlist/print?{s_param}&size=large"))
        .await;
    assert!(large.contains(r#"class="handout large""#));

    let (status, headers, text) = t.get(&format!("/shortlist/text?{s_param}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(text.contains(&t.listing(list_ids[0]).title));
    assert!(text.contains(&format!("http://localhost/h/{code}")));
    assert!(!text.contains('<'));

    let (status, _, shared) = t.get(&format!("/h/{code}")).await;
    assert_eq!(status, StatusCode::OK);
    for title in &titles {
        assert!(shared.contains(title.as_str()));
    }
    let (status, headers, svg) = t.get(&format!("/h/{code}/qr.svg")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(svg.contains("<svg") && svg.contains("<path"));

    // Remove one from the shortlist page.
    let (_, _, body) = t.get(&format!("/shortlist?{s_param}")).await;
    let remove = first_href_after(&body, "from shortlist").unwrap();
    let (_, _, body) = t.get(&remove).await;
    assert!(body.contains("Shortlist (1)"));

    // Nothing was written anywhere.
    assert!(t.app.store.open_reports().unwrap().is_empty());
    for bad in [
        "/h/",
        "/h/%3Cscript%3E",
        "/h/zzzzzzzzzzzzzzzzzzzzzzzz",
        "/h/0",
    ] {
        let (status, _, _) = t.get(bad).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    let (status, _, _) = t.get("/shortlist/print").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The href of the first link whose text (including hidden text) ends with `text`.
/// The address the first "Add to shortlist" button on a results page goes to: its
/// form's action with the hidden fields as the query, as a browser builds it.
fn add_button_url(body: &str) -> Option<String> {
    let start = body.find(r#"<form class="add-form" action=""#)?;
    let form = &body[start..start + body[start..].find("</form>")?];
    let action = form.split('"').nth(3)?.replace("&amp;", "&");
    let (path, fragment) = action.split_once('#').unwrap_or((&action, ""));
    let mut query = form_urlencoded::Serializer::new(String::new());
    for input in form.split("<input ").skip(1) {
        let attr = |name: &str| {
            let at = input.find(&format!(r#"{name}=""#))? + name.len() + 2;
            let value = &input[at..at + input[at..].find('"')?];
            Some(
                value
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        };
        query.append_pair(&attr("name")?, &attr("value")?);
    }
    Some(format!("{path}?{}#{fragment}", query.finish()))
}

fn first_href_after(body: &str, text: &str) -> Option<String> {
    let at = body.find(&format!("{text}</a>"))?;
    let start = body[..at].rfind("<a href=\"")? + 9;
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn listing_page_has_everything_for_reading_and_going() {
    let t = TestApp::with_demo();
    let (a, _) = two_listings(&t).await;
    let l = t.listing(a);
    let (_, _, body) = t
        .get(&format!("/listings/{a}?from=q%3Dwalking%26near%3DM33"))
        .await;
    for want in [
        "What happens",
        "When",
        "Next dates",
        "Where",
        "Cost",
        "Accessibility",
        "Who it is for",
        "How to join",
        "Last checked",
        "Walking directions",
        "on a map",
        "Add to your calendar",
        "Report a problem with this listing",
        "Add to shortlist",
    ] {
        assert!(body.contains(want), "listing page lacks {want}");
    }
    assert!(
        body.contains(r#"href="/search?q=walking&amp;near=M33"#),
        "back to the search"
    );
    let rule = l.schedule.sessions[0].describe();
    assert!(body.contains(&rule), "{rule}");
    // JSON-LD is valid and describes the event.
    let start = body.find(r#"<script type="application/ld+json">"#).unwrap() + 35;
    let end = start + body[start..].find("</script>").unwrap();
    let ld: Value = serde_json::from_str(&body[start..end]).unwrap();
    assert_eq!(ld["@type"], "Event");
    assert_eq!(ld["name"], l.title.as_str());
    assert_eq!(ld["location"]["@type"], "Place");
    assert!(
        ld["eventSchedule"][0]["byDay"]
            .as_str()
            .unwrap()
            .starts_with("https://schema.org/")
    );
    assert!(ld["startDate"].as_str().unwrap() > "2026-11-24");
    // A "from" that is not a valid search is dropped, not echoed.
    let (_, _, body) = t
        .get(&format!(
            "/listings/{a}?from=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%26within%3Dfar"
        ))
        .await;
    assert!(!body.contains("<script>alert"));
    assert!(body.contains(r#"href="/search">Back to search"#));
}

#[tokio::test]
async fn calendar_files_follow_the_schedule() {
    let t = TestApp::with_demo();
    let mut seen = std::collections::HashSet::new();
    for id in 1..=t.app.store.count().unwrap() {
        let l = t.listing(id);
        let (status, headers, body) = t.get(&format!("/listings/{id}/calendar.ics")).await;
        if l.schedule.sessions.is_empty() && l.schedule.dates.is_empty() {
            assert_eq!(status, StatusCode::NOT_FOUND);
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{id}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/calendar")
        );
        assert!(body.starts_with("BEGIN:VCALENDAR\r\n") && body.ends_with("END:VCALENDAR\r\n"));
        for line in body.split("\r\n") {
            assert!(line.len() <= 75, "{id}: long line {line}");
        }
        assert_eq!(
            body.matches("BEGIN:VEVENT").count(),
            body.matches("END:VEVENT").count()
        );
        for s in &l.schedule.sessions {
            let rule = match s.repeat {
                signpost::listing::schedule::Repeat::Weekly => "RRULE:FREQ=WEEKLY;BYDAY=",
                signpost::listing::schedule::Repeat::Fortnightly => {
                    "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY="
                }
                signpost::listing::schedule::Repeat::Monthly => "RRULE:FREQ=MONTHLY;BYDAY=",
            };
            assert!(body.contains(rule), "{id}: {rule}");
            seen.insert(rule);
        }
        if !l.schedule.except.is_empty() {
            assert!(body.contains("EXDATE;TZID=Europe/London:"), "{id}");
            seen.insert("EXDATE");
        }
        // The first event starts on the listing's next session.
        if let Some(next) = l
            .schedule
            .sessions
            .first()
            .and_then(|_| l.schedule.next(common::now()))
        {
            let stamp = next.start.format("%Y%m%dT%H%M%S").to_string();
            assert!(
                body.contains(&stamp)
                    || !l.schedule.dates.is_empty()
                    || !l.schedule.except.is_empty()
                    || l.schedule.sessions.len() > 1,
                "{id}: {stamp}"
            );
        }
    }
    assert_eq!(
        seen.len(),
        4,
        "weekly, fortnightly, monthly and dates off all covered: {seen:?}"
    );
}

#[tokio::test]
async fn reporting_a_problem_is_stored_before_it_is_acknowledged() {
    let t = TestApp::with_demo();
    let (a, _) = two_listings(&t).await;
    let url = format!("/listings/{a}/report");
    let (status, body) = t
        .post_form(&url, "details=Gone+on+Tuesdays&email=nope")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("There is a problem"));
    assert!(body.contains(r##"href="#reason""##) && body.contains(r##"href="#email""##));
    assert!(body.contains("Gone on Tuesdays"), "typed text kept");
    assert!(t.app.store.open_reports().unwrap().is_empty());

    let details = "Now meets on Wednesdays 👋 — «café» <b>";
    let (status, body) = t
        .post_form(
            &url,
            &format!(
                "reason=times&details={}&email=a%40example.org",
                enc(details)
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Report sent") && body.contains("R000001"));
    let reports = t.app.store.open_reports().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].1, a);
    assert_eq!(reports[0].2, "times");
    assert_eq!(reports[0].3, details, "stored exactly as typed");
    assert_eq!(reports[0].4.as_deref(), Some("a@example.org"));

    let (status, _) = t.post_form("/listings/999999/report", "reason=times").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = t
        .post_form(&url, &format!("reason=other&details={}", "x".repeat(3000)))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("2000 characters or fewer"));
    // Hostile text in every field: never a 500, never reflected raw.
    for s in hostile_strings().iter().take(200) {
        let (status, body) = t
            .post_form(&url, &format!("reason={0}&details={0}&email={0}", enc(s)))
            .await;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{s:?}: {status}"
        );
        assert!(!body.contains("<script>alert"), "{s:?}");
    }
}

#[tokio::test]
async fn text_pages_sitemap_and_robots() {
    let t = TestApp::with_demo();
    for (url, title) in [
        ("/about", "About Signpost"),
        ("/privacy", "Privacy"),
        ("/accessibility", "Accessibility statement"),
    ] {
        let (status, _, body) = t.get(url).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&format!("<h1>{title}</h1>")), "{url}");
        assert!(body.contains(&format!("<title>{title} – Signpost</title>")));
    }
    let (status, headers, xml) = t.get("/sitemap.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let total = t.search("").await["total"].as_u64().unwrap() as usize;
    assert_eq!(xml.matches("/listings/").count(), total);
    assert!(xml.contains("<loc>http://localhost/about</loc>"));
    let (_, _, robots) = t.get("/robots.txt").await;
    assert!(robots.contains("Sitemap: http://localhost/sitemap.xml"));
}

/// Pages are gzipped for browsers that accept it, and decode to the same page; the
/// security headers stay on.
#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_gzip() {
    use std::io::Read;

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let t = TestApp::with_demo();
    for uri in ["/", "/search?q=walking&near=M33", "/static/site.css"] {
        let (_, plain_headers, plain) = t.get(uri).await;
        assert!(plain_headers.get("content-encoding").is_none(), "{uri}");
        let resp = t
            .router
            .clone()
            .oneshot(
                Request::get(uri)
                    .header("accept-encoding", "gzip")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{uri}");
        let headers = resp.headers().clone();
        assert_eq!(headers["content-encoding"], "gzip", "{uri}");
        assert!(headers.contains_key("content-security-policy"), "{uri}");
        let gz = resp.into_body().collect().await.unwrap().to_bytes();
        assert!(
            gz.len() * 2 < plain.len(),
            "{uri}: {} of {}",
            gz.len(),
            plain.len()
        );
        let mut page = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut page)
            .unwrap();
        assert_eq!(page, plain, "{uri}");
    }
}

/// A request still running at the site's timeout is answered with 503, a page saying
/// to try again and `Retry-After`; one that answers in time is untouched.
#[tokio::test]
async fn slow_requests_time_out_with_a_plain_message() {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use signpost::web::{self, AppState};
    use tower::ServiceExt;

    let t = TestApp::with_demo();
    let state = AppState::new(t.app.clone()).with_clock(Arc::new(common::now));
    let mut site = (*state.site).clone();
    // No time at all: anything that waits on the store or the index runs out.
    site.request_timeout = std::time::Duration::ZERO;
    let router = web::router(state.with_site(site));
    let get = |uri: &'static str| {
        let router = router.clone();
        async move {
            let resp = router
                .oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let (status, headers) = (resp.status(), resp.headers().clone());
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            (status, headers, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let (status, headers, page) = get("/search?q=walking&near=M33").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "60");
    assert!(headers.contains_key("content-security-policy"));
    assert!(page.contains("that took too long"), "{page}");
    assert!(page.contains("Please try again in a minute"), "{page}");
    // A handler that answers without waiting is not cut off.
    let (status, _, body) = get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // And with the default timeout the same search answers.
    let (status, _, _) = t.get("/search?q=walking&near=M33").await;
    assert_eq!(status, StatusCode::OK);
}

/// A copy of a demo listing moved to another town, as a new source would add it.
fn moved_copy(
    t: &TestApp,
    id: i64,
    source_id: &str,
    address: &str,
    postcode: &str,
    (lat, lon): (f64, f64),
) -> signpost::listing::Listing {
    let mut l = t.listing(id);
    l.id = 0;
    l.provenance.source = "places-test".into();
    l.provenance.source_id = source_id.into();
    l.title = format!("{} ({source_id})", l.title);
    let v = l.venue.get_or_insert_with(Default::default);
    v.address = address.into();
    v.postcode = Some(postcode.into());
    v.lat = Some(lat);
    v.lon = Some(lon);
    l
}

#[tokio::test]
async fn a_town_name_searches_around_it_and_says_so() {
    let t = TestApp::with_demo();
    // The page: results around Sale, labelled with the place understood.
    let (status, _, body) = t.get("/search?q=walking&near=Sale&within=3").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("results near Sale</h2>"), "{body}");
    assert!(body.contains("Distances are from the middle of Sale (M33)"));
    assert!(body.contains(r#"value="Sale""#), "what was typed is kept");
    // The API: the place, where it is, and results nearest it first.
    let v = t.search("near=Sale&within=3").await;
    assert_eq!(v["location"]["label"], "Sale");
    assert_eq!(v["location"]["precision"], "place");
    assert_eq!(v["location"]["district"], "M33");
    let lat = v["location"]["lat"].as_f64().unwrap();
    assert!((53.40..53.44).contains(&lat), "Sale is at {lat}");
    let first = &v["hits"][0];
    assert!(
        first["postcode"].as_str().unwrap().starts_with("M33"),
        "{first}"
    );
    assert!(first["distance_miles"].as_f64().unwrap() < 1.5, "{first}");
    // Other towns in the demo, typed as people type them.
    for (typed, district) in [
        ("chorlton", "M21"),
        ("  Altrincham ", "WA14"),
        ("URMSTON", "M41"),
    ] {
        let v = t.search(&format!("near={}", common::enc(typed))).await;
        assert_eq!(v["location"]["district"], district, "{typed}");
        assert!(v["total"].as_u64().unwrap() > 0, "{typed}");
    }
    // A local authority the listings cover by name.
    let v = t.search("near=Trafford").await;
    assert_eq!(v["location"]["label"], "Trafford");
    let mut labels = Vec::new();
    for page in 1..=v["pages"].as_u64().unwrap() {
        let v = t.search(&format!("near=Trafford&page={page}")).await;
        labels.extend(
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["reach_label"].clone()),
        );
    }
    assert!(
        labels
            .iter()
            .any(|l| l == "Covers Trafford" || l == "Home visits in Trafford"),
        "area-wide services say which area they cover: {labels:?}"
    );
}

#[tokio::test]
async fn an_unknown_place_says_so_and_keeps_what_was_typed() {
    let t = TestApp::with_demo();
    let (status, _, body) = t.get("/search?q=choir&near=Atlantis").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("We could not find a place called “Atlantis”"),
        "{body}"
    );
    assert!(body.contains(r#"value="Atlantis""#));
    assert!(body.contains(r#"value="choir""#));
    // Something with digits that is not a postcode still gets the postcode's message.
    let (status, _, body) = t.get("/search?near=QQ1+1QQ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("not a UK postcode") || body.contains("could not find the postcode"),
        "{body}"
    );
}

#[tokio::test]
async fn places_are_learned_from_the_listings_and_a_shared_name_offers_a_choice() {
    let t = TestApp::with_demo();
    let (status, _, _) = t.get("/search?near=Newton").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no listing names Newton yet"
    );
    let ids = common::ids(&t.search("q=walking").await);
    // A source adds venues in two different places called Newton.
    t.app
        .store
        .upsert_batch(&[
            moved_copy(
                &t,
                ids[0],
                "n1",
                "Market Street, Newton",
                "SK14 4AA",
                (53.4526, -2.0105),
            ),
            moved_copy(
                &t,
                ids[1],
                "n2",
                "High Street, Newton",
                "WA12 9AA",
                (53.4560, -2.6320),
            ),
            moved_copy(
                &t,
                ids[2],
                "n3",
                "Crow Lane, Newton",
                "WA12 9BB",
                (53.4575, -2.6290),
            ),
        ])
        .unwrap();
    t.sync();
    let (status, _, body) = t.get("/search?q=walking&near=Newton").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("There is more than one place called “Newton”"),
        "{body}"
    );
    assert!(body.contains(r#"value="Newton""#));
    // Each choice is a link that searches there; the place with more listings first.
    let wa = body
        .find("near=Newton%2C+WA12")
        .expect("a choice for Newton, WA12");
    let sk = body
        .find("near=Newton%2C+SK14")
        .expect("a choice for Newton, SK14");
    assert!(wa < sk);
    let (status, _, body) = t
        .get("/search?q=walking&near=Newton%2C+SK14&within=3")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("1 result near Newton</h2>"), "{body}");
    assert!(
        body.contains("(n1)"),
        "the Newton near Hyde's listing is found"
    );
    assert!(
        !body.contains("(n2)"),
        "the Newton near Warrington's is 35 miles away"
    );
    // When those listings go, so does the place.
    for (id, _) in t.app.store.ids_for_source("places-test").unwrap() {
        t.app
            .store
            .set_status(id, signpost::listing::Status::Archived)
            .unwrap();
    }
    t.sync();
    let (status, _, body) = t.get("/search?near=Newton%2C+SK14").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
