//! Relevance on a real council directory, through the real import path: North
//! Lincolnshire's Open Referral UK 1.0 service list and its judged queries
//! (`../shared/data/quality/`). The floors are the scores this build reaches (recorded
//! in BENCHMARKS.md), so a change that ranks worse fails here.

use crate::common;

/// Grade-2 hit@3 (of 20) and NDCG@10 this build must reach.
const FLOOR_HIT3: usize = 19;
const FLOOR_NDCG: f64 = 0.76;

#[test]
fn relevance_on_the_development_directory_stays_above_its_floor() {
    let dir = tempfile::tempdir().unwrap();
    let directory =
        common::shared("quality/north-lincolnshire-council_oruk1_services_2024-12.json");
    let out = common::signpost_cmd(dir.path())
        .arg("import")
        .arg(&directory)
        .args(["--source-name", "north-lincolnshire", "--area", "E06000013"])
        .output()
        .unwrap();
    let text = common::succeeded(&out);
    println!("{text}");
    let out = common::signpost_cmd(dir.path())
        .arg("eval")
        .arg(common::shared("quality/nlincs-queries.json"))
        .output()
        .unwrap();
    let text = common::succeeded(&out);
    println!("{text}");
    let headline = text.lines().next().unwrap();
    // "grade-2 hit@3 14/20, NDCG@10 0.453, 2 with no results"
    let hit3: usize = headline
        .split("hit@3 ")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no hit@3 in {headline}"));
    let ndcg: f64 = headline
        .split("NDCG@10 ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no NDCG@10 in {headline}"));
    assert!(
        hit3 >= FLOOR_HIT3 && ndcg >= FLOOR_NDCG,
        "relevance fell below its floor (hit@3 {FLOOR_HIT3}, NDCG@10 {FLOOR_NDCG}): {headline}"
    );
}
