-- (org_id, external_id) holds nothing the *_org_external_id_sort indexes (0004) do not, and
-- externalId lookups search those now (roster-store-sql's Dialect::equals_in_sort_index).
-- External ids are random, so each of these indexes cost every create a page of its own: on
-- SQLite 8 % of the writer's time and 15 % of the bytes written per account created.
DROP INDEX IF EXISTS accounts_org_external_id;
DROP INDEX IF EXISTS groups_org_external_id;
