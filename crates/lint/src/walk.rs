//! Finding configuration files in a path and linting each one on its own: a file that cannot
//! be read or parsed gets an error entry and the others go on.

use crate::dockerfile::{BuildContext, lint_dockerfile_in_context};
use crate::k8s::lint_kubernetes_counted;
use crate::report::{ConfigReport, FileEntry, FileKind, FileStatus};
use crate::{LintConfig, LintError, Misconfig, sort_findings};
use std::path::{Path, PathBuf};

/// What a file name says a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidate {
    Dockerfile,
    Yaml,
}

/// Classify a file name: `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*`,
/// `Containerfile.*` (any case; not `*.dockerignore`) are Dockerfiles; `*.yaml` / `*.yml` are
/// YAML that may hold Kubernetes objects.
pub fn classify(name: &str) -> Option<Candidate> {
    let l = name.to_ascii_lowercase();
    if l.ends_with(".dockerignore") {
        return None;
    }
    if l == "dockerfile"
        || l == "containerfile"
        || l.ends_with(".dockerfile")
        || l.ends_with(".containerfile")
        || l.starts_with("dockerfile.")
        || l.starts_with("containerfile.")
    {
        return Some(Candidate::Dockerfile);
    }
    if l.ends_with(".yaml") || l.ends_with(".yml") {
        return Some(Candidate::Yaml);
    }
    None
}

/// Directories never descended into.
fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "node_modules" || name == "vendor" || name == "target"
}

/// Scan a file or a directory tree. Paths in the report are relative to the directory (or
/// the file path as given). A path given explicitly is linted whatever its name: as a
/// Dockerfile if its name says so, else as YAML.
pub fn scan_config_path(path: &Path, cfg: &LintConfig) -> ConfigReport {
    let target = path.display().to_string();
    let mut files = Vec::new();
    let mut findings = Vec::new();
    if path.is_dir() {
        let mut candidates: Vec<(PathBuf, Candidate)> = Vec::new();
        let walker = walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !skip_dir(&e.file_name().to_string_lossy())
            });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    if let Some(c) = classify(&e.file_name().to_string_lossy()) {
                        candidates.push((e.path().to_path_buf(), c));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let p = e.path().map(|p| p.to_path_buf()).unwrap_or_default();
                    files.push(FileEntry {
                        path: rel(path, &p),
                        kind: FileKind::Yaml,
                        status: FileStatus::Error,
                        error: Some(format!("cannot read {}: {e}", p.display())),
                        misconfigurations: 0,
                    });
                }
            }
        }
        for (p, c) in candidates {
            lint_one(&p, &rel(path, &p), c, cfg, &mut files, &mut findings);
        }
    } else {
        let c = path
            .file_name()
            .and_then(|n| classify(&n.to_string_lossy()))
            .unwrap_or(Candidate::Yaml);
        lint_one(path, &target, c, cfg, &mut files, &mut findings);
        // An explicitly named YAML file without Kubernetes objects is still reported.
        if files.is_empty() {
            files.push(FileEntry {
                path: target.clone(),
                kind: FileKind::Yaml,
                status: FileStatus::Ok,
                error: None,
                misconfigurations: 0,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    sort_findings(&mut findings);
    ConfigReport::new(target, files, findings)
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .unwrap_or(p)
        .display()
        .to_string()
}

fn read_text(path: &Path, cfg: &LintConfig) -> Result<String, LintError> {
    let io = |source| LintError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > cfg.max_file_size {
        return Err(LintError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: cfg.max_file_size,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|_| LintError::NotText {
        path: path.to_path_buf(),
    })
}

/// The build context of a Dockerfile found on disk: its directory, with the Dockerfile-specific
/// `<name>.dockerignore` taking precedence over the context's `.dockerignore`.
fn build_context(dockerfile: &Path, cfg: &LintConfig) -> BuildContext {
    let dir = dockerfile.parent().unwrap_or(Path::new("."));
    let name = dockerfile
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    for candidate in [
        dir.join(format!("{name}.dockerignore")),
        dir.join(".dockerignore"),
    ] {
        if candidate.is_file() {
            // Unreadable or oversized: the context is unknown, so DD-DF-010 stays silent.
            return match read_text(&candidate, cfg) {
                Ok(t) => BuildContext::Dockerignore(t),
                Err(_) => BuildContext::Unknown,
            };
        }
    }
    BuildContext::NoDockerignore
}

fn lint_one(
    path: &Path,
    shown: &str,
    c: Candidate,
    cfg: &LintConfig,
    files: &mut Vec<FileEntry>,
    findings: &mut Vec<Misconfig>,
) {
    let shown_path = Path::new(shown);
    let kind = match c {
        Candidate::Dockerfile => FileKind::Dockerfile,
        Candidate::Yaml => FileKind::Yaml,
    };
    let error_entry = |e: LintError, kind| FileEntry {
        path: shown.to_string(),
        kind,
        status: FileStatus::Error,
        error: Some(e.to_string()),
        misconfigurations: 0,
    };
    let text = match read_text(path, cfg) {
        Ok(t) => t,
        Err(e) => {
            files.push(error_entry(e, kind));
            return;
        }
    };
    match c {
        Candidate::Dockerfile => {
            let ctx = build_context(path, cfg);
            match lint_dockerfile_in_context(shown_path, &text, &ctx, cfg) {
                Ok(f) => {
                    files.push(FileEntry {
                        path: shown.to_string(),
                        kind,
                        status: FileStatus::Ok,
                        error: None,
                        misconfigurations: f.len(),
                    });
                    findings.extend(f);
                }
                Err(e) => files.push(error_entry(e, kind)),
            }
        }
        Candidate::Yaml => match lint_kubernetes_counted(shown_path, &text, cfg) {
            Ok((0, _)) => {}
            Ok((_, f)) => {
                files.push(FileEntry {
                    path: shown.to_string(),
                    kind: FileKind::Kubernetes,
                    status: FileStatus::Ok,
                    error: None,
                    misconfigurations: f.len(),
                });
                findings.extend(f);
            }
            // Chart templates (`{{ … }}`) are not YAML until rendered: say so, not an error.
            Err(LintError::Yaml { .. }) if text.contains("{{") => files.push(FileEntry {
                path: shown.to_string(),
                kind: FileKind::Yaml,
                status: FileStatus::Skipped,
                error: Some(format!(
                    "{shown}: unrendered template (`{{{{ … }}}}`): render it (helm template) \
                     and scan the output"
                )),
                misconfigurations: 0,
            }),
            Err(e) => files.push(error_entry(e, FileKind::Yaml)),
        },
    }
}
