//! Test inputs of the format tests: the real sample reports in docs/samples (outputs of
//! `drydock image`) and one hand-written report with what the samples lack (language
//! packages, dev dependencies, CVSS ratings, a KEV entry, every severity).
#![allow(dead_code)]

use drydock_report::{Report, Summary};
use std::path::{Path, PathBuf};

/// The repository's docs/samples.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/samples")
}

/// The shared data directory (`DRYDOCK_SHARED`, else `../shared` beside the repository).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).to_path_buf(),
    }
}

/// Every sample report in docs/samples (the `*.json` files that are Drydock JSON reports,
/// not renderings of one), by file stem, sorted.
pub fn sample_reports() -> Vec<(String, Report)> {
    let mut out = Vec::new();
    let dir = samples_dir();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for p in entries {
        let text = std::fs::read_to_string(&p).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        if v.get("schema_version").is_none() || v.get("artifact").is_none() {
            continue; // a rendering (CycloneDX, SPDX, GitLab), not a report
        }
        let r: Report =
            serde_json::from_value(v).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((stem, r));
    }
    out
}

/// A report with its run-specific fields fixed, for snapshots: `created_at` and the tool
/// version.
pub fn normalised(mut r: Report) -> Report {
    r.created_at = "2026-01-02T03:04:05.123456789Z".into();
    r.tool.version = "0.0.0-test".into();
    r
}

/// HAND-WRITTEN report (not scan output): a Debian image with Python, npm, Maven and Go
/// packages, secrets and misconfigurations. Ids, versions and scores follow the public
/// advisories as far as the author knows them, but this is a format test input, not a source
/// of advisory facts. The `secret` field of one secret is set as `--show-secrets` would (the
/// AWS documentation's example key) to check that no format writes it.
pub fn handmade() -> Report {
    let l0 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let l1 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    let l2 = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    let l3 = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
    let pkg = |kind: &str,
               name: &str,
               version: &str,
               source: (&str, &str),
               purl: &str,
               license: Option<&str>,
               path: &str,
               dev: bool,
               layer: (usize, &str)| {
        let mut v = serde_json::json!({
            "kind": kind, "name": name, "version": version,
            "source_name": source.0, "source_version": source.1,
            "purl": purl, "path": path,
            "layer_index": layer.0, "layer_diff_id": layer.1,
        });
        if let Some(l) = license {
            v["license"] = l.into();
        }
        if dev {
            v["dev"] = true.into();
        }
        v
    };
    let dpkg = "/var/lib/dpkg/status";
    let libssl3 = pkg(
        "deb",
        "libssl3",
        "3.0.11-1~deb12u2",
        ("openssl", "3.0.11-1~deb12u2"),
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
        None,
        dpkg,
        false,
        (0, l0),
    );
    let apt = pkg(
        "deb",
        "apt",
        "2.6.1",
        ("apt", "2.6.1"),
        "pkg:deb/debian/apt@2.6.1?arch=amd64&distro=debian-12",
        None,
        dpkg,
        false,
        (0, l0),
    );
    let libgcc = pkg(
        "deb",
        "libgcc-s1",
        "12.2.0-14",
        ("gcc-12", "12.2.0-14"),
        "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12",
        None,
        dpkg,
        false,
        (0, l0),
    );
    let gpp = pkg(
        "deb",
        "g++-12",
        "12.2.0-14",
        ("gcc-12", "12.2.0-14"),
        "pkg:deb/debian/g%2B%2B-12@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12",
        None,
        dpkg,
        false,
        (1, l1),
    );
    let pyyaml = pkg(
        "pypi",
        "PyYAML",
        "5.3.1",
        ("PyYAML", "5.3.1"),
        "pkg:pypi/pyyaml@5.3.1",
        Some("MIT"),
        "/usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA",
        false,
        (1, l1),
    );
    let lodash_a = pkg(
        "npm",
        "lodash",
        "4.17.20",
        ("lodash", "4.17.20"),
        "pkg:npm/lodash@4.17.20",
        Some("MIT"),
        "/app/node_modules/lodash/package.json",
        false,
        (2, l2),
    );
    let lodash_b = pkg(
        "npm",
        "lodash",
        "4.17.20",
        ("lodash", "4.17.20"),
        "pkg:npm/lodash@4.17.20",
        Some("MIT"),
        "/app/node_modules/legacy-lib/node_modules/lodash/package.json",
        false,
        (2, l2),
    );
    let minimist = pkg(
        "npm",
        "minimist",
        "1.2.5",
        ("minimist", "1.2.5"),
        "pkg:npm/minimist@1.2.5",
        Some("MIT"),
        "/app/node_modules/minimist/package.json",
        true,
        (2, l2),
    );
    let types_node = pkg(
        "npm",
        "@types/node",
        "20.1.0",
        ("@types/node", "20.1.0"),
        "pkg:npm/%40types/node@20.1.0",
        Some("MIT"),
        "/app/node_modules/@types/node/package.json",
        true,
        (2, l2),
    );
    let log4j = pkg(
        "maven",
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        ("org.apache.logging.log4j:log4j-core", "2.14.1"),
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        Some("Apache-2.0"),
        "/opt/app/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar",
        false,
        (3, l3),
    );
    let stdlib = pkg(
        "go",
        "stdlib",
        "1.20.1",
        ("stdlib", "1.20.1"),
        "pkg:golang/stdlib@1.20.1",
        None,
        "/usr/local/bin/server",
        false,
        (3, l3),
    );
    let gomod = pkg(
        "go",
        "github.com/example/mod",
        "v1.2.3",
        ("github.com/example/mod", "v1.2.3"),
        "pkg:golang/github.com/example/mod@v1.2.3",
        Some("GPL-2+ with exceptions"),
        "/usr/local/bin/server",
        false,
        (3, l3),
    );
    let packages = vec![
        apt.clone(),
        gpp,
        libgcc.clone(),
        libssl3.clone(),
        pyyaml.clone(),
        lodash_a.clone(),
        lodash_b.clone(),
        minimist.clone(),
        types_node,
        log4j.clone(),
        stdlib.clone(),
        gomod,
    ];
    let pref = |p: &serde_json::Value| {
        let mut r = p.clone();
        let o = r.as_object_mut().unwrap();
        o.remove("license");
        o.remove("dev");
        r
    };
    let finding = |id: &str, p: &serde_json::Value, extra: serde_json::Value| {
        let mut f = serde_json::json!({
            "id": id, "aliases": [], "package": pref(p),
            "namespace": "debian:12", "matched_version": p["version"],
            "status": "fixed", "severity": "UNKNOWN", "ratings": [], "sources": [],
        });
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        f
    };
    let findings = vec![
        finding(
            "CVE-2011-3374",
            &apt,
            serde_json::json!({
                "status": "not-fixed", "severity": "NEGLIGIBLE",
                "severity_source": "debian-tracker",
                "ratings": [{"source": "debian-tracker", "severity": "NEGLIGIBLE"}],
                "title": "apt does not correctly validate downloaded keyrings",
                "sources": ["debian-tracker"], "published": "2019-11-26",
            }),
        ),
        finding(
            "CVE-2023-4039",
            &libgcc,
            serde_json::json!({
                "matched_version": "12.2.0-14", "status": "wont-fix", "severity": "LOW",
                "severity_source": "debian-tracker",
                "ratings": [{"source": "debian-tracker", "severity": "LOW"}],
                "title": "stack protector bypass for dynamically-sized local variables on AArch64",
                "sources": ["debian-tracker"],
                "references": ["https://github.com/metaredteam/external-disclosures/security/advisories/GHSA-x7ch-h5rf-w2mf"],
            }),
        ),
        finding(
            "CVE-2024-0727",
            &libssl3,
            serde_json::json!({
                "matched_version": "3.0.11-1~deb12u2", "fixed_version": "3.0.13-1~deb12u1",
                "severity": "MEDIUM", "severity_source": "debian-tracker",
                "ratings": [
                    {"source": "debian-tracker", "severity": "MEDIUM"},
                    {"source": "osv:Debian", "severity": "MEDIUM",
                     "cvss_vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "score": 5.5}
                ],
                "title": "PKCS12 decoding crashes (NULL dereference)",
                "sources": ["debian-tracker"], "published": "2024-01-26T09:15:00Z",
                "references": ["https://www.openssl.org/news/secadv/20240125.txt"],
            }),
        ),
        finding(
            "CVE-2020-14343",
            &pyyaml,
            serde_json::json!({
                "aliases": ["GHSA-8q59-q68h-6hv4", "PYSEC-2021-142"],
                "namespace": "pypi", "fixed_version": "5.4", "severity": "CRITICAL",
                "severity_source": "osv:PyPI",
                "ratings": [{"source": "osv:PyPI", "severity": "CRITICAL",
                    "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.8}],
                "title": "Improper Input Validation in PyYAML",
                "sources": ["osv:PyPI"], "published": "2021-02-09T21:15:00Z",
                "references": ["https://github.com/yaml/pyyaml/issues/420"],
            }),
        ),
        finding(
            "CVE-2021-23337",
            &lodash_a,
            serde_json::json!({
                "aliases": ["GHSA-35jh-r3h4-6jhm"], "namespace": "npm",
                "fixed_version": "4.17.21", "severity": "HIGH", "severity_source": "osv:npm",
                "ratings": [{"source": "osv:npm", "severity": "HIGH",
                    "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", "score": 7.2}],
                "title": "Command Injection in lodash", "sources": ["osv:npm"],
            }),
        ),
        finding(
            "CVE-2021-23337",
            &lodash_b,
            serde_json::json!({
                "aliases": ["GHSA-35jh-r3h4-6jhm"], "namespace": "npm",
                "fixed_version": "4.17.21", "severity": "HIGH", "severity_source": "osv:npm",
                "ratings": [{"source": "osv:npm", "severity": "HIGH",
                    "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", "score": 7.2}],
                "title": "Command Injection in lodash", "sources": ["osv:npm"],
            }),
        ),
        finding(
            "CVE-2021-44906",
            &minimist,
            serde_json::json!({
                "aliases": ["GHSA-xvch-5gv4-984h"], "namespace": "npm",
                "fixed_version": "1.2.6", "severity": "CRITICAL", "severity_source": "osv:npm",
                "ratings": [{"source": "osv:npm", "severity": "CRITICAL",
                    "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.8}],
                "title": "Prototype Pollution in minimist", "sources": ["osv:npm"],
            }),
        ),
        finding(
            "CVE-2021-44228",
            &log4j,
            serde_json::json!({
                "aliases": ["GHSA-jfh8-c2jp-5v3q"], "namespace": "maven",
                "fixed_version": "2.15.0", "severity": "CRITICAL", "severity_source": "osv:Maven",
                "ratings": [
                    {"source": "osv:Maven", "severity": "CRITICAL",
                     "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "score": 10.0},
                    {"source": "osv:Maven", "severity": "UNKNOWN",
                     "cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"}
                ],
                "title": "Remote code injection in Log4j", "sources": ["osv:Maven"],
                "published": "2021-12-10T00:00:00Z",
                "references": ["https://logging.apache.org/log4j/2.x/security.html", "see vendor notes"],
                "kev": {"date_added": "2021-12-10", "due_date": "2021-12-24",
                        "known_ransomware_campaign_use": "Known"},
            }),
        ),
        finding(
            "CVE-2023-24538",
            &stdlib,
            serde_json::json!({
                "aliases": ["GO-2023-1703"], "namespace": "go", "fixed_version": "1.20.3",
                "title": "Backticks not treated as string delimiters in html/template\u{1b}[0m",
                "sources": ["osv:Go"], "published": "0001-01-01T00:00:00Z",
            }),
        ),
    ];
    let secrets = serde_json::json!([
        {"rule_id": "aws-access-key-id", "title": "AWS access key ID", "severity": "HIGH",
         "line": 2, "column": 21, "redacted": "aws_access_key_id = AKIA****",
         "secret": "AKIAIOSFODNN7EXAMPLE",
         "fingerprint": "sha256:aaaa000000000000000000000000000000000000000000000000000000000001",
         "path": "/root/.aws/credentials", "layer_index": 2, "layer_diff_id": l2,
         "deleted_in_later_layer": true},
        {"rule_id": "github-token", "title": "GitHub token", "severity": "CRITICAL",
         "line": 1, "column": 14, "redacted": "GITHUB_TOKEN=ghp_****",
         "fingerprint": "sha256:aaaa000000000000000000000000000000000000000000000000000000000002",
         "path": "config:Env[1]", "deleted_in_later_layer": false},
        {"rule_id": "private-key", "title": "Private key (PEM, OpenSSH, PGP)", "severity": "HIGH",
         "line": 1, "column": 1, "redacted": "-----BEGIN RSA PRIVATE KEY-----",
         "fingerprint": "sha256:aaaa000000000000000000000000000000000000000000000000000000000003",
         "path": "/etc/ssl/private/server key.pem", "layer_index": 3, "layer_diff_id": l3,
         "deleted_in_later_layer": false}
    ]);
    let misconfigs = serde_json::json!([
        {"rule_id": "DD-IMG-001", "title": "Image runs as root", "severity": "HIGH",
         "file": "image config", "line": null,
         "message": "Config.User is empty: the container runs as root",
         "remediation": "Set a non-root user in the image.",
         "references": [{"standard": "CIS Docker Benchmark v1.6.0", "item": "4.1",
                         "note": "a user for the container has been created"}]},
        {"rule_id": "DD-DF-003", "title": "Administrative port exposed", "severity": "HIGH",
         "file": "Dockerfile", "line": 7, "resource": "stage final",
         "message": "EXPOSE 22 <ssh> & \"telnet\" 23",
         "remediation": "Do not run SSH or telnet inside an application image; remove the EXPOSE.",
         "references": []}
    ]);
    let mut r: Report = serde_json::from_value(serde_json::json!({
        "schema_version": "1.0",
        "tool": {"name": "drydock", "version": "0.1.0"},
        "created_at": "2026-03-04T05:06:07.890Z",
        "artifact": {
            "kind": "image", "source": "oci:/tmp/app-layout", "format": "oci-layout",
            "image_id": "sha256:9999999999999999999999999999999999999999999999999999999999999999",
            "manifest_digest": "sha256:8888888888888888888888888888888888888888888888888888888888888888",
            "repo_tags": ["registry.example:5000/team/app:2.1"],
            "platform": "linux/arm64/v8",
            "layers": [
                {"index": 0, "diff_id": l0, "size": 1000, "uncompressed_size": 3000, "files": 10,
                 "created_by": "debootstrap --variant=minbase bookworm /"},
                {"index": 1, "diff_id": l1, "size": 100, "uncompressed_size": 300, "files": 3},
                {"index": 2, "diff_id": l2, "size": 100, "uncompressed_size": 300, "files": 3},
                {"index": 3, "diff_id": l3, "size": 100, "uncompressed_size": 300, "files": 3}
            ]
        },
        "os": {"id": "debian", "version_id": "12", "codename": "bookworm",
               "pretty_name": "Debian GNU/Linux 12 (bookworm)", "source_path": "/etc/os-release"},
        "namespace": "debian:12",
        "packages": packages,
        "findings": findings,
        "secrets": secrets,
        "misconfigurations": misconfigs,
        "summary": {"packages": 0, "findings": 0, "vulnerabilities": 0, "fixable": 0,
                    "by_severity": {}},
        "warnings": ["layer 1: /usr/bin/x: hard link to /usr/bin/y, which is not a file this layer analysed; skipped"]
    }))
    .expect("hand-written report deserialises");
    r.summary = Summary::compute(&r.packages, &r.findings, &r.secrets);
    r
}

/// The test inputs: every sample report plus the hand-written one (`handmade`).
pub fn all_reports() -> Vec<(String, Report)> {
    let mut v = sample_reports();
    v.push(("handmade".to_string(), handmade()));
    v
}
