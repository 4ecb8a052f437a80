//! TODO: cataloger (being written).

use super::{LangPackage, Scope};

pub fn wants(_path: &str, _scope: Scope) -> bool {
    false
}

pub fn parse(_path: &str, _content: &[u8], _warnings: &mut Vec<String>) -> Vec<LangPackage> {
    Vec::new()
}
