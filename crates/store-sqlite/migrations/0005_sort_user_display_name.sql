-- Users sorted by displayName in the database: accounts keep no displayName key, so the listing
-- SQL orders by lower(display_name) (ASCII letters lower-cased), missing values last, ties by
-- creation time then id; this expression index answers that order.
CREATE INDEX accounts_org_display_name_sort ON accounts (org_id, (display_name IS NULL), lower(display_name), created_at, id);
