-- (org_id, updated_at) is the leading part of the *_org_updated_sort indexes (0004), which serve
-- every query it served. Every account or group write changes updated_at, so each of these
-- indexes cost an entry per write for nothing.
DROP INDEX IF EXISTS accounts_org_updated;
DROP INDEX IF EXISTS groups_org_updated;
