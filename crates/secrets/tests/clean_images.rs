//! No false positives on the clean real images: every Alpine minirootfs in ../shared and a
//! debootstrap'd Debian bookworm rootfs give zero findings. Explain mode lists, exactly, each
//! match an allow-list entry dropped and which entry did, so a loosened allow-list or a new
//! noisy rule shows up here.

use drydock_image::{AnalyzeOptions, Image, OpenOptions, analyze_image};
use drydock_secrets::{Rules, ScanOptions, Scanner, secrets_from_layers};
use drydock_testkit as tk;
use std::path::Path;

struct Scan {
    files: u64,
    /// (rule, path, line, allowed_by) of explain mode.
    explained: Vec<(String, String, usize, String)>,
    findings: usize,
}

fn scan(path: &Path) -> Scan {
    let image = Image::open(path, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opts = AnalyzeOptions::default();
    let layers = analyze_image(&image, &Scanner::builtin(), &opts, &|_, _| {}).unwrap();
    let files = layers.iter().map(|l| l.stats.files).sum();
    let findings = secrets_from_layers(&layers).len()
        + Scanner::builtin().scan_image_config(&image.config).len();
    let explain = Scanner::with_options(
        Rules::builtin(),
        ScanOptions {
            explain_allowed: true,
            ..ScanOptions::default()
        },
    );
    let layers = analyze_image(&image, &explain, &opts, &|_, _| {}).unwrap();
    let explained = secrets_from_layers(&layers)
        .into_iter()
        .map(|f| {
            (
                f.found.rule_id,
                f.path,
                f.found.line,
                f.found.allowed_by.unwrap_or_else(|| "NOT ALLOWED".into()),
            )
        })
        .collect();
    Scan {
        files,
        explained,
        findings,
    }
}

fn row(rule: &str, path: &str, line: usize, by: &str) -> (String, String, usize, String) {
    (rule.into(), path.into(), line, by.into())
}

#[test]
fn alpine_minirootfs_every_version_has_no_findings() {
    let versions = tk::alpine_versions();
    assert!(versions.len() >= 12, "{versions:?}");
    for v in versions {
        let s = scan(&tk::alpine_rootfs(&v));
        assert!(s.files > 60, "{v}: only {} files", s.files);
        assert_eq!(s.findings, 0, "{v}");
        // Alpine >= 3.17 ships OpenSSL 3's openssl.cnf whose commented example
        // `secret = pass:...` (line 351) has too little entropy to be a secret.
        let newer = ["3.17", "3.18", "3.19", "3.20"]
            .iter()
            .any(|p| v.starts_with(p));
        let want = if newer {
            vec![
                row(
                    "generic-secret-assignment",
                    "/etc/ssl/openssl.cnf",
                    351,
                    "entropy",
                ),
                row(
                    "generic-secret-assignment",
                    "/etc/ssl/openssl.cnf.dist",
                    351,
                    "entropy",
                ),
            ]
        } else {
            vec![]
        };
        assert_eq!(s.explained, want, "{v}");
    }
}

#[test]
fn debian_bookworm_rootfs_has_no_findings() {
    let tar = tk::debian_rootfs_tar("bookworm").expect("debootstrap bookworm");
    let s = scan(&tar);
    assert!(s.files > 5000, "only {} files", s.files);
    assert_eq!(s.findings, 0);
    // What the allow-lists drop, and why (debootstrap's own log in /var/log varies from one
    // build to the next, so it is left out):
    // * deluser's `my $passwd = getpwnam(...)`: a call, not a value;
    // * lintian overrides (`passwd: elevated-privileges ...`): words, not secrets.
    let explained: Vec<_> = s
        .explained
        .into_iter()
        .filter(|(_, path, _, _)| !path.starts_with("/var/log/"))
        .collect();
    let lintian =
        |path: &str, line| row("generic-secret-assignment", path, line, "code-identifier");
    assert_eq!(
        explained,
        vec![
            row(
                "generic-secret-assignment",
                "/usr/sbin/deluser",
                189,
                "code-identifier"
            ),
            lintian("/usr/share/lintian/overrides/base-passwd", 1),
            lintian("/usr/share/lintian/overrides/passwd", 1),
            lintian("/usr/share/lintian/overrides/passwd", 2),
            lintian("/usr/share/lintian/overrides/passwd", 3),
            lintian("/usr/share/lintian/overrides/passwd", 4),
            lintian("/usr/share/lintian/overrides/passwd", 5),
            lintian("/usr/share/lintian/overrides/passwd", 6),
        ]
    );
}
