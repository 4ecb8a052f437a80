//! `/metrics` in the Prometheus text exposition format (0.0.4). Figures about findings are
//! those of the scraping token's org only; process counters are the replica's own.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::engine::Engine;
use crate::error::Result;
use crate::store::Principal;

/// Escape a label value (`\`, `"`, newline).
pub fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Render the metrics for `who`'s org.
pub async fn render(e: &Engine, who: &Principal) -> Result<String> {
    let now = e.now();
    let org = label(&who.org);
    let mut out = String::new();

    let counts = e.store.open_counts(who.org_id).await?;
    head(
        &mut out,
        "drydock_open_findings",
        "gauge",
        "Open findings by severity.",
    );
    for sev in ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"] {
        let n = counts.get(sev).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "drydock_open_findings{{org=\"{org}\",severity=\"{sev}\"}} {n}"
        );
    }
    head(
        &mut out,
        "drydock_images",
        "gauge",
        "Images known to the server.",
    );
    let _ = writeln!(
        out,
        "drydock_images{{org=\"{org}\"}} {}",
        e.store.image_count(who.org_id).await?
    );

    let times = e.store.finding_times(Some(who.org_id)).await?;
    let stats = crate::sla::stats(&times, &e.config.sla, now);
    head(
        &mut out,
        "drydock_sla_open_breaches",
        "gauge",
        "Open findings past their SLA deadline.",
    );
    let _ = writeln!(
        out,
        "drydock_sla_open_breaches{{org=\"{org}\"}} {}",
        stats.open_breaches
    );
    head(
        &mut out,
        "drydock_sla_at_risk",
        "gauge",
        "Open findings close to their SLA deadline.",
    );
    let _ = writeln!(
        out,
        "drydock_sla_at_risk{{org=\"{org}\"}} {}",
        stats.at_risk
    );
    head(
        &mut out,
        "drydock_mttr_hours",
        "gauge",
        "Mean time to remediate (first seen to fixed), hours, by severity.",
    );
    for (sev, h) in &stats.mttr_hours_by_severity {
        let _ = writeln!(
            out,
            "drydock_mttr_hours{{org=\"{org}\",severity=\"{}\"}} {h}",
            label(sev)
        );
    }

    let (running, scanned) = e
        .store
        .runtime_coverage(Some(who.org_id), now - 86_400)
        .await?;
    head(
        &mut out,
        "drydock_running_images",
        "gauge",
        "Distinct image digests in the runtime inventory.",
    );
    let _ = writeln!(out, "drydock_running_images{{org=\"{org}\"}} {running}");
    head(
        &mut out,
        "drydock_running_images_scanned_24h",
        "gauge",
        "Running image digests scanned in the last 24 hours.",
    );
    let _ = writeln!(
        out,
        "drydock_running_images_scanned_24h{{org=\"{org}\"}} {scanned}"
    );
    head(
        &mut out,
        "drydock_running_images_scanned_ratio",
        "gauge",
        "Share of running images scanned in the last 24 hours (1 when none run).",
    );
    let ratio = if running == 0 {
        1.0
    } else {
        scanned as f64 / running as f64
    };
    let _ = writeln!(
        out,
        "drydock_running_images_scanned_ratio{{org=\"{org}\"}} {ratio}"
    );

    let c = &e.counters;
    for (name, help, v) in [
        (
            "drydock_scheduler_ticks_total",
            "Scheduler ticks run by this replica.",
            c.ticks.load(Ordering::Relaxed),
        ),
        (
            "drydock_submissions_total",
            "Submissions handled by this replica.",
            c.submissions.load(Ordering::Relaxed),
        ),
        (
            "drydock_db_updates_total",
            "Vulnerability DB versions this replica switched to.",
            c.db_updates.load(Ordering::Relaxed),
        ),
        (
            "drydock_rematch_jobs_total",
            "Re-match jobs run by this replica.",
            c.rematch_jobs.load(Ordering::Relaxed),
        ),
        (
            "drydock_rematched_images_total",
            "Images re-matched by this replica.",
            c.rematched_images.load(Ordering::Relaxed),
        ),
        (
            "drydock_notifications_sent_total",
            "Notifications delivered by this replica.",
            c.notifications_sent.load(Ordering::Relaxed),
        ),
        (
            "drydock_notification_failures_total",
            "Failed notification deliveries.",
            c.notification_failures.load(Ordering::Relaxed),
        ),
        (
            "drydock_registry_polls_total",
            "Registry watch polls run by this replica.",
            c.registry_polls.load(Ordering::Relaxed),
        ),
        (
            "drydock_registry_scans_total",
            "Images pulled and catalogued from watched registries by this replica.",
            c.registry_scans.load(Ordering::Relaxed),
        ),
        (
            "drydock_registry_failures_total",
            "Failed registry watch polls and scans.",
            c.registry_failures.load(Ordering::Relaxed),
        ),
    ] {
        head(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {v}");
    }
    head(
        &mut out,
        "drydock_last_rematch_seconds",
        "gauge",
        "Duration of the last re-match job on this replica.",
    );
    let _ = writeln!(
        out,
        "drydock_last_rematch_seconds {}",
        c.last_rematch_ms.load(Ordering::Relaxed) as f64 / 1000.0
    );
    head(
        &mut out,
        "drydock_jobs",
        "gauge",
        "Background jobs by state (all replicas).",
    );
    for (state, n) in e.store.job_counts().await? {
        let _ = writeln!(out, "drydock_jobs{{state=\"{}\"}} {n}", label(&state));
    }
    Ok(out)
}
