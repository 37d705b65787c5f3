//! Snapshot tests of rendered HTML, so any change to what people see is reviewed
//! (`cargo insta review`). The clock is pinned and the data is the demo content, so
//! the pages are byte-for-byte repeatable.

use crate::common;

use common::TestApp;

async fn snap(t: &TestApp, url: &str) -> String {
    let (_, _, body) = t.get(url).await;
    // One element per line keeps the diffs readable.
    body.replace("><", ">\n<")
}

#[tokio::test]
async fn pages_render_as_reviewed() {
    let t = TestApp::with_demo();
    for (name, url) in [
        ("home", "/"),
        ("search_results", "/search?q=choir&near=M41&within=5"),
        ("search_no_results", "/search?q=zzzqqq&near=M33&free=1"),
        ("search_bad_postcode", "/search?q=walk&near=QQ1+1QQ"),
        ("listing", "/listings/1?s=2"),
        ("shortlist", "/shortlist?s=1.2"),
        ("handout", "/shortlist/print?s=1.2"),
        ("report", "/listings/1/report"),
        ("not_found", "/no/such/page"),
    ] {
        insta::assert_snapshot!(name, snap(&t, url).await);
    }
}
