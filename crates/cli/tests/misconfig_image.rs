//! `drydock image --scanners misconfig`: image-config checks on what the image really carries.

mod common;

use common::*;
use tk::Entry;

#[test]
fn root_user_and_admin_port_from_the_config() {
    let dir = scratch("misconfig");
    let layer = tk::layer_tar(&[Entry::file("srv/app", "x")]);
    // no User (root), ports 22 and 80, Docker-format config without a Healthcheck
    let cfg = tk::ImageConfig {
        exposed_ports: vec!["22/tcp".into(), "80/tcp".into()],
        ..Default::default()
    };
    let image = dir.join("img.tar");
    tk::write_docker_archive(
        &image,
        std::slice::from_ref(&layer),
        &cfg,
        tk::Compression::None,
        None,
    );
    let r = scan_json(&image, full_db(), &["--scanners", "misconfig"]);
    let mut ids: Vec<(String, String)> = r["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["rule_id"].as_str().unwrap().to_string(),
                m["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ids.sort();
    let rules: Vec<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
    assert!(rules.contains(&"DD-IMG-001"), "{ids:?}");
    assert_eq!(
        rules.iter().filter(|r| **r == "DD-IMG-002").count(),
        1,
        "{ids:?}"
    );
    let port = ids.iter().find(|(id, _)| id == "DD-IMG-002").unwrap();
    assert!(port.1.contains("22"), "{port:?}");
    assert!(
        !port.1.contains("80"),
        "port 80 is not an admin port: {port:?}"
    );
    // not on by default
    let r = scan_json(&image, full_db(), &[]);
    assert!(r.get("misconfigurations").is_none());

    // a non-root user with no admin port: no root/port findings
    let cfg = tk::ImageConfig {
        user: Some("10001".into()),
        exposed_ports: vec!["8080/tcp".into()],
        ..Default::default()
    };
    let image = dir.join("good.tar");
    tk::write_docker_archive(&image, &[layer], &cfg, tk::Compression::None, None);
    let r = scan_json(
        &image,
        full_db(),
        &["--scanners", "misconfig", "--exit-code", "0"],
    );
    let rules: Vec<&str> = r["misconfigurations"]
        .as_array()
        .map(|a| a.iter().map(|m| m["rule_id"].as_str().unwrap()).collect())
        .unwrap_or_default();
    assert!(
        !rules.contains(&"DD-IMG-001") && !rules.contains(&"DD-IMG-002"),
        "{rules:?}"
    );
}

#[test]
fn setuid_files_added_on_top_and_world_writable_system_dirs() {
    let dir = scratch("misconfig-modes");
    let file = |p: &str, mode: u32| Entry::File {
        path: p.into(),
        data: b"#!/bin/sh\n".to_vec(),
        mode,
    };
    let d = |p: &str, mode: u32| Entry::Dir {
        path: p.into(),
        mode,
    };
    let base = tk::layer_tar(&[
        d("usr", 0o755),
        d("usr/bin", 0o755),
        file("usr/bin/passwd", 0o4755), // the base's own setuid binary: not flagged
        d("tmp", 0o1777),               // sticky: fine
    ]);
    let added = tk::layer_tar(&[
        d("usr/local", 0o755),
        d("usr/local/bin", 0o755),
        file("usr/local/bin/tool", 0o4755),
        file("usr/local/bin/gone", 0o2755),
        d("opt", 0o755),
        d("opt/shared", 0o777),
        d("home", 0o755),
        d("home/share", 0o777), // not a system directory
    ]);
    let cleanup = tk::layer_tar(&[Entry::whiteout("usr/local/bin/gone")]);
    let image = dir.join("modes.tar");
    tk::write_docker_archive(
        &image,
        &[base, added, cleanup],
        &tk::ImageConfig {
            user: Some("10001".into()),
            ..Default::default()
        },
        tk::Compression::None,
        None,
    );
    let r = scan_json(&image, full_db(), &["--scanners", "misconfig"]);
    let mut rows: Vec<(String, String)> = r["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["rule_id"] == "DD-IMG-005" || m["rule_id"] == "DD-IMG-006")
        .map(|m| {
            (
                m["rule_id"].as_str().unwrap().to_string(),
                m["file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![
            ("DD-IMG-005".to_string(), "/usr/local/bin/tool".to_string()),
            ("DD-IMG-006".to_string(), "/opt/shared".to_string()),
        ]
    );
}
