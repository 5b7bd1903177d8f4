-- The admin console: what administrators did (the audit log), their credentials, their
-- sessions, and recent failed sign-ins (the throttle). Mirrors
-- crates/store-sqlite/migrations/0007_console_auth.sql.

CREATE TABLE audit_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at                timestamptz NOT NULL,
    -- NULL: an operator on the command line. No foreign key: entries outlive a purged account,
    -- and name it by its email.
    actor_account_id  uuid,
    actor_email       text,
    action            text NOT NULL,
    target            text,
    detail            text,
    remote_addr       text
);

CREATE INDEX audit_log_org_at ON audit_log (org_id, at, id);

-- One row per administrator who can sign in with a password, or is invited to set one.
CREATE TABLE admin_credentials (
    account_id             uuid PRIMARY KEY,
    org_id                 uuid NOT NULL,
    -- An argon2id PHC string; NULL until an invitation is accepted.
    password_hash          text,
    -- SHA-256 of the pending one-time invitation code.
    invitation_hash        bytea CONSTRAINT admin_credentials_invitation_unique UNIQUE,
    invitation_expires_at  timestamptz,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CHECK (password_hash IS NOT NULL OR invitation_hash IS NOT NULL),
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
);

CREATE INDEX admin_credentials_org ON admin_credentials (org_id);

CREATE TABLE console_sessions (
    -- SHA-256 of the session token; the token itself is only in the browser's cookie.
    token_hash    bytea PRIMARY KEY,
    account_id    uuid NOT NULL,
    org_id        uuid NOT NULL,
    method        text NOT NULL CHECK (method IN ('password', 'sso')),
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
);

CREATE INDEX console_sessions_account ON console_sessions (account_id);
CREATE INDEX console_sessions_created ON console_sessions (created_at);

-- Failed sign-ins of the last minutes, counted per account and per remote address.
CREATE TABLE sign_in_failures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL: an email no account has.
    account_id   uuid REFERENCES accounts (id) ON DELETE CASCADE,
    remote_addr  text,
    at           timestamptz NOT NULL
);

CREATE INDEX sign_in_failures_account ON sign_in_failures (account_id, at);
CREATE INDEX sign_in_failures_addr ON sign_in_failures (remote_addr, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
