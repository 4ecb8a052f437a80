//! EPSS and NVD CVSS end to end: a DB built with `drydock db build` from the real PyPI OSV
//! and RubySec feeds plus real EPSS and NVD samples (claircore's EPSS CSV, osv.dev's and
//! vuln-list-update's NVD API 2.0 pages), and `drydock fs` on a source tree that pins two
//! packages those advisories affect: nvflare 2.1.0 (PYSEC-2022-257 = CVE-2022-34668: NVD
//! CVSS 9.8 from its primary source, EPSS 0.00311) and actionpack 6.1.3 (CVE-2021-22903:
//! NVD CVSS 6.1).

mod common;

use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Extract `wanted` (paths inside the bundle) of a fixture bundle into `dest`.
fn unpack(bundle: &str, wanted: &[&str], dest: &Path) {
    let f = std::fs::File::open(tk::shared_dir().join("fixtures").join(bundle)).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut n = 0;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if wanted.contains(&p.as_str()) {
            let out = dest.join(&p);
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            e.unpack(&out).unwrap();
            n += 1;
        }
    }
    assert_eq!(n, wanted.len(), "{wanted:?} in {bundle}");
}

/// The feed folder and DB, once per test binary.
fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let fx = scratch("prio-fixtures");
        unpack(
            "claircore-testdata.tar.gz",
            &["enricher/epss/testdata/data.csv"],
            &fx,
        );
        unpack(
            "osv.dev-vulnfeeds-test_data.tar.gz",
            &["vulnfeeds/test_data/nvdcve-2.0/CVE-2022-34668.json"],
            &fx,
        );
        unpack(
            "vuln-list-update-testdata.tar.gz",
            &["nvd/testdata/fixtures/respPage1.json"],
            &fx,
        );
        let feeds = scratch("prio-feeds");
        let shared = tk::shared_dir().join("feeds");
        std::fs::create_dir_all(feeds.join("osv")).unwrap();
        std::fs::create_dir_all(feeds.join("rubysec")).unwrap();
        std::fs::create_dir_all(feeds.join("epss")).unwrap();
        std::fs::create_dir_all(feeds.join("nvd")).unwrap();
        for (link, target) in [
            ("osv/PyPI", shared.join("osv/PyPI")),
            (
                "rubysec/ruby-advisory-db.tar.gz",
                shared.join("rubysec/ruby-advisory-db.tar.gz"),
            ),
            (
                "nvd/1-CVE-2022-34668.json",
                fx.join("vulnfeeds/test_data/nvdcve-2.0/CVE-2022-34668.json"),
            ),
            (
                "nvd/2-respPage1.json",
                fx.join("nvd/testdata/fixtures/respPage1.json"),
            ),
        ] {
            let l = feeds.join(link);
            if !l.exists() {
                std::os::unix::fs::symlink(target, l).unwrap();
            }
        }
        // EPSS as FIRST ships it: gzip-compressed
        let csv = std::fs::read(fx.join("enricher/epss/testdata/data.csv")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(feeds.join("epss/epss_scores-current.csv.gz")).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(&csv).unwrap();
        gz.finish().unwrap();
        build_db_from("prio", &feeds)
    })
}

/// A source tree pinning nvflare 2.1.0 and actionpack 6.1.3.
fn tree() -> &'static Path {
    static T: OnceLock<PathBuf> = OnceLock::new();
    T.get_or_init(|| {
        let d = scratch("prio-tree");
        std::fs::write(d.join("requirements.txt"), "nvflare==2.1.0\n").unwrap();
        std::fs::write(
            d.join("Gemfile.lock"),
            "GEM\n  specs:\n    actionpack (6.1.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  actionpack\n",
        )
        .unwrap();
        d
    })
}

fn fs_scan(extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = drydock()
        .arg("fs")
        .arg(tree())
        .arg("--db")
        .arg(db())
        .args(["--scanners", "vuln", "-f", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code(), json, stderr)
}

fn ids(r: &serde_json::Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn findings_carry_epss_and_nvd_ratings() {
    let (code, r, stderr) = fs_scan(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    let all = ids(&r);
    assert!(all.contains(&"CVE-2022-34668".to_string()), "{all:?}");
    assert!(all.contains(&"CVE-2021-22903".to_string()), "{all:?}");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2022-34668")
        .unwrap();
    assert_eq!(f["package"]["name"], "nvflare");
    assert_eq!(
        f["epss"],
        serde_json::json!({"score": 0.00311, "percentile": 0.70519, "date": "2024-10-25"})
    );
    let nvd: Vec<&serde_json::Value> = f["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["source"].as_str().unwrap().starts_with("nvd"))
        .collect();
    assert_eq!(nvd.len(), 1, "{:?}", f["ratings"]);
    assert_eq!(nvd[0]["source"], "nvd:psirt@nvidia.com");
    assert_eq!(nvd[0]["score"], 9.8);
    assert_eq!(
        nvd[0]["cvss_vector"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    );
    let a = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2021-22903")
        .unwrap();
    assert!(
        a["ratings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["source"] == "nvd" && x["score"] == 6.1),
        "{:?}",
        a["ratings"]
    );
    assert!(a.get("epss").is_none());

    // db info lists both feeds
    let out = drydock()
        .args(["db", "info", "--json", "--db"])
        .arg(db())
        .output()
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let feed = |n: &str| {
        info["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("feed {n}: {info}"))
    };
    assert_eq!(feed("epss")["records"], 29);
    assert_eq!(feed("epss")["newest_date"], "2024-10-25");
    assert_eq!(feed("nvd")["records"], 3);
}

#[test]
fn cvss_gate_fails_with_the_exit_code_and_names_the_cve() {
    let (code, r, stderr) = fs_scan(&["--cvss-above", "7", "--exit-code", "5"]);
    assert_eq!(code, Some(5), "{stderr}");
    assert_eq!(ids(&r), ["CVE-2022-34668"]);
    assert!(
        stderr.contains(
            "gate failed (--exit-code 5): 1 finding with CVSS ≥ 7.0 (--cvss-above): CVE-2022-34668 (CVSS 9.8)"
        ),
        "{stderr}"
    );
    // a threshold above every score passes
    let (code, r, stderr) = fs_scan(&["--cvss-above", "9.9", "--exit-code", "5"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(ids(&r).is_empty());
    assert!(!stderr.contains("gate failed"), "{stderr}");
}

#[test]
fn epss_and_kev_gates() {
    let (code, r, stderr) = fs_scan(&["--epss-above", "0.003", "--exit-code", "4"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert_eq!(ids(&r), ["CVE-2022-34668"]);
    assert!(
        stderr.contains("with EPSS ≥ 0.003 (--epss-above): CVE-2022-34668 (EPSS 0.00311)"),
        "{stderr}"
    );
    let (code, _, stderr) = fs_scan(&["--epss-above", "0.01", "--exit-code", "4"]);
    assert_eq!(code, Some(0), "{stderr}");
    // nothing of these is in KEV; KEV or CVSS ≥ 6: both findings
    let (code, r, _) = fs_scan(&["--kev", "--exit-code", "4"]);
    assert_eq!(code, Some(0));
    assert!(ids(&r).is_empty());
    let (code, r, _) = fs_scan(&["--kev", "--cvss-above", "6", "--exit-code", "4"]);
    assert_eq!(code, Some(4));
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, ["CVE-2021-22903", "CVE-2022-34668"]);
    // bad values are usage errors
    let out = drydock()
        .arg("fs")
        .arg(tree())
        .args(["--db"])
        .arg(db())
        .args(["--epss-above", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EPSS probability from 0 to 1"));
}

#[test]
fn sort_by_cvss_and_epss() {
    let (_, r, _) = fs_scan(&["--sort-by", "cvss"]);
    let got = ids(&r);
    let pos = |id: &str| got.iter().position(|x| x == id).unwrap();
    assert!(pos("CVE-2022-34668") < pos("CVE-2021-22903"), "{got:?}");
    assert_eq!(got[0], "CVE-2022-34668", "the highest CVSS first: {got:?}");
    let (_, r, _) = fs_scan(&["--sort-by", "epss"]);
    assert_eq!(ids(&r)[0], "CVE-2022-34668");
}

#[test]
fn policy_file_cvss_gate() {
    let dir = scratch("prio-policy");
    let p = dir.join("drydock.yaml");
    std::fs::write(
        &p,
        "version: 1\nfail_on:\n  cvss_above: 7\n  epss_above: 0.5\n",
    )
    .unwrap();
    let (code, _, stderr) = fs_scan(&["--policy", p.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("policy gate: failed: 1 finding with CVSS ≥ 7.0: CVE-2022-34668 (9.8)"),
        "{stderr}"
    );
    std::fs::write(&p, "version: 1\nfail_on:\n  cvss_above: 9.9\n").unwrap();
    let (code, _, stderr) = fs_scan(&["--policy", p.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn cyclonedx_vex_with_a_suppressed_finding() {
    let dir = scratch("prio-vex");
    let vex = dir.join("nvflare.openvex.json");
    std::fs::write(
        &vex,
        serde_json::json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex/nvflare-1",
            "author": "Drydock tests (hand-written)",
            "timestamp": "2026-01-01T00:00:00Z",
            "version": 1,
            "statements": [{
                "vulnerability": {"name": "CVE-2022-34668"},
                "products": [{"@id": "pkg:pypi/nvflare@2.1.0"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path"
            }]
        })
        .to_string(),
    )
    .unwrap();
    let out = drydock()
        .arg("fs")
        .arg(tree())
        .arg("--db")
        .arg(db())
        .args(["--scanners", "vuln", "-f", "cyclonedx-vex", "--vex"])
        .arg(&vex)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["specVersion"], "1.6");
    let v = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "CVE-2022-34668")
        .expect("the suppressed finding is in the VEX");
    assert_eq!(v["analysis"]["state"], "not_affected");
    assert_eq!(v["analysis"]["justification"], "code_not_reachable");
    let r = v["affects"][0]["ref"].as_str().unwrap();
    assert!(
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["bom-ref"] == r && c["name"] == "nvflare"),
        "affects {r} names the nvflare component"
    );
    let a = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "CVE-2021-22903")
        .unwrap();
    assert_eq!(a["analysis"]["state"], "in_triage");
}
