-- Organizations, SCIM tokens and the accounts that hold seats.
-- Times are Unix microseconds (UTC). Case-insensitive uniqueness uses keys the domain computes,
-- so SQLite and PostgreSQL agree on what "the same name" means.

CREATE TABLE orgs (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('school', 'business')),
    seats           INTEGER NOT NULL CHECK (seats >= 0),
    retention_days  INTEGER CHECK (retention_days > 0),
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
    org_id          TEXT REFERENCES orgs (id),
    user_name       TEXT NOT NULL,
    -- Lower-cased userName: one account per person on the whole platform.
    user_name_key   TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'learner', 'student')),
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    deactivated_at  INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX accounts_org_active ON accounts (org_id, active);
