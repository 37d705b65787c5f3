//! The listing model, its vocabulary and its schedule.
//!
//! Everything downstream (store, index, pages, feeds) depends on this module and
//! nothing here depends on them, so importers and the web layer meet only here.

pub mod model;
pub mod schedule;
pub mod taxonomy;
pub mod validate;

pub use model::*;
pub use schedule::{Occurrence, Schedule};
pub use taxonomy::Taxonomy;
