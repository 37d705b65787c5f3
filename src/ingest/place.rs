//! Where an imported record is, and what it is, when its source does not say.
//!
//! Real directories come in whole: a council's Open Referral feed usually gives no
//! location and no taxonomy, a spreadsheet row may have no postcode, an OpenActive
//! activity may not be one of Signpost's types. None of these is a reason to drop a
//! record people may be looking for. Types come from the source's own terms (each
//! format maps those), then the record's words, then the general type. A record is
//! placed by its own venue, then by the areas it says it serves, then by the source's
//! area; with none of those it is still imported and found by text, labelled "Area not
//! stated", and left out of location searches.

use crate::geo::area::Area;
use crate::listing::taxonomy::GENERAL_TYPE;
use crate::listing::{AreaServed, Listing, Mode, Taxonomy};

/// How an imported listing was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// By its own venue, the areas it says it serves, or its delivery (online or by
    /// phone, anywhere).
    Own,
    /// By the source's area alone.
    SourceArea,
    /// Nowhere: no venue, no area, not delivered remotely.
    NotStated,
}

/// Types from a record's words (title, then description), or the general type.
pub fn types_from_words(l: &Listing, taxonomy: &Taxonomy) -> Vec<String> {
    let mut types = taxonomy.types_for_text(&l.title, &l.description, 3);
    if types.is_empty() {
        types.push(GENERAL_TYPE.to_string());
    }
    types
}

/// An in-person listing whose venue has neither a postcode nor a position cannot be
/// put on a map: it keeps its venue's words, and is placed by area instead.
pub fn unplaceable_venue(l: &mut Listing, warnings: &mut Vec<String>) {
    let placeable = l
        .venue
        .as_ref()
        .is_some_and(|v| v.postcode.is_some() || (v.lat.is_some() && v.lon.is_some()));
    if l.modes.contains(&Mode::InPerson) && !placeable {
        l.modes.retain(|m| *m != Mode::InPerson);
        warnings.push("the venue has no postcode or position, so it is placed by area".into());
    }
}

/// After a venue's postcode could not be found: the listing keeps its venue's words
/// but no longer claims a place on the map.
pub fn drop_venue_point(l: &mut Listing) {
    l.modes.retain(|m| *m != Mode::InPerson);
    if let Some(v) = l.venue.as_mut() {
        v.lat = None;
        v.lon = None;
        v.geo_precision = None;
    }
}

/// Places a checked, geocoded listing: its own venue or the areas it serves win; a
/// listing with neither takes the source's area (even when it is delivered online or
/// by phone: a council's phone line serves the council's area).
pub fn place(l: &mut Listing, area: Option<&Area>) -> Placed {
    let has_point = l.modes.contains(&Mode::InPerson)
        && l.venue
            .as_ref()
            .is_some_and(|v| v.lat.is_some() && v.lon.is_some());
    if has_point || !l.area_served.postcodes.is_empty() {
        return Placed::Own;
    }
    if let Some(area) = area {
        let description = if l.area_served.description.is_empty() {
            area.label().to_string()
        } else {
            l.area_served.description.clone()
        };
        l.area_served = AreaServed {
            description,
            postcodes: area.postcodes().to_vec(),
        };
        return Placed::SourceArea;
    }
    if l.modes.iter().any(|m| *m != Mode::InPerson) {
        return Placed::Own;
    }
    Placed::NotStated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::Venue;

    fn bare() -> Listing {
        serde_json::from_value(serde_json::json!({"title": "Drop-in"})).unwrap()
    }

    #[test]
    fn own_place_then_source_area_then_not_stated() {
        let dn = Area::parse("E06000013").unwrap();
        let mut l = bare();
        assert_eq!(place(&mut l, Some(&dn)), Placed::SourceArea);
        assert_eq!(l.area_served.description, "North Lincolnshire");
        assert!(l.area_served.postcodes.contains(&"DN15".to_string()));

        let mut l = bare();
        assert_eq!(place(&mut l, None), Placed::NotStated);
        assert!(l.area_served.postcodes.is_empty());

        let mut l = bare();
        l.modes = vec![Mode::InPerson];
        l.venue = Some(Venue {
            lat: Some(53.58),
            lon: Some(-0.65),
            ..Default::default()
        });
        assert_eq!(place(&mut l, Some(&dn)), Placed::Own);
        assert!(l.area_served.postcodes.is_empty());

        let mut l = bare();
        l.area_served.postcodes = vec!["M33".into()];
        assert_eq!(place(&mut l, Some(&dn)), Placed::Own);
        assert_eq!(l.area_served.postcodes, ["M33"]);

        let mut l = bare();
        l.modes = vec![Mode::Phone];
        assert_eq!(
            place(&mut l, None),
            Placed::Own,
            "a phone line reaches anywhere"
        );
    }

    #[test]
    fn a_venue_with_no_postcode_is_placed_by_area() {
        let mut l = bare();
        l.modes = vec![Mode::InPerson];
        l.venue = Some(Venue {
            name: "Village hall".into(),
            ..Default::default()
        });
        let mut w = Vec::new();
        unplaceable_venue(&mut l, &mut w);
        assert!(l.modes.is_empty() && l.venue.is_some());
        assert_eq!(w.len(), 1);
    }
}
