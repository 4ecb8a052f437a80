//! The output formats over every sample report in docs/samples and a hand-written report:
//! snapshots, validation against the published JSON schemas (SARIF 2.1.0, CycloneDX 1.6,
//! SPDX 2.3; each validator is shown to reject a broken document), structural checks the
//! schemas cannot express (ids unique and resolvable), a shape check of the GitLab report
//! against the constraints of its schema version, well-formed JUnit XML and CSV that reads
//! back. `DRYDOCK_UPDATE_SAMPLES=1` rewrites the per-format samples in docs/samples.

mod common;

use common::*;
use drydock_report::{Format, Report, render};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

fn schema_file(rel: &str) -> Value {
    let p = shared_dir().join("schemas").join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

/// A validator for `main`, with `others` registered under the URI their `$id` names.
fn validator(main: &str, others: &[&str]) -> jsonschema::Validator {
    let schema = schema_file(main);
    let mut builder = jsonschema::Registry::new();
    for o in others {
        let v = schema_file(o);
        let id = v["$id"]
            .as_str()
            .expect("referenced schema has an $id")
            .to_string();
        builder = builder.add(id, v).unwrap();
    }
    let registry = builder.prepare().unwrap();
    jsonschema::options()
        .with_registry(&registry)
        // SARIF's schema is draft-04, which has no `uri-reference` format: check it anyway
        .with_format("uri-reference", is_uri_reference)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{main}: {e}"))
}

/// RFC 3986 URI-reference characters: unreserved, reserved, and well-formed `%XX` escapes.
fn is_uri_reference(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() {
                return false;
            }
            if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

fn sarif_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| validator("sarif-2.1.0/sarif-schema-2.1.0.json", &[]))
}

fn cyclonedx_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        validator(
            "cyclonedx-1.6/bom-1.6.schema.json",
            &[
                "cyclonedx-1.6/spdx.schema.json",
                "cyclonedx-1.6/jsf-0.82.schema.json",
            ],
        )
    })
}

fn spdx_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| validator("spdx-2.3/spdx-schema.json", &[]))
}

/// Every schema violation, as `path: message`.
fn violations(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn json(report: &Report, format: Format) -> Value {
    let text = render(report, format, false).unwrap();
    assert!(text.ends_with('\n'));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{format}: {e}"))
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

// ---------------------------------------------------------------- inputs

#[test]
fn the_samples_are_the_expected_real_scans() {
    let samples = sample_reports();
    let names: Vec<&str> = samples.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["debian-bookworm-secrets", "report"]);
    let debian = &samples[0].1;
    assert_eq!(debian.os.as_ref().unwrap().id, "debian");
    assert_eq!(
        (
            debian.packages.len(),
            debian.findings.len(),
            debian.secrets.len(),
            debian.misconfigurations.len()
        ),
        (183, 0, 12, 2)
    );
    let alpine = &samples[1].1;
    assert_eq!(alpine.os.as_ref().unwrap().id, "alpine");
    assert_eq!((alpine.packages.len(), alpine.findings.len()), (14, 56));
    let hand = handmade();
    assert_eq!(
        (
            hand.packages.len(),
            hand.findings.len(),
            hand.secrets.len(),
            hand.misconfigurations.len()
        ),
        (12, 9, 3, 2)
    );
}

// ---------------------------------------------------------------- snapshots

/// SBOMs of the 183-package Debian sample are checked by counts and by schema instead of a
/// 10,000-line snapshot.
fn snapshotted(name: &str, format: Format) -> bool {
    !(name == "debian-bookworm-secrets" && matches!(format, Format::CycloneDx | Format::Spdx))
}

#[test]
fn snapshots() {
    let settings = settings();
    for (name, r) in all_reports() {
        let r = normalised(r);
        settings.bind(|| {
            for format in [
                Format::Sarif,
                Format::CycloneDx,
                Format::Spdx,
                Format::Gitlab,
            ] {
                if snapshotted(&name, format) {
                    insta::assert_json_snapshot!(
                        format!("{name}__{}", format.as_str()),
                        json(&r, format)
                    );
                }
            }
            insta::assert_snapshot!(
                format!("{name}__junit"),
                render(&r, Format::Junit, false).unwrap()
            );
            insta::assert_snapshot!(
                format!("{name}__csv"),
                render(&r, Format::Csv, false).unwrap()
            );
        });
    }
}

#[test]
fn debian_sboms_by_counts() {
    let (_, r) = sample_reports()
        .into_iter()
        .find(|(n, _)| n == "debian-bookworm-secrets")
        .unwrap();
    let r = normalised(r);
    let cdx = json(&r, Format::CycloneDx);
    let comps = cdx["components"].as_array().unwrap();
    assert_eq!(comps.len(), 184);
    assert_eq!(comps[0]["type"], "operating-system");
    assert_eq!(comps[0]["bom-ref"], "os:debian@12");
    assert_eq!(comps.iter().filter(|c| c["type"] == "library").count(), 183);
    assert!(cdx.get("vulnerabilities").is_none());
    assert_eq!(
        cdx["dependencies"][0]["dependsOn"]
            .as_array()
            .unwrap()
            .len(),
        184
    );
    let base_files = comps.iter().find(|c| c["name"] == "base-files").unwrap();
    assert_eq!(
        base_files,
        &serde_json::json!({
            "type": "library",
            "bom-ref": "pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64&distro=debian-12",
            "name": "base-files",
            "version": "12.4+deb12u15",
            "purl": "pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64&distro=debian-12",
            "properties": [
                {"name": "drydock:package:kind", "value": "deb"},
                {"name": "drydock:package:path", "value": "/var/lib/dpkg/status"},
                {"name": "drydock:layer:index", "value": "0"},
                {"name": "drydock:layer:diff_id", "value": "sha256:6b2d8849712849c4065471b3ff8a8d3de4af406d885abc0dbb3a7b0e8eef356e"},
                {"name": "drydock:package:dev", "value": "false"}
            ]
        })
    );
    assert_eq!(
        cdx["metadata"]["component"]["name"],
        "drydock-bench/secrets-planted"
    );
    assert_eq!(cdx["metadata"]["component"]["version"], "1");

    let spdx = json(&r, Format::Spdx);
    let pkgs = spdx["packages"].as_array().unwrap();
    assert_eq!(pkgs.len(), 185);
    assert_eq!(pkgs[0]["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(pkgs[1]["primaryPackagePurpose"], "OPERATING_SYSTEM");
    assert_eq!(pkgs[1]["name"], "debian");
    assert_eq!(pkgs[1]["versionInfo"], "12");
    let rels = spdx["relationships"].as_array().unwrap();
    assert_eq!(rels.len(), 185);
    assert_eq!(
        rels.iter()
            .filter(|r| r["relationshipType"] == "CONTAINS")
            .count(),
        184
    );
    let bf = pkgs.iter().find(|p| p["name"] == "base-files").unwrap();
    assert_eq!(bf["versionInfo"], "12.4+deb12u15");
    assert_eq!(bf["licenseDeclared"], "NOASSERTION");
    assert_eq!(
        bf["externalRefs"][0]["referenceLocator"],
        "pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64&distro=debian-12"
    );
}

// ---------------------------------------------------------------- JSON schemas

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    for (name, r) in all_reports() {
        let doc = json(&r, Format::Sarif);
        let errors = violations(sarif_validator(), &doc);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        // results point at their rules
        let run = &doc["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: HashSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), rules.len(), "{name}: rule ids unique");
        let results = run["results"].as_array().unwrap();
        // one hygiene result per named wasted file, build tool, cache, .git directory,
        // order advice, and the minimal-base suggestion
        let h = r.hygiene.clone().unwrap_or_default();
        let n = |v: &Value| v.as_array().map_or(0, Vec::len);
        let hygiene = n(&h["efficiency"]["wasted"])
            + n(&h["multi_stage"]["packages"])
            + n(&h["efficiency"]["caches"])
            + n(&h["efficiency"]["git_dirs"])
            + n(&h["efficiency"]["order"])
            + usize::from(h["minimal_base"]["suggestion"].is_string());
        let hygiene_results = results
            .iter()
            .filter(|r| r["ruleId"].as_str().unwrap().starts_with("hygiene/"))
            .count();
        assert_eq!(hygiene_results, hygiene, "{name}");
        assert_eq!(
            results.len(),
            r.findings.len() + r.secrets.len() + r.misconfigurations.len() + hygiene,
            "{name}"
        );
        for res in results {
            let i = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], res["ruleId"], "{name}");
            assert!(
                !res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .starts_with('/')
            );
        }
        // fingerprints: one per distinct finding
        let fps: HashSet<&str> = results
            .iter()
            .map(|r| r["partialFingerprints"]["drydock/v1"].as_str().unwrap())
            .collect();
        assert_eq!(fps.len(), results.len(), "{name}: fingerprints distinct");
    }
}

#[test]
fn sarif_validator_rejects_broken_documents() {
    let doc = json(&handmade(), Format::Sarif);
    assert!(violations(sarif_validator(), &doc).is_empty());
    let mut bad = doc.clone();
    bad["version"] = "2.0.0".into();
    assert!(!violations(sarif_validator(), &bad).is_empty());
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    let errors = violations(sarif_validator(), &bad);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/runs/0/results/0/level")),
        "{errors:?}"
    );
    let mut bad = doc.clone();
    bad["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert!(!violations(sarif_validator(), &bad).is_empty());
    // formats are asserted: a location must be a URI reference
    let mut bad = doc;
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "var/lib/dpkg/status file[1]".into();
    let errors = violations(sarif_validator(), &bad);
    assert!(
        errors.iter().any(|e| e.contains("/artifactLocation/uri")),
        "{errors:?}"
    );
}

#[test]
fn cyclonedx_is_valid_cyclonedx_1_6() {
    for (name, r) in all_reports() {
        let doc = json(&r, Format::CycloneDx);
        let errors = violations(cyclonedx_validator(), &doc);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        // every bom-ref unique, every reference resolves
        let mut refs = HashSet::new();
        refs.insert(doc["metadata"]["component"]["bom-ref"].as_str().unwrap());
        for c in doc["components"].as_array().unwrap() {
            assert!(
                refs.insert(c["bom-ref"].as_str().unwrap()),
                "{name}: duplicate {}",
                c["bom-ref"]
            );
        }
        assert_eq!(
            refs.len(),
            r.packages.len() + 1 + usize::from(r.os.is_some())
        );
        for d in doc["dependencies"].as_array().unwrap() {
            assert!(refs.contains(d["ref"].as_str().unwrap()));
            for x in d["dependsOn"].as_array().unwrap() {
                assert!(refs.contains(x.as_str().unwrap()), "{name}: {x}");
            }
        }
        let vulns = doc["vulnerabilities"].as_array().map_or(&[][..], |v| v);
        let ids: HashSet<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            vulns.len(),
            ids.len(),
            "{name}: one entry per vulnerability id"
        );
        let affected: usize = vulns
            .iter()
            .map(|v| v["affects"].as_array().unwrap().len())
            .sum();
        assert_eq!(
            affected,
            r.findings.len(),
            "{name}: one affects per finding"
        );
        for v in vulns {
            for a in v["affects"].as_array().unwrap() {
                assert!(
                    refs.contains(a["ref"].as_str().unwrap()),
                    "{name}: {}",
                    a["ref"]
                );
            }
        }
        assert!(
            doc["serialNumber"]
                .as_str()
                .unwrap()
                .starts_with("urn:uuid:")
        );
    }
}

#[test]
fn cyclonedx_validator_rejects_broken_documents() {
    let doc = json(&handmade(), Format::CycloneDx);
    assert!(violations(cyclonedx_validator(), &doc).is_empty());
    let mut bad = doc.clone();
    bad["components"][0]["type"] = "container-image".into();
    assert!(!violations(cyclonedx_validator(), &bad).is_empty());
    let mut bad = doc.clone();
    bad["serialNumber"] = "urn:uuid:not-a-uuid".into();
    assert!(!violations(cyclonedx_validator(), &bad).is_empty());
    // a licence id must be on the SPDX list (checked through the referenced spdx.schema.json)
    let mut bad = doc.clone();
    let i = bad["components"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["licenses"][0]["license"]["id"] == "MIT")
        .unwrap();
    bad["components"][i]["licenses"][0]["license"]["id"] = "Not-A-Listed-License".into();
    let errors = violations(cyclonedx_validator(), &bad);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("/components/{i}/licenses"))),
        "{errors:?}"
    );
    let mut bad = doc.clone();
    bad["vulnerabilities"][0]["ratings"][0]["method"] = "CVSSv5".into();
    assert!(!violations(cyclonedx_validator(), &bad).is_empty());
    // formats are asserted, not just annotations
    let mut bad = doc;
    bad["metadata"]["timestamp"] = "2026-03-04 05:06".into();
    let errors = violations(cyclonedx_validator(), &bad);
    assert!(
        errors.iter().any(|e| e.starts_with("/metadata/timestamp")),
        "{errors:?}"
    );
}

#[test]
fn spdx_is_valid_spdx_2_3() {
    let id_ok = |s: &str| {
        s.strip_prefix("SPDXRef-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    };
    for (name, r) in all_reports() {
        let doc = json(&r, Format::Spdx);
        let errors = violations(spdx_validator(), &doc);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        // what the schema leaves to the spec: id syntax and uniqueness, resolvable
        // relationships, licence expressions, declared LicenseRefs, namespace without '#'
        let mut ids = HashSet::new();
        ids.insert("SPDXRef-DOCUMENT".to_string());
        for p in doc["packages"].as_array().unwrap() {
            let id = p["SPDXID"].as_str().unwrap();
            assert!(id_ok(id), "{name}: {id}");
            assert!(ids.insert(id.to_string()), "{name}: duplicate {id}");
        }
        for rel in doc["relationships"].as_array().unwrap() {
            assert!(ids.contains(rel["spdxElementId"].as_str().unwrap()));
            assert!(ids.contains(rel["relatedSpdxElement"].as_str().unwrap()));
        }
        let declared: HashSet<&str> = doc["hasExtractedLicensingInfos"]
            .as_array()
            .map_or(&[][..], |v| v)
            .iter()
            .map(|l| l["licenseId"].as_str().unwrap())
            .collect();
        for p in doc["packages"].as_array().unwrap() {
            assert_eq!(p["licenseConcluded"], "NOASSERTION");
            let l = p["licenseDeclared"].as_str().unwrap();
            if l == "NOASSERTION" {
                continue;
            }
            if l.starts_with("LicenseRef-") {
                assert!(declared.contains(l), "{name}: {l} not declared");
            } else {
                spdx::Expression::parse(l).unwrap_or_else(|e| panic!("{name}: {l}: {e}"));
            }
        }
        let ns = doc["documentNamespace"].as_str().unwrap();
        assert!(ns.starts_with("https://") && !ns.contains('#') && !ns.contains(' '));
        assert_eq!(
            doc["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["primaryPackagePurpose"] == "OPERATING_SYSTEM")
                .count(),
            usize::from(r.os.is_some())
        );
    }
}

#[test]
fn spdx_validator_rejects_broken_documents() {
    let doc = json(&handmade(), Format::Spdx);
    assert!(violations(spdx_validator(), &doc).is_empty());
    // the spelling trivy 0.76 writes, which the 2.3 schema rejects
    let mut bad = doc.clone();
    bad["packages"][1]["primaryPackagePurpose"] = "OPERATING-SYSTEM".into();
    let errors = violations(spdx_validator(), &bad);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/packages/1/primaryPackagePurpose")),
        "{errors:?}"
    );
    let mut bad = doc.clone();
    bad.as_object_mut().unwrap().remove("creationInfo");
    assert!(!violations(spdx_validator(), &bad).is_empty());
    let mut bad = doc;
    bad["packages"][2]["externalRefs"][0]["referenceCategory"] = "PACKAGE_MANAGER".into();
    assert!(!violations(spdx_validator(), &bad).is_empty());
}

// ---------------------------------------------------------------- GitLab

/// The constraints of GitLab's container-scanning-report-format.json (security report
/// schema 15.0.7) on the fields Drydock writes — there is no copy of the schema in the
/// shared data, so they are restated here from the published schema.
fn gitlab_violations(doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            errs.push(what.to_string());
        }
    };
    let nonempty = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
    let time = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").unwrap();
    let url = regex::Regex::new(r"^(https?|ftp)://.+").unwrap();
    let v3 = regex::Regex::new(r"^CVSS:3[.][01]/((AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])/)*(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])$").unwrap();
    let v2 = regex::Regex::new(r"^((AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))/)*(AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))$").unwrap();
    need(
        doc["version"].as_str().is_some_and(|v| {
            regex::Regex::new(r"^[0-9]+\.[0-9]+\.[0-9]+$")
                .unwrap()
                .is_match(v)
        }),
        "version",
    );
    let scan = &doc["scan"];
    for who in ["analyzer", "scanner"] {
        for k in ["id", "name", "version"] {
            need(nonempty(&scan[who][k]), &format!("scan.{who}.{k}"));
        }
        need(
            nonempty(&scan[who]["vendor"]["name"]),
            &format!("scan.{who}.vendor"),
        );
    }
    for k in ["start_time", "end_time"] {
        need(
            scan[k].as_str().is_some_and(|t| time.is_match(t)),
            &format!("scan.{k}"),
        );
    }
    need(
        matches!(scan["status"].as_str(), Some("success" | "failure")),
        "scan.status",
    );
    need(scan["type"] == "container_scanning", "scan.type");
    for m in scan["messages"].as_array().map_or(&[][..], |v| v) {
        need(
            matches!(m["level"].as_str(), Some("info" | "warn" | "fatal")),
            "scan.messages.level",
        );
        need(nonempty(&m["value"]), "scan.messages.value");
    }
    need(doc["remediations"].is_array(), "remediations");
    let Some(vulns) = doc["vulnerabilities"].as_array() else {
        errs.push("vulnerabilities".into());
        return errs;
    };
    for (i, v) in vulns.iter().enumerate() {
        let at = |k: &str| format!("vulnerabilities[{i}].{k}");
        need(nonempty(&v["id"]), &at("id"));
        need(
            v["name"].as_str().is_none_or(|s| s.chars().count() <= 255),
            &at("name"),
        );
        need(
            v["solution"]
                .as_str()
                .is_none_or(|s| s.chars().count() <= 7000),
            &at("solution"),
        );
        need(
            v["severity"].is_null()
                || matches!(
                    v["severity"].as_str(),
                    Some("Info" | "Unknown" | "Low" | "Medium" | "High" | "Critical")
                ),
            &at("severity"),
        );
        let ids = v["identifiers"].as_array();
        need(ids.is_some_and(|a| !a.is_empty()), &at("identifiers"));
        for id in ids.map_or(&[][..], |v| v) {
            for k in ["type", "name", "value"] {
                need(nonempty(&id[k]), &at(&format!("identifiers.{k}")));
            }
            need(
                id["url"].is_null() || id["url"].as_str().is_some_and(|u| url.is_match(u)),
                &at("identifiers.url"),
            );
        }
        if let Some(cv) = v.get("cvss_vectors") {
            let a = cv.as_array();
            need(
                a.is_some_and(|a| (1..=10).contains(&a.len())),
                &at("cvss_vectors"),
            );
            for c in a.map_or(&[][..], |v| v) {
                need(nonempty(&c["vendor"]), &at("cvss_vectors.vendor"));
                let s = c["vector"].as_str().unwrap_or("");
                need(
                    (v3.is_match(s) && (32..=128).contains(&s.len()))
                        || (v2.is_match(s) && (16..=128).contains(&s.len())),
                    &at("cvss_vectors.vector"),
                );
            }
        }
        for l in v["links"].as_array().map_or(&[][..], |v| v) {
            need(
                l["url"].as_str().is_some_and(|u| url.is_match(u)),
                &at("links.url"),
            );
        }
        if let Some(d) = v.get("details") {
            for (k, item) in d.as_object().into_iter().flatten() {
                need(nonempty(&item["name"]), &at(&format!("details.{k}.name")));
                need(
                    item["type"] == "text" && item["value"].is_string(),
                    &at(&format!("details.{k}")),
                );
            }
        }
        let loc = &v["location"];
        need(
            loc["dependency"]["package"]["name"].is_string(),
            &at("location.dependency.package.name"),
        );
        need(
            loc["dependency"]["version"].is_string(),
            &at("location.dependency.version"),
        );
        need(
            nonempty(&loc["operating_system"]),
            &at("location.operating_system"),
        );
        need(nonempty(&loc["image"]), &at("location.image"));
    }
    errs
}

#[test]
fn gitlab_report_meets_its_schema() {
    for (name, r) in all_reports() {
        let doc = json(&r, Format::Gitlab);
        let errors = gitlab_violations(&doc);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let vulns = doc["vulnerabilities"].as_array().unwrap();
        assert_eq!(vulns.len(), r.findings.len(), "{name}");
        let ids: HashSet<&str> = vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), vulns.len(), "{name}: ids unique");
    }
    // the checker itself catches what GitLab would refuse
    let doc = json(&handmade(), Format::Gitlab);
    let mut bad = doc.clone();
    bad["scan"]["start_time"] = "2026-01-02T03:04:05Z".into();
    bad["vulnerabilities"][0]["severity"] = "CRITICAL".into();
    bad["vulnerabilities"][1]["identifiers"] = serde_json::json!([]);
    bad["vulnerabilities"][2]["cvss_vectors"] = serde_json::json!([{"vendor": "x", "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]);
    assert_eq!(
        gitlab_violations(&bad),
        [
            "scan.start_time",
            "vulnerabilities[0].severity",
            "vulnerabilities[1].identifiers",
            "vulnerabilities[2].cvss_vectors.vector"
        ]
    );
}

#[test]
fn gitlab_details_of_the_handmade_report() {
    let doc = json(&normalised(handmade()), Format::Gitlab);
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let log4j = vulns
        .iter()
        .find(|v| v["identifiers"][0]["value"] == "CVE-2021-44228")
        .unwrap();
    assert_eq!(log4j["severity"], "Critical");
    assert_eq!(
        log4j["solution"],
        "Upgrade org.apache.logging.log4j:log4j-core to 2.15.0"
    );
    assert_eq!(
        log4j["location"],
        serde_json::json!({
            "dependency": {"package": {"name": "org.apache.logging.log4j:log4j-core"},
                           "version": "2.14.1"},
            "operating_system": "debian 12",
            "image": "registry.example:5000/team/app:2.1"
        })
    );
    assert_eq!(
        log4j["identifiers"][1],
        serde_json::json!({"type": "ghsa", "name": "GHSA-jfh8-c2jp-5v3q",
            "value": "GHSA-jfh8-c2jp-5v3q", "url": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"})
    );
    // the CVSS v4 vector is left out, the non-URL reference too
    assert_eq!(log4j["cvss_vectors"].as_array().unwrap().len(), 1);
    assert_eq!(log4j["links"].as_array().unwrap().len(), 1);
    assert_eq!(doc["scan"]["start_time"], "2026-01-02T03:04:05");
    let apt = vulns
        .iter()
        .find(|v| v["identifiers"][0]["value"] == "CVE-2011-3374")
        .unwrap();
    assert_eq!(apt["severity"], "Info");
    assert_eq!(apt["solution"], "No fix available yet");
}

// ---------------------------------------------------------------- SARIF, CycloneDX details

#[test]
fn sarif_details_of_the_handmade_report() {
    let doc = json(&normalised(handmade()), Format::Sarif);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(
        rule("CVE-2021-44228")["properties"]["security-severity"],
        "10.0"
    );
    // Debian rates it MEDIUM qualitatively: the stand-in score, not OSV's CVSS 5.5
    assert_eq!(
        rule("CVE-2024-0727")["properties"]["security-severity"],
        "5.5"
    );
    assert_eq!(
        rule("CVE-2011-3374")["properties"]["security-severity"],
        "1.0"
    );
    assert!(
        rule("CVE-2023-24538")["properties"]
            .get("security-severity")
            .is_none()
    );
    assert_eq!(
        rule("CVE-2023-24538")["defaultConfiguration"]["level"],
        "warning"
    );
    assert_eq!(
        rule("CVE-2021-44228")["helpUri"],
        "https://logging.apache.org/log4j/2.x/security.html"
    );
    assert_eq!(
        rule("CVE-2021-23337")["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2021-23337"
    );
    assert_eq!(
        rule("secret/github-token")["properties"]["security-severity"],
        "9.5"
    );
    assert_eq!(rule("DD-DF-003")["name"], "Misconfiguration");
    // one rule for the two lodash copies, two results
    let results = run["results"].as_array().unwrap();
    let lodash: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "CVE-2021-23337")
        .collect();
    assert_eq!(lodash.len(), 2);
    assert_eq!(
        lodash[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/node_modules/legacy-lib/node_modules/lodash/package.json"
    );
    let key = results
        .iter()
        .find(|r| r["ruleId"] == "secret/private-key")
        .unwrap();
    assert_eq!(
        key["locations"][0]["physicalLocation"],
        serde_json::json!({"artifactLocation": {"uri": "etc/ssl/private/server%20key.pem"},
                           "region": {"startLine": 1}})
    );
    let env = results
        .iter()
        .find(|r| r["ruleId"] == "secret/github-token")
        .unwrap();
    assert_eq!(
        env["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "registry.example%3A5000/team/app%3A2.1"
    );
    let df = results.iter().find(|r| r["ruleId"] == "DD-DF-003").unwrap();
    assert_eq!(
        df["locations"][0]["physicalLocation"],
        serde_json::json!({"artifactLocation": {"uri": "Dockerfile"}, "region": {"startLine": 7}})
    );
    assert_eq!(
        results
            .iter()
            .find(|r| r["ruleId"] == "CVE-2021-44228")
            .unwrap()["message"]["text"],
        "Package: org.apache.logging.log4j:log4j-core (maven)\nInstalled version: 2.14.1\nVulnerability: CVE-2021-44228\nSeverity: CRITICAL\nFixed version: 2.15.0\nKnown exploited: CISA KEV, added 2021-12-10\nPath: /opt/app/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar\nLayer: layer 3 (sha256:4444444444444444444444444444444444444444444444444444444444444444)"
    );
    // the fingerprint does not depend on the run
    let again = json(&handmade(), Format::Sarif);
    assert_eq!(
        doc["runs"][0]["results"][0]["partialFingerprints"],
        again["runs"][0]["results"][0]["partialFingerprints"]
    );
    assert_eq!(again["runs"][0]["tool"]["driver"]["version"], "0.1.0");
}

#[test]
fn sarif_information_uri_is_configurable() {
    let r = handmade();
    let plain = json(&r, Format::Sarif);
    assert!(
        plain["runs"][0]["tool"]["driver"]
            .get("informationUri")
            .is_none()
    );
    let opts = drydock_report::RenderOptions {
        information_uri: Some("https://docs.example/drydock".into()),
        ..Default::default()
    };
    let text = drydock_report::render_with(&r, Format::Sarif, &opts).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["runs"][0]["tool"]["driver"]["informationUri"],
        "https://docs.example/drydock"
    );
    assert!(violations(sarif_validator(), &doc).is_empty());
}

#[test]
fn cyclonedx_details_of_the_handmade_report() {
    let r = handmade();
    let doc = json(&r, Format::CycloneDx);
    let comps = doc["components"].as_array().unwrap();
    let by_name = |n: &str| comps.iter().filter(|c| c["name"] == n).collect::<Vec<_>>();
    // the two lodash copies share a purl: the path tells them apart
    let lodash = by_name("lodash");
    assert_eq!(
        lodash
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "pkg:npm/lodash@4.17.20|/app/node_modules/lodash/package.json",
            "pkg:npm/lodash@4.17.20|/app/node_modules/legacy-lib/node_modules/lodash/package.json"
        ]
    );
    let log4j = &by_name("log4j-core")[0];
    assert_eq!(log4j["group"], "org.apache.logging.log4j");
    assert_eq!(
        log4j["licenses"],
        serde_json::json!([{"license": {"id": "Apache-2.0"}}])
    );
    let types = &by_name("node")[0];
    assert_eq!(types["group"], "@types");
    assert_eq!(types["scope"], "optional");
    let gomod = &by_name("github.com/example/mod")[0];
    assert_eq!(
        gomod["licenses"],
        serde_json::json!([{"license": {"name": "GPL-2+ with exceptions"}}])
    );
    // the image
    let image = &doc["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["name"], "registry.example:5000/team/app");
    assert_eq!(image["version"], "2.1");
    assert_eq!(
        image["hashes"],
        serde_json::json!([{"alg": "SHA-256", "content": "9".repeat(64)}])
    );
    // deterministic serial number, from the image ID
    assert_eq!(
        doc["serialNumber"],
        json(&normalised(handmade()), Format::CycloneDx)["serialNumber"]
    );
    let mut other = handmade();
    other.artifact.image_id = Some(format!("sha256:{}", "7".repeat(64)));
    assert_ne!(
        doc["serialNumber"],
        json(&other, Format::CycloneDx)["serialNumber"]
    );
    assert_eq!(doc["metadata"]["timestamp"], "2026-03-04T05:06:07Z");
    // vulnerabilities
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let v = |id: &str| vulns.iter().find(|v| v["id"] == id).unwrap();
    let log4shell = v("CVE-2021-44228");
    assert_eq!(
        log4shell["ratings"],
        serde_json::json!([
            {"source": {"name": "osv:Maven"}, "score": 10.0, "severity": "critical",
             "method": "CVSSv31", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"},
            {"source": {"name": "osv:Maven"}, "severity": "unknown", "method": "CVSSv4",
             "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"}
        ])
    );
    assert_eq!(
        log4shell["properties"],
        serde_json::json!([
            {"name": "drydock:kev:date_added", "value": "2021-12-10"},
            {"name": "drydock:kev:due_date", "value": "2021-12-24"},
            {"name": "drydock:kev:known_ransomware_campaign_use", "value": "Known"}
        ])
    );
    assert_eq!(
        log4shell["recommendation"],
        "Upgrade org.apache.logging.log4j:log4j-core to 2.15.0"
    );
    assert_eq!(log4shell["analysis"]["state"], "in_triage");
    assert_eq!(
        log4shell["analysis"]["response"],
        serde_json::json!(["update"])
    );
    assert_eq!(
        log4shell["affects"],
        serde_json::json!([{"ref": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "versions": [{"version": "2.14.1", "status": "affected"},
                         {"version": "2.15.0", "status": "unaffected"}]}])
    );
    assert_eq!(v("CVE-2021-23337")["affects"].as_array().unwrap().len(), 2);
    assert_eq!(
        v("CVE-2023-4039")["analysis"]["response"],
        serde_json::json!(["will_not_fix"])
    );
    assert!(v("CVE-2011-3374")["analysis"].get("response").is_none());
    assert_eq!(v("CVE-2011-3374")["published"], "2019-11-26T00:00:00Z");
    // Go's placeholder date is dropped
    assert!(v("CVE-2023-24538").get("published").is_none());
    // a qualitative severity without a rating behind it still becomes a rating
    assert_eq!(
        v("CVE-2024-0727")["ratings"][0],
        serde_json::json!({"source": {"name": "debian-tracker"}, "severity": "medium", "method": "other"})
    );
}

// ---------------------------------------------------------------- JUnit, CSV

#[test]
fn junit_is_well_formed_with_consistent_counts() {
    for (name, r) in all_reports() {
        let xml = render(&r, Format::Junit, false).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{name}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let mut total = 0;
        for suite in root.children().filter(|n| n.is_element()) {
            assert_eq!(suite.tag_name().name(), "testsuite");
            let cases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
            let failures = cases
                .iter()
                .filter(|c| c.children().any(|f| f.has_tag_name("failure")))
                .count();
            assert_eq!(suite.attribute("tests").unwrap(), cases.len().to_string());
            assert_eq!(suite.attribute("failures").unwrap(), failures.to_string());
            assert_eq!(
                failures,
                cases.len(),
                "{name}: only failing cases are listed"
            );
            total += cases.len();
        }
        assert_eq!(root.attribute("tests").unwrap(), total.to_string());
        // one case per package with findings, per file with secrets, per misconfiguration
        let packages: HashSet<(&str, &str, &str)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.package.name.as_str(),
                    f.package.version.as_str(),
                    f.package.path.as_str(),
                )
            })
            .collect();
        let secret_files: HashSet<&str> = r.secrets.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            total,
            packages.len() + secret_files.len() + r.misconfigurations.len(),
            "{name}"
        );
    }
}

#[test]
fn junit_groups_and_escapes() {
    let xml = render(&normalised(handmade()), Format::Junit, false).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<&str> = doc
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(
        suites,
        [
            "Debian GNU/Linux 12 (bookworm) (deb)",
            "/app/node_modules/legacy-lib/node_modules/lodash/package.json (npm)",
            "/app/node_modules/lodash/package.json (npm)",
            "/app/node_modules/minimist/package.json (npm)",
            "/opt/app/app.war (maven)",
            "/usr/local/bin/server (go)",
            "/usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA (pypi)",
            "secrets",
            "misconfigurations"
        ]
    );
    let df = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("DD-DF-003: Administrative port exposed"))
        .unwrap();
    let failure = df.children().find(|n| n.has_tag_name("failure")).unwrap();
    // text survives escaping exactly
    assert_eq!(
        failure.attribute("message").unwrap(),
        "DD-DF-003 [HIGH]: EXPOSE 22 <ssh> & \"telnet\" 23"
    );
    assert!(failure.text().unwrap().contains("where: Dockerfile:7\n"));
    // the terminal escape in a title is gone
    assert!(!xml.contains('\u{1b}'));
}

#[test]
fn csv_reads_back() {
    for (name, r) in all_reports() {
        let text = render(&r, Format::Csv, false).unwrap();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            rd.headers().unwrap().iter().collect::<Vec<_>>(),
            drydock_report::csv::HEADER
        );
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        let count = |t: &str| rows.iter().filter(|r| &r[0] == t).count();
        assert_eq!(count("vulnerability"), r.findings.len(), "{name}");
        assert_eq!(count("secret"), r.secrets.len(), "{name}");
        assert_eq!(
            count("misconfiguration"),
            r.misconfigurations.len(),
            "{name}"
        );
        assert_eq!(
            rows.len(),
            r.findings.len() + r.secrets.len() + r.misconfigurations.len()
        );
        for (row, f) in rows.iter().zip(&r.findings) {
            assert_eq!(&row[5], f.package.name);
            assert_eq!(&row[6], f.package.version);
            assert_eq!(&row[7], f.id);
            assert_eq!(&row[11], f.fixed_version.as_deref().unwrap_or(""));
            assert_eq!(&row[12], f.package.layer_index.to_string());
        }
    }
    let text = render(&handmade(), Format::Csv, false).unwrap();
    let pyyaml = text.lines().find(|l| l.contains("PyYAML,5.3.1")).unwrap();
    assert_eq!(
        pyyaml,
        "vulnerability,/usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA (pypi),/usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA,,pypi,PyYAML,5.3.1,CVE-2020-14343,GHSA-8q59-q68h-6hv4;PYSEC-2021-142,CRITICAL,fixed,5.4,1,sha256:2222222222222222222222222222222222222222222222222222222222222222,Improper Input Validation in PyYAML,9.8,,,"
    );
    assert!(text.contains(
        "\nsecret,secrets,config:Env[1],1,,,,github-token,,CRITICAL,present,,,,GitHub token: GITHUB_TOKEN=ghp_****,,,,\n"
    ));
}

// ---------------------------------------------------------------- all formats

#[test]
fn format_names() {
    for f in Format::ALL {
        assert_eq!(f.as_str().parse::<Format>().unwrap(), f);
        assert_eq!(f.to_string(), f.as_str());
    }
    assert_eq!("spdx".parse::<Format>().unwrap(), Format::Spdx);
    assert_eq!("SARIF".parse::<Format>().unwrap(), Format::Sarif);
    assert_eq!("CycloneDX".parse::<Format>().unwrap(), Format::CycloneDx);
    let err = "xml".parse::<Format>().unwrap_err();
    assert!(err.to_string().contains("unknown format \"xml\""), "{err}");
}

#[test]
fn render_dispatches_and_keeps_table_and_json() {
    let r = handmade();
    assert_eq!(
        render(&r, Format::Json, false).unwrap(),
        drydock_report::to_json(&r)
    );
    assert_eq!(
        render(&r, Format::Table, false).unwrap(),
        drydock_report::render_table(&r, false)
    );
    assert_eq!(
        render(&r, Format::Sarif, true).unwrap(),
        drydock_report::sarif::render(&r).unwrap()
    );
    assert_eq!(
        render(&r, Format::Spdx, false).unwrap(),
        drydock_report::spdx::render(&r).unwrap()
    );
    let opts = drydock_report::RenderOptions {
        spdx_namespace_base: "https://sbom.example/spdx/".into(),
        ..Default::default()
    };
    let text = drydock_report::render_with(&r, Format::Spdx, &opts).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let ns = doc["documentNamespace"].as_str().unwrap();
    assert!(
        ns.starts_with("https://sbom.example/spdx/registry.example-5000-team-app-2.1-"),
        "{ns}"
    );
}

#[test]
fn no_format_writes_a_full_secret() {
    let r = handmade();
    assert_eq!(
        r.secrets[0].found.secret.as_deref(),
        Some("AKIAIOSFODNN7EXAMPLE")
    );
    for f in Format::ALL {
        if matches!(f, Format::Json | Format::Table) {
            continue; // these show what the report holds (`--show-secrets` is the user's call)
        }
        if f.is_binary() {
            continue; // PDF: tests/pdf_html.rs reads its text back
        }
        let out = render(&r, f, false).unwrap();
        assert!(!out.contains("AKIAIOSFODNN7EXAMPLE"), "{f}");
    }
}

#[test]
fn hostile_text_never_breaks_a_format() {
    // HAND-WRITTEN: names and versions with control characters, quotes, markup, separators
    let mut r = handmade();
    let nasty = "x\u{0}\u{7}<a href=\"q\">'&;,|\n=cmd|' /C calc'!A0\u{fffe}é";
    r.packages[0].name = nasty.into();
    r.packages[0].version = nasty.into();
    r.packages[0].license = Some(nasty.into());
    r.findings[0].package.name = nasty.into();
    r.findings[0].package.version = nasty.into();
    r.findings[0].title = Some(nasty.into());
    r.findings[0].references = vec![nasty.into()];
    r.findings[0].published = Some(nasty.into());
    r.misconfigurations[0].message = nasty.into();
    r.artifact.repo_tags = vec![nasty.into()];
    r.created_at = nasty.into();
    for f in Format::ALL {
        if f.is_binary() {
            drydock_report::render_bytes(&r, f, &Default::default()).unwrap();
            continue; // PDF: tests/pdf_html.rs reads its text back
        }
        let out = render(&r, f, false).unwrap();
        // the table prints what the report holds; every other format drops control characters
        if f != Format::Table {
            assert!(!out.contains('\u{0}'), "{f}");
        }
    }
    assert!(violations(sarif_validator(), &json(&r, Format::Sarif)).is_empty());
    assert!(violations(cyclonedx_validator(), &json(&r, Format::CycloneDx)).is_empty());
    assert!(violations(cyclonedx_validator(), &json(&r, Format::CycloneDxVex)).is_empty());
    assert!(violations(spdx_validator(), &json(&r, Format::Spdx)).is_empty());
    assert!(gitlab_violations(&json(&r, Format::Gitlab)).is_empty());
    roxmltree::Document::parse(&render(&r, Format::Junit, false).unwrap()).unwrap();
    let csv_text = render(&r, Format::Csv, false).unwrap();
    let n = csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .count();
    assert_eq!(
        n,
        r.findings.len() + r.secrets.len() + r.misconfigurations.len()
    );
}

#[test]
fn an_empty_report_renders_everywhere() {
    let mut r = handmade();
    r.packages.clear();
    r.findings.clear();
    r.secrets.clear();
    r.misconfigurations.clear();
    r.warnings.clear();
    r.os = None;
    r.artifact.image_id = None;
    r.artifact.manifest_digest = None;
    r.artifact.repo_tags.clear();
    for f in Format::ALL {
        drydock_report::render_bytes(&r, f, &Default::default()).unwrap();
    }
    assert!(violations(sarif_validator(), &json(&r, Format::Sarif)).is_empty());
    assert!(violations(cyclonedx_validator(), &json(&r, Format::CycloneDx)).is_empty());
    assert!(violations(cyclonedx_validator(), &json(&r, Format::CycloneDxVex)).is_empty());
    assert!(violations(spdx_validator(), &json(&r, Format::Spdx)).is_empty());
    assert!(gitlab_violations(&json(&r, Format::Gitlab)).is_empty());
    assert_eq!(
        render(&r, Format::Junit, false).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"drydock oci:/tmp/app-layout\" tests=\"0\" failures=\"0\" errors=\"0\">\n</testsuites>\n"
    );
    assert_eq!(
        render(&r, Format::Csv, false).unwrap(),
        "type,target,path,line,kind,name,installed_version,id,aliases,severity,status,fixed_version,layer_index,layer_diff_id,title,cvss,epss,epss_percentile,kev\n"
    );
}

// ---------------------------------------------------------------- docs/samples

/// The per-format samples in docs/samples, rendered from the real Alpine scan
/// (docs/samples/report.json) as it is.
fn doc_samples() -> BTreeMap<PathBuf, String> {
    let dir = samples_dir();
    let r: Report =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for f in [
        Format::Sarif,
        Format::CycloneDx,
        Format::Spdx,
        Format::Junit,
        Format::Csv,
        Format::Gitlab,
    ] {
        out.insert(
            dir.join(format!("report.{}", f.extension())),
            render(&r, f, false).unwrap(),
        );
    }
    out.insert(
        dir.join(format!("report.{}", Format::CycloneDxVex.extension())),
        render(&vex_sample(r), Format::CycloneDxVex, false).unwrap(),
    );
    out
}

/// The real Alpine scan as `--vex` with one hand-written OpenVEX `not_affected` statement
/// (CVE-2024-9143 on libcrypto3, as in crates/policy/tests/vex.rs) leaves it: that finding
/// suppressed, its analysis what the policy crate makes of the statement.
fn vex_sample(mut r: Report) -> Report {
    use drydock_report::{Analysis, AnalysisState, SuppressedFinding};
    let i = r
        .findings
        .iter()
        .position(|f| f.id == "CVE-2024-9143" && f.package.name == "libcrypto3")
        .expect("the sample has CVE-2024-9143 on libcrypto3");
    let finding = r.findings.remove(i);
    r.vex.suppressed.push(SuppressedFinding {
        finding,
        analysis: Analysis {
            state: AnalysisState::NotAffected,
            justification: Some("code_not_reachable".into()),
            response: vec![],
            detail: "OpenVEX acme.openvex.json (statement 0): not_affected: \
                     vulnerable_code_not_in_execute_path — only named curves are used"
                .into(),
        },
    });
    r
}

#[test]
fn docs_samples_are_in_step() {
    let samples = doc_samples();
    if std::env::var_os("DRYDOCK_UPDATE_SAMPLES").is_some() {
        for (path, text) in &samples {
            std::fs::write(path, text).unwrap();
        }
        return;
    }
    let mut stale = Vec::new();
    for (path, text) in &samples {
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale samples (DRYDOCK_UPDATE_SAMPLES=1 cargo test -p drydock-report rewrites them): {stale:?}"
    );
}

// ---------------------------------------------------------------- EPSS, NVD, VEX

/// The hand-made report with what an EPSS/NVD-enriched scan and a policy evaluation add: an
/// EPSS score and NVD ratings on the first finding, a VEX `affected` analysis on the second,
/// and the last finding suppressed by an OpenVEX `not_affected` statement (HAND-WRITTEN
/// scores, a format test input).
fn enriched() -> Report {
    use drydock_report::{Analysis, AnalysisState, SuppressedFinding};
    let mut r = handmade();
    let f = &mut r.findings[0];
    f.epss = Some(drydock_vulndb::EpssScore {
        score: 0.91963,
        percentile: 0.9903,
        date: "2024-10-25".into(),
    });
    f.ratings.push(drydock_vulndb::SeverityRating {
        source: "nvd".into(),
        severity: drydock_vulndb::Severity::Critical,
        cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
        score: Some(9.8),
    });
    f.ratings.push(drydock_vulndb::SeverityRating {
        source: "nvd:cna@vuldb.com".into(),
        severity: drydock_vulndb::Severity::Medium,
        cvss_vector: Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N".into()),
        score: Some(6.9),
    });
    let gone = r.findings.pop().unwrap();
    r.vex.kept.insert(
        1,
        Analysis {
            state: AnalysisState::Exploitable,
            justification: None,
            response: vec!["update".into()],
            detail: "OpenVEX vex.json (statement 0): affected — reachable from the API".into(),
        },
    );
    r.vex.suppressed.push(SuppressedFinding {
        finding: gone,
        analysis: Analysis {
            state: AnalysisState::NotAffected,
            justification: Some("code_not_present".into()),
            response: vec![],
            detail: "OpenVEX vex.json (statement 1): not_affected — vulnerable_code_not_present"
                .into(),
        },
    });
    r
}

#[test]
fn cyclonedx_vex_carries_every_analysis() {
    let r = enriched();
    let doc = json(&r, Format::CycloneDxVex);
    let errs = violations(cyclonedx_validator(), &doc);
    assert!(errs.is_empty(), "{errs:#?}");
    // the docs sample (the real Alpine scan with one suppression) is valid too
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(samples_dir().join("report.vex.cdx.json")).unwrap(),
    )
    .unwrap();
    let errs = violations(cyclonedx_validator(), &sample);
    assert!(errs.is_empty(), "{errs:#?}");
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let suppressed = &r.vex.suppressed[0].finding;
    // the suppressed finding is there, not_affected, pointing at its component
    let v = vulns
        .iter()
        .find(|v| v["id"] == suppressed.id.as_str() && v["analysis"]["state"] == "not_affected")
        .expect("the suppressed finding");
    assert_eq!(v["analysis"]["justification"], "code_not_present");
    let bom_ref = v["affects"][0]["ref"].as_str().unwrap();
    let comp = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["bom-ref"] == bom_ref)
        .expect("affects names a component");
    assert_eq!(comp["name"], suppressed.package.name.as_str());
    // the annotated kept finding is exploitable, the others in triage
    let second = &r.findings[1];
    let v = vulns
        .iter()
        .find(|v| v["id"] == second.id.as_str())
        .unwrap();
    assert_eq!(v["analysis"]["state"], "exploitable");
    let states: Vec<&str> = vulns
        .iter()
        .map(|v| v["analysis"]["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"in_triage"), "{states:?}");
    // EPSS as properties, NVD ratings with their source
    let first = &r.findings[0];
    let v = vulns.iter().find(|v| v["id"] == first.id.as_str()).unwrap();
    let props: Vec<(&str, &str)> = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert!(
        props.contains(&("drydock:epss:score", "0.91963")),
        "{props:?}"
    );
    assert!(props.contains(&("drydock:epss:percentile", "0.9903")));
    assert!(props.contains(&("drydock:epss:date", "2024-10-25")));
    let nvd = v["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["source"]["name"] == "NVD")
        .expect("an NVD rating");
    assert_eq!(nvd["method"], "CVSSv31");
    assert_eq!(nvd["score"], 9.8);
    assert_eq!(
        nvd["source"]["url"],
        format!("https://nvd.nist.gov/vuln/detail/{}", first.id)
    );
    let cna = v["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["source"]["name"] == "cna@vuldb.com")
        .expect("the CNA's rating the NVD republishes");
    assert_eq!(cna["method"], "CVSSv4");
    // the plain CycloneDX BOM leaves suppressed findings out and has its own serial number
    let bom = json(&r, Format::CycloneDx);
    assert!(
        !bom["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["analysis"]["state"] == "not_affected")
    );
    assert_ne!(bom["serialNumber"], doc["serialNumber"]);
    settings().bind(|| {
        insta::assert_snapshot!(
            "handmade__cyclonedx-vex",
            render(&normalised(r.clone()), Format::CycloneDxVex, false).unwrap()
        )
    });
}

#[test]
fn epss_and_nvd_in_the_other_formats() {
    let r = enriched();
    let first = r.findings[0].id.clone();
    // table: an EPSS column in the table of that finding's package
    let table = render(&r, Format::Table, false).unwrap();
    assert!(table.contains("┆ EPSS  ┆"), "{table}");
    assert!(table.contains("92.0%"), "{table}");
    // SARIF: rule properties and help text
    let sarif = json(&r, Format::Sarif);
    assert!(violations(sarif_validator(), &sarif).is_empty());
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == first.as_str())
        .unwrap();
    assert_eq!(rule["properties"]["epss"], 0.91963);
    assert_eq!(rule["properties"]["epss-percentile"], 0.9903);
    let help = rule["help"]["text"].as_str().unwrap();
    assert!(
        help.contains("EPSS: 0.91963 (percentile 0.9903, 2024-10-25)"),
        "{help}"
    );
    assert!(
        help.contains("CVSS (NVD): 9.8 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        "{help}"
    );
    assert!(
        help.contains("CVSS (cna@vuldb.com via NVD): 6.9 CVSS:4.0/"),
        "{help}"
    );
    // CSV: cvss, epss, epss_percentile, kev
    let csv = render(&r, Format::Csv, false).unwrap();
    let mut rd = ::csv::Reader::from_reader(csv.as_bytes());
    let row = rd
        .records()
        .map(|x| x.unwrap())
        .find(|x| &x[7] == first.as_str())
        .unwrap();
    assert_eq!(&row[15], "9.8");
    assert_eq!(&row[16], "0.91963");
    assert_eq!(&row[17], "0.9903");
    // GitLab: EPSS in details, the NVD vector under vendor NVD
    let gl = json(&r, Format::Gitlab);
    assert!(gitlab_violations(&gl).is_empty());
    let v = gl["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["identifiers"][0]["value"] == first.as_str())
        .unwrap();
    assert_eq!(
        v["details"]["epss"]["value"],
        "0.91963 (percentile 0.9903, 2024-10-25)"
    );
    assert!(
        v["cvss_vectors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["vendor"] == "NVD")
    );
    // JSON: the new field
    let j: Value = serde_json::from_str(&render(&r, Format::Json, false).unwrap()).unwrap();
    assert_eq!(drydock_report::SCHEMA_VERSION, "1.1");
    assert_eq!(
        j["findings"][0]["epss"],
        serde_json::json!({"score": 0.91963, "percentile": 0.9903, "date": "2024-10-25"})
    );
    // the VEX side is not part of the JSON report
    assert!(j.get("vex").is_none());
}
