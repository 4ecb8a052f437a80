//! Opening an image: docker-archive (`docker save`, optionally gzip/zstd-compressed), OCI image
//! layout (a directory), OCI archive (a tar of a layout), and plain root-filesystem tarballs.
//!
//! Every format is reduced to "a set of named byte ranges in one file" so that layers can be
//! streamed from disk in parallel without extracting anything. Names found inside the image
//! (manifest paths, digests) are only ever looked up in that set — never joined onto a host
//! path without validation — so a hostile manifest cannot make us read outside the image.

use crate::config::ImageConfig;
use crate::error::{ImageError, Result, io};
use crate::path::ImagePath;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Cap on JSON documents (manifests, indexes, configs) read from an image.
const MAX_JSON: u64 = 16 << 20;
const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Which container format the input was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    DockerArchive,
    OciLayout,
    OciArchive,
    /// A plain tarball of a root filesystem, read as a one-layer image.
    RootfsArchive,
    /// Pulled from a registry (blobs streamed through a [`BlobFetcher`]).
    Registry,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::DockerArchive => "docker-archive",
            Format::OciLayout => "oci-layout",
            Format::OciArchive => "oci-archive",
            Format::RootfsArchive => "rootfs-archive",
            Format::Registry => "registry",
        }
    }
}

/// A target platform, e.g. `linux/amd64` or `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: normalise_arch(arch),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform {
                    os: os.to_string(),
                    architecture: normalise_arch(arch),
                    variant: Some(variant.to_string()),
                })
            }
            _ => Err(format!(
                "invalid platform {s:?}: expected os/arch[/variant], e.g. linux/amd64"
            )),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.variant {
            Some(v) => write!(f, "{}/{}/{}", self.os, self.architecture, v),
            None => write!(f, "{}/{}", self.os, self.architecture),
        }
    }
}

fn normalise_arch(a: &str) -> String {
    match a {
        "x86_64" | "x86-64" => "amd64".into(),
        "aarch64" => "arm64".into(),
        other => other.to_string(),
    }
}

impl Platform {
    /// Does an image of `os/arch[/variant]` satisfy this platform? (`x86_64`/`aarch64` are
    /// normalised; `arm64` matches an omitted `v8`.)
    pub fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        if self.os != os || self.architecture != normalise_arch(arch) {
            return false;
        }
        match (&self.variant, variant) {
            (None, _) => true,
            (Some(w), Some(v)) => w == v,
            // arm64 images usually omit the implied v8
            (Some(w), None) => self.architecture == "arm64" && w == "v8",
        }
    }
}

/// Options for [`Image::open`].
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// The platform to pick from a multi-platform image. `None`: `linux/amd64` when an index
    /// offers it, else the only platform there is; a single-image archive is taken as it is.
    pub platform: Option<Platform>,
    /// Where compressed archives are decompressed to (a private temp dir is made inside it).
    pub temp_dir: Option<PathBuf>,
    /// Upper bound on the decompressed size of a compressed outer archive.
    pub max_archive_size: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            platform: None,
            temp_dir: None,
            max_archive_size: 64 << 30,
        }
    }
}

/// Where one blob lives: a byte range of a file.
#[derive(Debug, Clone)]
pub(crate) struct BlobRef {
    pub(crate) file: Arc<PathBuf>,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

impl BlobRef {
    pub(crate) fn open(&self) -> Result<std::io::Take<File>> {
        let mut f = File::open(self.file.as_path()).map_err(io(self.file.as_path()))?;
        f.seek(SeekFrom::Start(self.offset))
            .map_err(io(self.file.as_path()))?;
        Ok(f.take(self.len))
    }

    fn read_all(&self, what: &str) -> Result<Vec<u8>> {
        if self.len > MAX_JSON {
            return Err(ImageError::TooLarge {
                what: what.to_string(),
                limit: MAX_JSON,
            });
        }
        let mut buf = Vec::with_capacity(self.len as usize);
        self.open()?
            .read_to_end(&mut buf)
            .map_err(io(self.file.as_path()))?;
        if (buf.len() as u64) < self.len {
            return Err(ImageError::MalformedArchive {
                path: self.file.to_path_buf(),
                reason: format!("{what} is truncated"),
            });
        }
        Ok(buf)
    }
}

/// Streams blobs by digest from somewhere other than a local file (a registry). The stream
/// must be the blob's stored bytes; implementations verify the digest while streaming and fail
/// the read on a mismatch.
pub trait BlobFetcher: Send + Sync + std::fmt::Debug {
    fn open_blob(&self, digest: &str, size: u64) -> std::io::Result<Box<dyn Read + Send>>;
}

/// Where a layer's bytes come from.
#[derive(Debug, Clone)]
pub(crate) enum Blob {
    Local(BlobRef),
    Remote {
        fetcher: Arc<dyn BlobFetcher>,
        digest: String,
        size: u64,
    },
}

impl Blob {
    pub(crate) fn open(&self) -> Result<Box<dyn Read + Send>> {
        match self {
            Blob::Local(b) => Ok(Box::new(b.open()?)),
            Blob::Remote {
                fetcher,
                digest,
                size,
            } => fetcher
                .open_blob(digest, *size)
                .map_err(|e| ImageError::Io {
                    path: PathBuf::from(digest),
                    source: e,
                }),
        }
    }
}

/// One layer of the selected image, bottom first.
#[derive(Debug, Clone)]
pub struct Layer {
    pub index: usize,
    /// `sha256:` of the uncompressed tar, from the image config.
    pub diff_id: String,
    /// Digest of the blob as stored (compressed), when the format names it.
    pub digest: Option<String>,
    pub media_type: Option<String>,
    /// Stored (possibly compressed) size in bytes.
    pub size: u64,
    /// `created_by` of the history entry that made this layer.
    pub created_by: Option<String>,
    pub(crate) blob: Blob,
}

/// An opened image: its metadata plus handles to stream each layer.
#[derive(Debug)]
pub struct Image {
    /// The path or reference the image was opened from.
    pub source: String,
    pub format: Format,
    pub repo_tags: Vec<String>,
    /// Digest of the selected manifest (OCI formats).
    pub manifest_digest: Option<String>,
    /// Image ID: `sha256:` of the config JSON (none for a rootfs archive).
    pub image_id: Option<String>,
    pub config: ImageConfig,
    /// The config document as published (for checks on fields [`ImageConfig`] does not model,
    /// such as `config.Healthcheck`); `Null` for a rootfs tarball.
    pub config_json: serde_json::Value,
    pub layers: Vec<Layer>,
    /// Keeps a decompressed copy of a compressed archive alive while the image is in use.
    _temp: Option<tempfile::TempDir>,
}

/// Index of a tar file's entries: normalised name → data range; symlinks kept for resolution.
struct TarIndex {
    path: Arc<PathBuf>,
    files: HashMap<String, (u64, u64)>,
    links: HashMap<String, String>,
}

impl TarIndex {
    fn build(path: &Path) -> Result<TarIndex> {
        let file = File::open(path).map_err(io(path))?;
        let file_len = file.metadata().map_err(io(path))?.len();
        let malformed = |reason: String| ImageError::MalformedArchive {
            path: path.to_path_buf(),
            reason,
        };
        let mut archive = tar::Archive::new(file);
        let mut files = HashMap::new();
        let mut links = HashMap::new();
        let entries = archive
            .entries_with_seek()
            .map_err(|e| malformed(e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| malformed(e.to_string()))?;
            let (name, _) = ImagePath::from_bytes(&entry.path_bytes());
            let kind = entry.header().entry_type();
            if kind.is_file() {
                let off = entry.raw_file_position();
                let size = entry.size();
                if off.saturating_add(size) > file_len {
                    return Err(malformed(format!("entry {name} is truncated")));
                }
                files.insert(name.as_str().to_string(), (off, size));
            } else if (kind.is_symlink() || kind.is_hard_link())
                && let Some(target) = entry.link_name_bytes()
            {
                let target = String::from_utf8_lossy(&target).to_string();
                let resolved = if kind.is_symlink() {
                    name.resolve_link(&target)
                } else {
                    ImagePath::new(&target)
                };
                links.insert(name.as_str().to_string(), resolved.as_str().to_string());
            }
        }
        Ok(TarIndex {
            path: Arc::new(path.to_path_buf()),
            files,
            links,
        })
    }

    fn lookup(&self, name: &str) -> Option<BlobRef> {
        let mut name = ImagePath::new(name).as_str().to_string();
        for _ in 0..16 {
            if let Some(&(offset, len)) = self.files.get(&name) {
                return Some(BlobRef {
                    file: self.path.clone(),
                    offset,
                    len,
                });
            }
            name = self.links.get(&name)?.clone();
        }
        None
    }

    fn has(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }
}

/// Where named files of an image (layout) are read from.
enum Store {
    Dir(PathBuf),
    Tar(TarIndex),
}

impl Store {
    fn get(&self, name: &str) -> Result<BlobRef> {
        match self {
            Store::Dir(root) => {
                let rel = ImagePath::new(name);
                let p = root.join(rel.as_str());
                let meta =
                    std::fs::metadata(&p).map_err(|_| ImageError::MissingBlob(name.into()))?;
                if !meta.is_file() {
                    return Err(ImageError::MissingBlob(name.into()));
                }
                // a blob that is a symlink must still resolve inside the layout directory
                let canon = p.canonicalize().map_err(io(&p))?;
                let root_canon = root.canonicalize().map_err(io(root))?;
                if !canon.starts_with(&root_canon) {
                    return Err(ImageError::NotAnImage {
                        path: root.clone(),
                        reason: format!("{name} points outside the layout directory"),
                    });
                }
                Ok(BlobRef {
                    file: Arc::new(canon),
                    offset: 0,
                    len: meta.len(),
                })
            }
            Store::Tar(idx) => idx
                .lookup(name)
                .ok_or_else(|| ImageError::MissingBlob(name.into())),
        }
    }

    fn blob(&self, digest: &str) -> Result<BlobRef> {
        let hex = digest_hex(digest)?;
        self.get(&format!("blobs/sha256/{hex}"))
    }

    /// A small JSON blob, verified against its digest.
    fn verified_json(&self, digest: &str) -> Result<Vec<u8>> {
        let bytes = self.blob(digest)?.read_all(digest)?;
        let actual = sha256_hex(&bytes);
        if format!("sha256:{actual}") != digest {
            return Err(ImageError::DigestMismatch {
                digest: digest.into(),
                actual: format!("sha256:{actual}"),
            });
        }
        Ok(bytes)
    }
}

/// Validate `sha256:<64 lowercase hex>` and return the hex part.
pub fn digest_hex(digest: &str) -> Result<&str> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| ImageError::BadDigest(digest.into()))?;
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ImageError::BadDigest(digest.into()));
    }
    Ok(hex)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn parse_json<'a, T: Deserialize<'a>>(what: &str, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::InvalidJson {
        what: what.into(),
        reason: e.to_string(),
    })
}

#[derive(Deserialize)]
struct DockerManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Deserialize, Clone)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<DescPlatform>,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize, Clone)]
struct DescPlatform {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct IndexOrManifest {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// Magic-byte sniffing of a stream's compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if head.starts_with(b"BZh") || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            None // bzip2 / xz: not used by OCI; refused with a clear error
        } else {
            Some(Compression::None)
        }
    }

    /// Wrap a reader in the matching decompressor.
    pub fn reader<'a, R: Read + 'a>(self, r: R) -> std::io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
                BufReader::with_capacity(256 << 10, r),
            )),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
        })
    }
}

fn read_head(path: &Path) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(io(path))?;
    let mut head = vec![0u8; 512];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..]).map_err(io(path))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    head.truncate(n);
    Ok(head)
}

/// Is this entry clearly part of a root filesystem (never found in an image archive)?
fn is_rootfs_name(name: &str) -> bool {
    let first = name.split('/').next().unwrap_or("");
    matches!(
        first,
        "bin" | "etc" | "usr" | "lib" | "lib64" | "sbin" | "var" | "opt" | "root" | "home" | "srv"
    )
}

/// Copies everything read through it to `out`, up to a limit.
struct Tee<R, W> {
    inner: R,
    out: W,
    written: u64,
    limit: u64,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.written += n as u64;
        if self.written > self.limit {
            return Err(std::io::Error::other(
                "decompressed archive exceeds the size limit",
            ));
        }
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

enum Sniffed {
    /// An image archive (tar), possibly a decompressed temp copy.
    Archive(PathBuf, Option<tempfile::TempDir>),
    Rootfs,
}

/// Look through a (maybe compressed) tar: a compressed one is decompressed to a private temp
/// file, unless an entry shows early that it is a root filesystem tarball.
fn sniff_archive(path: &Path, comp: Compression, opts: &OpenOptions) -> Result<Sniffed> {
    let malformed = |reason: String| ImageError::MalformedArchive {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(io(path))?;
    if comp == Compression::None {
        // headers only (data is skipped with seeks); nothing is stored
        let mut archive = tar::Archive::new(file);
        let mut any = false;
        for entry in archive
            .entries_with_seek()
            .map_err(|e| malformed(e.to_string()))?
        {
            let entry = entry.map_err(|e| malformed(e.to_string()))?;
            let (name, _) = ImagePath::from_bytes(&entry.path_bytes());
            if matches!(name.as_str(), "manifest.json" | "index.json") {
                return Ok(Sniffed::Archive(path.to_path_buf(), None));
            }
            any = true;
        }
        return if any {
            Ok(Sniffed::Rootfs)
        } else {
            Err(ImageError::NotAnImage {
                path: path.to_path_buf(),
                reason: "archive holds no files".into(),
            })
        };
    }
    let tmp = match &opts.temp_dir {
        Some(d) => tempfile::Builder::new().prefix("drydock-").tempdir_in(d),
        None => tempfile::Builder::new().prefix("drydock-").tempdir(),
    }
    .map_err(io(opts.temp_dir.clone().unwrap_or_else(std::env::temp_dir)))?;
    let out_path = tmp.path().join("archive.tar");
    let out = std::io::BufWriter::new(File::create(&out_path).map_err(io(&out_path))?);
    let reader = comp.reader(file).map_err(io(path))?;
    let mut tee = Tee {
        inner: reader,
        out,
        written: 0,
        limit: opts.max_archive_size,
    };
    {
        let mut archive = tar::Archive::new(&mut tee);
        for entry in archive.entries().map_err(|e| malformed(e.to_string()))? {
            let entry = entry.map_err(|e| malformed(e.to_string()))?;
            let (name, _) = ImagePath::from_bytes(&entry.path_bytes());
            if is_rootfs_name(name.as_str()) {
                return Ok(Sniffed::Rootfs);
            }
        }
    }
    // drain trailing padding so the copy is a complete tar
    std::io::copy(&mut tee, &mut std::io::sink()).map_err(|e| malformed(e.to_string()))?;
    tee.out.flush().map_err(io(&out_path))?;
    Ok(Sniffed::Archive(out_path, Some(tmp)))
}

impl Image {
    /// Open an image from a path: a directory (OCI layout) or a file (docker-archive, OCI
    /// archive, or rootfs tarball; plain, gzip or zstd), detected by content.
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<Image> {
        let meta = std::fs::metadata(path).map_err(io(path))?;
        if meta.is_dir() {
            if !path.join("index.json").is_file() {
                return Err(ImageError::NotAnImage {
                    path: path.into(),
                    reason: "directory has no index.json (not an OCI image layout)".into(),
                });
            }
            return Self::open_oci(
                path,
                Store::Dir(path.to_path_buf()),
                Format::OciLayout,
                opts,
                None,
            );
        }
        let head = read_head(path)?;
        if head.is_empty() {
            return Err(ImageError::NotAnImage {
                path: path.into(),
                reason: "file is empty".into(),
            });
        }
        let comp = Compression::sniff(&head).ok_or_else(|| ImageError::NotAnImage {
            path: path.into(),
            reason: "unsupported compression (bzip2/xz); use gzip, zstd or plain tar".into(),
        })?;
        match sniff_archive(path, comp, opts)? {
            Sniffed::Rootfs => Self::open_rootfs(path, meta.len()),
            Sniffed::Archive(tar_path, temp) => {
                let index = TarIndex::build(&tar_path)?;
                if index.has("manifest.json") {
                    Self::open_docker(path, index, opts, temp)
                } else if index.has("index.json") {
                    Self::open_oci(path, Store::Tar(index), Format::OciArchive, opts, temp)
                } else if index.files.is_empty() && index.links.is_empty() {
                    Err(ImageError::NotAnImage {
                        path: path.into(),
                        reason: "archive holds no files".into(),
                    })
                } else {
                    // neither manifest.json (docker-archive) nor index.json (OCI): a rootfs
                    Self::open_rootfs(path, meta.len())
                }
            }
        }
    }

    fn open_rootfs(path: &Path, len: u64) -> Result<Image> {
        let blob = BlobRef {
            file: Arc::new(path.to_path_buf()),
            offset: 0,
            len,
        };
        Ok(Image {
            source: path.display().to_string(),
            format: Format::RootfsArchive,
            repo_tags: vec![],
            manifest_digest: None,
            image_id: None,
            config: ImageConfig::default(),
            config_json: serde_json::Value::Null,
            layers: vec![Layer {
                index: 0,
                // unknown until the layer is read; filled in by the analysis
                diff_id: String::new(),
                digest: None,
                media_type: None,
                size: len,
                created_by: None,
                blob: Blob::Local(blob),
            }],
            _temp: None,
        })
    }

    fn open_docker(
        path: &Path,
        index: TarIndex,
        opts: &OpenOptions,
        temp: Option<tempfile::TempDir>,
    ) -> Result<Image> {
        let store = Store::Tar(index);
        let manifest = store.get("manifest.json")?.read_all("manifest.json")?;
        let entries: Vec<DockerManifestEntry> = parse_json("manifest.json", &manifest)?;
        if entries.is_empty() {
            return Err(ImageError::NotAnImage {
                path: path.into(),
                reason: "manifest.json lists no image".into(),
            });
        }
        let mut seen = Vec::new();
        let mut chosen = None;
        for e in &entries {
            let cfg_bytes = store.get(&e.config)?.read_all(&e.config)?;
            let config: ImageConfig = parse_json(&e.config, &cfg_bytes)?;
            let ok = config.os.is_empty()
                || opts.platform.as_ref().is_none_or(|p| {
                    p.matches(&config.os, &config.architecture, config.variant.as_deref())
                });
            if ok {
                chosen = Some((e, cfg_bytes, config));
                break;
            }
            seen.push(config.platform());
        }
        let Some((entry, cfg_bytes, config)) = chosen else {
            return Err(ImageError::PlatformNotFound {
                wanted: opts.platform.clone().unwrap_or_default().to_string(),
                available: seen,
            });
        };
        let image_id = format!("sha256:{}", sha256_hex(&cfg_bytes));
        if entry.layers.len() != config.rootfs.diff_ids.len() {
            return Err(ImageError::LayerCountMismatch {
                layers: entry.layers.len(),
                diff_ids: config.rootfs.diff_ids.len(),
            });
        }
        let history = config.layer_history();
        let mut layers = Vec::new();
        for (i, name) in entry.layers.iter().enumerate() {
            let blob = store.get(name)?;
            let digest = name
                .strip_prefix("blobs/sha256/")
                .map(|h| format!("sha256:{h}"))
                .filter(|d| digest_hex(d).is_ok());
            layers.push(Layer {
                index: i,
                diff_id: config.rootfs.diff_ids[i].clone(),
                digest,
                media_type: None,
                size: blob.len,
                created_by: history.get(i).cloned().flatten(),
                blob: Blob::Local(blob),
            });
        }
        Ok(Image {
            source: path.display().to_string(),
            format: Format::DockerArchive,
            repo_tags: entry.repo_tags.clone().unwrap_or_default(),
            manifest_digest: None,
            image_id: Some(image_id),
            config_json: serde_json::from_slice(&cfg_bytes).unwrap_or_default(),
            config,
            layers,
            _temp: temp,
        })
    }

    fn open_oci(
        path: &Path,
        store: Store,
        format: Format,
        opts: &OpenOptions,
        temp: Option<tempfile::TempDir>,
    ) -> Result<Image> {
        let index_bytes = store.get("index.json")?.read_all("index.json")?;
        let index: IndexOrManifest = parse_json("index.json", &index_bytes)?;
        let mut available = Vec::new();
        let mut repo_tags = Vec::new();
        let wanted = opts.platform.clone().unwrap_or_default();
        let mut found =
            select_manifest(&store, &index, &wanted, &mut available, &mut repo_tags, 0)?;
        if found.is_none() && opts.platform.is_none() && available.len() == 1 {
            // no platform asked for and only one on offer: take it
            let only: Platform =
                available[0]
                    .parse()
                    .map_err(|e: String| ImageError::InvalidJson {
                        what: "image index".into(),
                        reason: e,
                    })?;
            available.clear();
            repo_tags.clear();
            found = select_manifest(&store, &index, &only, &mut available, &mut repo_tags, 0)?;
        }
        let desc = found.ok_or_else(|| ImageError::PlatformNotFound {
            wanted: wanted.to_string(),
            available,
        })?;
        let (manifest_digest, manifest) = desc;
        let config_desc = manifest.config.ok_or_else(|| ImageError::InvalidJson {
            what: format!("manifest {manifest_digest}"),
            reason: "no config descriptor".into(),
        })?;
        let cfg_bytes = store.verified_json(&config_desc.digest)?;
        let config: ImageConfig = parse_json(&config_desc.digest, &cfg_bytes)?;
        let layer_descs = manifest.layers.unwrap_or_default();
        if layer_descs.len() != config.rootfs.diff_ids.len() {
            return Err(ImageError::LayerCountMismatch {
                layers: layer_descs.len(),
                diff_ids: config.rootfs.diff_ids.len(),
            });
        }
        let history = config.layer_history();
        let mut layers = Vec::new();
        for (i, d) in layer_descs.iter().enumerate() {
            let blob = store.blob(&d.digest)?;
            if d.size != 0 && d.size != blob.len {
                return Err(ImageError::Layer {
                    index: i,
                    diff_id: config.rootfs.diff_ids[i].clone(),
                    reason: format!("blob is {} bytes, the manifest says {}", blob.len, d.size),
                });
            }
            layers.push(Layer {
                index: i,
                diff_id: config.rootfs.diff_ids[i].clone(),
                digest: Some(d.digest.clone()),
                media_type: Some(d.media_type.clone()),
                size: blob.len,
                created_by: history.get(i).cloned().flatten(),
                blob: Blob::Local(blob),
            });
        }
        Ok(Image {
            source: path.display().to_string(),
            format,
            repo_tags,
            manifest_digest: Some(manifest_digest),
            image_id: Some(config_desc.digest.clone()),
            config_json: serde_json::from_slice(&cfg_bytes).unwrap_or_default(),
            config,
            layers,
            _temp: temp,
        })
    }
}

impl Image {
    /// An image whose manifest and config were fetched from a registry (by the caller, who
    /// resolved tag → index → platform manifest); layers are streamed through `fetcher`.
    /// The config is verified against the manifest's config digest.
    pub fn from_manifest(
        reference: &str,
        repo_tags: Vec<String>,
        manifest_digest: &str,
        manifest: &[u8],
        config: &[u8],
        fetcher: Arc<dyn BlobFetcher>,
    ) -> Result<Image> {
        let doc: IndexOrManifest = parse_json("manifest", manifest)?;
        let config_desc = doc.config.ok_or_else(|| ImageError::InvalidJson {
            what: format!("manifest {manifest_digest}"),
            reason: "no config descriptor (an index? pick a platform manifest first)".into(),
        })?;
        let actual = format!("sha256:{}", sha256_hex(config));
        if actual != config_desc.digest {
            return Err(ImageError::DigestMismatch {
                digest: config_desc.digest,
                actual,
            });
        }
        let cfg: ImageConfig = parse_json(&config_desc.digest, config)?;
        let descs = doc.layers.unwrap_or_default();
        if descs.len() != cfg.rootfs.diff_ids.len() {
            return Err(ImageError::LayerCountMismatch {
                layers: descs.len(),
                diff_ids: cfg.rootfs.diff_ids.len(),
            });
        }
        let history = cfg.layer_history();
        let mut layers = Vec::new();
        for (i, d) in descs.iter().enumerate() {
            digest_hex(&d.digest)?;
            layers.push(Layer {
                index: i,
                diff_id: cfg.rootfs.diff_ids[i].clone(),
                digest: Some(d.digest.clone()),
                media_type: Some(d.media_type.clone()),
                size: d.size,
                created_by: history.get(i).cloned().flatten(),
                blob: Blob::Remote {
                    fetcher: fetcher.clone(),
                    digest: d.digest.clone(),
                    size: d.size,
                },
            });
        }
        Ok(Image {
            source: reference.to_string(),
            format: Format::Registry,
            repo_tags,
            manifest_digest: Some(manifest_digest.to_string()),
            image_id: Some(config_desc.digest),
            config_json: serde_json::from_slice(config).unwrap_or_default(),
            config: cfg,
            layers,
            _temp: None,
        })
    }
}

fn is_index_media(m: &str) -> bool {
    m == MEDIA_OCI_INDEX || m == MEDIA_DOCKER_LIST
}

/// Walk an index (recursively) and pick the manifest for `platform`.
fn select_manifest(
    store: &Store,
    index: &IndexOrManifest,
    platform: &Platform,
    available: &mut Vec<String>,
    repo_tags: &mut Vec<String>,
    depth: usize,
) -> Result<Option<(String, IndexOrManifest)>> {
    if depth > 4 {
        return Err(ImageError::InvalidJson {
            what: "image index".into(),
            reason: "indexes nested too deeply".into(),
        });
    }
    for d in index.manifests.as_deref().unwrap_or_default() {
        if let Some(name) = d.annotations.get("io.containerd.image.name") {
            repo_tags.push(name.clone());
        } else if let Some(tag) = d.annotations.get("org.opencontainers.image.ref.name") {
            repo_tags.push(tag.clone());
        }
        if d.size > MAX_JSON {
            return Err(ImageError::TooLarge {
                what: format!("descriptor {}", d.digest),
                limit: MAX_JSON,
            });
        }
        let bytes = store.verified_json(&d.digest)?;
        let doc: IndexOrManifest = parse_json(&d.digest, &bytes)?;
        let media = if d.media_type.is_empty() {
            doc.media_type.clone().unwrap_or_default()
        } else {
            d.media_type.clone()
        };
        if is_index_media(&media) || (doc.manifests.is_some() && doc.config.is_none()) {
            if let Some(found) =
                select_manifest(store, &doc, platform, available, repo_tags, depth + 1)?
            {
                return Ok(Some(found));
            }
            continue;
        }
        // platform from the descriptor, else from the config
        let plat = match &d.platform {
            Some(p) => Some((p.os.clone(), p.architecture.clone(), p.variant.clone())),
            None => match &doc.config {
                Some(c) => {
                    let cfg: ImageConfig = parse_json(&c.digest, &store.verified_json(&c.digest)?)?;
                    Some((cfg.os, cfg.architecture, cfg.variant))
                }
                None => None,
            },
        };
        let Some((os, arch, variant)) = plat else {
            continue;
        };
        if os == "unknown" {
            continue; // attestation manifests
        }
        if platform.matches(&os, &arch, variant.as_deref()) {
            return Ok(Some((d.digest.clone(), doc)));
        }
        let mut p = format!("{os}/{arch}");
        if let Some(v) = variant {
            p.push('/');
            p.push_str(&v);
        }
        available.push(p);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_validated_before_use_as_paths() {
        assert!(digest_hex("sha256:../../etc/passwd").is_err());
        assert!(digest_hex(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(digest_hex(&format!("sha512:{}", "a".repeat(64))).is_err());
        assert!(digest_hex(&format!("sha256:{}", "a".repeat(64))).is_ok());
    }

    #[test]
    fn platform_parsing_and_matching() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert!(p.matches("linux", "arm64", None));
        assert!(p.matches("linux", "aarch64", Some("v8")));
        assert!(!p.matches("linux", "amd64", None));
        assert!("linux".parse::<Platform>().is_err());
        let d = Platform::default();
        assert!(d.matches("linux", "amd64", None));
    }
}
