-- Sign-in with the organization's OpenID Connect provider (SPEC §6): its configuration, the
-- links between accounts and the provider's subjects, pending sign-ins, and the sign-in log.
-- Mirrors crates/store-postgres/migrations/0009_sso.sql. Times are Unix microseconds (UTC).

CREATE TABLE sso_configs (
    org_id         TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL CHECK (provider IN ('microsoft', 'oidc')),
    -- Microsoft: the tenant's GUID, the issuer derived from it. Otherwise the issuer.
    tenant_id      TEXT,
    issuer         TEXT,
    client_id      TEXT NOT NULL,
    -- The client secret sealed (XChaCha20-Poly1305) under the server's secret key.
    sealed_secret  BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CHECK ((provider = 'microsoft' AND tenant_id IS NOT NULL)
        OR (provider = 'oidc' AND issuer IS NOT NULL))
) STRICT;

-- Which account a provider's immutable subject is: `microsoft:{tid}` + oid, or iss + sub.
CREATE TABLE sso_links (
    org_id      TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, namespace, subject),
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX sso_links_account ON sso_links (account_id);

-- Started sign-ins, so whichever instance gets the callback can finish it, once.
CREATE TABLE sso_flows (
    -- SHA-256 of the `state` parameter.
    state_hash     BLOB PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX sso_flows_expires ON sso_flows (expires_at);

CREATE TABLE sso_sign_ins (
    id                  INTEGER PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at                  INTEGER NOT NULL,
    verdict             TEXT NOT NULL,
    matched_by          TEXT,
    -- No foreign key: the log outlives a purged account.
    account_id          TEXT,
    tid                 TEXT,
    oid                 TEXT,
    preferred_username  TEXT,
    issuer              TEXT,
    subject             TEXT,
    expected            TEXT,
    detail              TEXT
) STRICT;

CREATE INDEX sso_sign_ins_org_at ON sso_sign_ins (org_id, at, id);
