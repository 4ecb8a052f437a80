//! Hostile inputs: tar layers and images that try to escape the extraction root, loop, lie
//! about sizes, explode on decompression, or are not what they claim.
//!
//! Layer builders return uncompressed tar bytes (wrap them in an image with the writers of
//! [`crate::image`]); image builders write a file or directory. Every builder documents the
//! exact entries it writes, so a test can assert on each.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use flate2::{Compress, Crc, FlushCompress, Status};
use serde_json::json;
use sha2::{Digest, Sha256};
use tar::EntryType;

use crate::image::{
    ImageConfig, ImageDigests, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, sha256_digest, staging_dir,
    tar_dir_to_file,
};
use crate::layer::{Entry, layer_tar, write_entries};
use crate::tarw::{BLOCK, TarWriter, header};

/// `../../escape`, `a/../../../escape2` (after a legitimate `a/`), `./../escape3` and
/// `etc/../../escape4`: regular files whose names climb out of the root.
pub fn path_traversal() -> Vec<u8> {
    layer_tar(&[
        Entry::file("../../escape", "escaped\n"),
        Entry::dir("a"),
        Entry::file("a/../../../escape2", "escaped\n"),
        Entry::file("./../escape3", "escaped\n"),
        Entry::file("etc/../../escape4", "escaped\n"),
        Entry::file("etc/hostname", "legit\n"),
    ])
}

/// `/etc/evil` (file), `/tmp/drydock-evil/` (directory) and `/tmp/drydock-evil/payload`:
/// absolute names; followed by a legitimate `etc/hostname`.
pub fn absolute_paths() -> Vec<u8> {
    layer_tar(&[
        Entry::file("/etc/evil", "evil\n"),
        Entry::dir("/tmp/drydock-evil"),
        Entry::file("/tmp/drydock-evil/payload", "evil\n"),
        Entry::file("etc/hostname", "legit\n"),
    ])
}

/// Writes through symlinks: `etc/` (dir), `etc/shadow -> /etc/shadow` (symlink) then a
/// regular file `etc/shadow` ("pwned"), and `escape -> /etc` (symlink to a directory) then
/// `escape/evil.conf`, and `up -> ../..` then `up/evil2`.
pub fn symlink_write_through() -> Vec<u8> {
    layer_tar(&[
        Entry::dir("etc"),
        Entry::symlink("etc/shadow", "/etc/shadow"),
        Entry::file("etc/shadow", "root:pwned:0:0:99999:7:::\n"),
        Entry::symlink("escape", "/etc"),
        Entry::file("escape/evil.conf", "evil\n"),
        Entry::symlink("up", "../.."),
        Entry::file("up/evil2", "evil\n"),
    ])
}

/// Symlink loops: `loop/a -> b`, `loop/b -> a`, `loop/self -> self`, and wanted paths behind
/// them: `etc/os-release -> ../loop/a` and `lib/apk/db/installed -> ../../../loop/a/installed`
/// (a scanner looking for the OS release or the apk database must not hang).
pub fn symlink_loop() -> Vec<u8> {
    layer_tar(&[
        Entry::dir("loop"),
        Entry::symlink("loop/a", "b"),
        Entry::symlink("loop/b", "a"),
        Entry::symlink("loop/self", "self"),
        Entry::dir("etc"),
        Entry::symlink("etc/os-release", "../loop/a"),
        Entry::dir("lib"),
        Entry::dir("lib/apk"),
        Entry::dir("lib/apk/db"),
        Entry::symlink("lib/apk/db/installed", "../../../loop/a/installed"),
    ])
}

/// Hardlinks out of the root: `etc/passwd-link` => `/etc/passwd`, `outside` =>
/// `../../outside`, `dangling` => `missing/target` (no such entry), and a legitimate pair
/// `usr/bin/real` + `usr/bin/alias` => `usr/bin/real`.
pub fn hardlink_escapes() -> Vec<u8> {
    layer_tar(&[
        Entry::dir("etc"),
        Entry::hardlink("etc/passwd-link", "/etc/passwd"),
        Entry::hardlink("outside", "../../outside"),
        Entry::hardlink("dangling", "missing/target"),
        Entry::dir("usr"),
        Entry::dir("usr/bin"),
        Entry::executable("usr/bin/real", "#!/bin/sh\n"),
        Entry::hardlink("usr/bin/alias", "usr/bin/real"),
    ])
}

/// Device nodes and fifos: `dev/null` (char 1:3), `dev/zero` (char 1:5), `dev/sda` (block
/// 8:0), `dev/kmem` (char 1:2), `run/fifo` (fifo), plus `etc/hostname`.
pub fn device_nodes() -> Vec<u8> {
    layer_tar(&[
        Entry::dir("dev"),
        Entry::char_device("dev/null", 1, 3),
        Entry::char_device("dev/zero", 1, 5),
        Entry::block_device("dev/sda", 8, 0),
        Entry::char_device("dev/kmem", 1, 2),
        Entry::dir("run"),
        Entry::fifo("run/fifo"),
        Entry::file("etc/hostname", "legit\n"),
    ])
}

/// A GNU sparse entry (old GNU format, type `S`) `sparse.bin` whose real size is
/// `claimed_size` (e.g. 10 GiB) but which stores only 1 KiB: a 512-byte chunk of `A`s at
/// offset 0 and one of `Z`s at `claimed_size - 512`. `tar -tvf` lists it with the claimed
/// size; extracting it naively writes a `claimed_size` file. Followed by `etc/hostname`.
///
/// # Panics
/// If `claimed_size < 1024`.
pub fn gnu_sparse(claimed_size: u64) -> Vec<u8> {
    assert!(claimed_size >= 1024, "claimed_size must be at least 1024");
    let mut data = vec![b'A'; 512];
    data.extend_from_slice(&[b'Z'; 512]);
    let mut h = header(EntryType::GNUSparse, 0o644, data.len() as u64);
    {
        let gnu = h.as_gnu_mut().expect("GNU header");
        gnu.set_real_size(claimed_size);
        gnu.sparse[0].set_offset(0);
        gnu.sparse[0].set_length(512);
        gnu.sparse[1].set_offset(claimed_size - 512);
        gnu.sparse[1].set_length(512);
        gnu.set_is_extended(false);
    }
    let mut tw = TarWriter::new(Vec::new());
    tw.append_bytes(&h, b"sparse.bin", None, &data)
        .expect("memory");
    write_entries(&mut tw, &[Entry::file("etc/hostname", "legit\n")]).expect("memory");
    tw.finish().expect("memory")
}

/// One PAX extended-header record (`"<len> key=value\n"`, where len counts itself).
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

/// PAX overrides: a `x` header with `path=../../pax-escape` before a ustar entry named
/// `benign.txt` (a reader that ignores PAX sees a harmless name), and a `x` header with
/// `linkpath=/etc/shadow` before a symlink `benign-link -> benign.txt`.
pub fn pax_path_traversal() -> Vec<u8> {
    let mut tw = TarWriter::new(Vec::new());
    let rec = pax_record("path", "../../pax-escape");
    let h = header(EntryType::XHeader, 0o644, rec.len() as u64);
    tw.append_bytes(&h, b"PaxHeaders/benign.txt", None, &rec)
        .expect("memory");
    let data = b"escaped through PAX\n";
    let h = header(EntryType::Regular, 0o644, data.len() as u64);
    tw.append_bytes(&h, b"benign.txt", None, data)
        .expect("memory");
    let rec = pax_record("linkpath", "/etc/shadow");
    let h = header(EntryType::XHeader, 0o644, rec.len() as u64);
    tw.append_bytes(&h, b"PaxHeaders/benign-link", None, &rec)
        .expect("memory");
    let h = header(EntryType::Symlink, 0o777, 0);
    tw.append_bytes(&h, b"benign-link", Some(b"benign.txt"), &[])
        .expect("memory");
    tw.finish().expect("memory")
}

/// A GNU long name (`././@LongLink`, 200+ bytes) that ends in a traversal:
/// `aaaa…/../../../../long-escape` (the 100-byte header field holds only the harmless start).
pub fn long_name_traversal() -> Vec<u8> {
    let name = format!("{}/../../../../long-escape", "a".repeat(150));
    layer_tar(&[Entry::file(name, "escaped\n")])
}

/// A tar whose only entry `big.bin` declares `claimed_size` bytes but is followed by just
/// 512 bytes and no end-of-archive marker (a truncated layer).
pub fn truncated_tar(claimed_size: u64) -> Vec<u8> {
    let mut tw = TarWriter::new(Vec::new());
    let h = header(EntryType::Regular, 0o644, claimed_size);
    tw.append_bytes(&h, b"big.bin", None, &[b'x'; BLOCK])
        .expect("memory");
    tw.into_inner_unterminated().expect("memory")
}

/// A small layer (`etc/os-release`, `etc/hostname`, 64 KiB `usr/lib/libfoo.so`) gzipped,
/// then cut to half its length: a valid gzip header, a deflate stream that stops, no
/// trailer.
pub fn truncated_gzip() -> Vec<u8> {
    let noise: Vec<u8> = (0u32..65536)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let layer = layer_tar(&[
        Entry::dir("etc"),
        Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
        Entry::file("etc/hostname", "truncated\n"),
        Entry::dir("usr"),
        Entry::dir("usr/lib"),
        Entry::file("usr/lib/libfoo.so", noise),
    ]);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&layer).expect("memory");
    let gz = enc.finish().expect("memory");
    gz[..gz.len() / 2].to_vec()
}

/// Deflates `input` with `flush`, appending to `out`.
fn deflate(c: &mut Compress, mut input: &[u8], flush: FlushCompress, out: &mut Vec<u8>) {
    loop {
        out.reserve(64 * 1024);
        let before_in = c.total_in();
        let before_out = c.total_out();
        let status = c.compress_vec(input, out, flush).expect("deflate");
        input = &input[(c.total_in() - before_in) as usize..];
        let produced = c.total_out() - before_out;
        match (status, flush) {
            (Status::StreamEnd, _) => return,
            (_, FlushCompress::Finish) => continue,
            _ if input.is_empty() && (produced == 0 || out.len() < out.capacity()) => return,
            _ => {}
        }
    }
}

/// Size of the uncompressed tar of [`gzip_bomb`] for a file of `file_size` bytes.
pub fn gzip_bomb_tar_size(file_size: u64) -> u64 {
    BLOCK as u64 + file_size.div_ceil(BLOCK as u64) * BLOCK as u64 + 2 * BLOCK as u64
}

fn bomb_tar_header(file_size: u64) -> [u8; BLOCK] {
    bomb_tar_header_named(b"zeros.bin", file_size)
}

fn bomb_tar_header_named(name: &[u8], file_size: u64) -> [u8; BLOCK] {
    let mut h = header(EntryType::Regular, 0o644, file_size);
    assert!(
        name.len() < 100,
        "bomb file name must fit the old tar header"
    );
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    *h.as_bytes()
}

/// Writes to `out` a gzip decompression bomb: a valid `.tar.gz` layer holding one file
/// `zeros.bin` of `file_size` zero bytes (the uncompressed tar is
/// [`gzip_bomb_tar_size`]`(file_size)` bytes). Deflate cannot beat ~1:1030, so 20 GB gives
/// ~20 MB of gzip — but the stream is generated, not compressed: one compressed 1 MiB run
/// of zeros is repeated (valid because the window before it is always zeros) and the CRC is
/// combined arithmetically, so even 20 GB takes well under a second. The stream passes
/// `gzip -t`. Returns the compressed size.
///
/// # Panics
/// On I/O errors.
pub fn gzip_bomb(out: &Path, file_size: u64) -> u64 {
    gzip_bomb_named(out, "zeros.bin", file_size)
}

/// [`gzip_bomb`] with the file at `name` (a relative path under 100 bytes), e.g. a 1 GB
/// single-line `app/node_modules/huge/package.json`.
///
/// # Panics
/// On I/O errors, or a name of 100 bytes or more.
pub fn gzip_bomb_named(out: &Path, name: &str, file_size: u64) -> u64 {
    const CHUNK: usize = 1 << 20;
    let zeros = vec![0u8; CHUNK];
    let total = gzip_bomb_tar_size(file_size);
    let head = bomb_tar_header_named(name.as_bytes(), file_size);
    let mut c = Compress::new(flate2::Compression::best(), false);
    let mut crc = Crc::new();
    let mut w = BufWriter::new(
        File::create(out).unwrap_or_else(|e| panic!("creating {}: {e}", out.display())),
    );
    let mut buf = Vec::new();
    // gzip header: deflate, no flags, mtime 0, no extra flags, OS unknown.
    buf.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut remaining = total - BLOCK as u64;
    deflate(&mut c, &head, FlushCompress::None, &mut buf);
    crc.update(&head);
    if remaining >= 2 * CHUNK as u64 {
        // The first run leaves a window of zeros behind it…
        deflate(&mut c, &zeros, FlushCompress::Sync, &mut buf);
        crc.update(&zeros);
        remaining -= CHUNK as u64;
        w.write_all(&buf).expect("write");
        // …so the compressed form of the next run can be repeated as often as needed.
        let mut run = Vec::new();
        deflate(&mut c, &zeros, FlushCompress::Sync, &mut run);
        let mut run_crc = Crc::new();
        run_crc.update(&zeros);
        let runs = remaining / CHUNK as u64;
        for _ in 0..runs {
            w.write_all(&run).expect("write");
            crc.combine(&run_crc);
        }
        remaining -= runs * CHUNK as u64;
        buf.clear();
    }
    while remaining > 0 {
        let n = remaining.min(CHUNK as u64) as usize;
        deflate(&mut c, &zeros[..n], FlushCompress::None, &mut buf);
        crc.update(&zeros[..n]);
        remaining -= n as u64;
    }
    deflate(&mut c, &[], FlushCompress::Finish, &mut buf);
    buf.extend_from_slice(&crc.sum().to_le_bytes());
    buf.extend_from_slice(&(total as u32).to_le_bytes());
    w.write_all(&buf).expect("write");
    w.flush().expect("flush");
    drop(w);
    fs::metadata(out).expect("metadata").len()
}

/// The diffID (sha256 of the uncompressed tar) of [`gzip_bomb`]`(_, file_size)`, computed by
/// hashing the zeros (about 1 s per GB).
pub fn gzip_bomb_diff_id(file_size: u64) -> String {
    let mut h = Sha256::new();
    h.update(bomb_tar_header(file_size));
    let zeros = vec![0u8; 1 << 20];
    let mut remaining = gzip_bomb_tar_size(file_size) - BLOCK as u64;
    while remaining > 0 {
        let n = remaining.min(zeros.len() as u64) as usize;
        h.update(&zeros[..n]);
        remaining -= n as u64;
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Writes an OCI layout into `dir` whose single layer is the blob file `blob` used
/// verbatim, declared with `media_type` and `diff_id` (which are not checked: pass wrong ones
/// on purpose, or the right ones for a valid image around a hostile blob).
///
/// # Panics
/// On I/O errors.
pub fn oci_layout_from_blob(
    dir: &Path,
    blob: &Path,
    media_type: &str,
    diff_id: &str,
    cfg: &ImageConfig,
) -> ImageDigests {
    (|| {
        let blobs = dir.join("blobs/sha256");
        fs::create_dir_all(&blobs)?;
        let digest = crate::image::sha256_file_digest(blob);
        let size = fs::metadata(blob)?.len();
        let dest = blobs.join(&digest["sha256:".len()..]);
        if dest != blob {
            fs::copy(blob, &dest)?;
        }
        let diff_ids = vec![diff_id.to_string()];
        let config = serde_json::to_vec(&cfg.to_json(&diff_ids)).expect("JSON");
        let config_digest = sha256_digest(&config);
        fs::write(blobs.join(&config_digest["sha256:".len()..]), &config)?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": media_type, "digest": digest, "size": size}],
        }))
        .expect("JSON");
        let manifest_digest = sha256_digest(&manifest);
        fs::write(blobs.join(&manifest_digest["sha256:".len()..]), &manifest)?;
        fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }]});
        fs::write(
            dir.join("index.json"),
            serde_json::to_vec(&index).expect("JSON"),
        )?;
        Ok::<_, io::Error>(ImageDigests {
            manifest_digest,
            manifest,
            config_digest,
            config,
            diff_ids,
            layer_digests: vec![digest],
            layer_sizes: vec![size],
            layer_media_type: media_type.to_string(),
        })
    })()
    .unwrap_or_else(|e| panic!("writing OCI layout {}: {e}", dir.display()))
}

/// An OCI layout in `dir` whose one layer is a [`gzip_bomb`] of `file_size` zero bytes,
/// declared `…tar+gzip`, with its true diffID (hashing costs ~1 s per GB; the blob itself
/// is ~1/1000 of `file_size`).
pub fn gzip_bomb_oci_layout(dir: &Path, file_size: u64) -> ImageDigests {
    fs::create_dir_all(dir).expect("creating layout dir");
    let tmp = staging_dir(&dir.join("x")).expect("staging dir");
    let blob = tmp.path().join("bomb.tar.gz");
    gzip_bomb(&blob, file_size);
    oci_layout_from_blob(
        dir,
        &blob,
        "application/vnd.oci.image.layer.v1.tar+gzip",
        &gzip_bomb_diff_id(file_size),
        &ImageConfig::default(),
    )
}

/// Writes `files` (name, content) as a tar archive at `out`, in the given order.
fn write_archive(out: &Path, files: &[(&str, Vec<u8>)]) {
    let entries: Vec<Entry> = files
        .iter()
        .map(|(n, d)| Entry::file(*n, d.clone()))
        .collect();
    fs::write(out, layer_tar(&entries)).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

/// A docker-archive at `out` whose `manifest.json` points outside the archive:
/// `"Config": "../../etc/passwd"`, `"Layers": ["../../etc/passwd", "/etc/shadow"]`. It also
/// holds a legitimate `layer/layer.tar` nobody references.
pub fn docker_archive_manifest_traversal(out: &Path) {
    let manifest = json!([{
        "Config": "../../etc/passwd",
        "RepoTags": ["evil:latest"],
        "Layers": ["../../etc/passwd", "/etc/shadow"],
    }]);
    write_archive(
        out,
        &[
            (
                "layer/layer.tar",
                layer_tar(&[Entry::file("etc/hostname", "x\n")]),
            ),
            ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
        ],
    );
}

/// A docker-archive at `out` whose `manifest.json` is not JSON (`{"Config": "abc.json",
/// "Layers": [` — cut off), next to a plausible `abc.json`.
pub fn docker_archive_manifest_not_json(out: &Path) {
    write_archive(
        out,
        &[
            (
                "abc.json",
                br#"{"architecture":"amd64","os":"linux"}"#.to_vec(),
            ),
            (
                "manifest.json",
                br#"[{"Config": "abc.json", "Layers": ["#.to_vec(),
            ),
        ],
    );
}

/// A legacy docker-archive at `out`, valid except that the config's `rootfs.diff_ids[0]` is
/// the sha256 of something else (the layer is `etc/os-release` of Alpine 3.20.3).
pub fn docker_archive_diff_id_mismatch(out: &Path) {
    let layer = layer_tar(&[Entry::file(
        "etc/os-release",
        "ID=alpine\nVERSION_ID=3.20.3\n",
    )]);
    let wrong = sha256_digest(b"not the layer");
    let diff_ids = vec![wrong];
    let config = serde_json::to_vec(&ImageConfig::default().to_json(&diff_ids)).unwrap();
    let config_name = format!("{}.json", &sha256_digest(&config)["sha256:".len()..]);
    let manifest = json!([{"Config": config_name, "RepoTags": ["mismatch:1"],
                           "Layers": ["l1/layer.tar"]}]);
    write_archive(
        out,
        &[
            (&config_name, config),
            ("l1/layer.tar", layer),
            ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
        ],
    );
}

/// A legacy docker-archive at `out` whose manifest lists a layer (`missing/layer.tar`) that
/// the archive does not contain, and whose config lists two diffIDs for one present layer.
pub fn docker_archive_missing_layer(out: &Path) {
    let layer = layer_tar(&[Entry::file("etc/hostname", "x\n")]);
    let diff_ids = vec![sha256_digest(&layer), sha256_digest(b"missing")];
    let config = serde_json::to_vec(&ImageConfig::default().to_json(&diff_ids)).unwrap();
    let config_name = format!("{}.json", &sha256_digest(&config)["sha256:".len()..]);
    let manifest = json!([{"Config": config_name, "RepoTags": null,
                           "Layers": ["l1/layer.tar", "missing/layer.tar"]}]);
    write_archive(
        out,
        &[
            (&config_name, config),
            ("l1/layer.tar", layer),
            ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
        ],
    );
}

/// An OCI layout in `dir` whose `index.json` references the manifest digest
/// `sha256:../../x` (plus a plausible `oci-layout` and an empty `blobs/sha256/`).
pub fn oci_layout_digest_traversal(dir: &Path) {
    (|| {
        fs::create_dir_all(dir.join("blobs/sha256"))?;
        fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": "sha256:../../x", "size": 2,
        }]});
        fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap())
    })()
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
}

/// [`oci_layout_digest_traversal`] as an OCI archive (tar) at `out`.
pub fn oci_archive_digest_traversal(out: &Path) {
    let stage = staging_dir(out).expect("staging dir");
    oci_layout_digest_traversal(stage.path());
    tar_dir_to_file(stage.path(), out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

/// An OCI layout in `dir` with valid index, manifest and config, where the manifest's one
/// layer descriptor has digest `sha256:../../../../etc/passwd`.
pub fn oci_layout_layer_digest_traversal(dir: &Path) {
    (|| {
        let blobs = dir.join("blobs/sha256");
        fs::create_dir_all(&blobs)?;
        let diff_ids = vec![sha256_digest(b"x")];
        let config = serde_json::to_vec(&ImageConfig::default().to_json(&diff_ids)).unwrap();
        let config_digest = sha256_digest(&config);
        fs::write(blobs.join(&config_digest["sha256:".len()..]), &config)?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": "sha256:../../../../etc/passwd", "size": 1000}],
        }))
        .unwrap();
        let manifest_digest = sha256_digest(&manifest);
        fs::write(blobs.join(&manifest_digest["sha256:".len()..]), &manifest)?;
        fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest.len(),
        }]});
        fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap())
    })()
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
}

/// Overwrites the first layer blob of the OCI layout in `dir` (written by
/// [`crate::write_oci_layout`]) with different bytes of the same length, so that the blob no
/// longer matches its digest. Returns the digest now mismatched.
pub fn corrupt_first_layer_blob(dir: &Path, img: &ImageDigests) -> String {
    let digest = img.layer_digests[0].clone();
    let path = dir.join("blobs/sha256").join(&digest["sha256:".len()..]);
    let mut bytes = Vec::new();
    File::open(&path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    digest
}

/// Creates an empty (zero-byte) file at `out`.
pub fn empty_file(out: &Path) {
    File::create(out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
