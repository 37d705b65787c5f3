//! Stable identifiers for what Signpost publishes.
//!
//! Open data consumers (a council directory, an activity finder) keep our records and
//! match later updates to them by id, so an id must never change while the listing is
//! the same listing. Store ids are not enough: they are per data directory, so a fresh
//! import or a second Signpost would number the same activity differently. The
//! listing's identity is its source and its id within that source (unique in the
//! store, see `listing::Provenance`; listings groups send here have the source
//! `groups` and a `sub-N` id that never changes), and every id here is a name-based
//! UUID (version 5, SHA-1) of that identity under Signpost's own namespace. Ids of the
//! parts of a listing (its location, schedules, cost options) are UUIDs of the
//! listing's id plus the part's name, so they too are the same on every run.
//!
//! A listing with no source id (only possible for one built by hand, never for a
//! stored one) falls back to its store id, which is still stable within one store.

use uuid::Uuid;

use crate::listing::Listing;

/// Signpost's namespace: the v5 UUID of its URL in the standard URL namespace.
pub fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://signpost.invalid/ns")
}

/// The id of a listing from its source and id within that source.
pub fn for_source(source: &str, source_id: &str) -> Uuid {
    // A separator that cannot be part of a source name keeps ("a:b", "c") and
    // ("a", "b:c") apart.
    let name = format!("listing\u{1f}{source}\u{1f}{source_id}");
    Uuid::new_v5(&namespace(), name.as_bytes())
}

/// A listing's published id.
pub fn listing(l: &Listing) -> Uuid {
    let p = &l.provenance;
    if p.source_id.is_empty() {
        for_source(&p.source, &format!("store-{}", l.id))
    } else {
        for_source(&p.source, &p.source_id)
    }
}

/// The id of one part of a listing (`"location"`, `"schedule/2"`, `"cost/0"`…).
pub fn part(listing_id: Uuid, part: &str) -> Uuid {
    Uuid::new_v5(&listing_id, part.as_bytes())
}

/// The id of an organisation, from its name: the same organisation running several
/// listings has one id (names are compared ignoring case and spacing).
pub fn organization(name: &str) -> Uuid {
    let key = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    Uuid::new_v5(&namespace(), format!("organization\u{1f}{key}").as_bytes())
}

/// The id of a published taxonomy (`"types"`, `"access"`, `"circumstances"`).
pub fn taxonomy(name: &str) -> Uuid {
    Uuid::new_v5(&namespace(), format!("taxonomy\u{1f}{name}").as_bytes())
}

/// The id of a term in a published taxonomy, from the term's slug.
pub fn term(taxonomy_name: &str, slug: &str) -> Uuid {
    Uuid::new_v5(
        &namespace(),
        format!("term\u{1f}{taxonomy_name}\u{1f}{slug}").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(for_source("demo", "walk-1").get_version_num(), 5);
        assert_ne!(for_source("a:b", "c"), for_source("a", "b:c"));
        assert_ne!(for_source("demo", "1"), for_source("groups", "1"));
        let mut l = Listing {
            id: 7,
            title: "x".into(),
            summary: String::new(),
            description: String::new(),
            organisation: Default::default(),
            types: vec![],
            modes: vec![],
            venue: None,
            area_served: Default::default(),
            schedule: Default::default(),
            cost: Default::default(),
            access: Default::default(),
            audience: Default::default(),
            join: Default::default(),
            provenance: Default::default(),
            status: Default::default(),
        };
        l.provenance.source = "demo".into();
        l.provenance.source_id = "walk-1".into();
        assert_eq!(listing(&l), for_source("demo", "walk-1"));
        // The store id does not matter when there is a source id.
        l.id = 99;
        assert_eq!(listing(&l), for_source("demo", "walk-1"));
        assert_ne!(part(listing(&l), "location"), listing(&l));
        assert_ne!(term("types", "walking"), term("access", "walking"));
    }

    #[test]
    fn ids_are_pinned() {
        // Consumers store these ids: they must never change. (Checked against
        // Python's `uuid.uuid5`.)
        assert_eq!(
            namespace().to_string(),
            "c9211716-cb3c-5f4e-8aee-afdfe5ab3355"
        );
        assert_eq!(
            for_source("demo", "walk-1").to_string(),
            "07434569-a3ca-5e26-9e26-d691710cca29"
        );
    }
}
