//! Plain-text rendering of a [`Hygiene`] section (for the table report).

use crate::{Hygiene, Origin, human_bytes};
use std::fmt::Write;

/// The hygiene section as text, one block per section, lines at most ~100 columns except for
/// long paths and commands.
pub fn render_text(h: &Hygiene) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Image hygiene: score {}/100", h.score.value);
    for c in &h.score.components {
        let _ = writeln!(o, "  -{:<3} {:<32} {}", c.lost, c.name, c.reason);
    }

    let _ = writeln!(o, "\nBase image");
    match (&h.base.name, h.base.layers) {
        (_, 0) => {
            let _ = writeln!(o, "  none recognised: every layer is the image's own");
        }
        (Some(n), k) => {
            let _ = writeln!(o, "  {n}: layers 0..{}", k - 1);
        }
        (None, k) => {
            let _ = writeln!(o, "  layers 0..{}", k - 1);
        }
    }
    if let Some(d) = &h.base.digest {
        let _ = writeln!(o, "  digest {d}");
    }
    for e in &h.base.evidence {
        let _ = writeln!(o, "  - {e}");
    }
    if let Some(v) = &h.vulnerabilities {
        let _ = writeln!(o, "  {}", v.summary);
    }
    if let Some(n) = &h.newer_base {
        let _ = writeln!(o, "  {}", n.message);
    }

    let e = &h.efficiency;
    let _ = writeln!(
        o,
        "\nLayers ({} wasted of {}, efficiency {:.1}%)",
        human_bytes(e.wasted_bytes),
        human_bytes(e.total_bytes),
        e.efficiency_percent
    );
    for l in &h.layers {
        let origin = match l.origin {
            Origin::Base => "base ",
            Origin::Added => "added",
        };
        let _ = writeln!(
            o,
            "  {:>3} {origin} {:>10} {:>7} files  wasted {:>10}  {}",
            l.index,
            human_bytes(l.tar_bytes),
            l.files,
            human_bytes(l.wasted_bytes),
            l.created_by
                .as_deref()
                .map(|c| crate::short(c, 60))
                .unwrap_or_default()
        );
    }
    if !e.wasted.is_empty() {
        let _ = writeln!(o, "  wasted files:");
        for f in &e.wasted {
            let _ = writeln!(
                o,
                "    {:>10}  {}  (layer {}, {} by layer {})",
                human_bytes(f.bytes),
                f.path,
                f.layer,
                match f.how {
                    crate::Removal::Overwritten => "overwritten",
                    crate::Removal::Deleted => "deleted",
                },
                f.removed_by
            );
        }
        if e.other_wasted_files > 0 {
            let _ = writeln!(
                o,
                "    {:>10}  in {} smaller files",
                human_bytes(e.other_wasted_bytes),
                e.other_wasted_files
            );
        }
    }
    for c in &e.caches {
        let _ = writeln!(
            o,
            "  cache left behind: {} ({}, {}, layers {})",
            c.path,
            c.what,
            human_bytes(c.bytes),
            c.layers
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for g in &e.git_dirs {
        let _ = writeln!(o, "  git repository: {} ({})", g.path, human_bytes(g.bytes));
    }
    for a in &e.order {
        let _ = writeln!(o, "  order: {}", a.message);
    }

    let ms = &h.multi_stage;
    let _ = writeln!(o, "\nMulti-stage build");
    if ms.is_empty() {
        let _ = writeln!(o, "  nothing build-only in the final image");
    } else {
        for a in &ms.advice {
            let _ = writeln!(o, "  - {a}");
        }
    }

    let mb = &h.minimal_base;
    let _ = writeln!(o, "\nMinimal base");
    match &mb.suggestion {
        Some(s) => {
            let _ = writeln!(o, "  {s}");
        }
        None => {
            let _ = writeln!(o, "  no shell or package manager in the image");
        }
    }
    for w in &h.warnings {
        let _ = writeln!(o, "\nwarning: {w}");
    }
    o
}
