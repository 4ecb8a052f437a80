//! drydock-vulndb: fetch vulnerability feeds and build/query one SQLite database.
pub mod model;
pub use model::*;
