//! The acceptance scenario, on SQLite and on PostgreSQL: three real Alpine images submitted
//! with CI metadata; a DB update adds a (test) advisory affecting one of them; within one
//! scheduler tick the finding appears with first_seen set, a notification reaches a local
//! webhook receiver (generic and Slack payloads, once), the query `severity >= high and
//! fixable` returns it, and the CSV report contains it. Withdrawing the advisory fixes it.

mod common;

use common::*;
use serde_json::{Value, json};

async fn scenario(store: &TestStore) {
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let engine = engine(store, data.path(), feeds.path()).await;

    // first sync: baseline DB, recorded, nothing to notify
    engine.tick(false).await.unwrap();
    let first = engine.vulndb().expect("DB after the first tick");
    assert_eq!(engine.store.update_count().await.unwrap(), 1);

    let now = engine.now();
    let org = engine.store.ensure_org("acme", now).await.unwrap();
    let scopes = |s: &[drydock_server::store::Scope]| s.iter().copied().collect();
    use drydock_server::store::Scope::*;
    let submit = engine
        .store
        .create_token(org, "ci", &scopes(&[Submit]), now)
        .await
        .unwrap();
    let read = engine
        .store
        .create_token(org, "dash", &scopes(&[Read]), now)
        .await
        .unwrap();
    let admin = engine
        .store
        .create_token(org, "admin", &scopes(&[Admin]), now)
        .await
        .unwrap();
    let base = serve(engine.clone()).await;
    let api = Api::new(&base);
    let (hooks, got) = receiver().await;
    for (kind, name) in [("generic", "generic"), ("slack", "slack")] {
        let (st, _) = api
            .post(
                "/api/v1/webhooks",
                &admin,
                &json!({"kind": kind, "url": format!("{hooks}/hook/{name}")}),
            )
            .await;
        assert_eq!(st, 201);
    }

    // three images with CI metadata
    let mut digests = Vec::new();
    for (version, repo) in [
        ("3.20.3", "team/api"),
        ("3.19.4", "team/worker"),
        ("3.18.9", "team/cron"),
    ] {
        let (sbom, meta) = alpine_submission(version, repo, "1.0");
        let body = json!({
            "sbom": sbom,
            "image": meta,
            "ci": {"pipeline": format!("build-{repo}"), "commit": "0123456789abcdef", "branch": "main"},
        });
        let (st, v) = api.post("/api/v1/images", &submit, &body).await;
        assert_eq!(st, 200, "{v}");
        assert!(v["packages"].as_u64().unwrap() >= 14, "{v}");
        digests.push(v["digest"].as_str().unwrap().to_string());
        if version == "3.20.3" {
            // the real Alpine 3.20 secdb has HIGH/CRITICAL findings for the 3.20.3 rootfs
            assert!(!v["findings"].as_array().unwrap().is_empty(), "{v}");
            assert!(
                v["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|f| f["vuln_id"] != TEST_ADVISORY_ID)
            );
        } else {
            // no feed for 3.18/3.19 in this folder: nothing matches, the verdict passes
            assert_eq!(v["findings"], json!([]), "{version}: {v}");
            assert_eq!(v["verdict"]["pass"], json!(true));
        }
    }
    // image detail carries the CI context and metadata
    let (st, img) = api
        .get(&format!("/api/v1/images/{}", digests[0]), &read)
        .await;
    assert_eq!(st, 200);
    assert_eq!(img["ci"]["pipeline"], "build-team/api");
    assert_eq!(img["config_user"], "1000");
    assert_eq!(img["tags"], json!(["1.0"]));
    engine.tick(false).await.unwrap();
    assert!(got.lock().unwrap().is_empty(), "submissions never notify");

    // publish a DB update that adds the test advisory; ONE scheduler tick
    publish_test_advisory(feeds.path());
    let before = engine.now();
    engine.tick(false).await.unwrap();
    let second = engine.vulndb().unwrap();
    assert_ne!(first.update_id, second.update_id);

    let expr = format!("id = {TEST_ADVISORY_ID}");
    let (st, v) = api
        .get(&format!("/api/v1/findings?query={}", q(&expr)), &read)
        .await;
    assert_eq!(st, 200, "{v}");
    let found = v["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{v}");
    let f = &found[0];
    assert_eq!(f["digest"], json!(digests[0]));
    assert_eq!(f["package"], "ca-certificates-bundle");
    assert_eq!(f["severity"], "HIGH");
    assert_eq!(f["fixable"], true);
    assert_eq!(f["fixed_version"], "99999999-r0");
    assert!(f["first_seen"].as_i64().unwrap() >= before);
    assert_eq!(
        f["sla_due"].as_i64().unwrap(),
        f["first_seen"].as_i64().unwrap() + 7 * 86_400
    );

    // the diff re-match touched only the one image that holds ca-certificates on 3.20
    let (state, result) = engine
        .store
        .job_state("rematch", &second.update_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state, "done");
    let result: Value = serde_json::from_str(&result.unwrap()).unwrap();
    assert_eq!(result["images"], 1, "{result}");
    assert_eq!(result["new"], 1, "{result}");

    // notifications: one generic, one Slack, both naming the finding
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        let generic = &got.iter().find(|(n, _)| n == "generic").unwrap().1;
        assert_eq!(generic["event"], "new_findings");
        assert_eq!(generic["org"], "acme");
        assert_eq!(generic["count"], 1);
        assert_eq!(generic["findings"][0]["id"], TEST_ADVISORY_ID);
        assert_eq!(generic["update_id"], json!(second.update_id));
        let slack = &got.iter().find(|(n, _)| n == "slack").unwrap().1;
        assert!(slack["text"].as_str().unwrap().contains("1 new finding"));
        assert!(
            slack["blocks"][1]["text"]["text"]
                .as_str()
                .unwrap()
                .contains(TEST_ADVISORY_ID)
        );
    }

    // the acceptance query
    let (st, v) = api
        .get(
            &format!(
                "/api/v1/findings?query={}&limit=1000",
                q("severity >= high and fixable")
            ),
            &read,
        )
        .await;
    assert_eq!(st, 200);
    let all = v["findings"].as_array().unwrap();
    assert!(all.iter().any(|f| f["vuln_id"] == TEST_ADVISORY_ID));
    assert!(
        all.iter().all(|f| f["fixable"] == true
            && ["HIGH", "CRITICAL"].contains(&f["severity"].as_str().unwrap()))
    );

    // CSV report
    let (st, csv) = api
        .get_text(
            &format!(
                "/api/v1/reports?format=csv&query={}",
                q("severity >= high and fixable")
            ),
            &read,
        )
        .await;
    assert_eq!(st, 200);
    let line = csv
        .lines()
        .find(|l| l.contains(TEST_ADVISORY_ID))
        .expect("CSV row");
    assert!(line.starts_with("team/api:1.0,"), "{line}");
    assert!(line.contains(",HIGH,"), "{line}");
    // PDF report: a real PDF whose text (poppler's pdftotext) names the finding
    let (st, pdf) = api
        .get_bytes(
            &format!(
                "/api/v1/reports?format=pdf&query={}",
                q("severity >= high and fixable")
            ),
            &read,
        )
        .await;
    assert_eq!(st, 200);
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    // the PDF's table cells carry zero-width break opportunities after `/` and `:`
    let text = String::from_utf8_lossy(&out.stdout).replace('\u{200b}', "");
    assert!(text.contains(TEST_ADVISORY_ID), "{text}");
    assert!(text.contains("team/api:1.0"), "{text}");
    // JSON report carries the same row and the counts
    let (st, rep) = api
        .get(
            &format!("/api/v1/reports?format=json&query={}", q(&expr)),
            &read,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(rep["rows"].as_array().unwrap().len(), 1);
    assert_eq!(rep["counts"]["HIGH"], 1);
    assert_eq!(rep["org"], "acme");

    // idempotent: the same feeds again is no update, and running the same re-match again
    // (another replica, a retry) queues no second notification
    engine.tick(false).await.unwrap();
    assert_eq!(engine.vulndb().unwrap().update_id, second.update_id);
    let payload = json!({"update_id": second.update_id, "mode": "diff",
        "keys": [["alpine:3.20", "ca-certificates"]], "notify": true});
    let again = engine
        .run_rematch(&second.update_id, &payload.to_string())
        .await
        .unwrap();
    assert_eq!(again.new, 0);
    assert_eq!(again.notifications, 0);
    engine.deliver_notifications().await.unwrap();
    assert_eq!(got.lock().unwrap().len(), 2);

    // withdraw the advisory: the finding is fixed (fixed_at set), no notification
    std::fs::remove_dir_all(feeds.path().join("osv")).unwrap();
    engine.tick(false).await.unwrap();
    let (_, v) = api
        .get(&format!("/api/v1/findings?query={}", q(&expr)), &read)
        .await;
    assert_eq!(v["count"], 0, "{v}");
    let (_, v) = api
        .get(
            &format!("/api/v1/findings?include_fixed=true&query={}", q(&expr)),
            &read,
        )
        .await;
    assert_eq!(v["count"], 1, "{v}");
    assert!(v["findings"][0]["fixed_at"].as_i64().is_some());
    assert_eq!(got.lock().unwrap().len(), 2);

    // metrics show the org's figures in Prometheus text
    let (st, m) = api.get_text("/metrics", &read).await;
    assert_eq!(st, 200);
    assert!(m.contains("drydock_images{org=\"acme\"} 3"), "{m}");
    assert!(m.contains("# TYPE drydock_open_findings gauge"));
    assert!(
        m.contains("drydock_mttr_hours{org=\"acme\",severity=\"HIGH\"}"),
        "{m}"
    );
}

both_stores!(acceptance, scenario);
