//! Test support for Drydock: locating `../shared`, building real images (docker-archive,
//! OCI layout, OCI archive) from real root filesystems, and crafting hostile tarballs.
//! Test-only; never a dependency of the product crates.

use std::path::PathBuf;

/// The `../shared` data directory: `$DRYDOCK_SHARED` if set, else `<workspace root>/../shared`.
pub fn shared_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("DRYDOCK_SHARED") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    root.join("../shared")
}

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}
