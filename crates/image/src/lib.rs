//! drydock-image: read container images without a daemon and without extracting them.
//!
//! [`Image::open`] reads docker-archive, OCI layout and OCI archive inputs (and plain rootfs
//! tarballs); [`analyze_image`] streams every layer once, in parallel, handing the files that an
//! [`Analyzer`] wants to it; [`MergedView::apply`] merges the per-layer results in order,
//! honouring whiteouts and opaque directories.

pub mod analyze;
pub mod apply;
pub mod cache;
pub mod config;
pub mod dir;
pub mod error;
pub mod path;
pub mod source;

pub use analyze::{
    AnalyzeOptions, AnalyzedFile, Analyzer, Both, FileMeta, LARGE_FILE, LayerAnalysis, LayerSizes,
    LayerStats, MAX_LARGE_FILES, analyze_image, analyze_image_cached, analyze_layer, path_hash,
};
pub use apply::{FileVersion, MergedView};
pub use cache::{CacheInfo, LayerCache};
pub use config::{ContainerConfig, History, ImageConfig};
pub use dir::analyze_dir;
pub use error::{ImageError, Result};
pub use path::ImagePath;
pub use source::{
    BlobFetcher, Compression, Format, Image, Layer, OpenOptions, Platform, digest_hex,
};
