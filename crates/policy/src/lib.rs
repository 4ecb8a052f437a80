//! drydock-policy: turns a scan report plus user policy into a CI gate decision.
//!
//! * [`Policy`] — the policy file (`drydock.yaml`, `version: 1`): gate thresholds
//!   (`fail_on`, `secrets`, `misconfigurations`), per-rule overrides (`rules`), image
//!   requirements (`image`) and `ignore` entries with reasons and expiry dates, parsed with
//!   source positions so every diagnostic names its line and column.
//! * [`VexDoc`] — OpenVEX 0.2.0 documents: `not_affected` / `fixed` statements suppress the
//!   findings they name, `affected` / `under_investigation` annotate them.
//! * [`RegoPolicy`] — Rego modules (`data.drydock.deny`) evaluated by `regorus` with the
//!   report JSON as `input`, under a time limit.
//! * [`evaluate`] — all of it together: VEX → ignores → rules → gate. Pure: the only time it
//!   knows is the `today` argument.
//!
//! Everything but the `load` helpers is a pure function over values. The format and the
//! precedence are documented in `docs/policy.md`.

pub mod diag;
pub mod error;
mod eval;
pub mod file;
pub mod glob;
pub mod rego;
pub mod vex;
mod yamlpos;

pub use diag::{DiagSeverity, Diagnostic, Pos};
pub use error::{PolicyError, Result};
pub use eval::{
    Evaluation, FailKind, Gate, Item, Kept, ROOT_USER_RULE, SuppressedBy, Suppression, VexNote,
    cyclonedx_justification, evaluate, published_date,
};
pub use file::{
    Action, FailOn, Ignore, ImageRequirements, MisconfigGate, Policy, Rule, SecretsAction,
};
pub use rego::{Deny, RegoPolicy};
pub use time::Date;
pub use vex::{Product, VexDoc, VexStatement, VexStatus};

use std::io::Read;
use std::path::Path;

/// Read a UTF-8 text file of at most `limit` bytes.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<String> {
    let io = |source| PolicyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    if size > limit {
        return Err(PolicyError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        });
    }
    let mut buf = Vec::new();
    f.take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(PolicyError::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            limit,
        });
    }
    String::from_utf8(buf).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8: {e}"),
        ))
    })
}
