-- Organizations, SCIM tokens, accounts, groups, memberships and the provisioning log.
-- Mirrors crates/store-sqlite/migrations/0001_initial.sql. Times are timestamptz, which keeps
-- exactly the microseconds the domain truncates to. Case-insensitive uniqueness uses keys the
-- domain computes, so SQLite and PostgreSQL agree on what "the same name" means.

CREATE TABLE orgs (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('school', 'business')),
    seats           bigint NOT NULL CHECK (seats >= 0),
    retention_days  integer CHECK (retention_days > 0),
    -- Active accounts of the organization, kept by every account write in its transaction, so
    -- the seat check costs the same for ten accounts or a hundred thousand.
    active_accounts bigint NOT NULL DEFAULT 0 CHECK (active_accounts >= 0),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX orgs_created ON orgs (created_at, id);

CREATE TABLE scim_tokens (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL CONSTRAINT scim_tokens_hash_unique UNIQUE,
    created_at  timestamptz NOT NULL,
    -- NULL: the current token. Otherwise the end of a rotated-out token's grace period.
    expires_at  timestamptz
);

-- At most one current token per organization, whatever races between two `enable`s.
CREATE UNIQUE INDEX scim_tokens_one_current ON scim_tokens (org_id) WHERE expires_at IS NULL;
CREATE INDEX scim_tokens_org ON scim_tokens (org_id, created_at);

CREATE TABLE accounts (
    id              uuid PRIMARY KEY,
    -- NULL: an independent account.
    org_id          uuid REFERENCES orgs (id),
    user_name       text NOT NULL,
    -- Lower-cased userName: one account per person on the whole platform.
    user_name_key   text NOT NULL CONSTRAINT accounts_user_name_unique UNIQUE,
    external_id     text,
    display_name    text,
    role            text NOT NULL CHECK (role IN ('admin', 'teacher', 'learner', 'student')),
    active          boolean NOT NULL,
    -- A PATCH removed `active` (RFC 7644 §3.5.2.2): SCIM shows none; the account counts as active.
    active_unassigned boolean NOT NULL DEFAULT false,
    deactivated_at  timestamptz,
    scim_managed    boolean NOT NULL,
    scim_deleted    boolean NOT NULL,
    -- The rest of the SCIM resource, normalised.
    attributes      jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL,
    -- Lets memberships reference (account, org) so no membership can cross organizations.
    CONSTRAINT accounts_id_org_unique UNIQUE (id, org_id)
);

CREATE INDEX accounts_org_created ON accounts (org_id, created_at, id);
CREATE INDEX accounts_org_active ON accounts (org_id, active);
CREATE INDEX accounts_org_external_id ON accounts (org_id, external_id);
CREATE INDEX accounts_org_updated ON accounts (org_id, updated_at);
CREATE INDEX accounts_org_deactivated ON accounts (org_id, deactivated_at) WHERE NOT active;

CREATE TABLE groups (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES orgs (id),
    display_name      text NOT NULL,
    display_name_key  text NOT NULL,
    external_id       text,
    scim_managed      boolean NOT NULL,
    attributes        jsonb NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint NOT NULL,
    CONSTRAINT groups_display_name_unique UNIQUE (org_id, display_name_key),
    CONSTRAINT groups_id_org_unique UNIQUE (id, org_id)
);

CREATE INDEX groups_org_created ON groups (org_id, created_at, id);
CREATE INDEX groups_org_external_id ON groups (org_id, external_id);
CREATE INDEX groups_org_updated ON groups (org_id, updated_at);

CREATE TABLE memberships (
    group_id    uuid NOT NULL,
    account_id  uuid NOT NULL,
    org_id      uuid NOT NULL,
    source      text NOT NULL CHECK (source IN ('scim', 'manual')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (group_id, account_id),
    -- Both ends must be in the same organization: enforced by the schema, not only the code.
    FOREIGN KEY (group_id, org_id) REFERENCES groups (id, org_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
);

CREATE INDEX memberships_account ON memberships (account_id);

CREATE TABLE provisioning_log (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at                 timestamptz NOT NULL,
    operation          text NOT NULL,
    resource_type      text NOT NULL,
    resource_id        text,
    name               text,
    outcome            text NOT NULL CHECK (outcome IN ('success', 'failure', 'skipped')),
    status             integer NOT NULL,
    detail             text,
    duration_ms        bigint NOT NULL,
    client_request_id  text
);

CREATE INDEX provisioning_log_org_at ON provisioning_log (org_id, at, id);
CREATE INDEX provisioning_log_at ON provisioning_log (at);
