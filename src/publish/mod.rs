//! Signpost's own open data, in other people's standards, so that other directories
//! and activity finders can list what groups told Signpost: an Open Referral UK 3.0
//! (HSDS 3.0) API (`hsds` maps a listing into a service) and an OpenActive RPDE feed
//! (`openactive`). Both need the same two things, which live here so that every format
//! says the same thing about a listing:
//!
//! - `ids`: stable UUIDs for listings and everything derived from them, the same after a
//!   restart, a reindex or a fresh import of the same sources;
//! - `taxonomy`: Signpost's activity types, accessibility features and circumstances as
//!   a published taxonomy with stable term ids and their OpenActive equivalents.
//!
//! Only listings Signpost may republish go into the OpenActive feed: those groups
//! submitted here, and those of sources whose licence allows it (`republish = true` with
//! a `licence` in the sources file). See `docs/open-data.md`. This layer reads listings
//! and the vocabulary, never the index, so that the web layer decides what is published
//! and this layer only how.

pub mod hsds;
pub mod ids;
pub mod openactive;
pub mod taxonomy;
