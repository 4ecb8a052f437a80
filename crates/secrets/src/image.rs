//! Image integration: the scanner as a `drydock_image::Analyzer`, per-layer findings with
//! "deleted later" facts, and the image config (Env, Labels, Entrypoint, Cmd, history).

use crate::error::Result;
use crate::scan::{Scanner, SecretMatch};
use drydock_image::{
    AnalyzeOptions, Analyzer, Image, ImageConfig, ImagePath, LayerAnalysis, analyze_image,
};
use serde::{Deserialize, Serialize};

/// A secret located in an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretFinding {
    #[serde(flatten)]
    pub found: SecretMatch,
    /// Absolute path in the image (`/root/.aws/credentials`), or a config location:
    /// `config:Env[3]`, `config:Labels[key]`, `config:Entrypoint[0]`, `config:Cmd[1]`,
    /// `config:history[2]`.
    pub path: String,
    /// The layer holding the file (for history entries: the layer that entry created; none
    /// for Env/Labels/Entrypoint/Cmd and empty-layer history entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_index: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_diff_id: Option<String>,
    /// A later layer deleted the path (whiteout, opaque directory) or wrote it again: the
    /// secret is not visible in the final filesystem but anyone who pulls the image can read
    /// it from this layer. Needs `AnalyzeOptions::record_paths` to see overwrites.
    pub deleted_in_later_layer: bool,
}

impl Analyzer for Scanner {
    type Output = Vec<SecretMatch>;

    /// Crate version plus a digest of the rules and options: cached layer results are reused
    /// only by a scanner that would produce the same output.
    fn id(&self) -> String {
        self.cache_id().to_string()
    }

    /// Every file except those on path-only allow-listed paths (unless explaining): whether
    /// a file is text is decided from its content, never from its name.
    fn wants(&self, path: &ImagePath) -> bool {
        self.options().explain_allowed || !self.skips_path(path.as_str())
    }

    fn max_file_size(&self) -> u64 {
        self.options().max_file_size
    }

    fn analyze(
        &self,
        path: &ImagePath,
        content: &[u8],
        _warnings: &mut Vec<String>,
    ) -> Option<Vec<SecretMatch>> {
        let found = self.scan_bytes(path.as_str(), content);
        (!found.is_empty()).then_some(found)
    }
}

/// Findings of every layer, in layer order then path order. For a match in layer L at path
/// P, `deleted_in_later_layer` is true when a layer above L deleted P (whiteout of P or an
/// ancestor, opaque ancestor) or wrote P again (the latter needs the layers to have been
/// analysed with `record_paths`).
pub fn secrets_from_layers(layers: &[LayerAnalysis<Vec<SecretMatch>>]) -> Vec<SecretFinding> {
    let mut out = Vec::new();
    for (pos, layer) in layers.iter().enumerate() {
        let mut files: Vec<_> = layer.files.iter().collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for file in files {
            let deleted = layers[pos + 1..]
                .iter()
                .any(|later| later.deleted(&file.path) || later.wrote(&file.path));
            for m in &file.output {
                out.push(SecretFinding {
                    found: m.clone(),
                    path: file.path.to_string(),
                    layer_index: Some(layer.index),
                    layer_diff_id: Some(layer.diff_id.clone()),
                    deleted_in_later_layer: deleted,
                });
            }
        }
    }
    out
}

impl Scanner {
    /// Secrets in the image config: `Env`, `Labels` (scanned as `key=value`), `Entrypoint`,
    /// `Cmd` and each history entry's `created_by` (where `RUN … ?auth=…` and build
    /// arguments such as `ARG TOKEN=…` or `|1 TOKEN=… /bin/sh -c …` end up).
    pub fn scan_image_config(&self, cfg: &ImageConfig) -> Vec<SecretFinding> {
        let mut out = Vec::new();
        let mut add = |location: String, text: &str, layer: Option<usize>| {
            for m in self.scan_text(&location, text.as_bytes()) {
                out.push(SecretFinding {
                    found: m,
                    path: location.clone(),
                    layer_index: layer,
                    layer_diff_id: layer.and_then(|l| cfg.rootfs.diff_ids.get(l).cloned()),
                    deleted_in_later_layer: false,
                });
            }
        };
        let c = &cfg.config;
        for (i, e) in c.env.iter().enumerate() {
            add(format!("config:Env[{i}]"), e, None);
        }
        for (k, v) in &c.labels {
            add(format!("config:Labels[{k}]"), &format!("{k}={v}"), None);
        }
        for (i, e) in c.entrypoint.iter().enumerate() {
            add(format!("config:Entrypoint[{i}]"), e, None);
        }
        for (i, e) in c.cmd.iter().enumerate() {
            add(format!("config:Cmd[{i}]"), e, None);
        }
        let mut layer = 0;
        for (i, h) in cfg.history.iter().enumerate() {
            let this_layer = (!h.empty_layer).then_some(layer);
            if let Some(created_by) = &h.created_by {
                add(format!("config:history[{i}]"), created_by, this_layer);
            }
            if !h.empty_layer {
                layer += 1;
            }
        }
        out
    }
}

/// [`Scanner::scan_image_config`] with the built-in rules.
pub fn scan_image_config(cfg: &ImageConfig) -> Vec<SecretFinding> {
    Scanner::builtin().scan_image_config(cfg)
}

/// Scan a whole opened image with `scanner`: every layer (in parallel, `parallelism` layers
/// at once, 0 = one per core) with path recording on, then the config. Layer findings come
/// first (layer order, path order), then config findings. Layer warnings (files over the
/// size cap, ...) are returned alongside.
pub fn scan_image(
    image: &Image,
    scanner: &Scanner,
    parallelism: usize,
) -> Result<(Vec<SecretFinding>, Vec<String>)> {
    let opts = AnalyzeOptions {
        parallelism,
        record_paths: true,
        ..AnalyzeOptions::default()
    };
    let layers = analyze_image(image, scanner, &opts, &|_, _| {})?;
    let mut findings = secrets_from_layers(&layers);
    findings.extend(scanner.scan_image_config(&image.config));
    let warnings = layers
        .into_iter()
        .flat_map(|l| {
            let idx = l.index;
            l.warnings
                .into_iter()
                .map(move |w| format!("layer {idx}: {w}"))
        })
        .collect();
    Ok((findings, warnings))
}
