-- How many accounts SCIM sees (not scim_deleted) and how many groups each organization has, kept
-- by triggers in the transaction of every change, so an unfiltered listing's totalResults is one
-- row read instead of a count over the organization. Mirrors
-- crates/store-postgres/migrations/0012_resource_counts.sql.

CREATE TABLE org_resource_counts (
    org_id    TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    accounts  INTEGER NOT NULL DEFAULT 0,
    groups    INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO org_resource_counts (org_id, accounts, groups)
SELECT id,
       (SELECT count(*) FROM accounts a WHERE a.org_id = orgs.id AND NOT a.scim_deleted),
       (SELECT count(*) FROM groups g WHERE g.org_id = orgs.id)
FROM orgs;

-- An organization's first row is made by its first counted change (the upsert); a row that
-- leaves is subtracted with a plain UPDATE, which does nothing once the organization is gone.
CREATE TRIGGER accounts_counted_insert AFTER INSERT ON accounts
WHEN NEW.org_id IS NOT NULL AND NOT NEW.scim_deleted
BEGIN
    INSERT INTO org_resource_counts (org_id, accounts) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET accounts = accounts + 1;
END;

CREATE TRIGGER accounts_counted_delete AFTER DELETE ON accounts
WHEN OLD.org_id IS NOT NULL AND NOT OLD.scim_deleted
BEGIN
    UPDATE org_resource_counts SET accounts = accounts - 1 WHERE org_id = OLD.org_id;
END;

CREATE TRIGGER accounts_counted_left AFTER UPDATE OF org_id, scim_deleted ON accounts
WHEN OLD.org_id IS NOT NULL AND NOT OLD.scim_deleted
     AND (NEW.org_id IS NOT OLD.org_id OR NEW.scim_deleted)
BEGIN
    UPDATE org_resource_counts SET accounts = accounts - 1 WHERE org_id = OLD.org_id;
END;

CREATE TRIGGER accounts_counted_joined AFTER UPDATE OF org_id, scim_deleted ON accounts
WHEN NEW.org_id IS NOT NULL AND NOT NEW.scim_deleted
     AND (NEW.org_id IS NOT OLD.org_id OR OLD.scim_deleted)
BEGIN
    INSERT INTO org_resource_counts (org_id, accounts) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET accounts = accounts + 1;
END;

CREATE TRIGGER groups_counted_insert AFTER INSERT ON groups
BEGIN
    INSERT INTO org_resource_counts (org_id, groups) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET groups = groups + 1;
END;

CREATE TRIGGER groups_counted_delete AFTER DELETE ON groups
BEGIN
    UPDATE org_resource_counts SET groups = groups - 1 WHERE org_id = OLD.org_id;
END;
