//! vigie365 — nightly audit of a Québec health establishment's Microsoft 365 tenant
//! (MSSS-DIR04, orientation on generic CHSLD subscriptions) and its yearly bilan.
//!
//! The pipeline is `graph` → `collect` → `store` → `checks` → `report`; `sim` stands in for
//! Microsoft in the demo, the end-to-end tests and the benchmark. `pipeline` runs a night
//! through those stages for `vigie365 run`, the demo and the tests; `cli` is the command line
//! over the library. See DESIGN.md.

pub mod checks;
pub mod classify;
pub mod cli;
pub mod collect;
pub mod config;
pub mod consolidate;
pub mod demo;
pub mod escape;
pub mod exit;
pub mod finding;
pub mod graph;
pub mod logs;
pub mod model;
pub mod night;
pub mod perimeter;
pub mod pipeline;
pub mod queries;
pub mod report;
pub mod requirements;
pub mod sim;
pub mod store;
