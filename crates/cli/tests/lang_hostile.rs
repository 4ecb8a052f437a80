//! Hostile language-package files in an image: a 1 GB single-line package.json, a zip-bomb
//! jar, a 10-deep chain of nested jars and a Go binary with corrupted build info. Each gives
//! a warning naming the file, and the scan goes on to report the real packages beside them.

mod common;

use common::*;
use std::io::{Cursor, Write};
use std::path::Path;

fn jar(members: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(true);
    for (name, data) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn tar_layer(files: &[(&str, Vec<u8>, u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

/// A file of the language test image's layer tar.
fn from_layer(layer: &Path, path: &str) -> Vec<u8> {
    let mut a = tar::Archive::new(std::fs::File::open(layer).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if p == path {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            return v;
        }
    }
    panic!("{path} not in {}", layer.display())
}

#[test]
fn hostile_language_files_warn_and_the_scan_goes_on() {
    let dir = scratch("lang-hostile");
    let layers = tk::lang_image_layers().unwrap_or_else(|e| panic!("{e}"));
    let (npm, go, java) = (&layers[2], &layers[3], &layers[5]);

    // layer 0: a 1 GiB package.json of one line (generated gzip, ~1 MB on disk)
    let bomb = dir.join("huge-package-json.tar.gz");
    tk::hostile::gzip_bomb_named(&bomb, "app/node_modules/huge/package.json", 1 << 30);

    // layer 1: the hostile archives and binary, beside real packages
    let zeros = vec![0u8; 600 << 20];
    let zip_bomb = jar(
        &[("WEB-INF/lib/bomb.jar", zeros)],
        zip::CompressionMethod::Deflated,
    );
    let mut nested = jar(
        &[(
            "META-INF/maven/org.example/innermost/pom.properties",
            b"groupId=org.example\nartifactId=innermost\nversion=1.0\n".to_vec(),
        )],
        zip::CompressionMethod::Deflated,
    );
    for _ in 0..10 {
        nested = jar(&[("lib/inner.jar", nested)], zip::CompressionMethod::Stored);
    }
    let mut go_bin = from_layer(go, "usr/bin/docker-registry");
    let magic = b"\xff Go buildinf:";
    let at = go_bin
        .windows(magic.len())
        .position(|w| w == magic)
        .expect("Go build info magic in docker-registry");
    // keep the magic, destroy the header and the version string after it
    for b in &mut go_bin[at + magic.len()..at + 64] {
        *b = 0xff;
    }
    let files = vec![
        ("opt/app/bomb.war", zip_bomb, 0o644),
        ("opt/app/nested.jar", nested, 0o644),
        ("usr/local/bin/registry-corrupt", go_bin, 0o755),
        (
            "app/node_modules/lodash/package.json",
            from_layer(npm, "app/node_modules/lodash/package.json"),
            0o644,
        ),
        (
            "usr/share/java/snakeyaml.jar",
            from_layer(java, "usr/share/java/snakeyaml.jar"),
            0o644,
        ),
    ];
    let layer1 = dir.join("hostile.tar");
    std::fs::write(&layer1, tar_layer(&files)).unwrap();

    let image = dir.join("hostile-lang.tar");
    tk::write_docker_archive(
        &image,
        &[tk::LayerFile(bomb), tk::LayerFile(layer1)],
        &tk::ImageConfig::default(),
        tk::Compression::None,
        None,
    );
    // the bomb layer is stored gzip-compressed but its diffID was taken over the gzip bytes:
    // skip the diffID check, the point here is the files inside
    let r = scan_json(
        &image,
        full_db(),
        &["--scanners", "vuln", "--no-verify-layers", "--no-cache"],
    );
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let has = |needle: &str| warnings.iter().any(|w| w.contains(needle));
    assert!(
        has("/app/node_modules/huge/package.json: 1073741824 bytes exceeds"),
        "{warnings:#?}"
    );
    assert!(has("/opt/app/bomb.war"), "{warnings:#?}");
    assert!(has("/opt/app/nested.jar"), "{warnings:#?}");
    assert!(has("/usr/local/bin/registry-corrupt"), "{warnings:#?}");
    // the real packages beside them are all there, with their findings
    let pkgs = packages(&r);
    assert!(
        pkgs.contains(&("lodash".into(), "4.17.4".into())),
        "{pkgs:?}"
    );
    assert!(
        pkgs.contains(&("org.yaml:snakeyaml".into(), "1.33".into())),
        "{pkgs:?}"
    );
    let ids: Vec<String> = findings(&r).into_iter().map(|(_, id, _)| id).collect();
    assert!(ids.contains(&"CVE-2019-10744".to_string()), "{ids:?}");
    assert!(ids.contains(&"CVE-2022-1471".to_string()), "{ids:?}");
    eprintln!("warnings: {warnings:#?}\npackages: {pkgs:?}");
}
