//! The dashboard, over HTTP and in a real headless Chromium (playwright-core), against a server
//! holding real submissions: org "acme" with two real Alpine images (3.20.3 with real secdb
//! findings, 3.19.4 without), org "other" with its own 3.20.3 image; then a DB update adds
//! the TEST-ONLY HIGH advisory, so both 3.20.3 images get one HIGH finding besides the
//! secdb's UNKNOWN-severity ones.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use drydock_server::Engine;
use drydock_server::store::Scope;
use serde_json::{Value, json};

struct Fleet {
    base: String,
    acme_read: String,
    acme_submit: String,
    other_read: String,
    acme_image_id: i64,
    _engine: Arc<Engine>,
    _data: tempfile::TempDir,
    _feeds: tempfile::TempDir,
}

const LABEL_XSS: &str = "<script>alert('label')</script>";

async fn fleet(store: &TestStore) -> Fleet {
    let data = tempfile::tempdir().unwrap();
    let feeds = feed_dir();
    let engine = engine(store, data.path(), feeds.path()).await;
    engine.tick(false).await.unwrap();
    let now = engine.now();
    let scopes = |s: &[Scope]| s.iter().copied().collect();
    let acme = engine.store.ensure_org("acme", now).await.unwrap();
    let other = engine.store.ensure_org("other", now).await.unwrap();
    let tok = |org, name: &'static str, s: &[Scope]| {
        let e = engine.clone();
        let sc = scopes(s);
        async move { e.store.create_token(org, name, &sc, now).await.unwrap() }
    };
    let acme_read = tok(acme, "dash", &[Scope::Read]).await;
    let acme_submit = tok(acme, "ci", &[Scope::Submit]).await;
    let other_read = tok(other, "dash", &[Scope::Read]).await;
    let other_submit = tok(other, "ci", &[Scope::Submit]).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = drydock_server::app(engine.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let api = Api::new(&base);
    let mut acme_image_id = 0;
    for (version, repo, tag, token) in [
        ("3.20.3", "team/api", "1.0", &acme_submit),
        ("3.19.4", "team/worker", "1.0", &acme_submit),
        ("3.20.3", "team/other", "2.0", &other_submit),
    ] {
        let (sbom, mut meta) = alpine_submission(version, repo, tag);
        meta.labels
            .insert("org.example.note".into(), LABEL_XSS.to_string());
        let body =
            json!({"sbom": sbom, "image": meta, "ci": {"pipeline": format!("build-{repo}")}});
        let (st, v) = api.post("/api/v1/images", token, &body).await;
        assert_eq!(st, 200, "{v}");
        if repo == "team/api" {
            let (st, img) = api
                .get(
                    &format!("/api/v1/images/{}", v["digest"].as_str().unwrap()),
                    &acme_read,
                )
                .await;
            assert_eq!(st, 200);
            acme_image_id = img["id"].as_i64().unwrap();
        }
    }
    // the real Alpine secdb carries no severities (UNKNOWN): a DB update adds the TEST-ONLY
    // HIGH advisory for ca-certificates, so `severity >= high` selects a real subset
    publish_test_advisory(feeds.path());
    engine.tick(false).await.unwrap();
    Fleet {
        base,
        acme_read,
        acme_submit,
        other_read,
        acme_image_id,
        _engine: engine,
        _data: data,
        _feeds: feeds,
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sorted vulnerability ids the API answers for `expr` (all of them).
async fn api_ids(api: &Api, token: &str, expr: &str) -> Vec<String> {
    let (st, v) = api
        .get(
            &format!("/api/v1/findings?limit=10000&query={}", q(expr)),
            token,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let mut ids: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["vuln_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

async fn pages_over_http(store: &TestStore) {
    let f = fleet(store).await;
    let http = no_redirects();
    let get = |path: &str, token: Option<&str>, cookie: Option<&str>| {
        let mut r = http.get(format!("{}{path}", f.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        async move {
            let r = r.send().await.unwrap();
            let st = r.status().as_u16();
            let headers = r.headers().clone();
            (st, headers, r.text().await.unwrap())
        }
    };

    // signed out: every page sends the browser to the login form, keeping where it was going
    let (st, h, _) = get("/ui/findings?query=kev", None, None).await;
    assert_eq!(st, 303);
    assert_eq!(h["location"], "/ui/login?next=/ui/findings%3Fquery%3Dkev");
    let (st, h, _) = get("/", None, Some("drydock_token=ddk_0000")).await;
    assert_eq!(st, 303, "an unknown cookie token signs out");
    assert!(h["set-cookie"].to_str().unwrap().contains("Max-Age=0"));

    // the login form: a wrong token stays on the form, a submit-only token is refused
    let login = |token: &str| {
        let body = format!("token={token}&next=%2Fui%2Fimages");
        let r = http
            .post(format!("{}/ui/login", f.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move {
            let r = r.send().await.unwrap();
            (
                r.status().as_u16(),
                r.headers().clone(),
                r.text().await.unwrap(),
            )
        }
    };
    let (st, h, body) = login("ddk_not_a_token").await;
    assert_eq!(st, 401);
    assert!(h.get("set-cookie").is_none());
    assert!(body.contains("Unknown token."), "{body}");
    let (st, h, body) = login(&f.acme_submit).await;
    assert_eq!(st, 403);
    assert!(h.get("set-cookie").is_none());
    assert!(body.contains("lacks the read scope"), "{body}");
    let (st, h, _) = login(&f.acme_read).await;
    assert_eq!(st, 303);
    assert_eq!(h["location"], "/ui/images");
    assert_eq!(
        h["set-cookie"].to_str().unwrap(),
        format!(
            "drydock_token={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
            f.acme_read
        )
    );
    let cookie = format!("drydock_token={}", f.acme_read);

    // the image list through the cookie: acme's two images, never other's
    let (st, h, body) = get("/ui/images", None, Some(&cookie)).await;
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert!(body.contains(">team/api:1.0</a>"), "{body}");
    assert!(body.contains(">team/worker:1.0</a>"), "{body}");
    assert!(!body.contains("team/other"), "{body}");
    // the API never takes the cookie
    let (st, _, _) = get("/api/v1/images", None, Some(&cookie)).await;
    assert_eq!(st, 401);

    // other org, by bearer token: its own image only; acme's image id is not found
    let (st, _, body) = get("/ui/images", Some(&f.other_read), None).await;
    assert_eq!(st, 200);
    assert!(body.contains(">team/other:2.0</a>"), "{body}");
    assert!(!body.contains("team/api") && !body.contains("team/worker"));
    let detail = format!("/ui/images/{}", f.acme_image_id);
    let (st, _, body) = get(&detail, Some(&f.other_read), None).await;
    assert_eq!(st, 404);
    assert!(!body.contains("team/api"), "{body}");

    // image detail: metadata, layers, packages; the label is escaped, not markup
    let (st, _, body) = get(&detail, Some(&f.acme_read), None).await;
    assert_eq!(st, 200);
    assert!(body.contains("<h1>team/api:1.0</h1>"), "{body}");
    assert!(
        body.contains("&lt;script&gt;alert('label')&lt;/script&gt;"),
        "{body}"
    );
    assert!(!body.contains("<script"), "{body}");
    assert!(body.contains("<h2>Layers (2)</h2>"), "{body}");
    assert!(body.contains("build-team/api"), "CI context shown");

    // findings: a query error is shown with the box, as the parser words it
    let (st, _, body) = get(
        &format!("/ui/findings?query={}", q("severity >= ")),
        Some(&f.acme_read),
        None,
    )
    .await;
    assert_eq!(st, 400);
    assert!(
        body.contains("<p class=\"error\" role=\"alert\">query: "),
        "{body}"
    );
    assert!(body.contains("value=\"severity &gt;= \""), "{body}");

    // the report link of a query carries exactly the API's findings
    let api = Api::new(&f.base);
    let expected = api_ids(&api, &f.acme_read, "severity >= high").await;
    assert!(!expected.is_empty());
    let (st, h, csv) = get(
        &format!("/ui/report?format=csv&query={}", q("severity >= high")),
        None,
        Some(&cookie),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"drydock-report-acme.csv\""
    );
    let mut ids: Vec<String> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap()[5].to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, expected);

    // logout clears the cookie
    let r = http
        .post(format!("{}/ui/logout", f.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("drydock_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    );
}

both_stores!(http_pages, pages_over_http);

// ------------------------------------------------------------------------------ Chromium

const SCRIPT: &str = r#"
const fs = require('fs');
const path = require('path');
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { chromium } = require(cfg.playwright);

const nav = (page, action) => Promise.all([page.waitForNavigation(), action]);
const ids = (page) => page.$$eval('td.vid', els => els.map(e => e.firstChild.textContent.trim()));
const cards = (page, attr) => page.$$eval(`[data-${attr}].card`, (els, attr) =>
  Object.fromEntries(els.map(e => [e.getAttribute(`data-${attr}`), Number(e.querySelector('.n').textContent)])), attr);

(async () => {
  const out = {};
  const ctx = await chromium.launchPersistentContext(cfg.userDataDir, {
    executablePath: cfg.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(30000);

  await page.goto(cfg.base + '/');
  out.signedOutUrl = page.url();
  await page.fill('input[name=token]', cfg.readToken);
  await nav(page, page.click('button[type=submit]'));
  out.afterLoginUrl = page.url();
  out.severityCards = await cards(page, 'severity');
  out.statCards = await cards(page, 'stat');
  out.trend = await page.$$eval('svg g[data-date]', els => els.map(e => Number(e.getAttribute('data-total'))));
  out.cookies = (await ctx.cookies()).filter(c => c.name === 'drydock_token')
    .map(c => ({ httpOnly: c.httpOnly, sameSite: c.sameSite, isToken: c.value === cfg.readToken }));
  out.documentCookie = await page.evaluate(() => document.cookie);
  await page.screenshot({ path: path.join(cfg.dir, 'overview.png'), fullPage: true });

  await nav(page, page.click('nav a[href="/ui/findings"]'));
  await page.fill('#query', 'severity >= high');
  await nav(page, page.press('#query', 'Enter'));
  out.findingsUrl = page.url();
  out.findingIds = await ids(page);
  out.findingImages = [...new Set(await page.$$eval('table.findings tbody td:nth-child(3) a', els => els.map(a => a.textContent)))];
  out.reportLinks = await page.$$eval('.downloads a', els => els.map(a => a.getAttribute('href')));
  const csv = await ctx.request.get(cfg.base + out.reportLinks[0]);
  out.csv = { status: csv.status(), type: csv.headers()['content-type'], body: await csv.text() };
  const pdf = await ctx.request.get(cfg.base + out.reportLinks[1]);
  out.pdf = { status: pdf.status(), magic: (await pdf.body()).subarray(0, 5).toString('latin1') };
  await page.screenshot({ path: path.join(cfg.dir, 'findings.png'), fullPage: false });

  await page.fill('#query', 'severity >= ');
  const [bad] = await nav(page, page.press('#query', 'Enter'));
  out.badQuery = { status: bad.status(), error: await page.textContent('.error'), value: await page.inputValue('#query') };

  await nav(page, page.click('nav a[href="/ui/images"]'));
  out.images = await page.$$eval('tr[data-image-id] a.name', els => els.map(a => a.textContent.trim()));
  await nav(page, page.click('a.name >> text="team/api:1.0"'));
  out.detail = {
    url: page.url(),
    h1: (await page.textContent('h1')).trim(),
    layers: await page.$$eval('table.layers tbody tr', r => r.length),
    packages: await page.$$eval('table.packages tbody tr', r => r.length),
    findingIds: await ids(page),
    scripts: await page.$$eval('script', s => s.length),
  };
  await page.screenshot({ path: path.join(cfg.dir, 'image.png'), fullPage: false });

  await nav(page, page.click('button.link'));
  out.afterLogout = { url: page.url(), cookies: (await ctx.cookies()).filter(c => c.name === 'drydock_token').length };

  // another org signs in in the same browser
  await page.goto(cfg.base + '/ui/images');
  await page.fill('input[name=token]', cfg.otherToken);
  await nav(page, page.click('button[type=submit]'));
  out.other = { url: page.url() };
  out.other.images = await page.$$eval('tr[data-image-id] a.name', els => els.map(a => a.textContent.trim()));
  const denied = await page.goto(cfg.base + '/ui/images/' + cfg.acmeImageId);
  out.other.detailStatus = denied.status();
  out.other.detailText = await page.textContent('main');
  await page.goto(cfg.base + '/ui/findings?query=' + encodeURIComponent('severity >= high'));
  out.other.findingIds = await ids(page);
  out.other.findingImages = [...new Set(await page.$$eval('table.findings tbody td:nth-child(3) a', els => els.map(a => a.textContent)))];
  await ctx.close();
  fs.writeFileSync(path.join(cfg.dir, 'result.json'), JSON.stringify(out, null, 1));
})().catch(e => { console.error(e); process.exit(1); });
"#;

/// chromium and playwright-core, or why not.
fn browser_tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = PathBuf::from("/usr/bin/chromium");
    if !chromium.exists() {
        return Err("/usr/bin/chromium is missing (Debian package chromium)".into());
    }
    let pw = std::env::var_os("DRYDOCK_PLAYWRIGHT")
        .map(PathBuf::from)
        .ok_or("DRYDOCK_PLAYWRIGHT is not set (scripts/test.sh installs playwright-core)")?;
    if !pw.join("package.json").exists() {
        return Err(format!(
            "DRYDOCK_PLAYWRIGHT={} holds no package",
            pw.display()
        ));
    }
    Ok((chromium, pw))
}

fn run_node(script: &Path, config: &Path, limit: Duration) -> std::process::Output {
    let mut child = std::process::Command::new("node")
        .arg(script)
        .arg(config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the browser script ran over {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 10_000, "screenshot of {} bytes", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_end_to_end() {
    let (chromium, playwright) = match browser_tools() {
        Ok(t) => t,
        Err(why) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("the dashboard browser test cannot run in CI: {why}");
            }
            eprintln!("\n*** SKIPPED: dashboard browser test — {why} ***\n");
            return;
        }
    };
    let store = TestStore::new(Kind::Sqlite).await.unwrap();
    let f = fleet(&store).await;
    let api = Api::new(&f.base);

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ui.js");
    std::fs::write(&script, SCRIPT).unwrap();
    let config = dir.path().join("config.json");
    let cfg = json!({
        "base": f.base,
        "playwright": playwright,
        "chromium": chromium,
        "userDataDir": dir.path().join("profile"),
        "dir": dir.path(),
        "readToken": f.acme_read,
        "otherToken": f.other_read,
        "acmeImageId": f.acme_image_id,
    });
    std::fs::write(&config, serde_json::to_vec(&cfg).unwrap()).unwrap();
    let started = Instant::now();
    let (s2, c2) = (script.clone(), config.clone());
    let out = tokio::task::spawn_blocking(move || run_node(&s2, &c2, Duration::from_secs(240)))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "browser script failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("browser script: {:?}", started.elapsed());
    let r: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("result.json")).unwrap()).unwrap();

    // sign-in
    assert_eq!(r["signedOutUrl"], format!("{}/ui/login?next=/", f.base));
    assert_eq!(r["afterLoginUrl"], format!("{}/", f.base));
    assert_eq!(
        r["cookies"],
        json!([{"httpOnly": true, "sameSite": "Strict", "isToken": true}])
    );
    assert_eq!(r["documentCookie"], "", "the token cookie is HttpOnly");

    // overview counts = the fleet report's counts of every open finding
    let (st, report) = api.get("/api/v1/reports?format=json", &f.acme_read).await;
    assert_eq!(st, 200);
    let mut total = 0;
    for sev in ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"] {
        let want = report["counts"][sev].as_u64().unwrap_or(0);
        total += want;
        assert_eq!(r["severityCards"][sev].as_u64(), Some(want), "{sev}: {r}");
    }
    assert!(total > 0);
    assert_eq!(r["statCards"]["images"], 2);
    assert_eq!(r["statCards"]["open"], total);
    assert_eq!(r["statCards"]["breached"], report["sla"]["open_breaches"]);
    assert_eq!(r["statCards"]["at-risk"], report["sla"]["at_risk"]);
    let trend = r["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 30);
    assert_eq!(trend[29], total, "today's bar holds every open finding");

    // the query box: exactly the API's answer for the same query
    let expected = api_ids(&api, &f.acme_read, "severity >= high").await;
    assert!(!expected.is_empty());
    assert_eq!(
        r["findingsUrl"],
        format!("{}/ui/findings?query=severity+%3E%3D+high", f.base)
    );
    let mut shown: Vec<String> = serde_json::from_value(r["findingIds"].clone()).unwrap();
    shown.sort();
    assert_eq!(shown, expected);
    assert_eq!(r["findingImages"], json!(["team/api:1.0"]));
    assert_eq!(
        r["reportLinks"],
        json!([
            "/ui/report?format=csv&query=severity%20%3E%3D%20high",
            "/ui/report?format=pdf&query=severity%20%3E%3D%20high",
            "/ui/report?format=json&query=severity%20%3E%3D%20high"
        ])
    );
    assert_eq!(r["csv"]["status"], 200);
    assert_eq!(r["csv"]["type"], "text/csv; charset=utf-8");
    let csv_rows = r["csv"]["body"].as_str().unwrap().lines().count();
    assert_eq!(csv_rows, expected.len() + 1);
    assert_eq!(r["pdf"], json!({"status": 200, "magic": "%PDF-"}));
    assert_eq!(r["badQuery"]["status"], 400);
    assert!(
        r["badQuery"]["error"]
            .as_str()
            .unwrap()
            .starts_with("query: "),
        "{r}"
    );
    assert_eq!(r["badQuery"]["value"], "severity >= ");

    // images and the detail page
    let mut images: Vec<String> = serde_json::from_value(r["images"].clone()).unwrap();
    images.sort();
    assert_eq!(images, ["team/api:1.0", "team/worker:1.0"]);
    let (st, img) = api
        .get(&format!("/api/v1/images/{}", f.acme_image_id), &f.acme_read)
        .await;
    assert_eq!(st, 200);
    let d = &r["detail"];
    assert_eq!(
        d["url"],
        format!("{}/ui/images/{}", f.base, f.acme_image_id)
    );
    assert_eq!(d["h1"], "team/api:1.0");
    assert_eq!(d["layers"], 2);
    assert_eq!(d["packages"], img["packages"].as_array().unwrap().len());
    assert_eq!(d["scripts"], 0, "the <script> label is text");
    let (_, fl) = api
        .get(
            &format!("/api/v1/images/{}/findings", f.acme_image_id),
            &f.acme_read,
        )
        .await;
    let mut want: Vec<&str> = fl["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["vuln_id"].as_str().unwrap())
        .collect();
    want.sort();
    let mut got: Vec<String> = serde_json::from_value(d["findingIds"].clone()).unwrap();
    got.sort();
    assert_eq!(got, want);

    assert_eq!(
        r["afterLogout"],
        json!({"url": format!("{}/ui/login", f.base), "cookies": 0})
    );

    // the other org sees its own image and findings, never acme's
    let o = &r["other"];
    assert_eq!(o["url"], format!("{}/ui/images", f.base));
    assert_eq!(o["images"], json!(["team/other:2.0"]));
    assert_eq!(o["detailStatus"], 404);
    assert!(!o["detailText"].as_str().unwrap().contains("team/api"));
    let other_expected = api_ids(&api, &f.other_read, "severity >= high").await;
    assert!(!other_expected.is_empty());
    let mut other_shown: Vec<String> = serde_json::from_value(o["findingIds"].clone()).unwrap();
    other_shown.sort();
    assert_eq!(other_shown, other_expected);
    assert_eq!(o["findingImages"], json!(["team/other:2.0"]));

    // screenshots: real PNGs of the viewport / full page
    for name in ["overview.png", "findings.png", "image.png"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        let (w, h) = png_size(&bytes);
        assert_eq!(w, 1280, "{name}");
        assert!(h >= 900, "{name}: {h}");
        if let Some(keep) = std::env::var_os("DRYDOCK_UI_SCREENSHOTS") {
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::copy(dir.path().join(name), Path::new(&keep).join(name)).unwrap();
        }
    }
    store.cleanup().await;
}
