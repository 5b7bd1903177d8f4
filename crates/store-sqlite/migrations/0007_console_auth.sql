-- The admin console: what administrators did (the audit log), their credentials, their
-- sessions, and recent failed sign-ins (the throttle). Mirrors
-- crates/store-postgres/migrations/0007_console_auth.sql. Times are Unix microseconds (UTC).

CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at                INTEGER NOT NULL,
    -- NULL: an operator on the command line. No foreign key: entries outlive a purged account,
    -- and name it by its email.
    actor_account_id  TEXT,
    actor_email       TEXT,
    action            TEXT NOT NULL,
    target            TEXT,
    detail            TEXT,
    remote_addr       TEXT
) STRICT;

CREATE INDEX audit_log_org_at ON audit_log (org_id, at, id);

-- One row per administrator who can sign in with a password, or is invited to set one.
CREATE TABLE admin_credentials (
    account_id             TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL,
    -- An argon2id PHC string; NULL until an invitation is accepted.
    password_hash          TEXT,
    -- SHA-256 of the pending one-time invitation code.
    invitation_hash        BLOB UNIQUE,
    invitation_expires_at  INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    CHECK (password_hash IS NOT NULL OR invitation_hash IS NOT NULL),
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX admin_credentials_org ON admin_credentials (org_id);

CREATE TABLE console_sessions (
    -- SHA-256 of the session token; the token itself is only in the browser's cookie.
    token_hash    BLOB PRIMARY KEY,
    account_id    TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('password', 'sso')),
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX console_sessions_account ON console_sessions (account_id);
CREATE INDEX console_sessions_created ON console_sessions (created_at);

-- Failed sign-ins of the last minutes, counted per account and per remote address.
CREATE TABLE sign_in_failures (
    id           INTEGER PRIMARY KEY,
    -- NULL: an email no account has.
    account_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    remote_addr  TEXT,
    at           INTEGER NOT NULL
) STRICT;

CREATE INDEX sign_in_failures_account ON sign_in_failures (account_id, at);
CREATE INDEX sign_in_failures_addr ON sign_in_failures (remote_addr, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
