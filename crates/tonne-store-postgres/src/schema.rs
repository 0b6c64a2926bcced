//! Embedded migrations. The table layout is shared with the SQLite backend, so names and columns
//! must stay in step with it. Migrations are append-only: never edit one that has shipped.

/// `(version, sql)` in ascending order; `schema_version` records every version applied.
pub(crate) const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2)];

pub(crate) const LATEST: i32 = 2;

pub(crate) const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())";

const V1: &str = "
CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    ts_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    format INTEGER NOT NULL,
    payload BYTEA NOT NULL
);
CREATE TABLE command_results (
    idem_key TEXT PRIMARY KEY,
    digest BYTEA NOT NULL,
    seq BIGINT,
    result_json TEXT NOT NULL
);
CREATE TABLE holdings (
    series TEXT NOT NULL,
    location TEXT NOT NULL,
    serials BIGINT NOT NULL,
    ranges TEXT NOT NULL,
    PRIMARY KEY (series, location)
);
CREATE INDEX holdings_location ON holdings (location);
CREATE TABLE objects (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
-- The journal is append-only, as in the SQLite backend: refuse updates, deletes and truncation
-- through SQL, so a stray statement cannot rewrite history (an attacker with DDL rights still can,
-- which is what the hash chain is for).
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal is append-only';
END
$$;
CREATE TRIGGER journal_no_update_delete BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();
";

/// The keys of rejected commands, read when a ledger opens (see the SQLite step 2).
const V2: &str =
    "CREATE INDEX command_results_rejected ON command_results (idem_key) WHERE seq IS NULL;";
