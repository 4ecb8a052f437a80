//! Small helpers shared by the XML feed readers (OVAL, updateinfo, CVRF): a DOM parse with DTDs
//! refused and no node limit, and namespace-agnostic child lookups.

use roxmltree::{Document, Node};

/// Parse a whole XML document (DTDs refused: no entity expansion from feed files).
pub(crate) fn parse(xml: &str) -> Result<Document<'_>, String> {
    Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: u32::MAX,
            ..Default::default()
        },
    )
    .map_err(|e| format!("invalid XML ({e})"))
}

/// The first child element with this local name (any namespace).
pub(crate) fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// Every child element with this local name (any namespace).
pub(crate) fn children<'a, 'i>(
    n: Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed text of a node; `None` when absent or blank.
pub(crate) fn text(n: Option<Node<'_, '_>>) -> Option<String> {
    n.and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}
