-- The change feed (SPEC §7): every change's events, appended in the transaction of the change,
-- and the platform API's keys. Mirrors crates/store-sqlite/migrations/0010_events.sql.

-- Feed order is (xid, id): every transaction that appends events first takes its
-- organization's advisory lock, so within an organization xids follow commit order, and
-- readers see only xids below the oldest running transaction (ARCHITECTURE.md).
CREATE TABLE events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- NULL only for an account outside every organization.
    org_id       uuid,
    type         text NOT NULL,
    source       text NOT NULL,
    actor        text,
    -- No foreign keys: events outlive what they are about.
    account_id   uuid,
    group_id     uuid,
    occurred_at  timestamptz NOT NULL,
    data         jsonb NOT NULL
);

CREATE UNIQUE INDEX events_position ON events (xid, id);
CREATE INDEX events_org ON events (org_id, xid, id);
CREATE INDEX events_occurred ON events (occurred_at);

-- The newest position trimmed: a cursor before it missed events that are gone.
CREATE TABLE event_horizon (
    xid  bigint NOT NULL,
    id   bigint NOT NULL
);

INSERT INTO event_horizon (xid, id) VALUES (0, 0);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    -- NULL: a deployment key, which reads every organization.
    org_id        uuid REFERENCES orgs (id) ON DELETE CASCADE,
    name          text NOT NULL,
    -- SHA-256 of the key; the key itself is shown once.
    key_hash      bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
