//! The image-hygiene section as SARIF results (docs/hygiene.md): wasted files, build tools
//! and caches left in the final image, `.git` directories, layer-order and minimal-base
//! advice. The report carries hygiene as JSON (`Report::hygiene`), so this reads the fields
//! it needs from that JSON and ignores anything else.

use super::{
    Configuration, Fingerprints, Help, Location, Rule, RuleProperties, Rules, SarifResult, Text,
    file_location, image_location,
};
use crate::Report;
use crate::common::clean_text;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Hygiene {
    score: Score,
    efficiency: Efficiency,
    multi_stage: MultiStage,
    minimal_base: MinimalBase,
    newer_base: Option<NewerBase>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewerBase {
    reference: String,
    status: String,
    fixed: usize,
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Score {
    value: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Efficiency {
    wasted: Vec<Wasted>,
    caches: Vec<Dir>,
    git_dirs: Vec<Dir>,
    order: Vec<Order>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Wasted {
    path: String,
    bytes: u64,
    layer: usize,
    removed_by: usize,
    how: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Dir {
    path: String,
    what: String,
    bytes: u64,
    files: u64,
    layers: Vec<usize>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Order {
    copy_layer: usize,
    install_layer: usize,
    install_bytes: u64,
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MultiStage {
    packages: Vec<BuildTool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BuildTool {
    name: String,
    version: String,
    what: String,
    bytes: Option<u64>,
    layer: usize,
    attribution: String,
    vulnerabilities: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MinimalBase {
    suggestion: Option<String>,
}

/// The hygiene rules, by id: (short description, full description, level).
const WASTED: &str = "hygiene/wasted-file";
const BUILD_TOOL: &str = "hygiene/build-tool-in-final-image";
const CACHE: &str = "hygiene/cache-left-behind";
const GIT_DIR: &str = "hygiene/git-directory";
const ORDER: &str = "hygiene/layer-order";
const MINIMAL: &str = "hygiene/minimal-base";
const NEWER: &str = "hygiene/newer-base-build";

fn rule(id: &str) -> Rule {
    let (short, full, level, tags): (&str, &str, &'static str, &[&str]) = match id {
        WASTED => (
            "A file overwritten or deleted by a later layer still ships in the image",
            "A later layer overwrote or deleted this file, so it is invisible in the running \
             container, but its bytes stay in the earlier layer and every pull downloads them. \
             Remove it in the same build step that creates it.",
            "note",
            &["efficiency"],
        ),
        BUILD_TOOL => (
            "A build-time tool is in the final image",
            "Compilers, headers, build tools and version control are needed to build the \
             application, not to run it; they add size and vulnerabilities to every \
             deployment. Build in a separate stage (multi-stage build) and copy only the \
             artifacts into the final image.",
            "warning",
            &["security", "multi-stage"],
        ),
        CACHE => (
            "A package-manager or language cache was left in the image",
            "Caches are only useful while building. Clean them in the same step that fills \
             them (`rm -rf /var/lib/apt/lists/*`, `pip --no-cache-dir`, `npm cache clean`), or \
             use a cache mount.",
            "note",
            &["efficiency"],
        ),
        GIT_DIR => (
            "A .git directory is in the image",
            "A `.git` directory carries the repository's history, which can include removed \
             secrets and unreleased code. Exclude it with `.dockerignore` or build in a \
             separate stage.",
            "warning",
            &["security", "multi-stage"],
        ),
        ORDER => (
            "A frequently-changing layer comes before a large stable one",
            "Layers are cached in order: when the application files change, every later \
             layer is rebuilt and pushed again. Install dependencies before copying the \
             application sources.",
            "note",
            &["efficiency"],
        ),
        NEWER => (
            "A newer build of the base image fixes vulnerabilities",
            "The base image's tag now points to a newer build, which no longer has some of \
             the vulnerabilities this image inherits. Rebuild the image (pull the base again, \
             or update the pinned base digest).",
            "warning",
            &["security", "base-image"],
        ),
        _ => (
            "A smaller base image would remove packages the application does not need",
            "Shells, package managers and other base-image packages the application does not \
             use add size and vulnerabilities. A distroless or slim base of the same \
             distribution family removes them.",
            "note",
            &["security", "minimal-base"],
        ),
    };
    Rule {
        id: id.to_string(),
        name: "ImageHygiene",
        short_description: Text { text: short.into() },
        full_description: Text { text: full.into() },
        help_uri: None,
        help: Help {
            text: full.into(),
            markdown: full.into(),
        },
        default_configuration: Configuration { level },
        properties: RuleProperties {
            security_severity: None,
            epss: None,
            epss_percentile: None,
            precision: "high",
            tags: tags.iter().map(|t| t.to_string()).collect(),
        },
    }
}

fn human(b: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn layers_text(layers: &[usize]) -> String {
    let l: Vec<String> = layers.iter().map(|l| l.to_string()).collect();
    match l.len() {
        0 => String::new(),
        1 => format!(", written by layer {}", l[0]),
        _ => format!(", written by layers {}", l.join(", ")),
    }
}

/// The hygiene score, for the run's properties.
pub(super) fn score(r: &Report) -> Option<u32> {
    let h: Hygiene = serde_json::from_value(r.hygiene.clone()?).ok()?;
    h.score.value
}

/// Append one result per hygiene item (and its rule) to `results`.
pub(super) fn results(
    r: &Report,
    image: &str,
    rules: &mut Rules,
    fingerprints: &mut Fingerprints,
    results: &mut Vec<SarifResult>,
) {
    let Some(value) = &r.hygiene else { return };
    let Ok(h) = serde_json::from_value::<Hygiene>(value.clone()) else {
        return;
    };
    let mut push = |id: &str, text: String, location: Location, key: &[&str]| {
        let idx = rules.get_or_add(id, || rule(id));
        let rule = rules.rules[idx].default_configuration.level;
        let mut parts = vec!["hygiene", image, id];
        parts.extend_from_slice(key);
        results.push(SarifResult {
            rule_id: id.to_string(),
            rule_index: idx,
            level: rule,
            message: Text { text },
            locations: vec![location],
            partial_fingerprints: fingerprints.make(&parts),
        });
    };

    for w in &h.efficiency.wasted {
        let how = if w.how == "deleted" {
            "deleted"
        } else {
            "overwritten"
        };
        push(
            WASTED,
            format!(
                "{} ({}) from layer {} is {how} by layer {}: the bytes still ship in the image",
                clean_text(&w.path),
                human(w.bytes),
                w.layer,
                w.removed_by
            ),
            file_location(&w.path, None),
            &[&w.path],
        );
    }
    for t in &h.multi_stage.packages {
        let mut text = format!(
            "{} {} ({}",
            clean_text(&t.name),
            clean_text(&t.version),
            clean_text(&t.what)
        );
        if let Some(b) = t.bytes {
            text.push_str(&format!(", {}", human(b)));
        }
        text.push_str(&format!(
            ") is in the final image, {}",
            clean_text(&t.attribution)
        ));
        if t.vulnerabilities > 0 {
            text.push_str(&format!(
                "; it carries {} {}",
                t.vulnerabilities,
                if t.vulnerabilities == 1 {
                    "vulnerability"
                } else {
                    "vulnerabilities"
                }
            ));
        }
        text.push_str(". Build in a separate stage and copy only the artifacts.");
        let what = format!("layer {}", t.layer);
        push(
            BUILD_TOOL,
            text,
            image_location(r, &what),
            &[&t.name, &t.what],
        );
    }
    for c in &h.efficiency.caches {
        push(
            CACHE,
            format!(
                "{} ({}): {} in {} files left in the image{}",
                clean_text(&c.path),
                clean_text(&c.what),
                human(c.bytes),
                c.files,
                layers_text(&c.layers)
            ),
            file_location(&c.path, None),
            &[&c.path],
        );
    }
    for g in &h.efficiency.git_dirs {
        push(
            GIT_DIR,
            format!(
                "{} ({}, {} in {} files){}",
                clean_text(&g.path),
                clean_text(&g.what),
                human(g.bytes),
                g.files,
                layers_text(&g.layers)
            ),
            file_location(&g.path, None),
            &[&g.path],
        );
    }
    for o in &h.efficiency.order {
        let what = format!("layers {} and {}", o.copy_layer, o.install_layer);
        let text = if o.message.is_empty() {
            format!(
                "Layer {} copies application files before layer {} installs {} of dependencies",
                o.copy_layer,
                o.install_layer,
                human(o.install_bytes)
            )
        } else {
            clean_text(&o.message)
        };
        push(ORDER, text, image_location(r, &what), &[&what]);
    }
    if let Some(s) = &h.minimal_base.suggestion {
        // the suggestion names the shells and package managers and the figures
        let text = clean_text(s);
        push(MINIMAL, text, image_location(r, "base image"), &[]);
    }
    if let Some(n) = h
        .newer_base
        .as_ref()
        .filter(|n| n.status == "newer" && n.fixed > 0)
    {
        push(
            NEWER,
            clean_text(&n.message),
            image_location(r, "base image"),
            &[&n.reference],
        );
    }
}
