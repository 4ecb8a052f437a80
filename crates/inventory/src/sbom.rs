//! SBOM input: an inventory from a CycloneDX or SPDX document instead of an image, so that
//! `drydock sbom <file>` can match Drydock's own, syft's or trivy's SBOMs against the
//! vulnerability DB.
//!
//! Read: CycloneDX JSON (`bomFormat: CycloneDX`, `specVersion` 1.2–1.6, and 1.7 as trivy
//! 0.76 writes it; other versions are read the same way with a warning) and SPDX 2.2/2.3 JSON
//! (`spdxVersion`; other 2.x with a warning). Rejected with an error naming the format:
//! CycloneDX XML and YAML, SPDX tag-value, RDF/XML and YAML, and SPDX 3 JSON-LD.
//!
//! The mapping (docs/sbom-input.md has the full table):
//!
//! * **Identity from the purl.** Types `deb`, `apk`, `rpm`, `pypi`, `npm`, `maven`, `golang`,
//!   `cargo`, `gem`, `composer`, `nuget` give the [`PackageKind`]; the name is spelled as the
//!   catalogers spell it (Maven `groupId:artifactId`, npm `@scope/name`, Go the full module
//!   path, Composer `vendor/name`), keeping the document's own spelling when it differs only
//!   in case (or, for PyPI, in PEP 503 normalisation): purls lowercase Go namespaces and PyPI
//!   names, advisories do not. The version comes from the purl, else from the component.
//!   Components without a purl or with another purl type are skipped with one warning.
//! * **Source packages** (what Debian and Alpine advisories are keyed by) as
//!   [`crate::build_inventory`] fills them: the purl's `upstream` qualifier (deb `name` or
//!   `name@version`, apk origin, rpm source RPM file name + `epoch`), else the producer's own
//!   fields (Drydock `drydock:package:source`, syft `syft:metadata:*`, trivy
//!   `aquasecurity:trivy:Src*`, SPDX `sourceInfo`).
//! * **OS** from the document's operating-system component/package, else from the `distro`
//!   qualifier of the OS packages' purls, as os-release would give it (`id`, `version_id`,
//!   codename for Debian and Ubuntu), so the advisory namespace is the one an image scan uses.
//! * **Path**: the location the document gives (Drydock's, syft's or trivy's), else
//!   `sbom:<bom-ref or SPDXID>`; `layer_index` is 0 and `layer_diff_id` the layer the document
//!   names, else empty.
//!
//! Hostile input: documents over [`MAX_SBOM_SIZE`] are refused; JSON nesting is bounded by
//! serde_json's recursion limit and nested components are walked to [`MAX_NESTING`] levels;
//! only the fields used are kept in memory; wrongly typed fields are ignored, not fatal.

use crate::rpm::parse_source_rpm;
use crate::{Inventory, OsInfo, Package, PackageKind};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

/// Largest SBOM read (bigger ones are refused before parsing).
pub const MAX_SBOM_SIZE: usize = 256 << 20;
/// Nested CycloneDX components (`components[].components`) are read this many levels deep.
pub const MAX_NESTING: usize = 32;
/// Names listed in the warning about skipped components.
const SHOWN_SKIPPED: usize = 5;

/// Why an SBOM could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    #[error("SBOM is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error(
        "{format} is not supported: Drydock reads CycloneDX JSON (spec 1.2-1.7) and SPDX 2.2/2.3 JSON{hint}"
    )]
    Unsupported { format: String, hint: String },
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("not an SBOM: {0}")]
    NotSbom(String),
}

/// The SBOM formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

impl SbomFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "CycloneDX",
            SbomFormat::Spdx => "SPDX",
        }
    }
}

/// A parsed SBOM: what it is, who made it, and the inventory it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct Sbom {
    pub format: SbomFormat,
    /// `specVersion` (`1.6`) or `spdxVersion` (`SPDX-2.3`), as written.
    pub spec_version: String,
    /// Tools that produced it (`syft 1.18.1`, `trivy-0.76.0`), as the document names them.
    pub tools: Vec<String>,
    pub inventory: Inventory,
}

/// Read a CycloneDX or SPDX JSON SBOM into an [`Inventory`] (see the module docs).
pub fn parse_sbom(bytes: &[u8]) -> Result<Inventory, SbomError> {
    read_sbom(bytes).map(|s| s.inventory)
}

/// Like [`parse_sbom`], also telling the format, spec version and producing tools.
pub fn read_sbom(bytes: &[u8]) -> Result<Sbom, SbomError> {
    if bytes.len() > MAX_SBOM_SIZE {
        return Err(SbomError::TooLarge {
            size: bytes.len(),
            limit: MAX_SBOM_SIZE,
        });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    match body.first() {
        Some(b'{') => {}
        Some(b'<') => return Err(xml_error(body)),
        Some(_) => return Err(text_error(body)),
        None => return Err(SbomError::NotSbom("the document is empty".into())),
    }
    let doc: Doc = serde_json::from_slice(body).map_err(|e| SbomError::Json(e.to_string()))?;
    let mut warnings = Vec::new();
    let mut out = Output::default();
    let (format, spec_version, tools) = if doc
        .bom_format
        .get()
        .is_some_and(|f| f.eq_ignore_ascii_case("CycloneDX"))
    {
        let spec = doc.spec_version.get().unwrap_or("").to_string();
        match spec.as_str() {
            // 1.7 (trivy 0.76 writes it) changed nothing Drydock reads
            "1.2" | "1.3" | "1.4" | "1.5" | "1.6" | "1.7" => {}
            "" => warnings.push("CycloneDX document without specVersion; read as 1.7".into()),
            v => warnings.push(format!(
                "CycloneDX specVersion {v} is outside 1.2-1.7; read as 1.7"
            )),
        }
        let tools = doc
            .metadata
            .0
            .as_ref()
            .map(|m| m.tools.0.clone())
            .unwrap_or_default();
        read_cyclonedx(&doc, &mut out);
        (SbomFormat::CycloneDx, spec, tools)
    } else if let Some(v) = doc.spdx_version.get() {
        let upper = v.to_ascii_uppercase();
        if upper.starts_with("SPDX-3") {
            return Err(SbomError::Unsupported {
                format: format!("SPDX {}", &v[5.min(v.len())..]),
                hint: String::new(),
            });
        }
        match upper.as_str() {
            "SPDX-2.2" | "SPDX-2.3" => {}
            _ => warnings.push(format!(
                "spdxVersion {v} is not SPDX-2.2 or SPDX-2.3; read as SPDX-2.3"
            )),
        }
        let tools = doc
            .creation_info
            .0
            .as_ref()
            .map(|c| {
                c.creators
                    .0
                    .iter()
                    .filter_map(|t| t.get())
                    .filter_map(|t| t.strip_prefix("Tool:"))
                    .map(|t| t.trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        read_spdx(&doc, &mut out);
        (SbomFormat::Spdx, v.to_string(), tools)
    } else if doc
        .context
        .get()
        .is_some_and(|c| c.to_ascii_lowercase().contains("spdx"))
        || doc.has_graph.is_some()
    {
        return Err(SbomError::Unsupported {
            format: "SPDX 3 JSON-LD".into(),
            hint: String::new(),
        });
    } else {
        return Err(SbomError::NotSbom(
            "a JSON document with neither `bomFormat: CycloneDX` nor `spdxVersion`".into(),
        ));
    };
    Ok(Sbom {
        format,
        spec_version,
        tools,
        inventory: out.finish(warnings),
    })
}

fn head_lower(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_lowercase()
}

fn xml_error(body: &[u8]) -> SbomError {
    let head = head_lower(body);
    if head.contains("cyclonedx") {
        SbomError::Unsupported {
            format: "CycloneDX XML".into(),
            hint: "; convert it to CycloneDX JSON first".into(),
        }
    } else if head.contains("spdx") {
        SbomError::Unsupported {
            format: "SPDX RDF/XML".into(),
            hint: "; convert it to SPDX JSON first".into(),
        }
    } else {
        SbomError::NotSbom("an XML document that is not CycloneDX".into())
    }
}

fn text_error(body: &[u8]) -> SbomError {
    let head = head_lower(body);
    let line_starts = |key: &str| head.lines().any(|l| l.trim_start().starts_with(key));
    if line_starts("spdxversion:") {
        // tag-value writes `SPDXVersion: SPDX-2.3`, YAML `spdxVersion: SPDX-2.3`
        let tag_value = String::from_utf8_lossy(&body[..body.len().min(4096)])
            .lines()
            .any(|l| l.trim_start().starts_with("SPDXVersion:"));
        SbomError::Unsupported {
            format: if tag_value {
                "SPDX tag-value"
            } else {
                "SPDX YAML"
            }
            .into(),
            hint: "; convert it to SPDX JSON first".into(),
        }
    } else if line_starts("bomformat:") {
        SbomError::Unsupported {
            format: "CycloneDX YAML".into(),
            hint: "; convert it to CycloneDX JSON first".into(),
        }
    } else {
        SbomError::NotSbom("not JSON (the document does not start with `{`)".into())
    }
}

// ---------------------------------------------------------------------------------------
// Lenient serde types: a wrongly typed field is ignored (None / empty), never fatal, and
// fields Drydock does not use are skipped without being kept in memory.

/// A JSON string or number as text; null, booleans, arrays and objects give `None`.
#[derive(Debug, Default, Clone)]
struct Text(Option<String>);

impl Text {
    fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut a: A) -> Result<(), A::Error> {
    while a.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut a: A) -> Result<(), A::Error> {
    while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<Text, A::Error> {
                drain_seq(a).map(|_| Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Text, A::Error> {
                drain_map(a).map(|_| Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON array; anything else gives an empty list.
#[derive(Debug)]
struct List<T>(Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            ignore_scalars!(List::default());
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<List<T>, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element::<T>()? {
                    v.push(x);
                }
                Ok(List(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<List<T>, A::Error> {
                drain_map(a).map(|_| List::default())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON object read as `T`; anything else gives `None` (counted as a malformed entry).
#[derive(Debug)]
struct Obj<T>(Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            ignore_scalars!(Obj(None));
            fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<Obj<T>, A::Error> {
                drain_seq(a).map(|_| Obj(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(a)).map(|t| Obj(Some(t)))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// CycloneDX `metadata.tools`: an array of tools (1.2–1.4) or `{components, services}`
/// (1.5+); kept as `name version` strings.
#[derive(Debug, Default)]
struct Tools(Vec<String>);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxTool {
    name: Text,
    version: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxToolsObject {
    components: List<Obj<CdxTool>>,
    services: List<Obj<CdxTool>>,
}

fn tool_names<'a>(tools: impl Iterator<Item = &'a Obj<CdxTool>>) -> Vec<String> {
    tools
        .filter_map(|t| t.0.as_ref())
        .filter_map(|t| {
            let name = t.name.get()?;
            Some(match t.version.get() {
                Some(v) => format!("{name} {v}"),
                None => name.to_string(),
            })
        })
        .collect()
}

impl<'de> Deserialize<'de> for Tools {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tools;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            ignore_scalars!(Tools::default());
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Tools, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element::<Obj<CdxTool>>()? {
                    v.push(x);
                }
                Ok(Tools(tool_names(v.iter())))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Tools, A::Error> {
                let o = CdxToolsObject::deserialize(de::value::MapAccessDeserializer::new(a))?;
                Ok(Tools(tool_names(
                    o.components.0.iter().chain(o.services.0.iter()),
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// Both formats' top-level fields, read in one pass.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Doc {
    #[serde(rename = "bomFormat")]
    bom_format: Text,
    #[serde(rename = "specVersion")]
    spec_version: Text,
    metadata: Obj<CdxMetadata>,
    components: List<Obj<CdxComponent>>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Text,
    #[serde(rename = "creationInfo")]
    creation_info: Obj<SpdxCreationInfo>,
    #[serde(rename = "documentDescribes")]
    document_describes: List<Text>,
    packages: List<Obj<SpdxPackage>>,
    files: List<Obj<SpdxFile>>,
    relationships: List<Obj<SpdxRelationship>>,
    #[serde(rename = "hasExtractedLicensingInfos")]
    extracted_licenses: List<Obj<SpdxExtractedLicense>>,
    /// SPDX 3 documents are JSON-LD.
    #[serde(rename = "@context")]
    context: Text,
    #[serde(rename = "@graph")]
    has_graph: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxMetadata {
    tools: Tools,
    component: Obj<CdxComponent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxComponent {
    #[serde(rename = "type")]
    kind: Text,
    #[serde(rename = "bom-ref")]
    bom_ref: Text,
    group: Text,
    name: Text,
    version: Text,
    description: Text,
    purl: Text,
    licenses: List<Obj<CdxLicenseChoice>>,
    properties: List<Obj<CdxProperty>>,
    evidence: Obj<CdxEvidence>,
    components: List<Obj<CdxComponent>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxLicenseChoice {
    license: Obj<CdxLicense>,
    expression: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxLicense {
    id: Text,
    name: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxProperty {
    name: Text,
    value: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxEvidence {
    occurrences: List<Obj<CdxOccurrence>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxOccurrence {
    location: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SpdxCreationInfo {
    creators: List<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdxid: Text,
    name: Text,
    version_info: Text,
    package_file_name: Text,
    source_info: Text,
    primary_package_purpose: Text,
    external_refs: List<Obj<SpdxExternalRef>>,
    license_declared: Text,
    description: Text,
    comment: Text,
    annotations: List<Obj<SpdxAnnotation>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SpdxExternalRef {
    reference_type: Text,
    reference_locator: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SpdxAnnotation {
    comment: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SpdxFile {
    #[serde(rename = "SPDXID")]
    spdxid: Text,
    file_name: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: Text,
    related_spdx_element: Text,
    relationship_type: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SpdxExtractedLicense {
    license_id: Text,
    extracted_text: Text,
    name: Text,
}

/// The objects of a list, counting the entries that are not objects.
fn objects<'a, T>(list: &'a List<Obj<T>>, bad: &mut usize) -> Vec<&'a T> {
    let mut out = Vec::with_capacity(list.0.len());
    for o in &list.0 {
        match &o.0 {
            Some(t) => out.push(t),
            None => *bad += 1,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Format-neutral candidates

/// What a producer says about a package besides its purl.
#[derive(Debug, Default, Clone)]
struct Hints {
    path: Option<String>,
    /// Locations in the order given (syft lists several: pick the package database).
    locations: Vec<String>,
    layer_diff_id: Option<String>,
    dev: bool,
    /// Source package name and (complete) version, from fields other than the purl.
    source: Option<(String, Option<String>)>,
    /// A source RPM file name from fields other than the purl (syft `sourceRpm`).
    source_rpm: Option<String>,
    epoch: Option<String>,
    modularity_label: Option<String>,
}

/// One component (CycloneDX) or package (SPDX) to map.
#[derive(Debug)]
struct Candidate<'a> {
    /// `bom-ref` / `SPDXID`.
    reference: Option<&'a str>,
    /// The document's spellings of the full name (`group` joined in, or not).
    names: Vec<String>,
    version: Option<&'a str>,
    purl: Option<&'a str>,
    license: Option<String>,
    hints: Hints,
}

impl Candidate<'_> {
    fn label(&self) -> String {
        let name = self
            .names
            .first()
            .cloned()
            .or_else(|| self.reference.map(str::to_string))
            .unwrap_or_else(|| "(unnamed)".to_string());
        match self.version {
            Some(v) => format!("{name}@{v}"),
            None => name,
        }
    }
}

enum Skip {
    NoPurl,
    Unsupported(String),
    Invalid(String),
}

/// An OS guess from a purl's `distro` qualifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DistroGuess {
    id: String,
    version: Option<String>,
    codename: Option<String>,
    qualifier: String,
}

#[derive(Default)]
struct Output {
    packages: Vec<Package>,
    /// Operating systems the document names, in order.
    os: Vec<OsInfo>,
    /// `distro` qualifiers of OS packages, in order of first appearance, with counts.
    distros: Vec<(DistroGuess, usize)>,
    total: usize,
    skipped: usize,
    no_purl: usize,
    unsupported: Vec<(String, usize)>,
    invalid: usize,
    shown: Vec<String>,
    malformed: usize,
    too_deep: usize,
}

impl Output {
    fn add(&mut self, c: Candidate) {
        self.total += 1;
        match build_package(&c) {
            Ok((p, distro)) => {
                if let Some(g) = distro {
                    match self.distros.iter_mut().find(|(d, _)| *d == g) {
                        Some((_, n)) => *n += 1,
                        None => self.distros.push((g, 1)),
                    }
                }
                self.packages.push(p);
            }
            Err(skip) => {
                self.skipped += 1;
                let why = match skip {
                    Skip::NoPurl => {
                        self.no_purl += 1;
                        "no purl".to_string()
                    }
                    Skip::Unsupported(ty) => {
                        match self.unsupported.iter_mut().find(|(t, _)| *t == ty) {
                            Some((_, n)) => *n += 1,
                            None => self.unsupported.push((ty.clone(), 1)),
                        }
                        format!("pkg:{ty}")
                    }
                    Skip::Invalid(e) => {
                        self.invalid += 1;
                        format!("invalid purl: {e}")
                    }
                };
                if self.shown.len() < SHOWN_SKIPPED {
                    self.shown.push(format!("{} ({why})", c.label()));
                }
            }
        }
    }

    /// A root element (CycloneDX `metadata.component`, what an SPDX document DESCRIBES):
    /// mapped when it has a purl Drydock can match, otherwise left out silently (it is the
    /// subject of the document: the image or directory scanned).
    fn add_root(&mut self, c: Candidate) {
        if let Ok((p, _)) = build_package(&c) {
            self.total += 1;
            self.packages.push(p);
        }
    }

    fn finish(mut self, mut warnings: Vec<String>) -> Inventory {
        if self.malformed > 0 {
            warnings.push(format!(
                "{} entries of the document are not JSON objects and were ignored",
                self.malformed
            ));
        }
        if self.too_deep > 0 {
            warnings.push(format!(
                "{} components nested more than {MAX_NESTING} levels deep were not read",
                self.too_deep
            ));
        }
        if self.skipped > 0 {
            let mut why = Vec::new();
            if self.no_purl > 0 {
                why.push(format!("{} without a purl", self.no_purl));
            }
            if !self.unsupported.is_empty() {
                let types: Vec<String> = self
                    .unsupported
                    .iter()
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect();
                let n: usize = self.unsupported.iter().map(|(_, n)| n).sum();
                why.push(format!(
                    "{n} with a purl type Drydock does not match ({})",
                    types.join(", ")
                ));
            }
            if self.invalid > 0 {
                why.push(format!("{} with an invalid purl", self.invalid));
            }
            warnings.push(format!(
                "{} of {} components skipped: {}; first: {}",
                self.skipped,
                self.total,
                why.join(", "),
                self.shown.join(", ")
            ));
        }
        let os = self.pick_os(&mut warnings);
        // the same package listed twice (the same component under two parents, SPDX
        // packages repeated) is one package
        let mut seen = HashSet::new();
        self.packages.retain(|p| {
            seen.insert((
                p.kind,
                p.name.clone(),
                p.version.clone(),
                p.arch.clone(),
                p.path.clone(),
                p.purl.clone(),
            ))
        });
        self.packages.sort_by(|a, b| {
            (a.kind.as_str(), &a.name, &a.arch, &a.path).cmp(&(
                b.kind.as_str(),
                &b.name,
                &b.arch,
                &b.path,
            ))
        });
        Inventory {
            os,
            packages: self.packages,
            warnings,
        }
    }

    fn pick_os(&self, warnings: &mut Vec<String>) -> Option<OsInfo> {
        let key = |o: &OsInfo| format!("{} {}", o.id, o.version_id.as_deref().unwrap_or("?"));
        if let Some(first) = self.os.first() {
            let mut names: Vec<String> = Vec::new();
            for o in &self.os {
                let k = key(o);
                if !names.contains(&k) {
                    names.push(k);
                }
            }
            if names.len() > 1 {
                warnings.push(format!(
                    "the SBOM names several operating systems ({}); using {}",
                    names.join(", "),
                    names[0]
                ));
            }
            return Some(first.clone());
        }
        // the most common `distro` qualifier of the OS packages (first seen on a tie)
        let mut best: Option<&(DistroGuess, usize)> = None;
        for d in &self.distros {
            if best.is_none_or(|b| d.1 > b.1) {
                best = Some(d);
            }
        }
        let (g, _) = best?;
        let mut names: Vec<String> = Vec::new();
        for (d, _) in &self.distros {
            let k = format!("{} {}", d.id, d.version.as_deref().unwrap_or("?"));
            if !names.contains(&k) {
                names.push(k);
            }
        }
        if names.len() > 1 {
            warnings.push(format!(
                "OS packages name several distributions in their purls ({}); using {} {}",
                names.join(", "),
                g.id,
                g.version.as_deref().unwrap_or("?")
            ));
        }
        os_info(
            &g.id,
            g.version.as_deref(),
            g.codename.as_deref(),
            None,
            Vec::new(),
            format!("sbom:distro={}", g.qualifier),
        )
    }
}

// ---------------------------------------------------------------------------------------
// CycloneDX

fn properties<'a>(c: &'a CdxComponent, bad: &mut usize) -> Vec<(&'a str, &'a str)> {
    objects(&c.properties, bad)
        .into_iter()
        .filter_map(|p| Some((p.name.get()?, p.value.get()?)))
        .collect()
}

fn prop<'a>(props: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    props.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn read_cyclonedx(doc: &Doc, out: &mut Output) {
    let mut bad = 0;
    // (component, depth, is the document's subject)
    let mut stack: Vec<(&CdxComponent, usize, bool)> = Vec::new();
    for c in objects(&doc.components, &mut bad).into_iter().rev() {
        stack.push((c, 1, false));
    }
    if let Some(meta) = &doc.metadata.0
        && let Some(root) = &meta.component.0
    {
        stack.push((root, 0, true));
    }
    while let Some((c, depth, is_root)) = stack.pop() {
        let children = objects(&c.components, &mut bad);
        if depth >= MAX_NESTING {
            out.too_deep += children.len();
        } else {
            for child in children.into_iter().rev() {
                stack.push((child, depth + 1, false));
            }
        }
        let props = properties(c, &mut bad);
        if c.kind
            .get()
            .is_some_and(|k| k.eq_ignore_ascii_case("operating-system"))
        {
            if let Some(os) = cdx_os(c, &props) {
                out.os.push(os);
            }
            continue;
        }
        let cand = cdx_candidate(c, &props, &mut bad);
        if is_root {
            out.add_root(cand);
        } else {
            out.add(cand);
        }
    }
    out.malformed += bad;
}

fn cdx_os(c: &CdxComponent, props: &[(&str, &str)]) -> Option<OsInfo> {
    let id = prop(props, "syft:distro:id").or(c.name.get())?;
    let mut id_like: Vec<(usize, String)> = props
        .iter()
        .filter_map(|(n, v)| {
            let i = n.strip_prefix("syft:distro:idLike:")?.parse().ok()?;
            Some((i, v.to_string()))
        })
        .collect();
    id_like.sort();
    os_info(
        id,
        prop(props, "syft:distro:versionID").or(c.version.get()),
        prop(props, "syft:distro:versionCodename"),
        prop(props, "syft:distro:prettyName").or(c.description.get()),
        id_like.into_iter().map(|(_, v)| v).collect(),
        format!(
            "sbom:{}",
            c.bom_ref.get().unwrap_or("operating-system component")
        ),
    )
}

fn cdx_license(c: &CdxComponent, bad: &mut usize) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for l in objects(&c.licenses, bad) {
        let text = l.expression.get().or_else(|| {
            l.license
                .0
                .as_ref()
                .and_then(|x| x.id.get().or(x.name.get()))
        });
        if let Some(t) = text
            && !parts.iter().any(|p| p == t)
        {
            parts.push(t.to_string());
        }
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(parts.join(" AND ")),
    }
}

fn cdx_candidate<'a>(
    c: &'a CdxComponent,
    props: &[(&'a str, &'a str)],
    bad: &mut usize,
) -> Candidate<'a> {
    // the plain name first (it labels the component in warnings), then with the group
    let mut names = Vec::new();
    if let Some(n) = c.name.get() {
        names.push(n.to_string());
        if let Some(g) = c.group.get() {
            names.push(format!("{g}:{n}"));
            names.push(format!("{g}/{n}"));
        }
    }
    let mut h = Hints {
        path: prop(props, "drydock:package:path").map(str::to_string),
        layer_diff_id: prop(props, "drydock:layer:diff_id")
            .or(prop(props, "aquasecurity:trivy:LayerDiffID"))
            .or(prop(props, "syft:location:0:layerID"))
            .map(str::to_string),
        dev: prop(props, "drydock:package:dev").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        epoch: prop(props, "syft:metadata:epoch").map(str::to_string),
        source_rpm: prop(props, "syft:metadata:sourceRpm").map(str::to_string),
        modularity_label: prop(props, "drydock:package:module")
            .or(prop(props, "syft:metadata:modularityLabel"))
            .or(prop(props, "aquasecurity:trivy:Modularitylabel"))
            .map(str::to_string),
        ..Hints::default()
    };
    if h.path.is_none() {
        h.path = prop(props, "aquasecurity:trivy:FilePath").map(str::to_string);
    }
    // syft: syft:location:<n>:path, in index order
    let mut locs: Vec<(usize, &str)> = props
        .iter()
        .filter_map(|(n, v)| {
            let i = n.strip_prefix("syft:location:")?.strip_suffix(":path")?;
            Some((i.parse().ok()?, *v))
        })
        .collect();
    locs.sort();
    h.locations = locs.into_iter().map(|(_, v)| v.to_string()).collect();
    if h.locations.is_empty()
        && let Some(ev) = &c.evidence.0
    {
        h.locations = objects(&ev.occurrences, bad)
            .into_iter()
            .filter_map(|o| o.location.get().map(str::to_string))
            .collect();
    }
    h.source = prop(props, "drydock:package:source")
        .and_then(|s| {
            let (n, v) = s.split_once(' ')?;
            Some((n.to_string(), Some(v.to_string())))
        })
        .or_else(|| {
            // syft: deb source / sourceVersion, apk originPackage
            let n = prop(props, "syft:metadata:source")
                .or(prop(props, "syft:metadata:originPackage"))?;
            Some((
                n.to_string(),
                prop(props, "syft:metadata:sourceVersion").map(str::to_string),
            ))
        })
        .or_else(|| {
            let n = prop(props, "aquasecurity:trivy:SrcName")?;
            Some((
                n.to_string(),
                trivy_source_version(
                    prop(props, "aquasecurity:trivy:SrcEpoch"),
                    prop(props, "aquasecurity:trivy:SrcVersion"),
                    prop(props, "aquasecurity:trivy:SrcRelease"),
                ),
            ))
        });
    Candidate {
        reference: c.bom_ref.get(),
        names,
        version: c.version.get(),
        purl: c.purl.get(),
        license: cdx_license(c, bad),
        hints: h,
    }
}

/// trivy's source version fields joined as the package manager writes versions:
/// `[epoch:]version[-release]`.
fn trivy_source_version(
    epoch: Option<&str>,
    version: Option<&str>,
    release: Option<&str>,
) -> Option<String> {
    let v = version?;
    let mut s = match epoch.filter(|e| *e != "0") {
        Some(e) => format!("{e}:{v}"),
        None => v.to_string(),
    };
    if let Some(r) = release {
        s.push('-');
        s.push_str(r);
    }
    Some(s)
}

// ---------------------------------------------------------------------------------------
// SPDX

fn read_spdx(doc: &Doc, out: &mut Output) {
    let mut bad = 0;
    let mut roots: HashSet<&str> = doc
        .document_describes
        .0
        .iter()
        .filter_map(Text::get)
        .collect();
    let files: HashMap<&str, &str> = objects(&doc.files, &mut bad)
        .into_iter()
        .filter_map(|f| Some((f.spdxid.get()?, f.file_name.get()?)))
        .collect();
    // the first file each package CONTAINS (trivy relates a language package to its manifest)
    let mut contained: HashMap<&str, &str> = HashMap::new();
    for r in objects(&doc.relationships, &mut bad) {
        let (Some(a), Some(b), Some(t)) = (
            r.spdx_element_id.get(),
            r.related_spdx_element.get(),
            r.relationship_type.get(),
        ) else {
            continue;
        };
        if t.eq_ignore_ascii_case("DESCRIBES") && a == "SPDXRef-DOCUMENT" {
            roots.insert(b);
        } else if t.eq_ignore_ascii_case("DESCRIBED_BY") && b == "SPDXRef-DOCUMENT" {
            roots.insert(a);
        } else if t.eq_ignore_ascii_case("CONTAINS")
            && let Some(f) = files.get(b)
        {
            contained.entry(a).or_insert(f);
        }
    }
    let extracted: HashMap<&str, &str> = objects(&doc.extracted_licenses, &mut bad)
        .into_iter()
        .filter_map(|l| {
            Some((
                l.license_id.get()?,
                l.extracted_text.get().or(l.name.get())?,
            ))
        })
        .collect();
    for p in objects(&doc.packages, &mut bad) {
        let purpose = p
            .primary_package_purpose
            .get()
            .unwrap_or("")
            .to_ascii_uppercase()
            .replace('_', "-");
        if purpose == "OPERATING-SYSTEM" {
            if let Some(os) = spdx_os(p, &mut bad) {
                out.os.push(os);
            }
            continue;
        }
        let id = p.spdxid.get();
        let cand = spdx_candidate(
            p,
            id.and_then(|i| contained.get(i).copied()),
            &extracted,
            &mut bad,
        );
        if id.is_some_and(|i| roots.contains(i)) {
            out.add_root(cand);
        } else {
            out.add(cand);
        }
    }
    out.malformed += bad;
}

fn spdx_os(p: &SpdxPackage, bad: &mut usize) -> Option<OsInfo> {
    // claircore names the distribution in OTHER references: did, version_id, pretty_name,
    // version_code_name
    let refs: Vec<(String, &str)> = objects(&p.external_refs, bad)
        .into_iter()
        .filter_map(|r| {
            Some((
                r.reference_type.get()?.to_ascii_lowercase(),
                r.reference_locator.get()?,
            ))
        })
        .collect();
    let get = |k: &str| refs.iter().find(|(t, _)| t == k).map(|(_, v)| *v);
    let source_path = match p
        .source_info
        .get()
        .and_then(|s| s.strip_prefix("read from "))
    {
        Some(path) => path.trim().to_string(),
        None => format!(
            "sbom:{}",
            p.spdxid.get().unwrap_or("operating-system package")
        ),
    };
    os_info(
        get("did").or(p.name.get())?,
        get("version_id").or(p.version_info.get()),
        get("version_code_name").or(get("version_codename")),
        get("pretty_name").or(p.description.get()),
        Vec::new(),
        source_path,
    )
}

/// `sourceInfo` as Drydock, syft, osv-scalibr and trivy write it.
fn parse_source_info(s: &str, h: &mut Hints) {
    // Drydock: "<kind> package read from <path> in layer <n> (<diffID>)[; built from source
    // package <name> <version>]"
    if let Some((kind, rest)) = s.split_once(" package read from ")
        && !kind.contains(' ')
    {
        let (main, source) = match rest.rsplit_once("; built from source package ") {
            Some((m, src)) => (m, Some(src)),
            None => (rest, None),
        };
        if let Some((path, layer)) = main.rsplit_once(" in layer ") {
            h.path = Some(path.to_string());
            if let Some((_, diff)) = layer.split_once(" (") {
                let diff = diff.trim_end_matches(')').trim();
                if !diff.is_empty() {
                    h.layer_diff_id = Some(diff.to_string());
                }
            }
        } else {
            h.path = Some(main.to_string());
        }
        if let Some((n, v)) = source.and_then(|s| s.trim().split_once(' ')) {
            h.source = Some((n.to_string(), Some(v.to_string())));
        }
        return;
    }
    // syft: "acquired package info from <cataloger>: <path>, <path>"
    if let Some(rest) = s.strip_prefix("acquired package info from ") {
        if let Some((_, paths)) = rest.split_once(": ") {
            h.locations = paths
                .split(", ")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
        }
        return;
    }
    // osv-scalibr: "Identified by the <extractor> extractor from <path>"
    if let Some(rest) = s.strip_prefix("Identified by the ") {
        if let Some((_, path)) = rest.split_once(" extractor from ") {
            h.path = Some(path.trim().to_string());
        }
        return;
    }
    // trivy: "built package from: <name> <version>"
    if let Some(rest) = s.strip_prefix("built package from:") {
        let rest = rest.trim();
        h.source = Some(match rest.split_once(' ') {
            Some((n, v)) => (n.to_string(), Some(v.trim().to_string())),
            None => (rest.to_string(), None),
        });
    }
}

fn spdx_license(p: &SpdxPackage, extracted: &HashMap<&str, &str>) -> Option<String> {
    let l = p.license_declared.get()?;
    if l.eq_ignore_ascii_case("NOASSERTION") || l.eq_ignore_ascii_case("NONE") {
        return None;
    }
    Some(extracted.get(l).map_or(l, |t| t.trim()).to_string())
}

fn spdx_candidate<'a>(
    p: &'a SpdxPackage,
    contained_file: Option<&str>,
    extracted: &HashMap<&str, &str>,
    bad: &mut usize,
) -> Candidate<'a> {
    // several purls: the first of a type Drydock matches, else the first
    let purls: Vec<&str> = objects(&p.external_refs, bad)
        .into_iter()
        .filter(|r| {
            r.reference_type
                .get()
                .is_some_and(|t| t.eq_ignore_ascii_case("purl"))
        })
        .filter_map(|r| r.reference_locator.get())
        .collect();
    let purl = purls
        .iter()
        .find(|u| purl_type(u).is_some_and(|t| kind_of(&t).is_some()))
        .or(purls.first())
        .copied();
    let mut h = Hints::default();
    if let Some(s) = p.source_info.get() {
        parse_source_info(s, &mut h);
    }
    for a in objects(&p.annotations, bad) {
        let Some((k, v)) = a.comment.get().and_then(|c| c.split_once(':')) else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.trim() {
            "LayerDiffID" if h.layer_diff_id.is_none() => h.layer_diff_id = Some(v.to_string()),
            "FilePath" if h.path.is_none() => h.path = Some(v.to_string()),
            "Modularitylabel" => h.modularity_label = Some(v.to_string()),
            _ => {}
        }
    }
    if h.path.is_none() && h.locations.is_empty() {
        h.path = p
            .package_file_name
            .get()
            .or(contained_file)
            .map(str::to_string);
    }
    h.dev = p
        .comment
        .get()
        .is_some_and(|c| c.eq_ignore_ascii_case("development dependency"));
    Candidate {
        reference: p.spdxid.get(),
        names: p
            .name
            .get()
            .map(|n| vec![n.to_string()])
            .unwrap_or_default(),
        version: p.version_info.get(),
        purl,
        license: spdx_license(p, extracted),
        hints: h,
    }
}

// ---------------------------------------------------------------------------------------
// purl → Package

fn purl_type(purl: &str) -> Option<String> {
    let rest = purl.trim().strip_prefix("pkg:")?.trim_start_matches('/');
    let (ty, _) = rest.split_once('/')?;
    Some(ty.to_ascii_lowercase())
}

fn kind_of(ty: &str) -> Option<PackageKind> {
    Some(match ty {
        "deb" => PackageKind::Deb,
        "apk" => PackageKind::Apk,
        "rpm" => PackageKind::Rpm,
        "pypi" => PackageKind::Pypi,
        "npm" => PackageKind::Npm,
        "maven" => PackageKind::Maven,
        "golang" => PackageKind::Go,
        "cargo" => PackageKind::Cargo,
        "gem" => PackageKind::Gem,
        "composer" => PackageKind::Composer,
        "nuget" => PackageKind::Nuget,
        _ => return None,
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The namespace and name as written in the purl (percent-decoded, case kept): the purl
/// library canonicalises case (Go namespaces, npm and PyPI names), advisories do not.
fn raw_namespace_name(purl: &str) -> Option<(Option<String>, String)> {
    let rest = purl.trim().strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.rsplit_once('#').map_or(rest, |(a, _)| a);
    let rest = rest.rsplit_once('?').map_or(rest, |(a, _)| a);
    let (_, rest) = rest.split_once('/')?;
    let rest = match rest.rfind('@') {
        Some(i) if !rest[i + 1..].contains('/') => &rest[..i],
        _ => rest,
    };
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(percent_decode)
        .collect();
    let (name, ns) = segs.split_last()?;
    Some(((!ns.is_empty()).then(|| ns.join("/")), name.clone()))
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
fn pep503(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut sep = false;
    for c in s.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn same_name(kind: PackageKind, a: &str, b: &str) -> bool {
    if kind == PackageKind::Pypi {
        pep503(a) == pep503(b)
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// An image path: absolute as Drydock reports paths (trivy and some others write them
/// relative to the root); `bdb:var/lib/rpm`-style and URL-like locations are kept as given.
fn image_path(p: &str) -> Option<String> {
    let p = p.trim();
    if p.is_empty() {
        return None;
    }
    let first = p.split('/').next().unwrap_or(p);
    Some(if p.starts_with('/') || first.contains(':') {
        p.to_string()
    } else {
        format!("/{p}")
    })
}

/// Is this the package database an OS package is read from (what Drydock reports as the
/// package's path)?
fn is_package_db(p: &str) -> bool {
    let p = p.trim_start_matches('/');
    p == "var/lib/dpkg/status"
        || p.starts_with("var/lib/dpkg/status.d/")
        || p.ends_with("lib/apk/db/installed")
        || ["var/lib/rpm/", "usr/lib/sysimage/rpm/"].iter().any(|d| {
            p.strip_prefix(d)
                .is_some_and(|f| matches!(f, "rpmdb.sqlite" | "Packages.db" | "Packages"))
        })
}

/// `name:stream` of a modularity label (`nodejs:18:8090020231019152822:rhel9`).
fn module_stream(label: &str) -> Option<String> {
    let mut it = label.split(':');
    match (it.next(), it.next()) {
        (Some(n), Some(s)) if !n.is_empty() && !s.is_empty() => Some(format!("{n}:{s}")),
        _ => None,
    }
}

/// `name` or `name@version` (purl `upstream` of deb packages).
fn name_at_version(s: &str) -> (String, Option<String>) {
    match s.split_once('@') {
        Some((n, v)) if !n.is_empty() && !v.is_empty() => (n.to_string(), Some(v.to_string())),
        Some((n, _)) if !n.is_empty() => (n.to_string(), None),
        _ => (s.to_string(), None),
    }
}

/// The source package from the purl, completed by the producer's own fields when the purl
/// names the source but not its version.
fn merge_source(
    from_purl: Option<(String, Option<String>)>,
    hint: Option<&(String, Option<String>)>,
) -> Option<(String, Option<String>)> {
    match (from_purl, hint) {
        (Some((n, None)), Some((hn, Some(hv)))) if *hn == n => Some((n, Some(hv.clone()))),
        (Some(x), _) => Some(x),
        (None, h) => h.cloned(),
    }
}

fn build_package(c: &Candidate) -> Result<(Package, Option<DistroGuess>), Skip> {
    let purl_str = c.purl.ok_or(Skip::NoPurl)?.trim();
    let ty = purl_type(purl_str).unwrap_or_default();
    let purl = packageurl::PackageUrl::from_str(purl_str).map_err(|e| {
        if !ty.is_empty() && kind_of(&ty).is_none() {
            Skip::Unsupported(ty.clone())
        } else {
            Skip::Invalid(e.to_string())
        }
    })?;
    let kind = kind_of(purl.ty()).ok_or_else(|| Skip::Unsupported(purl.ty().to_string()))?;
    let q = |k: &str| {
        purl.qualifiers()
            .get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    };
    // namespace and name as written, unless the library's reading differs by more than case
    let (ns, name) = match raw_namespace_name(purl_str) {
        Some((rns, rname))
            if rname.eq_ignore_ascii_case(purl.name())
                || (kind == PackageKind::Pypi && pep503(&rname) == pep503(purl.name())) =>
        {
            let ns = match (rns, purl.namespace()) {
                (Some(r), Some(n)) if r.eq_ignore_ascii_case(n) => Some(r),
                (_, n) => n.map(str::to_string),
            };
            (ns, rname)
        }
        _ => (
            purl.namespace().map(str::to_string),
            purl.name().to_string(),
        ),
    };
    let mut version = purl
        .version()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .or(c.version)
        .unwrap_or("")
        .to_string();
    let h = &c.hints;
    let path = match (kind.is_os(), h.path.as_deref()) {
        (_, Some(p)) => image_path(p),
        (true, None) => h
            .locations
            .iter()
            .find(|l| is_package_db(l))
            .or(h.locations.first())
            .and_then(|l| image_path(l)),
        (false, None) => h.locations.first().and_then(|l| image_path(l)),
    }
    .unwrap_or_else(|| format!("sbom:{}", c.reference.unwrap_or(purl_str)));
    let mut pkg = Package {
        kind,
        name: name.clone(),
        version: String::new(),
        arch: None,
        source_name: String::new(),
        source_version: String::new(),
        purl: purl_str.to_string(),
        license: c.license.clone(),
        path,
        module: None,
        dev: h.dev,
        layer_index: 0,
        layer_diff_id: h.layer_diff_id.clone().unwrap_or_default(),
    };
    let mut distro = None;
    if kind.is_os() {
        pkg.arch = q("arch").map(str::to_string);
        if let Some(d) = q("distro") {
            distro = parse_distro(d, ns.as_deref().unwrap_or(""));
        }
    }
    // the epoch qualifier (rpm purls; trivy's deb purls): Drydock's versions carry it
    let epoch = match kind {
        PackageKind::Deb | PackageKind::Rpm => {
            q("epoch").or(h.epoch.as_deref()).map(str::to_string)
        }
        _ => None,
    };
    if let Some(e) = &epoch
        && !version.contains(':')
        && !version.is_empty()
    {
        version = format!("{e}:{version}");
    }
    match kind {
        PackageKind::Deb => {
            let up = q("upstream").or(q("source")).map(name_at_version);
            let (sn, sv) = merge_source(up, h.source.as_ref()).unwrap_or((name.clone(), None));
            pkg.source_name = sn;
            pkg.source_version = sv.unwrap_or_else(|| version.clone());
        }
        PackageKind::Apk => {
            // the origin; apk source versions are the binary's
            pkg.source_name = q("upstream")
                .or(q("origin"))
                .map(|u| name_at_version(u).0)
                .or_else(|| h.source.as_ref().map(|(n, _)| n.clone()))
                .unwrap_or_else(|| name.clone());
            pkg.source_version = version.clone();
        }
        PackageKind::Rpm => {
            let with_epoch = |vr: String| match &epoch {
                Some(e) if !vr.contains(':') => format!("{e}:{vr}"),
                _ => vr,
            };
            let from_srpm = |s: &str| parse_source_rpm(s).map(|(n, vr)| (n, Some(with_epoch(vr))));
            let up = q("upstream").map(|u| from_srpm(u).unwrap_or_else(|| name_at_version(u)));
            let hint = h
                .source_rpm
                .as_deref()
                .and_then(from_srpm)
                .or_else(|| h.source.clone());
            let (sn, sv) = merge_source(up, hint.as_ref()).unwrap_or((name.clone(), None));
            pkg.source_name = sn;
            pkg.source_version = sv.unwrap_or_else(|| version.clone());
            pkg.module = h.modularity_label.as_deref().and_then(module_stream);
        }
        _ => {
            let joined = match (&ns, kind) {
                (Some(ns), PackageKind::Maven) => format!("{ns}:{name}"),
                (Some(ns), _) => format!("{ns}/{name}"),
                (None, _) => name.clone(),
            };
            pkg.name = c
                .names
                .iter()
                .find(|n| same_name(kind, n, &joined))
                .cloned()
                .unwrap_or(joined);
            if kind == PackageKind::Go && pkg.name == "stdlib" {
                // the toolchain as the Go cataloger spells it: go1.22.1
                let bare = version.trim_start_matches("go").trim_start_matches('v');
                if bare.starts_with(|c: char| c.is_ascii_digit()) {
                    version = format!("go{bare}");
                }
            }
            pkg.source_name = pkg.name.clone();
            pkg.source_version = version.clone();
        }
    }
    pkg.version = version;
    Ok((pkg, distro))
}

// ---------------------------------------------------------------------------------------
// Operating systems

const DEBIAN_RELEASES: &[(&str, &str)] = &[
    ("7", "wheezy"),
    ("8", "jessie"),
    ("9", "stretch"),
    ("10", "buster"),
    ("11", "bullseye"),
    ("12", "bookworm"),
    ("13", "trixie"),
    ("14", "forky"),
    ("15", "duke"),
];

const UBUNTU_RELEASES: &[(&str, &str)] = &[
    ("14.04", "trusty"),
    ("16.04", "xenial"),
    ("18.04", "bionic"),
    ("18.10", "cosmic"),
    ("19.04", "disco"),
    ("19.10", "eoan"),
    ("20.04", "focal"),
    ("20.10", "groovy"),
    ("21.04", "hirsute"),
    ("21.10", "impish"),
    ("22.04", "jammy"),
    ("22.10", "kinetic"),
    ("23.04", "lunar"),
    ("23.10", "mantic"),
    ("24.04", "noble"),
    ("24.10", "oracular"),
    ("25.04", "plucky"),
    ("25.10", "questing"),
];

fn releases(id: &str) -> &'static [(&'static str, &'static str)] {
    match id {
        "debian" => DEBIAN_RELEASES,
        "ubuntu" => UBUNTU_RELEASES,
        _ => &[],
    }
}

/// The os-release `ID` for the names SBOM producers use: trivy's OS families (`redhat`,
/// `amazon`, `oracle`, `alma`, `cbl-mariner`, `suse linux enterprise server`,
/// `opensuse.leap`), distribution names (`Debian GNU/Linux`, `Red Hat Enterprise Linux
/// Server`), and IDs themselves.
fn os_release_id(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase();
    let id = match n.as_str() {
        "redhat" | "red hat" => "rhel",
        "amazon" | "amazon linux" | "amazonlinux" => "amzn",
        "oracle" | "oracle linux" | "oraclelinux" => "ol",
        "alma" | "almalinux" => "almalinux",
        "rocky linux" => "rocky",
        "cbl-mariner" | "mariner" => "mariner",
        "azure linux" => "azurelinux",
        "suse linux enterprise server" | "sles" | "sle" => "sles",
        "opensuse.leap" | "opensuse leap" => "opensuse-leap",
        "opensuse.tumbleweed" | "opensuse tumbleweed" => "opensuse-tumbleweed",
        "debian gnu/linux" => "debian",
        "alpine linux" => "alpine",
        "centos linux" | "centos stream" => "centos",
        "fedora linux" => "fedora",
        "photon os" | "vmware photon os" => "photon",
        s if s.starts_with("red hat enterprise linux") => "rhel",
        s if s.starts_with("suse linux enterprise server") => "sles",
        s if s.starts_with("oracle linux") => "ol",
        s if s.starts_with("ubuntu") => "ubuntu",
        s if s.starts_with("debian") => "debian",
        s if s.starts_with("alpine") => "alpine",
        _ => return n,
    };
    id.to_string()
}

/// Build an [`OsInfo`] the way os-release gives it: Debian's `VERSION_ID` is the major
/// release (`12`, where trivy writes `12.15`), Debian and Ubuntu carry their codename, and a
/// version written `12 (bookworm)` is split.
fn os_info(
    id: &str,
    version: Option<&str>,
    codename: Option<&str>,
    pretty_name: Option<&str>,
    id_like: Vec<String>,
    source_path: String,
) -> Option<OsInfo> {
    let id = os_release_id(id);
    if id.is_empty() {
        return None;
    }
    let mut codename = codename
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    let mut version =
        version
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| match v.split_once(" (") {
                Some((a, b)) => {
                    let c = b.trim_end_matches(')').trim().to_ascii_lowercase();
                    if codename.is_none() && !c.is_empty() && !c.contains(' ') {
                        codename = Some(c);
                    }
                    a.trim().to_string()
                }
                None => v.to_string(),
            });
    let table = releases(&id);
    if id == "debian"
        && let Some(v) = &version
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let major = v.split('.').next().unwrap_or(v).to_string();
        // releases before 4 are numbered x.y
        if major.parse::<u32>().is_ok_and(|m| m >= 4) {
            version = Some(major);
        }
    }
    if version.is_none()
        && let Some(c) = &codename
    {
        version = table
            .iter()
            .find(|(_, n)| n == c)
            .map(|(v, _)| v.to_string());
    }
    if codename.is_none()
        && let Some(v) = &version
    {
        codename = table
            .iter()
            .find(|(t, _)| t == v)
            .map(|(_, n)| n.to_string());
    }
    Some(OsInfo {
        id,
        id_like,
        version_id: version,
        codename,
        pretty_name: pretty_name.map(str::to_string),
        source_path,
    })
}

/// A purl `distro` qualifier: `debian-12`, `alpine-3.20.3`, `rhel-9.6`, `cbl-mariner-2.0`,
/// a bare version (`3.20.3`, Drydock's and trivy's apk purls: the id is the purl namespace)
/// or a bare codename (`bookworm`, `focal`).
fn parse_distro(value: &str, namespace: &str) -> Option<DistroGuess> {
    let v = value.trim();
    let guess = |id: String, version: Option<String>, codename: Option<String>| {
        let os = os_info(
            &id,
            version.as_deref(),
            codename.as_deref(),
            None,
            Vec::new(),
            String::new(),
        )?;
        Some(DistroGuess {
            id: os.id,
            version: os.version_id,
            codename: os.codename,
            qualifier: v.to_string(),
        })
    };
    if v.is_empty() {
        return None;
    }
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        return guess(namespace.to_string(), Some(v.to_string()), None);
    }
    // `<id>-<version>`: the first `-` followed by a digit
    if let Some(i) = v
        .char_indices()
        .find(|&(i, c)| c == '-' && v[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        .map(|(i, _)| i)
    {
        return guess(v[..i].to_string(), Some(v[i + 1..].to_string()), None);
    }
    // a codename, alone or after the id
    let lower = v.to_ascii_lowercase();
    let code = lower.rsplit('-').next().unwrap_or(&lower);
    for id in ["debian", "ubuntu"] {
        if releases(id).iter().any(|(_, n)| *n == code) || (id == "debian" && code == "sid") {
            return guess(id.to_string(), None, Some(code.to_string()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_names_keep_case() {
        assert_eq!(
            raw_namespace_name("pkg:golang/github.com/BurntSushi/toml@v1.2.0?x=y#sub"),
            Some((Some("github.com/BurntSushi".into()), "toml".into()))
        );
        assert_eq!(
            raw_namespace_name("pkg:npm/%40babel/core@7.20.0"),
            Some((Some("@babel".into()), "core".into()))
        );
        assert_eq!(
            raw_namespace_name("pkg:pypi/PyYAML@5.3.1"),
            Some((None, "PyYAML".into()))
        );
    }

    #[test]
    fn distro_qualifiers() {
        let g = |v: &str, ns: &str| parse_distro(v, ns).map(|g| (g.id, g.version, g.codename));
        let s = |a: &str, b: Option<&str>, c: Option<&str>| {
            Some((a.to_string(), b.map(String::from), c.map(String::from)))
        };
        assert_eq!(
            g("debian-12", "debian"),
            s("debian", Some("12"), Some("bookworm"))
        );
        assert_eq!(
            g("debian-12.15", "debian"),
            s("debian", Some("12"), Some("bookworm"))
        );
        assert_eq!(g("3.20.3", "alpine"), s("alpine", Some("3.20.3"), None));
        assert_eq!(
            g("alpine-3.20.3", "alpine"),
            s("alpine", Some("3.20.3"), None)
        );
        assert_eq!(g("rhel-9.6", "redhat"), s("rhel", Some("9.6"), None));
        assert_eq!(g("redhat-9.2", "redhat"), s("rhel", Some("9.2"), None));
        assert_eq!(
            g("cbl-mariner-2.0", "mariner"),
            s("mariner", Some("2.0"), None)
        );
        assert_eq!(
            g("focal", "ubuntu"),
            s("ubuntu", Some("20.04"), Some("focal"))
        );
        assert_eq!(
            g("ubuntu-22.04", "ubuntu"),
            s("ubuntu", Some("22.04"), Some("jammy"))
        );
        assert_eq!(g("sid", "debian"), s("debian", None, Some("sid")));
        assert_eq!(g("Red Hat Enterprise Linux Server", "redhat"), None);
        assert_eq!(g("", "debian"), None);
    }

    #[test]
    fn pep503_forms() {
        assert_eq!(pep503("Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(pep503("PyYAML"), "pyyaml");
    }

    #[test]
    fn paths() {
        assert_eq!(
            image_path("app/package.json").as_deref(),
            Some("/app/package.json")
        );
        assert_eq!(
            image_path("/lib/apk/db/installed").as_deref(),
            Some("/lib/apk/db/installed")
        );
        assert_eq!(
            image_path("bdb:var/lib/rpm").as_deref(),
            Some("bdb:var/lib/rpm")
        );
        assert_eq!(image_path("  "), None);
        assert!(is_package_db("/var/lib/dpkg/status"));
        assert!(is_package_db("/usr/lib/sysimage/rpm/Packages.db"));
        assert!(!is_package_db("/usr/share/doc/libc6/copyright"));
    }
}
