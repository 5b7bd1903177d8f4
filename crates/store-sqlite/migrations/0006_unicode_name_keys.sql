-- userName and group displayName keys are now NFC normalisation plus full Unicode case folding
-- (roster_scim::text::fold) instead of lower-casing, so `STRASSE` and `straße` are one name. The
-- keys are computed in Rust: right after this file, in the same transaction, the migration runner
-- recomputes the key of every existing account and group. A row whose new key another row already
-- holds keeps its old key, is logged as a warning, and is listed here for an operator to resolve
-- (rename one of the two).
CREATE TABLE name_key_conflicts (
    -- 'account' (userName, platform-wide) or 'group' (displayName, within its organization).
    kind        TEXT NOT NULL CHECK (kind IN ('account', 'group')),
    -- The account or group that kept its old key.
    id          TEXT PRIMARY KEY,
    -- The group's organization; NULL for accounts.
    org_id      TEXT,
    name        TEXT NOT NULL,
    -- The account or group that holds the new key.
    holder_id   TEXT NOT NULL
) STRICT;
