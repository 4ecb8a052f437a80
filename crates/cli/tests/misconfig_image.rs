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
