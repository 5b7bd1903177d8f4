-- Sign-in with the organization's OpenID Connect provider (SPEC §6): its configuration, the
-- links between accounts and the provider's subjects, pending sign-ins, and the sign-in log.
-- Mirrors crates/store-sqlite/migrations/0009_sso.sql.

CREATE TABLE sso_configs (
    org_id         uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    provider       text NOT NULL CHECK (provider IN ('microsoft', 'oidc')),
    -- Microsoft: the tenant's GUID, the issuer derived from it. Otherwise the issuer.
    tenant_id      uuid,
    issuer         text,
    client_id      text NOT NULL,
    -- The client secret sealed (XChaCha20-Poly1305) under the server's secret key.
    sealed_secret  bytea NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK ((provider = 'microsoft' AND tenant_id IS NOT NULL)
        OR (provider = 'oidc' AND issuer IS NOT NULL))
);

-- Which account a provider's immutable subject is: `microsoft:{tid}` + oid, or iss + sub.
CREATE TABLE sso_links (
    org_id      uuid NOT NULL,
    account_id  uuid NOT NULL,
    namespace   text NOT NULL,
    subject     text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, namespace, subject),
    FOREIGN KEY (account_id, org_id) REFERENCES accounts (id, org_id) ON DELETE CASCADE
);

CREATE INDEX sso_links_account ON sso_links (account_id);

-- Started sign-ins, so whichever instance gets the callback can finish it, once.
CREATE TABLE sso_flows (
    -- SHA-256 of the `state` parameter.
    state_hash     bytea PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    nonce          text NOT NULL,
    pkce_verifier  text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL
);

CREATE INDEX sso_flows_expires ON sso_flows (expires_at);

CREATE TABLE sso_sign_ins (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at                  timestamptz NOT NULL,
    verdict             text NOT NULL,
    matched_by          text,
    -- No foreign key: the log outlives a purged account.
    account_id          uuid,
    tid                 text,
    oid                 text,
    preferred_username  text,
    issuer              text,
    subject             text,
    expected            text,
    detail              text
);

CREATE INDEX sso_sign_ins_org_at ON sso_sign_ins (org_id, at, id);
