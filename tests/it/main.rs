//! Every integration test, in one test binary (as crates.io keeps its own): the
//! library and its dependencies are linked into one executable instead of one per
//! file, and the helpers in [`common`] are compiled once, shared by all and all used.
//!
//! The tests run side by side in one process, so none may lean on process-wide state:
//! each local server listens on its own port on 127.0.0.1 (`common::fake_http`), so
//! the one polite client that harvests share (`Http::global()`, keyed by host and
//! port) never mixes two tests' servers; each test has its own data directory; and
//! settings reach the `signpost` binary through the child's environment, never this
//! process's (no test calls `std::env::set_var` or `Http::set_global`).

mod backup;
mod bad_inputs;
mod browser;
mod cli;
mod close;
mod common;
mod coverage;
mod crash;
mod csv_import;
mod disk;
mod downloads;
mod follow;
mod groups;
mod harvest;
mod layers;
mod limits;
mod mail;
mod open_data;
mod openreferral;
mod openreferral_api;
mod pages;
mod props;
mod relevance;
mod search_api;
mod shutdown;
mod site;
mod snapshots;
mod soak;
mod understand;
mod web_harvest;
