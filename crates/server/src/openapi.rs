//! The OpenAPI 3.1 document served at `/api/openapi.json`: hand-maintained JSON
//! (`openapi.json`), checked by `tests/api.rs` against the router (every route documented,
//! with the scope its handler requires).

/// The document.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
