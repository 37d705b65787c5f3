use super::*;
use crate::listing::{Listing, Mode};

pub(super) fn listing(source_id: &str, title: &str) -> Listing {
    serde_json::from_value(serde_json::json!({
        "title": title,
        "types": ["walking"],
        "modes": ["online"],
        "provenance": {"source": "test", "source_id": source_id}
    }))
    .unwrap()
}

pub(super) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).unwrap();
    (dir, store)
}

#[test]
fn upsert_creates_updates_and_skips_unchanged() {
    let (_dir, store) = temp_store();
    let a = listing("a", "Health walk");
    let created = store.upsert(&a).unwrap();
    assert!(matches!(created, Upserted::Created(_)));
    let seq1 = store.max_seq().unwrap();
    assert_eq!(store.upsert(&a).unwrap(), Upserted::Unchanged(created.id()));
    assert_eq!(
        store.max_seq().unwrap(),
        seq1,
        "unchanged does not bump seq"
    );
    let mut b = a.clone();
    b.title = "Health walk (new route)".into();
    assert_eq!(store.upsert(&b).unwrap(), Upserted::Updated(created.id()));
    assert!(store.max_seq().unwrap() > seq1);
    let got = store.get(created.id()).unwrap().unwrap();
    assert_eq!(got.title, "Health walk (new route)");
    assert_eq!(got.id, created.id());
    assert_eq!(got.modes, vec![Mode::Online]);
}

#[test]
fn changes_since_hides_archived_and_reopens_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open_dir(dir.path()).unwrap();
        let ids = store
            .upsert_batch(&[listing("a", "One"), listing("b", "Two")])
            .unwrap();
        assert!(store.set_status(ids[0].id(), Status::Archived).unwrap());
        assert!(!store.set_status(9999, Status::Archived).unwrap());
        ids[0].id()
    };
    // Reopen: everything acknowledged is still there.
    let store = Store::open_dir(dir.path()).unwrap();
    assert_eq!(store.count().unwrap(), 2);
    let changes = store.changes_since(0, 100).unwrap();
    assert_eq!(changes.len(), 2);
    let archived = changes.iter().find(|c| c.id == id).unwrap();
    assert!(archived.listing.is_none());
    let mut seen = Vec::new();
    store
        .for_each_published(|l| {
            seen.push(l.title);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, vec!["Two"]);
}

#[test]
fn postcodes_load_and_replace() {
    let (_dir, store) = temp_store();
    let n = store
        .import_postcodes(vec![
            ("M33 7XW".to_string(), 53.4, -2.3, false),
            ("M33 7XW".to_string(), 53.5, -2.4, false),
        ])
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(store.postcode("M33 7XW").unwrap(), Some((53.5, -2.4)));
    assert_eq!(store.postcode_count().unwrap(), 1);
    assert_eq!(store.postcode("M33 1AA").unwrap(), None);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signpost.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer Signpost"));
}

fn at_venue(source: &str, source_id: &str, title: &str) -> Listing {
    serde_json::from_value(serde_json::json!({
        "title": title,
        "types": ["walking"],
        "modes": ["in-person"],
        "venue": {"name": "Hall", "address": "1 High Street", "postcode": "M33 7ZF"},
        "schedule": {"sessions": [{"repeat": "weekly", "day": "tue", "start": "10:00"}]},
        "provenance": {"source": source, "source_id": source_id}
    }))
    .unwrap()
}

#[test]
fn duplicates_from_another_source_merge_and_unmerge() {
    let (_dir, store) = temp_store();
    let a = store
        .upsert(&at_venue("leisure", "1", "Walking Football"))
        .unwrap()
        .id();
    let b = store
        .upsert(&at_venue("council", "x", "Walking football club"))
        .unwrap()
        .id();
    assert_eq!(store.merged_into(b).unwrap(), Some(a));
    assert_eq!(store.get_current(b).unwrap().unwrap().id, a);
    assert_eq!(store.merged_from(a).unwrap()[0].source, "council");
    let searchable: Vec<i64> = store
        .changes_since(0, 100)
        .unwrap()
        .into_iter()
        .filter(|c| c.listing.is_some())
        .map(|c| c.id)
        .collect();
    assert_eq!(searchable, vec![a]);
    // Archiving the one people see brings the other back.
    store.set_status(a, Status::Archived).unwrap();
    assert_eq!(store.merged_into(b).unwrap(), None);
    // Publishing it again merges them again, the older one first.
    store.set_status(a, Status::Published).unwrap();
    assert_eq!(store.merged_into(b).unwrap(), Some(a));
    // A retitled copy is no longer the same activity.
    let mut renamed = at_venue("council", "x", "Walking netball");
    renamed.status = Status::Published;
    store.upsert(&renamed).unwrap();
    assert_eq!(store.merged_into(b).unwrap(), None);
}

#[test]
fn keys_are_filled_in_for_rows_written_before_merging_existed() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = {
        let store = Store::open_dir(dir.path()).unwrap();
        let a = store
            .upsert(&at_venue("leisure", "1", "Tai chi"))
            .unwrap()
            .id();
        let b = store
            .upsert(&at_venue("council", "x", "Tai Chi"))
            .unwrap()
            .id();
        // As an older build would have left them: no keys, nothing merged.
        store
            .with_writer(|c| {
                c.execute_batch(
                    "UPDATE listings SET match_key = NULL, merged_into = NULL;
                     UPDATE meta SET value = 'stale' WHERE key = 'match_keys';",
                )?;
                Ok(())
            })
            .unwrap();
        assert_eq!(store.merged_into(b).unwrap(), None);
        (a, b)
    };
    let store = Store::open_dir(dir.path()).unwrap();
    assert_eq!(store.merged_into(b).unwrap(), Some(a));
}

#[test]
fn published_listings_come_out_in_key_order_from_one_snapshot() {
    let (_dir, store) = temp_store();
    let mut ids = Vec::new();
    for (sid, title) in [("a", "Zeta"), ("b", "Alpha"), ("c", "Mu"), ("d", "Beta")] {
        ids.push(store.upsert(&listing(sid, title)).unwrap().id());
    }
    // Archived listings are not indexed, so they are not offered.
    store
        .set_status(ids[3], crate::listing::Status::Archived)
        .unwrap();
    // Key each listing by its title's first letter, so the order is not the id order.
    let key = |data: &str| -> u64 {
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        v["title"].as_str().unwrap().as_bytes()[0] as u64
    };
    let mut seen = Vec::new();
    store
        .for_each_published_ordered(key, |l| {
            seen.push(l.title.clone());
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, ["Alpha", "Mu", "Zeta"]);
    // An error from the callback comes back, and the reader is left usable.
    let err = store.for_each_published_ordered(key, |_| {
        Err(StoreError::Io {
            path: "test".into(),
            cause: std::io::Error::other("stop"),
        })
    });
    assert!(err.is_err());
    let mut again = 0;
    store
        .for_each_published_ordered(key, |_| {
            again += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(again, 3);
}

#[test]
fn changes_since_a_time_read_their_index() {
    let (_dir, store) = temp_store();
    let plan = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Vec<String> {
        store
            .with_reader(|conn| {
                let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let rows = st.query_map(params, |r| r.get::<_, String>(3))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .unwrap()
    };
    let count = plan(super::published::CHANGED_COUNT_SQL, &[&"2026-01-01"]);
    assert!(
        count
            .iter()
            .any(|p| p.contains("COVERING INDEX listings_updated")),
        "{count:?}"
    );
    let page = plan(
        super::published::CHANGED_PAGE_SQL,
        &[&"2026-01-01", &50, &0],
    );
    assert!(
        page.iter().any(|p| p.contains("INDEX listings_updated")),
        "{page:?}"
    );
    assert!(
        !page.iter().any(|p| p.contains("TEMP B-TREE")),
        "the page is sorted: {page:?}"
    );
}

#[test]
fn the_due_list_reads_its_index() {
    let (_dir, store) = temp_store();
    let plan: Vec<String> = store
        .with_reader(|conn| {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", super::groups::DUE_SQL))?;
            let rows = st.query_map(rusqlite::params!["2026-01-01", 200], |r| {
                r.get::<_, String>(3)
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap();
    assert!(
        plan.iter()
            .any(|p| p.contains("USING INDEX listings_checked")),
        "{plan:?}"
    );
    // Never checked comes first, then oldest first; checked recently is not due.
    let mut old = listing("old", "Old walk");
    old.provenance.verified_at = Some("2025-01-01T12:00:00Z".parse().unwrap());
    let mut new = listing("new", "New walk");
    new.provenance.verified_at = Some(chrono::Utc::now());
    store.upsert(&old).unwrap();
    store.upsert(&new).unwrap();
    let never = store
        .upsert(&listing("never", "Never checked"))
        .unwrap()
        .id();
    store
        .with_writer(|conn| {
            conn.execute(
                "UPDATE listings SET data = json_remove(data, '$.provenance.updated_at') WHERE id = ?1",
                [never],
            )?;
            Ok(())
        })
        .unwrap();
    let due = store
        .listings_checked_before(chrono::Utc::now() - chrono::Duration::days(30), 10)
        .unwrap();
    let titles: Vec<&str> = due.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(titles, ["Never checked", "Old walk"]);
    assert!(due[0].last_checked.is_none());
}

/// The count of listings changed since a time is exact whichever way it is worked
/// out: counted one by one, or as everything listed less those not changed, and the
/// number listed is counted again once the table changes.
#[test]
fn counts_of_changed_listings_are_exact_every_way() {
    let (_dir, store) = temp_store();
    for i in 0..30 {
        store
            .upsert(&listing(&format!("s{i}"), &format!("Walk {i}")))
            .unwrap();
    }
    {
        let w = store.writer.lock().unwrap();
        // Listing n changed on day n of January; one is withdrawn, one merged away.
        w.execute_batch(
            "UPDATE listings SET updated_at = printf('2026-01-%02dT09:00:00Z', id);
             UPDATE listings SET status = 'archived' WHERE id = 7;
             UPDATE listings SET merged_into = 1 WHERE id = 9;",
        )
        .unwrap();
    }
    let direct = |since: &str| -> usize {
        store
            .with_reader(|c| {
                Ok(c.query_row(published::CHANGED_COUNT_SQL, [since], |r| {
                    r.get::<_, i64>(0)
                })?)
            })
            .unwrap() as usize
    };
    let probing = |since: &str, probe: i64| -> usize {
        store
            .with_reader(|c| store.changed_count_probing(c, since, probe))
            .unwrap()
    };
    for day in 0..=32 {
        let since = format!("2026-01-{day:02}T09:00:00Z");
        for probe in [1, 3, 10, 100] {
            assert_eq!(
                probing(&since, probe),
                direct(&since),
                "{since}, probe {probe}"
            );
        }
    }
    assert_eq!(
        direct("2026-01-00T09:00:00Z"),
        29,
        "merged away: not listed"
    );
    // After a change the number listed is counted again.
    let before = probing("2026-01-02T00:00:00Z", 3);
    store.upsert(&listing("new", "Choir")).unwrap();
    assert_eq!(probing("2026-01-02T00:00:00Z", 3), before + 1);
    assert_eq!(
        probing("2026-01-02T00:00:00Z", 3),
        direct("2026-01-02T00:00:00Z")
    );
}
