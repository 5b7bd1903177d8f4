-- SCIM `password` values are no longer kept (people sign in through their identity provider):
-- remove any a client sent before, so no stored row holds one.
UPDATE accounts
SET attributes = json_remove(attributes, '$.password')
WHERE json_type(attributes, '$.password') IS NOT NULL;
