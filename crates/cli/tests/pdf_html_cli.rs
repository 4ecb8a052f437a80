//! `drydock image -f pdf` / `-f html` end to end: a real scan (Alpine 3.20.3 against the real
//! secdb) written as PDF and HTML files, PDF to a pipe, and PDF refused on a terminal (run
//! under `script`, which gives the command a pseudo-terminal) with a usage error (exit 2).
//! PDFs are read back with poppler's `pdfinfo`/`pdftotext` (installed by scripts/test.sh).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use tk::Entry;

fn image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let dir = scratch("pdf-image");
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
    })
}

fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| build_db("alpine-secdb", &["alpine-secdb"]))
}

fn pdf_text(path: &Path) -> (usize, String) {
    let info = Command::new("pdfinfo")
        .arg(path)
        .output()
        .expect("pdfinfo (poppler-utils)");
    assert!(info.status.success());
    let info = String::from_utf8(info.stdout).unwrap();
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    (
        pages,
        String::from_utf8(text.stdout)
            .unwrap()
            .replace('\u{200b}', ""),
    )
}

#[test]
fn pdf_and_html_files_of_a_real_scan() {
    let dir = scratch("pdf-out");
    let pdf = dir.join("report.pdf");
    let html = dir.join("report.html");
    drydock()
        .arg("image")
        .arg(image())
        .arg("--db")
        .arg(db())
        .args(["-f", "pdf", "-o"])
        .arg(&pdf)
        .arg("-o")
        .arg(format!("html={}", html.display()))
        .arg("--quiet")
        .assert()
        .success()
        .stdout("");
    let (pages, text) = pdf_text(&pdf);
    assert!(pages >= 2, "{pages} pages");
    assert!(text.contains("Drydock image report") && text.contains("example/app:1.0"));
    assert!(text.contains("Alpine Linux v3.20"));
    // the real secdb: libcrypto3 3.3.2-r0, CVE-2024-9143 fixed in 3.3.2-r1
    let line = text
        .lines()
        .find(|l| l.contains("CVE-2024-9143") && l.contains("libcrypto3"))
        .unwrap();
    assert!(
        line.contains("3.3.2-r0") && line.contains("3.3.2-r1"),
        "{line}"
    );
    assert!(text.contains("Vulnerabilities (56)"));
    let h = std::fs::read_to_string(&html).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(h.contains("<h2>Vulnerabilities (56)</h2>"));
    assert!(h.contains("https://security.alpinelinux.org/vuln/CVE-2024-9143"));
    assert!(!h.to_ascii_lowercase().contains("<script"));
}

#[test]
fn pdf_to_a_pipe_is_written_and_html_to_stdout() {
    let out = drydock()
        .arg("image")
        .arg(image())
        .arg("--db")
        .arg(db())
        .args(["-f", "pdf", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.starts_with(b"%PDF-"), "stdout is not a PDF");
    assert!(out.stdout.ends_with(b"%%EOF") || out.stdout.ends_with(b"%%EOF\n"));
    let out = drydock()
        .arg("image")
        .arg(image())
        .arg("--db")
        .arg(db())
        .args(["-f", "html", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let h = String::from_utf8(out.stdout).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>") && h.ends_with("</html>\n"));
}

/// Run `drydock args…` under `script`, which gives it a pseudo-terminal as stdout.
fn on_a_terminal(args: &[&str]) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("drydock");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let cmd = std::iter::once(bin.to_str().unwrap())
        .chain(args.iter().copied())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("DRYDOCK_CACHE_DIR", scratch("layer-cache"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux)");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn pdf_to_a_terminal_is_a_usage_error() {
    let image = image().to_str().unwrap();
    let db = db().to_str().unwrap();
    let (code, out) = on_a_terminal(&["image", image, "--db", db, "-f", "pdf"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("the pdf format is binary and stdout is a terminal"),
        "{out}"
    );
    assert!(!out.contains("%PDF"), "{out}");
    // the same on a terminal with a file is fine (and prints the summary line only)
    let file = scratch("pdf-tty").join("r.pdf");
    let (code, out) = on_a_terminal(&[
        "image",
        image,
        "--db",
        db,
        "-f",
        "pdf",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("%PDF"), "{out}");
    assert!(std::fs::read(&file).unwrap().starts_with(b"%PDF-"));
    // text formats still go to the terminal
    let (code, out) = on_a_terminal(&["image", image, "--db", db, "-f", "html", "--quiet"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("<!DOCTYPE html>"));
}
