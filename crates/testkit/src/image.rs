//! Image writers: docker-archive (legacy `docker save` and Docker ≥ 25 layouts), OCI image
//! layout (single and multi-platform), OCI archive.
//!
//! Each writer takes uncompressed layer tars (anything implementing [`LayerSource`]: bytes
//! in memory, or a path to a tar file — a `.tar.gz`/`.tar.zst` file is decompressed on the
//! fly) and an [`ImageConfig`], compresses the layers as asked, and computes the digests the
//! way a registry or `docker` does: a layer's *diffID* is the sha256 of its uncompressed tar
//! (listed in the config's `rootfs.diff_ids`), its *digest* the sha256 of the blob as stored
//! (listed in the manifest). Output is deterministic: the same input gives the same bytes.
//! Large layers are streamed (never held in memory whole).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::layer::{open_maybe_compressed, tar_dir};
use crate::tarw::TarWriter;

/// OCI media type of an image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI media type of an image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI media type of an image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// How layer blobs are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Stored as plain tar (`docker save` does this).
    None,
    /// gzip (default level, no file name, mtime 0).
    Gzip,
    /// zstd (level 3).
    Zstd,
}

impl Compression {
    /// The OCI layer media type for this compression.
    pub fn oci_media_type(self) -> &'static str {
        match self {
            Compression::None => "application/vnd.oci.image.layer.v1.tar",
            Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

/// An uncompressed layer tar given to a writer.
///
/// Implemented for in-memory bytes (`Vec<u8>`, `[u8]`, written as they are) and for paths
/// (`Path`, `PathBuf`: a tar file, decompressed on the fly when it starts with gzip or zstd
/// magic bytes), and for references to either.
pub trait LayerSource {
    /// Opens a reader of the uncompressed tar.
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>>;
    /// A short description for error messages.
    fn describe(&self) -> String;
}

impl LayerSource for [u8] {
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self))
    }
    fn describe(&self) -> String {
        format!("<{} bytes in memory>", self.len())
    }
}

impl LayerSource for Vec<u8> {
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.as_slice()))
    }
    fn describe(&self) -> String {
        self.as_slice().describe()
    }
}

impl LayerSource for Path {
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>> {
        open_maybe_compressed(self)
    }
    fn describe(&self) -> String {
        self.display().to_string()
    }
}

impl LayerSource for PathBuf {
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>> {
        self.as_path().open_layer()
    }
    fn describe(&self) -> String {
        self.as_path().describe()
    }
}

impl<T: LayerSource + ?Sized> LayerSource for &T {
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>> {
        (**self).open_layer()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// A layer tar stored in a file that is used verbatim (no decompression by magic bytes),
/// e.g. a gzip stream that must be taken as "uncompressed" content on purpose.
#[derive(Clone, Debug)]
pub struct LayerFile(pub PathBuf);

impl LayerSource for LayerFile {
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(io::BufReader::with_capacity(
            1 << 20,
            File::open(&self.0)?,
        )))
    }
    fn describe(&self) -> String {
        self.0.display().to_string()
    }
}

/// What goes into the image config JSON.
#[derive(Clone, Debug)]
pub struct ImageConfig {
    /// `os`, e.g. `linux`.
    pub os: String,
    /// `architecture`, e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// `variant`, e.g. `v8` (omitted when `None`).
    pub variant: Option<String>,
    /// `config.Env`, `KEY=value` strings.
    pub env: Vec<String>,
    /// `config.User` (omitted when `None`).
    pub user: Option<String>,
    /// `config.ExposedPorts`, e.g. `80/tcp`.
    pub exposed_ports: Vec<String>,
    /// `config.Labels`.
    pub labels: BTreeMap<String, String>,
    /// `config.Entrypoint` (omitted when empty).
    pub entrypoint: Vec<String>,
    /// `config.Cmd` (omitted when empty).
    pub cmd: Vec<String>,
    /// `config.WorkingDir` (omitted when `None`).
    pub working_dir: Option<String>,
    /// `history[].created_by`: entry *i* describes layer *i*; entries beyond the number of
    /// layers are written with `empty_layer: true`; missing ones are filled in as
    /// `drydock-testkit layer <i>`.
    pub history: Vec<String>,
    /// `created` (and each history entry's `created`), RFC 3339.
    pub created: String,
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            user: None,
            exposed_ports: Vec::new(),
            labels: BTreeMap::new(),
            entrypoint: Vec::new(),
            cmd: Vec::new(),
            working_dir: None,
            history: Vec::new(),
            created: "2024-01-01T00:00:00Z".into(),
        }
    }
}

impl ImageConfig {
    /// The config JSON for an image whose layers have these diffIDs.
    pub fn to_json(&self, diff_ids: &[String]) -> Value {
        let mut config = serde_json::Map::new();
        if !self.env.is_empty() {
            config.insert("Env".into(), json!(self.env));
        }
        if let Some(u) = &self.user {
            config.insert("User".into(), json!(u));
        }
        if !self.exposed_ports.is_empty() {
            let ports: serde_json::Map<_, _> = self
                .exposed_ports
                .iter()
                .map(|p| (p.clone(), json!({})))
                .collect();
            config.insert("ExposedPorts".into(), Value::Object(ports));
        }
        if !self.labels.is_empty() {
            config.insert("Labels".into(), json!(self.labels));
        }
        if !self.entrypoint.is_empty() {
            config.insert("Entrypoint".into(), json!(self.entrypoint));
        }
        if !self.cmd.is_empty() {
            config.insert("Cmd".into(), json!(self.cmd));
        }
        if let Some(w) = &self.working_dir {
            config.insert("WorkingDir".into(), json!(w));
        }
        let mut history = Vec::new();
        for i in 0..diff_ids.len().max(self.history.len()) {
            let created_by = self
                .history
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("drydock-testkit layer {i}"));
            let mut h = json!({"created": self.created, "created_by": created_by});
            if i >= diff_ids.len() {
                h["empty_layer"] = json!(true);
            }
            history.push(h);
        }
        let mut v = json!({
            "architecture": self.architecture,
            "os": self.os,
            "created": self.created,
            "config": Value::Object(config),
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        if let Some(variant) = &self.variant {
            v["variant"] = json!(variant);
        }
        v
    }

    /// This config's platform.
    pub fn platform(&self) -> Platform {
        Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone(),
        }
    }
}

/// An image platform: `os`, `architecture` and optionally `variant`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `amd64`.
    pub architecture: String,
    /// e.g. `v8`.
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/<architecture>`.
    pub fn linux(architecture: &str) -> Platform {
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// `linux/<architecture>/<variant>`.
    pub fn linux_variant(architecture: &str, variant: &str) -> Platform {
        Platform {
            variant: Some(variant.into()),
            ..Platform::linux(architecture)
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({"os": self.os, "architecture": self.architecture});
        if let Some(variant) = &self.variant {
            v["variant"] = json!(variant);
        }
        v
    }
}

/// Everything a writer computed about one image.
#[derive(Clone, Debug)]
pub struct ImageDigests {
    /// `sha256:<hex>` of the manifest (OCI manifest JSON; for a legacy docker-archive, of the
    /// OCI manifest that a registry would serve for the same blobs).
    pub manifest_digest: String,
    /// The manifest JSON bytes.
    pub manifest: Vec<u8>,
    /// `sha256:<hex>` of the config JSON.
    pub config_digest: String,
    /// The config JSON bytes.
    pub config: Vec<u8>,
    /// `sha256:<hex>` of each uncompressed layer tar.
    pub diff_ids: Vec<String>,
    /// `sha256:<hex>` of each layer blob as stored (= diffID when uncompressed).
    pub layer_digests: Vec<String>,
    /// Size in bytes of each layer blob as stored.
    pub layer_sizes: Vec<u64>,
    /// The layer media type written in the manifest.
    pub layer_media_type: String,
}

/// What [`write_oci_layout_multiplatform`] computed.
#[derive(Clone, Debug)]
pub struct IndexDigests {
    /// `sha256:<hex>` of the image index blob when nested (`OciOptions::nested_index`),
    /// `None` when the platform manifests are listed directly in `index.json`.
    pub index_digest: Option<String>,
    /// One entry per platform, in the order given.
    pub images: Vec<ImageDigests>,
}

/// Options of the OCI layout / archive writers.
#[derive(Clone, Debug)]
pub struct OciOptions {
    /// Layer compression.
    pub compression: Compression,
    /// `org.opencontainers.image.ref.name` annotation in `index.json` (e.g. `latest`);
    /// `None` writes no annotation.
    pub ref_name: Option<String>,
    /// Write this layer media type instead of the one matching `compression` (e.g. a gzip
    /// layer declared as `application/vnd.oci.image.layer.v1.tar`, to test magic-byte
    /// detection).
    pub declared_layer_media_type: Option<String>,
    /// Multi-platform only: put the platform manifests in an image-index blob referenced from
    /// `index.json` (as BuildKit does) instead of listing them in `index.json` directly.
    pub nested_index: bool,
}

impl Default for OciOptions {
    fn default() -> Self {
        OciOptions {
            compression: Compression::Gzip,
            ref_name: Some("latest".into()),
            declared_layer_media_type: None,
            nested_index: false,
        }
    }
}

/// Layout of a docker-archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DockerLayout {
    /// `docker save` up to Docker 24: `<id>/layer.tar`, `<id>/json`, `<id>/VERSION`,
    /// `<config-hex>.json`, `manifest.json`, `repositories`.
    Legacy,
    /// `docker save` from Docker 25 on: an OCI layout (`oci-layout`, `index.json`,
    /// `blobs/sha256/…`) plus `manifest.json` (paths `blobs/sha256/<hex>`) and
    /// `repositories`.
    Modern,
}

/// Options of [`write_docker_archive_with`].
#[derive(Clone, Debug)]
pub struct DockerArchiveOptions {
    /// Layer compression (`docker save` writes `None`; readers must sniff magic bytes).
    pub compression: Compression,
    /// `RepoTags`, e.g. `drydock/test:1`; empty writes `null` (as `docker save <id>`).
    pub repo_tags: Vec<String>,
    /// Which `docker save` layout.
    pub layout: DockerLayout,
}

impl Default for DockerArchiveOptions {
    fn default() -> Self {
        DockerArchiveOptions {
            compression: Compression::None,
            repo_tags: Vec::new(),
            layout: DockerLayout::Legacy,
        }
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `sha256:<hex>` of the file at `path`.
///
/// # Panics
/// If the file cannot be read.
pub fn sha256_file_digest(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    let mut h = HashWriter::new(io::sink());
    File::open(path)
        .and_then(|mut f| io::copy(&mut f, &mut h))
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    h.digest()
}

/// A writer that hashes and counts what passes through.
pub(crate) struct HashWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub(crate) fn digest(&self) -> String {
        format!("sha256:{}", hex::encode(self.hasher.clone().finalize()))
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what passes through.
struct HashReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

/// A blob written into a `blobs/sha256` directory.
struct Blob {
    digest: String,
    size: u64,
}

/// Writes `bytes` as `blobs/<hex>`.
fn write_blob(blobs: &Path, bytes: &[u8]) -> io::Result<Blob> {
    let digest = sha256_digest(bytes);
    fs::write(blobs.join(hex_of(&digest)), bytes)?;
    Ok(Blob {
        digest,
        size: bytes.len() as u64,
    })
}

/// Compresses one layer into `blobs/<hex>`; returns (diffID, blob).
fn stage_layer(
    blobs: &Path,
    src: &dyn LayerSource,
    compression: Compression,
) -> io::Result<(String, Blob)> {
    let tmp = tempfile::NamedTempFile::new_in(blobs)?;
    let mut reader = HashReader {
        inner: src.open_layer()?,
        hasher: Sha256::new(),
    };
    let out = HashWriter::new(BufWriter::with_capacity(1 << 20, tmp.reopen()?));
    let mut out = match compression {
        Compression::None => {
            let mut out = out;
            copy_chunked(&mut reader, &mut out)?;
            out
        }
        Compression::Gzip => {
            let mut enc = flate2::GzBuilder::new().write(out, flate2::Compression::default());
            copy_chunked(&mut reader, &mut enc)?;
            enc.finish()?
        }
        Compression::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(out, 3)?;
            copy_chunked(&mut reader, &mut enc)?;
            enc.finish()?
        }
    };
    out.flush()?;
    let diff_id = format!("sha256:{}", hex::encode(reader.hasher.finalize()));
    let blob = Blob {
        digest: out.digest(),
        size: out.count,
    };
    drop(out);
    tmp.persist(blobs.join(hex_of(&blob.digest)))
        .map_err(|e| e.error)?;
    Ok((diff_id, blob))
}

/// Copies `r` to `w` in fixed 1 MiB chunks (the last one shorter), whatever sizes `r`
/// returns: compressors' output can depend on how their input is split, and the same layer
/// read from memory or from a `.tar.gz` file must give the same blob.
pub(crate) fn copy_chunked(r: &mut dyn Read, w: &mut dyn Write) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let mut n = 0;
        while n < buf.len() {
            match r.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if n == 0 {
            return Ok(total);
        }
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// Writes layer, config and manifest blobs of one image into `blobs` (a `blobs/sha256`
/// directory).
fn stage_image<L: LayerSource>(
    blobs: &Path,
    layers: &[L],
    cfg: &ImageConfig,
    compression: Compression,
    declared_media_type: Option<&str>,
) -> io::Result<ImageDigests> {
    fs::create_dir_all(blobs)?;
    let mut diff_ids = Vec::new();
    let mut layer_blobs = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let (diff_id, blob) = stage_layer(blobs, l, compression)
            .map_err(|e| io::Error::other(format!("layer {i} ({}): {e}", l.describe())))?;
        diff_ids.push(diff_id);
        layer_blobs.push(blob);
    }
    let config = serde_json::to_vec(&cfg.to_json(&diff_ids)).expect("config JSON");
    let config_blob = write_blob(blobs, &config)?;
    let layer_media_type = declared_media_type
        .unwrap_or(compression.oci_media_type())
        .to_string();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_blob.digest, "size": config_blob.size},
        "layers": layer_blobs.iter().map(|b| json!({
            "mediaType": layer_media_type, "digest": b.digest, "size": b.size,
        })).collect::<Vec<_>>(),
    });
    let manifest = serde_json::to_vec(&manifest).expect("manifest JSON");
    let manifest_blob = write_blob(blobs, &manifest)?;
    Ok(ImageDigests {
        manifest_digest: manifest_blob.digest,
        manifest,
        config_digest: config_blob.digest,
        config,
        diff_ids,
        layer_digests: layer_blobs.iter().map(|b| b.digest.clone()).collect(),
        layer_sizes: layer_blobs.iter().map(|b| b.size).collect(),
        layer_media_type,
    })
}

fn manifest_descriptor(img: &ImageDigests, platform: Option<&Platform>) -> Value {
    let mut d = json!({
        "mediaType": OCI_MANIFEST,
        "digest": img.manifest_digest,
        "size": img.manifest.len(),
    });
    if let Some(p) = platform {
        d["platform"] = p.to_json();
    }
    d
}

fn write_json(path: &Path, v: &Value) -> io::Result<()> {
    fs::write(path, serde_json::to_vec(v).expect("JSON"))
}

fn ref_annotations(ref_name: Option<&str>) -> Value {
    match ref_name {
        Some(r) => json!({"org.opencontainers.image.ref.name": r}),
        None => json!({}),
    }
}

fn oci_layout_inner<L: LayerSource>(
    dir: &Path,
    layers: &[L],
    cfg: &ImageConfig,
    opts: &OciOptions,
) -> io::Result<ImageDigests> {
    let blobs = dir.join("blobs/sha256");
    let img = stage_image(
        &blobs,
        layers,
        cfg,
        opts.compression,
        opts.declared_layer_media_type.as_deref(),
    )?;
    write_json(
        &dir.join("oci-layout"),
        &json!({"imageLayoutVersion": "1.0.0"}),
    )?;
    let mut desc = manifest_descriptor(&img, Some(&cfg.platform()));
    if opts.ref_name.is_some() {
        desc["annotations"] = ref_annotations(opts.ref_name.as_deref());
    }
    write_json(
        &dir.join("index.json"),
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [desc]}),
    )?;
    Ok(img)
}

/// Writes an OCI image layout into `dir` (created if needed): `oci-layout`, `index.json`
/// (one manifest, ref name `latest`), `blobs/sha256/…` with layers compressed as asked
/// (media types `application/vnd.oci.image.layer.v1.tar`, `…tar+gzip`, `…tar+zstd`).
///
/// # Panics
/// On I/O errors.
pub fn write_oci_layout<L: LayerSource>(
    dir: impl AsRef<Path>,
    layers: &[L],
    cfg: &ImageConfig,
    compression: Compression,
) -> ImageDigests {
    let opts = OciOptions {
        compression,
        ..OciOptions::default()
    };
    write_oci_layout_with(dir, layers, cfg, &opts)
}

/// [`write_oci_layout`] with all options.
///
/// # Panics
/// On I/O errors.
pub fn write_oci_layout_with<L: LayerSource>(
    dir: impl AsRef<Path>,
    layers: &[L],
    cfg: &ImageConfig,
    opts: &OciOptions,
) -> ImageDigests {
    let dir = dir.as_ref();
    oci_layout_inner(dir, layers, cfg, opts)
        .unwrap_or_else(|e| panic!("writing OCI layout {}: {e}", dir.display()))
}

/// Writes a multi-platform OCI layout into `dir`: one manifest per `(platform, layers,
/// config)`, gzip layers, listed with their `platform` in an image-index blob, and
/// `index.json` holding one descriptor of that index with ref name `latest` (what
/// `skopeo copy --all` and BuildKit write). The config's `os`/`architecture`/`variant` are
/// taken from the platform.
///
/// # Panics
/// On I/O errors.
pub fn write_oci_layout_multiplatform<L: LayerSource>(
    dir: impl AsRef<Path>,
    images: &[(Platform, Vec<L>, ImageConfig)],
) -> IndexDigests {
    let opts = OciOptions {
        nested_index: true,
        ..OciOptions::default()
    };
    write_oci_layout_multiplatform_with(dir, images, &opts)
}

/// [`write_oci_layout_multiplatform`] with options. With `nested_index: false`, the
/// platform manifests are listed directly in `index.json` (each with its `platform`, and no
/// ref name, since one name for several manifests would be ambiguous).
///
/// # Panics
/// On I/O errors.
pub fn write_oci_layout_multiplatform_with<L: LayerSource>(
    dir: impl AsRef<Path>,
    images: &[(Platform, Vec<L>, ImageConfig)],
    opts: &OciOptions,
) -> IndexDigests {
    let dir = dir.as_ref();
    (|| {
        let blobs = dir.join("blobs/sha256");
        let mut out = Vec::new();
        let mut descs = Vec::new();
        for (platform, layers, cfg) in images {
            let cfg = ImageConfig {
                os: platform.os.clone(),
                architecture: platform.architecture.clone(),
                variant: platform.variant.clone(),
                ..cfg.clone()
            };
            let img = stage_image(
                &blobs,
                layers,
                &cfg,
                opts.compression,
                opts.declared_layer_media_type.as_deref(),
            )?;
            descs.push(manifest_descriptor(&img, Some(platform)));
            out.push(img);
        }
        write_json(
            &dir.join("oci-layout"),
            &json!({"imageLayoutVersion": "1.0.0"}),
        )?;
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs});
        let index_digest = if opts.nested_index {
            let bytes = serde_json::to_vec(&index).expect("index JSON");
            let blob = write_blob(&blobs, &bytes)?;
            let mut desc =
                json!({"mediaType": OCI_INDEX, "digest": blob.digest, "size": blob.size});
            if opts.ref_name.is_some() {
                desc["annotations"] = ref_annotations(opts.ref_name.as_deref());
            }
            write_json(
                &dir.join("index.json"),
                &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [desc]}),
            )?;
            Some(blob.digest)
        } else {
            write_json(&dir.join("index.json"), &index)?;
            None
        };
        Ok::<_, io::Error>(IndexDigests {
            index_digest,
            images: out,
        })
    })()
    .unwrap_or_else(|e| panic!("writing OCI layout {}: {e}", dir.display()))
}

/// Tars the content of `dir` into `out` (sorted, root-owned, fixed mtimes).
pub(crate) fn tar_dir_to_file(dir: &Path, out: &Path) -> io::Result<()> {
    let mut tw = TarWriter::new(BufWriter::with_capacity(1 << 20, File::create(out)?));
    tar_dir(dir, &mut tw, true)?;
    tw.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(())
}

/// A staging directory next to `out` (same filesystem, so big blobs are not copied twice
/// across devices).
pub(crate) fn staging_dir(out: &Path) -> io::Result<tempfile::TempDir> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    tempfile::Builder::new()
        .prefix(".drydock-testkit-")
        .tempdir_in(parent)
}

/// Writes an OCI archive (a tar of an OCI image layout, as `skopeo copy … oci-archive:`) to
/// `out`.
///
/// # Panics
/// On I/O errors.
pub fn write_oci_archive<L: LayerSource>(
    out: impl AsRef<Path>,
    layers: &[L],
    cfg: &ImageConfig,
    compression: Compression,
) -> ImageDigests {
    let opts = OciOptions {
        compression,
        ..OciOptions::default()
    };
    write_oci_archive_with(out, layers, cfg, &opts)
}

/// [`write_oci_archive`] with all options.
///
/// # Panics
/// On I/O errors.
pub fn write_oci_archive_with<L: LayerSource>(
    out: impl AsRef<Path>,
    layers: &[L],
    cfg: &ImageConfig,
    opts: &OciOptions,
) -> ImageDigests {
    let out = out.as_ref();
    (|| {
        let stage = staging_dir(out)?;
        let img = oci_layout_inner(stage.path(), layers, cfg, opts)?;
        tar_dir_to_file(stage.path(), out)?;
        Ok::<_, io::Error>(img)
    })()
    .unwrap_or_else(|e| panic!("writing OCI archive {}: {e}", out.display()))
}

/// Writes a docker-archive (what `docker save` produces) to `out`, in the legacy layout
/// (`<id>/layer.tar`, `<config-hex>.json`, `manifest.json`, `repositories`) with layers
/// compressed as asked (`docker save` itself writes `Compression::None`). `repo_tag` (e.g.
/// `drydock/test:1`) becomes `RepoTags`; `None` writes `"RepoTags": null`.
///
/// # Panics
/// On I/O errors.
pub fn write_docker_archive<L: LayerSource>(
    out: impl AsRef<Path>,
    layers: &[L],
    cfg: &ImageConfig,
    compression: Compression,
    repo_tag: Option<&str>,
) -> ImageDigests {
    let opts = DockerArchiveOptions {
        compression,
        repo_tags: repo_tag.map(|t| vec![t.to_string()]).unwrap_or_default(),
        layout: DockerLayout::Legacy,
    };
    write_docker_archive_with(out, layers, cfg, &opts)
}

/// [`write_docker_archive`] with all options (notably [`DockerLayout::Modern`], the Docker
/// ≥ 25 layout with `blobs/sha256/<hex>`).
///
/// # Panics
/// On I/O errors.
pub fn write_docker_archive_with<L: LayerSource>(
    out: impl AsRef<Path>,
    layers: &[L],
    cfg: &ImageConfig,
    opts: &DockerArchiveOptions,
) -> ImageDigests {
    let out = out.as_ref();
    docker_archive_inner(out, layers, cfg, opts)
        .unwrap_or_else(|e| panic!("writing docker-archive {}: {e}", out.display()))
}

fn docker_archive_inner<L: LayerSource>(
    out: &Path,
    layers: &[L],
    cfg: &ImageConfig,
    opts: &DockerArchiveOptions,
) -> io::Result<ImageDigests> {
    let stage = staging_dir(out)?;
    let root = stage.path().join("root");
    fs::create_dir(&root)?;
    let tags = if opts.repo_tags.is_empty() {
        Value::Null
    } else {
        json!(opts.repo_tags)
    };
    let (img, config_path, layer_paths, top_id) = match opts.layout {
        DockerLayout::Modern => {
            let img = oci_layout_inner(
                &root,
                layers,
                cfg,
                &OciOptions {
                    compression: opts.compression,
                    ref_name: None,
                    declared_layer_media_type: None,
                    nested_index: false,
                },
            )?;
            // Docker 25+ annotates one index entry per tag.
            let descs: Vec<Value> = if opts.repo_tags.is_empty() {
                vec![manifest_descriptor(&img, None)]
            } else {
                opts.repo_tags
                    .iter()
                    .map(|t| {
                        let mut d = manifest_descriptor(&img, None);
                        d["annotations"] = json!({
                            "io.containerd.image.name": t,
                            "org.opencontainers.image.ref.name": tag_of(t),
                        });
                        d
                    })
                    .collect()
            };
            write_json(
                &root.join("index.json"),
                &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs}),
            )?;
            let config_path = format!("blobs/sha256/{}", hex_of(&img.config_digest));
            let layer_paths: Vec<String> = img
                .layer_digests
                .iter()
                .map(|d| format!("blobs/sha256/{}", hex_of(d)))
                .collect();
            let top = img.layer_digests.last().map(|d| hex_of(d).to_string());
            (img, config_path, layer_paths, top)
        }
        DockerLayout::Legacy => {
            let blobs = stage.path().join("blobs");
            let img = stage_image(&blobs, layers, cfg, opts.compression, None)?;
            let config_path = format!("{}.json", hex_of(&img.config_digest));
            fs::rename(
                blobs.join(hex_of(&img.config_digest)),
                root.join(&config_path),
            )?;
            let mut layer_paths = Vec::new();
            let mut parent: Option<String> = None;
            for (i, (diff_id, digest)) in img.diff_ids.iter().zip(&img.layer_digests).enumerate() {
                // A v1 layer id, chained like Docker's: sha256(parent id + diffID).
                let id = hex_of(&sha256_digest(
                    format!("{}\n{diff_id}", parent.as_deref().unwrap_or("")).as_bytes(),
                ))
                .to_string();
                let layer_dir = root.join(&id);
                fs::create_dir(&layer_dir)?;
                let src = blobs.join(hex_of(digest));
                if img.layer_digests[i + 1..].contains(digest) {
                    fs::copy(&src, layer_dir.join("layer.tar"))?;
                } else {
                    fs::rename(&src, layer_dir.join("layer.tar"))?;
                }
                fs::write(layer_dir.join("VERSION"), "1.0")?;
                let mut v1 = json!({"id": id, "created": cfg.created, "os": cfg.os});
                if let Some(p) = &parent {
                    v1["parent"] = json!(p);
                }
                write_json(&layer_dir.join("json"), &v1)?;
                layer_paths.push(format!("{id}/layer.tar"));
                parent = Some(id);
            }
            (img, config_path, layer_paths, parent)
        }
    };
    write_json(
        &root.join("manifest.json"),
        &json!([{"Config": config_path, "RepoTags": tags, "Layers": layer_paths}]),
    )?;
    if let (false, Some(top)) = (opts.repo_tags.is_empty(), top_id) {
        let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for t in &opts.repo_tags {
            let (repo, tag) = split_tag(t);
            repos
                .entry(repo.to_string())
                .or_default()
                .insert(tag.to_string(), top.clone());
        }
        write_json(&root.join("repositories"), &json!(repos))?;
    }
    tar_dir_to_file(&root, out)?;
    Ok(img)
}

/// `repo:tag` → (`repo`, `tag`), `latest` when there is no tag.
fn split_tag(t: &str) -> (&str, &str) {
    match t.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (t, "latest"),
    }
}

fn tag_of(t: &str) -> &str {
    split_tag(t).1
}

/// Compresses `path` with gzip into `<path>.gz` (like `docker save img | gzip`), keeping the
/// original; returns the new path.
///
/// # Panics
/// On I/O errors.
pub fn gzip_file(path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    let mut out = path.as_os_str().to_owned();
    out.push(".gz");
    let out = PathBuf::from(out);
    (|| {
        let mut r = File::open(path)?;
        let w = BufWriter::with_capacity(1 << 20, File::create(&out)?);
        let mut enc = flate2::GzBuilder::new().write(w, flate2::Compression::default());
        copy_chunked(&mut r, &mut enc)?;
        enc.finish()?.flush()
    })()
    .unwrap_or_else(|e| panic!("gzipping {}: {e}", path.display()));
    out
}
