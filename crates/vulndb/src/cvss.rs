//! CVSS v3.0 / v3.1 base score, computed exactly as the FIRST specifications give it
//! (CVSS v3.1 specification §7.1 and Appendix A for `Roundup`; v3.0 §8.1).
//!
//! Only the base metric group is scored; temporal and environmental metrics in a vector are
//! accepted and ignored. Other CVSS versions (2.0, 4.0) are stored as vectors without a score.

use crate::model::Severity;

/// The base score and rating of a CVSS v3.x vector, or `None` when the string is not a valid
/// v3.0/v3.1 vector (missing/duplicate/unknown base metric).
pub fn v3_base(vector: &str) -> Option<(f64, Severity)> {
    let mut parts = vector.trim().split('/');
    let v31 = match parts.next()? {
        "CVSS:3.1" => true,
        "CVSS:3.0" => false,
        _ => return None,
    };
    let (mut av, mut ac, mut pr, mut ui, mut s, mut c, mut i, mut a) =
        (None, None, None, None, None, None, None, None);
    for part in parts {
        let (k, v) = part.split_once(':')?;
        let slot = match k {
            "AV" => &mut av,
            "AC" => &mut ac,
            "PR" => &mut pr,
            "UI" => &mut ui,
            "S" => &mut s,
            "C" => &mut c,
            "I" => &mut i,
            "A" => &mut a,
            // Temporal / environmental metrics: not part of the base score.
            "E" | "RL" | "RC" | "CR" | "IR" | "AR" | "MAV" | "MAC" | "MPR" | "MUI" | "MS"
            | "MC" | "MI" | "MA" => continue,
            _ => return None,
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(v);
    }
    let changed = match s? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match av? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match ac? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (pr?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match ui? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |m: Option<&str>| -> Option<f64> {
        match m? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (cia(c)?, cia(i)?, cia(a)?);

    let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02_f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    let roundup = if v31 { roundup_31 } else { roundup_30 };
    let score = if impact <= 0.0 {
        0.0
    } else if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    };
    Some((score, rating(score)))
}

/// CVSS v3.1 Appendix A: the smallest number, to one decimal place, that is ≥ the input,
/// computed on integers to avoid floating-point artefacts.
fn roundup_31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// CVSS v3.0 §8.1: "Round up" to one decimal place.
fn roundup_30(x: f64) -> f64 {
    (x * 10.0).ceil() / 10.0
}

/// Qualitative rating (CVSS v3.x §5): 0.0 None (stored as `Negligible`), 0.1–3.9 Low,
/// 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10.0 Critical.
pub fn rating(score: f64) -> Severity {
    if score <= 0.0 {
        Severity::Negligible
    } else if score < 4.0 {
        Severity::Low
    } else if score < 7.0 {
        Severity::Medium
    } else if score < 9.0 {
        Severity::High
    } else {
        Severity::Critical
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        // Scores as published in the CVSS v3.1 specification examples and by NVD.
        let cases = [
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                Severity::Critical,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                10.0,
                Severity::Critical,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
                5.3,
                Severity::Medium,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                7.5,
                Severity::High,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                6.1,
                Severity::Medium,
            ),
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                7.8,
                Severity::High,
            ),
            (
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N",
                3.7,
                Severity::Low,
            ),
            (
                "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                Severity::Critical,
            ),
            (
                "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N",
                0.0,
                Severity::Negligible,
            ),
            // Temporal metrics are ignored for the base score.
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
                9.8,
                Severity::Critical,
            ),
        ];
        for (v, score, sev) in cases {
            assert_eq!(v3_base(v), Some((score, sev)), "{v}");
        }
    }

    #[test]
    fn invalid_vectors() {
        for v in [
            "",
            "CVSS:2.0/AV:N",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
        ] {
            assert_eq!(v3_base(v), None, "{v}");
        }
    }
}
