-- How many accounts SCIM sees (not scim_deleted) and how many groups each organization has, kept
-- by triggers in the transaction of every change, so an unfiltered listing's totalResults is one
-- row read instead of a count over the organization. Mirrors
-- crates/store-sqlite/migrations/0012_resource_counts.sql. The row is updated by every change of
-- its organization's accounts and groups, which already take turns on the organization's event
-- lock, so it adds no waiting of its own.

CREATE TABLE org_resource_counts (
    org_id    uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    accounts  bigint NOT NULL DEFAULT 0,
    groups    bigint NOT NULL DEFAULT 0
);

INSERT INTO org_resource_counts (org_id, accounts, groups)
SELECT id,
       (SELECT count(*) FROM accounts a WHERE a.org_id = orgs.id AND NOT a.scim_deleted),
       (SELECT count(*) FROM groups g WHERE g.org_id = orgs.id)
FROM orgs;

-- An organization's first row is made by its first counted change (the upsert); a row that
-- leaves is subtracted with a plain UPDATE, which does nothing once the organization is gone.
CREATE FUNCTION count_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.org_id IS NOT NULL AND NOT OLD.scim_deleted
       AND (TG_OP = 'DELETE' OR NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.scim_deleted) THEN
        UPDATE org_resource_counts SET accounts = accounts - 1 WHERE org_id = OLD.org_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.org_id IS NOT NULL AND NOT NEW.scim_deleted
       AND (TG_OP = 'INSERT' OR NEW.org_id IS DISTINCT FROM OLD.org_id OR OLD.scim_deleted) THEN
        INSERT INTO org_resource_counts (org_id, accounts) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET accounts = org_resource_counts.accounts + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER accounts_counted AFTER INSERT OR DELETE OR UPDATE OF org_id, scim_deleted
ON accounts FOR EACH ROW EXECUTE FUNCTION count_accounts();

CREATE FUNCTION count_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE org_resource_counts SET groups = groups - 1 WHERE org_id = OLD.org_id;
    ELSE
        INSERT INTO org_resource_counts (org_id, groups) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET groups = org_resource_counts.groups + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER groups_counted AFTER INSERT OR DELETE ON groups
FOR EACH ROW EXECUTE FUNCTION count_groups();
