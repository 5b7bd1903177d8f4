-- Webhooks (SPEC §7): endpoints that receive the change feed, and the log of every POST.
-- Mirrors crates/store-sqlite/migrations/0011_webhooks.sql.

CREATE TABLE webhooks (
    id               uuid PRIMARY KEY,
    -- NULL: a deployment endpoint, which receives every organization's events.
    org_id           uuid REFERENCES orgs (id) ON DELETE CASCADE,
    url              text NOT NULL,
    description      text NOT NULL,
    -- The signing secret, sealed under the server's secret key; shown once at creation.
    sealed_secret    bytea NOT NULL,
    state            text NOT NULL CHECK (state IN ('active', 'paused')),
    -- The feed position of the last event delivered.
    cursor_xid       bigint NOT NULL,
    cursor_id        bigint NOT NULL,
    cursor_at        timestamptz NOT NULL,
    -- The last event of the batch being retried (a retry resends exactly that batch).
    pending_xid      bigint,
    pending_id       bigint,
    attempts         bigint NOT NULL DEFAULT 0,
    failing_since    timestamptz,
    next_attempt_at  timestamptz,
    -- The instance delivering to it, until lease_until: one instance at a time.
    claimed_by       text,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL,
    paused_at        timestamptz
);

CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    id            uuid PRIMARY KEY,
    webhook_id    uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The webhook-id header: the same on every retry and resend of one batch.
    message_id    text NOT NULL,
    -- The endpoint's cursor before the batch, and the batch's last event.
    after_xid     bigint NOT NULL,
    after_id      bigint NOT NULL,
    last_xid      bigint NOT NULL,
    last_id       bigint NOT NULL,
    events        bigint NOT NULL,
    -- The receiver's status code, or NULL with the error when it did not answer.
    status        integer,
    error         text,
    duration_ms   bigint NOT NULL,
    attempted_at  timestamptz NOT NULL,
    attempt       bigint NOT NULL,
    resend        boolean NOT NULL
);

CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, attempted_at);
CREATE INDEX webhook_deliveries_attempted ON webhook_deliveries (attempted_at);
