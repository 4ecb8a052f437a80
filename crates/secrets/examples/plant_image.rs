//! Write the planted-secrets image of the acceptance test on top of given base layers, for
//! `bench/secrets.sh` (ALL PLANTED CREDENTIALS ARE FAKE, generated at run time).
//!
//! ```text
//! cargo run --release -p drydock-secrets --example plant_image -- <out.tar> \
//!     --expected <expected.json> [--history <created_by>]... <base-layer.tar>...
//! ```
//!
//! Writes a docker-archive (uncompressed layers, like `docker save`) of the base layers plus
//! the two planted layers, with the planted Env and history, and the list of findings the
//! image must give as JSON: `[{"rule", "path", "line", "layer", "deleted"}, ...]`.

#[path = "../tests/support/fake.rs"]
mod fake;
#[path = "../tests/support/planted.rs"]
mod planted;

use drydock_testkit as tk;
use std::path::PathBuf;
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("missing <out.tar>")?);
    let mut expected_path = None;
    let mut history = Vec::new();
    let mut base = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--expected" => {
                expected_path = Some(PathBuf::from(
                    args.next().ok_or("--expected needs a value")?,
                ))
            }
            "--history" => history.push(args.next().ok_or("--history needs a value")?),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            layer => base.push(PathBuf::from(layer)),
        }
    }
    let expected_path = expected_path.ok_or("missing --expected <file>")?;
    if history.len() > base.len() {
        return Err("more --history entries than base layers".into());
    }
    while history.len() < base.len() {
        history.push(format!("base layer {}", history.len()));
    }
    let staging = tempfile::tempdir_in(out.parent().unwrap_or(std::path::Path::new(".")))
        .map_err(|e| format!("temp dir: {e}"))?;
    let mut layers = base.clone();
    for (i, tar) in planted::layers().into_iter().enumerate() {
        let p = staging.path().join(format!("planted-{i}.tar"));
        std::fs::write(&p, tar).map_err(|e| format!("{}: {e}", p.display()))?;
        layers.push(p);
    }
    tk::write_docker_archive(
        &out,
        &layers,
        &planted::config(&history),
        tk::Compression::None,
        Some("drydock-bench/secrets-planted:1"),
    );
    let expected: Vec<serde_json::Value> = planted::expected(base.len())
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "rule": p.rule,
                "path": p.path,
                "line": p.line,
                "layer": p.layer,
                "deleted": p.deleted,
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&expected).map_err(|e| e.to_string())?;
    std::fs::write(&expected_path, text)
        .map_err(|e| format!("{}: {e}", expected_path.display()))?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plant_image: {e}");
            ExitCode::FAILURE
        }
    }
}
