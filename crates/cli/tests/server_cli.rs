//! `drydock server`, `drydock server token`, `drydock image --submit`, `drydock query` and
//! `drydock report`, end to end with the real binary: a server on 127.0.0.1 (SQLite store,
//! DB built from the real Alpine secdb), real Alpine images scanned locally and submitted;
//! the server's verdict decides the exit code.

mod common;

use common::*;

fn alpine_image(version: &str, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs(version));
    let out = dir.join(format!("{version}.tar"));
    let config = tk::ImageConfig {
        user: Some("app".into()),
        ..tk::ImageConfig::default()
    };
    tk::write_docker_archive(&out, &[base], &config, tk::Compression::None, Some(name));
    out
}

#[test]
fn submit_verdict_query_and_report_through_the_server() {
    let data = scratch("server-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let feeds = alpine_feeds("server-feeds");
    let local_db = build_db("server-alpine", &["alpine-secdb"]);

    // an admin token for org "acme", created straight in the SQLite store
    let token = server_token(&data, "acme", "submit,read,admin");
    assert!(token.starts_with("ddk_") && token.len() == 52, "{token}");

    let server = start_server(&data, &feeds, &["--tick", "1s", "--fail-on", "unknown"]);
    let url = server.url();

    let dir = scratch("server-images");
    let vulnerable = alpine_image("3.20.3", &dir, "team/api:1.0");
    let clean = alpine_image("3.19.4", &dir, "team/worker:2.0");

    // 3.20.3 has open findings (the secdb rates none: UNKNOWN >= unknown fails): the
    // server's verdict fails the build with --exit-code
    let out = drydock()
        .arg("image")
        .arg(&vulnerable)
        .arg("--db")
        .arg(&local_db)
        .args([
            "--submit",
            &url,
            "--token",
            &token,
            "--ci-pipeline",
            "build-42",
        ])
        .args([
            "--ci-commit",
            "0123abcd",
            "--exit-code",
            "7",
            "-q",
            "-f",
            "json",
            "-o",
        ])
        .arg(dir.join("local.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("FAIL"), "{stderr}");
    assert!(stderr.contains("CVE-"), "{stderr}");

    // 3.19.4: nothing in this feed folder for alpine:3.19, the verdict passes → 0
    let out = drydock()
        .arg("image")
        .arg(&clean)
        .arg("--db")
        .arg(&local_db)
        .args([
            "--submit",
            &url,
            "--token",
            &token,
            "--exit-code",
            "7",
            "-f",
            "json",
            "-o",
        ])
        .arg(dir.join("local2.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("PASS"), "{stderr}");

    // a wrong token is a scan error (3), not a verdict
    let out = drydock()
        .arg("image")
        .arg(&clean)
        .arg("--db")
        .arg(&local_db)
        .args([
            "--submit",
            &url,
            "--token",
            "ddk_wrong",
            "-q",
            "-o",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));

    // the findings the server stored equal those the local scan reported
    let local: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("local.json")).unwrap()).unwrap();
    let mut local_ids: Vec<String> = local["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["id"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap()
            )
        })
        .collect();
    local_ids.sort();
    local_ids.dedup();
    let out = drydock()
        .args([
            "query",
            "image = team/api:1.0",
            "--server",
            &url,
            "--token",
            &token,
        ])
        .args(["--json", "--limit", "1000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut server_ids: Vec<String> = server
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["vuln_id"].as_str().unwrap(),
                f["package"].as_str().unwrap()
            )
        })
        .collect();
    server_ids.sort();
    assert!(!server_ids.is_empty());
    assert_eq!(server_ids, local_ids);

    // the table form and a query error
    let out = drydock()
        .args([
            "query",
            "package ~ musl",
            "--server",
            &url,
            "--token",
            &token,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("musl") && table.contains("team/api:1.0"),
        "{table}"
    );
    let out = drydock()
        .args([
            "query",
            "severity >= urgent",
            "--server",
            &url,
            "--token",
            &token,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a severity"));

    // CSV report
    let csv = dir.join("report.csv");
    drydock()
        .args([
            "report", "--server", &url, "--token", &token, "--format", "csv", "-o",
        ])
        .arg(&csv)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("image,digest,package,version,"));
    assert_eq!(text.lines().count(), server_ids.len() + 1, "{text}");
}
