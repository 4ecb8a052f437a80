//! Notification payloads (generic JSON webhook, Slack-compatible) and delivery.

use serde_json::{Value, json};

use crate::store::FindingRow;

/// Findings listed in one message at most (the count is always complete).
pub const MAX_LISTED: usize = 50;

/// The generic webhook body: `{"event": "new_findings", "org", "update_id", "count",
/// "findings": [...]}`.
pub fn generic_payload(org: &str, update_id: &str, findings: &[FindingRow]) -> Value {
    json!({
        "event": "new_findings",
        "org": org,
        "update_id": update_id,
        "count": findings.len(),
        "findings": findings.iter().take(MAX_LISTED).map(|f| json!({
            "id": f.vuln_id,
            "severity": f.severity,
            "image": f.image,
            "digest": f.digest,
            "package": f.package,
            "version": f.version,
            "fixed_version": f.fixed_version,
            "kev": f.kev,
            "first_seen": f.first_seen,
            "sla_due": f.sla_due,
        })).collect::<Vec<_>>(),
    })
}

/// A Slack incoming-webhook body: `text` plus `blocks` (section + a list of findings).
pub fn slack_payload(org: &str, update_id: &str, findings: &[FindingRow]) -> Value {
    let headline = format!(
        "Drydock: {} new finding{} in {org} after vulnerability DB update {}",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        &update_id[..update_id.len().min(12)]
    );
    let lines: Vec<String> = findings
        .iter()
        .take(20)
        .map(|f| {
            format!(
                "• *{}* {} in `{} {}` ({}){}",
                f.severity,
                f.vuln_id,
                f.package,
                f.version,
                f.image,
                f.fixed_version
                    .as_deref()
                    .map(|v| format!(", fixed in {v}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": headline},
    })];
    if !lines.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": lines.join("\n")},
        }));
    }
    json!({ "text": headline, "blocks": blocks })
}

/// POST `payload` to `url`; an HTTP status outside 2xx is an error.
pub async fn deliver(client: &reqwest::Client, url: &str, payload: &str) -> Result<(), String> {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(payload.to_string())
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {}", resp.status()))
    }
}
