//! PDF reports, typeset with typst used as a library (no `typst` binary, no system fonts, no
//! package downloads).
//!
//! Each document is a typst template compiled into the binary (`templates/*.typ`) plus one
//! data file: the report is turned into a small display model here (strings already formatted,
//! control characters dropped), serialised as JSON and served to the template as the virtual
//! file `/data.json`, which the template reads with `json(...)`. User text therefore reaches
//! the document only as typst *string values*, never as markup: `~` in a Debian version,
//! `*`, `_`, `#`, `<script>` all print as they are.
//!
//! Fonts are typst's embedded ones (Libertinus Serif for text, DejaVu Sans Mono for ids and
//! versions), loaded once per process. typst memoises layout work across compilations; the
//! cache is trimmed after every document so a long-running server does not grow.

use crate::common::{clean_text, created_time, feed_url, image_name, truncate, utc_seconds};
use crate::{Report, ReportError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;

const COMMON: &str = include_str!("../templates/common.typ");
/// The fleet report template (see [`crate::fleet`]).
pub(crate) const FLEET: &str = include_str!("../templates/fleet.typ");
/// The single-image report template.
pub(crate) const IMAGE: &str = include_str!("../templates/image.typ");

static FONTS: LazyLock<FontStore> = LazyLock::new(|| {
    let mut store = FontStore::new();
    store.extend(typst_kit::fonts::embedded());
    store
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

fn file_id(path: &str) -> FileId {
    FileId::new(RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a valid virtual path"),
    ))
}

/// The typst world of one document: the template as `/main.typ`, the shared styles as
/// `/common.typ`, the data as `/data.json`; nothing else exists.
struct DocWorld {
    main: Source,
    common: Source,
    data_id: FileId,
    data: Bytes,
}

impl DocWorld {
    fn new(template: &str, data: Vec<u8>) -> DocWorld {
        DocWorld {
            main: Source::new(file_id("/main.typ"), template.to_string()),
            common: Source::new(file_id("/common.typ"), COMMON.to_string()),
            data_id: file_id("/data.json"),
            data: Bytes::new(data),
        }
    }
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        FONTS.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.common.id() {
            Ok(self.common.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_with_slash().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() || id == self.common.id() {
            Ok(Bytes::from_string(self.source(id)?))
        } else {
            Err(FileError::NotFound(id.vpath().get_with_slash().into()))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None // reports carry their own timestamps; documents must not depend on the clock
    }
}

fn diagnostics(diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let mut s = d.message.to_string();
            for h in &d.hints {
                s.push_str("; hint: ");
                s.push_str(&h.v);
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Typeset `template` with `data` as `/data.json`: the PDF bytes.
pub(crate) fn compile<T: Serialize>(template: &str, data: &T) -> Result<Vec<u8>, ReportError> {
    let json = serde_json::to_vec(data).map_err(|source| ReportError::Json {
        format: crate::Format::Pdf,
        source,
    })?;
    let world = DocWorld::new(template, json);
    let result = typst::compile::<PagedDocument>(&world).output;
    let pdf = result
        .map_err(|d| ReportError::Pdf(diagnostics(&d)))
        .and_then(|doc| {
            let options = typst_pdf::PdfOptions {
                ident: Smart::Custom("drydock-report".into()),
                creator: Smart::Custom(Some("Drydock".into())),
                tagged: false,
                ..Default::default()
            };
            typst_pdf::pdf(&doc, &options).map_err(|d| ReportError::Pdf(diagnostics(&d)))
        });
    // drop memoised results not used by the last few documents
    typst::comemo::evict(8);
    pdf
}

/// Text for the document: control characters dropped, at most `max` characters.
pub(crate) fn text(s: &str, max: usize) -> String {
    truncate(&clean_text(s).replace(['\n', '\r', '\t'], " "), max)
}

/// `sha256:0123456789ab` (the algorithm and 12 hex digits), the usual short digest.
pub(crate) fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((alg, hex)) => format!("{alg}:{}", hex.chars().take(12).collect::<String>()),
        None => d.chars().take(19).collect(),
    }
}

/// A score with one decimal (`9.8`).
pub(crate) fn score(v: Option<f64>) -> Option<String> {
    v.filter(|v| v.is_finite()).map(|v| format!("{v:.1}"))
}

/// The date part of a timestamp (`2026-01-02T03:04:05Z` → `2026-01-02`); other text as it is.
pub(crate) fn date_part(s: &str) -> String {
    let s = text(s, 40);
    match s.get(..10) {
        Some(d) if s.len() > 10 && s.as_bytes()[10] == b'T' => d.to_string(),
        _ => s,
    }
}

/// One key figure of a summary card row.
#[derive(Debug, Serialize)]
pub(crate) struct Figure {
    pub label: String,
    pub value: String,
    /// `bad`, `warn` or empty.
    pub tone: &'static str,
}

impl Figure {
    pub(crate) fn new(label: &str, value: impl ToString, tone: &'static str) -> Figure {
        Figure {
            label: label.to_string(),
            value: value.to_string(),
            tone,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct FindingRow {
    pub(crate) package: String,
    pub(crate) kind: String,
    pub(crate) installed: String,
    pub(crate) id: String,
    /// The advisory page of the id (NVD, GitHub, Debian, OSV), for a link.
    pub(crate) url: Option<String>,
    pub(crate) kev: bool,
    pub(crate) severity: String,
    pub(crate) cvss: Option<String>,
    pub(crate) status: String,
    pub(crate) fixed: Option<String>,
    pub(crate) layer: String,
    pub(crate) title: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SecretRow {
    pub(crate) title: String,
    pub(crate) severity: String,
    pub(crate) path: String,
    pub(crate) line: String,
    pub(crate) layer: String,
    pub(crate) redacted: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct MisconfigRow {
    pub(crate) rule: String,
    pub(crate) title: String,
    pub(crate) severity: String,
    pub(crate) location: String,
    pub(crate) message: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct HygieneComponent {
    pub(crate) name: String,
    pub(crate) lost: i64,
    pub(crate) max: i64,
    pub(crate) reason: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct HygieneView {
    pub(crate) score: i64,
    pub(crate) components: Vec<HygieneComponent>,
    pub(crate) lines: Vec<String>,
}

/// What the image template shows.
#[derive(Debug, Serialize)]
pub(crate) struct ImageView {
    pub(crate) title: String,
    pub(crate) image: String,
    pub(crate) generated: String,
    pub(crate) os: Option<String>,
    pub(crate) tool: String,
    pub(crate) meta: Vec<(String, String)>,
    pub(crate) counts: BTreeMap<String, usize>,
    pub(crate) figures: Vec<Figure>,
    pub(crate) hygiene: Option<HygieneView>,
    pub(crate) findings: Vec<FindingRow>,
    pub(crate) secrets: Vec<SecretRow>,
    pub(crate) misconfigs: Vec<MisconfigRow>,
    pub(crate) warnings: Vec<String>,
}

/// The highest CVSS base score any source gives.
pub(crate) fn max_cvss(f: &drydock_matcher::Finding) -> Option<f64> {
    f.ratings
        .iter()
        .filter_map(|r| r.score)
        .filter(|s| s.is_finite())
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))))
}

fn hygiene_view(h: &serde_json::Value) -> Option<HygieneView> {
    let score = h.pointer("/score/value")?.as_i64()?;
    let s = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(|t| text(t, 400));
    let components = h
        .pointer("/score/components")
        .and_then(|c| c.as_array())
        .map(|cs| {
            cs.iter()
                .map(|c| HygieneComponent {
                    name: s(c.get("name")).unwrap_or_default(),
                    lost: c.get("lost").and_then(|v| v.as_i64()).unwrap_or(0),
                    max: c.get("max").and_then(|v| v.as_i64()).unwrap_or(0),
                    reason: s(c.get("reason")).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut lines = Vec::new();
    if let Some(base) = s(h.pointer("/base/name")) {
        lines.push(format!("Base image: {base}"));
    }
    if let Some(e) = h.get("efficiency")
        && let (Some(w), Some(t), Some(p)) = (
            e.get("wasted_bytes").and_then(|v| v.as_u64()),
            e.get("total_bytes").and_then(|v| v.as_u64()),
            e.get("efficiency_percent").and_then(|v| v.as_f64()),
        )
    {
        lines.push(format!(
            "Layer efficiency {p:.1}%: {} wasted of {}",
            human_bytes(w),
            human_bytes(t)
        ));
    }
    if let Some(v) = s(h.pointer("/vulnerabilities/summary")) {
        lines.push(v);
    }
    if let Some(v) = s(h.pointer("/minimal_base/suggestion")) {
        lines.push(format!("Suggestion: {v}"));
    }
    Some(HygieneView {
        score,
        components,
        lines,
    })
}

/// `1.9 MiB`.
pub(crate) fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub(crate) fn image_view(r: &Report) -> ImageView {
    let a = &r.artifact;
    let mut meta = vec![
        ("Source".to_string(), text(&a.source, 200)),
        ("Format".to_string(), text(&a.format, 60)),
    ];
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            meta.push((k.to_string(), v));
        }
    };
    add(
        "Tags",
        Some(
            a.repo_tags
                .iter()
                .map(|t| text(t, 200))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    add("Image ID", a.image_id.as_deref().map(|s| text(s, 100)));
    add(
        "Manifest digest",
        a.manifest_digest.as_deref().map(|s| text(s, 100)),
    );
    add("Platform", a.platform.as_deref().map(|s| text(s, 60)));
    add(
        "Operating system",
        r.os.as_ref().map(|o| text(&o.display(), 120)),
    );
    add("Namespace", r.namespace.as_deref().map(|s| text(s, 60)));
    add(
        "Layers",
        Some(format!(
            "{} ({} uncompressed)",
            a.layers.len(),
            human_bytes(a.layers.iter().map(|l| l.uncompressed_size).sum())
        )),
    );
    add("Packages", Some(r.summary.packages.to_string()));
    add(
        "Vulnerability DB",
        r.db.as_ref().map(|d| {
            format!(
                "schema {}, built {}",
                text(&d.schema_version, 20),
                date_part(&d.built_at)
            )
        }),
    );
    let kev = r.findings.iter().filter(|f| f.kev.is_some()).count();
    let mut figures = vec![
        Figure::new("Findings", r.summary.findings, ""),
        Figure::new("Vulnerabilities", r.summary.vulnerabilities, ""),
        Figure::new(
            "Fixable",
            r.summary.fixable,
            if r.summary.fixable > 0 { "warn" } else { "" },
        ),
        Figure::new("Known exploited", kev, if kev > 0 { "bad" } else { "" }),
    ];
    if r.summary.secrets > 0 || !r.misconfigurations.is_empty() {
        figures.push(Figure::new(
            "Secrets",
            r.summary.secrets,
            if r.summary.secrets > 0 { "bad" } else { "" },
        ));
        figures.push(Figure::new(
            "Misconfigurations",
            r.misconfigurations.len(),
            "",
        ));
    }
    let findings = r
        .findings
        .iter()
        .map(|f| FindingRow {
            package: text(&f.package.name, 200),
            kind: f.package.kind.as_str().to_string(),
            installed: text(&f.package.version, 120),
            id: text(&f.id, 80),
            url: feed_url(f.sources.first().map_or("", String::as_str), &f.id),
            kev: f.kev.is_some(),
            severity: f.severity.as_str().to_string(),
            cvss: score(max_cvss(f)),
            status: f.status.as_str().to_string(),
            fixed: f.fixed_version.as_deref().map(|v| text(v, 120)),
            layer: f.package.layer_index.to_string(),
            title: f.title.as_deref().map(|t| text(t, 240)),
        })
        .collect();
    let secrets = r
        .secrets
        .iter()
        .map(|s| SecretRow {
            title: text(&s.found.title, 120),
            severity: s.found.severity.as_str().to_string(),
            path: text(&s.path, 300),
            line: if s.found.line > 0 {
                s.found.line.to_string()
            } else {
                String::new()
            },
            layer: match (s.layer_index, s.deleted_in_later_layer) {
                (Some(l), true) => format!("{l} (deleted later)"),
                (Some(l), false) => l.to_string(),
                (None, _) => "config".to_string(),
            },
            // never the full secret, whatever the report holds
            redacted: text(&s.found.redacted, 120),
        })
        .collect();
    let misconfigs = r
        .misconfigurations
        .iter()
        .map(|m| MisconfigRow {
            rule: text(&m.rule_id, 40),
            title: text(&m.title, 160),
            severity: m.severity.as_str().to_string(),
            location: match m.line {
                Some(l) => format!("{}:{l}", text(&m.file, 200)),
                None => text(&m.file, 200),
            },
            message: text(&m.message, 400),
        })
        .collect();
    ImageView {
        title: "Drydock image report".to_string(),
        image: text(image_name(r), 200),
        generated: utc_seconds(created_time(r)),
        os: r.os.as_ref().map(|o| text(&o.display(), 120)),
        tool: format!("{} {}", text(&r.tool.name, 40), text(&r.tool.version, 40)),
        meta,
        counts: r.summary.by_severity.clone(),
        figures,
        hygiene: r.hygiene.as_ref().and_then(hygiene_view),
        findings,
        secrets,
        misconfigs,
        warnings: r.warnings.iter().map(|w| text(w, 400)).collect(),
    }
}

/// The single-image PDF report: image metadata, OS, counts by severity, hygiene summary (when
/// the report has one), then the findings, secrets (redacted) and misconfigurations as tables
/// that span pages with a repeated header.
pub fn render(r: &Report) -> Result<Vec<u8>, ReportError> {
    compile(IMAGE, &image_view(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_helpers() {
        assert_eq!(
            short_digest("sha256:0123456789abcdef"),
            "sha256:0123456789ab"
        );
        assert_eq!(score(Some(9.75)), Some("9.8".to_string()));
        assert_eq!(score(Some(f64::NAN)), None);
        assert_eq!(date_part("2026-01-02T03:04:05Z"), "2026-01-02");
        assert_eq!(date_part("2026-01-02"), "2026-01-02");
        assert_eq!(text("a\u{0}b\nc", 10), "ab c");
        assert_eq!(human_bytes(1_957_888), "1.9 MiB");
        assert_eq!(human_bytes(12), "12 B");
    }
}
