-- What the console shows about SCIM and the provisioning log.
--
-- When each token last opened a request (flushed from memory every ~30 s, never written per
-- request).
ALTER TABLE scim_tokens ADD COLUMN last_used_at INTEGER;

-- Hashes of tokens that were revoked (rotated out without grace, replaced during a grace period,
-- or disabled), so a client still presenting one is told apart from one sending a wrong token.
-- Only hashes: a leak of this table opens nothing. One row per revoked token, so it grows with
-- administrators' rotations only.
CREATE TABLE scim_retired_tokens (
    token_hash  BLOB PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE
) STRICT;

-- Per organization: when SCIM was enabled (set with the first token), and when it last received
-- a request with a valid token, an old (expired or revoked) token, and a wrong token.
CREATE TABLE scim_activity (
    org_id               TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    enabled_at           INTEGER,
    last_request_at      INTEGER,
    old_token_seen_at    INTEGER,
    wrong_token_seen_at  INTEGER
) STRICT;

-- Requests, refusals and wrong-token attempts per organization and ten minutes (the bucket's
-- start), added to by every instance's flush; buckets older than two days are removed by it.
CREATE TABLE scim_activity_buckets (
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    bucket        INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    refusals      INTEGER NOT NULL,
    wrong_tokens  INTEGER NOT NULL,
    PRIMARY KEY (org_id, bucket)
) STRICT, WITHOUT ROWID;

-- A person's timeline (entries about one resource id or one userName) and the seat-limit
-- refusals behind "waiting for a seat" are read from these instead of the whole log.
CREATE INDEX provisioning_log_org_resource ON provisioning_log (org_id, resource_id, at);
CREATE INDEX provisioning_log_org_name ON provisioning_log (org_id, lower(name), at);
CREATE INDEX provisioning_log_org_status ON provisioning_log (org_id, status, at);
