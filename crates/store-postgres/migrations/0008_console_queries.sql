-- What the console shows about SCIM and the provisioning log.
--
-- When each token last opened a request (flushed from memory every ~30 s, never written per
-- request).
ALTER TABLE scim_tokens ADD COLUMN last_used_at timestamptz;

-- Hashes of tokens that were revoked (rotated out without grace, replaced during a grace period,
-- or disabled), so a client still presenting one is told apart from one sending a wrong token.
-- Only hashes: a leak of this table opens nothing. One row per revoked token, so it grows with
-- administrators' rotations only.
CREATE TABLE scim_retired_tokens (
    token_hash  bytea PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE
);

-- Per organization: when SCIM was enabled (set with the first token), and when it last received
-- a request with a valid token, an old (expired or revoked) token, and a wrong token.
CREATE TABLE scim_activity (
    org_id               uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    enabled_at           timestamptz,
    last_request_at      timestamptz,
    old_token_seen_at    timestamptz,
    wrong_token_seen_at  timestamptz
);

-- Requests, refusals and wrong-token attempts per organization and ten minutes (the bucket's
-- start), added to by every instance's flush; buckets older than two days are removed by it.
CREATE TABLE scim_activity_buckets (
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    bucket        timestamptz NOT NULL,
    requests      bigint NOT NULL,
    refusals      bigint NOT NULL,
    wrong_tokens  bigint NOT NULL,
    PRIMARY KEY (org_id, bucket)
);

-- A person's timeline (entries about one resource id or one userName) and the seat-limit
-- refusals behind "waiting for a seat" are read from these instead of the whole log.
CREATE INDEX provisioning_log_org_resource ON provisioning_log (org_id, resource_id, at);
CREATE INDEX provisioning_log_org_name ON provisioning_log (org_id, lower(name), at);
CREATE INDEX provisioning_log_org_status ON provisioning_log (org_id, status, at);
