-- Organizations, SCIM tokens, accounts, groups, memberships and the provisioning log.
-- Times are Unix microseconds (UTC). Case-insensitive uniqueness uses keys the domain computes,
-- so SQLite and PostgreSQL agree on what "the same name" means.

CREATE TABLE orgs (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('school', 'business')),
    seats           INTEGER NOT NULL CHECK (seats >= 0),
    retention_days  INTEGER CHECK (retention_days > 0),
    -- Active accounts of the organization, kept by every account write in its transaction, so
    -- the seat check costs the same for ten accounts or a hundred thousand.
    active_accounts INTEGER NOT NULL DEFAULT 0 CHECK (active_accounts >= 0),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE scim_tokens (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    -- NULL: the current token. Otherwise the end of a rotated-out token's grace period.
    expires_at  INTEGER
) STRICT;

-- At most one current token per organization, whatever races between two `enable`s.
CREATE UNIQUE INDEX scim_tokens_one_current ON scim_tokens (org_id) WHERE expires_at IS NULL;
CREATE INDEX scim_tokens_org ON scim_tokens (org_id);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    -- NULL: an independent account.
    org_id          TEXT REFERENCES orgs (id),
    user_name       TEXT NOT NULL,
    -- Lower-cased userName: one account per person on the whole platform.
    user_name_key   TEXT NOT NULL UNIQUE,
    external_id     TEXT,
    display_name    TEXT,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'learner', 'student')),
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    -- A PATCH removed `active` (RFC 7644 §3.5.2.2): SCIM shows none; the account counts as active.
    active_unassigned INTEGER NOT NULL DEFAULT 0 CHECK (active_unassigned IN (0, 1)),
    deactivated_at  INTEGER,
    scim_managed    INTEGER NOT NULL CHECK (scim_managed IN (0, 1)),
    scim_deleted    INTEGER NOT NULL CHECK (scim_deleted IN (0, 1)),
    -- The rest of the SCIM resource, as normalised JSON.
    attributes      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    -- Lets memberships reference (account, org) so no membership can cross organizations.
    UNIQUE (id, org_id)
) STRICT;

CREATE INDEX accounts_org_created ON accounts (org_id, created_at, id);
CREATE INDEX accounts_org_active ON accounts (org_id, active);
CREATE INDEX accounts_org_external_id ON accounts (org_id, external_id);
CREATE INDEX accounts_org_updated ON accounts (org_id, updated_at);
CREATE INDEX accounts_org_deactivated ON accounts (org_id, deactivated_at) WHERE active = 0;

CREATE TABLE groups (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs (id),
    display_name      TEXT NOT NULL,
    display_name_key  TEXT NOT NULL,
    external_id       TEXT,
    scim_managed      INTEGER NOT NULL CHECK (scim_managed IN (0, 1)),
    attributes        TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    UNIQUE (org_id, display_name_key),
    UNIQUE (id, org_id)
) STRICT;

CREATE INDEX groups_org_created ON groups (org_id, created_at, id);
CREATE INDEX groups_org_external_id ON groups (org_id, external_id);
CREATE INDEX groups_org_updated ON groups (org_id, updated_at);

CREATE TABLE memberships (
    group_id    TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('scim', 'manual')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, account_id),
    -- Both ends must be in the same organization: enforced by the schema, not only the code.
    FOREIGN KEY (group_id, org_id) REFERENCES groups (id, org_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX memberships_account ON memberships (account_id);

CREATE TABLE provisioning_log (
    id                 INTEGER PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at                 INTEGER NOT NULL,
    operation          TEXT NOT NULL,
    resource_type      TEXT NOT NULL,
    resource_id        TEXT,
    name               TEXT,
    outcome            TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'skipped')),
    status             INTEGER NOT NULL,
    detail             TEXT,
    duration_ms        INTEGER NOT NULL,
    client_request_id  TEXT
) STRICT;

CREATE INDEX provisioning_log_org_at ON provisioning_log (org_id, at, id);
CREATE INDEX provisioning_log_at ON provisioning_log (at);
