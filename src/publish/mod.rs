//! Publishing Signpost's listings in other people's standards.
//!
//! What Signpost reads from the world it also gives back: an Open Referral UK 3.0
//! (HSDS 3.0) API (`hsds.rs` maps a listing into a service) and, elsewhere, an
//! OpenActive feed. Both need the same two things, which live here so that every
//! format says the same thing about a listing:
//!
//! - `ids`: stable UUIDs for listings and everything derived from them, the same
//!   after a restart, a reindex or a fresh import of the same sources;
//! - `taxonomy`: Signpost's activity types, accessibility features and circumstances
//!   as a published taxonomy with stable term ids and their OpenActive equivalents.
//!
//! This layer reads listings and the vocabulary, never the store or the index, so
//! that the web layer decides what is published and this layer only how.

pub mod hsds;
pub mod ids;
pub mod taxonomy;
