//! drydock-vulndb: fetch vulnerability feeds and build/query one SQLite database.
//!
//! * [`build`] reads a feed folder (Alpine secdb, Debian DSA/DLA/DTSA lists and tracker JSON,
//!   OSV zips, CISA KEV; for RPM distributions Azure Linux / Mariner, Oracle and Photon OVAL,
//!   Amazon and Rocky updateinfo, Red Hat CSAF VEX, SUSE CVRF; for language ecosystems
//!   RubySec, FriendsOfPHP and the Node.js security WG, whose rows carry version
//!   [`Constraint`]s) and writes one DB file atomically.
//! * [`update`] downloads the feeds into such a folder, then builds.
//! * [`Db`] opens a built DB read-only and answers the matcher's queries.
//! * [`namespace`] holds the namespace/package-name normalisation both sides share.
//!
//! The schema is documented in `docs/vulndb-schema.md`, the feeds in `docs/data-sources.md`.

mod build;
pub mod cvss;
mod db;
mod error;
mod feeds;
mod fingerprint;
pub mod model;
pub mod namespace;
mod schema;
mod sink;
mod update;

pub use build::{
    BuildOptions, BuildReport, DEFAULT_MAX_ZIP_ENTRY_BYTES, FeedReport, MAX_WARNING_MESSAGES, build,
};
pub use db::{Db, DbInfo, FeedInfo};
pub use error::{Error, Result};
pub use fingerprint::{FeedDiff, Fingerprints, diff_fingerprints};
pub use model::*;
pub use schema::SCHEMA_VERSION;
pub use update::{FeedUrls, NVD_MAX_WINDOW_DAYS, NvdOptions, UpdateOptions, update};
