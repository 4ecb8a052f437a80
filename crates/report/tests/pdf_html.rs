//! PDF, HTML and fleet CSV: PDFs are read back with poppler (`pdfinfo`, `pdftotext`,
//! `pdftoppm`; installed by scripts/test.sh) and checked for page counts, the exact ids,
//! versions and figures they must show, and a rendered first page; HTML is snapshotted and
//! checked for escaping and self-containment. `DRYDOCK_UPDATE_SAMPLES=1` rewrites
//! docs/samples/report.{html,pdf,pdf.txt}.

mod common;

use common::*;
use drydock_report::fleet::{
    FLEET_CSV_HEADER, FleetReport, FleetRow, FleetSla, TrendPoint, render_fleet_csv,
    render_fleet_pdf,
};
use drydock_report::{Format, RenderOptions, Report, ReportError, html, pdf, render, render_bytes};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

// ---------------------------------------------------------------- poppler

fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (install poppler-utils: scripts/test.sh)"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A PDF as poppler reads it: page count, text (zero-width spaces removed), first page PNG.
struct ReadBack {
    pages: usize,
    page_size: String,
    text: String,
    png: Vec<u8>,
}

fn read_back(pdf: &[u8]) -> ReadBack {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    keep("last.pdf", pdf);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let p = path.to_str().unwrap();
    let info = String::from_utf8(tool("pdfinfo", &[p])).unwrap();
    let field = |k: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("pdfinfo has no {k}: {info}"))
    };
    let pages: usize = field("Pages:").parse().unwrap();
    let page_size = field("Page size:");
    let text = String::from_utf8(tool("pdftotext", &["-layout", p, "-"]))
        .unwrap()
        .replace('\u{200b}', "");
    let prefix = dir.path().join("page");
    tool(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            p,
            prefix.to_str().unwrap(),
        ],
    );
    let png = std::fs::read(dir.path().join("page.png")).unwrap();
    ReadBack {
        pages,
        page_size,
        text,
        png,
    }
}

/// Width and height of a PNG (from its IHDR chunk).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// The page-1 PNG is a landscape A4 page at 50 dpi (585 × 413 px) with content (a blank page
/// compresses to a few hundred bytes).
fn assert_real_page(png: &[u8]) {
    assert!(png.len() > 2_000, "PNG of {} bytes", png.len());
    let (w, h) = png_size(png);
    assert!(w == 585 && (413..=414).contains(&h), "{w} x {h}");
}

/// Keep a file for a look when `DRYDOCK_KEEP_DIR` names a directory.
fn keep(name: &str, bytes: &[u8]) {
    if let Some(d) = std::env::var_os("DRYDOCK_KEEP_DIR") {
        std::fs::write(Path::new(&d).join(name), bytes).unwrap();
    }
}

// ---------------------------------------------------------------- the fleet

/// A 300-row fleet. HAND-WRITTEN pairing of real data: each row takes a real Debian security
/// advisory from `feeds/debian/DSA.list` (its package, its CVE ids and its bullseye fixed
/// version) and, as the installed version, the package's bullseye fixed version of the
/// advisory before it (a version that really shipped). Images, severities, scores, dates and
/// SLA figures are invented for layout; nothing here is an advisory fact beyond those triples.
fn fleet() -> FleetReport {
    let list = std::fs::read_to_string(shared_dir().join("feeds/debian/DSA.list")).unwrap();
    // (package, cves, fixed) in file order (newest first)
    let mut advisories: Vec<(String, Vec<String>, String)> = Vec::new();
    let mut cves: Vec<String> = Vec::new();
    for line in list.lines() {
        if line.starts_with('[') {
            cves.clear();
        } else if let Some(ids) = line.trim().strip_prefix('{') {
            cves = ids
                .trim_end_matches('}')
                .split_whitespace()
                .map(String::from)
                .collect();
        } else if let Some(rest) = line.trim().strip_prefix("[bullseye] - ") {
            let mut parts = rest.split_whitespace();
            if let (Some(pkg), Some(fixed)) = (parts.next(), parts.next())
                && !cves.is_empty()
                && fixed.contains(char::is_numeric)
            {
                advisories.push((pkg.to_string(), cves.clone(), fixed.to_string()));
            }
        }
    }
    let images = [
        (
            "registry.example:5000/shop/web:1.4.2",
            "sha256:3f1c0a9d2b7e4c55aa0e61f0b2d9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1",
        ),
        (
            "registry.example:5000/shop/api:2.0.0",
            "sha256:9a8b7c6d5e4f30211200ffeeddccbbaa99887766554433221100aabbccddeeff",
        ),
        (
            "registry.example:5000/platform/ingress-controller-with-a-long-name:v1.10.0-rc.1",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
    ];
    let severities = [
        "CRITICAL",
        "HIGH",
        "HIGH",
        "MEDIUM",
        "MEDIUM",
        "LOW",
        "NEGLIGIBLE",
        "UNKNOWN",
    ];
    let mut rows = Vec::new();
    'outer: for (i, (pkg, ids, fixed)) in advisories.iter().enumerate() {
        // the previous bullseye fix of the same package is the installed version
        let Some((_, _, installed)) = advisories[i + 1..].iter().find(|(p, _, _)| p == pkg) else {
            continue;
        };
        for id in ids {
            let n = rows.len();
            let (image, digest) = images[n % images.len()];
            let severity = severities[n % severities.len()];
            rows.push(FleetRow {
                image: image.into(),
                digest: digest.into(),
                package: pkg.clone(),
                version: installed.clone(),
                ecosystem: "debian:11".into(),
                id: id.clone(),
                severity: severity.into(),
                cvss: (severity != "UNKNOWN").then_some(10.0 - (n % 70) as f64 / 10.0),
                epss: (n % 3 != 0).then_some((n % 1000) as f64 / 1000.0),
                kev: n % 23 == 0,
                fixed_version: (n % 11 != 0).then(|| fixed.clone()),
                first_seen: format!("2026-{:02}-{:02}T08:00:00Z", 1 + n % 9, 1 + n % 28),
                sla_due: (severity != "UNKNOWN").then(|| format!("2026-10-{:02}", 1 + n % 28)),
                sla_breached: n % 8 == 0,
                namespaces: vec!["shop".into(), format!("team-{}", n % 4)],
            });
            if rows.len() == 300 {
                break 'outer;
            }
        }
    }
    assert_eq!(
        rows.len(),
        300,
        "DSA.list has fewer usable advisories than expected"
    );
    let mut counts = BTreeMap::new();
    for r in &rows {
        *counts.entry(r.severity.clone()).or_insert(0u64) += 1;
    }
    let trend = (0..30u64)
        .map(|d| TrendPoint {
            date: format!("2026-09-{:02}", d + 1),
            counts: [
                ("CRITICAL", 20 + d % 5),
                ("HIGH", 60 + (d * 7) % 13),
                ("MEDIUM", 90 - d),
                ("LOW", 40 + d / 2),
                ("NEGLIGIBLE", 20),
                ("UNKNOWN", 10 + d % 3),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        })
        .collect();
    FleetReport {
        title: "Drydock vulnerability report".into(),
        org: "acme-shop".into(),
        generated_at: "2026-10-01T09:30:00Z".into(),
        query: Some("severity >= HIGH and namespace ~ \"shop*\"".into()),
        counts,
        sla: FleetSla {
            open_breaches: 37,
            at_risk: 112,
            mttr_hours_by_severity: [("CRITICAL", 30.5), ("HIGH", 100.8), ("MEDIUM", 412.0)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        },
        trend,
        rows,
    }
}

#[test]
fn fleet_pdf_paginates_with_every_row_and_the_sla_figures() {
    let f = fleet();
    let started = std::time::Instant::now();
    let pdf = render_fleet_pdf(&f).unwrap();
    eprintln!(
        "fleet PDF: 300 rows, {} bytes in {} ms",
        pdf.len(),
        started.elapsed().as_millis()
    );
    keep("fleet.pdf", &pdf);
    let rb = read_back(&pdf);
    keep("fleet-page1.png", &rb.png);
    assert!(rb.pages > 1, "{} pages", rb.pages);
    assert_eq!(rb.page_size, "841.89 x 595.276 pts (A4)"); // landscape
    let t = &rb.text;
    // summary page: counts, SLA figures, MTTR per severity
    assert!(t.contains("Drydock vulnerability report") && t.contains("acme-shop"));
    assert!(
        t.contains("severity >= HIGH and namespace ~ \"shop*\""),
        "query"
    );
    let squeeze = regex::Regex::new(r"\s+")
        .unwrap()
        .replace_all(t, " ")
        .to_string();
    assert!(
        squeeze.contains("OPEN FINDINGS SLA BREACHES SLA AT RISK KNOWN EXPLOITED 300 37 112 14"),
        "{squeeze:.2000}"
    );
    assert!(t.contains("30.5 h"), "CRITICAL MTTR");
    assert!(t.contains("4.2 days"), "HIGH MTTR");
    assert!(t.contains("17.2 days"), "MEDIUM MTTR");
    assert!(t.contains("Open findings over time"));
    // the table: every id, every installed and fixed version exactly (`~` stays `~`)
    for r in &f.rows {
        assert!(t.contains(&r.id), "{}", r.id);
        assert!(t.contains(&r.version), "{}", r.version);
        if let Some(fixed) = &r.fixed_version {
            assert!(t.contains(fixed.as_str()), "{fixed}");
        }
    }
    assert!(f.rows.iter().filter(|r| r.version.contains('~')).count() > 100);
    assert!(!t.contains('\u{a0}'), "a `~` became a non-breaking space");
    // real triples from DSA.list: apache2 DSA-5376-1 fixes CVE-2023-25690 in 2.4.56-1~deb11u1
    // (installed: the package's previous bullseye fix in the list, 2.4.52-1~deb11u2)
    let apache = f.rows.iter().find(|r| r.id == "CVE-2023-25690").unwrap();
    assert_eq!(
        (
            apache.package.as_str(),
            apache.version.as_str(),
            apache.fixed_version.as_deref()
        ),
        ("apache2", "2.4.52-1~deb11u2", Some("2.4.56-1~deb11u1"))
    );
    let line = t.lines().find(|l| l.contains("CVE-2023-25690")).unwrap();
    assert!(
        line.contains("2.4.52-1~deb11u2") && line.contains("2.4.56-1~deb11u1"),
        "{line}"
    );
    // the header row is repeated on every table page (all pages but the summary)
    let headers = t
        .lines()
        .filter(|l| l.contains("Installed") && l.contains("SLA due"))
        .count();
    assert_eq!(headers, rb.pages - 1, "header rows vs {} pages", rb.pages);
    assert_eq!(t.matches("Page 1 of ").count(), 1);
    assert!(t.contains(&format!("Page {0} of {0}", rb.pages)));
    // breached SLAs are marked, KEV rows badged
    assert_eq!(
        t.matches("breached").count(),
        f.rows
            .iter()
            .filter(|r| r.sla_breached && r.sla_due.is_some())
            .count()
    );
    assert_eq!(
        t.matches("KEV").count(),
        f.rows.iter().filter(|r| r.kev).count()
    );
    assert_real_page(&rb.png);
}

#[test]
fn fleet_pdf_is_deterministic_and_handles_an_empty_fleet() {
    let f = fleet();
    assert_eq!(render_fleet_pdf(&f).unwrap(), render_fleet_pdf(&f).unwrap());
    let empty = FleetReport {
        org: "nobody".into(),
        generated_at: "2026-10-01T09:30:00Z".into(),
        ..Default::default()
    };
    let rb = read_back(&render_fleet_pdf(&empty).unwrap());
    assert_eq!(rb.pages, 2);
    assert!(
        rb.text.contains("Drydock vulnerability report"),
        "default title"
    );
    assert!(rb.text.contains("No trend data for this period."));
    assert!(
        rb.text
            .contains("No findings were remediated in this period.")
    );
    assert!(rb.text.contains("No open findings match."));
    assert!(rb.text.contains("All open findings"));
}

#[test]
fn fleet_csv_has_the_exact_header_and_rows() {
    let mut f = fleet();
    f.rows.truncate(2);
    f.rows[1].package = "=HYPERLINK(\"http://x\")".into();
    f.rows[1].namespaces = vec![];
    f.rows[1].fixed_version = None;
    f.rows[1].sla_due = None;
    f.rows[1].cvss = None;
    f.rows[1].epss = None;
    let csv = render_fleet_csv(&f).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "image,digest,package,version,ecosystem,id,severity,cvss,epss,kev,fixed_version,first_seen,sla_due,sla_breached,namespaces"
    );
    assert_eq!(lines[0].split(',').collect::<Vec<_>>(), FLEET_CSV_HEADER);
    assert_eq!(
        lines[1],
        "registry.example:5000/shop/web:1.4.2,sha256:3f1c0a9d2b7e4c55aa0e61f0b2d9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1,xorg-server,2:1.20.11-1+deb11u5,debian:11,CVE-2023-1393,CRITICAL,10,,true,,2026-01-01T08:00:00Z,2026-10-01,true,shop;team-0"
    );
    assert_eq!(
        lines[2],
        "registry.example:5000/shop/api:2.0.0,sha256:9a8b7c6d5e4f30211200ffeeddccbbaa99887766554433221100aabbccddeeff,\"'=HYPERLINK(\"\"http://x\"\")\",4.14.5+86-g1c354767d5-1,debian:11,CVE-2022-23824,HIGH,,,false,,2026-02-02T08:00:00Z,,false,"
    );
    assert_eq!(lines.len(), 3);
    assert!(csv.ends_with('\n'));
    // an empty fleet is the header alone
    assert_eq!(
        render_fleet_csv(&FleetReport::default()).unwrap(),
        format!("{}\n", FLEET_CSV_HEADER.join(","))
    );
}

#[test]
fn fleet_report_json_round_trips_with_defaults() {
    // the server and the report crate exchange this shape; missing optional parts default
    let f: FleetReport = serde_json::from_value(serde_json::json!({
        "title": "t", "org": "o", "generated_at": "2026-10-01T00:00:00Z", "query": null,
        "counts": {"HIGH": 1}, "sla": {"open_breaches": 1, "at_risk": 0,
        "mttr_hours_by_severity": {}}, "trend": [], "rows": [{
            "image": "a", "digest": "sha256:00", "package": "p", "version": "1~2",
            "ecosystem": "debian:12", "id": "CVE-1", "severity": "HIGH", "cvss": null,
            "epss": 0.5, "kev": false, "fixed_version": null, "first_seen": "2026-01-01",
            "sla_due": null, "sla_breached": false, "namespaces": []}]
    }))
    .unwrap();
    assert_eq!(f.rows[0].version, "1~2");
    let back = serde_json::to_value(&f).unwrap();
    assert_eq!(back["rows"][0]["epss"], 0.5);
    assert_eq!(back["sla"]["open_breaches"], 1);
}

// ---------------------------------------------------------------- single image

fn alpine_sample() -> Report {
    let (_, r) = sample_reports()
        .into_iter()
        .find(|(n, _)| n == "report")
        .unwrap();
    r
}

#[test]
fn image_pdf_of_the_real_alpine_scan() {
    // docs/samples/report.json: Alpine 3.20.3 scanned against the real secdb
    let r = alpine_sample();
    assert_eq!(r.findings.len(), 56);
    let started = std::time::Instant::now();
    let pdf = render_bytes(&r, Format::Pdf, &RenderOptions::default()).unwrap();
    eprintln!(
        "image PDF: {} findings, {} bytes in {} ms",
        r.findings.len(),
        pdf.len(),
        started.elapsed().as_millis()
    );
    keep("image.pdf", &pdf);
    let rb = read_back(&pdf);
    keep("image-page1.png", &rb.png);
    assert!(rb.pages >= 2, "{} pages", rb.pages);
    let t = &rb.text;
    assert!(t.contains("Drydock image report"));
    assert!(t.contains("example/app:1.0"));
    assert!(t.contains("Alpine Linux v3.20"), "OS");
    // the image ID wraps in its cell
    let no_space: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(no_space.contains(
        "ImageIDsha256:a18f7c6c54f419025d5f9459d51f8837588b095cbc5d8e4ca7401e1e6d7cf49d"
    ));
    assert!(t.contains("Image hygiene: score 70 / 100"));
    assert!(t.contains("Base image: alpine 3.20.3"));
    assert!(t.contains("Vulnerabilities (56)"));
    for f in &r.findings {
        assert!(t.contains(&f.id), "{}", f.id);
        assert!(t.contains(&f.package.version), "{}", f.package.version);
    }
    // openssl 3.3.2-r0, CVE-2024-9143 fixed in 3.3.2-r1 (the real secdb)
    let line = t
        .lines()
        .find(|l| l.contains("CVE-2024-9143") && l.contains("libcrypto3"))
        .unwrap_or_else(|| panic!("no libcrypto3 CVE-2024-9143 row"));
    assert!(
        line.contains("3.3.2-r0") && line.contains("3.3.2-r1"),
        "{line}"
    );
    // counts by severity as the summary has them
    let squeeze = regex::Regex::new(r"\s+")
        .unwrap()
        .replace_all(t, " ")
        .to_string();
    let counts: Vec<String> = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"]
        .iter()
        .map(|s| r.summary.by_severity[*s].to_string())
        .collect();
    // (the facts column beside the cards interleaves in the text layout)
    let cards = regex::Regex::new(&format!(
        r"CRITICAL HIGH MEDIUM LOW NEGLIGIBLE UNKNOWN .{{0,80}}? {} ",
        counts.join(" ")
    ))
    .unwrap();
    assert!(cards.is_match(&squeeze), "{squeeze:.1500}");
    assert_real_page(&rb.png);
}

#[test]
fn image_pdf_of_the_handmade_report_keeps_tildes_and_hides_secrets() {
    let r = handmade();
    let rb = read_back(&pdf::render(&r).unwrap());
    let t = &rb.text;
    assert!(t.contains("3.0.11-1~deb12u2") && t.contains("3.0.13-1~deb12u1"));
    assert!(!t.contains('\u{a0}'));
    // the full secret is never written, the redacted match is
    assert!(!t.contains("AKIAIOSFODNN7EXAMPLE"));
    assert!(t.contains("aws_access_key_id = AKIA****"));
    assert!(t.contains("Secrets (3)") && t.contains("Misconfigurations (2)"));
    assert!(t.contains("2 (deleted later)"));
    assert!(t.contains("EXPOSE 22 <ssh> & \"telnet\" 23"));
    // CVSS: the highest score of any source; KEV badge on log4j
    let log4j = t.lines().find(|l| l.contains("CVE-2021-44228")).unwrap();
    assert!(log4j.contains("10.0") && log4j.contains("KEV"), "{log4j}");
    assert!(t.contains("warning") || t.contains("Warnings"));
}

#[test]
fn markup_in_user_text_prints_literally_in_the_pdf() {
    // HAND-WRITTEN hostile names: typst markup, code, math, labels, HTML
    let mut r = handmade();
    let nasty =
        "#set page(width: 1cm) *b* _i_ $x^2$ @ref <lbl> `raw` \\ ~tilde #{panic()} <script>";
    r.findings[0].package.name = nasty.into();
    r.findings[0].title = Some(format!("{nasty}\u{0}\u{1b}[31m"));
    r.warnings = vec![nasty.into()];
    r.artifact.repo_tags = vec!["reg.example/x:1\"]; #panic()".into()];
    let rb = read_back(&pdf::render(&r).unwrap());
    let t = &rb.text;
    // the warning line is full width: the whole text on one line, as given
    assert!(t.lines().any(|l| l.trim() == format!("• {nasty}")), "{t}");
    assert!(t.contains("reg.example/x:1\"]; #panic()"));
    // table cells wrap, but every token prints literally
    let table_part = &t[t.find("Vulnerabilities (9)").unwrap()..t.find("Secrets (3)").unwrap()];
    for token in nasty.split(' ') {
        assert!(
            table_part.matches(token).count() >= 2,
            "{token}: {table_part}"
        ); // name and title
    }
    assert!(!t.contains('\u{1b}') && !t.contains('\u{0}'));
    assert_eq!(rb.page_size, "841.89 x 595.276 pts (A4)");
}

// ---------------------------------------------------------------- HTML

fn html_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

#[test]
fn html_snapshots() {
    html_settings().bind(|| {
        insta::assert_snapshot!("alpine__html", html::render(&normalised(alpine_sample())));
        insta::assert_snapshot!("handmade__html", html::render(&normalised(handmade())));
    });
}

#[test]
fn html_escapes_everything_and_is_self_contained() {
    let mut r = handmade();
    r.findings[0].package.name = "<script>alert(1)</script>".into();
    r.findings[0].title = Some("\"><img src=x onerror=alert(1)>".into());
    r.artifact.repo_tags = vec!["x</title><script>alert(2)</script>".into()];
    r.misconfigurations[0].message = "a & b <b>".into();
    let h = render(&r, Format::Html, false).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(h.contains("x&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(h.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(h.contains("a &amp; b &lt;b&gt;"));
    let lower = h.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script element");
    assert!(!lower.contains("<img"));
    // self-contained: no external stylesheet, script, image or font
    let tags: Vec<&str> = regex::Regex::new(r"<[^>]*>")
        .unwrap()
        .find_iter(&lower)
        .map(|m| m.as_str())
        .collect();
    assert!(tags.len() > 100);
    for t in &tags {
        assert!(
            !t.contains("src=") && !t.starts_with("<link") && !t.starts_with("<script"),
            "{t}"
        );
    }
    assert!(!lower.contains("@import") && !lower.contains("url("));
    // links only to advisory pages built by Drydock
    let hrefs: BTreeSet<&str> = regex::Regex::new(r#"href="([^"]*)""#)
        .unwrap()
        .captures_iter(&h)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert!(hrefs.contains("https://osv.dev/vulnerability/CVE-2021-44228"));
    assert!(hrefs.contains("https://security-tracker.debian.org/tracker/CVE-2024-0727"));
    assert!(hrefs.iter().all(|u| u.starts_with("https://")), "{hrefs:?}");
    // never the full secret
    assert!(!h.contains("AKIAIOSFODNN7EXAMPLE"));
    // every finding is a row
    assert_eq!(
        h.matches("<tr><td>").count(),
        r.findings.len() + r.secrets.len() + r.misconfigurations.len()
    );
}

#[test]
fn pdf_is_binary_and_html_is_text() {
    let r = handmade();
    assert!(Format::Pdf.is_binary() && !Format::Html.is_binary());
    assert!(matches!(
        render(&r, Format::Pdf, false),
        Err(ReportError::Binary(Format::Pdf))
    ));
    assert_eq!("PDF".parse::<Format>().unwrap(), Format::Pdf);
    assert_eq!("html".parse::<Format>().unwrap(), Format::Html);
    assert_eq!(
        (Format::Pdf.extension(), Format::Html.extension()),
        ("pdf", "html")
    );
    // render_bytes gives the text formats as UTF-8
    let opts = RenderOptions::default();
    assert_eq!(
        render_bytes(&r, Format::Html, &opts).unwrap(),
        html::render(&r).into_bytes()
    );
    assert_eq!(
        render_bytes(&r, Format::Csv, &opts).unwrap(),
        render(&r, Format::Csv, false).unwrap().into_bytes()
    );
}

// ---------------------------------------------------------------- docs/samples

#[test]
fn docs_samples_html_and_pdf_are_in_step() {
    let dir = samples_dir();
    let r: Report =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let html_text = html::render(&r);
    let pdf_bytes = pdf::render(&r).unwrap();
    let text = read_back(&pdf_bytes).text;
    let samples = [
        (dir.join("report.html"), html_text.into_bytes()),
        (dir.join("report.pdf"), pdf_bytes),
        (dir.join("report.pdf.txt"), text.into_bytes()),
    ];
    if std::env::var_os("DRYDOCK_UPDATE_SAMPLES").is_some() {
        for (path, bytes) in &samples {
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let stale: Vec<String> = samples
        .iter()
        .filter(|(p, b)| std::fs::read(p).ok().as_ref() != Some(b))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        stale.is_empty(),
        "stale samples (DRYDOCK_UPDATE_SAMPLES=1 cargo test -p drydock-report rewrites them): {stale:?}"
    );
}
