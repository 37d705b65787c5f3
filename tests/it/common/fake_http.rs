//! The one local HTTP server of the tests. A test describes what the far side serves
//! as an axum [`Router`] (an RPDE feed with faults, a group's web pages and robots.txt,
//! an Open Referral directory, or Signpost's own router for the browser) and [`serve`]
//! puts it on the network, so the code under test fetches over real HTTP.
//!
//! Each server listens on a fresh port on 127.0.0.1: tests share this process, and an
//! address of their own keeps one test's server, and the polite client's per-host
//! state for it, out of another's way.

use axum::Router;
use serde_json::{Value, json};

/// Serves `app` on a fresh port of 127.0.0.1 until the test's runtime ends, and returns
/// its base address, `http://127.0.0.1:PORT` (no trailing slash).
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app).into_future());
    base
}

/// Page `n` of the RPDE feed `name` served as `http://{host}/feeds/{name}?page=N`:
/// that page's items (none past the end) and the link to the next page. The last
/// page points at itself: that is where a harvester keeps polling.
pub fn rpde_page(host: &str, name: &str, pages: &[Vec<Value>], n: usize) -> Value {
    let items = pages.get(n).cloned().unwrap_or_default();
    let next = if n < pages.len() { n + 1 } else { n };
    json!({
        "next": format!("http://{host}/feeds/{name}?page={next}"),
        "items": items,
        "license": "https://creativecommons.org/licenses/by/4.0/"
    })
}

/// `items` in pages of `per_page`, as a feed serves them.
pub fn paged(items: Vec<Value>, per_page: usize) -> Vec<Vec<Value>> {
    items.chunks(per_page).map(|c| c.to_vec()).collect()
}

/// The items of a real RPDE page: Active Newham's sessions on 2 January 2020.
pub fn newham_items() -> Vec<Value> {
    super::shared_json("openactive/real-feeds/active-newham_sessions_20200102.rpde.json")["items"]
        .as_array()
        .unwrap()
        .clone()
}
