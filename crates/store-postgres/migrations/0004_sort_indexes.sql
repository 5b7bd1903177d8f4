-- SCIM lists sorted in the database (sortBy): one index per order the listing SQL writes, so
-- `sortBy=...&count=1` reads one page of an index instead of sorting the organization. Text is
-- ordered in the "C" collation, as the listing SQL compares it; NULLs sort last ascending by
-- default. userName and displayName keys are unique, so they need no tie-break.
CREATE INDEX accounts_org_user_name_key ON accounts (org_id, user_name_key COLLATE "C");
CREATE INDEX accounts_org_id ON accounts (org_id, id);
CREATE INDEX accounts_org_external_id_sort ON accounts (org_id, external_id COLLATE "C", created_at, id);
CREATE INDEX accounts_org_updated_sort ON accounts (org_id, updated_at, created_at, id);
CREATE INDEX groups_org_display_name_key ON groups (org_id, display_name_key COLLATE "C");
CREATE INDEX groups_org_id ON groups (org_id, id);
CREATE INDEX groups_org_external_id_sort ON groups (org_id, external_id COLLATE "C", created_at, id);
CREATE INDEX groups_org_updated_sort ON groups (org_id, updated_at, created_at, id);
