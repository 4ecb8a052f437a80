//! SPDX 2.3 JSON: the image (`primaryPackagePurpose: CONTAINER`), its OS
//! (`OPERATING_SYSTEM`, the schema's spelling) and every package, with `DESCRIBES` and
//! `CONTAINS` relationships. Own serde types.
//!
//! * `documentNamespace` is `<base>/<image name>-<uuid>` where the UUID is name-based (v5) on
//!   the image ID (else manifest digest, else source): the same image gives the same
//!   namespace. The base is configurable ([`DEFAULT_NAMESPACE_BASE`] by default: the SPDX
//!   project's documented prefix for documents without a home of their own).
//! * `SPDXID`s are `SPDXRef-` + a readable part sanitised to `[A-Za-z0-9.-]` + a short
//!   name-based hash, so they are unique and stable.
//! * Licences: `licenseDeclared` is the package's licence when it is a valid SPDX expression
//!   of listed licences; other licence texts become `LicenseRef-` ids declared in
//!   `hasExtractedLicensingInfos`; no licence gives `NOASSERTION`. `licenseConcluded` is
//!   always `NOASSERTION` (Drydock reads what packages declare, it concludes nothing).
//! * Vulnerabilities, secrets and misconfigurations are not SBOM content and are left out.

use crate::common::{
    License, classify_license, clean_text, created_time, image_key, image_name, split_reference,
    to_pretty_json, utc_seconds, uuid_v5,
};
use crate::{Format, Report, ReportError};
use drydock_inventory::Package;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Default prefix of `documentNamespace`.
pub const DEFAULT_NAMESPACE_BASE: &str = "https://spdx.org/spdxdocs/drydock";

const NOASSERTION: &str = "NOASSERTION";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdxid: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

#[derive(Serialize)]
struct CreationInfo {
    creators: Vec<String>,
    created: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdxid: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    extracted_text: String,
    name: String,
}

/// `SPDXRef-<prefix>-<readable part>-<8 hex of a name-based hash>`, the readable part
/// sanitised to `[A-Za-z0-9.-]` and shortened.
fn spdx_id(prefix: &str, readable: &str, unique: &[&str]) -> String {
    let mut part: String = readable
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    while part.contains("--") {
        part = part.replace("--", "-");
    }
    let part = part.trim_matches('-');
    let hash = uuid_v5(unique);
    let short = &hash[..8];
    if part.is_empty() {
        format!("SPDXRef-{prefix}-{short}")
    } else {
        format!("SPDXRef-{prefix}-{part}-{short}")
    }
}

/// `documentNamespace` must not contain `#`; spaces and other odd characters are dropped.
fn namespace_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

struct Licenses {
    extracted: Vec<ExtractedLicense>,
    by_text: HashMap<String, String>,
}

impl Licenses {
    fn declared(&mut self, p: &Package) -> String {
        match p.license.as_deref().and_then(classify_license) {
            None => NOASSERTION.to_string(),
            Some(License::Id(s)) | Some(License::Expression(s)) => s.to_string(),
            Some(License::Other(text)) => {
                if let Some(id) = self.by_text.get(text) {
                    return id.clone();
                }
                let id = format!("LicenseRef-{}", self.extracted.len() + 1);
                self.extracted.push(ExtractedLicense {
                    license_id: id.clone(),
                    extracted_text: clean_text(text),
                    name: clean_text(text),
                });
                self.by_text.insert(text.to_string(), id.clone());
                id
            }
        }
    }
}

/// Render with the default namespace base.
pub fn render(report: &Report) -> Result<String, ReportError> {
    render_with(report, DEFAULT_NAMESPACE_BASE)
}

/// Render; `namespace_base` prefixes `documentNamespace`.
pub fn render_with(report: &Report, namespace_base: &str) -> Result<String, ReportError> {
    to_pretty_json(&build(report, namespace_base), Format::Spdx)
}

fn build(r: &Report, namespace_base: &str) -> Document {
    let name = clean_text(image_name(r));
    let key = image_key(r);
    let (repo, tag) = split_reference(&name);
    let image_id = spdx_id("Image", repo, &["spdx-image", key]);
    let mut packages = Vec::new();
    let mut relationships = vec![Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: image_id.clone(),
    }];

    let mut checksums = Vec::new();
    if let Some(hex) = r
        .artifact
        .image_id
        .as_deref()
        .and_then(|d| d.strip_prefix("sha256:"))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        checksums.push(Checksum {
            algorithm: "SHA256",
            checksum_value: hex.to_ascii_lowercase(),
        });
    }
    let mut image_comment = format!("source: {}", clean_text(&r.artifact.source));
    if let Some(id) = &r.artifact.image_id {
        image_comment.push_str(&format!("; image ID: {id}"));
    }
    if let Some(d) = &r.artifact.manifest_digest {
        image_comment.push_str(&format!("; manifest digest: {d}"));
    }
    if let Some(p) = &r.artifact.platform {
        image_comment.push_str(&format!("; platform: {p}"));
    }
    packages.push(SpdxPackage {
        spdxid: image_id.clone(),
        name: repo.to_string(),
        version_info: tag
            .map(str::to_string)
            .or_else(|| r.artifact.manifest_digest.clone())
            .or_else(|| r.artifact.image_id.clone()),
        download_location: NOASSERTION,
        files_analyzed: false,
        primary_package_purpose: Some("CONTAINER"),
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.into(),
        copyright_text: NOASSERTION,
        comment: Some(image_comment),
        checksums,
        ..SpdxPackage::default()
    });

    if let Some(os) = &r.os {
        let version = os.version_id.as_deref().unwrap_or("");
        let os_id = spdx_id(
            "OperatingSystem",
            &format!("{}-{version}", os.id),
            &["spdx-os", key, &os.id, version],
        );
        packages.push(SpdxPackage {
            spdxid: os_id.clone(),
            name: clean_text(&os.id),
            version_info: os.version_id.as_deref().map(clean_text),
            download_location: NOASSERTION,
            files_analyzed: false,
            primary_package_purpose: Some("OPERATING_SYSTEM"),
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION.into(),
            copyright_text: NOASSERTION,
            description: os.pretty_name.as_deref().map(clean_text),
            source_info: Some(format!("read from {}", clean_text(&os.source_path))),
            ..SpdxPackage::default()
        });
        relationships.push(Relationship {
            spdx_element_id: image_id.clone(),
            relationship_type: "CONTAINS",
            related_spdx_element: os_id,
        });
    }

    let mut licenses = Licenses {
        extracted: Vec::new(),
        by_text: HashMap::new(),
    };
    let mut used: HashSet<String> = HashSet::new();
    for (i, p) in r.packages.iter().enumerate() {
        let readable = format!("{}-{}-{}", p.kind.as_str(), p.name, p.version);
        let mut id = spdx_id(
            "Package",
            &readable,
            &["spdx-package", &p.purl, &p.path, &p.name, &p.version],
        );
        if !used.insert(id.clone()) {
            // the same package twice at the same path: keep ids unique
            id = spdx_id(
                "Package",
                &readable,
                &[
                    "spdx-package",
                    &p.purl,
                    &p.path,
                    &p.name,
                    &p.version,
                    &i.to_string(),
                ],
            );
            used.insert(id.clone());
        }
        let mut external_refs = Vec::new();
        let purl = p.purl.trim();
        if !purl.is_empty() && !purl.contains(char::is_whitespace) {
            external_refs.push(ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: purl.to_string(),
            });
        }
        let mut source_info = format!(
            "{} package read from {} in layer {} ({})",
            p.kind.as_str(),
            clean_text(&p.path),
            p.layer_index,
            p.layer_diff_id
        );
        if p.source_name != p.name || p.source_version != p.version {
            source_info.push_str(&format!(
                "; built from source package {} {}",
                clean_text(&p.source_name),
                clean_text(&p.source_version)
            ));
        }
        packages.push(SpdxPackage {
            spdxid: id.clone(),
            name: clean_text(&p.name),
            version_info: Some(clean_text(&p.version)),
            download_location: NOASSERTION,
            files_analyzed: false,
            primary_package_purpose: (!p.kind.is_os()).then_some("LIBRARY"),
            license_concluded: NOASSERTION,
            license_declared: licenses.declared(p),
            copyright_text: NOASSERTION,
            source_info: Some(source_info),
            comment: p.dev.then(|| "development dependency".to_string()),
            external_refs,
            ..SpdxPackage::default()
        });
        relationships.push(Relationship {
            spdx_element_id: image_id.clone(),
            relationship_type: "CONTAINS",
            related_spdx_element: id,
        });
    }

    Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdxid: "SPDXRef-DOCUMENT",
        name: name.clone(),
        document_namespace: format!(
            "{}/{}-{}",
            namespace_base.trim_end_matches('/'),
            namespace_name(&name),
            uuid_v5(&["spdx", key])
        ),
        creation_info: CreationInfo {
            creators: vec![format!("Tool: drydock-{}", clean_text(&r.tool.version))],
            created: utc_seconds(created_time(r)),
        },
        packages,
        relationships,
        has_extracted_licensing_infos: licenses.extracted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitised_and_stable() {
        let a = spdx_id("Package", "npm-@types/node-20.1.0+b", &["x"]);
        assert!(
            a.starts_with("SPDXRef-Package-npm-types-node-20.1.0-b-"),
            "{a}"
        );
        assert_eq!(a, spdx_id("Package", "npm-@types/node-20.1.0+b", &["x"]));
        assert!(
            a["SPDXRef-".len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        );
        assert_eq!(spdx_id("P", "///", &["x"]).len(), "SPDXRef-P-".len() + 8);
        assert_eq!(namespace_name("example/app:1.0#x y"), "example-app-1.0-x-y");
    }
}
