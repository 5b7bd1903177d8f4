-- The email domains an organization's SCIM-provisioned userNames must be in, comma-separated and
-- lower case; empty: no restriction.
ALTER TABLE orgs ADD COLUMN domains TEXT NOT NULL DEFAULT '';
