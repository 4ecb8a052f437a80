//! drydock-secrets: find secrets in container images — in every file of every layer
//! (including files a later layer deleted or replaced) and in the image config.
//!
//! * Rules are data: [`BUILTIN_RULES`] (TOML, embedded) holds content rules (keywords +
//!   regex + optional entropy threshold + allow-lists), credential-file rules (by path, with
//!   an optional content check) and a global allow-list. A user [`Config`] (TOML or YAML,
//!   [`load_config`]) disables rules, adds or replaces rules and adds allow-list entries.
//! * [`Scanner`] runs them: an Aho-Corasick keyword prefilter over the whole file, then each
//!   rule's regex only on the lines around its keywords' hits; binary files (NUL in the first
//!   8 KiB) and files over the size cap are skipped; overlapping matches keep the more
//!   specific rule; secrets are reported redacted with a sha256 fingerprint
//!   ([`SecretMatch`]).
//! * [`Scanner`] is a `drydock_image::Analyzer`: run it (alone or in `Both`) over
//!   `analyze_image` with `record_paths` on, then [`secrets_from_layers`] gives
//!   [`SecretFinding`]s with the layer and `deleted_in_later_layer`;
//!   [`Scanner::scan_image_config`] covers Env, Labels, Entrypoint, Cmd and history.
//!
//! Rule format and the built-in rule list: `docs/secrets.md`.

mod error;
mod image;
mod rules;
mod scan;

pub use drydock_vulndb::Severity;
pub use error::{Result, SecretsError};
pub use image::{SecretFinding, scan_image, scan_image_config, secrets_from_layers};
pub use rules::{
    AllowSpec, BUILTIN_RULES, Config, ConfigFormat, FileRuleSpec, MAX_WINDOW, RuleFile, RuleSpec,
    Rules, load_config, parse_config,
};
pub use scan::{
    BINARY_SNIFF_BYTES, DEFAULT_MAX_FILE_SIZE, LINE_CAP, ScanOptions, Scanner, SecretMatch, Skip,
    entropy, is_binary, mask,
};
