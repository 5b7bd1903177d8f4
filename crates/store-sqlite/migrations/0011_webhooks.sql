-- Webhooks (SPEC §7): endpoints that receive the change feed, and the log of every POST.
-- Mirrors crates/store-postgres/migrations/0011_webhooks.sql. Times are Unix microseconds (UTC).

CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY,
    -- NULL: a deployment endpoint, which receives every organization's events.
    org_id           TEXT REFERENCES orgs (id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    description      TEXT NOT NULL,
    -- The signing secret, sealed under the server's secret key; shown once at creation.
    sealed_secret    BLOB NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('active', 'paused')),
    -- The feed position of the last event delivered.
    cursor_xid       INTEGER NOT NULL,
    cursor_id        INTEGER NOT NULL,
    cursor_at        INTEGER NOT NULL,
    -- The last event of the batch being retried (a retry resends exactly that batch).
    pending_xid      INTEGER,
    pending_id       INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    failing_since    INTEGER,
    next_attempt_at  INTEGER,
    -- The instance delivering to it, until lease_until.
    claimed_by       TEXT,
    lease_until      INTEGER,
    created_at       INTEGER NOT NULL,
    paused_at        INTEGER
) STRICT;

CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id            TEXT PRIMARY KEY,
    webhook_id    TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The webhook-id header: the same on every retry and resend of one batch.
    message_id    TEXT NOT NULL,
    -- The endpoint's cursor before the batch, and the batch's last event.
    after_xid     INTEGER NOT NULL,
    after_id      INTEGER NOT NULL,
    last_xid      INTEGER NOT NULL,
    last_id       INTEGER NOT NULL,
    events        INTEGER NOT NULL,
    -- The receiver's status code, or NULL with the error when it did not answer.
    status        INTEGER,
    error         TEXT,
    duration_ms   INTEGER NOT NULL,
    attempted_at  INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    resend        INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, attempted_at);
CREATE INDEX webhook_deliveries_attempted ON webhook_deliveries (attempted_at);
