-- Drydock server store, SQLite. Times are unix seconds (BIGINT); flags are 0/1 BIGINT
-- so that the same runtime queries work on SQLite and PostgreSQL through sqlx's Any driver.
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE images (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        BIGINT NOT NULL REFERENCES orgs (id),
    digest        TEXT NOT NULL,
    repo          TEXT NOT NULL,
    os            TEXT,
    distro_ns     TEXT,
    platform      TEXT,
    labels        TEXT NOT NULL,
    layers        TEXT NOT NULL,
    config_user   TEXT,
    config_ports  TEXT NOT NULL,
    source        TEXT NOT NULL,
    ci            TEXT NOT NULL,
    inventory     TEXT NOT NULL,
    package_count BIGINT NOT NULL,
    first_seen    BIGINT NOT NULL,
    last_scanned  BIGINT NOT NULL,
    UNIQUE (org_id, digest)
);

CREATE TABLE image_tags (
    image_id BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (image_id, tag)
);

-- The inverted index: advisory key (namespace, package) -> the image packages it can affect.
CREATE TABLE image_packages (
    image_id  BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    pkg_index BIGINT NOT NULL,
    ns        TEXT NOT NULL,
    pkg_key   TEXT NOT NULL,
    PRIMARY KEY (image_id, pkg_index, ns, pkg_key)
);
CREATE INDEX image_packages_by_key ON image_packages (ns, pkg_key);

CREATE TABLE findings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        BIGINT NOT NULL,
    image_id      BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    vuln_id       TEXT NOT NULL,
    package       TEXT NOT NULL,
    version       TEXT NOT NULL,
    pkg_path      TEXT NOT NULL,
    ecosystem     TEXT NOT NULL,
    ns            TEXT NOT NULL,
    severity      TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    cvss          REAL,
    epss          REAL,
    kev           BIGINT NOT NULL,
    fixable       BIGINT NOT NULL,
    fixed_version TEXT,
    status        TEXT NOT NULL,
    title         TEXT,
    published     BIGINT,
    first_seen    BIGINT NOT NULL,
    fixed_at      BIGINT,
    sla_due       BIGINT,
    first_job     TEXT NOT NULL,
    last_job      TEXT NOT NULL,
    UNIQUE (image_id, vuln_id, package, version, pkg_path)
);
CREATE INDEX findings_by_org ON findings (org_id, fixed_at, severity_rank);

CREATE TABLE runtime (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES orgs (id),
    cluster    TEXT NOT NULL,
    namespace  TEXT NOT NULL,
    workload   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    container  TEXT NOT NULL,
    image      TEXT NOT NULL,
    digest     TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    UNIQUE (org_id, cluster, namespace, workload, container)
);
CREATE INDEX runtime_by_digest ON runtime (org_id, digest);

CREATE TABLE db_updates (
    id         TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    built_at   TEXT NOT NULL,
    baseline   BIGINT NOT NULL,
    added      BIGINT NOT NULL,
    changed    BIGINT NOT NULL,
    withdrawn  BIGINT NOT NULL,
    pkg_keys   BIGINT NOT NULL
);

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    job_key     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL,
    run_after   BIGINT NOT NULL,
    attempts    BIGINT NOT NULL,
    locked_by   TEXT,
    locked_at   BIGINT,
    last_error  TEXT,
    result      TEXT,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (kind, job_key)
);
CREATE INDEX jobs_by_state ON jobs (state, run_after);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES orgs (id),
    kind       TEXT NOT NULL,
    url        TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL,
    dedup_key  TEXT NOT NULL,
    webhook_id BIGINT NOT NULL,
    payload    TEXT NOT NULL,
    state      TEXT NOT NULL,
    attempts   BIGINT NOT NULL,
    locked_by  TEXT,
    locked_at  BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT,
    UNIQUE (org_id, dedup_key, webhook_id)
);

CREATE TABLE watches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT NOT NULL REFERENCES orgs (id),
    repository  TEXT NOT NULL,
    insecure    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_polled BIGINT,
    UNIQUE (org_id, repository)
);
