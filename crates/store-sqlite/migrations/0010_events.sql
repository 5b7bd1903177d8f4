-- The change feed (SPEC §7): every change's events, appended in the transaction of the change,
-- and the platform API's keys. Mirrors crates/store-postgres/migrations/0010_events.sql.
-- Times are Unix microseconds (UTC).

-- One writer commits SQLite's transactions one after another, so the rowid is commit order.
-- AUTOINCREMENT: a trimmed rowid is never handed out again, so a cursor never sees it twice.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL only for an account outside every organization.
    org_id       TEXT,
    type         TEXT NOT NULL,
    source       TEXT NOT NULL,
    actor        TEXT,
    -- No foreign keys: events outlive what they are about.
    account_id   TEXT,
    group_id     TEXT,
    occurred_at  INTEGER NOT NULL,
    data         TEXT NOT NULL
) STRICT;

CREATE INDEX events_org ON events (org_id, id);
CREATE INDEX events_occurred ON events (occurred_at);

-- The newest position trimmed: a cursor before it missed events that are gone.
CREATE TABLE event_horizon (
    xid  INTEGER NOT NULL,
    id   INTEGER NOT NULL
) STRICT;

INSERT INTO event_horizon (xid, id) VALUES (0, 0);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    -- NULL: a deployment key, which reads every organization.
    org_id        TEXT REFERENCES orgs (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- SHA-256 of the key; the key itself is shown once.
    key_hash      BLOB NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
) STRICT;
