//! HTML: one self-contained page (inline CSS, no scripts, no external resources) with the same
//! content as the PDF report ([`crate::pdf`]): image metadata, counts by severity, the hygiene
//! summary, then findings, secrets (redacted) and misconfigurations.
//!
//! The page is built with maud templates, which escape every interpolated value; the only
//! unescaped text is the stylesheet below. Links are the advisory pages of known id families
//! (built by Drydock, never taken from a feed). A line break follows block-level closing tags so
//! that the output diffs well; user text never contains a raw `<`, so this cannot change it.

use crate::Report;
use crate::pdf::{ImageView, image_view};
use maud::{DOCTYPE, Markup, PreEscaped, html};

const CSS: &str = r#"
:root { --accent: #12355b; --muted: #5b6573; --rule: #d7d7d7; --zebra: #f6f6f6;
  --critical: #a4161a; --high: #e8590c; --medium: #d49b00; --low: #2f6fb5;
  --negligible: #7b8794; --unknown: #a6afb9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 Georgia, "Libertinus Serif", "Times New Roman", serif; color: #1d232b; background: #fff; }
main, header.band > div.inner, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header.band { background: var(--accent); color: #fff; padding: 18px 0; margin-bottom: 18px; }
header.band div.inner { display: flex; justify-content: space-between; align-items: center; gap: 24px; flex-wrap: wrap; }
header.band h1 { margin: 0; font-size: 28px; }
header.band .image { margin: 4px 0 0; font-size: 18px; overflow-wrap: anywhere; }
header.band .meta { font-size: 13px; text-align: right; }
h2 { color: var(--accent); font-size: 19px; border-bottom: 1.5px solid var(--accent); padding-bottom: 2px; margin: 22px 0 10px; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.35fr); gap: 24px; }
@media (max-width: 900px) { .columns { grid-template-columns: minmax(0, 1fr); } }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.86em; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
table.facts th { text-align: left; color: var(--muted); font-size: 13px; padding: 3px 10px 3px 4px; white-space: nowrap; vertical-align: top; }
table.facts td { font-size: 13px; padding: 3px 4px; overflow-wrap: anywhere; }
table.facts tr:nth-child(odd), table.data tbody tr:nth-child(even) { background: var(--zebra); }
table.data { font-size: 13px; }
table.data thead th { background: var(--accent); color: #fff; text-align: left; padding: 5px 6px; position: sticky; top: 0; }
table.data td { padding: 4px 6px; vertical-align: top; overflow-wrap: anywhere; }
table.data td.num { text-align: right; white-space: nowrap; }
.sub { display: block; color: var(--muted); font-size: 11px; }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; }
.cards > div, .figures > div { padding: 6px 10px; border-radius: 3px; }
.cards > div { background: var(--zebra); border-left: 4px solid var(--unknown); }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 8px; margin-top: 8px; }
.figures > div { border: 1px solid var(--rule); }
.label { display: block; font-size: 11px; font-weight: bold; letter-spacing: .06em; color: var(--muted); text-transform: uppercase; }
.value { display: block; font-size: 26px; font-weight: bold; color: var(--muted); }
.figures .value { font-size: 21px; color: var(--accent); }
.figures .bad .value { color: var(--critical); }
.figures .warn .value { color: var(--high); }
.sev { display: inline-block; color: #fff; font: bold 10px/1 sans-serif; letter-spacing: .03em; padding: 3px 5px; border-radius: 2px; background: var(--unknown); }
.kev { display: inline-block; color: var(--critical); border: 1px solid var(--critical); font: bold 9px/1 sans-serif; padding: 2px 3px; border-radius: 2px; margin-left: 4px; }
.sev-critical { background: var(--critical); } .cards .sev-critical { border-left-color: var(--critical); background: var(--zebra); } .cards .sev-critical.nz .value { color: var(--critical); }
.sev-high { background: var(--high); } .cards .sev-high { border-left-color: var(--high); background: var(--zebra); } .cards .sev-high.nz .value { color: var(--high); }
.sev-medium { background: var(--medium); } .cards .sev-medium { border-left-color: var(--medium); background: var(--zebra); } .cards .sev-medium.nz .value { color: var(--medium); }
.sev-low { background: var(--low); } .cards .sev-low { border-left-color: var(--low); background: var(--zebra); } .cards .sev-low.nz .value { color: var(--low); }
.sev-negligible { background: var(--negligible); } .cards .sev-negligible { border-left-color: var(--negligible); background: var(--zebra); } .cards .sev-negligible.nz .value { color: var(--negligible); }
.sev-unknown { background: var(--unknown); } .cards .sev-unknown { border-left-color: var(--unknown); background: var(--zebra); } .cards .sev-unknown.nz .value { color: var(--unknown); }
table.hygiene td { font-size: 13px; padding: 2px 6px; vertical-align: top; }
td.lost { color: var(--high); white-space: nowrap; } td.kept { color: var(--muted); white-space: nowrap; }
p.note { font-size: 13px; margin: 6px 0 0; }
ul.warnings { font-size: 13px; }
a { color: var(--accent); }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule); margin-top: 28px; padding-top: 8px; padding-bottom: 24px; }
@media print { body { font-size: 11px; } header.band { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  table.data thead th { position: static; } .sev, .cards > div { print-color-adjust: exact; -webkit-print-color-adjust: exact; } }
"#;

const SEVERITIES: [&str; 6] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"];

fn sev_badge(s: &str) -> Markup {
    html! { span class={ "sev sev-" (s.to_ascii_lowercase()) } { (s) } }
}

fn dash(v: Option<&str>) -> Markup {
    match v {
        Some(v) if !v.is_empty() => html! { (v) },
        _ => html! { "–" },
    }
}

fn page(v: &ImageView) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(v.tool);
                title { (v.title) ": " (v.image) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header.band { div.inner {
                    div {
                        h1 { (v.title) }
                        p.image { (v.image) }
                    }
                    div.meta {
                        "Scanned " (v.generated) br;
                        (dash(v.os.as_deref())) br;
                        (v.tool)
                    }
                } }
                main {
                    div.columns {
                        section {
                            h2 { "Image" }
                            table.facts { tbody {
                                @for (k, val) in &v.meta {
                                    tr { th scope="row" { (k) } td { (val) } }
                                }
                            } }
                        }
                        section {
                            h2 { "Vulnerabilities by severity" }
                            div.cards {
                                @for s in SEVERITIES {
                                    @let n = v.counts.get(s).copied().unwrap_or(0);
                                    div class={ "sev-" (s.to_ascii_lowercase()) @if n > 0 { " nz" } } {
                                        span.label { (s) } span.value { (n) }
                                    }
                                }
                            }
                            div.figures {
                                @for f in &v.figures {
                                    div class=(f.tone) { span.label { (f.label) } span.value { (f.value) } }
                                }
                            }
                            @if let Some(h) = &v.hygiene {
                                h2 { "Image hygiene: score " (h.score) " / 100" }
                                table.hygiene { tbody {
                                    @for c in &h.components {
                                        tr {
                                            td { strong { (c.name) } }
                                            td class=(if c.lost > 0 { "lost" } else { "kept" }) { "−" (c.lost) " / " (c.max) }
                                            td { (c.reason) }
                                        }
                                    }
                                } }
                                @for l in &h.lines { p.note { (l) } }
                            }
                        }
                    }
                    section {
                        h2 { "Vulnerabilities (" (v.findings.len()) ")" }
                        @if v.findings.is_empty() {
                            p { "No vulnerabilities found." }
                        } @else {
                            table.data {
                                thead { tr {
                                    th { "Package" } th { "Installed" } th { "Vulnerability" } th { "Severity" }
                                    th { "CVSS" } th { "Status" } th { "Fixed in" } th { "Layer" } th { "Title" }
                                } }
                                tbody {
                                    @for f in &v.findings {
                                        tr {
                                            td { (f.package) span.sub { (f.kind) } }
                                            td { code { (f.installed) } }
                                            td {
                                                @if let Some(u) = &f.url { a href=(u) { code { (f.id) } } } @else { code { (f.id) } }
                                                @if f.kev { span.kev title="CISA Known Exploited Vulnerabilities catalogue" { "KEV" } }
                                            }
                                            td { (sev_badge(&f.severity)) }
                                            td.num { (dash(f.cvss.as_deref())) }
                                            td { (f.status) }
                                            td { code { (dash(f.fixed.as_deref())) } }
                                            td.num { (f.layer) }
                                            td { (dash(f.title.as_deref())) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if !v.secrets.is_empty() {
                        section {
                            h2 { "Secrets (" (v.secrets.len()) ")" }
                            table.data {
                                thead { tr { th { "Secret" } th { "Severity" } th { "Location" } th { "Line" } th { "Layer" } th { "Match (redacted)" } } }
                                tbody {
                                    @for s in &v.secrets {
                                        tr {
                                            td { (s.title) } td { (sev_badge(&s.severity)) } td { code { (s.path) } }
                                            td.num { (s.line) } td { (s.layer) } td { code { (s.redacted) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if !v.misconfigs.is_empty() {
                        section {
                            h2 { "Misconfigurations (" (v.misconfigs.len()) ")" }
                            table.data {
                                thead { tr { th { "Rule" } th { "Misconfiguration" } th { "Severity" } th { "Where" } th { "Message" } } }
                                tbody {
                                    @for m in &v.misconfigs {
                                        tr {
                                            td { code { (m.rule) } } td { (m.title) } td { (sev_badge(&m.severity)) }
                                            td { (m.location) } td { (m.message) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if !v.warnings.is_empty() {
                        section {
                            h2 { "Warnings" }
                            ul.warnings { @for w in &v.warnings { li { (w) } } }
                        }
                    }
                }
                footer { "Generated by " (v.tool) " · " (v.title) " of " (v.image) " · " (v.generated) }
            }
        }
    }
}

/// Block-level closing tags after which a line break is inserted.
const BREAK_AFTER: [&str; 16] = [
    "<head>",
    "</title>",
    "</style>",
    "</head>",
    "<body>",
    "</header>",
    "</section>",
    "</tr>",
    "<tbody>",
    "</thead>",
    "</table>",
    "</p>",
    "</li>",
    "</h2>",
    "</main>",
    "</footer>",
];

/// The HTML page (UTF-8, ends with a newline).
pub fn render(r: &Report) -> String {
    let mut out = page(&image_view(r)).into_string();
    for tag in BREAK_AFTER {
        out = out.replace(tag, &format!("{tag}\n"));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
