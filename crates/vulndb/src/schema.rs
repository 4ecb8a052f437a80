//! The SQLite schema (documented in `docs/vulndb-schema.md`).

/// Version of the table layout below. `Db::open` refuses a file with another version.
/// Bump it on any change to tables, columns or the meaning of stored values.
pub const SCHEMA_VERSION: u32 = 3;

/// Tables, created before the data is loaded.
pub(crate) const CREATE_TABLES: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE feeds (
    name          TEXT PRIMARY KEY,
    records       INTEGER NOT NULL,
    affected_rows INTEGER NOT NULL,
    newest_date   TEXT,
    files         TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE vulnerabilities (
    id        TEXT PRIMARY KEY,
    summary   TEXT,
    details   TEXT,
    published TEXT,
    modified  TEXT
);

CREATE TABLE aliases (
    id    TEXT NOT NULL,
    alias TEXT NOT NULL,
    PRIMARY KEY (id, alias)
) WITHOUT ROWID;

CREATE TABLE severities (
    vuln_id     TEXT NOT NULL,
    source      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    cvss_vector TEXT NOT NULL DEFAULT '',
    score       REAL,
    PRIMARY KEY (vuln_id, source, cvss_vector)
) WITHOUT ROWID;

CREATE TABLE "references" (
    vuln_id TEXT NOT NULL,
    url     TEXT NOT NULL,
    PRIMARY KEY (vuln_id, url)
) WITHOUT ROWID;

CREATE TABLE affected (
    namespace     TEXT NOT NULL,
    package       TEXT NOT NULL,
    vuln_id       TEXT NOT NULL,
    status        TEXT NOT NULL,
    fixed_version TEXT,
    ranges        TEXT NOT NULL,
    versions      TEXT NOT NULL,
    source        TEXT NOT NULL,
    advisory_ids  TEXT NOT NULL,
    severity      TEXT,
    constraints   TEXT
);

CREATE TABLE kev (
    cve_id                        TEXT PRIMARY KEY,
    vendor_project                TEXT,
    product                       TEXT,
    vulnerability_name            TEXT,
    date_added                    TEXT NOT NULL,
    short_description             TEXT,
    required_action               TEXT,
    due_date                      TEXT,
    known_ransomware_campaign_use TEXT,
    notes                         TEXT
) WITHOUT ROWID;

CREATE TABLE epss (
    cve_id     TEXT PRIMARY KEY,
    score      REAL NOT NULL,
    percentile REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE nvd_cves (
    cve_id        TEXT PRIMARY KEY,
    published     TEXT,
    last_modified TEXT,
    status        TEXT
) WITHOUT ROWID;

CREATE TABLE nvd_cvss (
    cve_id   TEXT NOT NULL,
    version  TEXT NOT NULL,
    source   TEXT NOT NULL,
    type     TEXT NOT NULL,
    vector   TEXT NOT NULL,
    score    REAL NOT NULL,
    severity TEXT NOT NULL,
    PRIMARY KEY (cve_id, version, source, vector)
) WITHOUT ROWID;
"#;

/// Indexes, created after the data is loaded (faster than maintaining them row by row).
pub(crate) const CREATE_INDEXES: &str = r#"
CREATE INDEX affected_by_package ON affected (namespace, package);
CREATE INDEX affected_by_vuln ON affected (vuln_id);
"#;
