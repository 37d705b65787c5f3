//! Signpost's own open data: what it publishes so that other directories and
//! activity finders can list what groups told Signpost, with the licence and credit
//! each source asks for.
//!
//! Only listings Signpost may republish go out: those groups submitted here, and those
//! of sources whose licence allows it (`republish = true` with a `licence` in the
//! sources file). See `docs/open-data.md`.

pub mod openactive;
