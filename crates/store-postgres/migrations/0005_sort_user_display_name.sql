-- Users sorted by displayName in the database: accounts keep no displayName key, so the listing
-- SQL orders by lower(display_name COLLATE "C") (ASCII letters lower-cased, as SQLite's lower()),
-- NULLs last ascending, ties by creation time then id; this expression index answers that order.
CREATE INDEX accounts_org_display_name_sort ON accounts (org_id, lower(display_name COLLATE "C"), created_at, id);
