//! Test support for Drydock: locating `../shared`, building real images (docker-archive,
//! OCI layout, OCI archive) from real root filesystems, and crafting hostile tarballs.
//! Test-only; never a dependency of the product crates.
//!
//! Modules:
//! - [`layer`]: tar layers from a list of [`Entry`]s, from a rootfs tarball or a directory;
//! - [`diff`]: Docker-style diff layers (changes + whiteouts) between a rootfs tar and a
//!   directory, to build realistic multi-layer images;
//! - [`image`]: docker-archive / OCI layout / OCI archive writers with correct diffIDs and
//!   digests;
//! - [`rootfs`]: real root filesystems (Alpine minirootfs from `../shared`, a cached
//!   `debootstrap` Debian rootfs);
//! - [`debs`]: real Debian packages (`apt-get download`, cached) unpacked into a layer
//!   directory with the dpkg status database extended;
//! - [`hostile`]: tarballs and images that try to escape, explode or confuse a scanner;
//! - [`scale`]: streaming generators for very large layers (a million files).
//!
//! Everything here panics on I/O errors (with the path in the message), as test helpers
//! should, except [`debian_rootfs_tar`], which returns an error that a test reports.

use std::path::PathBuf;

pub mod debs;
pub mod diff;
pub mod hostile;
pub mod image;
pub mod langimage;
pub mod layer;
pub mod rootfs;
pub mod scale;
mod tarw;

pub use debs::{deb_field, download_debs, install_debs};
pub use diff::{DiffStats, diff_layer};
pub use image::{
    Compression, DockerArchiveOptions, DockerLayout, ImageConfig, ImageDigests, IndexDigests,
    LayerFile, LayerSource, OciOptions, Platform, gzip_file, sha256_digest, sha256_file_digest,
    write_docker_archive, write_docker_archive_with, write_oci_archive, write_oci_archive_with,
    write_oci_layout, write_oci_layout_multiplatform, write_oci_layout_multiplatform_with,
    write_oci_layout_with,
};
pub use langimage::lang_image_layers;
pub use layer::{
    Entry, FIXED_MTIME, layer_from_dir, layer_from_dir_to_file, layer_from_rootfs_tarball,
    layer_from_rootfs_tarball_to_file, layer_tar,
};
pub use rootfs::{
    alpine_rootfs, alpine_versions, apt_mirror, cache_dir, debian_rootfs_tar, debian_rootfs_tar_in,
};
pub use scale::million_files_layer;

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
