//! `drydock image` with the secret scanner: secrets in every layer (also deleted later) and in
//! the image config join the report and the exit-code gate. The token is fake, built at run
//! time (nothing credential-like is stored in the repository).

mod common;

use common::*;
use tk::Entry;

fn fake_github_token() -> String {
    // `ghp_` + 36 alphanumerics: the shape of a GitHub token, clearly fake
    format!("ghp_Fake{}", "Q7w9Z2x4".repeat(4))
}

fn planted_image() -> std::path::PathBuf {
    let dir = scratch("secrets");
    let token = fake_github_token();
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20.3"));
    let add = tk::layer_tar(&[Entry::file(
        "srv/app/config.ini",
        format!("[github]\nuser = ci\ntoken = {token}\n"),
    )]);
    let del = tk::layer_tar(&[Entry::whiteout("srv/app/config.ini")]);
    let cfg = tk::ImageConfig {
        env: vec!["PATH=/usr/bin:/bin".into(), format!("GH_TOKEN={token}")],
        ..Default::default()
    };
    let out = dir.join("planted.tar");
    tk::write_docker_archive(&out, &[base, add, del], &cfg, tk::Compression::None, None);
    out
}

#[test]
fn secrets_in_deleted_files_and_env_are_reported_and_gate() {
    let image = planted_image();
    let report = scan_json(&image, full_db(), &["--scanners", "secret"]);
    let rows: Vec<(String, String, u64, serde_json::Value, bool)> = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["rule_id"].as_str().unwrap().to_string(),
                s["path"].as_str().unwrap().to_string(),
                s["line"].as_u64().unwrap(),
                s["layer_index"].clone(),
                s["deleted_in_later_layer"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "github-token".into(),
                "/srv/app/config.ini".into(),
                3,
                serde_json::json!(1),
                true
            ),
            (
                "github-token".into(),
                "config:Env[1]".into(),
                1,
                serde_json::Value::Null,
                false
            ),
        ]
    );
    // redacted unless asked; never the whole token
    let token = fake_github_token();
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains(&token), "the secret leaked into the report");
    // vulnerabilities were not asked for
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["summary"]["secrets"], 2);
    // --show-secrets prints it
    let shown = scan_json(
        &image,
        full_db(),
        &["--scanners", "secret", "--show-secrets"],
    );
    assert!(serde_json::to_string(&shown).unwrap().contains(&token));
    // secrets alone trip the gate
    drydock()
        .arg("image")
        .arg(&image)
        .arg("--db")
        .arg(full_db())
        .args(["--scanners", "secret", "--exit-code", "4", "-q"])
        .assert()
        .code(4);
    // the table says where, and that the file was deleted later
    let out = drydock()
        .arg("image")
        .arg(&image)
        .arg("--db")
        .arg(full_db())
        .args(["-q"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("/srv/app/config.ini"), "{table}");
    assert!(table.contains("1 (deleted later)"), "{table}");
    assert!(table.contains(", 2 secrets"), "{table}");
}
