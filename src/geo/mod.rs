//! Places: postcodes, where they are, and how far apart things are.
//!
//! A full postcode resolves exactly when a postcode table has been imported
//! (`signpost import-postcodes`); otherwise it resolves to the centre of its postcode
//! district from the table shipped in `content/`, which is approximate, and we say so.

pub mod area;
pub mod distance;
pub mod districts;
pub mod locate;
pub mod osgb;
pub mod places;
pub mod postcode;
pub mod table;
