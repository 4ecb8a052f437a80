//! `drydock registry scan`: every image of a repository (or of a whole registry, through
//! `/v2/_catalog`), each scanned like `drydock image`, with a summary table per image.

use crate::ImageArgs;
use crate::scan::{Target, scan_report, write_output};
use anyhow::{Context, Result, bail};
use clap::Args;
use comfy_table::{ContentArrangement, Table, presets};
use drydock_registry::{Reference, RegistryClient, RegistryOptions};
use drydock_report::Format;
use serde::Serialize;
use std::process::ExitCode;

#[derive(Args)]
pub struct RegistryScanArgs {
    /// Only tags matching this glob (`*` any run, `?` one character; repeatable; default all).
    #[arg(long = "tags", value_name = "GLOB")]
    pub tags: Vec<String>,
    /// Only images created in the last N days (from the image config's `created`; images
    /// without a creation time are kept).
    #[arg(long, value_name = "DAYS")]
    pub since: Option<u64>,
    /// Stop after this many images (a safety net for huge registries).
    #[arg(long, default_value_t = 1000)]
    pub max_images: usize,
    /// IMAGE is the target: `host[:port]/repository` scans the repository's tags,
    /// `host[:port]` every repository the registry's catalog lists. Every other flag is
    /// `drydock image`'s; `--format json` prints one object with a summary and every report.
    #[command(flatten)]
    pub scan: ImageArgs,
}

/// One row of the summary.
#[derive(Serialize)]
struct Row {
    image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<String>,
    packages: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    other: usize,
    fixable: usize,
    secrets: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Output<'a> {
    target: String,
    images: &'a [Row],
    reports: Vec<drydock_report::Report>,
}

/// `*`/`?` glob match over the whole string.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // iterative matcher with backtracking to the last `*` (linear for typical inputs)
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn client(args: &ImageArgs, registry: &str) -> Result<RegistryClient> {
    let insecure_hosts = args
        .insecure
        .iter()
        .map(|h| {
            if h.is_empty() {
                registry.to_string()
            } else {
                h.clone()
            }
        })
        .collect();
    Ok(RegistryClient::new(&RegistryOptions {
        insecure_hosts,
        username: args.username.clone(),
        password: args.password.clone(),
        env_credentials: true,
        parallel: if args.parallel == 0 { 4 } else { args.parallel },
        ..Default::default()
    })?)
}

/// The image's `created` time as seconds since the epoch, if the config has one.
fn created_secs(config: &[u8]) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(config).ok()?;
    let s = v.get("created")?.as_str()?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

pub fn run(args: &RegistryScanArgs) -> Result<ExitCode> {
    let target = args.scan.image.to_string_lossy().to_string();
    let target = target.trim_end_matches('/').to_string();
    // `host[:port]` alone → the whole catalog; `host/repo` → one repository
    let (registry, repos) = match target.split_once('/') {
        None => {
            let c = client(&args.scan, &target)?;
            let repos = c
                .catalog(&target)
                .with_context(|| format!("listing the repositories of {target}"))?;
            (target.clone(), repos)
        }
        Some((host, repo)) => {
            if repo.contains(':') || repo.contains('@') {
                bail!(
                    "{target}: give a repository without a tag or digest (use --tags to pick tags)"
                );
            }
            (host.to_string(), vec![repo.to_string()])
        }
    };
    let c = client(&args.scan, &registry)?;
    let mut refs: Vec<Reference> = Vec::new();
    for repo in &repos {
        let repo_ref = Reference::parse(&format!("{registry}/{repo}"))
            .with_context(|| format!("{registry}/{repo}: not a valid repository"))?;
        let mut tags = c
            .list_tags(&repo_ref)
            .with_context(|| format!("listing the tags of {registry}/{repo}"))?;
        tags.sort();
        for t in tags {
            if args.tags.is_empty() || args.tags.iter().any(|g| glob_match(g, &t)) {
                refs.push(repo_ref.with_tag(&t)?);
            }
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let platform = args
        .scan
        .platform
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mut rows = Vec::new();
    let mut reports = Vec::new();
    let mut failed = false;
    let mut gated = false;
    for r in refs {
        if rows.len() >= args.max_images {
            eprintln!(
                "warning: stopped after {} images (--max-images)",
                args.max_images
            );
            break;
        }
        let name = r.to_string();
        if let Some(days) = args.since {
            // the config is small and cached by the scan that follows
            let m = c.resolve(&r, platform.as_ref());
            if let Ok(img) = &m
                && let Some(created) = created_secs(&img.config)
                && now - created > days as i64 * 86_400
            {
                continue;
            }
        }
        let mut one = args.scan.clone();
        one.image = name.clone().into();
        one.quiet = true;
        match scan_report(&one, Target::Image).and_then(|rep| crate::scan::apply_policy(&one, rep))
        {
            Ok((rep, policy_gate)) => {
                let sev = |k: &str| rep.summary.by_severity.get(k).copied().unwrap_or(0);
                let failed = match &policy_gate {
                    Some(g) => g.failed,
                    None => crate::scan::gate(&args.scan, &rep) != ExitCode::SUCCESS,
                };
                if failed {
                    gated = true;
                }
                rows.push(Row {
                    image: name,
                    digest: rep.artifact.manifest_digest.clone(),
                    os: rep.os.as_ref().map(|o| o.display()),
                    packages: rep.summary.packages,
                    critical: sev("CRITICAL"),
                    high: sev("HIGH"),
                    medium: sev("MEDIUM"),
                    low: sev("LOW"),
                    other: sev("NEGLIGIBLE") + sev("UNKNOWN"),
                    fixable: rep.summary.fixable,
                    secrets: rep.summary.secrets,
                    error: None,
                });
                reports.push(rep);
            }
            Err(e) => {
                failed = true;
                rows.push(Row {
                    image: name,
                    digest: None,
                    os: None,
                    packages: 0,
                    critical: 0,
                    high: 0,
                    medium: 0,
                    low: 0,
                    other: 0,
                    fixable: 0,
                    secrets: 0,
                    error: Some(format!("{e:#}")),
                });
            }
        }
    }
    let rendered = match args.scan.format {
        Format::Json => {
            let out = Output {
                target: target.clone(),
                images: &rows,
                reports,
            };
            let mut s = serde_json::to_string_pretty(&out)?;
            s.push('\n');
            s
        }
        Format::Table => render(&target, &rows),
        other => bail!("registry scan writes table or json, not {other}"),
    };
    let path = args.scan.output.iter().rev().find(|o| o.format.is_none());
    if args.scan.output.iter().any(|o| o.format.is_some()) {
        bail!("registry scan takes a plain --output PATH, not FORMAT=PATH");
    }
    write_output(path.map(|o| o.path.as_path()), &rendered)?;
    if !args.scan.quiet {
        eprintln!(
            "{target}: {} images scanned, {} failed",
            rows.iter().filter(|r| r.error.is_none()).count(),
            rows.iter().filter(|r| r.error.is_some()).count()
        );
    }
    if failed {
        return Ok(ExitCode::from(3));
    }
    if gated {
        return Ok(ExitCode::from(if args.scan.exit_code != 0 {
            args.scan.exit_code
        } else {
            1
        }));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(target: &str, rows: &[Row]) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "Image", "OS", "Packages", "Critical", "High", "Medium", "Low", "Other", "Fixable",
            "Secrets", "Status",
        ]);
    for r in rows {
        t.add_row(vec![
            r.image.clone(),
            r.os.clone().unwrap_or_default(),
            r.packages.to_string(),
            r.critical.to_string(),
            r.high.to_string(),
            r.medium.to_string(),
            r.low.to_string(),
            r.other.to_string(),
            r.fixable.to_string(),
            r.secrets.to_string(),
            match &r.error {
                None => "ok".into(),
                Some(e) => format!("error: {e}"),
            },
        ]);
    }
    t.force_no_tty();
    format!("{target}: {} images\n{t}\n", rows.len())
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*", "anything"));
        assert!(glob_match("v1.*", "v1.2.3"));
        assert!(!glob_match("v1.*", "v2.0"));
        assert!(glob_match("1?", "12"));
        assert!(!glob_match("1?", "123"));
        assert!(glob_match("*-alpine", "3.20-alpine"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "x"));
    }
}
