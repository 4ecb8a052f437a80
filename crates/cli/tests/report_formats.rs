//! Snapshot tests of the report formats on a real scan (Alpine 3.20.3 against the real secdb).
//! The same outputs are kept as samples in docs/samples/.

mod common;

use common::*;
use tk::Entry;

fn image() -> std::path::PathBuf {
    let dir = scratch("formats");
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20.3"));
    let app = tk::layer_tar(&[Entry::file("srv/app/run.sh", "#!/bin/sh\n")]);
    let out = dir.join("alpine-3.20.3.tar");
    let cfg = tk::ImageConfig {
        history: vec![
            "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /".into(),
            "COPY run.sh /srv/app/".into(),
        ],
        ..Default::default()
    };
    tk::write_docker_archive(
        &out,
        &[base, app],
        &cfg,
        tk::Compression::None,
        Some("example/app:1.0"),
    );
    out
}

fn run(image: &std::path::Path, format: &str) -> String {
    let out = drydock()
        .arg("image")
        .arg(image)
        .arg("--db")
        .arg(full_db())
        .args(["--format", format, "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn table_and_json_reports() {
    let image = image();
    let settings = snapshot_settings();
    let table = run(&image, "table");
    let json = run(&image, "json");
    // the DB build time differs per build
    let json = regex::Regex::new(r#""built_at": "[^"]*""#)
        .unwrap()
        .replace_all(&json, r#""built_at": "[TIME]""#)
        .to_string();
    settings.bind(|| {
        insta::assert_snapshot!("alpine_table", table);
        insta::assert_snapshot!("alpine_json", json);
    });
    // keep the documented samples in step with the snapshots
    if std::env::var_os("DRYDOCK_UPDATE_SAMPLES").is_some() {
        let docs = tk::workspace_root().join("docs/samples");
        std::fs::create_dir_all(&docs).unwrap();
        let norm = |s: &str| {
            let s = regex::Regex::new(r#"/[^\s"]*/e2e-\d+/formats/"#)
                .unwrap()
                .replace_all(s, "");
            s.to_string()
        };
        std::fs::write(docs.join("report.txt"), norm(&table)).unwrap();
        std::fs::write(docs.join("report.json"), norm(&json)).unwrap();
    }
}
