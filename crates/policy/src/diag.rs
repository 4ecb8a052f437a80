//! Diagnostics: problems found in the policy inputs (policy file, VEX documents, Rego) and
//! notes about how they applied (an expired ignore, an ignore that matched nothing), each with
//! the file and, where known, the line and column it is about.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a diagnostic is. `Error`s in a policy file make it unusable
/// ([`crate::PolicyError::Invalid`]); the others are reported and evaluation goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagSeverity {
    Note,
    Warning,
    Error,
}

impl DiagSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            DiagSeverity::Note => "note",
            DiagSeverity::Warning => "warning",
            DiagSeverity::Error => "error",
        }
    }
}

/// A 1-based line and column (columns count characters).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub fn new(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: DiagSeverity,
    /// Stable kebab-case code, e.g. `unknown-key`, `ignore-expired`, `ignore-unused`.
    pub code: String,
    pub message: String,
    /// The file the diagnostic is about (as given to the loader), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Diagnostic {
    pub fn new(severity: DiagSeverity, code: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            code: code.to_string(),
            message: message.into(),
            file: None,
            line: None,
            column: None,
        }
    }

    pub fn error(code: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(DiagSeverity::Error, code, message)
    }

    pub fn warning(code: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(DiagSeverity::Warning, code, message)
    }

    pub fn note(code: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(DiagSeverity::Note, code, message)
    }

    /// Attach a file (and a position when known).
    pub fn at(mut self, file: &str, pos: Option<Pos>) -> Diagnostic {
        self.file = Some(file.to_string());
        if let Some(p) = pos {
            self.line = Some(p.line);
            self.column = Some(p.column);
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == DiagSeverity::Error
    }
}

/// `file:line:column: severity[code]: message`, the parts that are known.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if let Some(l) = self.line {
                write!(f, ":{l}")?;
                if let Some(c) = self.column {
                    write!(f, ":{c}")?;
                }
            }
            write!(f, ": ")?;
        }
        write!(
            f,
            "{}[{}]: {}",
            self.severity.as_str(),
            self.code,
            self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let d = Diagnostic::warning("ignore-expired", "expired").at("p.yaml", Some(Pos::new(3, 5)));
        assert_eq!(
            d.to_string(),
            "p.yaml:3:5: warning[ignore-expired]: expired"
        );
        let d = Diagnostic::error("x", "m");
        assert_eq!(d.to_string(), "error[x]: m");
    }
}
